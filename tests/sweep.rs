//! `dealsim sweep`, plan/task/merge and path shards, end to end through the binary.
//! Byte identity is checked by comparing files; expected values come from independent
//! single runs (`dealsim run --set`), never from the sweep's own output.

mod common;

use common::{csv_rows, dealsim, ok};

use std::fs;
use std::path::Path;
use std::process::Output;

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

const GRID_A: &str = "revenue_share.cap=25,50";
const GRID_B: &str = "channel.ceiling=0.1..0.3:3";

#[test]
fn every_point_equals_a_single_run_with_set() {
    let d = tempfile::tempdir().unwrap();
    let b = common::base_scenario();
    let o = dealsim(
        &[
            "sweep", &b, "--grid", GRID_A, "--grid", GRID_B, "--paths", "1500", "--seed", "11",
            "--quiet", "--out", "sw",
        ],
        d.path(),
    );
    ok(&o);
    let rows = csv_rows(&d.path().join("sw/sweep.csv"));
    // The workbook holds sweep.csv as its one sheet, named after the file, with every
    // point's key value in it.
    let book = fs::File::open(d.path().join("sw/results.xlsx")).expect("sweep writes results.xlsx");
    let mut z = zip::ZipArchive::new(book).expect("a zip archive");
    let mut wb = String::new();
    std::io::Read::read_to_string(&mut z.by_name("xl/workbook.xml").unwrap(), &mut wb).unwrap();
    assert!(wb.contains("name=\"sweep\""), "{wb}");
    assert_eq!(
        wb.matches("<sheet ").count(),
        1,
        "one sheet for the one CSV: {wb}"
    );
    assert_eq!(
        rows[0],
        [
            "point",
            "revenue_share.cap",
            "channel.ceiling",
            "metric",
            "unit",
            "mean",
            "std_error",
            "p5",
            "p50",
            "p95"
        ]
    );
    // Points in grid order, the first key slowest; range values written as decimals.
    let want_points = [
        ("25", "0.1"),
        ("25", "0.2"),
        ("25", "0.3"),
        ("50", "0.1"),
        ("50", "0.2"),
        ("50", "0.3"),
    ];
    let mut metrics_per_point = 0;
    for (k, (cap, ceiling)) in want_points.iter().enumerate() {
        let o = dealsim(
            &[
                "run",
                &b,
                "--paths",
                "1500",
                "--seed",
                "11",
                "--set",
                &format!("revenue_share.cap={cap}"),
                "--set",
                &format!("channel.ceiling={ceiling}"),
                "--quiet",
                "--charts",
                "none",
                "--no-report",
                "--out",
                &format!("single{k}"),
            ],
            d.path(),
        );
        ok(&o);
        let summary = csv_rows(&d.path().join(format!("single{k}/summary.csv")));
        let col = |name: &str| summary[0].iter().position(|h| h == name).unwrap();
        let mine: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[0] == k.to_string()).collect();
        // The metrics and their order are summary.csv's.
        assert_eq!(mine.len(), summary.len() - 1);
        metrics_per_point = mine.len();
        for (r, s) in mine.iter().zip(&summary[1..]) {
            assert_eq!((&r[1][..], &r[2][..]), (*cap, *ceiling));
            assert_eq!(r[3], s[col("metric")]);
            assert_eq!(r[4], s[col("unit")]);
            for (i, name) in ["mean", "std_error", "p5", "p50", "p95"].iter().enumerate() {
                assert_eq!(r[5 + i], s[col(name)], "point {k} {} {name}", r[3]);
            }
        }
    }
    assert_eq!(rows.len(), 1 + want_points.len() * metrics_per_point);
    // The chart and the report are there; the report is self-contained.
    let out = d.path().join("sw");
    assert!(out.join("charts/sweep_npv_total.png").exists());
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("src="));
    // Two keys: a heat map with each cell's ±2 SE printed in it.
    let svg = fs::read_to_string(out.join("charts/sweep_npv_total.svg")).unwrap();
    assert_eq!(
        svg.matches("\n±$").count(),
        want_points.len(),
        "one ±2 SE per cell"
    );
    // One key: a line with a ±2 SE band, of the chosen metric.
    ok(&dealsim(
        &[
            "sweep", &b, "--grid", GRID_A, "--paths", "300", "--metric", "cap_hit", "--quiet",
            "--out", "one",
        ],
        d.path(),
    ));
    let svg = fs::read_to_string(d.path().join("one/charts/sweep_cap_hit.svg")).unwrap();
    assert!(
        svg.contains("mean ± 2 standard errors"),
        "legend of the band"
    );
}

#[test]
fn bad_grids_are_refused_before_any_simulation() {
    let d = tempfile::tempdir().unwrap();
    let b = common::base_scenario();
    for (grid, want) in [
        (
            "channel.ceiling",
            "--grid 'channel.ceiling': expected KEY=VALUES",
        ),
        ("channel.ceiling=0.1..0.2:1", "key channel.ceiling: n = 1"),
        ("channel.ceilingg=0.1,0.2", "channel.ceilingg"),
        ("channel.ceiling=0.1,1.5", "point 1 (channel.ceiling=1.5)"),
        ("revenue_share.cap=abc,2", "revenue_share.cap = abc"),
        ("simulation.seed=1,2", "cannot be swept"),
    ] {
        let o = dealsim(
            &[
                "sweep", &b, "--grid", grid, "--paths", "100", "--quiet", "--out", "never",
            ],
            d.path(),
        );
        assert_eq!(o.status.code(), Some(2), "{grid}: {}", err(&o));
        assert!(err(&o).contains(want), "{grid}: {}", err(&o));
        assert!(!d.path().join("never").exists(), "{grid}: wrote output");
    }
    let o = dealsim(
        &["sweep", &b, "--grid", GRID_A, "--metric", "npv", "--quiet"],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--metric \"npv\""), "{}", err(&o));
}

/// Rewrite the JSON header line of a part file (the body stays as it is).
fn edit_header(p: &Path, from: &str, to: &str) {
    let bytes = read(p);
    let first = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let second = first + bytes[first..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let header = String::from_utf8(bytes[first..second].to_vec()).unwrap();
    assert!(header.contains(from), "{header}");
    let mut out = bytes[..first].to_vec();
    out.extend_from_slice(header.replace(from, to).as_bytes());
    out.extend_from_slice(&bytes[second..]);
    fs::write(p, out).unwrap();
}

#[test]
fn plan_task_merge_is_byte_identical_and_refuses_bad_parts() {
    let d = tempfile::tempdir().unwrap();
    let b = common::base_scenario();
    let common = [
        "--grid", GRID_A, "--grid", GRID_B, "--paths", "5000", "--seed", "3", "--quiet",
    ];
    let mut args = vec!["sweep", b.as_str()];
    args.extend(common);
    args.extend(["--out", "inproc"]);
    ok(&dealsim(&args, d.path()));
    let mut args = vec!["sweep", b.as_str()];
    args.extend(common);
    args.extend(["--plan", "plan"]);
    ok(&dealsim(&args, d.path()));
    let parts = d.path().join("plan/parts");

    // Nothing run yet: every part missing.
    let o = dealsim(&["merge", "plan", "--out", "m"], d.path());
    assert!(!o.status.success());
    assert!(
        err(&o).contains("6 of 6 parts missing (tasks 0-5)"),
        "{}",
        err(&o)
    );

    // Tasks in any order, on any thread count.
    for (k, threads) in [(5, "1"), (0, "2"), (3, "1"), (1, "2"), (4, "1"), (2, "2")] {
        ok(&dealsim(
            &[
                "task",
                "plan",
                &k.to_string(),
                "--threads",
                threads,
                "--quiet",
            ],
            d.path(),
        ));
    }
    ok(&dealsim(
        &["merge", "plan", "--out", "merged", "--quiet"],
        d.path(),
    ));
    assert_eq!(
        read(&d.path().join("merged/sweep.csv")),
        read(&d.path().join("inproc/sweep.csv"))
    );
    assert!(d.path().join("merged/report.html").exists());

    // Re-running a task rewrites the same bytes.
    let p2 = parts.join("task-000002.part");
    let before = read(&p2);
    ok(&dealsim(&["task", "plan", "2", "--quiet"], d.path()));
    assert_eq!(read(&p2), before);

    // Missing.
    fs::rename(&p2, d.path().join("aside.part")).unwrap();
    let o = dealsim(&["merge", "plan", "--out", "m"], d.path());
    assert!(
        err(&o).contains("1 of 6 parts missing (tasks 2)"),
        "{}",
        err(&o)
    );
    fs::rename(d.path().join("aside.part"), &p2).unwrap();

    // Duplicated.
    fs::copy(parts.join("task-000001.part"), parts.join("again.part")).unwrap();
    let o = dealsim(&["merge", "plan", "--out", "m"], d.path());
    assert!(err(&o).contains("task 1 has 2 part files"), "{}", err(&o));
    fs::remove_file(parts.join("again.part")).unwrap();

    // Another dealsim version.
    let p4 = parts.join("task-000004.part");
    let good = read(&p4);
    edit_header(&p4, "\"dealsim_version\":\"", "\"dealsim_version\":\"9.");
    let o = dealsim(&["merge", "plan", "--out", "m"], d.path());
    assert!(err(&o).contains("written by dealsim 9."), "{}", err(&o));
    fs::write(&p4, &good).unwrap();

    // A part of another plan (same grid, other seed) in place of ours.
    let mut args = vec!["sweep", b.as_str()];
    args.extend([
        "--grid", GRID_A, "--grid", GRID_B, "--paths", "5000", "--seed", "4",
    ]);
    args.extend(["--quiet", "--plan", "other"]);
    ok(&dealsim(&args, d.path()));
    ok(&dealsim(&["task", "other", "4", "--quiet"], d.path()));
    fs::copy(d.path().join("other/parts/task-000004.part"), &p4).unwrap();
    let o = dealsim(&["merge", "plan", "--out", "m"], d.path());
    assert!(err(&o).contains("belongs to another plan"), "{}", err(&o));
    // ... and a task will not overwrite it.
    let o = dealsim(&["task", "plan", "4", "--quiet"], d.path());
    assert!(err(&o).contains("not overwritten"), "{}", err(&o));
    fs::write(&p4, &good).unwrap();

    // Making a plan again in a folder with finished parts is refused: they stay.
    let mut again = vec!["sweep", b.as_str()];
    again.extend(common);
    again.extend(["--plan", "plan"]);
    let o = dealsim(&again, d.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("already holds 6 part files"),
        "{}",
        err(&o)
    );
    assert_eq!(fs::read_dir(&parts).unwrap().count(), 6);

    // A plan edited after it was made.
    let pj = d.path().join("plan/plan.json");
    let text = fs::read_to_string(&pj).unwrap();
    fs::write(&pj, text.replace("\"paths\": 5000", "\"paths\": 5001")).unwrap();
    let o = dealsim(&["merge", "plan", "--out", "m"], d.path());
    assert!(err(&o).contains("changed after it was made"), "{}", err(&o));
    assert!(!d.path().join("m").exists());
    fs::write(&pj, text).unwrap();
    ok(&dealsim(
        &["merge", "plan", "--out", "merged2", "--quiet"],
        d.path(),
    ));
    assert_eq!(
        read(&d.path().join("merged2/sweep.csv")),
        read(&d.path().join("inproc/sweep.csv"))
    );
}

const RUN_CSVS: [&str; 4] = [
    "summary.csv",
    "timeseries.csv",
    "cashflows.csv",
    "cap_hits.csv",
];

#[test]
fn shard_merges_equal_the_single_run() {
    let d = tempfile::tempdir().unwrap();
    let b = common::base_scenario();
    // 3 chunks of 4096 and a partial one.
    let paths = "13000";
    let flags = [
        "--paths", paths, "--seed", "9", "--quiet", "--charts", "none",
    ];
    let mut args = vec!["run", b.as_str()];
    args.extend(flags);
    args.extend(["--no-report", "--out", "single"]);
    ok(&dealsim(&args, d.path()));
    for shards in ["1", "2", "4"] {
        let plan = format!("plan{shards}");
        let mut args = vec!["run", b.as_str()];
        args.extend(flags);
        args.extend(["--plan", &plan, "--shards", shards]);
        ok(&dealsim(&args, d.path()));
        let n: usize = shards.parse().unwrap();
        for k in (0..n).rev() {
            ok(&dealsim(
                &["task", &plan, &k.to_string(), "--quiet"],
                d.path(),
            ));
        }
        let out = format!("merged{shards}");
        ok(&dealsim(
            &[
                "merge",
                &plan,
                "--out",
                &out,
                "--quiet",
                "--charts",
                "none",
                "--no-report",
            ],
            d.path(),
        ));
        for f in RUN_CSVS {
            assert!(
                read(&d.path().join(&out).join(f)) == read(&d.path().join("single").join(f)),
                "{shards} shards: {f} differs"
            );
        }
    }
    // A part cut short (a copy that stopped) is refused, not read.
    let p = d.path().join("plan2/parts/task-000001.part");
    let bytes = read(&p);
    fs::write(&p, &bytes[..bytes.len() - 8]).unwrap();
    let o = dealsim(&["merge", "plan2", "--out", "m"], d.path());
    assert!(err(&o).contains("truncated"), "{}", err(&o));
    // More shards than 4096-path blocks: refused, nothing written.
    let mut args = vec!["run", b.as_str()];
    args.extend(flags);
    args.extend(["--plan", "p5", "--shards", "5"]);
    let o = dealsim(&args, d.path());
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("at most 4 shards"), "{}", err(&o));
    assert!(!d.path().join("p5").exists());
}

#[test]
fn emitted_slurm_and_k8s_files_run_every_task_then_merge() {
    let d = tempfile::tempdir().unwrap();
    let b = common::base_scenario();
    ok(&dealsim(
        &[
            "sweep",
            &b,
            "--grid",
            GRID_A,
            "--grid",
            GRID_B,
            "--paths",
            "100",
            "--quiet",
            "--plan",
            "plan",
            "--emit",
            "slurm",
            "--emit",
            "k8s",
            "--task-cpus",
            "2",
            "--image",
            "registry.example/dealsim:test",
        ],
        d.path(),
    ));
    let plan = d.path().join("plan");
    let tasks = fs::read_to_string(plan.join("slurm/tasks.sbatch")).unwrap();
    assert!(tasks.contains("#SBATCH --array=0-5\n"), "{tasks}");
    assert!(tasks.contains("#SBATCH --cpus-per-task=2\n"));
    assert!(tasks.contains("task '") && tasks.contains("\"$SLURM_ARRAY_TASK_ID\""));
    let submit = fs::read_to_string(plan.join("slurm/submit.sh")).unwrap();
    assert!(
        submit.contains("--dependency=afterok:\"$tasks\""),
        "{submit}"
    );
    assert!(plan.join("slurm/logs").is_dir());

    let doc: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(plan.join("k8s/tasks.yaml")).unwrap()).unwrap();
    let s = |v: &serde_norway::Value| v.as_str().map(String::from);
    assert_eq!(s(&doc["apiVersion"]).as_deref(), Some("batch/v1"));
    assert_eq!(s(&doc["kind"]).as_deref(), Some("Job"));
    assert!(s(&doc["metadata"]["name"]).is_some());
    let spec = &doc["spec"];
    assert_eq!(s(&spec["completionMode"]).as_deref(), Some("Indexed"));
    assert_eq!(spec["completions"].as_u64(), Some(6));
    assert!(spec["parallelism"]
        .as_u64()
        .is_some_and(|p| (1..=6).contains(&p)));
    let pod = &spec["template"]["spec"];
    assert_eq!(s(&pod["restartPolicy"]).as_deref(), Some("Never"));
    let c = &pod["containers"][0];
    assert_eq!(
        s(&c["image"]).as_deref(),
        Some("registry.example/dealsim:test")
    );
    let cmd: Vec<String> = c["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(s)
        .collect();
    assert_eq!(cmd[..3], ["dealsim", "task", "/plan"]);
    assert_eq!(cmd[3], "$(JOB_COMPLETION_INDEX)");
    let mount = s(&c["volumeMounts"][0]["name"]);
    assert!(pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|v| s(&v["name"]) == mount));

    let merge: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(plan.join("k8s/merge.yaml")).unwrap()).unwrap();
    assert_eq!(s(&merge["kind"]).as_deref(), Some("Job"));
    let mc = &merge["spec"]["template"]["spec"]["containers"][0];
    let mcmd: Vec<String> = mc["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(s)
        .collect();
    assert_eq!(mcmd[..3], ["dealsim", "merge", "/plan"]);
    assert!(s(&mc["image"]).is_some());
    assert_eq!(
        s(&merge["spec"]["template"]["spec"]["restartPolicy"]).as_deref(),
        Some("Never")
    );
}
