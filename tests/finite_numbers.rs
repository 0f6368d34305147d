//! Finite numbers or a clear error (issue 13, item 3): validation refuses volatilities and
//! lognormal sigmas the model cannot carry, naming key, value and range; a scenario that
//! validates but runs away stops with exit 1 naming the metric, the period, the path and
//! the inputs that drive it; anything that does finish writes only finite numbers.

mod common;

use common::{sized, with, DET};
use dealsim::engine::guard::{CARRY_MAX, LEDGER_MAX};
use dealsim::engine::{self, EngineError, RunOptions};
use dealsim::report::csv;

/// The one problem of an invalid scenario, as text.
fn refused(text: &str) -> String {
    match dealsim::scenario::parse_str(text, "slip.toml") {
        Ok(_) => panic!("scenario validated:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn accepted(text: &str) {
    if let Err(e) = dealsim::scenario::parse_str(text, "ok.toml") {
        panic!("scenario refused: {e}\n{text}");
    }
}

fn run(text: &str, paths: u64, keep: bool) -> Result<engine::RunOutput, EngineError> {
    let sc = sized(&common::parse(text), paths, 11);
    engine::run(
        &sc,
        &RunOptions {
            threads: 1,
            keep_paths: keep,
            progress: None,
            cancel: None,
        },
    )
}

/// Every numeric cell is a finite number within the carry bound (no empty cell, NaN,
/// inf or 300-digit number); `allow_empty` names columns that may be empty.
fn check_csv(name: &str, bytes: &[u8], text_cols: &[&str], allow_empty: &[&str]) {
    for (h, cell, v) in common::numeric_cells(name, bytes, text_cols, allow_empty) {
        assert!(
            v.is_finite() && v.abs() <= CARRY_MAX,
            "{name}: column {h}: {cell}"
        );
    }
}

fn check_all_csv(o: &engine::RunOutput) {
    let s = &o.summary;
    check_csv(
        "summary.csv",
        &csv::summary_csv(s),
        &["metric", "unit"],
        &[],
    );
    check_csv(
        "timeseries.csv",
        &csv::timeseries_csv(s),
        &["period_end", "metric", "unit"],
        &[],
    );
    check_csv(
        "cashflows.csv",
        &csv::cashflows_csv(s),
        &["period_end"],
        &[],
    );
    check_csv("cap_hits.csv", &csv::cap_hits_csv(s), &[], &[]);
    if let Some(t) = &o.paths {
        check_csv(
            "paths.csv",
            &csv::paths_csv(t),
            &[],
            &["cap_hit_year", "renegotiation_year"],
        );
    }
}

/// The reported slip: growth_vol = 20 for 0.20 validated and wrote empty cells. Each
/// volatility is now refused above 5, naming the file, key, value and range, as a
/// constant and as any distribution parameter; 5 itself is accepted.
#[test]
fn volatilities_above_5_are_refused_naming_file_key_value_and_range() {
    for key in ["growth_vol", "revenue_vol", "multiple_vol"] {
        let msg = refused(&with(DET, "company", key, "20"));
        for part in [
            "slip.toml",
            &format!("company.{key}"),
            "20 is too large",
            "[0, 5]",
        ] {
            assert!(msg.contains(part), "{key}: {part:?} missing in: {msg}");
        }
        refused(&with(DET, "company", key, "5.000001"));
        accepted(&with(DET, "company", key, "5"));
        let msg = refused(&with(
            DET,
            "company",
            key,
            "{ dist = \"uniform\", low = 0.1, high = 20 }",
        ));
        assert!(msg.contains(&format!("company.{key}.high")), "{msg}");
        accepted(&with(
            DET,
            "company",
            key,
            "{ dist = \"uniform\", low = 0.1, high = 5 }",
        ));
    }
}

/// A lognormal's support is (0, inf) whatever its sigma, so the support rule cannot
/// bound it: sigma is bounded instead, on money keys and all others.
#[test]
fn lognormal_sigma_above_3_is_refused_on_every_key() {
    for (section, key, median) in [
        ("company", "revenue0", "20"),
        ("company", "valuation0", "500"),
        ("cloud", "model_revenue0", "5"),
        ("revenue_share", "cap", "12.5"),
        ("company", "multiple_long", "12"),
    ] {
        let d =
            |sigma: &str| format!("{{ dist = \"lognormal\", median = {median}, sigma = {sigma} }}");
        let msg = refused(&with(DET, section, key, &d("1000")));
        for part in [
            format!("{section}.{key}"),
            "sigma 1000 is too large".to_string(),
            "[0, 3]".to_string(),
        ] {
            assert!(msg.contains(&part), "{key}: {part:?} missing in: {msg}");
        }
        refused(&with(DET, section, key, &d("3.01")));
        accepted(&with(DET, section, key, &d("3")));
    }
}

/// At the edge of what validation accepts, runs finish with finite numbers in every CSV
/// cell (here: every money input lognormal with sigma 3, all vols at 0.5) — or stop with
/// the guard's error; never NaN, inf or an empty cell.
#[test]
fn runs_at_the_validation_edges_write_only_finite_numbers() {
    let mut t = DET.to_string();
    for (s, k, m) in [
        ("company", "revenue0", "20"),
        ("company", "valuation0", "500"),
        ("cloud", "model_revenue0", "5"),
        ("revenue_share", "cap", "12.5"),
    ] {
        let d = format!("{{ dist = \"lognormal\", median = {m}, sigma = 3 }}");
        t = with(&t, s, k, &d);
    }
    for k in ["growth_vol", "revenue_vol", "multiple_vol"] {
        t = with(&t, "company", k, "0.5");
    }
    match run(&t, 3000, true) {
        Ok(o) => check_all_csv(&o),
        Err(EngineError::NotCarried(msg)) => assert!(msg.contains("in the period"), "{msg}"),
        Err(e) => panic!("{e}"),
    }
}

/// Constant growth of 100 % a year, no channel, the multiple at its long-run level from
/// the start: company_valuation = 12 * 20 * 2^(k/4) exactly, which first exceeds 1e15 in
/// period k = 168 (2^42 * 240 = 1.056e15; period 167 gives 8.9e14), the quarter ending
/// 2067-12-31. The run stops there, naming the metric, the period, the path and the
/// inputs that drive it; the same scenario ending in 2066 runs and is finite throughout.
#[test]
fn runaway_growth_stops_with_the_metric_period_and_driving_inputs() {
    let mut t = with(DET, "simulation", "end_year", "2080");
    t = with(&t, "company", "growth0", "1.0");
    t = with(&t, "company", "growth_long", "1.0");
    t = with(&t, "company", "valuation0", "240.0");
    t = with(&t, "channel", "ceiling", "0.0");
    let Err(EngineError::NotCarried(msg)) = run(&t, 3, false) else {
        panic!("the run did not stop");
    };
    for part in [
        "company_valuation is ",
        "in the period ending 2067-12-31",
        "on path 0",
        "company.growth0 = 1\n",
        "company.growth_long = 1\n",
        "company.multiple_vol = 0\n",
    ] {
        assert!(msg.contains(part), "{part:?} missing in: {msg}");
    }
    let value: f64 = msg
        .split("company_valuation is ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("value in the message");
    let want = 240.0 * 2f64.powi(42);
    assert!((value / want - 1.0).abs() < 1e-9, "{value} vs {want}");

    let ok = with(&t, "simulation", "end_year", "2066");
    let o = run(&ok, 3, true).expect("ends before the bound");
    check_all_csv(&o);
}

/// The revenue-share ledger keeps cents in an i64: its cumulative total must stay below
/// 9e7 USD bn. Rate 1 on core revenue 20 * 2^(k/4) (no cap) pays 5 * 2^(k/4) a quarter;
/// the cumulative sum 5 * 2^(1/4) (2^(k/4) - 1)/(2^(1/4) - 1) first exceeds 9e7 at
/// k = 86 (2^21.5 = 2.97e6 > 2.86e6 > 2^21.25), the quarter ending 2047-06-30.
#[test]
fn the_cent_ledger_stops_the_run_before_it_saturates() {
    let mut t = with(DET, "simulation", "end_year", "2080");
    t = with(&t, "company", "growth0", "1.0");
    t = with(&t, "company", "growth_long", "1.0");
    t = with(&t, "company", "valuation0", "240.0");
    t = with(&t, "channel", "ceiling", "0.0");
    t = with(&t, "revenue_share", "rate", "1.0");
    t = with(&t, "revenue_share", "end_year", "2080");
    t = t.replace("cap = 12.5\n", "");
    let Err(EngineError::NotCarried(msg)) = run(&t, 2, false) else {
        panic!("the run did not stop");
    };
    for part in [
        "revenue_share_cumulative is ",
        "in the period ending 2047-06-30",
        "ledger",
        "revenue_share.rate = 1\n",
    ] {
        assert!(msg.contains(part), "{part:?} missing in: {msg}");
    }
    assert!(LEDGER_MAX < i64::MAX as f64 / 1e11);
}

/// End to end: the slip is refused before anything is written (exit 2), and a runaway
/// scenario that validates stops with exit 1 and writes nothing, also with
/// `--attribute channel` (which used to hang in the chart code).
#[test]
fn cli_refuses_the_slip_and_stops_a_runaway_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let b = common::base_path();
    let dealsim = |args: &[&str]| common::bin(tmp.path()).args(args).output().unwrap();
    let o = dealsim(&[
        "run",
        b.to_str().unwrap(),
        "--set",
        "company.growth_vol=20",
        "--paths",
        "500",
        "-q",
        "--out",
        "out",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("company.growth_vol") && err.contains("[0, 5]"),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());

    let o = dealsim(&[
        "run",
        b.to_str().unwrap(),
        "--set",
        "company.growth_long=1000",
        "--set",
        "simulation.end_year=2100",
        "--paths",
        "500",
        "-q",
        "--attribute",
        "channel",
        "--out",
        "out",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for part in [
        "cannot carry",
        "in the period ending",
        "company.growth_long = 1000",
    ] {
        assert!(err.contains(part), "{part:?} missing in: {err}");
    }
    assert!(!tmp.path().join("out").exists());
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "something was written"
    );
}
