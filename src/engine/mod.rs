//! Many paths of the model in parallel, aggregated in a fixed order.
//!
//! Two engines, the same numbers bit for bit (tests/path_major.rs):
//! - **path-major** (`pathmajor`), for plain runs: each path goes through every period in
//!   turn with its state in registers; per-period percentiles are exact order statistics
//!   found by bracketing (`bracket`: a pilot, a count pass, a collect pass that
//!   re-simulates the paths), so nothing per path and period is held;
//! - **time-major** (`block`), when paths are kept (paths.csv, compare, sensitivity), under
//!   Sobol sampling, for shards, or when the path-major tallies would need more memory
//!   (`resources::RunShape::path_major`): all paths advance one period at a time, so each
//!   period's values of every path are at hand for exact percentiles.
//!
//! Either way paths are cut into fixed chunks (independent of the thread count); chunk
//! partial sums are reduced in chunk order and order statistics are exact, so the output
//! is identical on any number of threads.

mod aggregate;
pub mod autostop;
mod block;
pub mod bracket;
mod compact;
pub mod guard;
pub mod input_corr;
pub mod intervals;
pub(crate) mod pathmajor;
mod qmc;
pub mod risk;
pub mod rng;
pub mod rows;
pub mod shard;
pub mod stats;
mod table;
pub mod tail;
pub mod vr;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::model::{Model, Period};
use crate::risk::{RiskSummary, Target};
use crate::scenario::Scenario;
use crate::summary::{PeriodSummary, ResultMetric, RunSummary, SeriesMetric};

pub use aggregate::PeriodAccumulator;
pub(crate) use block::PathBlock;
use compact::{CompactParams, Recorded};
use table::AnnualCashFlow;
pub use table::PathTable;

/// Paths per work item. Fixed, so the reduction order never depends on threads.
pub const CHUNK: usize = 4096;

/// How to run. The path count and seed are not here: they are the scenario's
/// (`Simulation::paths`, `Simulation::seed`), their one owner, into which the command
/// line's `--paths` and `--seed` are folded when it is loaded (`app::load`), so the engine,
/// the manifest and the summary cannot read different copies.
pub struct RunOptions<'a> {
    /// Worker threads of the run's own pool (0 = all cores).
    pub threads: usize,
    /// Keep each path's results and draws (paths.csv, comparisons, sensitivity).
    pub keep_paths: bool,
    /// Called after each period with (periods done, total).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Set from another thread (a signal) to stop at the next phase boundary or period.
    pub cancel: Option<&'a AtomicBool>,
}

/// What a run returns.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub summary: RunSummary,
    pub paths: Option<PathTable>,
    /// Percentile intervals, tails, targets and convergence (issue 16).
    pub risk: RiskSummary,
    /// Which engine ran (the answers are the same either way).
    pub engine: Engine,
}

/// The two ways to run paths: the same numbers, different memory and speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// All paths advance one period at a time (`block`): needed when paths are kept.
    TimeMajor,
    /// Each path through every period in turn, percentiles by bracketing (`pathmajor`).
    PathMajor,
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
    /// The temporary file of a large run's per-path results failed (`rows`).
    #[error("{0}")]
    Scratch(String),
}

/// Words and round amounts stored per path for `sc` (see `CompactParams`).
pub fn per_path_sizes(sc: &Scenario) -> (usize, usize) {
    CompactParams::per_path_sizes(sc)
}

/// Run `sc` over its `simulation.paths` paths from its `simulation.seed`.
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
    if sc.simulation.paths == 0 {
        return Err(EngineError::NoPaths);
    }
    sampler
        .check(sc.simulation.paths)
        .map_err(EngineError::Sampler)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    pool.install(|| run_in_pool(sc, opts, targets, sampler))
}

/// A run in its named steps: **draw** every path's parameters, **step** all paths period
/// by period (each chunk **accumulating** its partial sums, each period summarised and
/// checked), **summarise** the per-path results, then build the per-path table when the
/// caller keeps paths.
fn run_in_pool(
    sc: &Scenario,
    opts: &RunOptions,
    targets: &[Target],
    sampler: rng::Sampler,
) -> Result<RunOutput, EngineError> {
    let mut model = Model::new(sc);
    model.sampler = rng::configure(sc, &model, sampler);
    if pathmajor::eligible(sc, opts, &model) {
        checkpoint(opts, "draw")?;
        if let Some(mut pm) = pathmajor::run(sc, &model, opts)? {
            checkpoint(opts, "aggregate")?;
            let periods = std::mem::take(&mut pm.periods);
            // `column` cannot fail by signature: a read error of the rows' temporary
            // file is kept and reported after the summary.
            let failed: std::sync::Mutex<Option<std::io::Error>> = Default::default();
            let column = |m| {
                pm.rows.column(m).unwrap_or_else(|e| {
                    let mut f = failed.lock().unwrap_or_else(|e| e.into_inner());
                    f.get_or_insert(e);
                    vec![0.0; sc.simulation.paths as usize]
                })
            };
            let summarised = summarise(sc, &model, opts, targets, &column, &pm.years, periods);
            if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
                return Err(EngineError::Scratch(rows::read_error(e)));
            }
            let (summary, risk) = summarised?;
            checkpoint(opts, "aggregate")?;
            return Ok(RunOutput {
                summary,
                paths: None,
                risk,
                engine: Engine::PathMajor,
            });
        }
    }
    let n = sc.simulation.paths as usize;
    let record = opts.keep_paths.then(|| Recorded::of(sc));
    let mut block = PathBlock::new(sc, &model, opts, 0, n, record.as_ref())?;
    checkpoint(opts, "draw")?;

    let mut annual = AnnualCashFlow::new(&model, n, opts.keep_paths);
    let periods = simulate(sc, &model, opts, &mut block, &mut annual)?;
    checkpoint(opts, "aggregate")?;

    // Computed here, before the summary asks for columns in parallel: a worker inside
    // its first computation could otherwise steal another column's request and wait on
    // itself (see `PathBlock::pv_stakes`).
    block.pv_stakes(&model);
    let column = |m| block.column(&model, m);
    let years = aggregate::YearCounts::of(&model, &block.cap_years(), &block.renegotiation_years());
    let (summary, risk) = summarise(sc, &model, opts, targets, &column, &years, periods)?;
    checkpoint(opts, "aggregate")?;

    let paths = opts.keep_paths.then(|| {
        let draws = block.take_draws();
        PathTable::new(sc, block.results(&model), draws, annual)
    });
    Ok(RunOutput {
        summary,
        paths,
        risk,
        engine: Engine::TimeMajor,
    })
}

/// Step every path of `block` through the horizon; each period's summary in order (its
/// cash flows also go into `annual` while the buffers are still in path order).
fn simulate(
    sc: &Scenario,
    model: &Model,
    opts: &RunOptions,
    block: &mut PathBlock,
    annual: &mut AnnualCashFlow,
) -> Result<Vec<PeriodSummary>, EngineError> {
    let (n, seed) = (sc.simulation.paths as usize, sc.simulation.seed);
    let mut periods = Vec::with_capacity(model.grid.len());
    block.advance(model, opts, |per, partials, buffers| {
        annual.add(per, buffers);
        periods.push(checked_period(sc, seed, per, partials, buffers, n)?);
        Ok(())
    })?;
    Ok(periods)
}

/// The run's summary and risk answers from the periods' summaries and the paths' results
/// (`column(m)`: result m of every path, in path order; each path's cap-hit and
/// renegotiation years), whichever engine produced them.
fn summarise(
    sc: &Scenario,
    model: &Model,
    opts: &RunOptions,
    targets: &[Target],
    column: &(dyn Fn(ResultMetric) -> Vec<f64> + Sync),
    years: &aggregate::YearCounts,
    periods: Vec<PeriodSummary>,
) -> Result<(RunSummary, RiskSummary), EngineError> {
    aggregate::run_summary(sc, model, opts, targets, column, years, periods)
        .map_err(|stop| summary_error(sc, sc.simulation.seed, stop))
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
) -> Result<PeriodSummary, EngineError> {
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
