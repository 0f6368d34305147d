//! Shared test helpers: a deterministic quarterly scenario to mutate, running it in
//! process or through the binary (`DEALSIM_TEST_BIN` honoured), temporary working folders,
//! reading CSVs and PNGs; `scenario_edits` for the validation tests.
#![allow(dead_code)]

pub mod scenario_edits;

use dealsim::engine::{self, RunOptions, RunOutput};
use dealsim::scenario::{self, Scenario};

/// Quarterly 2026–2029, every volatility 0, every input a constant; a cap that binds in
/// 2028, a round on 2026-08-15, a reverse-share stop mid-quarter (2026-05-10), a rate
/// schedule, a compute-margin schedule.
pub const DET: &str = r#"
[meta]
name = "Deterministic quarterly"
[simulation]
start_year = 2026
end_year = 2029
steps_per_year = 4
paths = 3
seed = 5
[company]
revenue0 = 20.0
growth0 = 0.8
growth_long = 0.1
growth_half_life = 2.0
growth_vol = 0.0
revenue_vol = 0.0
valuation0 = 500.0
multiple_long = 12.0
multiple_half_life = 3.0
multiple_vol = 0.0
[stake]
initial = 0.27
annual_dilution = 0.03
liquidity_discount = 0.1
[[stake.rounds]]
date = 2026-08-15
amount = 40.0
[revenue_share]
rate = { 2026 = 0.20, 2027 = 0.15 }
end_year = 2028
cap = 12.5
base_includes_channel = false
[channel]
addressable_share = 0.3
ceiling = 0.2
midpoint_year = 2027.5
ramp_speed = 1.5
incremental = 0.4
cloud_cannibalization = 0.3
[cloud]
model_revenue0 = 5.0
model_margin = 0.5
share_to_company = 0.2
stop_paying = 2026-05-10
compute_spend_ratio = 0.6
compute_share0 = 0.8
compute_share_long = 0.4
compute_share_half_life = 2.0
compute_margin = { 2026 = 0.3, 2028 = 0.25 }
[discount]
rate = 0.1
equity_rate = 0.14
"#;

/// `DET` with `key = value` lines replaced (matched by the text before ` =` within the
/// given section) or added to the section.
pub fn with(base: &str, section: &str, key: &str, value: &str) -> String {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut done = false;
    for line in base.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            if in_section && !done {
                out.push(format!("{key} = {value}"));
                done = true;
            }
            in_section = t == format!("[{section}]");
        }
        if in_section && !done && t.split('=').next().map(str::trim) == Some(key) {
            out.push(format!("{key} = {value}"));
            done = true;
            continue;
        }
        out.push(line.to_string());
    }
    if in_section && !done {
        out.push(format!("{key} = {value}"));
    }
    out.join("\n")
}

pub fn parse(text: &str) -> Scenario {
    scenario::parse_str(text, "test.toml").unwrap_or_else(|e| panic!("test scenario invalid:\n{e}"))
}

/// `sc` with its run size and seed set (the scenario owns them; `--paths`/`--seed` are
/// folded into it the same way).
pub fn sized(sc: &Scenario, paths: u64, seed: u64) -> Scenario {
    let mut sc = sc.clone();
    sc.simulation.paths = paths;
    sc.simulation.seed = seed;
    sc
}

pub fn run(sc: &Scenario, paths: u64, seed: u64, threads: usize, keep: bool) -> RunOutput {
    let sc = &sized(sc, paths, seed);
    let opts = RunOptions {
        threads,
        keep_paths: keep,
        progress: None,
        cancel: None,
    };
    engine::run(sc, &opts).expect("run")
}

/// Decodes an RGB PNG: (width, height, pixels as [r, g, b]).
pub fn decode_png(path: &std::path::Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let px = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

/// The dealsim binary under test: this build's, or `DEALSIM_TEST_BIN` when set (to replay
/// an end-to-end test against another build, e.g. to show a defect before its fix).
pub fn bin_path() -> std::path::PathBuf {
    std::env::var_os("DEALSIM_TEST_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_dealsim")))
}

/// A command for the binary under test, run in `cwd` with no standard input, and with
/// SIGHUP at its default disposition even if the test runner ignores it (`nohup cargo
/// test`): dealsim keeps an inherited ignored SIGHUP ignored, and the tests send it one.
pub fn bin(cwd: &std::path::Path) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(bin_path());
    c.current_dir(cwd).stdin(std::process::Stdio::null());
    // SAFETY: signal(2) is async-signal-safe, as pre_exec requires.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
            Ok(())
        });
    }
    c
}

/// Run the binary to completion.
pub fn dealsim(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    bin(cwd).args(args).output().expect("binary runs")
}

/// The repository's scenarios/base.toml.
pub fn base_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/base.toml")
}

/// The repository's scenarios/base.toml, as a string path.
pub fn base_scenario() -> String {
    base_path().to_string_lossy().into_owned()
}

/// Every entry under `dir`, relative path -> bytes (folders map to an empty vector,
/// symbolic links to their target with a `->` prefix): compares folders byte for byte.
pub fn snapshot(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
    ) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let t = e.file_type().unwrap();
            if t.is_symlink() {
                let to = std::fs::read_link(&p).unwrap();
                out.insert(rel, format!("-> {}", to.display()).into_bytes());
            } else if t.is_dir() {
                out.insert(rel, Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut m = std::collections::BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

/// The names in `dir`, sorted.
pub fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every row of a CSV file, the header first, as text (quoted cells unquoted; rows may
/// differ in length).
pub fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut r = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The rows of a CSV file after its header.
pub fn csv_body(path: &std::path::Path) -> Vec<Vec<String>> {
    csv_rows(path).split_off(1)
}

/// Every numeric cell of the CSV `bytes` after its header, as (column, text, value):
/// cells of `text_cols`, and empty cells of `allow_empty`, are skipped; any other cell
/// that is not a number fails the test, naming `name` and the column.
pub fn numeric_cells(
    name: &str,
    bytes: &[u8],
    text_cols: &[&str],
    allow_empty: &[&str],
) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    let mut r = ::csv::Reader::from_reader(bytes);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for rec in r.records() {
        let rec = rec.unwrap();
        for (h, cell) in header.iter().zip(rec.iter()) {
            if text_cols.contains(&h.as_str())
                || (cell.is_empty() && allow_empty.contains(&h.as_str()))
            {
                continue;
            }
            let v: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{name}: column {h}: not a number: {cell:?}"));
            out.push((h.clone(), cell.to_string(), v));
        }
    }
    out
}

/// A CSV file as (header, rows).
pub fn csv_table(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rows = csv_rows(path);
    assert!(!rows.is_empty(), "{}: no header", path.display());
    let head = rows.remove(0);
    (head, rows)
}

/// `o`'s standard output, after checking that it succeeded (else its exit, stdout and
/// stderr).
pub fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Run the binary to completion and check that it succeeded.
pub fn dealsim_ok(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    let o = dealsim(args, cwd);
    assert!(
        o.status.success(),
        "dealsim {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `base` with each `(section, key, value)` edit applied in turn, as [`with`] applies one.
pub fn with_all(base: &str, edits: &[(&str, &str, &str)]) -> String {
    edits
        .iter()
        .fold(base.to_string(), |t, (section, key, value)| {
            with(&t, section, key, value)
        })
}

/// Market noise: revenue volatility 0.4 and growth volatility 0.3 (edits for [`with_all`]).
pub const MARKET_NOISE: [(&str, &str, &str); 2] = [
    ("company", "revenue_vol", "0.4"),
    ("company", "growth_vol", "0.3"),
];

/// Valuation-multiple volatility 0.5 (an edit for [`with_all`]).
pub const MULTIPLE_NOISE: (&str, &str, &str) = ("company", "multiple_vol", "0.5");

/// The channel ceiling uncertain, uniform on 0–0.6 (an edit for [`with_all`]).
pub const UNIFORM_CEILING: (&str, &str, &str) = (
    "channel",
    "ceiling",
    r#"{ dist = "uniform", low = 0.0, high = 0.6 }"#,
);

/// DET with market noise (revenue and growth volatility) and one uncertain input, the
/// channel ceiling (uniform on 0–0.6), over `paths` paths: results differ per path.
pub fn noisy(paths: u64) -> String {
    let paths = paths.to_string();
    with_all(
        DET,
        &[
            MARKET_NOISE[0],
            MARKET_NOISE[1],
            UNIFORM_CEILING,
            ("simulation", "paths", &paths),
        ],
    )
}

/// `text` (DET or built on it) with three uncertain inputs, one per shape: the channel
/// ceiling triangular, the model revenue lognormal, initial growth PERT.
pub fn with_triangular_lognormal_pert(text: &str) -> String {
    text.replace(
        "ceiling = 0.2",
        r#"ceiling = { dist = "triangular", low = 0.05, mode = 0.12, high = 0.3 }"#,
    )
    .replace(
        "model_revenue0 = 5.0",
        r#"model_revenue0 = { dist = "lognormal", median = 5.0, sigma = 0.4 }"#,
    )
    .replace(
        "growth0 = 0.8",
        r#"growth0 = { dist = "pert", low = 0.5, mode = 0.8, high = 1.4 }"#,
    )
}

/// A fresh temporary folder holding `text` as `name`: the working folder of an
/// end-to-end test (keep the returned guard alive while the folder is used).
pub fn folder_with(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    dir
}

/// Sends `sig` to `child` (kill(2)), which must succeed.
pub fn send_signal(child: &std::process::Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: plain kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// `child`'s exit status, polled every 2 ms; a child still running after `limit` is killed
/// and reaped, and the test fails with `message`.
pub fn wait_within(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    message: &str,
) -> std::process::ExitStatus {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{message}");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// The rest of a child's stderr `lines`, collected by a thread (so the child never blocks
/// on a full pipe) and joined into one text.
pub fn collect_rest(lines: StderrLines) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"))
}

/// The child's stderr, line by line.
pub type StderrLines = std::io::Lines<std::io::BufReader<std::process::ChildStderr>>;

/// Spawns `cmd` (stdout discarded, stderr piped) with the binary's test-only pause
/// `DEALSIM_TEST_PAUSE=<pause>`, and waits for its first stderr line, which must announce
/// the pause at `phase`: the child, held inside the phase, and its remaining stderr.
pub fn spawn_paused_at(
    cmd: &mut std::process::Command,
    pause: &str,
    phase: &str,
) -> (std::process::Child, StderrLines) {
    use std::io::BufRead;
    let mut child = cmd
        .env("DEALSIM_TEST_PAUSE", pause)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a line").unwrap();
    assert!(
        first.contains(&format!("test pause at phase {phase}")),
        "{first}"
    );
    (child, lines)
}
