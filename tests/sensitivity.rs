//! `dealsim sensitivity` and `run --attribute channel`, end to end.

mod common;

use common::{csv_body, dealsim_ok};

use std::path::Path;
use std::process::Output;

/// Write `text` as `s.toml` in `dir` and run `dealsim <command> s.toml --out o -q` plus
/// `extra`; the run must succeed.
fn run_ok(dir: &Path, text: &str, command: &str, extra: &[&str]) -> Output {
    std::fs::write(dir.join("s.toml"), text).unwrap();
    let mut args = vec![command, "s.toml", "-q", "--out", "o"];
    args.extend_from_slice(extra);
    dealsim_ok(&args, dir)
}

#[test]
fn a_single_monotone_uncertain_input_ranks_first() {
    let dir = tempfile::tempdir().unwrap();
    // pv_stake is proportional to stake.initial and nothing else is uncertain or volatile.
    let text = common::with(
        common::DET,
        "stake",
        "initial",
        r#"{ dist = "uniform", low = 0.1, high = 0.4 }"#,
    );
    run_ok(
        dir.path(),
        &text,
        "sensitivity",
        &["--paths", "400", "--charts", "svg"],
    );
    let rows = csv_body(&dir.path().join("o/sensitivity.csv"));
    let first = rows.iter().find(|r| r[1] == "npv_total").unwrap();
    assert_eq!(first[0], "stake.initial");
    assert_eq!(first[5], "1");
    assert!(first[2].parse::<f64>().unwrap() > 0.95, "{first:?}");
    for chart in [
        "tornado_rank_correlation",
        "tornado_one_at_a_time",
        "heatmap_by_year",
    ] {
        let svg =
            std::fs::read_to_string(dir.path().join(format!("o/charts/{chart}.svg"))).unwrap();
        assert!(
            svg.contains("Deterministic quarterly"),
            "{chart} names the scenario"
        );
        assert!(svg.contains("stake.initial"), "{chart} names the input");
    }
}

#[test]
fn no_uncertain_inputs_is_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let o = run_ok(
        dir.path(),
        common::DET,
        "sensitivity",
        &["--paths", "20", "--charts", "svg"],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("no uncertain inputs"));
    assert!(csv_body(&dir.path().join("o/sensitivity.csv")).is_empty());
    let oat = std::fs::read_to_string(dir.path().join("o/sensitivity_oat.csv")).unwrap();
    assert!(!oat.contains("NaN") && !oat.contains("inf"));
    // Only the one-at-a-time tornado: there is nothing to rank or to map.
    assert!(dir
        .path()
        .join("o/charts/tornado_one_at_a_time.svg")
        .is_file());
    assert!(!dir.path().join("o/charts/heatmap_by_year.svg").exists());
}

#[test]
fn a_higher_cap_never_lowers_the_revenue_share() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = common::with(common::DET, "company", "revenue_vol", "0.4");
    text = common::with(
        &text,
        "channel",
        "ceiling",
        r#"{ dist = "uniform", low = 0.0, high = 0.5 }"#,
    );
    run_ok(
        dir.path(),
        &text,
        "sensitivity",
        &["--paths", "2000", "--charts", "none"],
    );
    let rows = csv_body(&dir.path().join("o/sensitivity_oat.csv"));
    let cap = rows
        .iter()
        .find(|r| r[0] == "revenue_share.cap" && r[4] == "npv_revenue_share")
        .expect("cap swung");
    let (lo, hi): (f64, f64) = (cap[8].parse().unwrap(), cap[9].parse().unwrap());
    assert!(
        lo < 0.0 && hi >= 0.0,
        "cap -20 % must lower, +20 % must not lower: {lo} {hi}"
    );
}

#[test]
fn attribution_is_exactly_zero_without_a_channel() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::with(common::DET, "company", "revenue_vol", "0.3");
    let text = common::with(&text, "channel", "ceiling", "0.0");
    run_ok(
        dir.path(),
        &text,
        "run",
        &["--paths", "300", "--attribute", "channel"],
    );
    let rows = csv_body(&dir.path().join("o/attribution.csv"));
    assert_eq!(rows.len(), 6);
    for r in &rows {
        assert_eq!(&r[3..], &["0", "0", "0", "0"], "{r:?}");
    }
    assert!(dir
        .path()
        .join("o/charts/attribution_waterfall.png")
        .is_file());
}

#[test]
fn a_share_on_core_revenue_does_not_move_with_a_neutral_channel() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = common::with(common::DET, "company", "revenue_vol", "0.3");
    text = common::with(&text, "channel", "incremental", "0.0");
    text = common::with(&text, "channel", "cloud_cannibalization", "0.0");
    text = common::with(&text, "revenue_share", "base_includes_channel", "false");
    run_ok(
        dir.path(),
        &text,
        "run",
        &[
            "--paths",
            "300",
            "--attribute",
            "channel",
            "--charts",
            "none",
        ],
    );
    let rows = csv_body(&dir.path().join("o/attribution.csv"));
    let rs = rows.iter().find(|r| r[0] == "npv_revenue_share").unwrap();
    assert_eq!(&rs[3..], &["0", "0", "0", "0"]);
    // The channel still touches nothing else here either: no cannibalisation, no new revenue.
    let total = rows.iter().find(|r| r[0] == "npv_total").unwrap();
    assert_eq!(total[3], "0");
}
