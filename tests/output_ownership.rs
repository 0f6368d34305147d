//! End to end: dealsim replaces an output folder only if it does not exist, is empty, or
//! holds nothing but dealsim's own earlier output; everything else is refused (exit 2)
//! before a single path is simulated, with nothing written. Names made from scenario file
//! names stay inside the output folder; two runs to one folder take turns; `--threads`
//! is bounded.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{base_scenario, bin, dealsim, entries, snapshot};

/// A small, fast run of base.toml into `out` (relative to `cwd`); no charts unless
/// `extra` asks for some.
fn run_into(cwd: &Path, out: &str, extra: &[&str]) -> std::process::Output {
    let b = base_scenario();
    let mut args = vec!["run", b.as_str(), "--paths", "200", "-q", "--out", out];
    if !extra.contains(&"--charts") {
        args.extend(["--charts", "none"]);
    }
    args.extend_from_slice(extra);
    dealsim(&args, cwd)
}

/// A folder of someone's own things: notes, a git folder, a scenario.
fn someones_folder(dir: &Path) {
    fs::create_dir_all(dir.join(".git/objects")).unwrap();
    fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(dir.join("notes.txt"), "three weeks of notes\n").unwrap();
    fs::copy(base_scenario(), dir.join("my_scenario.toml")).unwrap();
}

/// The refusal contract: exit 2, the folder and some of its files named, nothing
/// simulated (the test pause at `draw` is never reached), nothing written anywhere.
fn assert_refused(o: &std::process::Output, folder: &str, names: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("output folder {folder} ")), "{err}");
    for n in names {
        assert!(err.contains(n), "{n} not named: {err}");
    }
    assert!(err.contains("Nothing was written"), "{err}");
    assert!(
        !err.contains("test pause"),
        "simulated before refusing: {err}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn run_compare_and_sensitivity_refuse_a_folder_of_someone_elses_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    someones_folder(&dir.join("mine"));
    let before = snapshot(dir);
    let b = base_scenario();
    let commands: [Vec<&str>; 3] = [
        vec!["run", &b],
        vec!["compare", &b, &b],
        vec!["sensitivity", &b],
    ];
    for cmd in commands {
        let mut args = cmd.clone();
        args.extend(["--paths", "100", "-q", "--charts", "none", "--out", "mine"]);
        let o = bin(dir)
            .args(&args)
            .env("DEALSIM_TEST_PAUSE", "draw:0")
            .output()
            .unwrap();
        assert_refused(&o, "mine", &["notes.txt", ".git/", "my_scenario.toml"]);
        assert_eq!(snapshot(dir), before, "{cmd:?} changed something");
    }
}

#[test]
fn the_scenarios_own_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("scen")).unwrap();
    fs::copy(base_scenario(), dir.join("scen/base.toml")).unwrap();
    let before = snapshot(dir);
    let o = dealsim(
        &[
            "run",
            "scen/base.toml",
            "--paths",
            "100",
            "-q",
            "--out",
            "scen",
        ],
        dir,
    );
    assert_refused(&o, "scen", &["base.toml"]);
    assert_eq!(snapshot(dir), before);
}

#[test]
fn dot_dotdot_root_a_file_and_a_symlink_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("work")).unwrap();
    let work = dir.join("work");
    fs::write(work.join("afile"), "not a folder").unwrap();
    // A symlink to a real dealsim output: not followed, not replaced.
    assert!(run_into(&work, "real", &[]).status.success());
    std::os::unix::fs::symlink("real", work.join("link")).unwrap();
    let before = snapshot(dir);
    for (out, why) in [
        (".", "give a named folder"),
        ("..", "give a named folder"),
        ("/", "give a named folder"),
        ("real/..", "give a named folder"),
        ("afile", "exists and is not a folder"),
        ("link", "is a symbolic link"),
    ] {
        let o = run_into(&work, out, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--out {out}: {err}");
        assert!(err.contains(why), "--out {out}: {err}");
        assert!(err.contains("Nothing was written"), "{err}");
        assert_eq!(snapshot(dir), before, "--out {out} changed something");
    }
}

#[test]
fn its_own_output_and_empty_folders_are_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("empty")).unwrap();
    let o = run_into(dir, "empty", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first = snapshot(&dir.join("empty"));
    assert!(first.contains_key(Path::new(".dealsim-output")));
    // Again, same seed and paths: replaced by the same bytes (run.json aside).
    let o = run_into(dir, "empty", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let second = snapshot(&dir.join("empty"));
    assert_eq!(
        second[Path::new("summary.csv")],
        first[Path::new("summary.csv")]
    );
    // A different seed changes summary.csv: it really was replaced.
    let o = run_into(dir, "empty", &["--seed", "3"]);
    assert!(o.status.success());
    assert_ne!(
        fs::read(dir.join("empty/summary.csv")).unwrap(),
        first[Path::new("summary.csv")]
    );
    // No staging folder, lock file or aside folder beside it.
    assert_eq!(entries(dir), ["empty"]);
}

#[test]
fn own_output_with_an_added_or_edited_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run_into(dir, "out", &["--charts", "svg"]).status.success());
    // A note added deep inside.
    fs::write(dir.join("out/charts/my_note.txt"), "keep me").unwrap();
    let before = snapshot(dir);
    let o = run_into(dir, "out", &[]);
    assert_refused(&o, "out", &["charts/my_note.txt"]);
    assert_eq!(snapshot(dir), before);
    fs::remove_file(dir.join("out/charts/my_note.txt")).unwrap();
    // An edited CSV (a spreadsheet saved over it).
    let mut s = fs::read_to_string(dir.join("out/summary.csv")).unwrap();
    s.push_str("my,own,row\n");
    fs::write(dir.join("out/summary.csv"), s).unwrap();
    let before = snapshot(dir);
    let o = run_into(dir, "out", &[]);
    assert_refused(&o, "out", &["summary.csv (changed since dealsim wrote it)"]);
    assert_eq!(snapshot(dir), before);
    // A deleted file is fine: what is left is still dealsim's own.
    fs::remove_file(dir.join("out/summary.csv")).unwrap();
    let o = run_into(dir, "out", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("out/summary.csv").is_file());
}

#[test]
fn a_marker_copied_into_someones_folder_does_not_make_it_replaceable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run_into(dir, "out", &[]).status.success());
    someones_folder(&dir.join("mine"));
    // Copy the whole output in, marker included, on top of one's own files.
    for e in fs::read_dir(dir.join("out")).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            fs::copy(e.path(), dir.join("mine").join(e.file_name())).unwrap();
        }
    }
    let before = snapshot(dir);
    let o = run_into(dir, "mine", &[]);
    assert_refused(&o, "mine", &["notes.txt", ".git/", "my_scenario.toml"]);
    assert_eq!(snapshot(dir), before);
}

#[test]
fn a_read_only_folder_of_someones_files_is_refused_too() {
    // Permissions are not what protects it (tests may run as root): its contents are.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    someones_folder(&dir.join("ro"));
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    let before = snapshot(dir);
    let o = run_into(dir, "ro", &[]);
    fs::set_permissions(dir.join("ro"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_refused(&o, "ro", &["notes.txt"]);
    assert_eq!(snapshot(dir), before);
}

#[test]
fn compare_member_names_stay_inside_the_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let scen = fs::read_to_string(base_scenario()).unwrap();
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::create_dir_all(dir.join("b")).unwrap();
    fs::create_dir_all(dir.join("parent")).unwrap();
    // `...toml` has the stem `..`; `charts.toml` the name of the overlay folder; `Base` and
    // `base` differ only in case.
    for f in ["a/base.toml", "b/Base.toml", "a/...toml", "a/charts.toml"] {
        fs::write(dir.join(f), &scen).unwrap();
    }
    let o = dealsim(
        &[
            "compare",
            "a/base.toml",
            "b/Base.toml",
            "a/...toml",
            "a/charts.toml",
            "--paths",
            "100",
            "-q",
            "--charts",
            "svg",
            "--out",
            "parent/out",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Nothing beside the output folder.
    assert_eq!(entries(&dir.join("parent")), ["out"]);
    let out = dir.join("parent/out");
    // Four member folders, each with its own summary.csv, distinct ignoring case.
    let members: Vec<String> = entries(&out)
        .into_iter()
        .filter(|n| out.join(n).join("summary.csv").is_file())
        .collect();
    assert_eq!(members.len(), 4, "{members:?}");
    let mut lower: Vec<String> = members.iter().map(|m| m.to_lowercase()).collect();
    lower.dedup();
    assert_eq!(lower.len(), 4, "{members:?}");
    for m in &members {
        assert!(!m.starts_with('.') && m != "charts", "{m}");
    }
    // The overlay folder holds overlays only, not a member's files.
    assert!(!out.join("charts/summary.csv").exists());
    // Every member's id in compare_summary.csv names one of those folders.
    let csv = fs::read_to_string(out.join("compare_summary.csv")).unwrap();
    for m in &members {
        assert!(csv.contains(m.as_str()), "{m} not in compare_summary.csv");
    }
}

#[test]
fn a_dead_runs_staging_folder_is_removed_only_with_its_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Past the kernel's largest pid: no such process.
    let marked = dir.join(".out.partial-999999999-aaaa");
    let unmarked = dir.join(".out.partial-999999999-bbbb");
    let alive = dir.join(format!(".out.partial-{}-cccc", std::process::id()));
    for d in [&marked, &unmarked, &alive] {
        fs::create_dir(d).unwrap();
        fs::write(d.join("summary.csv"), "x").unwrap();
    }
    fs::write(marked.join(".dealsim-staging"), "").unwrap();
    fs::write(alive.join(".dealsim-staging"), "").unwrap();
    let o = run_into(dir, "out", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!marked.exists());
    assert!(unmarked.join("summary.csv").exists());
    assert!(alive.join("summary.csv").exists());
}

/// Starts a run into `out` that pauses `secs` at its first phase, returning once the pause
/// is announced, with the rest of its stderr collected by a thread.
fn start_paused(
    dir: &Path,
    seed: &str,
    secs: &str,
) -> (std::process::Child, std::thread::JoinHandle<String>) {
    let b = base_scenario();
    let (child, lines) = common::spawn_paused_at(
        bin(dir).args([
            "run", &b, "--paths", "200", "-q", "--charts", "none", "--out", "out", "--seed", seed,
        ]),
        &format!("draw:{secs}"),
        "draw",
    );
    (child, common::collect_rest(lines))
}

#[test]
fn two_runs_to_one_folder_take_turns() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(run_into(dir, "out", &[]).status.success());
    let (mut first, first_err) = start_paused(dir, "1", "2");
    let t0 = Instant::now();
    let b = base_scenario();
    let second = dealsim(
        &[
            "run", &b, "--paths", "200", "-q", "--charts", "none", "--out", "out", "--seed", "2",
        ],
        dir,
    );
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{err}");
    assert!(
        err.contains("waiting for another dealsim run writing to out"),
        "{err}"
    );
    assert!(!err.contains("not empty"), "{err}");
    let st = first.wait().unwrap();
    assert!(st.success(), "{}", first_err.join().unwrap());
    // The second waited for the first (paused for 2 s) and wrote last: its seed is in place.
    assert!(t0.elapsed() >= Duration::from_millis(1500));
    let manifest = fs::read_to_string(dir.join("out/run.json")).unwrap();
    assert!(manifest.contains("\"seed\": 2"), "{manifest}");
    assert_eq!(entries(dir), ["out"]);
}

#[test]
fn a_run_waiting_for_the_lock_can_be_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut first, _) = start_paused(dir, "1", "30");
    let b = base_scenario();
    let mut second = bin(dir)
        .args([
            "run", &b, "--paths", "200", "-q", "--charts", "none", "--out", "out",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(second.stderr.take().unwrap()).lines();
    let waiting = lines.next().expect("a line").unwrap();
    assert!(
        waiting.contains("waiting for another dealsim run"),
        "{waiting}"
    );
    for (child, sig) in [(&second, libc::SIGTERM), (&first, libc::SIGINT)] {
        common::send_signal(child, sig);
    }
    assert_eq!(second.wait().unwrap().code(), Some(128 + libc::SIGTERM));
    assert_eq!(first.wait().unwrap().code(), Some(128 + libc::SIGINT));
    assert!(entries(dir).is_empty(), "{:?}", entries(dir));
}

#[test]
fn threads_above_the_bound_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = run_into(dir, "out", &["--threads", "5000"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--threads") && err.contains("1024"), "{err}");
    assert!(entries(dir).is_empty());
    let o = run_into(dir, "out", &["--threads", "1024"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
