//! Hostile input, end to end: every malformed scenario in `tests/fixtures/bad/` (and a few
//! generated at test time: megabyte files, deep nesting) makes `dealsim run` exit 2 with a
//! message naming the key or the problem, no panic, and nothing written: no output folder,
//! no staging folder left beside it, and a previous output folder byte-identical.

mod common;

use common::dealsim;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// (fixture, a substring stderr must contain: the key path or the problem).
const CASES: &[(&str, &str)] = &[
    (
        "above_minus_one.toml",
        "company.growth0 (line 12): -1 is out of range: must be > -1",
    ),
    ("bad_date_feb30.toml", "invalid date"),
    ("binary_garbage.toml", "not UTF-8 text (byte offset 6)"),
    ("bom_utf16.toml", "not UTF-8 text (byte offset 0)"),
    (
        "correlation_out_of_range.toml",
        "correlation.revenue_growth",
    ),
    (
        "cycle_a.toml",
        "cycle_b.toml: extends (line 2): extends cycle: ",
    ),
    (
        "cycle_b.toml",
        "cycle_a.toml: extends (line 2): extends cycle: ",
    ),
    ("discount_rate_minus_one.toml", "discount.rate"),
    ("dist_in_schedule.toml", "revenue_share.rate.2026"),
    ("dist_missing_param.toml", "channel.ceiling.high"),
    ("duplicate_key.toml", "duplicate key"),
    ("duplicate_section.toml", "duplicate key"),
    ("empty.toml", "missing section [simulation]"),
    ("extends_missing_parent.toml", "cannot read parent scenario"),
    (
        "extends_not_string.toml",
        "extends (line 2): expected a string",
    ),
    ("fraction_above_one.toml", "stake.initial"),
    ("huge_1e308.toml", "company.valuation0"),
    (
        "incremental_plus_cannibalization.toml",
        "incremental + cloud_cannibalization",
    ),
    ("inf.toml", "company.multiple_long"),
    ("integer_too_large.toml", "simulation.seed"),
    ("invalid_utf8.toml", "not UTF-8 text"),
    ("lognormal_median_zero.toml", "company.revenue0"),
    ("many_problems.toml", "3 problems found"),
    ("missing_required.toml", "company.revenue0"),
    ("money_too_large.toml", "company.revenue0"),
    ("nan.toml", "company.revenue_vol"),
    ("negative_cap.toml", "revenue_share.cap"),
    ("negative_seed.toml", "simulation.seed"),
    ("negative_zero_sd_normal.toml", "channel.ceiling"),
    ("non_psd_correlation.toml", "positive semi-definite"),
    ("nonnegative_is_negative.toml", "company.revenue_vol"),
    ("nul_bytes.toml", "invalid TOML"),
    ("overflow_literal.toml", "cloud.model_revenue0"),
    ("paths_zero.toml", "simulation.paths"),
    ("positive_is_zero.toml", "company.growth_half_life"),
    ("round_date_datetime.toml", "stake.rounds[0].date"),
    ("round_date_string.toml", "stake.rounds[0].date"),
    ("round_negative_amount.toml", "stake.rounds[0].amount"),
    ("round_outside_horizon.toml", "stake.rounds[0].date"),
    ("rounds_not_array.toml", "stake.rounds"),
    ("schedule_bad_year.toml", "revenue_share.rate.twenty"),
    ("schedule_not_allowed.toml", "company.revenue0"),
    ("schedule_starts_late.toml", "revenue_share.rate"),
    (
        "section_not_table.toml",
        "discount (line 2): expected a table",
    ),
    ("start_after_end.toml", "simulation.end_year"),
    ("steps_per_year_3.toml", "simulation.steps_per_year"),
    ("stop_paying_datetime.toml", "cloud.stop_paying"),
    ("stop_paying_outside.toml", "cloud.stop_paying"),
    ("stop_paying_string.toml", "cloud.stop_paying"),
    ("support_leaves_range.toml", "channel.ceiling"),
    ("syntax_error.toml", "(line 37): invalid TOML"),
    ("top_level_misplaced.toml", "did you mean simulation.paths"),
    ("triangular_order.toml", "channel.ceiling"),
    (
        "uniform_from_zero_half_life.toml",
        "company.growth_half_life",
    ),
    (
        "unknown_key.toml",
        "company.grwoth0 (line 21): unknown key; did you mean growth0?",
    ),
    ("unknown_section.toml", "did you mean company?"),
    ("unsupported_dist.toml", "channel.ceiling.dist"),
    ("unterminated_string.toml", "(line 3): invalid TOML"),
    ("wrong_type_array.toml", "channel.incremental"),
    ("wrong_type_bool.toml", "company.growth_vol"),
    (
        "wrong_type_number_for_bool.toml",
        "revenue_share.base_includes_channel",
    ),
    ("wrong_type_string.toml", "company.revenue0"),
    ("year_out_of_range.toml", "simulation.end_year"),
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

fn det() -> &'static str {
    include_str!("common/mod.rs")
        .split("r#\"")
        .nth(1)
        .and_then(|s| s.split("\"#;").next())
        .expect("DET in tests/common/mod.rs")
}

/// Every file under `dir`, relative path -> bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), Vec::new());
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs `file` twice (no output folder yet; an existing one) and checks the contract.
/// Returns a description of what went wrong, if anything.
fn check(file: &Path, expected: &str) -> Result<(), String> {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let tmp = tempfile::tempdir().unwrap();
    let file_s = file.to_str().unwrap();
    let o = dealsim(&["run", file_s, "--out", "out", "-q"], tmp.path());
    let err = String::from_utf8_lossy(&o.stderr);
    let short: String = err.chars().take(600).collect();
    if o.status.code() != Some(2) {
        return Err(format!(
            "{name}: exit {:?}, stderr:\n{short}",
            o.status.code()
        ));
    }
    if !err.contains(expected) {
        return Err(format!("{name}: stderr lacks {expected:?}:\n{short}"));
    }
    for bad in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        if err.contains(bad) {
            return Err(format!("{name}: stderr has {bad:?}:\n{short}"));
        }
    }
    if !err.contains("nothing was written") {
        return Err(format!("{name}: no 'nothing was written':\n{short}"));
    }
    if !o.stdout.is_empty() {
        return Err(format!("{name}: stdout not empty"));
    }
    let left = entries(tmp.path());
    if !left.is_empty() {
        return Err(format!("{name}: wrote {left:?}"));
    }
    // A previous output folder stays byte-identical, and no staging folder is left.
    let prev = tmp.path().join("prev");
    fs::create_dir_all(prev.join("charts")).unwrap();
    fs::write(prev.join("summary.csv"), "metric,unit\nnpv_total,usd_bn\n").unwrap();
    fs::write(prev.join("charts/a.svg"), "<svg/>").unwrap();
    let before = snapshot(&prev);
    let o = dealsim(&["run", file_s, "--out", "prev", "-q"], tmp.path());
    if o.status.code() != Some(2) {
        return Err(format!(
            "{name} (existing output): exit {:?}",
            o.status.code()
        ));
    }
    if snapshot(&prev) != before {
        return Err(format!("{name}: the previous output folder changed"));
    }
    let left = entries(tmp.path());
    if left != ["prev"] {
        return Err(format!("{name}: left {left:?} beside the output"));
    }
    Ok(())
}

#[test]
fn every_fixture_is_listed_and_there_are_at_least_30() {
    let mut on_disk = entries(&fixtures());
    on_disk.retain(|f| f.ends_with(".toml"));
    let mut listed: Vec<String> = CASES.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "tests/fixtures/bad and CASES differ");
    assert!(CASES.len() >= 30);
}

#[test]
fn every_bad_fixture_exits_2_names_the_problem_and_writes_nothing() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|(f, expected)| check(&fixtures().join(f), expected).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Huge and deeply nested inputs, generated here rather than committed.
#[test]
fn generated_huge_and_deep_inputs_are_rejected_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = det();
    let gen: Vec<(&str, Vec<u8>, &str)> = vec![
        // 5 MB: 300k unknown keys in one section; all counted, 100 shown.
        (
            "five_mb_unknown_keys.toml",
            d.replace(
                "[company]",
                &format!(
                    "[company]\n{}",
                    (0..300_000)
                        .map(|i| format!("k{i:07} = {i}\n"))
                        .collect::<String>()
                ),
            )
            .into_bytes(),
            "... and 299900 more problems",
        ),
        // 5 MB of comments, then one bad value on the last line.
        (
            "five_mb_comments.toml",
            format!(
                "{}\n{}[extra]\nx = 1\n",
                d,
                "# padding padding padding padding padding padding padding\n".repeat(90_000)
            )
            .into_bytes(),
            "extra (line 90054): unknown key",
        ),
        // A single 1 MB line: an integer literal far beyond any type.
        (
            "one_mb_integer.toml",
            d.replace(
                "revenue0 = 20.0",
                &format!("revenue0 = {}", "1".repeat(1 << 20)),
            )
            .into_bytes(),
            "company.revenue0",
        ),
        // A single 1 MB line: an unterminated string.
        (
            "one_mb_string.toml",
            d.replace(
                "name = \"Deterministic quarterly\"",
                &format!("name = \"{}", "x".repeat(1 << 20)),
            )
            .into_bytes(),
            "invalid TOML",
        ),
        // A single 1 MB line of binary-looking bytes that are valid UTF-8.
        (
            "one_mb_control_chars.toml",
            [&b"x = \""[..], &vec![0x01u8; 1 << 20], b"\"\n"].concat(),
            "invalid TOML",
        ),
        (
            "deep_arrays.toml",
            format!("a = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            "invalid TOML",
        ),
        (
            "deep_inline_tables.toml",
            format!("a = {}1{}\n", "{b=".repeat(20_000), "}".repeat(20_000)).into_bytes(),
            "invalid TOML",
        ),
        (
            "deep_dotted_key.toml",
            format!("{} = 1\n", vec!["k"; 50_000].join(".")).into_bytes(),
            "k",
        ),
        (
            "deep_table_headers.toml",
            format!("[{}]\n", vec!["t"; 50_000].join(".")).into_bytes(),
            "t",
        ),
        (
            "many_array_tables.toml",
            format!(
                "{}{}",
                d,
                "[[stake.rounds]]\ndate = 2026-08-15\namount = -1.0\n".repeat(20_000)
            )
            .into_bytes(),
            "... and 19900 more problems",
        ),
    ];
    let mut failures = Vec::new();
    for (name, bytes, expected) in gen {
        let p = dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        if let Err(e) = check(&p, expected) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Bad input on standard input behaves the same.
#[test]
fn garbage_on_stdin_is_rejected() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let mut child = common::bin(tmp.path())
        .args(["run", "-", "--out", "out", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    child.stdin.take().unwrap().write_all(&garbage).unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("<stdin>") && err.contains("not UTF-8"),
        "{err}"
    );
    assert!(entries(tmp.path()).is_empty());
}

/// Regression: key names were echoed to the terminal verbatim, so a scenario could embed
/// terminal escape sequences (clear screen, set the window title) in a quoted key.
#[test]
fn control_characters_in_keys_are_escaped_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("esc.toml");
    let text = det().replace(
        "[company]",
        "[company]\n\"\\u001b[2J\\u001b]0;pwned\\u0007\" = 1",
    );
    fs::write(&p, text).unwrap();
    let o = dealsim(&["validate", p.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !o.stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "raw control characters in: {}",
        String::from_utf8_lossy(&o.stderr).escape_debug()
    );
}

/// Regression: the loader read scenario files and `extends` parents with an unbounded
/// `fs::read`, whatever they were: a FIFO blocked forever and `/dev/zero` read until
/// memory ran out. Now only regular files of at most 64 MB are read.
#[test]
fn a_fifo_as_parent_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("parent.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a NUL-terminated path in our own temp dir.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    fs::write(dir.path().join("child.toml"), "extends = \"parent.toml\"\n").unwrap();
    let mut child = common::bin(dir.path())
        .args(["validate", "child.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > std::time::Duration::from_secs(5) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("validate still blocked on the FIFO after 5 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("parent.toml"));
}
