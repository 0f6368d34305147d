//! The commented example scenario that `dealsim example` prints: every key, with its
//! unit, range and default, one distribution and one schedule. A test checks it validates.

/// A complete, valid scenario documenting every key (MODEL.md §4).
pub const EXAMPLE: &str = r#"# dealsim example scenario: every key, with its unit, range and default.
# Money is in USD billions; rates and shares are fractions (0.20 = 20 %).
# Any number in [company], [stake], [revenue_share] (rate, cap), [channel], [cloud] and
# [discount] may be a distribution drawn once per path instead of a constant:
#   { dist = "uniform",    low = ..., high = ... }
#   { dist = "triangular", low = ..., mode = ..., high = ... }
#   { dist = "pert",       low = ..., mode = ..., high = ... }
#   { dist = "normal",     mean = ..., sd = ..., min = ..., max = ... }  # min/max optional
#   { dist = "lognormal",  median = ..., sigma = ... }                   # sigma of ln x
# A distribution that could draw a value outside the key's range is rejected (truncate a
# normal with min/max instead). Five keys also accept a step schedule { YEAR = value }:
# revenue_share.rate, stake.annual_dilution, cloud.model_margin, cloud.compute_spend_ratio,
# cloud.compute_margin; each value holds from its year to the next; the first year must
# be <= start_year.
# extends = "base.toml"       # optional: start from another file (path relative to this
#                             # one) and override only the keys written here

[meta]                        # optional labels for charts and CSV headers
name = "Example"              # default: the file name without .toml
description = "Illustrative numbers, not a forecast."
investor = "Microsoft"        # default "Investor"
company = "OpenAI"            # default "Company"
channel = "AWS Bedrock"       # default "Channel"
cloud = "Azure"               # default "Cloud"

[simulation]
start_year = 2026             # required; years in [1900, 2200]
end_year = 2035               # required; >= start_year
steps_per_year = 4            # required; one of 1, 2, 4, 12
paths = 10000                 # default 10000; >= 1 (the command line overrides it)
seed = 20261128               # default 0; integer >= 0 (the command line overrides it)

[company]                     # all ten keys required
revenue0 = 20.0               # core revenue run-rate at start, USD bn/yr; > 0
growth0 = 1.0                 # annual growth at start; > -1
growth_long = 0.08            # long-run annual growth; > -1
growth_half_life = 2.0        # years for the growth premium to halve; > 0
growth_vol = 0.15             # vol of the log growth rate; >= 0
revenue_vol = 0.20            # vol of log revenue, per sqrt(year); >= 0
valuation0 = 852.0            # equity value at start, USD bn; > 0
multiple_long = 12.0          # long-run equity value / revenue; > 0
multiple_half_life = 4.0      # years; > 0
multiple_vol = 0.30           # >= 0

[stake]
initial = 0.26                # required; investor's share of the equity; [0, 1]
annual_dilution = 0.02        # default 0; per year, >= 0 (or a schedule)
liquidity_discount = 0.0      # default 0; haircut on the stake's value; [0, 1]
random_rounds_per_year = 0.0  # default 0; Poisson rate of unplanned rounds; >= 0
random_round_fraction = 0.10  # default 0; each random round: stake / (1 + f); >= 0

[[stake.rounds]]              # optional, repeatable; same-date rounds apply as listed
date = 2026-06-30             # a bare TOML date inside [start_year-01-01, end_year-12-31]
amount = 50.0                 # new money, USD bn; >= 0
probability = 0.8             # default 1; chance the round happens on a path; [0, 1]

[revenue_share]
rate = { 2026 = 0.20, 2029 = 0.15 }  # required; [0, 1]; a schedule: 20 % to 2028, then 15 %
end_year = 2030               # required; last calendar year the share is paid
cap = 38.0                    # USD bn cumulative, >= 0; default: no cap
base_includes_channel = true  # required; share also on revenue sold through the channel

[channel]                     # all six keys required
addressable_share = 0.35      # share of core revenue the channel can reach; [0, 1]
ceiling = { dist = "triangular", low = 0.05, mode = 0.15, high = 0.35 }  # [0, 1]
midpoint_year = 2028.5        # decimal year of half the ceiling; any number
ramp_speed = 1.2              # logistic speed, per year; >= 0
incremental = 0.4             # fraction of channel revenue that is new revenue; [0, 1]
cloud_cannibalization = 0.3   # fraction taken from the investor's cloud; [0, 1]
                              # incremental + cloud_cannibalization <= 1 (largest values)

[cloud]                       # all keys required except stop_paying
model_revenue0 = 6.0          # investor's sales of the company's models, USD bn/yr; >= 0
model_margin = 0.45           # [0, 1] (or a schedule)
share_to_company = 0.20       # reverse share paid to the company; [0, 1]
stop_paying = 2026-04-27      # reverse share stops on this date; default: never
compute_spend_ratio = 0.50    # company compute spend / revenue; >= 0 (or a schedule)
compute_share0 = 0.80         # investor cloud's share of that spend at start; [0, 1]
compute_share_long = 0.45     # long-run share; [0, 1]
compute_share_half_life = 3.0 # years; > 0
compute_margin = 0.35         # [0, 1] (or a schedule)

[discount]
rate = 0.09                   # required; investor's cash flows; > -1
equity_rate = 0.13            # the stake's terminal value; > -1; default: rate

[correlation]                 # optional; each pair in [-1, 1], default 0; the matrix
revenue_growth = 0.3          # must be positive semi-definite
revenue_multiple = 0.5
growth_multiple = 0.3

[licence]                     # optional; all five keys required (MODEL.md §6.1)
end = 2032-12-31              # last day of the investor's licence to the company's models
renewal_probability = 0.5     # chance it is renewed on the same terms, per path; [0, 1]
retention = 0.3               # share of licence-dependent value kept if not; [0, 1]
product_value0 = 8.0          # investor's own-product gross profit from the models, USD bn/yr; >= 0
product_growth = 0.25         # its annual growth; > -1

[renegotiation]               # optional; rate and haircut required (MODEL.md §6.3)
rate = 0.15                   # events per year; the first one cuts the share; >= 0
from = 2026-07-01             # none before this date (in the horizon); default: start
haircut = 0.5                 # share of the cap's remaining headroom removed; [0, 1]
"#;
