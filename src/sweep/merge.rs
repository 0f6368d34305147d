//! Parts back into results: a sweep's per-point statistics, or a sharded run's summary,
//! bit for bit what the single-machine command computes.

use std::io::Read;
use std::sync::Mutex;

use anyhow::{anyhow, Context, Result};

use crate::engine::{shard, PeriodAccumulator, RunOptions, CHUNK};
use crate::risk::RiskSummary;
use crate::summary::{ResultMetric, RunSummary, SeriesMetric};

use super::part::{self, Part};
use super::plan::Plan;
use super::task::{self, STATS_WORDS};
use super::{metric_by_name, SweepResult};

/// A sweep's result from its parts (one per point, in point order).
pub fn sweep(plan: &Plan, parts: &[Part]) -> Result<SweepResult> {
    let sc = plan.scenario().map_err(|e| anyhow!(e))?;
    let metric = metric_by_name(&plan.metric).map_err(|e| anyhow!(e))?;
    let mut stats = Vec::with_capacity(parts.len());
    for p in parts {
        let mut r = p.open_at(0)?;
        let mut w = vec![0.0; ResultMetric::ALL.len() * STATS_WORDS];
        part::get_f64s(&mut r, &mut w)
            .with_context(|| format!("cannot read {}", p.path.display()))?;
        stats.push(
            w.chunks_exact(STATS_WORDS)
                .map(task::stats_from_words)
                .collect(),
        );
    }
    Ok(SweepResult {
        name: sc.meta.name.clone(),
        paths: plan.paths,
        seed: plan.seed,
        keys: plan.keys.clone(),
        points: plan.points.clone(),
        stats,
        metric,
    })
}

/// A sharded run's summary and risk answers from its parts (one per shard, in path order). Memory: one
/// period's values of every path at a time, plus one result column.
pub fn shards(plan: &Plan, parts: &[Part], threads: usize) -> Result<(RunSummary, RiskSummary)> {
    let sc = plan.scenario().map_err(|e| anyhow!(e))?;
    let periods = crate::model::Model::new(&sc).grid.len();
    let opts = RunOptions {
        threads,
        keep_paths: false,
        progress: None,
        cancel: None,
    };
    let ranges: Vec<(u64, u64)> = plan.shards.clone();
    let results_at = |count: u64| periods as u64 * task::shard_period_bytes(count);
    let read_period =
        |k: usize, partials: &mut Vec<PeriodAccumulator>, buffers: &mut [Vec<f64>]| -> Result<()> {
            for (p, &(first, count)) in parts.iter().zip(&ranges) {
                let mut r = p.open_at(k as u64 * task::shard_period_bytes(count))?;
                let chunks = count.div_ceil(CHUNK as u64) as usize;
                let mut words = vec![0u64; chunks * PeriodAccumulator::WORDS];
                part::get_u64s(&mut r, &mut words)?;
                for w in words.chunks_exact(PeriodAccumulator::WORDS) {
                    let w: &[u64; PeriodAccumulator::WORDS] = w.try_into()?;
                    partials.push(PeriodAccumulator::from_words(w));
                }
                let (a, b) = (first as usize, (first + count) as usize);
                for buf in buffers.iter_mut().take(SeriesMetric::ALL.len()) {
                    part::get_f64s(&mut r, &mut buf[a..b])
                        .with_context(|| format!("cannot read {}", p.path.display()))?;
                }
            }
            Ok(())
        };
    // `column` cannot fail by signature: a read error is kept and reported after.
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let column = |m: ResultMetric| -> Vec<f64> {
        let mut out = vec![0.0; plan.paths as usize];
        for (p, &(first, count)) in parts.iter().zip(&ranges) {
            let (a, b) = (first as usize, (first + count) as usize);
            let at = results_at(count) + (m.index() as u64) * 8 * count;
            let read = p
                .open_at(at)
                .and_then(|mut r| part::get_f64s(&mut r, &mut out[a..b]));
            if let Err(e) = read {
                let mut f = failed.lock().unwrap_or_else(|e| e.into_inner());
                f.get_or_insert(anyhow!("cannot read {}: {e}", p.path.display()));
            }
        }
        out
    };
    // Cap-hit years, then renegotiation years, after the result columns (see `task`).
    let years_at = |count: u64, which: u64| {
        results_at(count) + ResultMetric::ALL.len() as u64 * 8 * count + which * 4 * count
    };
    let mut cap_years = Vec::with_capacity(plan.paths as usize);
    let mut renegotiation_years = Vec::with_capacity(plan.paths as usize);
    for (which, out) in [&mut cap_years, &mut renegotiation_years]
        .into_iter()
        .enumerate()
    {
        for (p, &(_, count)) in parts.iter().zip(&ranges) {
            let mut bytes = vec![0u8; 4 * count as usize];
            p.open_at(years_at(count, which as u64))?
                .read_exact(&mut bytes)
                .with_context(|| format!("cannot read {}", p.path.display()))?;
            out.extend(bytes.chunks_exact(4).map(|b| {
                let y = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                (y != 0).then_some(y)
            }));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let merged = pool.install(|| {
        shard::merge(
            &sc,
            &opts,
            read_period,
            &column,
            &cap_years,
            &renegotiation_years,
        )
    })?;
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    Ok(merged)
}
