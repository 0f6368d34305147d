//! `dealsim compare`: paired deltas on common random numbers, end to end.

mod common;

use common::{csv_body, dealsim};

/// DET with market noise, multiple volatility and an uncertain channel ceiling.
fn noisy() -> String {
    common::with_all(
        common::DET,
        &[
            common::MARKET_NOISE[0],
            common::MARKET_NOISE[1],
            common::MULTIPLE_NOISE,
            common::UNIFORM_CEILING,
        ],
    )
}

/// A fresh folder holding `noisy()` as `plain` and, as `capped`, the same with the
/// revenue-share cap set to `cap`.
fn noisy_and_capped(plain: &str, capped: &str, cap: &str) -> tempfile::TempDir {
    let dir = common::folder_with(plain, &noisy());
    std::fs::write(
        dir.path().join(capped),
        common::with(&noisy(), "revenue_share", "cap", cap),
    )
    .unwrap();
    dir
}

#[test]
fn comparing_a_scenario_with_itself_gives_exactly_zero_deltas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), noisy()).unwrap();
    std::fs::write(dir.path().join("b.toml"), noisy()).unwrap();
    let o = dealsim(
        &[
            "compare", "a.toml", "b.toml", "--paths", "500", "-q", "--out", "c", "--charts", "none",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = dir.path().join("c");
    for f in [
        "compare_summary.csv",
        "compare_deltas.csv",
        "compare_timeseries.csv",
        "what_changed.csv",
    ] {
        assert!(c.join(f).is_file(), "{f}");
    }
    assert!(c.join("a/summary.csv").is_file() && c.join("b/summary.csv").is_file());
    let d = csv_body(&c.join("compare_deltas.csv"));
    assert_eq!(d.len(), 13);
    for r in &d {
        assert_eq!(r[0], "b");
        // mean, se, p5, p50, p95, prob_positive all exactly 0.
        assert_eq!(&r[3..9], &["0", "0", "0", "0", "0", "0"], "{r:?}");
    }
    assert_eq!(
        std::fs::read_to_string(c.join("what_changed.csv"))
            .unwrap()
            .lines()
            .count(),
        1
    );
}

#[test]
fn a_cap_change_moves_revenue_share_not_revenue_and_pairing_shrinks_the_error() {
    let dir = noisy_and_capped("base.toml", "cap.toml", "12.0");
    let o = dealsim(
        &[
            "compare",
            "base.toml",
            "cap.toml",
            "--paths",
            "4000",
            "-q",
            "--out",
            "c",
            "--charts",
            "none",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let c = dir.path().join("c");
    let ts = csv_body(&c.join("compare_timeseries.csv"));
    let series = |sc: &str, m: &str| -> Vec<Vec<String>> {
        ts.iter()
            .filter(|r| r[0] == sc && r[3] == m)
            .map(|r| r[1..].to_vec())
            .collect()
    };
    assert_eq!(
        series("base", "company_revenue"),
        series("cap", "company_revenue")
    );
    assert_ne!(
        series("base", "revenue_share"),
        series("cap", "revenue_share")
    );
    let d = csv_body(&c.join("compare_deltas.csv"));
    let npv_rs = d.iter().find(|r| r[1] == "npv_revenue_share").unwrap();
    let (mean, se_paired, se_unpaired): (f64, f64, f64) = (
        npv_rs[3].parse().unwrap(),
        npv_rs[4].parse().unwrap(),
        npv_rs[9].parse().unwrap(),
    );
    assert!(mean < 0.0, "a lower cap lowers the revenue share: {mean}");
    assert!(
        se_paired * 5.0 <= se_unpaired,
        "paired {se_paired} vs unpaired {se_unpaired}"
    );
    let changed = std::fs::read_to_string(c.join("what_changed.csv")).unwrap();
    assert_eq!(
        changed.lines().nth(1),
        Some("cap,revenue_share.cap,12.5,12.0"),
        "{changed}"
    );
    assert_eq!(changed.lines().count(), 2, "{changed}");
    // The company's path never depends on the cap: npv deltas of the stake are exactly 0.
    let pv_stake = d.iter().find(|r| r[1] == "pv_stake").unwrap();
    assert_eq!(pv_stake[3], "0");
}

#[test]
fn extends_with_an_override_equals_the_merged_file_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parent.toml"), noisy()).unwrap();
    std::fs::write(
        dir.path().join("child.toml"),
        "extends = \"parent.toml\"\n[revenue_share]\ncap = 9.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("merged.toml"),
        common::with(&noisy(), "revenue_share", "cap", "9.0"),
    )
    .unwrap();
    for (f, out) in [("child.toml", "o1"), ("merged.toml", "o2")] {
        let o = dealsim(
            &[
                "run", f, "--paths", "300", "-q", "--out", out, "--charts", "none",
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in [
        "summary.csv",
        "timeseries.csv",
        "cashflows.csv",
        "cap_hits.csv",
    ] {
        let a = std::fs::read(dir.path().join("o1").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("o2").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // --set gives the same too, and the effective scenario is in run.json.
    let o = dealsim(
        &[
            "run",
            "parent.toml",
            "--set",
            "revenue_share.cap=9.0",
            "--paths",
            "300",
            "-q",
            "--out",
            "o3",
            "--charts",
            "none",
        ],
        dir.path(),
    );
    assert!(o.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("o3/summary.csv")).unwrap(),
        std::fs::read(dir.path().join("o2/summary.csv")).unwrap()
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o3/run.json")).unwrap()).unwrap();
    assert!(m["effective_scenario"]
        .as_str()
        .unwrap()
        .contains("cap = 9"));
}

#[test]
fn an_invalid_member_fails_the_whole_comparison_before_any_run() {
    let dir = noisy_and_capped("a.toml", "b.toml", "-1");
    let o = dealsim(
        &["compare", "a.toml", "b.toml", "-q", "--out", "c"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("revenue_share.cap"));
    assert!(!dir.path().join("c").exists());
}
