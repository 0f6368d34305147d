//! The distribution of the total NPV across paths: a histogram with its key statistics
//! marked, and the cumulative distribution (CDF) read from the quantile table.
//!
//! Both take optional axis ranges so that several runs can be compared on identical axes;
//! the CDF already takes several series.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{self, Axis};
use super::legend::{LegendItem, Swatch};
use super::palette;
use super::style;
use crate::report::precision::{percent, Gap};
use crate::summary::{Distribution, ResultMetric, RunSummary};

/// A vertical line marking a statistic (p5, median, mean, p95) on a histogram.
#[derive(Debug, Clone)]
pub struct StatLine {
    pub label: String,
    pub value: f64,
    pub color: RGBColor,
    pub dashed: bool,
}

/// Titles and the x-axis description of a distribution chart.
#[derive(Debug, Clone)]
pub struct DistSpec {
    pub title: String,
    pub subtitle: String,
    pub x_desc: String,
}

/// Histogram of `dist` (bar height = share of all paths in the bin) with `lines` marked.
pub fn histogram_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    spec: &DistSpec,
    dist: &Distribution,
    lines: &[StatLine],
    x_range: Option<Range<f64>>,
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let series = [HistSeries {
        label: "share of paths in each bin".to_string(),
        color: palette::SKY_BLUE,
        dist,
    }];
    histograms_chart(root, spec, &series, lines, x_range, y_range)
}

/// One histogram among several on the same axes.
#[derive(Debug, Clone)]
pub struct HistSeries<'a> {
    pub label: String,
    pub color: RGBColor,
    pub dist: &'a Distribution,
}

/// Histograms of `series` on the same axes (bar height = share of all paths in the bin)
/// with `lines` marked. One series is drawn as solid bars; several as translucent bars
/// outlined in their colour, so each stays visible where they overlap.
pub fn histograms_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    spec: &DistSpec,
    series: &[HistSeries<'_>],
    lines: &[StatLine],
    x_range: Option<Range<f64>>,
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    // Shares are of all paths, including those outside the bins (`below`, `above`), so
    // bars of different runs compare even when their tails differ.
    let total = |d: &Distribution| d.counts.iter().sum::<u64>() + d.below + d.above;
    let valid = |d: &Distribution| total(d) > 0 && d.edges.len() == d.counts.len() + 1;
    if series.is_empty() || !series.iter().all(|s| valid(s.dist)) {
        let msg = "no histogram: the run has no paths";
        return layout::message_chart(root, &spec.title, &spec.subtitle, msg);
    }
    let single = series.len() == 1;
    let fill_alpha = if single { 0.8 } else { 0.3 };

    let mut legend: Vec<LegendItem> = series
        .iter()
        .map(|s| {
            LegendItem::new(
                s.label.clone(),
                Swatch::Fill {
                    color: s.color,
                    alpha: if single { fill_alpha } else { 0.6 },
                },
            )
        })
        .collect();
    legend.extend(lines.iter().map(|l| {
        LegendItem::new(
            l.label.clone(),
            Swatch::Line {
                color: l.color,
                width: 3,
                dashed: l.dashed,
            },
        )
    }));
    let area = layout::frame(root, &spec.title, &spec.subtitle, &legend)?;

    let x_range = x_range.unwrap_or_else(|| {
        let values = series
            .iter()
            .flat_map(|s| s.dist.edges.iter().copied())
            .chain(lines.iter().map(|l| l.value));
        style::padded_range(values, 0.03, false)
    });
    let x = Axis::money(x_range, spec.x_desc.as_str());
    // Bins cut to the axis: plotters would squash points outside it onto the edge.
    let bins: Vec<Vec<(f64, f64, f64)>> = series
        .iter()
        .map(|s| {
            let n = total(s.dist) as f64;
            s.dist
                .edges
                .windows(2)
                .zip(&s.dist.counts)
                .filter(|(e, _)| e[1] > x.range.start && e[0] < x.range.end)
                .map(|(e, &c)| (e[0].max(x.range.start), e[1].min(x.range.end), c as f64 / n))
                .collect()
        })
        .collect();
    let y_max = bins.iter().flatten().map(|b| b.2).fold(0.0, f64::max);
    let y = Axis::probability(y_range.unwrap_or(0.0..y_max * 1.08), "Share of paths");
    let mut chart = layout::build_chart(&area, &x, &y)?;

    for (s, bins) in series.iter().zip(&bins) {
        let fill = s.color.mix(fill_alpha).filled();
        chart.draw_series(
            bins.iter()
                .map(|&(a, b, h)| Rectangle::new([(a, 0.0), (b, h)], fill)),
        )?;
    }
    if single {
        // Thin white outlines separate neighbouring bins without a heavy border.
        let outline = WHITE.stroke_width(1);
        chart.draw_series(
            bins[0]
                .iter()
                .map(|&(a, b, h)| Rectangle::new([(a, 0.0), (b, h)], outline)),
        )?;
    } else {
        // Each histogram's outline as a step line over all fills.
        for (s, bins) in series.iter().zip(&bins) {
            let mut step = Vec::with_capacity(bins.len() * 2 + 2);
            for &(a, b, h) in bins {
                if step.last().is_none_or(|&(x, _): &(f64, f64)| x < a) {
                    step.push((a, 0.0));
                }
                step.push((a, h));
                step.push((b, h));
            }
            if let Some(&(x, _)) = step.last() {
                step.push((x, 0.0));
            }
            chart.draw_series(LineSeries::new(step, s.color.stroke_width(2)))?;
        }
    }
    if x.range.start < 0.0 && x.range.end > 0.0 {
        layout::dashed_vline(&mut chart, 0.0, palette::AXIS.stroke_width(1))?;
    }
    let yr = chart.y_range();
    for l in lines {
        let pts = vec![(l.value, yr.start), (l.value, yr.end)];
        let stroke = l.color.stroke_width(3);
        if l.dashed {
            chart.draw_series(DashedLineSeries::new(pts, 10, 6, stroke))?;
        } else {
            chart.draw_series(LineSeries::new(pts, stroke))?;
        }
    }
    Ok(())
}

/// One cumulative distribution: `(probability, value)` pairs, probabilities increasing.
#[derive(Debug, Clone)]
pub struct CdfSeries {
    pub label: String,
    pub color: RGBColor,
    pub quantiles: Vec<(f64, f64)>,
    /// The line's dash pattern (`palette::dash`); `None` = solid.
    pub dash: Option<(u32, u32)>,
}

/// The value at probability `p`, linear between the stored quantiles.
pub fn quantile_at(quantiles: &[(f64, f64)], p: f64) -> Option<f64> {
    let i = quantiles.iter().position(|q| q.0 >= p)?;
    if i == 0 {
        return Some(quantiles[0].1);
    }
    let ((p0, v0), (p1, v1)) = (quantiles[i - 1], quantiles[i]);
    let w = if p1 > p0 { (p - p0) / (p1 - p0) } else { 1.0 };
    Some(v0 + w * (v1 - v0))
}

/// The probability that the value is at most `v`, linear between the stored quantiles.
pub fn probability_below(quantiles: &[(f64, f64)], v: f64) -> Option<f64> {
    let (first, last) = (quantiles.first()?, quantiles.last()?);
    if v < first.1 {
        return Some(0.0);
    }
    if v >= last.1 {
        return Some(1.0);
    }
    let i = quantiles.iter().rposition(|q| q.1 <= v)?;
    let ((p0, v0), (p1, v1)) = (quantiles[i], quantiles[i + 1]);
    let w = if v1 > v0 { (v - v0) / (v1 - v0) } else { 0.0 };
    Some(p0 + w * (p1 - p0))
}

/// Cumulative distributions of `series`; a single series gets its p5, median and p95
/// marked and labelled on the curve.
pub fn cdf_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    spec: &DistSpec,
    series: &[CdfSeries],
    x_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut legend: Vec<LegendItem> = series
        .iter()
        .map(|s| {
            LegendItem::new(
                s.label.clone(),
                Swatch::Line {
                    color: s.color,
                    width: 3,
                    dashed: s.dash.is_some(),
                },
            )
        })
        .collect();
    if series.len() == 1 {
        legend.push(LegendItem::new(
            "p5, median, p95",
            Swatch::LineWithMarker {
                color: palette::BLACK,
            },
        ));
    }
    let area = layout::frame(root, &spec.title, &spec.subtitle, &legend)?;
    let x_range = x_range
        .or_else(|| style::union_range(series.iter().filter_map(|s| body_range(&s.quantiles, &[]))))
        .unwrap_or(0.0..1.0);
    let x = Axis::money(x_range, spec.x_desc.as_str());
    let y = Axis::probability(0.0..1.0, "Probability that NPV ≤ x");
    let mut chart = layout::build_chart(&area, &x, &y)?;
    if x.range.start < 0.0 && x.range.end > 0.0 {
        layout::dashed_vline(&mut chart, 0.0, palette::AXIS.stroke_width(1))?;
    }
    for s in series {
        let line: Vec<(f64, f64)> = s.quantiles.iter().map(|&(p, v)| (v, p)).collect();
        layout::polyline(
            &mut chart,
            clip_x(&line, &x.range),
            s.color.stroke_width(3),
            s.dash,
        )?;
    }
    if let [s] = series {
        // Labels below and right of the point: a CDF rises to the right, so the curve
        // never runs through that corner.
        let label_style =
            style::bold(style::NOTE_SIZE, palette::BLACK).pos(Pos::new(HPos::Left, VPos::Top));
        for (p, name) in [(0.05, "p5"), (0.5, "median"), (0.95, "p95")] {
            let Some(v) = quantile_at(&s.quantiles, p) else {
                continue;
            };
            let label = format!("{name} {}", style::money_short(v));
            chart.draw_series(std::iter::once(
                EmptyElement::at((v, p))
                    + Circle::new((0, 0), 5, palette::BLACK.filled())
                    + Text::new(label, (10, 6), label_style.clone()),
            ))?;
        }
    }
    Ok(())
}

/// The part of polyline `pts` (x increasing) inside `range`, with interpolated end
/// points, so nothing is squashed onto the plot's edge.
fn clip_x(pts: &[(f64, f64)], range: &Range<f64>) -> Vec<(f64, f64)> {
    let lerp = |a: (f64, f64), b: (f64, f64), x: f64| {
        let w = if b.0 > a.0 {
            (x - a.0) / (b.0 - a.0)
        } else {
            0.0
        };
        (x, a.1 + w * (b.1 - a.1))
    };
    let inside = |p: &(f64, f64)| range.contains(&p.0) || p.0 == range.end;
    let mut out = Vec::with_capacity(pts.len() + 2);
    for (i, p) in pts.iter().enumerate() {
        if let Some(prev) = i.checked_sub(1).map(|j| pts[j]) {
            if prev.0 < range.start && p.0 > range.start {
                out.push(lerp(prev, *p, range.start));
            }
            if prev.0 < range.end && p.0 > range.end {
                out.push(lerp(prev, *p, range.end));
            }
        }
        if inside(p) {
            out.push(*p);
        }
    }
    out
}

/// The default value axis of a distribution: its p0.5 to p99.5 (so one extreme path
/// does not squeeze the body into a few pixels) plus any marked values.
pub fn body_range(quantiles: &[(f64, f64)], marks: &[f64]) -> Option<Range<f64>> {
    let lo = quantile_at(quantiles, 0.005)?;
    let hi = quantile_at(quantiles, 0.995)?;
    Some(style::padded_range(
        [lo, hi].into_iter().chain(marks.iter().copied()),
        0.04,
        false,
    ))
}

fn dist_spec(s: &RunSummary, what: &str, axis_note: &str) -> DistSpec {
    let q = &s.npv_total_dist.quantiles;
    let p_loss = probability_below(q, 0.0)
        .map(|p| format!(" · P(NPV < 0) = {}", percent(p, 1, Gap::Tight)))
        .unwrap_or_default();
    DistSpec {
        title: format!(
            "{}: {what} of total NPV to {}",
            s.meta.name, s.meta.investor
        ),
        subtitle: format!("{}{p_loss} · {axis_note}", style::summary_note(s)),
        x_desc: "Total NPV (USD bn, discounted to the start)".to_string(),
    }
}

/// The x range every CDF of total NPV uses, single run or comparison: p0.5 to p97.5 of
/// each distribution drawn (the far right tail of NPV is long; with it on the axis the
/// bodies, where scenarios differ, are squeezed into a corner), padded 3 %.
pub fn cdf_x_range<'a>(
    quantiles: impl IntoIterator<Item = &'a [(f64, f64)]>,
) -> Option<Range<f64>> {
    style::union_range(quantiles.into_iter().filter_map(|q| {
        let lo = quantile_at(q, 0.005)?;
        let hi = quantile_at(q, 0.975)?;
        Some(style::padded_range([lo, hi], 0.03, false))
    }))
}

/// What the CDFs' subtitles say about their x range.
pub const CDF_AXIS_NOTE: &str = "axis shows p0.5–p97.5";

/// The histogram's own x range (the bins and the marked values) and the tallest bar's
/// share of paths, for a comparison's members to share.
pub fn histogram_ranges(s: &RunSummary) -> (Range<f64>, f64) {
    let d = &s.npv_total_dist;
    let lines = npv_lines(s);
    let values = d.edges.iter().copied().chain(lines.iter().map(|l| l.value));
    let n = d.counts.iter().sum::<u64>() + d.below + d.above;
    let top = d.counts.iter().copied().max().unwrap_or(0) as f64 / n.max(1) as f64;
    (style::padded_range(values, 0.04, false), top)
}

/// p5, median, mean and p95 of npv_total as marked lines.
fn npv_lines(s: &RunSummary) -> [StatLine; 4] {
    let st = s.result(ResultMetric::NpvTotal);
    let line = |name: &str, value: f64, color: RGBColor, dashed: bool| StatLine {
        label: format!("{name} {}", style::money_short(value)),
        value,
        color,
        dashed,
    };
    [
        line("p5", st.p5(), palette::TAIL, true),
        line("median", st.p50(), palette::MEDIAN, false),
        line("mean", st.mean, palette::MEAN, true),
        line("p95", st.p95(), palette::TAIL, true),
    ]
}

/// The npv_total histogram of run `s` with p5, median, mean and p95 marked; on the given
/// axes if any (a comparison's members share them), else its own.
pub fn draw_npv_histogram<DB>(
    root: &DrawingArea<DB, Shift>,
    s: &RunSummary,
    x_range: Option<Range<f64>>,
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let lines = npv_lines(s);
    let d = &s.npv_total_dist;
    // The bins already span p0.5..p99.5 (the engine's choice); the axis adds the marks.
    let x_range = x_range.unwrap_or_else(|| histogram_ranges(s).0);
    let n = d.counts.iter().sum::<u64>() + d.below + d.above;
    let outside = if n > 0 {
        (d.below + d.above) as f64 / n as f64
    } else {
        0.0
    };
    let note = format!(
        "{} of paths beyond the bins",
        percent(outside, 1, Gap::Tight)
    );
    histogram_chart(
        root,
        &dist_spec(s, "distribution", &note),
        d,
        &lines,
        Some(x_range),
        y_range,
    )
}

/// The npv_total CDF of run `s`, on `x_range` if given (a comparison's members share
/// it), else on [`cdf_x_range`] of its own distribution: the comparison's rule.
pub fn draw_npv_cdf<DB>(
    root: &DrawingArea<DB, Shift>,
    s: &RunSummary,
    x_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let series = [CdfSeries {
        label: format!("{}: P(total NPV ≤ x)", s.meta.name),
        color: palette::SERIES[0],
        quantiles: s.npv_total_dist.quantiles.clone(),
        dash: None,
    }];
    let x_range = x_range.or_else(|| cdf_x_range([s.npv_total_dist.quantiles.as_slice()]));
    cdf_chart(
        root,
        &dist_spec(s, "cumulative distribution", CDF_AXIS_NOTE),
        &series,
        x_range,
    )
}
