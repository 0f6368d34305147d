//! The per-path table a run hands back when the caller keeps paths (paths.csv,
//! comparisons, sensitivity, attribution): each path's results, the draws its uncertain
//! inputs took (recorded when the path drew them, never redrawn) and its cash flow per
//! calendar year.

use crate::model::{Model, PathResults, Period};
use crate::scenario::Scenario;
use crate::summary::SeriesMetric;

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

    /// The table of `results`, with `draws` as the paths recorded them (see
    /// `compact::Recorded`) and each path's `annual` cash flows.
    pub(super) fn new(
        sc: &Scenario,
        results: Vec<PathResults>,
        draws: Vec<f64>,
        annual: AnnualCashFlow,
    ) -> PathTable {
        PathTable {
            results,
            draw_names: sc.uncertain_inputs().into_iter().map(|(k, _)| k).collect(),
            draws,
            years: annual.years,
            annual_cash_flow: annual.sums,
        }
    }
}

/// Each path's undiscounted investor cash flow summed per calendar year, accumulated
/// period by period (only when the caller keeps paths: plain runs hold nothing).
pub(super) struct AnnualCashFlow {
    start_year: i32,
    years: Vec<i32>,
    /// Year-major, `years.len() x paths`; empty when not kept.
    sums: Vec<f64>,
    paths: usize,
    keep: bool,
}

impl AnnualCashFlow {
    pub(super) fn new(model: &Model, paths: usize, keep: bool) -> AnnualCashFlow {
        let years: Vec<i32> = (model.grid.start_year..=model.grid.end_year).collect();
        let sums = if keep {
            vec![0.0; years.len() * paths]
        } else {
            Vec::new()
        };
        AnnualCashFlow {
            start_year: model.grid.start_year,
            years,
            sums,
            paths,
            keep,
        }
    }

    /// Add period `per`'s cash flows; `buffers` must still be in path order (before the
    /// percentiles reorder them).
    pub(super) fn add(&mut self, per: &Period, buffers: &[Vec<f64>]) {
        if !self.keep {
            return;
        }
        let n = self.paths;
        let y = (per.year - self.start_year) as usize;
        let cf = &buffers[SeriesMetric::InvestorCashFlow.index()];
        for (a, v) in self.sums[y * n..(y + 1) * n].iter_mut().zip(cf) {
            *a += v;
        }
    }
}
