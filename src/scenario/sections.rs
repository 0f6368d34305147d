//! Readers for each section of a scenario (MODEL.md §4): which keys it holds, their
//! ranges and defaults, and the checks that involve several keys of one section
//! (`incremental + cloud_cannibalization <= 1`, the correlation matrix, round order).
//!
//! Each reader returns a value even when keys are bad (placeholders stand in), having
//! recorded every problem; `validate` turns any problem into an error.

use std::path::Path;

use super::check::{misspelt, Checker, Section};
use super::dist::support_max;
use super::inputs::{input, scheduled, Range, Rule};
use super::raw::{RawNode, RawValue};
use super::types::*;
use crate::date::Date;

use Range::{AboveMinusOne as GtM1, Any, NonNegative as NonNeg, Positive as Pos, Unit};

/// Top-level sections. `extends` is resolved (and removed) before validation.
pub const SECTIONS: [&str; 12] = [
    "meta",
    "simulation",
    "company",
    "stake",
    "revenue_share",
    "channel",
    "cloud",
    "discount",
    "correlation",
    "licence",
    "renegotiation",
    "input_correlation",
];
pub const META: [&str; 6] = [
    "name",
    "description",
    "investor",
    "company",
    "channel",
    "cloud",
];
pub const SIMULATION: [&str; 5] = ["start_year", "end_year", "steps_per_year", "paths", "seed"];
pub const COMPANY: [(&str, Rule); 10] = [
    ("revenue0", Rule::money(Pos)),
    ("growth0", Rule::new(GtM1)),
    ("growth_long", Rule::new(GtM1)),
    ("growth_half_life", Rule::new(Pos)),
    ("growth_vol", Rule::vol()),
    ("revenue_vol", Rule::vol()),
    ("valuation0", Rule::money(Pos)),
    ("multiple_long", Rule::new(Pos)),
    ("multiple_half_life", Rule::new(Pos)),
    ("multiple_vol", Rule::vol()),
];
pub const STAKE: [&str; 6] = [
    "initial",
    "annual_dilution",
    "liquidity_discount",
    "random_rounds_per_year",
    "random_round_fraction",
    "rounds",
];
pub const REVENUE_SHARE: [&str; 4] = ["rate", "end_year", "cap", "base_includes_channel"];
pub const CHANNEL: [(&str, Rule); 6] = [
    ("addressable_share", Rule::new(Unit)),
    ("ceiling", Rule::new(Unit)),
    ("midpoint_year", Rule::new(Any)),
    ("ramp_speed", Rule::new(NonNeg)),
    ("incremental", Rule::new(Unit)),
    ("cloud_cannibalization", Rule::new(Unit)),
];
pub const CLOUD: [&str; 9] = [
    "model_revenue0",
    "model_margin",
    "share_to_company",
    "stop_paying",
    "compute_spend_ratio",
    "compute_share0",
    "compute_share_long",
    "compute_share_half_life",
    "compute_margin",
];
pub const DISCOUNT: [&str; 2] = ["rate", "equity_rate"];
pub const CORRELATION: [&str; 3] = ["revenue_growth", "revenue_multiple", "growth_multiple"];
/// `[licence]` (MODEL.md §6.1): `end` (a date) and four numbers, all required.
pub const LICENCE: [&str; 5] = [
    "end",
    "renewal_probability",
    "retention",
    "product_value0",
    "product_growth",
];
pub const LICENCE_NUMBERS: [(&str, Rule); 4] = [
    ("renewal_probability", Rule::new(Unit)),
    ("retention", Rule::new(Unit)),
    ("product_value0", Rule::money(NonNeg)),
    ("product_growth", Rule::new(GtM1)),
];
/// `[renegotiation]` (MODEL.md §6.3): `rate` and `haircut` required, `from` optional.
pub const RENEGOTIATION: [&str; 3] = ["rate", "from", "haircut"];
/// Keys of one `[[stake.rounds]]` table.
pub const ROUND: [&str; 3] = ["date", "amount", "probability"];

/// A required number-or-distribution; a placeholder when missing or bad (then a problem
/// has been recorded).
pub fn req_input(ck: &mut Checker, s: &Section<'_>, key: &str, rule: Rule) -> Input {
    s.required(ck, key)
        .and_then(|n| input(ck, n, &s.key_path(key), rule))
        .unwrap_or(Input::Const(0.0))
}

pub fn opt_input(ck: &mut Checker, s: &Section<'_>, key: &str, rule: Rule) -> Option<Input> {
    s.get(key)
        .and_then(|n| input(ck, n, &s.key_path(key), rule))
}

pub fn opt_input_or_zero(ck: &mut Checker, s: &Section<'_>, key: &str, rule: Rule) -> Input {
    opt_input(ck, s, key, rule).unwrap_or(Input::Const(0.0))
}

pub fn req_scheduled(
    ck: &mut Checker,
    s: &Section<'_>,
    key: &str,
    rule: Rule,
    start: Option<i32>,
) -> Scheduled {
    s.required(ck, key)
        .and_then(|n| scheduled(ck, n, &s.key_path(key), rule, start))
        .unwrap_or(Scheduled::Input(Input::Const(0.0)))
}

pub fn meta(ck: &mut Checker, s: &Section<'_>, label: &str) -> Meta {
    let mut m = Meta::default();
    if let Some(stem) = Path::new(label).file_stem().and_then(|x| x.to_str()) {
        if label != "<stdin>" && !stem.is_empty() {
            m.name = stem.to_string();
        }
    }
    let fields: [(&str, &mut String); 6] = [
        ("name", &mut m.name),
        ("description", &mut m.description),
        ("investor", &mut m.investor),
        ("company", &mut m.company),
        ("channel", &mut m.channel),
        ("cloud", &mut m.cloud),
    ];
    for (key, slot) in fields {
        if let Some(v) = s.get(key).and_then(|n| ck.string(n, &s.key_path(key))) {
            *slot = v;
        }
    }
    m
}

pub fn simulation(ck: &mut Checker, s: &Section<'_>) -> Option<Simulation> {
    let start_node = s.required(ck, "start_year");
    let start = start_node.and_then(|n| ck.year(n, "simulation.start_year"));
    let end_node = s.required(ck, "end_year");
    let end = end_node.and_then(|n| ck.year(n, "simulation.end_year"));
    if let (Some(a), Some(b), Some(sn), Some(en)) = (start, end, start_node, end_node) {
        let keys = [
            (&en.origin, "simulation.end_year"),
            (&sn.origin, "simulation.start_year"),
        ];
        if b < a {
            let msg = format!("{b} is before start_year {a}: must be >= start_year");
            ck.across(&keys, msg);
        }
        // Dates and schedules are checked against these two years.
        ck.horizon = keys.map(|(o, p)| (o.clone(), p)).to_vec();
    }
    let steps = s.required(ck, "steps_per_year").and_then(|n| {
        let k = ck.integer(n, "simulation.steps_per_year", i128::MIN, i128::MAX, "")?;
        if ![1, 2, 4, 12].contains(&k) {
            ck.bad(
                n,
                "simulation.steps_per_year",
                format!("{k} is not allowed: must be one of 1, 2, 4, 12"),
            );
            return None;
        }
        u32::try_from(k).ok()
    });
    let u64_key = |ck: &mut Checker, key: &str, lo: i128, what: &str, default: u64| match s.get(key)
    {
        None => Some(default),
        Some(n) => ck
            .integer(n, &s.key_path(key), lo, i128::from(u64::MAX), what)
            .and_then(|v| u64::try_from(v).ok()),
    };
    let paths = u64_key(ck, "paths", 1, "an integer >= 1", 10_000);
    let seed = u64_key(
        ck,
        "seed",
        0,
        "a non-negative integer (at most 2^64 - 1)",
        0,
    );
    let (start_year, end_year) = (start?, end?);
    if end_year < start_year {
        return None;
    }
    Some(Simulation {
        start_year,
        end_year,
        steps_per_year: steps?,
        paths: paths?,
        seed: seed?,
    })
}

pub fn company(ck: &mut Checker, s: &Section<'_>) -> Company {
    let v: Vec<Input> = COMPANY
        .iter()
        .map(|&(k, rule)| req_input(ck, s, k, rule))
        .collect();
    Company {
        revenue0: v[0],
        growth0: v[1],
        growth_long: v[2],
        growth_half_life: v[3],
        growth_vol: v[4],
        revenue_vol: v[5],
        valuation0: v[6],
        multiple_long: v[7],
        multiple_half_life: v[8],
        multiple_vol: v[9],
    }
}

pub fn stake(
    ck: &mut Checker,
    s: &Section<'_>,
    start: Option<i32>,
    horizon: Option<(Date, Date)>,
) -> Stake {
    let annual_dilution = match s.get("annual_dilution") {
        Some(n) => scheduled(ck, n, "stake.annual_dilution", Rule::new(NonNeg), start),
        None => None,
    };
    Stake {
        initial: req_input(ck, s, "initial", Rule::new(Unit)),
        annual_dilution: annual_dilution.unwrap_or(Scheduled::Input(Input::Const(0.0))),
        liquidity_discount: opt_input_or_zero(ck, s, "liquidity_discount", Rule::new(Unit)),
        random_rounds_per_year: opt_input_or_zero(
            ck,
            s,
            "random_rounds_per_year",
            Rule::new(NonNeg),
        ),
        random_round_fraction: opt_input_or_zero(ck, s, "random_round_fraction", Rule::new(NonNeg)),
        rounds: s
            .get("rounds")
            .map(|n| rounds(ck, n, horizon))
            .unwrap_or_default(),
    }
}

/// `[[stake.rounds]]`: each `date` (inside the horizon) and `amount` (>= 0, money);
/// returned in the order they apply: by date, same-date rounds as listed (stable sort).
pub fn rounds(ck: &mut Checker, node: &RawNode, horizon: Option<(Date, Date)>) -> Vec<Round> {
    let RawValue::Array(items) = &node.value else {
        let msg = format!(
            "expected an array of tables ([[stake.rounds]]), found {}",
            node.type_name()
        );
        ck.bad(node, "stake.rounds", msg);
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("stake.rounds[{i}]");
        let Some(entries) = ck.table(item, &path) else {
            continue;
        };
        ck.unknown_keys(entries, &path, &ROUND);
        let field = |ck: &mut Checker, key: &str| {
            let v = item.get(key);
            if v.is_none() && !misspelt(entries, &ROUND, key) {
                ck.bad(item, &format!("{path}.{key}"), "missing required key");
            }
            v
        };
        let date = field(ck, "date").and_then(|n| ck.date(n, &format!("{path}.date"), horizon));
        let amount = field(ck, "amount")
            .and_then(|n| input(ck, n, &format!("{path}.amount"), Rule::money(NonNeg)));
        // Optional (MODEL.md §6.2); a bad one drops the round, as a bad amount does.
        let probability = match item.get("probability") {
            None => Some(None),
            Some(n) => input(ck, n, &format!("{path}.probability"), Rule::new(Unit)).map(Some),
        };
        if let (Some(date), Some(amount), Some(probability)) = (date, amount, probability) {
            out.push(Round {
                date,
                amount,
                index: i,
                probability,
            });
        }
    }
    out.sort_by_key(|r| r.date);
    out
}

pub fn revenue_share(ck: &mut Checker, s: &Section<'_>, start: Option<i32>) -> RevenueShare {
    RevenueShare {
        rate: req_scheduled(ck, s, "rate", Rule::new(Unit), start),
        end_year: s
            .required(ck, "end_year")
            .and_then(|n| ck.year(n, "revenue_share.end_year"))
            .unwrap_or(0),
        cap: opt_input(ck, s, "cap", Rule::money(NonNeg)),
        base_includes_channel: s
            .required(ck, "base_includes_channel")
            .and_then(|n| ck.boolean(n, "revenue_share.base_includes_channel"))
            .unwrap_or(false),
    }
}

pub fn channel(ck: &mut Checker, s: &Section<'_>) -> Channel {
    let v: Vec<Input> = CHANNEL
        .iter()
        .map(|&(k, rule)| req_input(ck, s, k, rule))
        .collect();
    let c = Channel {
        addressable_share: v[0],
        ceiling: v[1],
        midpoint_year: v[2],
        ramp_speed: v[3],
        incremental: v[4],
        cloud_cannibalization: v[5],
    };
    // Checked on the support maxima, so no draw can break it (MODEL.md §4).
    let (a, b) = (
        support_max(&c.incremental),
        support_max(&c.cloud_cannibalization),
    );
    if let (Some(i), Some(n)) = (s.get("incremental"), s.get("cloud_cannibalization")) {
        if a + b > 1.0 + 1e-12 {
            let msg = format!(
                "incremental + cloud_cannibalization can reach {a} + {b} = {}: must be <= 1",
                a + b
            );
            let keys = [
                (&n.origin, "channel.cloud_cannibalization"),
                (&i.origin, "channel.incremental"),
            ];
            ck.across(&keys, msg);
        }
    }
    c
}

pub fn cloud(
    ck: &mut Checker,
    s: &Section<'_>,
    start: Option<i32>,
    horizon: Option<(Date, Date)>,
) -> Cloud {
    Cloud {
        model_revenue0: req_input(ck, s, "model_revenue0", Rule::money(NonNeg)),
        model_margin: req_scheduled(ck, s, "model_margin", Rule::new(Unit), start),
        share_to_company: req_input(ck, s, "share_to_company", Rule::new(Unit)),
        stop_paying: s
            .get("stop_paying")
            .and_then(|n| ck.date(n, "cloud.stop_paying", horizon)),
        compute_spend_ratio: req_scheduled(ck, s, "compute_spend_ratio", Rule::new(NonNeg), start),
        compute_share0: req_input(ck, s, "compute_share0", Rule::new(Unit)),
        compute_share_long: req_input(ck, s, "compute_share_long", Rule::new(Unit)),
        compute_share_half_life: req_input(ck, s, "compute_share_half_life", Rule::new(Pos)),
        compute_margin: req_scheduled(ck, s, "compute_margin", Rule::new(Unit), start),
    }
}

pub fn discount(ck: &mut Checker, s: &Section<'_>) -> Discount {
    Discount {
        rate: req_input(ck, s, "rate", Rule::new(GtM1)),
        equity_rate: opt_input(ck, s, "equity_rate", Rule::new(GtM1)),
    }
}

/// `[correlation]`: constants in [-1, 1] (not distributions) forming a PSD matrix.
pub fn correlation(ck: &mut Checker, s: &Section<'_>) -> Correlation {
    let mut v = [Some(0.0); 3];
    for (slot, key) in v.iter_mut().zip(CORRELATION) {
        let Some(n) = s.get(key) else { continue };
        let path = s.key_path(key);
        *slot = match n.value {
            RawValue::Table(_) => {
                ck.bad(
                    n,
                    &path,
                    "a correlation must be a constant, not a distribution",
                );
                None
            }
            _ => ck.number(n, &path).filter(|x| {
                let ok = (-1.0..=1.0).contains(x);
                if !ok {
                    ck.bad(n, &path, format!("{x} is out of range: must be in [-1, 1]"));
                }
                ok
            }),
        };
    }
    let [Some(a), Some(b), Some(c)] = v else {
        return Correlation::default();
    };
    let corr = Correlation {
        revenue_growth: a,
        revenue_multiple: b,
        growth_multiple: c,
    };
    if corr.try_cholesky().is_none() {
        let msg = format!(
            "[correlation] revenue_growth = {a}, revenue_multiple = {b}, growth_multiple = {c}: not a valid correlation matrix (not positive semi-definite)"
        );
        // Blamed on a pair set by `--set` if any (the change that broke the matrix), else
        // on the section.
        let paths: Vec<(String, Option<&RawNode>)> = CORRELATION
            .iter()
            .map(|k| (s.key_path(k), s.get(k)))
            .collect();
        let mut keys = vec![(&s.origin, "correlation")];
        for (p, n) in &paths {
            if let Some(n) = n.filter(|n| n.origin.set_arg.is_some()) {
                keys.push((&n.origin, p.as_str()));
            }
        }
        ck.across(&keys, msg);
    }
    corr
}

/// `[licence]`, when the section is there. `end` must be on or after the first day of the
/// horizon; a date after its last day is fine (the licence then covers every period).
pub fn licence(
    ck: &mut Checker,
    s: &Section<'_>,
    horizon: Option<(Date, Date)>,
) -> Option<Licence> {
    s.node?;
    let end = s.required(ck, "end").and_then(|n| {
        let d = ck.date(n, "licence.end", None)?;
        match horizon {
            Some((first, _)) if d < first => {
                let msg =
                    format!("{d} is before the simulation starts: must be on or after {first}");
                ck.bad(n, "licence.end", msg);
                None
            }
            _ => Some(d),
        }
    });
    let v: Vec<Input> = LICENCE_NUMBERS
        .iter()
        .map(|&(k, rule)| req_input(ck, s, k, rule))
        .collect();
    Some(Licence {
        // A placeholder only when a problem has been recorded.
        end: end.unwrap_or(Date::new(2000, 1, 1)?),
        renewal_probability: v[0],
        retention: v[1],
        product_value0: v[2],
        product_growth: v[3],
    })
}

/// `[renegotiation]`, when the section is there; `from` must lie in the horizon.
pub fn renegotiation(
    ck: &mut Checker,
    s: &Section<'_>,
    horizon: Option<(Date, Date)>,
) -> Option<Renegotiation> {
    s.node?;
    Some(Renegotiation {
        rate: req_input(ck, s, "rate", Rule::new(NonNeg)),
        from: s
            .get("from")
            .and_then(|n| ck.date(n, "renegotiation.from", horizon)),
        haircut: req_input(ck, s, "haircut", Rule::new(Unit)),
    })
}
