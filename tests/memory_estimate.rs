//! The memory estimate against the real binary (issue 13, item 9): over a matrix of
//! scenarios (thousands of rounds, monthly steps over a long horizon, `--paths-csv`,
//! a comparison) the estimate made before the run is within ±25 % of the peak resident
//! set the run actually reaches, as the kernel counts it (the binary's VmHWM).
//!
//! Path counts are modest (20k-200k) so each run takes seconds. Run with `--nocapture`
//! to see the table.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use dealsim::resources::{estimate_compare, estimate_run, RunShape, PEAK_RSS_ENV};
use dealsim::scenario;

const TOLERANCE: f64 = 0.25;

/// Peak RSS in bytes of `dealsim args` (run in `cwd`), which must succeed: the binary's
/// own high-water mark (VmHWM), printed at exit when asked. `wait4`'s `ru_maxrss` would
/// also count the RSS this test process had when it spawned the child (Linux carries
/// the high-water mark across exec), which is not the binary's.
fn peak_rss(args: &[String], cwd: &Path) -> u64 {
    let o = common::bin(cwd)
        .args(args)
        .env(PEAK_RSS_ENV, "1")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "dealsim {args:?} failed: {stderr}");
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_bytes="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS reported: {stderr}"))
}

fn shape(file: &Path, sets: &[&str], paths: u64) -> RunShape {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let l = scenario::load(file, &sets).unwrap_or_else(|e| panic!("{e}"));
    let mut s = RunShape::of(&l.scenario);
    s.paths = paths;
    s
}

/// `text` without its `[[stake.rounds]]` tables (base.toml's conditional round would make
/// every round's amount per path, which is a different case of the matrix).
fn without_rounds(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[[stake.rounds]]");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `base.toml` without its scheduled rounds, with `n` rounds spread over its horizon,
/// amounts `amount`.
fn with_rounds(dir: &Path, name: &str, n: usize, amount: &str) -> PathBuf {
    let mut text = without_rounds(&fs::read_to_string(repo("scenarios/base.toml")).unwrap());
    assert!(!text.contains("[[stake.rounds]]"));
    for i in 0..n {
        let year = 2026 + (i % 9);
        let month = 1 + (i / 9) % 12;
        let day = 1 + (i / 108) % 28;
        let _ = write!(
            text,
            "\n[[stake.rounds]]\ndate = {year}-{month:02}-{day:02}\namount = {amount}\n"
        );
    }
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    estimate: u128,
}

fn run_case(name: &'static str, file: &Path, sets: &[&str], paths: u64, csv: bool) -> Case {
    let mut args: Vec<String> = ["run", file.to_str().unwrap(), "-q", "--paths"]
        .map(String::from)
        .to_vec();
    args.push(paths.to_string());
    for s in sets {
        args.push("--set".into());
        args.push(s.to_string());
    }
    if csv {
        args.push("--paths-csv".into());
    }
    Case {
        name,
        args,
        estimate: estimate_run(&shape(file, sets, paths), csv),
    }
}

#[test]
// The peak RSS is read from /proc/self/status, which only Linux has.
#[cfg_attr(not(target_os = "linux"), ignore)]
fn the_memory_estimate_is_within_25_percent_of_measured_peak_rss() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = repo("scenarios/base.toml");
    let bull = repo("scenarios/bull.toml");
    let const_rounds = with_rounds(d, "rounds_const.toml", 3000, "0.5");
    let dist_rounds = with_rounds(
        d,
        "rounds_dist.toml",
        2000,
        "{ dist = \"uniform\", low = 0.1, high = 1.0 }",
    );
    let monthly = ["simulation.steps_per_year=12", "simulation.end_year=2100"];
    let mut cases = vec![
        run_case(
            "base, 200k paths (rows in a file)",
            &base,
            &[],
            200_000,
            false,
        ),
        run_case("base, --paths-csv, 200k paths", &base, &[], 200_000, true),
        // Up to 161k paths the result rows stay in memory; above they go to a temporary
        // file (`engine::rows`), as in the 200k case.
        run_case(
            "base, 150k paths (rows in memory)",
            &base,
            &[],
            150_000,
            false,
        ),
        run_case(
            "3000 rounds (constant), 20k paths",
            &const_rounds,
            &[],
            20_000,
            false,
        ),
        run_case(
            "2000 rounds (uncertain), 20k paths",
            &dist_rounds,
            &[],
            20_000,
            false,
        ),
        run_case(
            "2000 rounds (uncertain), --paths-csv, 20k",
            &dist_rounds,
            &[],
            20_000,
            true,
        ),
        run_case(
            "monthly 2026-2100, 50k paths",
            &base,
            &monthly,
            50_000,
            false,
        ),
        run_case(
            "monthly 2026-2100, --paths-csv, 50k",
            &base,
            &monthly,
            50_000,
            true,
        ),
    ];
    let paths = 100_000;
    let shapes = [shape(&base, &[], paths), shape(&bull, &[], paths)];
    cases.push(Case {
        name: "compare base bull, 100k paths",
        args: [
            "compare",
            base.to_str().unwrap(),
            bull.to_str().unwrap(),
            "-q",
            "--paths",
            "100000",
        ]
        .map(String::from)
        .to_vec(),
        estimate: estimate_compare(&shapes),
    });
    let mut table = String::from(
        "| scenario | estimate MiB | measured peak RSS MiB | error |\n|---|---|---|---|\n",
    );
    let mut worst: f64 = 0.0;
    let mut failures = Vec::new();
    for (i, c) in cases.iter_mut().enumerate() {
        c.args.push("--out".into());
        c.args.push(d.join(format!("out{i}")).display().to_string());
        let measured = peak_rss(&c.args, d);
        let err = c.estimate as f64 / measured as f64 - 1.0;
        worst = worst.max(err.abs());
        let _ = writeln!(
            table,
            "| {} | {:.1} | {:.1} | {:+.1} % |",
            c.name,
            c.estimate as f64 / 1048576.0,
            measured as f64 / 1048576.0,
            100.0 * err
        );
        if err.abs() > TOLERANCE {
            failures.push(c.name);
        }
    }
    println!("{table}worst |error|: {:.1} %", 100.0 * worst);
    assert!(failures.is_empty(), "outside ±25 %: {failures:?}\n{table}");
}
