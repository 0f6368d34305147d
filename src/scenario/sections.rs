//! Readers for each section of a scenario (MODEL.md §4). The keys of the input sections
//! (their ranges, defaults and places in the typed scenario) come from `table`; here are
//! the readers of what is not a plain number (years, dates, a flag, rounds, `[meta]`,
//! `[simulation]`, `[correlation]`) and the checks that involve several keys
//! (`incremental + cloud_cannibalization <= 1`, the correlation matrix, round order).
//!
//! Each reader returns a value even when keys are bad (placeholders stand in), having
//! recorded every problem; `validate` turns any problem into an error.

use std::path::Path;

use super::check::{misspelt, Checker, Section};
use super::dist::support_max;
use super::inputs::{input, scheduled, Range, Rule};
use super::raw::{RawNode, RawValue};
use super::table::{self, InputId, Need, Slot};
use super::types::*;
use crate::date::Date;

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
pub const CORRELATION: [&str; 3] = ["revenue_growth", "revenue_multiple", "growth_multiple"];
/// The rules of a round's `amount` (money, >= 0) and `probability` ([0, 1]).
pub const ROUND_AMOUNT: Rule = Rule::money(Range::NonNegative);
pub const ROUND_PROBABILITY: Rule = Rule::new(Range::Unit);
/// Keys of one `[[stake.rounds]]` table.
pub const ROUND: [&str; 3] = ["date", "amount", "probability"];

/// Reads every key of section `s` that the table lists, in table order (the order
/// problems on one line are reported in), into `sc`: number inputs through their rule and
/// slot, the others through [`other`]. Keys of an absent optional section are skipped
/// (their accessors have nowhere to write).
pub fn read_inputs(
    ck: &mut Checker,
    s: &Section<'_>,
    sc: &mut Scenario,
    start: Option<i32>,
    horizon: Option<(Date, Date)>,
) {
    for d in table::section(s.path) {
        let key = d.split().1;
        if matches!(d.slot, Slot::Other { .. }) {
            other(ck, s, sc, d.id, horizon);
            continue;
        }
        let node = match d.need {
            Need::Required => s.required(ck, key),
            _ => s.get(key),
        };
        let default = match d.need {
            Need::Default(x) => Some(Input::Const(x)),
            _ => None,
        };
        match &d.slot {
            Slot::Scheduled(a) => {
                let v = match node {
                    Some(n) => scheduled(ck, n, d.key, d.rule, start),
                    None => default.map(Scheduled::Input),
                };
                if let (Some(v), Some(slot)) = (v, (a.get_mut)(sc)) {
                    *slot = v;
                }
            }
            Slot::Input(a) => {
                let v = match node {
                    Some(n) => input(ck, n, d.key, d.rule),
                    None => default,
                };
                if let (Some(v), Some(slot)) = (v, (a.get_mut)(sc)) {
                    *slot = v;
                }
            }
            Slot::Optional(a) => {
                let v = node.and_then(|n| input(ck, n, d.key, d.rule));
                if let (Some(v), Some(slot)) = (v, (a.get_mut)(sc)) {
                    *slot = Some(v);
                }
            }
            Slot::Other { .. } => {}
        }
    }
}

/// The keys of the input sections that are not numbers, each with its own check.
fn other(
    ck: &mut Checker,
    s: &Section<'_>,
    sc: &mut Scenario,
    id: InputId,
    horizon: Option<(Date, Date)>,
) {
    let path = id.key();
    match id {
        InputId::RevenueShareEndYear => {
            sc.revenue_share.end_year = s
                .required(ck, "end_year")
                .and_then(|n| ck.year(n, path))
                .unwrap_or(0);
        }
        InputId::RevenueShareBaseIncludesChannel => {
            sc.revenue_share.base_includes_channel = s
                .required(ck, "base_includes_channel")
                .and_then(|n| ck.boolean(n, path))
                .unwrap_or(false);
        }
        InputId::CloudStopPaying => {
            sc.cloud.stop_paying = s.get("stop_paying").and_then(|n| ck.date(n, path, horizon));
        }
        InputId::LicenceEnd => {
            // On or after the first day of the horizon; a date after its last day is fine
            // (the licence then covers every period).
            let end = s.required(ck, "end").and_then(|n| {
                let d = ck.date(n, path, None)?;
                match horizon {
                    Some((first, _)) if d < first => {
                        let msg = format!(
                            "{d} is before the simulation starts: must be on or after {first}"
                        );
                        ck.bad(n, path, msg);
                        None
                    }
                    _ => Some(d),
                }
            });
            // A placeholder stays only when a problem has been recorded.
            if let (Some(end), Some(l)) = (end, sc.licence.as_mut()) {
                l.end = end;
            }
        }
        InputId::RenegotiationFrom => {
            let from = s.get("from").and_then(|n| ck.date(n, path, horizon));
            if let Some(r) = sc.renegotiation.as_mut() {
                r.from = from;
            }
        }
        // Every other row is a number, read by `read_inputs`.
        _ => {}
    }
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
        let amount =
            field(ck, "amount").and_then(|n| input(ck, n, &format!("{path}.amount"), ROUND_AMOUNT));
        // Optional (MODEL.md §6.2); a bad one drops the round, as a bad amount does.
        let probability = match item.get("probability") {
            None => Some(None),
            Some(n) => input(ck, n, &format!("{path}.probability"), ROUND_PROBABILITY).map(Some),
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

/// `incremental + cloud_cannibalization <= 1`, checked on the support maxima so that no
/// draw can break it (MODEL.md §4): why it fails, if it does.
pub fn channel_sum_problem(c: &Channel) -> Option<String> {
    let (a, b) = (
        support_max(&c.incremental),
        support_max(&c.cloud_cannibalization),
    );
    (a + b > 1.0 + 1e-12).then(|| {
        format!(
            "incremental + cloud_cannibalization can reach {a} + {b} = {}: must be <= 1",
            a + b
        )
    })
}

/// The cross-key check of `[channel]`, blamed on both keys (when both are written).
pub fn channel_check(ck: &mut Checker, s: &Section<'_>, c: &Channel) {
    if let (Some(i), Some(n)) = (s.get("incremental"), s.get("cloud_cannibalization")) {
        if let Some(msg) = channel_sum_problem(c) {
            let keys = [
                (&n.origin, "channel.cloud_cannibalization"),
                (&i.origin, "channel.incremental"),
            ];
            ck.across(&keys, msg);
        }
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

/// The keys a section may hold: the table's for the input sections (plus `rounds` in
/// `[stake]`), the lists above for the others.
pub fn known_keys(section: &str) -> Vec<&'static str> {
    match section {
        "meta" => META.to_vec(),
        "simulation" => SIMULATION.to_vec(),
        "correlation" => CORRELATION.to_vec(),
        "stake" => {
            let mut k = table::section_keys(section);
            k.push("rounds");
            k
        }
        _ => table::section_keys(section),
    }
}
