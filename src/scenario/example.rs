//! The commented example scenario that `dealsim example` prints: every key, with its
//! unit, range and default, one distribution and one schedule. The input sections'
//! lines come from the table of inputs (`table::INPUTS`, each row's `example`), so a new
//! input appears here with its entry; the rest is the text below. A test checks the
//! result validates.

use std::sync::LazyLock;

use super::table;

/// The text before `[company]`: the format in brief, `[meta]` and `[simulation]`.
const HEAD: &str = r#"# dealsim example scenario: every key, with its unit, range and default.
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

"#;

/// The `[[stake.rounds]]` block, after the `[stake]` keys.
const ROUNDS: &str = r#"[[stake.rounds]]              # optional, repeatable; same-date rounds apply as listed
date = 2026-06-30             # a bare TOML date inside [start_year-01-01, end_year-12-31]
amount = 50.0                 # new money, USD bn; >= 0
probability = 0.8             # default 1; chance the round happens on a path; [0, 1]
"#;

/// The `[correlation]` block (constants, not inputs), before `[licence]`.
const CORRELATION: &str = r#"[correlation]                 # optional; each pair in [-1, 1], default 0; the matrix
revenue_growth = 0.3          # must be positive semi-definite
revenue_multiple = 0.5
growth_multiple = 0.3

"#;

/// The comments on the input sections' headers (the others have none).
const NOTES: [(&str, &str); 5] = [
    ("company", "all ten keys required"),
    ("channel", "all six keys required"),
    ("cloud", "all keys required except stop_paying"),
    (
        "licence",
        "optional; all five keys required (MODEL.md §6.1)",
    ),
    (
        "renegotiation",
        "optional; rate and haircut required (MODEL.md §6.3)",
    ),
];

/// Comments start in this column (or two spaces after a longer line).
const COMMENT_COLUMN: usize = 30;

/// A complete, valid scenario documenting every key (MODEL.md §4).
pub static EXAMPLE: LazyLock<String> = LazyLock::new(example);

/// `line` with `comment` aligned; each `\n` in the comment starts a continuation line.
fn commented(out: &mut String, line: &str, comment: &str) {
    out.push_str(line);
    let mut parts = comment.split('\n');
    if let Some(first) = parts.next().filter(|c| !c.is_empty()) {
        let pad = if line.len() < COMMENT_COLUMN {
            COMMENT_COLUMN - line.len()
        } else {
            2
        };
        out.push_str(&" ".repeat(pad));
        out.push_str("# ");
        out.push_str(first);
    }
    out.push('\n');
    for more in parts {
        out.push_str(&" ".repeat(COMMENT_COLUMN));
        out.push_str("# ");
        out.push_str(more);
        out.push('\n');
    }
}

/// The example scenario's text.
fn example() -> String {
    let mut out = String::from(HEAD);
    let sections = table::sections();
    for (i, &name) in sections.iter().enumerate() {
        let note = NOTES.iter().find(|n| n.0 == name).map_or("", |n| n.1);
        if name == "licence" {
            out.push_str(CORRELATION);
        }
        commented(&mut out, &format!("[{name}]"), note);
        for d in table::section(name) {
            let (value, comment) = d.example;
            commented(&mut out, &format!("{} = {value}", d.split().1), comment);
        }
        if name == "stake" {
            out.push('\n');
            out.push_str(ROUNDS);
        }
        if i + 1 < sections.len() {
            out.push('\n');
        }
    }
    out
}
