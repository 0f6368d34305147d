//! Fan charts over time: percentile bands (p5–p95, p25–p75) shaded, the median as a line
//! and the mean dashed, for the per-period series of a run.
//!
//! [`fan_chart`] takes any number of series and optional axis ranges, so a comparison of
//! scenarios can draw them on identical axes; [`draw_fan`] builds the single-run charts.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{self, Axis};
use super::legend::{LegendItem, Swatch};
use super::palette;
use super::style;
use crate::scenario::Meta;
use crate::summary::{Band, RunSummary, SeriesMetric};

/// Which parts of a series a fan chart draws; the median line is always drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanLayers {
    /// The p5–p95 band.
    pub outer_band: bool,
    /// The p25–p75 band.
    pub inner_band: bool,
    /// The dashed mean line.
    pub mean: bool,
}

impl FanLayers {
    /// Bands, median and mean: the single-run fan.
    pub const ALL: FanLayers = FanLayers {
        outer_band: true,
        inner_band: true,
        mean: true,
    };
}

/// One series of bands over time: `(t, band)` with `t` the decimal year at period end.
#[derive(Debug, Clone)]
pub struct SeriesBand {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, Band)>,
    pub layers: FanLayers,
    /// The median line's dash pattern (`palette::dash`); `None` = solid.
    pub dash: Option<(u32, u32)>,
}

impl SeriesBand {
    /// The bands of metric `m` of a run, one point per period.
    pub fn from_summary(
        s: &RunSummary,
        m: SeriesMetric,
        label: impl Into<String>,
        color: RGBColor,
    ) -> SeriesBand {
        let points = s.periods.iter().map(|p| (p.t, *p.band(m))).collect();
        SeriesBand {
            label: label.into(),
            color,
            points,
            layers: FanLayers::ALL,
            dash: None,
        }
    }

    /// Every value drawn (the widest band drawn, the median and the mean if drawn), for
    /// sizing the y axis.
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let l = self.layers;
        let (lo, hi) = match (l.outer_band, l.inner_band) {
            (true, _) => (0, 4),
            (false, true) => (1, 3),
            (false, false) => (2, 2),
        };
        self.points.iter().flat_map(move |(_, b)| {
            let mean = if l.mean { b.mean } else { b.pct[2] };
            [b.pct[lo], b.pct[hi], b.pct[2], mean]
        })
    }
}

/// A reference line with a label written on the plot.
#[derive(Debug, Clone)]
pub enum Marker {
    /// Horizontal line at a value (e.g. the revenue-share cap).
    Level { y: f64, label: String },
    /// Vertical dashed line at a decimal year (e.g. the end of the revenue share).
    Time { x: f64, label: String },
}

/// Titles and axis descriptions of a fan chart.
#[derive(Debug, Clone)]
pub struct FanSpec {
    pub title: String,
    pub subtitle: String,
    pub y_desc: String,
    pub markers: Vec<Marker>,
}

/// The x range covering all series: whole years around the first and last period end.
pub fn fan_x_range(series: &[SeriesBand]) -> Range<f64> {
    let ts = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (lo, hi) = ts.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
        (lo.min(t), hi.max(t))
    });
    if lo.is_finite() && hi.is_finite() {
        // Period ends lie after the period starts: the first band starts one period in.
        // A hair past the last year: a line ending exactly on the plot's edge is clipped
        // with a visible kink in its last pixel.
        (lo - 1e-9).floor()..hi.ceil().max(lo.floor() + 1.0) + 0.01
    } else {
        0.0..1.0
    }
}

/// The y range covering all bands, means and level markers, with zero as baseline.
pub fn fan_y_range(series: &[SeriesBand], markers: &[Marker]) -> Range<f64> {
    let levels = markers.iter().filter_map(|m| match m {
        Marker::Level { y, .. } => Some(*y),
        Marker::Time { .. } => None,
    });
    style::padded_range(
        series.iter().flat_map(|s| s.values()).chain(levels),
        0.06,
        true,
    )
}

/// Draws a fan chart of `series` into `root` (the whole image). Ranges default to the
/// data's; pass them to put several charts on identical axes.
pub fn fan_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    spec: &FanSpec,
    series: &[SeriesBand],
    x_range: Option<Range<f64>>,
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let legend = fan_legend(series);
    let area = layout::frame(root, &spec.title, &spec.subtitle, &legend)?;
    let x = Axis::years(x_range.unwrap_or_else(|| fan_x_range(series)), "Year");
    let y = Axis::money(
        y_range.unwrap_or_else(|| fan_y_range(series, &spec.markers)),
        spec.y_desc.as_str(),
    );
    let mut chart = layout::build_chart(&area, &x, &y)?;
    if y.range.start < 0.0 {
        layout::hline(&mut chart, 0.0, palette::AXIS.stroke_width(1))?;
    }

    for s in series {
        let band = |lo: usize, hi: usize| -> Vec<(f64, f64)> {
            let upper = s.points.iter().map(|(t, b)| (*t, b.pct[hi]));
            let lower = s.points.iter().rev().map(|(t, b)| (*t, b.pct[lo]));
            upper.chain(lower).collect()
        };
        if s.layers.outer_band {
            chart.draw_series(std::iter::once(Polygon::new(
                band(0, 4),
                s.color.mix(palette::BAND_OUTER_ALPHA).filled(),
            )))?;
        }
        if s.layers.inner_band {
            chart.draw_series(std::iter::once(Polygon::new(
                band(1, 3),
                s.color.mix(palette::BAND_INNER_ALPHA).filled(),
            )))?;
        }
    }
    // Reference lines under the series' lines (a median running along a cap stays
    // visible), their labels over everything.
    draw_markers(&mut chart, &spec.markers, false)?;
    // Lines over all bands, so no band of a later series hides an earlier median.
    for s in series {
        let median: Vec<(f64, f64)> = s.points.iter().map(|(t, b)| (*t, b.pct[2])).collect();
        super::layout::polyline(&mut chart, median, s.color.stroke_width(3), s.dash)?;
        if !s.layers.mean {
            continue;
        }
        let mean: Vec<(f64, f64)> = s.points.iter().map(|(t, b)| (*t, b.mean)).collect();
        let color = mean_color(s, series.len());
        chart.draw_series(DashedLineSeries::new(mean, 10, 6, color.stroke_width(2)))?;
    }
    draw_markers(&mut chart, &spec.markers, true)?;
    Ok(())
}

/// One run: black, so the dashed mean stands out from the coloured median. Several runs:
/// each mean in its run's colour, so it is clear whose mean it is.
fn mean_color(s: &SeriesBand, n: usize) -> RGBColor {
    if n == 1 {
        palette::BLACK
    } else {
        s.color
    }
}

fn fan_legend(series: &[SeriesBand]) -> Vec<LegendItem> {
    let mut items = Vec::new();
    for s in series {
        // A single series needs no name in its legend: the title names it.
        let prefix = if series.len() > 1 {
            format!("{}: ", s.label)
        } else {
            String::new()
        };
        if s.layers.outer_band {
            items.push(LegendItem::new(
                format!("{prefix}p5–p95"),
                Swatch::Fill {
                    color: s.color,
                    alpha: palette::BAND_OUTER_ALPHA,
                },
            ));
        }
        if s.layers.inner_band {
            // Drawn over the outer band it reads darker; alone, at its own opacity.
            let alpha = palette::BAND_INNER_ALPHA + if s.layers.outer_band { 0.15 } else { 0.0 };
            items.push(LegendItem::new(
                format!("{prefix}p25–p75"),
                Swatch::Fill {
                    color: s.color,
                    alpha,
                },
            ));
        }
        items.push(LegendItem::new(
            format!("{prefix}median"),
            Swatch::Line {
                color: s.color,
                width: 3,
                dashed: s.dash.is_some(),
            },
        ));
        if !s.layers.mean {
            continue;
        }
        let color = mean_color(s, series.len());
        items.push(LegendItem::new(
            format!("{prefix}mean"),
            Swatch::Line {
                color,
                width: 2,
                dashed: true,
            },
        ));
    }
    items
}

/// Draws the markers' lines, or (`labels`) their labels.
fn draw_markers<DB>(
    chart: &mut ChartContext<'_, DB, layout::Axes>,
    markers: &[Marker],
    labels: bool,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let label_style = style::bold(style::NOTE_SIZE, palette::BLACK);
    for m in markers {
        match m {
            Marker::Level { y, .. } if !labels => {
                layout::hline(chart, *y, palette::BLACK.stroke_width(2))?;
            }
            Marker::Time { x, .. } if !labels => {
                layout::dashed_vline(chart, *x, palette::AXIS.stroke_width(2))?;
            }
            Marker::Level { y, label } => {
                // Written just above the line at the left, where fans are narrowest.
                let at = (xr.start, *y);
                chart.draw_series(std::iter::once(
                    EmptyElement::at(at)
                        + Text::new(
                            label.clone(),
                            (8, -4),
                            label_style.pos(Pos::new(HPos::Left, VPos::Bottom)),
                        ),
                ))?;
            }
            Marker::Time { x, label } => {
                // Left of the line at the top: the fan there is still low for cumulative series.
                chart.draw_series(std::iter::once(
                    EmptyElement::at((*x, yr.end))
                        + Text::new(
                            label.clone(),
                            (-6, 6),
                            label_style.pos(Pos::new(HPos::Right, VPos::Top)),
                        ),
                ))?;
            }
        }
    }
    Ok(())
}

/// The five single-run fan charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanKind {
    CompanyRevenue,
    CompanyValuation,
    StakeValue,
    RevenueShareCumulative,
    InvestorCashFlow,
}

impl FanKind {
    pub const ALL: [FanKind; 5] = [
        FanKind::CompanyRevenue,
        FanKind::CompanyValuation,
        FanKind::StakeValue,
        FanKind::RevenueShareCumulative,
        FanKind::InvestorCashFlow,
    ];

    pub fn file_stem(self) -> &'static str {
        match self {
            FanKind::CompanyRevenue => "fan_company_revenue",
            FanKind::CompanyValuation => "fan_company_valuation",
            FanKind::StakeValue => "fan_stake_value",
            FanKind::RevenueShareCumulative => "fan_revenue_share_cumulative",
            FanKind::InvestorCashFlow => "fan_investor_cash_flow",
        }
    }

    pub fn metric(self) -> SeriesMetric {
        match self {
            FanKind::CompanyRevenue => SeriesMetric::CompanyRevenue,
            FanKind::CompanyValuation => SeriesMetric::CompanyValuation,
            FanKind::StakeValue => SeriesMetric::StakeValue,
            FanKind::RevenueShareCumulative => SeriesMetric::RevenueShareCumulative,
            FanKind::InvestorCashFlow => SeriesMetric::InvestorCashFlow,
        }
    }

    /// What is shown (for the title), a note on it (for the subtitle) and the y-axis
    /// description, with the parties named as in `m`.
    pub fn describe(self, m: &Meta, steps_per_year: u32) -> (String, String, String) {
        let period = style::period_word(steps_per_year);
        match self {
            FanKind::CompanyRevenue => (
                format!("{} revenue per {period}", m.company),
                format!("revenue earned in each {period}, not annualised"),
                format!("Revenue in the {period} (USD bn)"),
            ),
            FanKind::CompanyValuation => (
                format!("{} valuation", m.company),
                "at the end of each period".to_string(),
                "Valuation (USD bn)".to_string(),
            ),
            FanKind::StakeValue => (
                format!("value of {}'s stake in {}", m.investor, m.company),
                "at the end of each period, undiscounted".to_string(),
                "Stake value (USD bn)".to_string(),
            ),
            FanKind::RevenueShareCumulative => (
                format!("revenue share received by {}, cumulative", m.investor),
                format!("total paid by {} since the start, undiscounted", m.company),
                "Cumulative revenue share (USD bn)".to_string(),
            ),
            FanKind::InvestorCashFlow => (
                format!("{} cash flow per {period}", m.investor),
                "all deal components, undiscounted; negative = net payment".to_string(),
                format!("Cash flow in the {period} (USD bn)"),
            ),
        }
    }

    /// Title, subtitle note and y-axis description for run `s`.
    pub fn spec(self, s: &RunSummary) -> FanSpec {
        let m = &s.meta;
        let (what, note, y_desc) = self.describe(m, s.steps_per_year);
        let mut markers = Vec::new();
        if self == FanKind::RevenueShareCumulative {
            if let Some(cap) = s.cap {
                markers.push(Marker::Level {
                    y: cap,
                    label: format!("cap {}", style::money_short(cap)),
                });
            }
            markers.push(Marker::Time {
                x: f64::from(s.revenue_share_end_year) + 1.0,
                label: format!("revenue share ends (end of {})", s.revenue_share_end_year),
            });
        }
        FanSpec {
            title: format!("{}: {what}", m.name),
            subtitle: format!("{note} · {}", style::summary_note(s)),
            y_desc,
            markers,
        }
    }
}

/// The one band of run `s`'s fan chart `kind`.
fn run_series(s: &RunSummary, kind: FanKind) -> [SeriesBand; 1] {
    [SeriesBand::from_summary(
        s,
        kind.metric(),
        &s.meta.name,
        palette::SERIES[0],
    )]
}

/// The y range fan chart `kind` of run `s` draws on its own.
pub fn run_y_range(s: &RunSummary, kind: FanKind) -> Range<f64> {
    fan_y_range(&run_series(s, kind), &kind.spec(s).markers)
}

/// Draws fan chart `kind` of run `s` into `root`, on `y_range` if given (a comparison's
/// members share it), else on the run's own.
pub fn draw_fan<DB>(
    root: &DrawingArea<DB, Shift>,
    s: &RunSummary,
    kind: FanKind,
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let spec = kind.spec(s);
    let x_range = f64::from(s.start_year)..f64::from(s.end_year) + 1.0;
    fan_chart(root, &spec, &run_series(s, kind), Some(x_range), y_range)
}
