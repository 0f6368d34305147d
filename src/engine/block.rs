//! A block of paths of a run (all of them, or one shard) and its two steps:
//! **draw** (every path's parameters, once, in parallel) and **step** (all paths advance
//! one period at a time, chunk by chunk, each chunk accumulating its partial sums).
//!
//! Path `first + j`'s draws and streams depend only on (seed, first + j), so a block
//! reproduces exactly those paths of the whole run, on any number of threads.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::aggregate::{self, PeriodAccumulator};
use super::compact::{CompactParams, Recorded};
use super::{checkpoint, qmc, rng, EngineError, RunOptions, CHUNK};
use crate::model::{Model, PathParams, PathResults, PathState, Period};
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, SeriesMetric};

/// One path's moving parts: only its state. Its step streams are counter-based (a pure
/// function of seed, path and step; see `rng::StepStreams`), so they are not stored.
struct Lane {
    state: PathState,
}

/// A contiguous block of paths `first..first+n` of a run: their parameters and moving
/// parts.
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
    /// Each path's `pv_stake` after the last period, computed on the first call of
    /// `result_of` and kept: the summary asks for every result column in turn, and this
    /// is the only costly result (one f64 per path, less than the step's buffers held).
    pv_stake: OnceLock<Vec<f64>>,
}

/// What one chunk of paths needs to take one step: the run's constants for the period.
struct StepContext<'a> {
    model: &'a Model,
    params: &'a CompactParams,
    per: &'a Period,
    first_path: u64,
    keys: rng::StepKeys,
    given: &'a [Box<[[f64; 3]]>],
}

impl PathBlock {
    /// **Draw**: the block's paths' parameters (each uncertain input drawn once; with
    /// `record`, those draws are kept for the per-path table) and initial states.
    /// `Err(Cancelled)` when a signal arrives meanwhile.
    pub(crate) fn new(
        sc: &Scenario,
        model: &Model,
        opts: &RunOptions,
        first: u64,
        n: usize,
        record: Option<&Recorded>,
    ) -> Result<PathBlock, EngineError> {
        let seed = sc.simulation.seed;
        let params = CompactParams::build(sc, model, seed, first, n, opts.cancel, record)
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
            pv_stake: OnceLock::new(),
        })
    }

    /// **Step** all paths period by period; after each period, `on_period` gets the
    /// chunk partial sums (in chunk order) and the eight per-path value buffers (path
    /// order).
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
        let nmetrics = SeriesMetric::ALL.len();
        let mut buffers: Vec<Vec<f64>> = vec![vec![0.0; n]; nmetrics];
        for per in &model.grid.periods {
            checkpoint(opts, "simulate")?;
            let cx = StepContext {
                model,
                params: &self.params,
                per,
                first_path: self.first,
                keys: self.keys,
                given: &self.given,
            };
            let partials = step_period(&cx, &mut self.lanes, &mut buffers);
            on_period(per, &partials, &mut buffers)?;
            if let Some(cb) = opts.progress {
                cb(per.k, model.grid.len());
            }
        }
        Ok(())
    }

    /// The draws recorded when the block was drawn (see `PathBlock::new`'s `record`),
    /// handed over once.
    pub(super) fn take_draws(&mut self) -> Vec<f64> {
        self.params.take_draws()
    }

    /// Every path's `pv_stake` after `advance` (which must be complete), computed on the
    /// first call, in parallel. Called before, never inside, a parallel loop over paths: a
    /// worker waiting on the first computation could otherwise steal its own caller.
    pub(super) fn pv_stakes(&self, model: &Model) -> &[f64] {
        self.pv_stake.get_or_init(|| {
            (0..self.lanes.len())
                .into_par_iter()
                .with_min_len(CHUNK)
                .map_init(
                    || self.params.scratch(),
                    |p, i| {
                        self.params.load(i, p);
                        p.pv_stake(model, &self.lanes[i].state)
                    },
                )
                .collect()
        })
    }

    /// Path `i`'s (block-local index) results, given `pv_stakes()`.
    fn result_of(&self, i: usize, p: &mut PathParams, pv_stakes: &[f64]) -> PathResults {
        self.params.load(i, p);
        p.results_given(&self.lanes[i].state, pv_stakes[i])
    }

    /// Every path's results, in path order.
    pub(super) fn results(&self, model: &Model) -> Vec<PathResults> {
        let pv = self.pv_stakes(model);
        (0..self.lanes.len())
            .into_par_iter()
            .with_min_len(CHUNK)
            .map_init(|| self.params.scratch(), |p, i| self.result_of(i, p, pv))
            .collect()
    }

    /// Result `m` of every path of the block, in path order.
    pub(crate) fn column(&self, model: &Model, m: ResultMetric) -> Vec<f64> {
        let pv = self.pv_stakes(model);
        (0..self.lanes.len())
            .into_par_iter()
            .with_min_len(CHUNK)
            .map_init(
                || self.params.scratch(),
                |p, i| self.result_of(i, p, pv).as_array()[m.index()],
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

/// One period of every path: the lanes are cut into fixed chunks (independent of the
/// thread count), each stepped by [`step_chunk`] in parallel; returns the chunk partials
/// in chunk order and leaves each path's values in `buffers` (path order).
fn step_period(
    cx: &StepContext,
    lanes: &mut [Lane],
    buffers: &mut [Vec<f64>],
) -> Vec<PeriodAccumulator> {
    let mut outs: Vec<std::slice::ChunksMut<'_, f64>> =
        buffers.iter_mut().map(|b| b.chunks_mut(CHUNK)).collect();
    let work: Vec<_> = lanes
        .chunks_mut(CHUNK)
        .enumerate()
        .map(|(c, l)| {
            let o: Vec<&mut [f64]> = outs.iter_mut().filter_map(|it| it.next()).collect();
            (c * CHUNK, l, o)
        })
        .collect();
    work.into_par_iter()
        .map(|(first, lanes, mut out)| step_chunk(cx, first, lanes, &mut out))
        .collect()
}

/// One period of the paths `first..first + lanes.len()` (block-local): load each path's
/// parameters, take its step inputs from its streams, step it, write its values into
/// `out` and **accumulate** them into the chunk's partial sums. The hot loop: no
/// allocation or I/O per path (one scratch `PathParams` per chunk).
fn step_chunk(
    cx: &StepContext,
    first: usize,
    lanes: &mut [Lane],
    out: &mut [&mut [f64]],
) -> PeriodAccumulator {
    let mut acc = PeriodAccumulator::default();
    let mut p = cx.params.scratch();
    let k = cx.per.k as u64 - 1;
    for (j, lane) in lanes.iter_mut().enumerate() {
        cx.params.load(first + j, &mut p);
        let streams = cx
            .keys
            .for_path(cx.model, cx.first_path + (first + j) as u64);
        let (eps, nr) = match cx.given.get(first + j) {
            Some(z) => streams.step_given(cx.model, &p, k, z[k as usize]),
            None => streams.step(cx.model, &p, k),
        };
        let f = p.step(cx.model, cx.per, &mut lane.state, eps, nr);
        let values = aggregate::series_values(&f, cx.model.dt);
        for (buf, v) in out.iter_mut().zip(values) {
            buf[j] = v;
        }
        acc.add(&f, &values);
    }
    acc
}
