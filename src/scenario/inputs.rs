//! Reading a number of the scenario: a constant, a distribution (MODEL.md §3) or, for
//! five keys, a step schedule over years (MODEL.md §4), each checked against the key's
//! range.
//!
//! Out-of-range supports are **rejected**, never truncated silently: a distribution is
//! accepted only if every value it can draw lies in the key's range (an untruncated
//! normal on a share, a lognormal on a share, a uniform from 0 on a half-life are all
//! errors naming the key and the range). Truncate a normal with `min`/`max` to use it.

use super::check::{num, Checker, YEAR_MAX, YEAR_MIN};
use super::dist::dist;
use super::raw::{join, RawNode, RawValue};
use super::types::{Input, Scheduled};

/// Money amounts (USD bn) and their distribution parameters must not exceed this.
pub const MONEY_MAX: f64 = 1e6;
/// Every other number must not exceed this in magnitude. Not in MODEL.md: a sanity bound
/// (no rate, share, year or speed of a deal is near it) that keeps `1e308` out of the
/// arithmetic, where it would overflow to infinity mid-path.
pub const SANITY_MAX: f64 = 1e6;

/// The largest annual volatility (growth_vol, revenue_vol, multiple_vol), a bound on each
/// constant and distribution parameter like `MONEY_MAX`. Not in MODEL.md: a volatility is
/// a yearly fraction (0.20 = 20 %), real ones are well under 1, and above 5 the model's
/// exponentials run away (growth_vol = 20 puts revenue past 1e180 in a 10-year run;
/// revenue_vol = 20 drifts the median revenue down by e^-200 a year).
pub const VOL_MAX: f64 = 5.0;

/// The valid range of a key (MODEL.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// `[0, 1]`: shares, rates of the revenue share, margins.
    Unit,
    /// `> 0`: revenue0, valuation0, multiple_long, half-lives.
    Positive,
    /// `>= 0`: vols, dilution, speeds, amounts.
    NonNegative,
    /// `> -1`: growth rates and discount rates.
    AboveMinusOne,
    /// Any finite number (`channel.midpoint_year`).
    Any,
}

impl Range {
    pub fn contains(self, x: f64) -> bool {
        match self {
            Range::Unit => (0.0..=1.0).contains(&x),
            Range::Positive => x > 0.0,
            Range::NonNegative => x >= 0.0,
            Range::AboveMinusOne => x > -1.0,
            Range::Any => true,
        }
    }

    pub fn rule(self) -> &'static str {
        match self {
            Range::Unit => "must be in [0, 1]",
            Range::Positive => "must be > 0",
            Range::NonNegative => "must be >= 0",
            Range::AboveMinusOne => "must be > -1",
            Range::Any => "any finite number",
        }
    }

    /// Whether a support from `lo` to `hi` stays inside the range; `lo_open` says the
    /// support approaches `lo` without reaching it (lognormal at 0).
    pub(super) fn admits(self, lo: f64, lo_open: bool, hi: f64) -> bool {
        match self {
            Range::Unit => lo >= 0.0 && hi <= 1.0,
            Range::Positive => lo > 0.0 || (lo == 0.0 && lo_open),
            Range::NonNegative => lo >= 0.0,
            Range::AboveMinusOne => lo > -1.0 || (lo == -1.0 && lo_open),
            Range::Any => true,
        }
    }
}

/// How a key's numbers are checked: its range, and whether it is money (USD bn).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub range: Range,
    pub money: bool,
    /// An annual volatility: at most `VOL_MAX`.
    pub vol: bool,
}

impl Rule {
    pub const fn new(range: Range) -> Rule {
        Rule {
            range,
            money: false,
            vol: false,
        }
    }
    pub const fn money(range: Range) -> Rule {
        Rule {
            range,
            money: true,
            vol: false,
        }
    }
    /// An annual volatility: `>= 0` and, per value and parameter, `<= VOL_MAX`.
    pub const fn vol() -> Rule {
        Rule {
            range: Range::NonNegative,
            money: false,
            vol: true,
        }
    }
}

impl Rule {
    /// Why `x` breaks the magnitude bounds, if it does: `MONEY_MAX` for money,
    /// `SANITY_MAX` for the rest, and `VOL_MAX` above for volatilities (below, the range
    /// says `>= 0`).
    pub fn bound_problem(self, x: f64) -> Option<String> {
        if self.vol && x > VOL_MAX {
            return Some(format!(
                "{} is too large for a volatility: must be in [0, 5] (a yearly fraction, 0.2 = 20 %; 5 is far above any company's, and a slip such as 20 for 0.20 drives revenue past 1e180 in ten years)",
                num(x)
            ));
        }
        let (max, what) = if self.money {
            (MONEY_MAX, "money amounts must be <= 1e6 (USD bn)")
        } else {
            (SANITY_MAX, "|value| must be <= 1e6 (sanity bound)")
        };
        (x.abs() > max).then(|| format!("{} is too large: {what}", num(x)))
    }

    /// Why the constant `x` is not allowed, if it is not: its bounds, then its range.
    /// The one check of a constant, whether read from a file or set by a typed swing.
    pub fn constant_problem(self, x: f64) -> Option<String> {
        self.bound_problem(x).or_else(|| {
            (!self.range.contains(x))
                .then(|| format!("{} is out of range: {}", num(x), self.range.rule()))
        })
    }
}

/// A constant, checked for bounds and range.
fn constant(ck: &mut Checker, node: &RawNode, path: &str, rule: Rule) -> Option<f64> {
    let x = ck.number(node, path)?;
    if let Some(msg) = rule.constant_problem(x) {
        ck.bad(node, path, msg);
        return None;
    }
    Some(x)
}

/// The magnitude bounds of [`Rule::bound_problem`], recorded against `node`.
pub(super) fn bounded(ck: &mut Checker, node: &RawNode, path: &str, x: f64, rule: Rule) -> bool {
    match rule.bound_problem(x) {
        Some(msg) => {
            ck.bad(node, path, msg);
            false
        }
        None => true,
    }
}

/// A number that may be a distribution: `0.2` or `{ dist = "...", ... }`.
pub fn input(ck: &mut Checker, node: &RawNode, path: &str, rule: Rule) -> Option<Input> {
    match &node.value {
        RawValue::Table(t) if t.iter().all(|(k, _)| k != "dist") && looks_like_schedule(t) => {
            ck.bad(
                node,
                path,
                format!(
                    "a schedule {{ YEAR = value }} is only accepted for {}",
                    SCHEDULED_KEYS.join(", ")
                ),
            );
            None
        }
        RawValue::Table(_) => dist(ck, node, path, rule).map(Input::Dist),
        _ => constant(ck, node, path, rule).map(Input::Const),
    }
}

/// The keys that accept a step schedule (MODEL.md §4), in the order the error message
/// names them; a test checks they are the table's `Slot::Scheduled` keys.
pub const SCHEDULED_KEYS: [&str; 5] = [
    "revenue_share.rate",
    "stake.annual_dilution",
    "cloud.model_margin",
    "cloud.compute_spend_ratio",
    "cloud.compute_margin",
];

fn looks_like_schedule(t: &[(String, RawNode)]) -> bool {
    !t.is_empty() && t.iter().all(|(k, _)| k.bytes().all(|b| b.is_ascii_digit()))
}

/// A number, a distribution or a schedule. A table without `dist` is a schedule; its
/// first year must be `<= start_year` (when the start year is known).
pub fn scheduled(
    ck: &mut Checker,
    node: &RawNode,
    path: &str,
    rule: Rule,
    start_year: Option<i32>,
) -> Option<Scheduled> {
    let RawValue::Table(entries) = &node.value else {
        return input(ck, node, path, rule).map(Scheduled::Input);
    };
    if entries.iter().any(|(k, _)| k == "dist") {
        return dist(ck, node, path, rule).map(|d| Scheduled::Input(Input::Dist(d)));
    }
    if entries.is_empty() {
        ck.bad(
            node,
            path,
            "empty schedule: give at least one YEAR = value, e.g. { 2026 = 0.2 }",
        );
        return None;
    }
    let mut steps = Vec::with_capacity(entries.len());
    let mut ok = true;
    for (k, v) in entries {
        let sub = join(path, k);
        let year = k
            .parse::<i32>()
            .ok()
            .filter(|y| (YEAR_MIN..=YEAR_MAX).contains(y));
        if year.is_none() {
            let msg = format!(
                "schedule keys must be years in [{YEAR_MIN}, {YEAR_MAX}] (like {{ 2026 = 0.2 }}); a distribution needs dist = \"...\""
            );
            ck.bad(v, &sub, msg);
            ok = false;
        }
        if matches!(v.value, RawValue::Table(_)) {
            ck.bad(
                v,
                &sub,
                "a schedule's values must be constants, not distributions",
            );
            ok = false;
            continue;
        }
        match (year, constant(ck, v, &sub, rule)) {
            (Some(y), Some(x)) => steps.push((y, x)),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    steps.sort_by_key(|s| s.0);
    if let (Some(&(first, _)), Some(start)) = (steps.first(), start_year) {
        if first > start {
            let msg = format!(
                "the schedule starts in {first}, after simulation.start_year {start}: its first year must be <= {start}"
            );
            ck.against_horizon(node, path, msg);
            return None;
        }
    }
    Some(Scheduled::Schedule(steps))
}
