//! A plain run path by path (issue 15): each path is drawn and stepped through every
//! period while its state stays in registers, and no period's values of all paths are
//! ever held. The numbers are the time-major engine's, bit for bit:
//!
//! - **Means**: each fixed chunk of [`CHUNK`] paths adds its paths' values to one
//!   accumulator per period in path order, and the chunks' accumulators are merged in
//!   chunk order, exactly as the time-major engine does (same chunks, same additions).
//! - **Percentiles** of the nine metrics in every period: exact order statistics by
//!   bracketing (`engine::bracket`): a pilot (the first chunk's paths) brackets each
//!   wanted rank, a count pass over all paths locates it, and a collect pass re-simulates
//!   the paths (their streams are counter-based, so a path is recomputed exactly) to keep
//!   only the values near it. The same exact order statistics, the same type-7 formula
//!   (`stats::type7_from`).
//! - **Per-path results**: kept, one row of 13 per path (104 bytes), and summarised by the
//!   same `aggregate::run_summary` as before.
//!
//! So a run holds per path only its result row and two years, not its state, parameters
//! and a value per metric between periods, and each worker walks its paths in cache.
//! Used when the caller keeps no paths (paths.csv, comparisons and sensitivity need the
//! recorded draws and annual flows) and the sampler is not Sobol (whose per-path normals
//! are precomputed); anything else, and any run where some value is not carried (whose
//! error names the first offending path of the first offending period, which the
//! time-major engine finds), runs time-major.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use super::aggregate::{self, PeriodAccumulator};
use super::bracket::{Column, Options, Pass, Plan, Tally, TallyData};
use super::stats::{type7_from, type7_ranks};
use super::{rng, EngineError, RunOptions, CHUNK};
use crate::model::sampler::Sampler;
use crate::model::Model;
use crate::scenario::Scenario;
use crate::summary::{PeriodSummary, ResultMetric, N_RESULTS, N_SERIES, PERCENTILES};

/// Paths stepped one after another before their values go to the tallies: the block's
/// values of every column (`periods x 9 x BLOCK` f64, 360 KiB at 40 periods) stay in L2,
/// and each column's values reach the tally as one slice.
pub(crate) const BLOCK: usize = 128;

/// Bins per bracket window. Fewer bins keep a worker's counts of all 360 columns of a
/// quarterly run in L2 (256: 1.8 MiB) at the price of larger collected cells (about
/// `n · 0.08 / BINS` values per wanted rank: 3,000 at 10M paths, 24 KiB): measured 25 %
/// faster than 1024 on base.toml (300k paths, 1 thread), 128 only a little faster still.
pub(crate) const BINS: usize = 256;

/// Whether a run of `sc` with `opts` under `model`'s sampler goes path by path: no kept
/// paths, not Sobol, and memory as `resources::RunShape::path_major` decides.
pub(super) fn eligible(sc: &Scenario, opts: &RunOptions, model: &Model) -> bool {
    !opts.keep_paths
        && !matches!(model.sampler, Sampler::Sobol { .. })
        && crate::resources::RunShape::of(sc).path_major(false)
}

/// What the path-major run hands back: the period summaries and, per path, its results
/// (`ResultMetric::ALL` order) and its cap-hit and renegotiation years (0: none).
pub(super) struct PathMajor {
    pub periods: Vec<PeriodSummary>,
    /// Column-major: result `m` of path `i` at `m * n + i`, so a column is one copy.
    results: Vec<f64>,
    years: Vec<(i32, i32)>,
}

impl PathMajor {
    /// Result `m` of every path, in path order.
    pub fn column(&self, m: ResultMetric) -> Vec<f64> {
        let n = self.years.len();
        self.results[m.index() * n..(m.index() + 1) * n].to_vec()
    }

    pub fn cap_years(&self) -> Vec<Option<i32>> {
        self.years
            .iter()
            .map(|&(y, _)| (y != 0).then_some(y))
            .collect()
    }

    pub fn renegotiation_years(&self) -> Vec<Option<i32>> {
        self.years
            .iter()
            .map(|&(_, y)| (y != 0).then_some(y))
            .collect()
    }
}

/// The run's constants for stepping any path.
struct Ctx<'a> {
    sc: &'a Scenario,
    model: &'a Model,
    seed: u64,
    keys: rng::StepKeys,
    n: usize,
}

/// What the first pass keeps of one chunk: its per-period accumulators, its paths'
/// results and years.
struct Keep<'a> {
    partials: &'a mut [PeriodAccumulator],
    /// The chunk's stretch of each result column.
    results: [&'a mut [f64]; N_RESULTS],
    years: &'a mut [(i32, i32)],
}

/// Number of columns: nine metrics in each period, period-major.
fn columns(model: &Model) -> usize {
    model.grid.len() * N_SERIES
}

/// Step paths `first..end` block by block; each block's values of column `col` (metric
/// `m` of period `k` is column `k * 9 + m`) go to `sink(col, values)` in path order.
/// With `keep`, also accumulate each period's sums (in path order) and keep each path's
/// results. `vals` is the caller's scratch of `BLOCK * columns` values.
fn simulate(
    cx: &Ctx,
    first: usize,
    end: usize,
    vals: &mut [f64],
    sink: &mut impl FnMut(usize, &[f64]),
    mut keep: Option<Keep>,
) {
    let model = cx.model;
    let dt = model.dt;
    let cols = columns(model);
    for b in (first..end).step_by(BLOCK) {
        let len = BLOCK.min(end - b);
        for j in 0..len {
            let path = (b + j) as u64;
            let p = rng::path_params(cx.sc, model, cx.seed, path);
            let mut st = p.initial_state();
            let streams = cx.keys.for_path(model, path);
            for per in &model.grid.periods {
                let k = per.k - 1;
                let (eps, nr) = streams.step(model, &p, k as u64);
                let f = p.step(model, per, &mut st, eps, nr);
                let v = aggregate::series_values(&f, dt);
                for (m, &x) in v.iter().enumerate() {
                    vals[(k * N_SERIES + m) * BLOCK + j] = x;
                }
                if let Some(keep) = keep.as_mut() {
                    keep.partials[k].add(&f, &v);
                }
            }
            if let Some(keep) = keep.as_mut() {
                let i = b + j - first;
                for (col, r) in keep
                    .results
                    .iter_mut()
                    .zip(p.results(model, &st).as_array())
                {
                    col[i] = r;
                }
                keep.years[i] = (st.cap_hit_year, st.renegotiation_year);
            }
        }
        for col in 0..cols {
            sink(col, &vals[col * BLOCK..col * BLOCK + len]);
        }
    }
}

/// Run `sc` path by path, or `Ok(None)` when some value is not carried (the caller then
/// runs time-major, whose error names the offending path).
pub(super) fn run(
    sc: &Scenario,
    model: &Model,
    opts: &RunOptions,
) -> Result<Option<PathMajor>, EngineError> {
    let n = sc.simulation.paths as usize;
    let cx = Ctx {
        sc,
        model,
        seed: sc.simulation.seed,
        keys: rng::StepKeys::new(sc.simulation.seed),
        n,
    };
    let k_periods = model.grid.len();
    let cols = columns(model);
    let nchunks = n.div_ceil(CHUNK);
    let progress = Progress::new(opts, nchunks, k_periods);

    // The pilot: the first chunk's values of every column (all of them when n <= CHUNK,
    // and then every column is answered from it).
    let pilot_n = n.min(CHUNK);
    let mut pilots: Vec<Vec<f64>> = vec![Vec::with_capacity(pilot_n); cols];
    let mut vals = vec![0.0; BLOCK * cols];
    simulate(
        &cx,
        0,
        pilot_n,
        &mut vals,
        &mut |c, v| pilots[c].extend_from_slice(v),
        None,
    );
    if pilots.iter().flatten().any(|v| !v.is_finite()) {
        return Ok(None);
    }
    let ranks: Vec<u64> = type7_ranks(n, &PERCENTILES)
        .into_iter()
        .map(|r| r as u64)
        .collect();
    let spec: Vec<Column> = (0..cols)
        .map(|_| Column {
            n: n as u64,
            ranks: ranks.clone(),
            es: Vec::new(),
        })
        .collect();
    let opts_b = Options {
        bins: BINS,
        ..Options::default()
    };
    let mut plan = Plan::new(&spec, &pilots, opts_b);
    drop(pilots);
    super::checkpoint(opts, "simulate")?;

    // The first pass: every path, its sums and results kept, its values counted.
    let mut results = vec![0.0; N_RESULTS * n];
    let mut years = vec![(0, 0); n];
    let mut partials = vec![PeriodAccumulator::default(); nchunks * k_periods];
    let counting = plan.pass() == Pass::Count;
    let data = {
        // Each chunk's stretch of every result column, in chunk order.
        let mut columns: Vec<_> = results.chunks_mut(n).map(|c| c.chunks_mut(CHUNK)).collect();
        let stretches: Vec<[&mut [f64]; N_RESULTS]> = (0..nchunks)
            .map(|_| std::array::from_fn(|m| columns[m].next().expect("one stretch per chunk")))
            .collect();
        let work = stretches
            .into_par_iter()
            .zip(years.par_chunks_mut(CHUNK))
            .zip(partials.par_chunks_mut(k_periods))
            .enumerate()
            .map(|(c, ((r, y), acc))| {
                let keep = Keep {
                    partials: acc,
                    results: r,
                    years: y,
                };
                (c, Some(keep))
            });
        pass(&cx, &plan, counting, &progress, opts, work)?
    };
    // Period sums in chunk order, as the time-major engine merges them; a value not
    // carried ends the path-major attempt before any percentile is looked at.
    let totals: Vec<PeriodAccumulator> = (0..k_periods)
        .map(|k| {
            let per_chunk: Vec<PeriodAccumulator> = (0..nchunks)
                .map(|c| partials[c * k_periods + k].clone())
                .collect();
            aggregate::merge(&per_chunk)
        })
        .collect();
    drop(partials);
    if totals.iter().any(|t| t.uncarried().is_some()) {
        return Ok(None);
    }
    if let Some(d) = data {
        plan.finish(d);
    }
    // Refinement and collect passes: the values only.
    while plan.pass() != Pass::Done {
        super::checkpoint(opts, "simulate")?;
        let work = (0..nchunks).into_par_iter().map(|c| (c, None));
        let data = pass(&cx, &plan, true, &progress, opts, work)?;
        plan.finish(data.expect("a tally for a pass that is not done"));
    }
    progress.done();

    let mut periods = Vec::with_capacity(k_periods);
    for (per, total) in model.grid.periods.iter().zip(&totals) {
        let k = per.k - 1;
        let summary = aggregate::period_summary_of(per, total, n, |m| {
            type7_from(n, &PERCENTILES, |r| plan.value(k * N_SERIES + m, r as u64))
        });
        if super::guard::uncarried_period_mean(&summary).is_some() {
            return Ok(None);
        }
        periods.push(summary);
    }
    Ok(Some(PathMajor {
        periods,
        results,
        years,
    }))
}

/// One pass over every chunk of paths (`work`, each item naming its chunk and, in the
/// first pass, where to keep its sums and results), the values into per-worker tallies
/// of `plan`'s current pass (when `tally`), merged. `Err(Cancelled)` on a signal.
fn pass<'k, 'p, I>(
    cx: &Ctx,
    plan: &'p Plan,
    tally: bool,
    progress: &Progress,
    opts: &RunOptions,
    work: I,
) -> Result<Option<TallyData>, EngineError>
where
    I: ParallelIterator<Item = (usize, Option<Keep<'k>>)>,
{
    let cols = columns(cx.model);
    let cancelled = || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    // One tally and one scratch per worker thread, whichever chunks it takes: a tally
    // holds every column's counts, so their number is the pool's, not the splits'.
    let slots: Vec<Mutex<Option<Slot>>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::new(None))
        .collect();
    work.for_each(|(c, keep)| {
        if cancelled() {
            return;
        }
        // `simulate` makes no rayon calls, so a worker never takes another chunk while it
        // holds its slot (the lock is never contended, and cannot deadlock).
        let me = rayon::current_thread_index().unwrap_or(0) % slots.len();
        let mut slot = slots[me].lock().unwrap_or_else(|e| e.into_inner());
        let slot = slot.get_or_insert_with(|| Slot {
            tally: tally.then(|| plan.tally()),
            vals: vec![0.0; BLOCK * cols],
        });
        let (first, end) = (c * CHUNK, ((c + 1) * CHUNK).min(cx.n));
        let tally = &mut slot.tally;
        let mut sink = |col: usize, v: &[f64]| {
            if let Some(t) = tally.as_mut() {
                t.push_slice(col, v);
            }
        };
        simulate(cx, first, end, &mut slot.vals, &mut sink, keep);
        progress.chunk();
    });
    // Integer counts and collected values: the merge does not depend on which worker
    // took which chunk.
    let mut data: Option<TallyData> = None;
    for slot in slots {
        let slot = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = slot.and_then(|s| s.tally) {
            let d = t.into_data();
            match data.as_mut() {
                Some(a) => a.merge(d),
                None => data = Some(d),
            }
        }
    }
    if cancelled() {
        return Err(EngineError::Cancelled);
    }
    Ok(data)
}

/// A worker thread's tally of the pass and its block scratch.
struct Slot<'p> {
    tally: Option<Tally<'p>>,
    vals: Vec<f64>,
}

/// The run's progress in periods' worth of work: two passes over every chunk expected
/// (count, collect), reported as a share of the periods (a refinement pass holds at the
/// last but one).
struct Progress<'a> {
    opts: &'a RunOptions<'a>,
    done: AtomicUsize,
    total: usize,
    periods: usize,
}

impl<'a> Progress<'a> {
    fn new(opts: &'a RunOptions<'a>, nchunks: usize, periods: usize) -> Progress<'a> {
        Progress {
            opts,
            done: AtomicUsize::new(0),
            total: 2 * nchunks,
            periods,
        }
    }

    fn chunk(&self) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(cb) = self.opts.progress {
            let at = (d * self.periods / self.total.max(1)).min(self.periods - 1);
            cb(at, self.periods);
        }
    }

    fn done(&self) {
        if let Some(cb) = self.opts.progress {
            cb(self.periods, self.periods);
        }
    }
}
