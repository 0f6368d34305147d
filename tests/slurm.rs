//! The plan's emitted Slurm files on a real Slurm: a one-node cluster on this machine,
//! started by tests/slurm/setup.sh (which .ci/run calls). Submits the sweep's job array
//! and merge job, kills one task mid-run (its merge must not run, and the merge refuses
//! the missing part), re-submits that task alone with a new merge, and checks that the
//! merged sweep.csv is byte-identical to the in-process sweep; then a sharded single run
//! through Slurm, byte-identical to the single run. Skips, saying why, only when no
//! cluster answers.

mod common;

use common::{dealsim, ok};

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn sh(cmd: &str, envs: &[(&str, &str)]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("bash runs")
}

/// Why the cluster is not usable, or None when a node is idle.
fn cluster_down() -> Option<String> {
    let o = sh("timeout 5 sinfo -h -o '%t'", &[]);
    let states = String::from_utf8_lossy(&o.stdout);
    if o.status.success()
        && states
            .lines()
            .any(|s| ["idle", "mix", "alloc"].contains(&s.trim()))
    {
        return None;
    }
    let status = std::env::var("DEALSIM_SLURM_STATUS")
        .unwrap_or_else(|_| "/tmp/dealsim-slurm.status".into());
    let why = fs::read_to_string(&status)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| format!("no status in {status}: tests/slurm/setup.sh was not run"));
    Some(format!(
        "no Slurm node answers (sinfo: {:?}); setup said: {why}",
        states.trim()
    ))
}

/// A job's state from `scontrol show job` (kept 10 min after the end: MinJobAge).
fn job_state(id: &str) -> String {
    let o = sh(&format!("scontrol show job {id} -o"), &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    text.split_whitespace()
        .find_map(|w| w.strip_prefix("JobState="))
        .unwrap_or("UNKNOWN")
        .to_string()
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Wait for a job to end; its final state.
fn wait_job(id: &str) -> String {
    let mut state = String::new();
    wait_until(&format!("job {id}"), Duration::from_secs(180), || {
        state = job_state(id);
        ![
            "PENDING",
            "RUNNING",
            "CONFIGURING",
            "COMPLETING",
            "SUSPENDED",
        ]
        .contains(&state.as_str())
    });
    state
}

/// Run `submit.sh [tasks]`; the array's and the merge's job ids.
fn submit(plan: &Path, which: Option<&str>, envs: &[(&str, &str)]) -> (String, String) {
    let cmd = format!(
        "{} {}",
        plan.join("slurm/submit.sh").display(),
        which.unwrap_or("")
    );
    let out = ok(&sh(&cmd, envs));
    let last = out.lines().last().unwrap_or_default().to_string();
    let (a, m) = last.split_once(' ').expect("submit.sh prints two job ids");
    (a.to_string(), m.to_string())
}

#[test]
fn sweep_and_shards_on_a_real_slurm() {
    if let Some(why) = cluster_down() {
        println!("SKIP sweep_and_shards_on_a_real_slurm: {why}");
        eprintln!("SKIP sweep_and_shards_on_a_real_slurm: {why}");
        return;
    }
    // Under /tmp: slurmd (root, same machine) reads and writes the plan folder there.
    let d = tempfile::Builder::new()
        .prefix("dealsim-slurm-test-")
        .tempdir_in("/tmp")
        .unwrap();
    let dir = d.path();
    let b = common::base_scenario();
    let grid = [
        "--grid",
        "revenue_share.cap=25,38,50,80",
        "--grid",
        "channel.ceiling=0.1,0.3",
        "--paths",
        "2000",
        "--seed",
        "5",
        "--quiet",
    ];
    let mut args = vec!["sweep", b.as_str()];
    args.extend(grid);
    args.extend(["--out", "inproc"]);
    ok(&dealsim(&args, dir));
    let mut args = vec!["sweep", b.as_str()];
    args.extend(grid);
    args.extend(["--plan", "plan", "--emit", "slurm", "--out"]);
    let out = dir.join("slurm-out");
    let out_s = out.display().to_string();
    args.push(&out_s);
    ok(&dealsim(&args, dir));
    let plan = dir.join("plan");

    // Task 5's first run is stopped right after it starts (before it can write its
    // part) by a wrapper, then killed through Slurm: a task dying mid-run.
    let victim = "5";
    let wrapper = dir.join("wrapper.sh");
    fs::write(
        &wrapper,
        "#!/bin/sh\n\
         if [ \"$SLURM_ARRAY_TASK_ID\" = \"$VICTIM\" ] && mkdir \"$MARKS/victim\" 2>/dev/null; then\n\
         \x20 \"$REAL\" \"$@\" & pid=$!\n\
         \x20 kill -STOP $pid\n\
         \x20 echo $pid > \"$MARKS/victim/pid\"\n\
         \x20 wait $pid\n\
         \x20 exit $?\n\
         fi\n\
         exec \"$REAL\" \"$@\"\n",
    )
    .unwrap();
    ok(&sh(&format!("chmod +x {}", wrapper.display()), &[]));
    let w = wrapper.display().to_string();
    let marks = dir.display().to_string();
    let real = common::bin_path().display().to_string();
    let envs = [
        ("DEALSIM", w.as_str()),
        ("REAL", real.as_str()),
        ("VICTIM", victim),
        ("MARKS", marks.as_str()),
    ];
    let (array, merge) = submit(&plan, None, &envs);
    let pidfile = dir.join("victim/pid");
    wait_until("the victim task to start", Duration::from_secs(120), || {
        pidfile.exists()
    });
    ok(&sh(&format!("scancel {array}_{victim}"), &[]));
    let victim_state = wait_job(&format!("{array}_{victim}"));
    assert_eq!(victim_state, "CANCELLED", "the killed task");
    for k in (0..8).filter(|k| k.to_string() != victim) {
        assert_eq!(wait_job(&format!("{array}_{k}")), "COMPLETED", "task {k}");
    }
    // The merge depended on every task succeeding: it never runs.
    let merge_state = wait_job(&merge);
    assert_eq!(merge_state, "CANCELLED", "merge after a failed task");
    assert!(!out.exists(), "the merge must not have written anything");
    let parts = plan.join("parts");
    assert!(!parts.join("task-000005.part").exists());
    assert_eq!(
        fs::read_dir(&parts)
            .unwrap()
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .count(),
        7
    );
    let o = dealsim(&["merge", "plan", "--out", "by-hand"], dir);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("1 of 8 parts missing (tasks 5)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Recovery: the one task again, alone, with a fresh merge after it.
    let (array2, merge2) = submit(&plan, Some(victim), &envs);
    assert_eq!(wait_job(&format!("{array2}_{victim}")), "COMPLETED");
    assert_eq!(wait_job(&merge2), "COMPLETED", "merge after the re-run");
    assert_eq!(
        fs::read(out.join("sweep.csv")).unwrap(),
        fs::read(dir.join("inproc/sweep.csv")).unwrap(),
        "Slurm sweep vs in-process sweep"
    );

    // One run in shards through Slurm equals the single run.
    let flags = [
        "--paths",
        "20000",
        "--seed",
        "5",
        "--quiet",
        "--charts",
        "none",
        "--no-report",
    ];
    let mut args = vec!["run", b.as_str()];
    args.extend(flags);
    args.extend(["--out", "single"]);
    ok(&dealsim(&args, dir));
    let sout = dir.join("shards-out");
    let sout_s = sout.display().to_string();
    let mut args = vec!["run", b.as_str()];
    args.extend(flags);
    args.extend([
        "--plan", "splan", "--shards", "3", "--emit", "slurm", "--out",
    ]);
    args.push(&sout_s);
    ok(&dealsim(&args, dir));
    let (_, smerge) = submit(&dir.join("splan"), None, &[]);
    assert_eq!(wait_job(&smerge), "COMPLETED", "shard merge");
    for f in [
        "summary.csv",
        "timeseries.csv",
        "cashflows.csv",
        "cap_hits.csv",
    ] {
        assert!(
            fs::read(sout.join(f)).unwrap() == fs::read(dir.join("single").join(f)).unwrap(),
            "{f}: Slurm shard merge differs from the single run"
        );
    }
}
