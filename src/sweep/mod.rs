//! Beyond one run: scenario sweeps (one scenario over a grid of `--set` values) and path
//! shards (one big run cut into path ranges), both as plans of independent tasks whose
//! part files merge into exactly the bytes a single machine would have written.
//!
//! - [`grid`]: `--grid` syntax and the cartesian product of points.
//! - [`plan`]: the self-contained plan folder (`plan.json`) and its hash.
//! - [`task`]: running one task into its part file; what a part's body holds.
//! - [`part`]: part files on disk: atomic writes, finding and checking them all.
//! - [`merge`]: parts back into a sweep result or a run summary.
//! - [`emit`]: Slurm job-array and Kubernetes Indexed Job files for a plan.
//! - [`csv`] writes sweep.csv.
//!
//! The protocol and the cost model are in docs/scale-out.md.

pub mod csv;
pub mod emit;
pub mod grid;
pub mod merge;
pub mod part;
pub mod plan;
pub mod task;

use crate::summary::{ResultMetric, Stats};

/// The results of a sweep: per point, the statistics of every result metric.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepResult {
    /// Scenario name (`meta.name`).
    pub name: String,
    pub paths: u64,
    pub seed: u64,
    pub keys: Vec<String>,
    pub points: Vec<Vec<String>>,
    /// `stats[point][ResultMetric::index()]`.
    pub stats: Vec<Vec<Stats>>,
    /// The metric the chart shows.
    pub metric: ResultMetric,
}

/// A result metric by its summary.csv name.
pub fn metric_by_name(name: &str) -> Result<ResultMetric, String> {
    ResultMetric::ALL
        .iter()
        .copied()
        .find(|m| m.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = ResultMetric::ALL.iter().map(|m| m.name()).collect();
            format!(
                "--metric {name:?}: not a result; choose one of {}",
                names.join(", ")
            )
        })
}
