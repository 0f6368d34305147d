//! A plain run path by path (issue 15): each path is drawn and stepped through every
//! period while its state stays in registers, and no period's values of all paths are
//! ever held. The numbers are the time-major engine's, bit for bit:
//!
//! - **Means**: each fixed chunk of [`CHUNK`] paths adds its paths' values to one
//!   accumulator per period in path order, and the chunks' accumulators are merged in
//!   chunk order, exactly as the time-major engine does (same chunks, same additions).
//! - **Percentiles** of the nine metrics in every period: exact order statistics by
//!   bracketing (`engine::bracket`): a pilot (the first chunk's paths) brackets each
//!   wanted rank, and one pass over all paths counts where every value falls and keeps
//!   the values near each rank's running estimate ([`KEEP`]), which answers every rank
//!   in the common case. Only a rank whose cell was not kept whole takes a collect pass,
//!   which re-simulates the paths (their streams are counter-based, so a path is
//!   recomputed exactly) to keep the values near it. Either way the same exact order
//!   statistics, the same type-7 formula (`stats::type7_from`).
//! - **Per-path results**: kept, one row of 13 per path (104 bytes), in memory or, for a
//!   large run, in a temporary file (`engine::rows`), and summarised by the same
//!   `aggregate::run_summary` as before; of the paths' cap-hit and renegotiation years
//!   only the counts per year are kept.
//!
//! So a run holds per path at most its result row, not its state, parameters and a value
//! per metric between periods, and each worker walks its paths in cache.
//! Used when the caller keeps no paths (paths.csv, comparisons and sensitivity need the
//! recorded draws and annual flows) and the sampler is not Sobol (whose per-path normals
//! are precomputed); anything else, and any run where some value is not carried (whose
//! error names the first offending path of the first offending period, which the
//! time-major engine finds), runs time-major.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use super::aggregate::{self, PeriodAccumulator, YearCounts};
use super::bracket::{Column, Options, Pass, Plan, Tally, TallyData};
use super::rows::{self, Blocks, Rows, Writer, BLOCK_LEN};
use super::stats::{type7_from, type7_ranks};
use super::{rng, EngineError, RunOptions, CHUNK};
use crate::model::sampler::Sampler;
use crate::model::Model;
use crate::scenario::Scenario;
use crate::summary::{PeriodSummary, N_SERIES, PERCENTILES};

/// Paths stepped one after another before their values go to the tallies: the block's
/// values of every column (`periods x 9 x BLOCK` f64, 360 KiB at 40 periods) stay in L2,
/// and each column's values reach the tally as one slice.
pub(crate) const BLOCK: usize = 128;

/// Bins per bracket window. Fewer bins keep a worker's counts of all 360 columns of a
/// quarterly run in L2 (256: 1.8 MiB) at the price of larger collected cells (about
/// `n · 0.08 / BINS` values per wanted rank: 3,000 at 10M paths, 24 KiB): measured 25 %
/// faster than 1024 on base.toml (300k paths, 1 thread), 128 only a little faster still.
pub(crate) const BINS: usize = 256;

/// Half-width of each wanted rank's keep range in the first pass, in binomial standard
/// errors of the worker's running estimate (`bracket::Options::keep`): the first pass
/// keeps the values near every rank, so the percentiles are answered without a second
/// simulation of every path (a collect pass) unless a rank falls outside (then that pass
/// runs, and the answer is the same). At 6 a range misses with probability ~2·10⁻⁹ per
/// narrowing; kept values cost ~12·Σ√(p(1 − p)·n/T) per column and worker.
pub(crate) const KEEP: f64 = 6.0;

/// Whether a run of `sc` with `opts` under `model`'s sampler goes path by path: no kept
/// paths, not Sobol, and memory as `resources::RunShape::path_major` decides.
pub(super) fn eligible(sc: &Scenario, opts: &RunOptions, model: &Model) -> bool {
    !opts.keep_paths
        && !matches!(model.sampler, Sampler::Sobol { .. })
        && crate::resources::RunShape::of(sc).path_major(false)
}

/// What the path-major run hands back: the period summaries, every path's results
/// (`ResultMetric::ALL` order) and the counts of its cap-hit and renegotiation years.
pub(super) struct PathMajor {
    pub periods: Vec<PeriodSummary>,
    pub rows: Rows,
    pub years: YearCounts,
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
/// results and the counts of their years.
struct Keep<'a> {
    partials: &'a mut [PeriodAccumulator],
    /// The chunk's block of result rows (`engine::rows`): result `m` of its `i`-th path
    /// at `m * CHUNK + i`.
    results: &'a mut [f64],
    years: &'a mut YearCounts,
}

/// A first-pass work item's chunk: [`Keep`] with the chunk's block of rows in place, or
/// `None` when the rows go to a file (the worker's own block is then used and written).
struct KeepIn<'a> {
    partials: &'a mut [PeriodAccumulator],
    results: Option<&'a mut [f64]>,
    years: &'a mut YearCounts,
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
                for (m, r) in p.results(model, &st).as_array().into_iter().enumerate() {
                    keep.results[m * CHUNK + i] = r;
                }
                keep.years.add(st.cap_hit_year, st.renegotiation_year);
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
    run_rows(sc, model, opts, rows::spills(sc.simulation.paths))
}

/// [`run`] with the result rows in a temporary file when `to_file`.
fn run_rows(
    sc: &Scenario,
    model: &Model,
    opts: &RunOptions,
    to_file: bool,
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
        keep: KEEP,
        ..Options::default()
    };
    let mut plan = Plan::new(&spec, &pilots, opts_b);
    drop(pilots);
    super::checkpoint(opts, "simulate")?;

    // The first pass: every path, its sums and results kept, its values counted.
    let mut rows = Rows::new(n, to_file);
    let mut chunk_years =
        vec![YearCounts::new(model.grid.start_year, model.grid.end_year); nchunks];
    let mut partials = vec![PeriodAccumulator::default(); nchunks * k_periods];
    let counting = plan.pass() == Pass::Count;
    let data = {
        // Each chunk's block of rows in place, in chunk order (none: they go to a file).
        let (blocks, writer): (Vec<Option<&mut [f64]>>, _) = match rows.blocks() {
            Blocks::InPlace(b) => (b.map(Some).collect(), None),
            Blocks::ToFile(w) => ((0..nchunks).map(|_| None).collect(), Some(w)),
        };
        let work = blocks
            .into_par_iter()
            .zip(chunk_years.par_iter_mut())
            .zip(partials.par_chunks_mut(k_periods))
            .enumerate()
            .map(|(c, ((r, y), acc))| {
                let keep = KeepIn {
                    partials: acc,
                    results: r,
                    years: y,
                };
                (c, Some(keep))
            });
        pass(&cx, &plan, counting, &progress, opts, writer, work)?
    };
    let mut years = YearCounts::new(model.grid.start_year, model.grid.end_year);
    for y in &chunk_years {
        years.merge(y);
    }
    drop(chunk_years);
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
    // The first pass's kept values (~400 MB at 10M paths) are freed by now; hand the
    // memory back, or glibc keeps it and the summary's columns stand on top of it.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the OS; no pointer is touched.
    unsafe {
        libc::malloc_trim(0);
    }

    // Refinement and collect passes: the values only.
    while plan.pass() != Pass::Done {
        super::checkpoint(opts, "simulate")?;
        let work = (0..nchunks).into_par_iter().map(|c| (c, None));
        let data = pass(&cx, &plan, true, &progress, opts, None, work)?;
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
        rows,
        years,
    }))
}

/// One pass over every chunk of paths (`work`, each item naming its chunk and, in the
/// first pass, where to keep its sums and results; rows that go to a file are written to
/// `rows`), the values into per-worker tallies of `plan`'s current pass (when `tally`),
/// merged. `Err(Cancelled)` on a signal.
// The pass's whole input, each part distinct.
#[allow(clippy::too_many_arguments)]
fn pass<'k, 'p, I>(
    cx: &Ctx,
    plan: &'p Plan,
    tally: bool,
    progress: &Progress,
    opts: &RunOptions,
    rows: Option<Writer>,
    work: I,
) -> Result<Option<TallyData>, EngineError>
where
    I: ParallelIterator<Item = (usize, Option<KeepIn<'k>>)>,
{
    let cols = columns(cx.model);
    // The first failed write of rows to their file: the pass then stops as on a signal.
    let failed: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let write_failed = || failed.lock().map_or(true, |f| f.is_some());
    let cancelled = || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    // One tally and one scratch per worker thread, whichever chunks it takes: a tally
    // holds every column's counts, so their number is the pool's, not the splits'.
    let slots: Vec<Mutex<Option<Slot>>> = (0..rayon::current_num_threads())
        .map(|_| Mutex::new(None))
        .collect();
    work.for_each(|(c, keep)| {
        if cancelled() || write_failed() {
            return;
        }
        // `simulate` makes no rayon calls, so a worker never takes another chunk while it
        // holds its slot (the lock is never contended, and cannot deadlock).
        let me = rayon::current_thread_index().unwrap_or(0) % slots.len();
        let mut slot = slots[me].lock().unwrap_or_else(|e| e.into_inner());
        let slot = slot.get_or_insert_with(|| Slot {
            tally: tally.then(|| plan.tally()),
            vals: vec![0.0; BLOCK * cols],
            rows: Vec::new(),
        });
        let (first, end) = (c * CHUNK, ((c + 1) * CHUNK).min(cx.n));
        let Slot {
            tally,
            vals,
            rows: own,
        } = slot;
        let mut sink = |col: usize, v: &[f64]| {
            if let Some(t) = tally.as_mut() {
                t.push_slice(col, v);
            }
        };
        let to_file = keep.as_ref().is_some_and(|k| k.results.is_none());
        if to_file && own.is_empty() {
            own.resize(BLOCK_LEN, 0.0);
        }
        let keep = keep.map(|k| Keep {
            partials: k.partials,
            results: k.results.unwrap_or(&mut own[..]),
            years: k.years,
        });
        simulate(cx, first, end, vals, &mut sink, keep);
        if to_file {
            // A chunk without its block in place exists only when the rows go to a file:
            // skipping the write would leave that chunk's results silently zero.
            let writer = rows.expect("rows not kept in place go to a file");
            let written = writer.write(c, own);
            if let Err(e) = written {
                let mut f = failed.lock().unwrap_or_else(|e| e.into_inner());
                f.get_or_insert(e);
            }
        }
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
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(EngineError::Scratch(rows::write_error(e, cx.n)));
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
    /// A chunk's block of rows when they go to a file (empty until then).
    rows: Vec<f64>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::ResultMetric;

    fn scenario(file: &str, paths: u64) -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let mut sc = crate::scenario::load(&path, &[]).expect(file).scenario;
        sc.simulation.paths = paths;
        sc
    }

    /// Rows kept in a temporary file give the summary exactly what rows in memory give:
    /// every column bit for bit, and the same periods and year counts, on 1 and 2
    /// threads, with a partial last chunk.
    #[test]
    fn rows_in_a_file_are_the_rows_in_memory() {
        for file in ["scenarios/base.toml", "bench/stress.toml"] {
            let sc = scenario(file, 3 * CHUNK as u64 + 905);
            let model = Model::new(&sc);
            let run = |threads: usize, to_file: bool| {
                let opts = RunOptions {
                    threads,
                    keep_paths: false,
                    progress: None,
                    cancel: None,
                };
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let pm = pool
                    .install(|| run_rows(&sc, &model, &opts, to_file))
                    .unwrap()
                    .expect("carried");
                assert_eq!(pm.rows.in_file(), to_file && cfg!(unix));
                pm
            };
            let mem = run(2, false);
            for (threads, to_file) in [(1, true), (2, true)] {
                let other = run(threads, to_file);
                assert_eq!(format!("{:?}", other.periods), format!("{:?}", mem.periods));
                assert_eq!(other.years, mem.years);
                assert_eq!(other.years.paths, sc.simulation.paths as usize);
                for m in ResultMetric::ALL {
                    let (a, b) = (other.rows.column(m).unwrap(), mem.rows.column(m).unwrap());
                    assert_eq!(a.len(), sc.simulation.paths as usize);
                    let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
                    assert!(same, "{file}: {m:?} differs ({threads} threads)");
                }
            }
        }
    }
}
