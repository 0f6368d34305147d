//! `--target-se METRIC=X`: how many paths a run needs for the standard error of one
//! result's mean to reach `X`.
//!
//! Paths are simulated in batches of [`BATCH`] consecutive paths (path `i` is the same in
//! every run: its draws depend only on the seed and `i`). After each batch, in order, the
//! standard error of the metric over all paths so far is computed with the formula of
//! summary.csv (`sd / √paths`, two passes in path order); the first batch end where it is
//! at most `X` is the answer, or `max_paths` if none is. Batches have a fixed size and are
//! checked in order, so the answer is the same on any number of threads, and a run with
//! that many paths writes exactly the files a plain run with that `--paths` writes (it *is*
//! a plain run). The batches simulate each path on its own, start to end; only the chosen
//! metric is kept (8 bytes a path).

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::rng;
use super::stats::mean_std;
use super::{EngineError, CHUNK};
use crate::model::Model;
use crate::scenario::Scenario;
use crate::summary::ResultMetric;

/// Paths per batch.
pub const BATCH: u64 = 1000;

/// Why the search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The standard error reached the target.
    TargetReached,
    /// `max_paths` ran out first.
    MaxPaths,
}

impl StopReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            StopReason::TargetReached => "target_se_reached",
            StopReason::MaxPaths => "max_paths_reached",
        }
    }
}

/// The outcome of the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoStop {
    pub paths: u64,
    pub reason: StopReason,
    /// The metric's standard error at `paths`.
    pub std_error: f64,
}

/// What to search for.
#[derive(Debug, Clone, Copy)]
pub struct SeTarget {
    pub metric: ResultMetric,
    pub max_std_error: f64,
    pub max_paths: u64,
}

/// Result `m` of the paths in `range`, each simulated start to end, in path order.
pub fn path_values(
    sc: &Scenario,
    model: &Model,
    seed: u64,
    m: ResultMetric,
    range: Range<u64>,
) -> Vec<f64> {
    (range.start as usize..range.end as usize)
        .into_par_iter()
        .with_min_len(CHUNK / 8)
        .map(|i| {
            let i = i as u64;
            let p = rng::path_params(sc, model, seed, i);
            let mut st = p.initial_state();
            let mut streams = rng::StepStreams::new(seed, i);
            for per in &model.grid.periods {
                let (eps, nr) = streams.next(model, &p);
                p.step(model, per, &mut st, eps, nr);
            }
            p.results(model, &st).as_array()[m.index()]
        })
        .collect()
}

/// Search for the path count (see the module notes). `progress(paths done, max)`.
/// The seed is the scenario's; the path count is the search's, at most `target.max_paths`.
pub fn find_paths(
    sc: &Scenario,
    threads: usize,
    target: &SeTarget,
    progress: Option<&(dyn Fn(u64, u64) + Sync)>,
    cancel: Option<&AtomicBool>,
) -> Result<AutoStop, EngineError> {
    if target.max_paths == 0 {
        return Err(EngineError::NoPaths);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    pool.install(|| {
        let model = Model::new(sc);
        let seed = sc.simulation.seed;
        let mut values: Vec<f64> = Vec::new();
        let mut done = 0u64;
        loop {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(EngineError::Cancelled);
            }
            let next = (done + BATCH).min(target.max_paths);
            values.extend(path_values(sc, &model, seed, target.metric, done..next));
            done = next;
            if let Some(cb) = progress {
                cb(done, target.max_paths);
            }
            let (_, sd) = mean_std(&values);
            let se = sd / (done as f64).sqrt();
            // A single path has no standard error to speak of: never stop on it.
            let reached = done >= 2 && se <= target.max_std_error;
            if reached || done == target.max_paths {
                return Ok(AutoStop {
                    paths: done,
                    reason: if reached {
                        StopReason::TargetReached
                    } else {
                        StopReason::MaxPaths
                    },
                    std_error: se,
                });
            }
        }
    })
}
