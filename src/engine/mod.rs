//! Many paths of the model in parallel, aggregated in a fixed order.
//!
//! Time-major: all paths advance one period at a time, so each period's values of every
//! path are at hand for exact percentiles without holding paths x periods in memory.
//! Paths are cut into fixed chunks (independent of the thread count); chunk partial sums
//! are reduced in chunk order and order statistics are exact, so the output is identical
//! on any number of threads.

mod aggregate;
pub mod autostop;
pub mod bracket;
mod compact;
pub mod floor;
pub mod guard;
pub mod input_corr;
pub mod intervals;
mod qmc;
pub mod risk;
pub mod rng;
pub mod shard;
pub mod stats;
pub mod tail;
pub mod vr;

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::{Model, PathParams, PathResults, PathState, Period};
use crate::risk::{RiskSummary, Target};
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, RunSummary, SeriesMetric};

pub use aggregate::PeriodAccumulator;
use compact::CompactParams;

/// Paths per work item. Fixed, so the reduction order never depends on threads.
pub const CHUNK: usize = 4096;

/// How to run.
pub struct RunOptions<'a> {
    pub paths: u64,
    pub seed: u64,
    /// Worker threads of the run's own pool (0 = all cores).
    pub threads: usize,
    /// Keep each path's results and draws (paths.csv, comparisons, sensitivity).
    pub keep_paths: bool,
    /// Called after each period with (periods done, total).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Set from another thread (a signal) to stop at the next phase boundary or period.
    pub cancel: Option<&'a AtomicBool>,
}

/// Per-path results and the draws of each uncertain input, in path order.
#[derive(Debug, Clone, Default)]
pub struct PathTable {
    pub results: Vec<PathResults>,
    /// Key paths of the uncertain inputs, in `Scenario::uncertain_inputs()` order.
    pub draw_names: Vec<String>,
    /// `paths x draw_names.len()`, row-major.
    pub draws: Vec<f64>,
    /// Calendar years of `annual_cash_flow`.
    pub years: Vec<i32>,
    /// Each path's undiscounted investor cash flow per calendar year (sum of `CF_k`),
    /// year-major: `annual_cash_flow[y * paths + i]`.
    pub annual_cash_flow: Vec<f64>,
}

impl PathTable {
    pub fn draws_of(&self, path: usize) -> &[f64] {
        let w = self.draw_names.len();
        &self.draws[path * w..(path + 1) * w]
    }
}

/// What a run returns.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub summary: RunSummary,
    pub paths: Option<PathTable>,
    /// Percentile intervals, tails, targets and convergence (issue 16).
    pub risk: RiskSummary,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("could not start the thread pool: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    #[error("the run was interrupted")]
    Cancelled,
    #[error("paths must be at least 1")]
    NoPaths,
    /// The path count does not suit `--sampler` (see `Sampler::check`).
    #[error("{0}")]
    Sampler(String),
    /// A value the model cannot carry (see `guard`): the message names the metric, the
    /// period, the path and the inputs that drive it.
    #[error("{0}")]
    NotCarried(String),
    /// Writing what a shard hands out failed (its part file).
    #[error("cannot write the shard's output: {0}")]
    Output(String),
}

/// One path's moving parts: only its state. Its step streams are counter-based (a pure
/// function of seed, path and step; see `rng::StepStreams`), so they are not stored.
struct Lane {
    state: PathState,
}

/// Words and round amounts stored per path for `sc` (see `CompactParams`).
pub fn per_path_sizes(sc: &Scenario) -> (usize, usize) {
    CompactParams::per_path_sizes(sc)
}

/// Run `sc` over `opts.paths` paths.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<RunOutput, EngineError> {
    run_with_targets(sc, opts, &[])
}

/// [`run`], with the probabilities of `targets` (`--target`) added to the risk rows.
pub fn run_with_targets(
    sc: &Scenario,
    opts: &RunOptions,
    targets: &[Target],
) -> Result<RunOutput, EngineError> {
    run_sampled(sc, opts, targets, rng::Sampler::Mc)
}

/// [`run_with_targets`] with the paths' numbers from `sampler` (`--sampler`, issue 17);
/// `Sampler::Mc` is exactly `run_with_targets`.
pub fn run_sampled(
    sc: &Scenario,
    opts: &RunOptions,
    targets: &[Target],
    sampler: rng::Sampler,
) -> Result<RunOutput, EngineError> {
    if opts.paths == 0 {
        return Err(EngineError::NoPaths);
    }
    sampler.check(opts.paths).map_err(EngineError::Sampler)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    pool.install(|| run_in_pool(sc, opts, targets, sampler))
}

fn run_in_pool(
    sc: &Scenario,
    opts: &RunOptions,
    targets: &[Target],
    sampler: rng::Sampler,
) -> Result<RunOutput, EngineError> {
    let mut model = Model::new(sc);
    model.sampler = rng::configure(sc, &model, sampler);
    let n = opts.paths as usize;
    let seed = opts.seed;
    let mut block = PathBlock::new(sc, &model, opts, 0, n)?;

    checkpoint(opts, "draw")?;

    let mut periods = Vec::with_capacity(model.grid.len());
    let years: Vec<i32> = (model.grid.start_year..=model.grid.end_year).collect();
    let mut annual = if opts.keep_paths {
        vec![0.0; years.len() * n]
    } else {
        Vec::new()
    };
    block.advance(&model, opts, |per, partials, buffers| {
        if opts.keep_paths {
            // Before the percentiles reorder the buffer: it is still in path order.
            let y = (per.year - model.grid.start_year) as usize;
            let cf = &buffers[SeriesMetric::InvestorCashFlow.index()];
            for (a, v) in annual[y * n..(y + 1) * n].iter_mut().zip(cf) {
                *a += v;
            }
        }
        let summary = checked_period(sc, seed, per, partials, buffers, n)?;
        periods.push(summary);
        Ok(())
    })?;
    checkpoint(opts, "aggregate")?;

    // Per-path results, one column at a time unless the caller keeps them all.
    let column = |m: ResultMetric| block.column(&model, m);
    let cap_years = block.cap_years();
    let renegotiation_years = block.renegotiation_years();
    let (summary, risk) = aggregate::run_summary(
        sc,
        &model,
        opts,
        targets,
        &column,
        &cap_years,
        &renegotiation_years,
        periods,
    )
    .map_err(|stop| summary_error(sc, seed, stop))?;
    checkpoint(opts, "aggregate")?;
    let paths = opts.keep_paths.then(|| {
        let results: Vec<PathResults> = (0..n)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map_init(
                || block.params.scratch(),
                |p, i| block.result_of(&model, i, p),
            )
            .collect();
        let mut t = path_table(sc, &model, seed, results);
        t.years = years;
        t.annual_cash_flow = annual;
        t
    });
    Ok(RunOutput {
        summary,
        paths,
        risk,
    })
}

/// Period `per`'s summary from its chunk partials (chunk order) and value buffers (path
/// order), or the error naming a value the model cannot carry. One check for a run and a
/// shard merge, so a merge fails exactly where the run would. The buffers are checked
/// before the percentiles reorder them, so the offending path can be named.
pub(crate) fn checked_period(
    sc: &Scenario,
    seed: u64,
    per: &Period,
    partials: &[PeriodAccumulator],
    buffers: &mut [Vec<f64>],
    n: usize,
) -> Result<crate::summary::PeriodSummary, EngineError> {
    let total = aggregate::merge(partials);
    if let Some((m, value)) = total.uncarried() {
        let metric = SeriesMetric::ALL[m];
        let limit = guard::series_limit(metric);
        let path = guard::first_uncarried(&buffers[m][..n], limit);
        let value = path.map_or(value, |i| buffers[m][i]);
        let msg = guard::not_carried(sc, seed, metric.name(), Some(per), path, value, limit);
        return Err(EngineError::NotCarried(msg));
    }
    let summary = aggregate::period_summary(per, &total, buffers, n);
    if let Some((metric, value)) = guard::uncarried_period_mean(&summary) {
        let msg = guard::not_carried(sc, seed, metric, Some(per), None, value, guard::CARRY_MAX);
        return Err(EngineError::NotCarried(msg));
    }
    Ok(summary)
}

/// Why `aggregate::run_summary` stopped, as the engine's error.
pub(crate) fn summary_error(sc: &Scenario, seed: u64, stop: aggregate::SummaryStop) -> EngineError {
    match stop {
        aggregate::SummaryStop::Cancelled => EngineError::Cancelled,
        aggregate::SummaryStop::Uncarried((m, path, value)) => {
            let limit = guard::result_limit(m);
            EngineError::NotCarried(guard::not_carried(
                sc,
                seed,
                m.name(),
                None,
                Some(path),
                value,
                limit,
            ))
        }
    }
}

/// A phase boundary: the test-only pause of [`crate::interrupt`], then stop if asked to.
fn checkpoint(opts: &RunOptions, phase: &str) -> Result<(), EngineError> {
    crate::interrupt::pause_point(phase);
    if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Err(EngineError::Cancelled);
    }
    Ok(())
}

/// A contiguous block of paths `first..first+n` of a run (all of them, or one shard):
/// their parameters and moving parts. Path `first + j`'s draws and streams depend only
/// on (seed, first + j), so a block reproduces exactly those paths of the whole run.
pub(crate) struct PathBlock {
    params: CompactParams,
    lanes: Vec<Lane>,
    /// First path's index in the run, and the run's step-stream keys.
    first: u64,
    keys: rng::StepKeys,
    /// Under `--sampler sobol` only: each path's independent normals of every step, from
    /// its QMC point through the Brownian bridge (`qmc::path_shocks`). Empty otherwise,
    /// so plain runs carry nothing per path for it.
    given: Vec<Box<[[f64; 3]]>>,
}

impl PathBlock {
    /// Draw the block's paths; `Err(Cancelled)` when a signal arrives meanwhile.
    pub(crate) fn new(
        sc: &Scenario,
        model: &Model,
        opts: &RunOptions,
        first: u64,
        n: usize,
    ) -> Result<PathBlock, EngineError> {
        let seed = opts.seed;
        // Draw every path's parameters and seed its streams (parallel, path-indexed).
        let params = CompactParams::build(sc, model, seed, first, n, opts.cancel)
            .ok_or(EngineError::Cancelled)?;
        let lanes: Vec<Lane> = (0..n)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map_init(
                || params.scratch(),
                |p, i| {
                    params.load(i, p);
                    Lane {
                        state: p.initial_state(),
                    }
                },
            )
            .collect();
        let given = match model.sampler {
            crate::model::sampler::Sampler::Sobol { .. } => (0..n)
                .into_par_iter()
                .with_min_len(CHUNK)
                .map(|i| qmc::path_shocks(model, seed, first + i as u64))
                .collect(),
            _ => Vec::new(),
        };
        Ok(PathBlock {
            params,
            lanes,
            first,
            keys: rng::StepKeys::new(seed),
            given,
        })
    }

    /// Step all paths period by period; after each period, `on_period` gets the chunk
    /// partial sums (in chunk order) and the eight per-path value buffers (path order).
    pub(crate) fn advance(
        &mut self,
        model: &Model,
        opts: &RunOptions,
        mut on_period: impl FnMut(
            &Period,
            &[PeriodAccumulator],
            &mut [Vec<f64>],
        ) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        let n = self.lanes.len();
        let params = &self.params;
        let (first_path, keys, given) = (self.first, self.keys, &self.given);
        let nmetrics = SeriesMetric::ALL.len();
        let mut buffers: Vec<Vec<f64>> = vec![vec![0.0; n]; nmetrics];
        for per in &model.grid.periods {
            checkpoint(opts, "simulate")?;
            let mut outs: Vec<std::slice::ChunksMut<'_, f64>> =
                buffers.iter_mut().map(|b| b.chunks_mut(CHUNK)).collect();
            let work: Vec<_> = self
                .lanes
                .chunks_mut(CHUNK)
                .enumerate()
                .map(|(c, l)| {
                    let o: Vec<&mut [f64]> = outs.iter_mut().filter_map(|it| it.next()).collect();
                    (c * CHUNK, l, o)
                })
                .collect();
            let partials: Vec<PeriodAccumulator> = work
                .into_par_iter()
                .map(|(first, lanes, mut out)| {
                    let mut acc = PeriodAccumulator::default();
                    let mut p = params.scratch();
                    let k = per.k as u64 - 1;
                    for (j, lane) in lanes.iter_mut().enumerate() {
                        params.load(first + j, &mut p);
                        let streams = keys.for_path(model, first_path + (first + j) as u64);
                        let (eps, nr) = match given.get(first + j) {
                            Some(z) => streams.step_given(model, &p, k, z[k as usize]),
                            None => streams.step(model, &p, k),
                        };
                        let f = p.step(model, per, &mut lane.state, eps, nr);
                        let values = aggregate::series_values(&f, model.dt);
                        for (buf, v) in out.iter_mut().zip(values) {
                            buf[j] = v;
                        }
                        acc.add(&f, &values);
                    }
                    acc
                })
                .collect();
            on_period(per, &partials, &mut buffers)?;
            if let Some(cb) = opts.progress {
                cb(per.k, model.grid.len());
            }
        }
        Ok(())
    }

    /// Path `i`'s (block-local index) results, after `advance`.
    fn result_of(&self, model: &Model, i: usize, p: &mut PathParams) -> PathResults {
        self.params.load(i, p);
        p.results(model, &self.lanes[i].state)
    }

    /// Result `m` of every path of the block, in path order.
    pub(crate) fn column(&self, model: &Model, m: ResultMetric) -> Vec<f64> {
        (0..self.lanes.len())
            .into_par_iter()
            .with_min_len(CHUNK)
            .map_init(
                || self.params.scratch(),
                |p, i| self.result_of(model, i, p).as_array()[m.index()],
            )
            .collect()
    }

    /// Each path's renegotiation year (None: never), in path order.
    pub(crate) fn renegotiation_years(&self) -> Vec<Option<i32>> {
        self.lanes
            .iter()
            .map(|l| (l.state.renegotiation_year != 0).then_some(l.state.renegotiation_year))
            .collect()
    }

    /// Each path's cap-hit year (None: never), in path order.
    pub(crate) fn cap_years(&self) -> Vec<Option<i32>> {
        self.lanes
            .iter()
            .map(|l| (l.state.cap_hit_year != 0).then_some(l.state.cap_hit_year))
            .collect()
    }
}

/// The per-path table: results, and each uncertain input's draw, redrawn from its own
/// stream (the same value the path used: streams depend only on seed, key and path).
fn path_table(sc: &Scenario, model: &Model, seed: u64, results: Vec<PathResults>) -> PathTable {
    let inputs = sc.uncertain_inputs();
    let keyed: Vec<(u64, crate::scenario::Dist)> = inputs
        .iter()
        .map(|(name, d)| (crate::model::stream_key(name), *d))
        .collect();
    let width = inputs.len();
    let mut draws = vec![0.0; results.len() * width];
    if width > 0 {
        draws
            .par_chunks_mut(width)
            .enumerate()
            .for_each(|(i, row)| rng::input_draws(sc, model, &keyed, seed, i as u64, row));
    }
    PathTable {
        results,
        draw_names: inputs.into_iter().map(|(k, _)| k).collect(),
        draws,
        years: Vec::new(),
        annual_cash_flow: Vec::new(),
    }
}
