//! How the answer settles: the mean of total NPV over the first 1,000, 2,000, 4,000, …
//! paths and over all of them, with a band of ± 2 standard errors, against the number of
//! paths on a logarithmic axis (base 2: each tick doubles the paths). A band that narrows
//! around a flat line says the run has enough paths for its mean.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{self, Axis};
use super::legend::{LegendItem, Swatch};
use super::palette;
use super::style;
use super::{chart_files, ChartFile, ChartFormat};
use crate::engine::risk::CONVERGENCE_START;
use crate::report::precision::money_pm;
use crate::risk::RiskSummary;
use crate::summary::{ResultMetric, RunSummary};

/// File name without extension.
pub const FILE_STEM: &str = "convergence";

/// Position of `paths` on the x axis: doublings of the first checkpoint.
fn x_of(paths: u64) -> f64 {
    (paths as f64 / CONVERGENCE_START as f64).log2()
}

/// The convergence chart of `m` in run `s`.
pub fn draw_convergence<DB>(
    root: &DrawingArea<DB, Shift>,
    s: &RunSummary,
    risk: &RiskSummary,
    m: ResultMetric,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let pts = risk.convergence_of(m);
    let title = format!("{}: does the mean of {} settle?", s.meta.name, m.name());
    let Some(last) = pts.last().copied() else {
        return layout::message_chart(root, &title, "", "no paths");
    };
    let subtitle = format!(
        "mean {} (± 1 standard error) · {}",
        money_pm(last.mean, last.std_error),
        style::summary_note(s)
    );
    if last.paths < 2 * CONVERGENCE_START {
        let msg = format!(
            "Too few paths to show convergence\nrun at least {} paths",
            style::thousands(2 * CONVERGENCE_START)
        );
        return layout::message_chart(root, &title, &subtitle, &msg);
    }
    let legend = [
        LegendItem::new(
            "mean of the first N paths",
            Swatch::LineWithMarker {
                color: palette::TOTAL,
            },
        ),
        LegendItem::new(
            "± 2 standard errors",
            Swatch::Fill {
                color: palette::REVENUE_SHARE,
                alpha: palette::BAND_OUTER_ALPHA,
            },
        ),
        LegendItem::new(
            "mean of all paths",
            Swatch::Line {
                color: palette::MEAN,
                width: 2,
                dashed: true,
            },
        ),
    ];
    let area = layout::frame(root, &title, &subtitle, &legend)?;
    // Ticks at the doublings 1,000, 2,000, 4,000, ...; the last point sits between them.
    let top = x_of(last.paths);
    let doublings = top.ceil() as usize;
    let names: Vec<String> = (0..=doublings)
        .map(|k| style::thousands(CONVERGENCE_START << k))
        .collect();
    let mut x = Axis::categories(names, "Paths (log scale)");
    x.range = -0.3..top + 0.3;
    x.ticks.retain(|&t| t <= top + 1e-9);
    x.grid = true;
    let band = |c: &crate::risk::ConvergencePoint| {
        [c.mean - 2.0 * c.std_error, c.mean + 2.0 * c.std_error]
    };
    let y = Axis::money(
        style::padded_range(pts.iter().flat_map(band), 0.06, false),
        format!("Mean of {} (USD bn)", m.name()),
    );
    let mut chart = layout::build_chart(&area, &x, &y)?;
    let mut poly: Vec<(f64, f64)> = pts.iter().map(|c| (x_of(c.paths), band(c)[1])).collect();
    poly.extend(pts.iter().rev().map(|c| (x_of(c.paths), band(c)[0])));
    chart.draw_series(std::iter::once(Polygon::new(
        poly,
        palette::REVENUE_SHARE
            .mix(palette::BAND_OUTER_ALPHA)
            .filled(),
    )))?;
    let xr = chart.x_range();
    chart.draw_series(DashedLineSeries::new(
        vec![(xr.start, last.mean), (xr.end, last.mean)],
        8,
        6,
        palette::MEAN.stroke_width(2),
    ))?;
    let line: Vec<(f64, f64)> = pts.iter().map(|c| (x_of(c.paths), c.mean)).collect();
    chart.draw_series(LineSeries::new(
        line.clone(),
        palette::TOTAL.stroke_width(2),
    ))?;
    chart.draw_series(
        line.iter()
            .map(|&p| Circle::new(p, 5, palette::TOTAL.filled())),
    )?;
    Ok(())
}

/// `convergence.{png,svg}` (npv_total) of run `s` in `format`.
pub fn render_convergence_chart(
    s: &RunSummary,
    risk: &RiskSummary,
    format: ChartFormat,
) -> Result<Vec<ChartFile>> {
    let m = ResultMetric::NpvTotal;
    chart_files(FILE_STEM, format, |root| draw_convergence(root, s, risk, m))
}
