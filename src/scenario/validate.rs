//! The validation stage: a merged raw tree -> a checked [`Scenario`], or every problem.
//!
//! Each section is read by one function of `sections`; each key is checked for type,
//! bounds and range (see `inputs`), then the cross-key rules run (horizon of dates, first
//! schedule year, `incremental + cloud_cannibalization <= 1`, correlation PSD). Nothing
//! stops at the first problem. Placeholder values stand in for bad ones so the walk can
//! go on; they never escape, because any problem makes the result an error.

use std::collections::HashSet;

use super::check::{Checker, Section};
use super::error::{unknown_key_message, Problem, ScenarioError};
use super::input_correlation::input_correlation;
use super::raw::{Origin, RawNode};
use super::sections::*;
use super::table;
use super::types::*;
use crate::date::Date;

/// Required keys of each section, for the one problem reported when a section is missing
/// (none for the optional sections).
fn required_keys(section: &str) -> Vec<&'static str> {
    match section {
        "simulation" => SIMULATION[..3].to_vec(),
        "licence" | "renegotiation" => Vec::new(),
        s => table::required_keys(s),
    }
}

/// Checks a merged raw tree. `label` names the main file: missing sections are reported
/// against it, and `meta.name` defaults to its stem.
pub fn validate(raw: &RawNode, label: &str) -> Result<Scenario, ScenarioError> {
    let mut ck = Checker::for_file(label);
    let root_origin = Origin::new(&raw.origin.file, None);
    let Some(entries) = ck.table(raw, "") else {
        return Err(ScenarioError::new(ck.problems));
    };
    for (k, v) in entries {
        if k == "extends" {
            // Only reachable through `--set extends=...`: files resolve it before this.
            ck.bad(
                v,
                k,
                "extends is read from scenario files only; it cannot be set here",
            );
        } else if !SECTIONS.contains(&k.as_str()) {
            let msg = misplaced_key(k).unwrap_or_else(|| unknown_key_message(k, &SECTIONS));
            ck.bad(v, k, msg);
        }
    }
    // Every section but `[[input_correlation]]` (read last, against the inputs), in
    // file order: `[meta]`, `[simulation]`, then the input sections with `[correlation]`.
    let sections: Vec<Section<'_>> = SECTIONS
        .iter()
        .filter(|&&name| name != "input_correlation")
        .map(|&name| open_section(&mut ck, raw, &root_origin, name, &known_keys(name)))
        .collect();
    let present = |name: &str| sections.iter().any(|s| s.path == name && s.node.is_some());
    let (meta_s, sim_s) = (&sections[0], &sections[1]);

    let meta = meta(&mut ck, meta_s, label);
    let sim = simulation(&mut ck, sim_s);
    let start = sim.map(|s| s.start_year);
    let horizon = sim.and_then(|s| {
        Some((
            Date::new(s.start_year, 1, 1)?,
            Date::new(s.end_year, 12, 31)?,
        ))
    });
    // Placeholders, filled in key by key from the table; a key that cannot be read keeps
    // its placeholder, and its problem makes the result an error.
    let mut sc = Scenario {
        meta,
        simulation: sim.unwrap_or(Simulation {
            start_year: 0,
            end_year: 0,
            steps_per_year: 1,
            paths: 1,
            seed: 0,
        }),
        company: Company::default(),
        stake: Stake::default(),
        revenue_share: RevenueShare::default(),
        channel: Channel::default(),
        cloud: Cloud::default(),
        discount: Discount::default(),
        correlation: Correlation::default(),
        licence: present("licence").then(Licence::default),
        renegotiation: present("renegotiation").then(Renegotiation::default),
        input_correlation: Vec::new(),
    };
    // In file order (problems on one line are reported in reading order).
    for s in &sections[2..] {
        match s.path {
            "correlation" => sc.correlation = correlation(&mut ck, s),
            "stake" => {
                read_inputs(&mut ck, s, &mut sc, start, horizon);
                if let Some(n) = s.get("rounds") {
                    sc.stake.rounds = rounds(&mut ck, n, horizon);
                }
            }
            "channel" => {
                read_inputs(&mut ck, s, &mut sc, start, horizon);
                channel_check(&mut ck, s, &sc.channel);
            }
            _ => read_inputs(&mut ck, s, &mut sc, start, horizon),
        }
    }
    let bad: HashSet<String> = ck.problems.iter().map(|p| p.key_path.clone()).collect();
    sc.input_correlation =
        input_correlation(&mut ck, raw.get("input_correlation"), &sc.inputs(), &bad);
    if !ck.problems.is_empty() {
        return Err(ScenarioError::new(ck.problems));
    }
    if sim.is_none() {
        // Unreachable: a missing simulation always records a problem. Still no panic.
        return Err(ScenarioError::single(Problem::new(
            label,
            "simulation",
            None,
            "invalid [simulation]",
        )));
    }
    Ok(sc)
}

/// Looks up a section, checks it is a table and has only known keys; a missing section
/// with required keys is one problem listing them.
fn open_section<'a>(
    ck: &mut Checker,
    raw: &'a RawNode,
    root_origin: &Origin,
    name: &'static str,
    known: &[&'static str],
) -> Section<'a> {
    let node = raw.get(name).filter(|n| ck.table(n, name).is_some());
    if let Some(n) = node {
        ck.unknown_keys(n.as_table().unwrap_or(&[]), name, known);
    } else if raw.get(name).is_none() && !required_keys(name).is_empty() {
        let msg = format!(
            "missing section [{name}] (required keys: {})",
            required_keys(name).join(", ")
        );
        ck.at(root_origin, name, msg);
    }
    let origin = node.map_or_else(|| root_origin.clone(), |n| n.origin.clone());
    Section {
        path: name,
        node,
        origin,
        known: known.to_vec(),
    }
}

/// A top-level key that belongs in a section (`paths = 5` at the top): say where (the
/// first section that has it: `end_year` is `simulation.end_year`).
fn misplaced_key(k: &str) -> Option<String> {
    let s = SECTIONS.into_iter().find(|s| known_keys(s).contains(&k))?;
    Some(format!(
        "unknown top-level key; did you mean {s}.{k} (under [{s}])?"
    ))
}
