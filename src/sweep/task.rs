//! One task of a plan: simulate, then write its part file.
//!
//! Part bodies (little-endian):
//! - **sweep**, one grid point: for each result in `ResultMetric::ALL` order, its
//!   [`Stats`] as 10 f64 (mean, std_dev, std_error, p5, p25, p50, p75, p95, min, max).
//!   Exact bits, so the merged sweep.csv equals the in-process one.
//! - **shard**, paths `first..first+count`: for each period, the shard's chunk partial
//!   sums (`PeriodAccumulator::WORDS` u64 per 4096-path chunk, in chunk order) then its
//!   eight per-path series values (metric-major, path order); then the ten per-path
//!   results (metric-major); then each path's cap-hit year as i32 (0 = never).

use std::path::{Path, PathBuf};

use crate::engine::{self, shard, EngineError, PeriodAccumulator, RunOptions, CHUNK};
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, SeriesMetric, Stats};

use super::part;
use super::plan::Plan;

/// f64 per [`Stats`] in a sweep part.
pub const STATS_WORDS: usize = 10;

pub fn stats_words(s: &Stats) -> [f64; STATS_WORDS] {
    let p = s.pct;
    [
        s.mean,
        s.std_dev,
        s.std_error,
        p[0],
        p[1],
        p[2],
        p[3],
        p[4],
        s.min,
        s.max,
    ]
}

pub fn stats_from_words(w: &[f64]) -> Stats {
    Stats {
        mean: w[0],
        std_dev: w[1],
        std_error: w[2],
        pct: [w[3], w[4], w[5], w[6], w[7]],
        min: w[8],
        max: w[9],
    }
}

/// Body bytes of a sweep part.
pub fn sweep_body_bytes() -> u64 {
    (ResultMetric::ALL.len() * STATS_WORDS * 8) as u64
}

/// Run grid point `sc` (the plan's point, carrying its paths and seed) and return each
/// result's statistics.
pub fn run_point(sc: &Scenario, threads: usize) -> Result<Vec<Stats>, EngineError> {
    let opts = RunOptions {
        threads,
        keep_paths: false,
        progress: None,
        cancel: None,
    };
    let r = engine::run(sc, &opts)?;
    Ok(r.summary.results.to_vec())
}

/// Write a sweep point's part.
pub fn write_point(dir: &Path, plan: &Plan, k: usize, stats: &[Stats]) -> anyhow::Result<PathBuf> {
    part::write(dir, plan, k, sweep_body_bytes(), |w| {
        for s in stats {
            part::put_f64s(w, &stats_words(s))?;
        }
        Ok(())
    })
}

/// Bytes of one period's block in a shard part of `count` paths.
pub fn shard_period_bytes(count: u64) -> u64 {
    let chunks = count.div_ceil(CHUNK as u64);
    chunks * PeriodAccumulator::WORDS as u64 * 8 + SeriesMetric::ALL.len() as u64 * 8 * count
}

/// Body bytes of a shard part: periods, then results, then cap-hit years.
pub fn shard_body_bytes(periods: usize, count: u64) -> u64 {
    periods as u64 * shard_period_bytes(count)
        + ResultMetric::ALL.len() as u64 * 8 * count
        + 2 * 4 * count
}

/// Run shard `k` of `plan` (scenario `sc`) and write its part, streaming each period to
/// the file as it is simulated (memory stays that of a run of the shard's paths).
pub fn run_shard(
    dir: &Path,
    plan: &Plan,
    k: usize,
    sc: &Scenario,
    opts: &RunOptions,
) -> anyhow::Result<PathBuf> {
    let (first, count) = plan.shards[k];
    let periods = crate::model::Model::new(sc).grid.len();
    part::write(dir, plan, k, shard_body_bytes(periods, count), |w| {
        let io = |e: std::io::Error| EngineError::Output(e.to_string());
        let res = shard::run_shard(sc, opts, first, count, |partials, buffers| {
            let mut words = Vec::with_capacity(partials.len() * PeriodAccumulator::WORDS);
            for p in partials {
                words.extend_from_slice(&p.to_words());
            }
            part::put_u64s(w, &words).map_err(io)?;
            for b in buffers {
                part::put_f64s(w, b).map_err(io)?;
            }
            Ok(())
        })?;
        for c in &res.columns {
            part::put_f64s(w, c)?;
        }
        // Cap-hit years, then renegotiation years: 4 bytes a path each, 0 for never.
        for years in [&res.cap_years, &res.renegotiation_years] {
            let bytes: Vec<u8> = years
                .iter()
                .flat_map(|y| y.unwrap_or(0).to_le_bytes())
                .collect();
            w.write_all(&bytes)?;
        }
        Ok(())
    })
}
