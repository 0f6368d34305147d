//! Axes shared by the charts of several runs: in a comparison, every member's own charts
//! (`<member>/charts/`) are drawn on the union of the members' ranges, so two members'
//! cash-flow fans side by side compare by height, not by their tick labels.

use std::ops::Range;

use super::fan::FanKind;
use super::{annual, components, distribution, fan, style};
use crate::summary::RunSummary;

/// Axis ranges to draw a run's charts on; `None` = the run's own.
#[derive(Debug, Clone, Default)]
pub struct SharedAxes {
    /// Fan charts' y ranges, in [`FanKind::ALL`] order.
    pub fan: Vec<Option<Range<f64>>>,
    pub hist_x: Option<Range<f64>>,
    pub hist_y: Option<Range<f64>>,
    pub cdf_x: Option<Range<f64>>,
    pub components_x: Option<Range<f64>>,
    pub annual_y: Option<Range<f64>>,
}

impl SharedAxes {
    /// The union of each chart's own ranges over `runs`.
    pub fn across(runs: &[&RunSummary]) -> SharedAxes {
        let union =
            |f: &dyn Fn(&RunSummary) -> Range<f64>| style::union_range(runs.iter().map(|s| f(s)));
        let tallest = runs
            .iter()
            .map(|s| distribution::histogram_ranges(s).1)
            .fold(0.0, f64::max);
        SharedAxes {
            fan: FanKind::ALL
                .iter()
                .map(|&k| union(&|s| fan::run_y_range(s, k)))
                .collect(),
            hist_x: union(&|s| distribution::histogram_ranges(s).0),
            // The histogram's own rule: the tallest bar plus 8 %.
            hist_y: (tallest > 0.0).then_some(0.0..tallest * 1.08),
            cdf_x: distribution::cdf_x_range(
                runs.iter().map(|s| s.npv_total_dist.quantiles.as_slice()),
            ),
            components_x: union(&|s| {
                components::components_x_range(&components::component_bars(s))
            }),
            annual_y: union(&|s| annual::run_y_range(s)),
        }
    }

    /// The y range of fan chart `kind`, if shared.
    pub fn fan(&self, kind: FanKind) -> Option<Range<f64>> {
        let i = FanKind::ALL.iter().position(|&k| k == kind)?;
        self.fan.get(i).cloned().flatten()
    }
}
