//! Crash safety, end to end: a run killed (SIGKILL) or interrupted (SIGINT) midway leaves
//! the previous output folder as it was; a killed run's staging folder is cleaned up by the
//! next run; an unwritable output location is a clear error (exit 1); a run too large for
//! memory is refused before anything is written (exit 2).

mod common;

use common::{dealsim, send_signal, wait_within};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

/// A small finished run in `<dir>/out`, returning its summary.csv bytes.
fn previous_run(dir: &Path) -> Vec<u8> {
    let b = common::base_path();
    let o = dealsim(
        &[
            "run",
            b.to_str().unwrap(),
            "--paths",
            "200",
            "--charts",
            "none",
            "-q",
            "--out",
            "out",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fs::read(dir.join("out/summary.csv")).unwrap()
}

/// `dealsim run` of the base scenario on 20 paths, without charts, into `out`, in `dir`.
fn tiny_run_into(dir: &Path, out: &str) -> Output {
    let b = common::base_path();
    dealsim(
        &[
            "run",
            b.to_str().unwrap(),
            "--paths",
            "20",
            "-q",
            "--charts",
            "none",
            "--out",
            out,
        ],
        dir,
    )
}

fn staging_dirs(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.partial-"))
        .collect()
}

/// Starts a long run into `<dir>/out` and waits until its staging folder exists.
fn start_long_run(dir: &Path) -> Child {
    let b = common::base_path();
    let mut child = common::bin(dir)
        .args([
            "run",
            b.to_str().unwrap(),
            "--paths",
            "3000000",
            "--charts",
            "none",
            "-q",
            "--threads",
            "1",
            "--out",
            "out",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while staging_dirs(dir).is_empty() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the run ended ({st}) before its staging folder appeared");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no staging folder after 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let it get into the simulation proper (drawing parameters, stepping).
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended too soon to interrupt"
    );
    child
}

/// A finished run in `<dir>/out` (its summary.csv bytes), then a long run into the same
/// folder, started and under way: the setting of every interruption test.
fn previous_run_then_long_run(dir: &Path) -> (Vec<u8>, Child) {
    let before = previous_run(dir);
    (before, start_long_run(dir))
}

/// No staging folder is left in `dir` (else the test fails with `what` and the list).
fn assert_no_staging(dir: &Path, what: &str) {
    assert!(
        staging_dirs(dir).is_empty(),
        "{what}: {:?}",
        staging_dirs(dir)
    );
}

#[test]
fn sigkill_midway_leaves_previous_output_and_next_run_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (before, mut child) = previous_run_then_long_run(dir);
    send_signal(&child, libc::SIGKILL);
    let st = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&st),
        Some(libc::SIGKILL)
    );
    assert_eq!(fs::read(dir.join("out/summary.csv")).unwrap(), before);
    // A killed process cannot clean up: its staging folder stays until the next run.
    assert_eq!(
        staging_dirs(dir).len(),
        1,
        "expected the killed run's staging folder"
    );
    let after = previous_run(dir);
    assert_eq!(after, before, "same seed and paths: same summary");
    assert_no_staging(dir, "stale staging left");
}

#[test]
fn sigint_stops_promptly_exits_130_and_removes_staging() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (before, mut child) = previous_run_then_long_run(dir);
    send_signal(&child, libc::SIGINT);
    let st = wait_within(
        &mut child,
        Duration::from_secs(5),
        "still running 5 s after SIGINT",
    );
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    // 128 + SIGINT, the shell convention (issue 13: interrupted runs exit 128 + signal).
    assert_eq!(st.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(fs::read(dir.join("out/summary.csv")).unwrap(), before);
    assert_no_staging(dir, "staging left");
}

#[test]
fn unwritable_output_location_is_a_clear_error_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Tests may run as root, where directory modes are not enforced: put the output
    // under a regular file, and under /proc, which nobody can create folders in.
    fs::write(dir.join("afile"), "not a folder").unwrap();
    for out in [
        dir.join("afile/out"),
        PathBuf::from("/proc/dealsim-test/out"),
    ] {
        let o = tiny_run_into(dir, out.to_str().unwrap());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", out.display());
        assert!(err.starts_with("error: cannot"), "{err}");
        assert!(
            err.contains(out.parent().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // An output path that is an existing file: refused up front as bad usage (exit 2,
    // issue 13), the file untouched.
    let o = tiny_run_into(dir, "afile");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a folder"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.join("afile")).unwrap(),
        "not a folder"
    );
    let names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_run_too_large_for_memory_is_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let before = previous_run(dir);
    let b = common::base_path();
    let t0 = Instant::now();
    let o = dealsim(
        &[
            "run",
            b.to_str().unwrap(),
            "--paths",
            "1000000000",
            "--paths-csv",
            "-q",
            "--out",
            "out",
        ],
        dir,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "refusal took {:?}",
        t0.elapsed()
    );
    assert!(
        err.contains("needs about") && err.contains("available"),
        "{err}"
    );
    assert!(err.contains("1000000000 paths"), "{err}");
    assert_eq!(fs::read(dir.join("out/summary.csv")).unwrap(), before);
    assert!(staging_dirs(dir).is_empty());
    // compare keeps every member's paths: refused the same way.
    let o = dealsim(
        &[
            "compare",
            b.to_str().unwrap(),
            b.to_str().unwrap(),
            "--paths",
            "1000000000",
            "-q",
            "--out",
            "cmp",
        ],
        dir,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("this comparison needs about"), "{err}");
    assert!(!dir.join("cmp").exists());
}
