//! Memory a request needs, estimated before any path is drawn, against what the machine
//! has: a run that cannot fit is refused up front with both numbers, instead of dying
//! minutes later on an allocation failure (or taking the machine down with it).
//!
//! The estimate follows the engine's layout (`engine::run_in_pool`) and the writing after
//! it, phase by phase, and takes the largest (each phase frees what the next does not
//! need):
//!
//! - drawing inputs: every path's stored words and round amounts, once (each chunk
//!   writes into the arrays `CompactParams` keeps);
//! - stepping: those, a `Lane` (the state: step streams are counter-based, not stored)
//!   and one f64 per time-series metric, plus annual cash flows when paths are kept;
//! - results: kept paths collect their results and draws beside the lanes;
//! - writing: kept paths with paths.csv's text (built in memory, then written), or with
//!   the charts being drawn.
//!
//! That is the time-major engine, which runs whenever paths are kept. A plain run goes
//! path by path (`engine::pathmajor`) when [`RunShape::path_major`] says so: then per path
//! at most its results are held (in a temporary file above 161k paths), beside fixed
//! bracketing tallies that grow with periods and threads, and the values collected near
//! each percentile ([`RunShape::path_major_bytes`]).
//!
//! Kept paths (`--paths-csv`, and every member of `compare`) hold results, draws and
//! annual cash flows. Sizes come from `size_of` of the real types and from the engine's
//! own count of stored words (`engine::per_path_sizes`), so the estimate follows them as
//! they change. Two fixed amounts, measured on the release binary, stand for what does
//! not grow with paths: [`PROCESS_BYTES`] and [`CHARTS_BYTES`]. The matrix in
//! tests/memory_estimate.rs keeps the estimate within ±25 % of the measured peak RSS.

use std::mem::size_of;

use crate::model::{PathResults, PathState};
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, SeriesMetric, N_RESULTS, PERCENTILES};

/// Peak RSS of a run of one path without charts (binary, C runtime, thread pool, the
/// scenario and summaries): measured about 5 MiB (`validate` alone: 4.3 MiB).
pub const PROCESS_BYTES: u64 = 5 << 20;

/// Each scheduled round outside the paths: its node in the scenario tree, the model's
/// entry, its rows in report.html and run.json (measured: 3000 rounds add about 4 MiB).
pub const ROUND_BYTES: u64 = 1536;

/// Drawing the charts (the SVG text, resvg's RGBA pixmap and its fonts, the PNG) and the
/// fixed part of results.xlsx, after the engine has freed its working set: measured
/// 12.8 MiB over a run without charts or workbook (base.toml, one path, 40 periods).
pub const CHARTS_BYTES: u64 = 12 << 20;

/// results.xlsx per period of the horizon: the timeseries and cashflows sheets read back,
/// held as cells and zipped in memory (measured: 20.3 MiB for 900 monthly periods,
/// 2.2 MiB for 40 quarters, so about 21.5 KiB a period).
pub const XLSX_BYTES_PER_PERIOD: u64 = 22 << 10;

/// Bytes of one number in paths.csv (a full-precision fraction and its comma,
/// `0.5488135039273248,`): measured 15-19 on the shipped scenarios.
pub const CSV_CELL_BYTES: u64 = 18;

/// Memory a path-major run may take whatever the time-major one would: below this its
/// speed (each path stepped in cache, no per-period pass over every path) is worth
/// more than the difference.
pub const PATH_MAJOR_BUDGET: u64 = 256 << 20;

/// Most windows a bracketed column has (`engine::bracket`: one per type-7 percentile of
/// timeseries.csv, merged when they overlap).
const BRACKET_WINDOWS: u128 = PERCENTILES.len() as u128;

/// What a command will simulate: the shape of one scenario's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunShape {
    pub paths: u64,
    /// Calendar years of the horizon (annual cash flows of kept paths).
    pub years: u64,
    /// Uncertain inputs (one draw per path each, when paths are kept).
    pub uncertain: u64,
    /// Parameter words stored per path (those that vary between paths).
    pub words: u64,
    /// Round amounts stored per path (every scheduled round, when some amount is
    /// uncertain; else none).
    pub round_amounts: u64,
    /// Scheduled rounds (each costs [`ROUND_BYTES`] once, whatever the paths).
    pub rounds: u64,
    /// Periods of the horizon (rows of the workbook's per-period sheets).
    pub periods: u64,
    /// Worker threads of the run (each holds a path-major run's tally of every column).
    pub threads: u64,
}

impl RunShape {
    pub fn of(sc: &Scenario) -> RunShape {
        let sim = &sc.simulation;
        let (words, rounds) = crate::engine::per_path_sizes(sc);
        RunShape {
            paths: sim.paths,
            years: u64::try_from(i64::from(sim.end_year) - i64::from(sim.start_year) + 1)
                .unwrap_or(1),
            uncertain: sc.uncertain_inputs().len() as u64,
            words: words as u64,
            round_amounts: rounds as u64,
            rounds: sc.stake.rounds.len() as u64,
            periods: u64::try_from(i64::from(sim.end_year) - i64::from(sim.start_year) + 1)
                .unwrap_or(1)
                .saturating_mul(u64::from(sim.steps_per_year)),
            threads: rayon::current_num_threads() as u64,
        }
    }

    /// Columns a path-major run brackets: the nine metrics in every period.
    fn columns(&self) -> u128 {
        u128::from(self.periods) * SeriesMetric::ALL.len() as u128
    }

    /// Peak bytes of a path-major run (`engine::pathmajor`) without kept paths, the
    /// larger of its two phases:
    /// - the passes: per worker, a tally of every column (`u32` and `u8` counts of at
    ///   most `BRACKET_WINDOWS` windows of `BINS + 1` cells) and its block scratch; the
    ///   `u64` copies made when tallies are detached and merged; each chunk's period
    ///   sums; per path, the collected
    ///   values and its result row, unless the rows go to a temporary file
    ///   (`engine::rows`); and the values kept near each rank ([`RunShape::kept_bytes`]);
    /// - the summary, after the tallies are freed: the rows (if in memory) and one result
    ///   column per worker.
    ///
    /// Before all that come the pilot's values.
    pub fn path_major_bytes(&self) -> u128 {
        let n = u128::from(self.paths);
        let counts = self.columns()
            * (BRACKET_WINDOWS * (crate::engine::pathmajor::BINS as u128 + 1) * 5 + 28);
        let scratch = self.columns() * 8 * crate::engine::pathmajor::BLOCK as u128;
        let pilot = self.columns() * 8 * n.min(crate::engine::CHUNK as u128);
        // Measured (tests/memory_estimate.rs): about one tally's `u32` counts per worker
        // plus two for the detached `u64` copies and their merge, which do not all
        // coexist.
        let threads = u128::from(self.threads.max(1));
        let tallies = threads * (counts + scratch) + 2 * counts;
        // Each chunk's sums of every period, merged after the first pass.
        let chunk = crate::engine::CHUNK as u128;
        let sums = n.div_ceil(chunk)
            * u128::from(self.periods)
            * size_of::<crate::engine::PeriodAccumulator>() as u128;
        // The first pass keeps values near each rank; a collect pass (only if a rank was
        // not kept whole) runs after they are freed.
        let collected = n * self.path_major_collected_bytes_per_path();
        let passes =
            tallies + sums + n * self.path_major_row_bytes() + collected.max(self.kept_bytes());
        // Measured: a worker's column and about as much again for the selection of its
        // percentiles and distribution grid (`stats::radix_select` keeps the buckets that
        // hold wanted ranks: nearly all values for the 201-point grid).
        let columns = 16 * threads.min(N_RESULTS as u128);
        // Measured: the tallies' freed memory mostly stays with the process (the
        // allocator keeps it for reuse), so the summary stands on top of it.
        let summary = tallies + sums + n * (self.path_major_row_bytes() + columns);
        // The pilot's values and the plan's sorted copy of them are dropped before the
        // tallies and the paths' rows are made.
        (2 * pilot).max(passes).max(summary)
    }

    /// The values the first pass keeps near every wanted rank (`engine::bracket`, "One
    /// pass"; `pathmajor::KEEP`), all workers: each of `T` workers, per column,
    /// - at most 1.5 times (pruned when half again) its current ranges: `2·keep·√(m p (1 −
    ///   p)(1 − m/n))` local ranks for each of the 5 percentiles at `m = n/T`, plus two bins
    ///   of rounding per range (a bin holds ~`0.056·m / BINS` values: windows
    ///   span 0.034–0.078 of the probability, p5 to p50);
    /// - the gaps between brackets it keeps whole while they hold at most 4096 of its
    ///   values: measured about a third of a small column (`m` = 10k), taken as
    ///   `min(0.35·m, 4096)`;
    ///
    /// 8 bytes a value. Kept values per worker and column on base.toml at 2 threads,
    /// measured at the end of the pass against this before the 1.5: 4,970 / 5,050 at 20k
    /// paths, 5,915 / 9,150 at 200k, 13,100 / 16,000 at 1M, 44,500 / 49,200 at 10M. It
    /// grows like √n: the one part of the passes that grows with paths.
    fn kept_bytes(&self) -> u128 {
        let t = self.threads.max(1) as f64;
        let n = self.paths as f64;
        let m = n / t;
        let fpc = 1.0 - 1.0 / t;
        let keep = crate::engine::pathmajor::KEEP;
        let bin = 0.056 * m / crate::engine::pathmajor::BINS as f64;
        let ranges: f64 = PERCENTILES
            .iter()
            .map(|&p| 2.0 * keep * (m * p * (1.0 - p) * fpc).sqrt() + 2.0 * bin)
            .sum();
        let per_column = (1.5 * ranges + (0.35 * m).min(4096.0)).min(m);
        (per_column * 8.0 * t * self.columns() as f64) as u128
    }

    /// A path's result row in memory: 104 bytes, or none when the rows go to a
    /// temporary file (`engine::rows::spills`).
    fn path_major_row_bytes(&self) -> u128 {
        if crate::engine::rows::spills(self.paths) {
            0
        } else {
            size_of::<[f64; N_RESULTS]>() as u128
        }
    }

    /// The values a collect pass holds (per wanted rank of every column, a bin's share
    /// `0.08 / BINS` of the paths, each held by its worker and in the merge), per path.
    fn path_major_collected_bytes_per_path(&self) -> u128 {
        let bins = crate::engine::pathmajor::BINS as u128;
        // Two ranks per percentile, each collecting ~8 % of the paths over its window's
        // bins, 16 bytes a value (the worker's copy and the merged one).
        let ranks = 2 * PERCENTILES.len() as u128;
        self.columns() * ranks * 16 * 8 / (100 * bins)
    }

    /// Peak bytes of the time-major run's engine (`engine::block`), `keep`: with kept
    /// paths.
    pub fn time_major_bytes(&self, keep: bool) -> u128 {
        u128::from(self.engine_bytes_per_path(keep)) * u128::from(self.paths)
    }

    /// Whether a run of this shape goes path by path: when no paths are kept, and its
    /// fixed bracketing memory (which grows with periods and threads, not paths) stays
    /// within [`PATH_MAJOR_BUDGET`] or below the time-major engine's. The engine asks
    /// this too (`engine::run_in_pool`), so the estimate follows the engine's choice.
    pub fn path_major(&self, keep: bool) -> bool {
        !keep && {
            let pm = self.path_major_bytes();
            pm <= u128::from(PATH_MAJOR_BUDGET) || pm <= self.time_major_bytes(false)
        }
    }

    /// Writing the outputs after the engine: charts and the workbook.
    pub fn writing_bytes(&self) -> u64 {
        CHARTS_BYTES.saturating_add(XLSX_BYTES_PER_PERIOD.saturating_mul(self.periods))
    }

    /// What does not grow with paths: the process and the scenario's rounds.
    pub fn fixed_bytes(&self) -> u128 {
        u128::from(PROCESS_BYTES) + u128::from(ROUND_BYTES) * u128::from(self.rounds)
    }

    /// Per-path parameters as the engine stores them (`engine::compact`).
    pub fn params_bytes_per_path(&self) -> u64 {
        8 * (self.words + self.round_amounts)
    }

    /// Peak bytes of one path over the engine's phases (see the module doc); `keep`
    /// adds annual cash flows while stepping and the collected results and draws.
    pub fn engine_bytes_per_path(&self, keep: bool) -> u64 {
        let params = self.params_bytes_per_path();
        let lane = size_of::<PathState>() as u64;
        let drawing = params;
        let annual = if keep { 8 * self.years } else { 0 };
        let stepping = params + lane + 8 * SeriesMetric::ALL.len() as u64 + annual;
        // Summary: one result column and the cap-hit years at a time; kept paths also
        // collect every result and draw.
        let results = if keep {
            params + lane + self.kept_bytes_per_path() + 8
        } else {
            params + lane + 16
        };
        drawing.max(stepping).max(results)
    }

    /// What a kept path (paths.csv, compare) holds after the run.
    pub fn kept_bytes_per_path(&self) -> u64 {
        size_of::<PathResults>() as u64 + 8 * self.uncertain + 8 * self.years
    }

    /// paths.csv in memory: one row per path (`path`, the results, `cap_hit_year`,
    /// `renegotiation_year`, the draws).
    pub fn csv_bytes_per_path(&self) -> u64 {
        CSV_CELL_BYTES * (3 + ResultMetric::ALL.len() as u64 + self.uncertain)
    }
}

/// Peak bytes of `dealsim run` (`paths_csv`: keep the paths and write paths.csv).
/// Charts are counted as drawn (the default); without them the estimate leans high by
/// [`CHARTS_BYTES`].
pub fn estimate_run(shape: &RunShape, paths_csv: bool) -> u128 {
    let n = u128::from(shape.paths);
    let engine = if shape.path_major(paths_csv) {
        shape.path_major_bytes()
    } else {
        shape.time_major_bytes(paths_csv)
    };
    let kept = if paths_csv {
        u128::from(shape.kept_bytes_per_path()) * n
    } else {
        0
    };
    let csv = if paths_csv {
        u128::from(shape.csv_bytes_per_path()) * n
    } else {
        0
    };
    let writing = kept + csv.max(u128::from(shape.writing_bytes()));
    shape.fixed_bytes() + engine.max(writing)
}

/// Peak bytes of `dealsim compare`: members run one after another, each keeping its
/// paths until the comparison, which then sorts one column of paired deltas at a time.
pub fn estimate_compare(shapes: &[RunShape]) -> u128 {
    let kept: Vec<u128> = shapes
        .iter()
        .map(|s| u128::from(s.kept_bytes_per_path()) * u128::from(s.paths))
        .collect();
    // While member i runs, the members before it are kept.
    let mut before = 0u128;
    let mut peak = 0u128;
    for (s, k) in shapes.iter().zip(&kept) {
        let engine = u128::from(s.engine_bytes_per_path(true)) * u128::from(s.paths);
        peak = peak.max(before + engine.max(u128::from(s.writing_bytes())));
        before += k;
    }
    let deltas = shapes
        .iter()
        .map(|s| 8 * u128::from(s.paths))
        .max()
        .unwrap_or(0);
    let writing = shapes
        .iter()
        .map(|s| u128::from(s.writing_bytes()))
        .max()
        .unwrap_or(0);
    let after = before + deltas.max(writing);
    let fixed = shapes
        .iter()
        .map(RunShape::fixed_bytes)
        .max()
        .unwrap_or(u128::from(PROCESS_BYTES));
    fixed + peak.max(after)
}

/// Bytes this process can use: `MemAvailable` of /proc/meminfo, lowered to what is left
/// under the memory cgroup's limit when there is one (v2 or v1). `None` when neither is
/// readable (then nothing is refused).
#[cfg(target_os = "linux")]
pub fn available_bytes() -> Option<u64> {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| parse_meminfo(&t));
    tighter(mem, cgroup_headroom())
}

/// Bytes this process can use: unknown off Linux (no /proc, no cgroups), so nothing is
/// refused up front; a run too large for the machine fails as any allocation would.
#[cfg(not(target_os = "linux"))]
pub fn available_bytes() -> Option<u64> {
    None
}

/// The tighter of two optional limits (either may be unknown).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn tighter(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `MemAvailable:  123456 kB` -> bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    kib_field(text, "MemAvailable:")
}

/// Where this process's memory cgroup is, from /proc/self/cgroup: the v2 path (`0::/x`)
/// and the v1 path of the `memory` controller (`4:memory:/x`, possibly listed with
/// others as `4:cpu,memory:/x`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CgroupPaths {
    pub v2: Option<String>,
    pub v1_memory: Option<String>,
}

pub fn parse_proc_cgroup(text: &str) -> CgroupPaths {
    let mut out = CgroupPaths::default();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            out.v2 = Some(path.trim().to_string());
        } else if controllers.split(',').any(|c| c == "memory") {
            out.v1_memory = Some(path.trim().to_string());
        }
    }
    out
}

/// Headroom under a limit: `limit - usage`, from the text of the limit file (`max`, or
/// v1's "unlimited" value, a number near 2^63: no limit) and of the usage file.
pub fn parse_headroom(limit: &str, usage: &str) -> Option<u64> {
    let limit = limit.trim();
    if limit == "max" {
        return None;
    }
    let limit: u64 = limit.parse().ok()?;
    // v1 writes "no limit" as the largest page-aligned i64.
    if limit >= 1 << 62 {
        return None;
    }
    let usage: u64 = usage.trim().parse().ok()?;
    Some(limit.saturating_sub(usage))
}

/// The tightest headroom found: cgroup v2 (`memory.max - memory.current`), then v1
/// (`memory.limit_in_bytes - memory.usage_in_bytes`), each in the process's own group
/// and, where that is not mounted (inside a container the group's path is the host's),
/// at the root of the mount. Cgroups are Linux's.
#[cfg(target_os = "linux")]
fn cgroup_headroom() -> Option<u64> {
    use std::path::{Path, PathBuf};
    let paths = parse_proc_cgroup(&std::fs::read_to_string("/proc/self/cgroup").ok()?);
    let read = |dir: &Path, f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let candidates = |root: &str, rel: &Option<String>| -> Vec<PathBuf> {
        let mut v = Vec::new();
        if let Some(rel) = rel {
            v.push(Path::new(root).join(rel.trim_start_matches('/')));
        }
        v.push(PathBuf::from(root));
        v
    };
    let mut found: Vec<u64> = Vec::new();
    for dir in candidates("/sys/fs/cgroup", &paths.v2) {
        if let (Some(l), Some(u)) = (read(&dir, "memory.max"), read(&dir, "memory.current")) {
            found.extend(parse_headroom(&l, &u));
            break;
        }
    }
    for dir in candidates("/sys/fs/cgroup/memory", &paths.v1_memory) {
        let limit = read(&dir, "memory.limit_in_bytes");
        if let (Some(l), Some(u)) = (limit, read(&dir, "memory.usage_in_bytes")) {
            found.extend(parse_headroom(&l, &u));
            break;
        }
    }
    found.into_iter().min()
}

/// Set in the environment, makes the process print its peak resident set on stderr at
/// exit (`peak_rss_bytes=N`): how tests check the estimate against the real binary.
/// Undocumented for users; it changes nothing else.
pub const PEAK_RSS_ENV: &str = "DEALSIM_DEBUG_PEAK_RSS";

/// Prints the peak RSS when [`PEAK_RSS_ENV`] is set (see there).
pub fn report_peak_rss() {
    if std::env::var_os(PEAK_RSS_ENV).is_none() {
        return;
    }
    if let Some(b) = peak_rss_bytes() {
        eprintln!("peak_rss_bytes={b}");
    }
}

/// This process's peak resident set (VmHWM of /proc/self/status).
#[cfg(target_os = "linux")]
fn peak_rss_bytes() -> Option<u64> {
    parse_vm_hwm(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// Unknown off Linux: nothing is printed (the variable serves Linux's tests only).
#[cfg(not(target_os = "linux"))]
fn peak_rss_bytes() -> Option<u64> {
    None
}

/// `VmHWM:  123456 kB` of /proc/self/status -> bytes. The high-water mark of this
/// process's own address space: unlike a parent's `ru_maxrss`, it does not inherit the
/// RSS of the process that spawned it.
pub fn parse_vm_hwm(text: &str) -> Option<u64> {
    kib_field(text, "VmHWM:")
}

/// `NAME:  123456 kB` -> bytes (a missing unit is read as kB, as the kernel writes it).
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let mut parts = line.split_whitespace().skip(1);
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => n.checked_mul(1024),
        _ => None,
    }
}

/// Bytes as a short human figure: `1.5 GiB`, `640.0 MiB`.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// `Err(message)` when `need` bytes exceed `available`: the message gives both and what
/// to change. `what` names the request (`"this run"`, `"this comparison"`).
pub fn check(need: u128, available: Option<u64>, what: &str, paths: u64) -> Result<(), String> {
    match available {
        Some(avail) if need > u128::from(avail) => Err(format!(
            "{what} needs about {} of memory ({paths} paths) but only {} is available; \
             use fewer --paths{}",
            human(need),
            human(u128::from(avail)),
            if what.contains("comparison") {
                " or fewer scenarios"
            } else {
                ", or drop --paths-csv"
            }
        )),
        _ => Ok(()),
    }
}

/// Refuse a `run` that cannot fit in memory.
pub fn check_run(sc: &Scenario, paths_csv: bool) -> Result<(), String> {
    let shape = RunShape::of(sc);
    check(
        estimate_run(&shape, paths_csv),
        available_bytes(),
        "this run",
        shape.paths,
    )
}

/// Refuse a `compare` that cannot fit in memory.
pub fn check_compare(scenarios: &[&Scenario]) -> Result<(), String> {
    let shapes: Vec<RunShape> = scenarios.iter().map(|s| RunShape::of(s)).collect();
    let paths = shapes.first().map_or(0, |s| s.paths);
    check(
        estimate_compare(&shapes),
        available_bytes(),
        "this comparison",
        paths,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(paths: u64) -> RunShape {
        RunShape {
            paths,
            years: 10,
            uncertain: 3,
            words: 5,
            round_amounts: 1,
            rounds: 1,
            periods: 40,
            threads: 2,
        }
    }

    #[test]
    fn per_path_sizes_follow_the_types_and_stay_plausible() {
        let s = shape(1);
        let e = s.engine_bytes_per_path(false);
        let lane = size_of::<PathState>() as u64;
        // At least a lane and the stored words; well under a kilobyte (measured on
        // base.toml, 200k paths: about 250 bytes per path of peak RSS).
        assert!(e >= lane + 8 * 6, "{e}");
        assert!((200..1024).contains(&e), "{e}");
        assert_eq!(s.params_bytes_per_path(), 8 * 5 + 8);
        assert_eq!(
            s.kept_bytes_per_path(),
            size_of::<PathResults>() as u64 + 24 + 80
        );
        assert_eq!(s.csv_bytes_per_path(), CSV_CELL_BYTES * 19); // path, 13 results, two years, 3 draws
        assert!(s.engine_bytes_per_path(true) > e);
    }

    #[test]
    fn stored_round_amounts_count_once() {
        // Thousands of uncertain rounds: stored once (drawn straight into the arrays the
        // run keeps), beside the state and the period's values while stepping.
        let s = RunShape {
            round_amounts: 2000,
            ..shape(1)
        };
        let stepping =
            8 * 2005 + size_of::<PathState>() as u64 + 8 * SeriesMetric::ALL.len() as u64;
        assert_eq!(s.engine_bytes_per_path(false), stepping);
    }

    #[test]
    fn the_engine_reports_what_it_stores_per_path() {
        let sc = crate::scenario::parse_str(&crate::scenario::EXAMPLE, "e.toml").unwrap();
        let s = RunShape::of(&sc);
        // Every uncertain input varies at least one word; none is a scheduled round
        // amount unless some round amount is uncertain or some round is conditional (a
        // round that does not happen is stored as amount 0 on its path).
        assert!(s.words >= s.uncertain && s.words > 0, "{s:?}");
        let uncertain_round = sc.stake.rounds.iter().any(|r| {
            matches!(r.amount, crate::scenario::Input::Dist(_)) || r.probability.is_some()
        });
        let want = if uncertain_round {
            sc.stake.rounds.len()
        } else {
            0
        };
        assert_eq!(s.round_amounts, want as u64);
    }

    #[test]
    fn run_estimate_is_linear_in_paths_and_paths_csv_adds() {
        // Path-major (no paths kept): a fixed part for the tallies, the values kept near
        // each rank (growing like √n, and a bin's rounding linearly), and at the summary
        // a linear part: with result rows in memory up to 161k paths, in a file above.
        let m = 1_000_000;
        let at = |paths: u64| estimate_run(&shape(paths), false);
        let kept = |paths: u64| shape(paths).kept_bytes() as f64;
        let grows = kept(4 * m) / kept(m);
        assert!((1.8..2.4).contains(&grows), "{grows}");
        assert!(at(m) < at(4 * m) && at(4 * m) < 4 * at(m));
        // 1M paths within the 256 MiB.
        assert!(at(m) < 256 << 20, "{}", at(m));
        // 10M paths within the 512 MiB.
        assert!(at(10 * m) < 512 << 20, "{}", at(10 * m));
        // Time-major with paths.csv: linear through the origin's fixed bytes.
        let [a, b] = [1, 2].map(|m| estimate_run(&shape(m * 1_000_000), true));
        assert_eq!(b - a, a - shape(1).fixed_bytes());
        assert!(a > estimate_run(&shape(1_000_000), false));
        // A tiny run still pays for the process and the charts, and for a path-major run
        // its tallies: a few tens of MiB in all.
        let tiny = estimate_run(&shape(1), false);
        assert!(
            tiny > u128::from(PROCESS_BYTES + CHARTS_BYTES) && tiny < 64 << 20,
            "{tiny}"
        );
        // A billion paths with paths.csv: far beyond any workstation (hundreds of GB).
        assert!(estimate_run(&shape(1_000_000_000), true) > 300 << 30);
        // u64::MAX paths does not overflow.
        assert!(estimate_run(&shape(u64::MAX), true) > u128::from(u64::MAX));
        assert!(estimate_run(&shape(u64::MAX), false) > u128::from(u64::MAX));
    }

    #[test]
    fn path_major_unless_paths_are_kept_or_its_tallies_outgrow_the_run() {
        // Quarterly, 40 periods: path by path at any size.
        for n in [1, 20_000, 1_000_000, 10_000_000] {
            assert!(shape(n).path_major(false), "{n}");
            assert!(!shape(n).path_major(true), "{n}");
        }
        // Monthly over 75 years: 8100 columns of tallies and pilot values (hundreds of
        // MiB) are more than the time-major run of 50k paths needs.
        let monthly = |n| RunShape {
            periods: 900,
            ..shape(n)
        };
        assert!(monthly(50_000).path_major_bytes() > 256 << 20);
        assert!(!monthly(50_000).path_major(false));
    }

    #[test]
    fn compare_keeps_every_member_but_runs_one_engine_at_a_time() {
        let s = shape(1_000_000);
        let one = estimate_compare(&[s]);
        let three = estimate_compare(&[s, s, s]);
        assert_eq!(
            three - one,
            2 * 1_000_000 * u128::from(s.kept_bytes_per_path())
        );
        assert!(one > estimate_run(&s, false));
    }

    #[test]
    fn meminfo_is_parsed() {
        let t = "MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   12345678 kB\n";
        assert_eq!(parse_meminfo(t), Some(12_345_678 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_meminfo("MemAvailable: lots kB\n"), None);
        assert_eq!(parse_meminfo("MemAvailable: 5 MB\n"), None);
    }

    #[test]
    fn proc_self_cgroup_is_parsed_for_v1_and_v2() {
        let v2 = "0::/user.slice/user-1000.slice/session-3.scope\n";
        assert_eq!(
            parse_proc_cgroup(v2),
            CgroupPaths {
                v2: Some("/user.slice/user-1000.slice/session-3.scope".into()),
                v1_memory: None
            }
        );
        let v1 = "12:pids:/docker/abc\n4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n";
        assert_eq!(
            parse_proc_cgroup(v1),
            CgroupPaths {
                v2: None,
                v1_memory: Some("/docker/abc".into())
            }
        );
        let hybrid = "5:cpuset,memory:/lxc/x\n0::/init.scope\n";
        let p = parse_proc_cgroup(hybrid);
        assert_eq!(p.v1_memory.as_deref(), Some("/lxc/x"));
        assert_eq!(p.v2.as_deref(), Some("/init.scope"));
        assert_eq!(parse_proc_cgroup("garbage\n"), CgroupPaths::default());
    }

    #[test]
    fn cgroup_limits_are_read_in_both_formats() {
        // v2: memory.max / memory.current.
        assert_eq!(parse_headroom("max\n", "123\n"), None);
        assert_eq!(
            parse_headroom("1073741824\n", "268435456\n"),
            Some(805_306_368)
        );
        // v1: memory.limit_in_bytes / memory.usage_in_bytes; "unlimited" is 2^63 - 4096.
        assert_eq!(parse_headroom("9223372036854771712\n", "5000\n"), None);
        assert_eq!(parse_headroom("536870912\n", "100\n"), Some(536_870_812));
        // Over the limit (the kernel allows a little): no headroom, not a wrap-around.
        assert_eq!(parse_headroom("100\n", "200\n"), Some(0));
        assert_eq!(parse_headroom("lots", "1"), None);
    }

    #[test]
    fn vm_hwm_is_parsed() {
        let t = "Name:\tdealsim\nVmPeak:\t  99999 kB\nVmHWM:\t   13560 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(t), Some(13_560 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS: 5 kB\n"), None);
    }

    #[test]
    fn the_tighter_known_limit_wins() {
        assert_eq!(tighter(Some(5), Some(3)), Some(3));
        assert_eq!(tighter(Some(5), None), Some(5));
        assert_eq!(tighter(None, Some(3)), Some(3));
        assert_eq!(tighter(None, None), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_reports_some_memory() {
        let a = available_bytes().expect("/proc/meminfo on Linux");
        assert!(a > 16 << 20, "{a}");
    }

    #[test]
    fn refusal_gives_both_numbers() {
        assert_eq!(check(100, Some(200), "this run", 5), Ok(()));
        assert_eq!(check(u128::MAX, None, "this run", 5), Ok(()));
        let e = check(3 << 40, Some(8 << 30), "this run", 7).unwrap_err();
        assert!(
            e.contains("3.0 TiB") && e.contains("8.0 GiB") && e.contains("7 paths"),
            "{e}"
        );
        assert!(e.contains("--paths-csv"), "{e}");
        let e = check(3 << 40, Some(8 << 30), "this comparison", 7).unwrap_err();
        assert!(e.contains("fewer scenarios"), "{e}");
        assert_eq!(human(512), "512 B");
        assert_eq!(human(1536), "1.5 KiB");
    }
}
