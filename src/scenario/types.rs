//! The checked, typed scenario: what validation produces and the rest of the program takes.
//!
//! Nothing here is a string key any more: every number is either a constant or a
//! distribution (`Input`), schedules are step functions over calendar years, dates are
//! civil dates. Every value has already passed the range rules of MODEL.md §4.

use crate::date::Date;

/// Labels used in charts and CSV headers (`[meta]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub name: String,
    pub description: String,
    pub investor: String,
    pub company: String,
    pub channel: String,
    pub cloud: String,
    /// Edits made on the command line (`--set`, a `--variant`'s edits), in order: named
    /// in chart subtitles and report titles so a result never passes for the plain file's.
    pub overrides: Vec<String>,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            name: String::from("Unnamed scenario"),
            description: String::new(),
            investor: String::from("Investor"),
            company: String::from("Company"),
            channel: String::from("Channel"),
            cloud: String::from("Cloud"),
            overrides: Vec::new(),
        }
    }
}

/// `[simulation]`: the time grid, path count and seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Simulation {
    pub start_year: i32,
    pub end_year: i32,
    /// One of 1, 2, 4, 12.
    pub steps_per_year: u32,
    pub paths: u64,
    pub seed: u64,
}

/// A distribution of an uncertain input, drawn once per path (MODEL.md §3).
/// Parameters are already checked (low <= mode <= high, sd >= 0, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    Uniform {
        low: f64,
        high: f64,
    },
    Triangular {
        low: f64,
        mode: f64,
        high: f64,
    },
    Pert {
        low: f64,
        mode: f64,
        high: f64,
    },
    /// Truncated to `[min, max]` when given (the conditional distribution).
    Normal {
        mean: f64,
        sd: f64,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// `ln x ~ N(ln median, sigma^2)`.
    Lognormal {
        median: f64,
        sigma: f64,
    },
}

/// A number of the scenario: a constant, or a distribution drawn once per path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    Const(f64),
    Dist(Dist),
}

/// The placeholder validation starts from (a key it cannot read keeps it, with a problem
/// recorded, so it never escapes) and the value of an optional key left out.
impl Default for Input {
    fn default() -> Input {
        Input::Const(0.0)
    }
}

impl Input {
    /// The constant, if this input is one.
    pub fn as_const(&self) -> Option<f64> {
        match self {
            Input::Const(v) => Some(*v),
            Input::Dist(_) => None,
        }
    }
}

/// A value that may also be a step schedule over calendar years (MODEL.md §4): each
/// value holds from its year until the next listed year. The first year is
/// `<= start_year` (checked); years are strictly increasing.
#[derive(Debug, Clone, PartialEq)]
pub enum Scheduled {
    Input(Input),
    Schedule(Vec<(i32, f64)>),
}

impl Default for Scheduled {
    fn default() -> Scheduled {
        Scheduled::Input(Input::default())
    }
}

impl Scheduled {
    /// The schedule's value in calendar `year` (the last step starting at or before it).
    /// For a plain input this is `None`: its value is per path.
    pub fn schedule_value(&self, year: i32) -> Option<f64> {
        match self {
            Scheduled::Input(_) => None,
            Scheduled::Schedule(steps) => {
                let mut v = steps.first().map(|s| s.1)?;
                for &(y, x) in steps {
                    if y <= year {
                        v = x;
                    } else {
                        break;
                    }
                }
                Some(v)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Company {
    pub revenue0: Input,
    pub growth0: Input,
    pub growth_long: Input,
    pub growth_half_life: Input,
    pub growth_vol: Input,
    pub revenue_vol: Input,
    pub valuation0: Input,
    pub multiple_long: Input,
    pub multiple_half_life: Input,
    pub multiple_vol: Input,
}

/// A scheduled financing round: new money `amount` (USD bn) on `date`.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub date: Date,
    pub amount: Input,
    /// Position in the file (`stake.rounds[index]`): the key path of its amount, the same
    /// in `--set`, paths.csv and its random stream, whatever the date order.
    pub index: usize,
    /// MODEL.md §6.2: the chance the round happens on a path; `None` (key not written):
    /// it always does, and no `happens` draw is made.
    pub probability: Option<Input>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stake {
    pub initial: Input,
    pub annual_dilution: Scheduled,
    pub liquidity_discount: Input,
    pub random_rounds_per_year: Input,
    pub random_round_fraction: Input,
    /// In the order they apply: by date, then as listed in the file.
    pub rounds: Vec<Round>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RevenueShare {
    pub rate: Scheduled,
    pub end_year: i32,
    /// Cumulative cap in USD bn; `None` = no limit.
    pub cap: Option<Input>,
    pub base_includes_channel: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Channel {
    pub addressable_share: Input,
    pub ceiling: Input,
    pub midpoint_year: Input,
    pub ramp_speed: Input,
    pub incremental: Input,
    pub cloud_cannibalization: Input,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cloud {
    pub model_revenue0: Input,
    pub model_margin: Scheduled,
    pub share_to_company: Input,
    /// The investor stops paying its reverse share on this date; `None` = never.
    pub stop_paying: Option<Date>,
    pub compute_spend_ratio: Scheduled,
    pub compute_share0: Input,
    pub compute_share_long: Input,
    pub compute_share_half_life: Input,
    pub compute_margin: Scheduled,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Discount {
    pub rate: Input,
    /// `None`: the stake is discounted at `rate`.
    pub equity_rate: Option<Input>,
}

/// `[licence]` (MODEL.md §6.1): the investor's licence to the company's models.
#[derive(Debug, Clone, PartialEq)]
pub struct Licence {
    /// Last day covered; on or after the start of the horizon (may be after its end).
    pub end: Date,
    pub renewal_probability: Input,
    pub retention: Input,
    pub product_value0: Input,
    pub product_growth: Input,
}

/// Placeholders (validation fills every field in).
impl Default for Licence {
    fn default() -> Licence {
        Licence {
            end: Date::month_start(2000, 0),
            renewal_probability: Input::default(),
            retention: Input::default(),
            product_value0: Input::default(),
            product_growth: Input::default(),
        }
    }
}

/// `[renegotiation]` (MODEL.md §6.3): the first event of a Poisson process cuts what is
/// left of the revenue share.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Renegotiation {
    pub rate: Input,
    /// No event before this date; `None`: the start of the horizon.
    pub from: Option<Date>,
    pub haircut: Input,
}

/// Pairwise correlations of the (revenue, growth, multiple) shocks; missing pairs are 0.
/// Checked to form a positive semi-definite matrix.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Correlation {
    pub revenue_growth: f64,
    pub revenue_multiple: f64,
    pub growth_multiple: f64,
}

/// One `[[input_correlation]]` pair: the target Spearman rank correlation of two
/// uncertain inputs (checked: both are distributions of non-zero width, distinct, the
/// pair not repeated, `rank` in [-1, 1], the whole matrix positive semi-definite).
#[derive(Debug, Clone, PartialEq)]
pub struct InputCorrelation {
    /// Key paths, as written (`company.revenue0`, `channel.ceiling`).
    pub inputs: [String; 2],
    pub rank: f64,
}

/// A whole checked scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub meta: Meta,
    pub simulation: Simulation,
    pub company: Company,
    pub stake: Stake,
    pub revenue_share: RevenueShare,
    pub channel: Channel,
    pub cloud: Cloud,
    pub discount: Discount,
    pub correlation: Correlation,
    /// `None` without the section: the licence never ends (`l_k = 1`, `L_k = 0`).
    pub licence: Option<Licence>,
    /// `None` without the section: no renegotiation.
    pub renegotiation: Option<Renegotiation>,
    /// `[[input_correlation]]` pairs in file order; empty: every input is independent.
    pub input_correlation: Vec<InputCorrelation>,
}

impl Scenario {
    /// Every uncertain input with its key path (`channel.ceiling`), in a fixed order:
    /// the order of the sections and keys in MODEL.md §4. Used for paths.csv columns,
    /// sensitivity and for keying each input's random stream.
    pub fn uncertain_inputs(&self) -> Vec<(String, Dist)> {
        let mut out = Vec::new();
        for (key, input) in self.inputs() {
            if let Input::Dist(d) = input {
                out.push((key, d));
            }
        }
        out
    }

    /// Every scalar input (constant or distribution) with its key path, in file order:
    /// the table's number inputs that hold one (not schedules, not left-out optional
    /// keys or absent sections), each scheduled round's after the `[stake]` keys.
    pub fn inputs(&self) -> Vec<(String, Input)> {
        let mut v = Vec::new();
        let mut rounds_done = false;
        for d in super::table::INPUTS {
            if !rounds_done && d.section() != "company" && d.section() != "stake" {
                self.round_inputs(&mut v);
                rounds_done = true;
            }
            if let Some(i) = d.input(self) {
                v.push((d.key.to_string(), *i));
            }
        }
        if !rounds_done {
            self.round_inputs(&mut v);
        }
        v
    }

    /// Each round's amount and written probability, in file order (the order of their
    /// key paths).
    fn round_inputs(&self, v: &mut Vec<(String, Input)>) {
        let mut rounds: Vec<&Round> = self.stake.rounds.iter().collect();
        rounds.sort_by_key(|r| r.index);
        for r in rounds {
            v.push((format!("stake.rounds[{}].amount", r.index), r.amount));
            if let Some(p) = r.probability {
                v.push((format!("stake.rounds[{}].probability", r.index), p));
            }
        }
    }
}
