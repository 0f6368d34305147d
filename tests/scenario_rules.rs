//! Validation rules that involve dates, the time grid or several keys: the simulation
//! grid, dates inside the horizon, round order, `incremental + cloud_cannibalization <= 1`,
//! the correlation matrix, and all problems of a file reported at once.

mod common;

use common::scenario_edits::*;
use dealsim::scenario::{parse_str, Input, ScenarioError};

#[test]
fn simulation_rules() {
    bad(
        "simulation",
        "steps_per_year",
        "3",
        "must be one of 1, 2, 4, 12",
    );
    for k in [1, 2, 4, 12] {
        assert_eq!(
            ok(&set(GOOD, "simulation", "steps_per_year", &k.to_string()))
                .simulation
                .steps_per_year,
            k
        );
    }
    bad("simulation", "end_year", "2025", "before start_year 2026");
    bad("simulation", "start_year", "1800", "a year in [1900, 2200]");
    bad("revenue_share", "end_year", "30", "a year in [1900, 2200]");
    bad("simulation", "paths", "0", "must be an integer >= 1");
    bad("simulation", "seed", "-1", "non-negative integer");
    bad("simulation", "seed", "1.5", "expected an integer");
    let s = ok(&set(
        &set(GOOD, "simulation", "seed", "18446744073709551615"),
        "simulation",
        "paths",
        "7",
    ));
    assert_eq!((s.simulation.seed, s.simulation.paths), (u64::MAX, 7));
    bad("simulation", "seed", "18446744073709551616", "out of range");
    ok(&set(GOOD, "simulation", "end_year", "2026")); // one-year horizon
}

#[test]
fn dates_must_be_bare_toml_dates_inside_the_horizon() {
    bad(
        "cloud",
        "stop_paying",
        "\"2026-04-27\"",
        "write it as a bare TOML date",
    );
    bad(
        "cloud",
        "stop_paying",
        "2026-04-27T00:00:00",
        "bare date without a time, like 2026-04-27",
    );
    bad(
        "cloud",
        "stop_paying",
        "2025-12-31",
        "outside the simulation horizon: must be in [2026-01-01, 2030-12-31]",
    );
    bad(
        "cloud",
        "stop_paying",
        "2031-01-01",
        "outside the simulation horizon",
    );
    bad("cloud", "stop_paying", "20260427", "expected a date");
    let s = ok(&set(GOOD, "cloud", "stop_paying", "2030-12-31"));
    assert_eq!(
        s.cloud.stop_paying.map(|d| d.to_string()).as_deref(),
        Some("2030-12-31")
    );
    let bad_round = format!("{GOOD}\n[[stake.rounds]]\ndate = \"2027-01-01\"\namount = 5.0\n");
    let p = only(&bad_round, "stake.rounds[0].date", "bare TOML date");
    assert_eq!(
        p.line,
        Some(
            bad_round
                .lines()
                .position(|l| l.starts_with("date ="))
                .unwrap()
                + 1
        )
    );
    let late = format!("{GOOD}\n[[stake.rounds]]\ndate = 2031-01-01\namount = 5.0\n");
    only(
        &late,
        "stake.rounds[0].date",
        "outside the simulation horizon",
    );
}

#[test]
fn rounds_are_sorted_by_date_keeping_file_order_on_ties() {
    let rounds = "
[[stake.rounds]]
date = 2028-01-01
amount = 3.0
[[stake.rounds]]
date = 2027-06-30
amount = 1.0
[[stake.rounds]]
date = 2027-06-30
amount = 2.0
";
    let s = ok(&format!("{GOOD}{rounds}"));
    let got: Vec<(String, Input)> = s
        .stake
        .rounds
        .iter()
        .map(|r| (r.date.to_string(), r.amount))
        .collect();
    assert_eq!(
        got,
        [
            ("2027-06-30".to_string(), Input::Const(1.0)),
            ("2027-06-30".to_string(), Input::Const(2.0)),
            ("2028-01-01".to_string(), Input::Const(3.0)),
        ]
    );
    only(
        &format!("{GOOD}\n[[stake.rounds]]\ndate = 2027-06-30\n"),
        "stake.rounds[0].amount",
        "missing required key",
    );
    only(
        &format!("{GOOD}\n[[stake.rounds]]\ndate = 2027-06-30\namount = -1\n"),
        "stake.rounds[0].amount",
        "must be >= 0",
    );
    only(
        &set(GOOD, "stake", "rounds", "5"),
        "stake.rounds",
        "expected an array of tables",
    );
}

#[test]
fn incremental_plus_cannibalization_at_most_one() {
    let text = set(
        &set(GOOD, "channel", "incremental", "0.7"),
        "channel",
        "cloud_cannibalization",
        "0.4",
    );
    only_at(&text, "channel", "cloud_cannibalization", "must be <= 1");
    ok(&set(
        &set(GOOD, "channel", "incremental", "0.7"),
        "channel",
        "cloud_cannibalization",
        "0.3",
    ));
    // The rule holds for the largest values a distribution can draw, not its mode.
    let tri = "{ dist = \"triangular\", low = 0.1, mode = 0.3, high = 0.65 }";
    let text = set(
        &set(GOOD, "channel", "incremental", "0.4"),
        "channel",
        "cloud_cannibalization",
        tri,
    );
    only_at(&text, "channel", "cloud_cannibalization", "0.4 + 0.65");
}

#[test]
fn correlations_are_in_range_and_positive_semidefinite() {
    bad("correlation", "revenue_growth", "1.2", "must be in [-1, 1]");
    let text = set_all(
        GOOD,
        &[
            ("correlation", "revenue_growth", "0.9"),
            ("correlation", "revenue_multiple", "0.9"),
            ("correlation", "growth_multiple", "-0.9"),
        ],
    );
    let p = only(&text, "correlation", "not positive semi-definite");
    assert!(
        p.message.contains("[correlation]")
            && p.message.contains("0.9")
            && p.message.contains("-0.9"),
        "{p}"
    );
    assert_eq!(p.line, Some(line_of(&text, "correlation", "")));
    // Singular but PSD (a correlation of 1) is accepted and factors.
    let s = ok(&set(
        &s_text_with_growth_multiple(),
        "correlation",
        "revenue_growth",
        "1.0",
    ));
    let l = dealsim::scenario::cholesky(&s.correlation);
    let m = s.correlation.matrix();
    for i in 0..3 {
        for j in 0..3 {
            let x: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
            assert!((x - m[i][j]).abs() < 1e-12);
        }
    }
    let d = "{ dist = \"uniform\", low = 0.1, high = 0.2 }";
    only(
        &set(GOOD, "correlation", "revenue_growth", d),
        "correlation.revenue_growth",
        "must be a constant",
    );
    only(
        &set(GOOD, "correlation", "revenue_grwth", "0.1"),
        "correlation.revenue_grwth",
        "did you mean revenue_growth?",
    );
}

/// revenue_multiple = growth_multiple = 0.5: with revenue_growth = 1 the matrix is PSD.
fn s_text_with_growth_multiple() -> String {
    set(
        &set(GOOD, "correlation", "revenue_multiple", "0.5"),
        "correlation",
        "growth_multiple",
        "0.5",
    )
}

#[test]
fn all_problems_are_reported_at_once_sorted_by_line() {
    let text = set_all(
        GOOD,
        &[
            ("channel", "ceiling", "1.4"),
            ("company", "grwoth0", "1"),
            ("simulation", "steps_per_year", "5"),
        ],
    );
    let e: ScenarioError = parse_str(&text, "scenarios/x.toml").unwrap_err();
    assert_eq!(e.problems.len(), 3, "{e}");
    let keys: Vec<&str> = e.problems.iter().map(|p| p.key_path.as_str()).collect();
    assert_eq!(
        keys,
        [
            "simulation.steps_per_year",
            "company.grwoth0",
            "channel.ceiling"
        ]
    );
    let shown = e.to_string();
    let line = line_of(&text, "channel", "ceiling");
    assert!(
        shown.lines().any(|l| l == format!("error: scenarios/x.toml: channel.ceiling (line {line}): 1.4 is out of range: must be in [0, 1]")),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 3);
}
