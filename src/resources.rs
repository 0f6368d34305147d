//! Memory a request needs, estimated before any path is drawn, against what the machine
//! has: a run that cannot fit is refused up front with both numbers, instead of dying
//! minutes later on an allocation failure (or taking the machine down with it).
//!
//! The estimate follows the engine's layout (`engine::run_in_pool`), phase by phase:
//! while stepping, every path holds its varying parameter words, its state and two random
//! streams, and one f64 per time-series metric; then its results; the summary copies each
//! result column once. Kept paths (`--paths-csv`, and every member of `compare`) add their
//! results, draws and annual cash flows, and paths.csv is built in memory before it is
//! written. Sizes come from `size_of` of the real types, so the estimate follows them as
//! they change; it leans high (measured peak RSS is within it), not an exact account.

use std::mem::size_of;

use rand::rngs::Xoshiro256PlusPlus;

use crate::model::{PathResults, PathState, ACCESSORS};
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, SeriesMetric};

/// Fixed overhead of a process that simulates: binary, thread stacks, charts, summaries.
pub const BASE_BYTES: u64 = 64 << 20;

/// Bytes of one number in a CSV row (digits, sign, point, comma), generously.
const CSV_CELL_BYTES: u64 = 24;

/// What a command will simulate: the shape of one scenario's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunShape {
    pub paths: u64,
    /// Calendar years of the horizon (annual cash flows of kept paths).
    pub years: u64,
    /// Uncertain inputs (one draw per path each, when paths are kept).
    pub uncertain: u64,
    /// Scheduled rounds (a per-path amount each, when some amount is uncertain).
    pub rounds: u64,
}

impl RunShape {
    pub fn of(sc: &Scenario) -> RunShape {
        let sim = &sc.simulation;
        RunShape {
            paths: sim.paths,
            years: u64::try_from(i64::from(sim.end_year) - i64::from(sim.start_year) + 1)
                .unwrap_or(1),
            uncertain: sc.uncertain_inputs().len() as u64,
            rounds: sc.stake.rounds.len() as u64,
        }
    }

    /// Per-path parameters as the engine stores them (`engine::compact`): only the words
    /// that vary between paths, a few per uncertain input (all of them at most), plus
    /// per-path round amounts.
    pub fn params_bytes_per_path(&self) -> u64 {
        let words = (4 * self.uncertain).min(ACCESSORS.len() as u64);
        8 * words
            + if self.uncertain > 0 {
                8 * self.rounds
            } else {
                0
            }
    }

    /// Peak bytes of one path, over the phases of a run (each phase frees what the next
    /// does not need): stepping (parameters, `Lane` = state + two streams, one f64 per
    /// series metric), collecting results (parameters, lanes, results), summarising
    /// (results and one copy of every result column, as the pool may sort them all at
    /// once). `keep` adds kept results, draws and annual cash flows; `csv` the paths.csv
    /// row built in memory.
    pub fn bytes_per_path(&self, keep: bool, csv: bool) -> u64 {
        let params = self.params_bytes_per_path();
        let lane = (size_of::<PathState>() + 2 * size_of::<Xoshiro256PlusPlus>()) as u64;
        let results = size_of::<PathResults>() as u64;
        let annual = if keep { 8 * self.years } else { 0 };
        let stepping = params + lane + 8 * SeriesMetric::ALL.len() as u64 + annual;
        let collecting = params + lane + results + annual;
        let summary = results + 8 * (ResultMetric::ALL.len() as u64 + 1) + annual;
        let mut peak = stepping.max(collecting).max(summary);
        if keep {
            peak = peak.max(self.kept_bytes_per_path() + 8 * (ResultMetric::ALL.len() as u64 + 1));
        }
        if csv {
            peak = peak.max(self.kept_bytes_per_path() + self.csv_bytes_per_path());
        }
        peak
    }

    /// Engine working set of one path without kept paths.
    pub fn engine_bytes_per_path(&self) -> u64 {
        self.bytes_per_path(false, false)
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
pub fn estimate_run(shape: &RunShape, paths_csv: bool) -> u128 {
    let per_path = u128::from(shape.bytes_per_path(paths_csv, paths_csv));
    u128::from(BASE_BYTES) + per_path * u128::from(shape.paths)
}

/// Peak bytes of `dealsim compare`: members run one after another, each keeping its
/// paths until the comparison, which then sorts one column of paired deltas at a time.
pub fn estimate_compare(shapes: &[RunShape]) -> u128 {
    let kept: u128 = shapes
        .iter()
        .map(|s| u128::from(s.kept_bytes_per_path()) * u128::from(s.paths))
        .sum();
    let engine = shapes
        .iter()
        .map(|s| u128::from(s.engine_bytes_per_path()) * u128::from(s.paths))
        .max()
        .unwrap_or(0);
    let deltas = shapes
        .iter()
        .map(|s| 16 * u128::from(s.paths))
        .max()
        .unwrap_or(0);
    u128::from(BASE_BYTES) + kept + engine + deltas
}

/// Bytes this process can use: `MemAvailable` of /proc/meminfo, lowered to what is left
/// under the cgroup's `memory.max` when there is one. `None` when neither is readable
/// (then nothing is refused).
pub fn available_bytes() -> Option<u64> {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| parse_meminfo(&t));
    let cgroup = cgroup_headroom();
    match (mem, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `MemAvailable:  123456 kB` -> bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut parts = line.split_whitespace().skip(1);
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => n.checked_mul(1024),
        _ => None,
    }
}

/// cgroup v2: `memory.max - memory.current` of this process's group ("max": no limit).
fn cgroup_headroom() -> Option<u64> {
    let rel = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = rel.lines().find_map(|l| l.strip_prefix("0::"))?.trim();
    let dir = std::path::Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let max: u64 = read("memory.max")?.trim().parse().ok()?;
    let current: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(max.saturating_sub(current))
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
            rounds: 1,
        }
    }

    #[test]
    fn per_path_sizes_follow_the_types_and_stay_plausible() {
        let s = shape(1);
        let e = s.engine_bytes_per_path();
        let lane = (size_of::<PathState>() + 2 * size_of::<Xoshiro256PlusPlus>()) as u64;
        // At least a lane and a result; well under a kilobyte (measured on base.toml,
        // 500k paths, one thread: about 250 bytes per path of peak RSS).
        assert!(e >= lane + size_of::<PathResults>() as u64, "{e}");
        assert!((200..1024).contains(&e), "{e}");
        assert_eq!(s.params_bytes_per_path(), 8 * 12 + 8);
        assert_eq!(
            s.kept_bytes_per_path(),
            size_of::<PathResults>() as u64 + 24 + 80
        );
        // path, 13 results, two years, 3 draws.
        assert_eq!(s.csv_bytes_per_path(), 24 * 19);
        assert!(s.bytes_per_path(true, true) > s.bytes_per_path(true, false));
        assert!(s.bytes_per_path(true, false) > e);
    }

    #[test]
    fn run_estimate_is_linear_in_paths_and_paths_csv_adds() {
        let (a, b) = (
            estimate_run(&shape(1_000), false),
            estimate_run(&shape(2_000), false),
        );
        assert_eq!(b - a, a - u128::from(BASE_BYTES));
        assert!(estimate_run(&shape(1_000), true) > a);
        // A billion paths with paths.csv: far beyond any workstation (hundreds of GB).
        assert!(estimate_run(&shape(1_000_000_000), true) > 300 << 30);
        // u64::MAX paths does not overflow.
        assert!(estimate_run(&shape(u64::MAX), true) > u128::from(u64::MAX));
    }

    #[test]
    fn compare_keeps_every_member_but_runs_one_engine_at_a_time() {
        let s = shape(10_000);
        let one = estimate_compare(&[s]);
        let three = estimate_compare(&[s, s, s]);
        assert_eq!(
            three - one,
            2 * 10_000 * u128::from(s.kept_bytes_per_path())
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
