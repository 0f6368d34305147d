//! End-to-end: the real binary on fixture scenarios.

mod common;

use common::dealsim;

use std::path::PathBuf;
use std::process::Stdio;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const FILES: [&str; 5] = [
    "summary.csv",
    "timeseries.csv",
    "cashflows.csv",
    "cap_hits.csv",
    "run.json",
];

#[test]
fn run_writes_the_five_files_with_the_contract_headers() {
    let dir = common::folder_with("det.toml", common::DET);
    let o = dealsim(
        &[
            "run", "det.toml", "--paths", "50", "--quiet", "--charts", "none",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("output/det");
    for f in FILES {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let head = |f: &str| {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        head("summary.csv"),
        "metric,unit,mean,std_dev,std_error,p5,p25,p50,p75,p95,min,max,p5_ci_low,p5_ci_high,\
         p25_ci_low,p25_ci_high,p50_ci_low,p50_ci_high,p75_ci_low,p75_ci_high,p95_ci_low,\
         p95_ci_high"
    );
    assert_eq!(
        head("timeseries.csv"),
        "period_end,year,metric,unit,mean,p5,p25,p50,p75,p95"
    );
    assert_eq!(
        head("cashflows.csv"),
        "period_end,year,revenue_share,cloud_model_margin,reverse_share,compute_margin,investor_cash_flow,discount_factor,pv_investor_cash_flow,licence_value"
    );
    assert_eq!(
        head("cap_hits.csv"),
        "year,probability,cumulative_probability"
    );
    let summary = common::csv_body(&out.join("summary.csv"));
    let metrics: Vec<&str> = summary.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        metrics,
        [
            "npv_total",
            "npv_revenue_share",
            "npv_cloud_models",
            "npv_reverse_share",
            "npv_compute",
            "pv_stake",
            "stake_gain",
            "revenue_share_total",
            "stake_end",
            "cap_hit",
            // MODEL.md §6.4, appended after cap_hit.
            "npv_licence",
            "renewed",
            "renegotiated"
        ]
    );
    // No exponent notation, no NaN anywhere.
    for f in [
        "summary.csv",
        "timeseries.csv",
        "cashflows.csv",
        "cap_hits.csv",
    ] {
        let t = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(
            !t.contains("e-") && !t.contains("e+") && !t.contains("NaN") && !t.contains("inf"),
            "{f}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["paths"], 50);
    assert_eq!(manifest["seed"], 5);
    assert_eq!(manifest["steps"], 16);
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    // Stdout has the summary table.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("npv_total") && stdout.contains("P(cap hit)"),
        "{stdout}"
    );
}

#[test]
fn paths_csv_is_opt_in() {
    let dir = common::folder_with("det.toml", common::DET);
    let o = dealsim(
        &[
            "run", "det.toml", "--paths", "7", "-q", "--out", "a", "--charts", "none",
        ],
        dir.path(),
    );
    assert!(o.status.success());
    assert!(!dir.path().join("a/paths.csv").exists());
    let o = dealsim(
        &[
            "run",
            "det.toml",
            "--paths",
            "7",
            "-q",
            "--out",
            "b",
            "--paths-csv",
            "--charts",
            "none",
        ],
        dir.path(),
    );
    assert!(o.status.success());
    let t = std::fs::read_to_string(dir.path().join("b/paths.csv")).unwrap();
    assert_eq!(t.lines().count(), 8);
    assert!(t.starts_with("path,npv_total,"));
}

#[test]
fn invalid_scenario_exits_2_names_the_key_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = common::with(common::DET, "channel", "ceiling", "1.4");
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let o = dealsim(&["run", "bad.toml", "-q"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("channel.ceiling"),
        "{err}"
    );
    assert!(
        !dir.path().join("output").exists(),
        "nothing may be written"
    );
}

#[test]
fn a_failed_run_keeps_the_previous_results() {
    let dir = common::folder_with("det.toml", common::DET);
    assert!(dealsim(
        &["run", "det.toml", "-q", "--paths", "5", "--charts", "none"],
        dir.path()
    )
    .status
    .success());
    let before = std::fs::read(dir.path().join("output/det/summary.csv")).unwrap();
    std::fs::write(dir.path().join("det.toml"), "[company]\nrevenue0 = -1\n").unwrap();
    let o = dealsim(&["run", "det.toml", "-q"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read(dir.path().join("output/det/summary.csv")).unwrap(),
        before
    );
    let names: Vec<String> = std::fs::read_dir(dir.path().join("output"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into())
        .collect();
    assert_eq!(names, vec!["det".to_string()], "no partial folder left");
}

#[test]
fn every_shipped_scenario_validates() {
    let mut files: Vec<String> = std::fs::read_dir(repo().join("scenarios"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = dealsim(&args, &repo());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("ok: "))
            .count(),
        files.len()
    );
}

#[test]
fn example_round_trips_through_validate_on_stdin() {
    let ex = dealsim(&["example"], &repo());
    assert!(ex.status.success());
    let mut child = common::bin(&repo())
        .args(["validate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&ex.stdout).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: -"));
}

#[test]
fn usage_errors_exit_2() {
    let o = dealsim(&["run"], &repo());
    assert_eq!(o.status.code(), Some(2));
    let o = dealsim(&["frobnicate"], &repo());
    assert_eq!(o.status.code(), Some(2));
    let o = dealsim(&["run", "scenarios/base.toml", "--paths", "0"], &repo());
    assert_eq!(o.status.code(), Some(2));
}
