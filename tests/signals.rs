//! End to end: SIGINT, SIGTERM and SIGHUP at every phase of a run (drawing inputs,
//! simulating, aggregating, writing, the final swap) stop the process within a second,
//! remove its staging folder, leave the previous output byte for byte as it was, and exit
//! 128 + the signal number. The binary's test-only pause (`DEALSIM_TEST_PAUSE=<phase>`)
//! holds it inside the phase until the signal arrives.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{
    base_scenario, bin, collect_rest, dealsim, entries, send_signal, snapshot, spawn_paused_at,
    wait_within,
};

const PHASES: [&str; 5] = ["draw", "simulate", "aggregate", "write", "commit"];
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The stop must come within a second of the signal (the requirement itself).
const PROMPT: Duration = Duration::from_secs(1);

/// Starts `args` in `dir` paused at `phase`; returns once the pause is announced.
fn start_paused(
    args: &[&str],
    dir: &Path,
    phase: &str,
) -> (Child, std::thread::JoinHandle<String>) {
    let mut child = bin(dir)
        .args(args)
        .env("DEALSIM_TEST_PAUSE", phase)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let Some(Ok(l)) = lines.next() else {
            let _ = child.kill();
            panic!("no pause at {phase}; stderr: {seen:?}");
        };
        if l.contains(&format!("test pause at phase {phase} ")) {
            break;
        }
        seen.push(l);
    }
    (child, collect_rest(lines))
}

/// Sends `sig`, waits for the exit (at most a few seconds), returns (exit code, time to
/// exit, stderr after the pause).
fn stop(
    mut child: Child,
    err: std::thread::JoinHandle<String>,
    sig: libc::c_int,
) -> (Option<i32>, Duration, String) {
    let t0 = Instant::now();
    send_signal(&child, sig);
    let st = wait_within(
        &mut child,
        Duration::from_secs(10),
        &format!("still running 10 s after signal {sig}"),
    );
    let took = t0.elapsed();
    (st.code(), took, err.join().unwrap())
}

/// Asserts the interruption contract for one stopped process.
fn assert_stopped(
    what: &str,
    (code, took, err): (Option<i32>, Duration, String),
    sig: libc::c_int,
    dir: &Path,
    before: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) {
    assert_eq!(code, Some(128 + sig), "{what}: {err}");
    assert!(took < PROMPT, "{what}: took {took:?}");
    assert!(err.contains("interrupted by"), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert_eq!(&snapshot(dir), before, "{what}: the folder changed");
}

fn run_args<'a>(b: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "run", b, "--paths", "2000", "-q", "--charts", "both", "--out", out,
    ]
}

#[test]
fn every_signal_at_every_phase_of_run_leaves_the_previous_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let b = base_scenario();
    // The previous results, with a different seed so a replacement would show.
    let mut first = run_args(&b, "out");
    first.extend(["--seed", "11"]);
    let o = dealsim(&first, dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = snapshot(dir);
    assert_eq!(entries(dir), ["out"]);
    for phase in PHASES {
        for sig in SIGNALS {
            let (child, err) = start_paused(&run_args(&b, "out"), dir, phase);
            let stopped = stop(child, err, sig);
            // `before` covers the whole folder: no staging folder, lock or aside left.
            assert_stopped(&format!("{phase}/{sig}"), stopped, sig, dir, &before);
        }
    }
}

#[test]
fn an_interrupted_first_run_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let b = base_scenario();
    let (child, err) = start_paused(&run_args(&b, "output/base"), dir, "write");
    let (code, _, err) = stop(child, err, libc::SIGINT);
    assert_eq!(code, Some(130), "{err}");
    // The parent folder was created for the staging folder; nothing is in it.
    assert!(entries(&dir.join("output")).is_empty());
}

#[test]
fn compare_and_sensitivity_stop_at_writing_and_at_the_swap() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let b = base_scenario();
    let compare = [
        "compare", &b, &b, "--paths", "500", "-q", "--charts", "svg", "--out", "cmp",
    ];
    let sensitivity = [
        "sensitivity",
        &b,
        "--paths",
        "300",
        "-q",
        "--charts",
        "svg",
        "--out",
        "sens",
    ];
    for args in [&compare[..], &sensitivity[..]] {
        let o = dealsim(args, dir);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let before = snapshot(dir);
    for args in [&compare[..], &sensitivity[..]] {
        for (phase, sig) in [
            ("simulate", libc::SIGHUP),
            ("write", libc::SIGTERM),
            ("commit", libc::SIGINT),
        ] {
            let (child, err) = start_paused(args, dir, phase);
            let stopped = stop(child, err, sig);
            assert_stopped(&format!("{} {phase}", args[0]), stopped, sig, dir, &before);
        }
    }
}

#[test]
fn without_a_signal_the_pause_ends_and_the_run_completes() {
    // The pause is bounded: a test that forgets to signal does not hang the binary.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let b = base_scenario();
    let o = bin(dir)
        .args(run_args(&b, "out"))
        .env("DEALSIM_TEST_PAUSE", "commit:0.2")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("test pause at phase commit"), "{err}");
    assert!(dir.join("out/summary.csv").is_file());
}

#[test]
fn under_nohup_sighup_stays_ignored_and_the_run_completes() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let b = base_scenario();
    let mut cmd = bin(dir);
    // What nohup does; runs after bin()'s own reset, so it wins.
    // SAFETY: signal(2) is async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let (mut child, lines) =
        spawn_paused_at(cmd.args(run_args(&b, "out")), "simulate:1", "simulate");
    send_signal(&child, libc::SIGHUP);
    let st = child.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(st.code(), Some(0), "{rest:?}");
    assert!(dir.join("out/summary.csv").is_file());
}
