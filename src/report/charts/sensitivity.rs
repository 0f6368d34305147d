//! Sensitivity charts: rank-correlation tornado, one-at-a-time swings, per-year heat map,
//! and the channel attribution waterfall. Same fonts, palette and sizes as every chart.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{Axes, Ticked};
use super::palette;
use super::style;
use crate::report::precision::{percent, plain, signed, Gap};

/// One horizontal bar from `lo` to `hi` (a tornado row), labelled.
pub struct Bar {
    pub label: String,
    pub lo: f64,
    pub hi: f64,
    pub color: RGBColor,
    /// A 95 % interval drawn as a whisker over the bar.
    pub ci: Option<(f64, f64)>,
    /// Text at the `lo` end and at the `hi` end of the bar (outside it), e.g.
    /// `low 0.22` and `high 0.27`: which input value gave which side.
    pub ends: (String, String),
}

impl Bar {
    pub fn new(label: impl Into<String>, lo: f64, hi: f64, color: RGBColor) -> Bar {
        Bar {
            label: label.into(),
            lo,
            hi,
            color,
            ci: None,
            ends: (String::new(), String::new()),
        }
    }
}

/// The data's extent (bars, whiskers and, with `zero`, 0), padded by `pad` of the span
/// on each side for the end labels.
fn span(bars: &[Bar], zero: bool, pad: f64) -> Range<f64> {
    let ends = bars.iter().flat_map(|b| {
        let (a, c) = b.ci.unwrap_or((b.lo, b.hi));
        [b.lo, b.hi, a, c]
    });
    let (mut lo, mut hi) = ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    // Also catches NaN bounds (no bars): fall back to a unit range.
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        hi = lo + 1.0;
    }
    // A side that ends at 0 (shares, one-signed effects) keeps 0 as its edge; a sliver
    // across 0 (a share of -0.1 %, Monte Carlo noise) does not open a whole tick interval.
    let p = (hi - lo) * pad;
    if zero && lo < 0.0 && -lo < 0.02 * (hi - lo) {
        lo = 0.0;
    }
    if zero && hi > 0.0 && hi < 0.02 * (hi - lo) {
        hi = 0.0;
    }
    let lo = if zero && lo == 0.0 { 0.0 } else { lo - p };
    let hi = if zero && hi == 0.0 { 0.0 } else { hi + p };
    style::safe_range(&(lo..hi))
}

/// Horizontal bars, largest first from the top, with a zero line; whiskers and end labels
/// where the bars carry them; the x-axis scaled to the data (`x_range` overrides).
#[allow(clippy::too_many_arguments)]
pub fn hbars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    x_desc: &str,
    bars: &[Bar],
    x_range: Option<Range<f64>>,
    fmt: &dyn Fn(f64) -> String,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let area = super::layout::frame(root, title, subtitle, &[])?;
    let n = bars.len().max(1);
    let labelled = bars
        .iter()
        .any(|b| !b.ends.0.is_empty() || !b.ends.1.is_empty());
    let xr = style::safe_range(
        &x_range.unwrap_or_else(|| span(bars, true, if labelled { 0.28 } else { 0.08 })),
    );
    // Our own bounded ticks: plotters' f64 key points loop for ever on a range its
    // arithmetic cannot split (and assert on NaN).
    let (x_ticks, _) = style::nice_ticks(&xr, 8);
    let mut chart = ChartBuilder::on(&area)
        .margin(10)
        .x_label_area_size(50)
        .y_label_area_size(300)
        .build_cartesian_2d(
            Ticked::new(xr.clone(), x_ticks),
            Ticked::new(0.0..n as f64, Vec::new()),
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(palette::GRID)
        .x_desc(x_desc)
        .x_labels(8)
        .x_label_formatter(&|v| fmt(*v))
        .y_labels(0)
        .label_style(style::text(15.0, palette::BLACK))
        .axis_desc_style(style::text(16.0, palette::BLACK))
        .draw()?;
    let names: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    // backend_coord is in page pixels: labels are drawn on the page, not the plot area.
    row_labels(root, &chart, xr.start, n, &names)?;
    let end_style = |h: HPos| style::text(13.0, palette::BLACK).pos(Pos::new(h, VPos::Center));
    for (i, b) in bars.iter().enumerate() {
        let y0 = n as f64 - i as f64 - 0.8;
        let y1 = n as f64 - i as f64 - 0.2;
        let ym = n as f64 - i as f64 - 0.5;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(b.lo.min(b.hi), y0), (b.lo.max(b.hi), y1)],
            b.color.filled(),
        )))?;
        let (mut left, mut right) = (b.lo.min(b.hi), b.lo.max(b.hi));
        if let Some((a, c)) = b.ci {
            let cap = 0.12;
            let black = palette::BLACK.stroke_width(2);
            chart.draw_series(std::iter::once(PathElement::new([(a, ym), (c, ym)], black)))?;
            for x in [a, c] {
                chart.draw_series(std::iter::once(PathElement::new(
                    [(x, ym - cap), (x, ym + cap)],
                    black,
                )))?;
            }
            left = left.min(a);
            right = right.max(c);
        }
        // The lo label goes outside the bar's lo end, the hi label outside its hi end.
        let (lo_text, hi_text) = &b.ends;
        let (at_left, at_right) = if b.lo <= b.hi {
            (lo_text, hi_text)
        } else {
            (hi_text, lo_text)
        };
        let (lx, ly) = chart.backend_coord(&(left, ym));
        let (rx, _) = chart.backend_coord(&(right, ym));
        if !at_left.is_empty() {
            root.draw(&Text::new(
                at_left.clone(),
                (lx - 6, ly),
                end_style(HPos::Right),
            ))?;
        }
        if !at_right.is_empty() {
            root.draw(&Text::new(
                at_right.clone(),
                (rx + 6, ly),
                end_style(HPos::Left),
            ))?;
        }
    }
    if xr.start < 0.0 && xr.end > 0.0 {
        chart.draw_series(LineSeries::new(
            [(0.0, 0.0), (0.0, n as f64)],
            palette::BLACK.stroke_width(1),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// Row names left of the plot, right-aligned, one per unit band from the top (plotters'
/// own tick labels sit on round numbers, not on band centres).
fn row_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &ChartContext<'_, DB, Axes>,
    x_left: f64,
    n: usize,
    names: &[String],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let st = style::text(14.0, palette::BLACK).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, name) in names.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x_left, n as f64 - i as f64 - 0.5));
        root.draw(&Text::new(name.clone(), (px - 10, py), st.clone()))?;
    }
    Ok(())
}

/// Width of the colour legend right of the heat map.
const LEGEND_W: u32 = 120;

/// A heat map of values in [-1, 1]: rows = inputs, columns = years. `None` cells grey.
/// A colour legend on the right reads the colours back as values.
pub fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    rows: &[String],
    years: &[i32],
    cell: &dyn Fn(usize, usize) -> Option<f64>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let framed = super::layout::frame(root, title, subtitle, &[])?;
    let w = framed.dim_in_pixel().0;
    let (area, key) = framed.split_horizontally(w.saturating_sub(LEGEND_W));
    let nr = rows.len().max(1);
    let (y0, y1) = (
        years.first().copied().unwrap_or(0),
        years.last().copied().unwrap_or(0),
    );
    let (x_ticks, _) = style::year_ticks(&(f64::from(y0)..f64::from(y1)), 12);
    let mut chart = ChartBuilder::on(&area)
        .margin(10)
        .x_label_area_size(50)
        .y_label_area_size(300)
        .build_cartesian_2d(
            Ticked::new(f64::from(y0) - 0.5..f64::from(y1) + 0.5, x_ticks),
            Ticked::new(0.0..nr as f64, Vec::new()),
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Calendar year")
        .x_labels(years.len().min(12))
        .x_label_formatter(&|x| plain(*x, 0))
        .y_labels(0)
        .label_style(style::text(15.0, palette::BLACK))
        .axis_desc_style(style::text(16.0, palette::BLACK))
        .draw()?;
    row_labels(root, &chart, f64::from(y0) - 0.5, nr, rows)?;
    for (r, _) in rows.iter().enumerate() {
        for (c, &year) in years.iter().enumerate() {
            let v = cell(r, c);
            let color = match v {
                None => NO_SPREAD,
                Some(v) => diverging(v),
            };
            let yb = (nr - r - 1) as f64;
            let x = f64::from(year);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, yb), (x + 0.5, yb + 1.0)],
                color.filled(),
            )))?;
            if let Some(v) = v {
                let tc = if v.abs() > 0.6 { WHITE } else { palette::BLACK };
                chart.draw_series(std::iter::once(Text::new(
                    signed(v, 2),
                    (x, yb + 0.5),
                    style::text(13.0, tc).pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
        }
    }
    colour_key(&key)?;
    root.present()?;
    Ok(())
}

/// Grey: a year whose cash flow has no spread (no correlation to show).
const NO_SPREAD: RGBColor = RGBColor(235, 235, 235);

/// The heat map's colour legend: a vertical strip from +1 (top) to -1, labelled, and the
/// grey of "no spread" below it.
fn colour_key<DB: DrawingBackend>(key: &DrawingArea<DB, Shift>) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let (x0, top, bar_w, bar_h) = (20i32, 40i32, 24i32, 300i32);
    let steps = 60;
    for i in 0..steps {
        let v = 1.0 - 2.0 * (f64::from(i) + 0.5) / f64::from(steps);
        let ya = top + bar_h * i / steps;
        let yb = top + bar_h * (i + 1) / steps;
        key.draw(&Rectangle::new(
            [(x0, ya), (x0 + bar_w, yb)],
            diverging(v).filled(),
        ))?;
    }
    key.draw(&Rectangle::new(
        [(x0, top), (x0 + bar_w, top + bar_h)],
        palette::AXIS.stroke_width(1),
    ))?;
    let lab = style::text(14.0, palette::BLACK).pos(Pos::new(HPos::Left, VPos::Center));
    for (v, t) in [
        (1.0, "+1"),
        (0.5, "+0.5"),
        (0.0, "0"),
        (-0.5, "−0.5"),
        (-1.0, "−1"),
    ] {
        let y = top + ((1.0 - v) / 2.0 * f64::from(bar_h)).round() as i32;
        key.draw(&PathElement::new(
            [(x0 + bar_w, y), (x0 + bar_w + 5, y)],
            palette::AXIS.stroke_width(1),
        ))?;
        key.draw(&Text::new(t, (x0 + bar_w + 8, y), lab.clone()))?;
    }
    let head = style::text(14.0, palette::BLACK).pos(Pos::new(HPos::Left, VPos::Bottom));
    key.draw(&Text::new("rank corr.", (x0 - 4, top - 10), head))?;
    let gy = top + bar_h + 24;
    key.draw(&Rectangle::new(
        [(x0, gy), (x0 + bar_w, gy + 16)],
        NO_SPREAD.filled(),
    ))?;
    key.draw(&Text::new("no spread", (x0 + bar_w + 8, gy + 8), lab))?;
    Ok(())
}

/// Blue (negative) – white – orange (positive), colour-blind safe endpoints.
fn diverging(v: f64) -> RGBColor {
    let v = v.clamp(-1.0, 1.0);
    let (end, t) = if v < 0.0 {
        (palette::BLUE, -v)
    } else {
        (palette::VERMILLION, v)
    };
    let mix = |a: u8| (255.0 + (f64::from(a) - 255.0) * t).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// A waterfall: start bar, one step per component, end bar. The value axis is zoomed on
/// the levels (it does not start at 0, and says so), so that steps small against the
/// total stay visible; each bar is labelled with its value.
pub fn waterfall<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    start: (String, f64),
    steps: &[(String, f64)],
    end: (String, f64),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = steps.len() + 2;
    let mut levels = vec![start.1, end.1];
    let mut level = start.1;
    for (_, d) in steps {
        level += d;
        levels.push(level);
    }
    let lo = levels.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = levels.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.35).max(hi.abs().max(1.0) * 1e-3);
    let yr = style::safe_range(&((lo - pad)..(hi + pad)));
    let (y0, y1) = (yr.start, yr.end);
    let (y_ticks, _) = style::nice_ticks(&yr, 8);
    let mut chart = ChartBuilder::on(root)
        .caption(title, style::title_style())
        .margin(20)
        .x_label_area_size(70)
        .y_label_area_size(100)
        .build_cartesian_2d(
            Ticked::new(0.0..n as f64, Vec::new()),
            Ticked::new(y0..y1, y_ticks),
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(palette::GRID)
        .y_desc("Mean NPV, USD bn (axis does not start at 0)")
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&|v| style::money(*v, 1))
        .label_style(style::text(14.0, palette::BLACK))
        .axis_desc_style(style::text(16.0, palette::BLACK))
        .draw()?;
    let bar = |i: usize, a: f64, b: f64, c: RGBColor| {
        Rectangle::new(
            [(i as f64 + 0.15, a.min(b)), (i as f64 + 0.85, a.max(b))],
            c.filled(),
        )
    };
    let value = |i: usize, at: f64, text: String| {
        Text::new(
            text,
            (i as f64 + 0.5, at),
            style::text(14.0, palette::BLACK).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    };
    chart.draw_series(std::iter::once(bar(0, y0, start.1, palette::AXIS)))?;
    chart.draw_series(std::iter::once(value(0, start.1, style::money(start.1, 1))))?;
    let mut level = start.1;
    for (i, (_, d)) in steps.iter().enumerate() {
        let c = if *d >= 0.0 {
            palette::BLUISH_GREEN
        } else {
            palette::VERMILLION
        };
        chart.draw_series(std::iter::once(bar(i + 1, level, level + d, c)))?;
        let sign = if *d >= 0.0 { "+" } else { "−" };
        chart.draw_series(std::iter::once(value(
            i + 1,
            level.max(level + d),
            format!("{sign}{}", style::money(d.abs(), 2)),
        )))?;
        level += d;
    }
    chart.draw_series(std::iter::once(bar(n - 1, y0, end.1, palette::BLACK)))?;
    chart.draw_series(std::iter::once(value(n - 1, end.1, style::money(end.1, 1))))?;
    // Category names under the axis, centred on their bars.
    let mut names = vec![start.0.clone()];
    names.extend(steps.iter().map(|s| s.0.clone()));
    names.push(end.0.clone());
    let st = style::text(14.0, palette::BLACK).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, name) in names.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64 + 0.5, y0));
        root.draw(&Text::new(name.clone(), (px, py + 10), st.clone()))?;
    }
    root.present()?;
    Ok(())
}

/// The sensitivity charts of one scenario, from the sensitivity results.
pub struct SensitivityCharts {
    pub name: String,
    /// `10,000 paths, seed 42` (and the run's edits): every subtitle ends with it.
    pub note: String,
    /// Each source's share of the variance of npv_total, largest first.
    pub variance_bars: Vec<Bar>,
    /// Rank correlations with npv_total, largest |rho| first.
    pub rank_bars: Vec<Bar>,
    /// One-at-a-time swings of mean npv_total around the base, largest first.
    pub swing_bars: Vec<Bar>,
    /// Heat map rows (inputs), columns (years) and cells.
    pub inputs: Vec<String>,
    pub years: Vec<i32>,
    /// `cells[row * years.len() + col]`.
    pub cells: Vec<Option<f64>>,
}

#[derive(Clone, Copy)]
enum Which {
    Variance,
    Rank,
    Swing,
    Heat,
}

impl Which {
    fn stem(self) -> &'static str {
        match self {
            Which::Variance => "variance_contribution",
            Which::Rank => "tornado_rank_correlation",
            Which::Swing => "tornado_one_at_a_time",
            Which::Heat => "heatmap_by_year",
        }
    }
}

impl SensitivityCharts {
    fn draw<DB: DrawingBackend>(&self, which: Which, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let name = &self.name;
        let note = &self.note;
        let share = |v: f64| percent(v, 0, Gap::Space);
        match which {
            Which::Variance => hbars(
                root,
                &format!("{name}: what moves total NPV, as shares of its variance"),
                &format!(
                    "each source frozen on the same paths (an input at its median, a shock \
                     group switched off) · {note}"
                ),
                "Share of the variance of npv_total removed by freezing the source (shares \
                 overlap where sources multiply)",
                &self.variance_bars,
                None,
                &share,
            ),
            Which::Rank => hbars(
                root,
                &format!("{name}: rank correlation of each uncertain input with total NPV"),
                &format!(
                    "Spearman's rho with its 95 % interval (whiskers); constants and shocks \
                     are not inputs here · {note}"
                ),
                "Spearman rank correlation with npv_total (axis scaled to the data)",
                &self.rank_bars,
                None,
                &|v| signed(v, 2),
            ),
            Which::Swing => hbars(
                root,
                &format!(
                    "{name}: change in mean total NPV with each input at its low and high value"
                ),
                &format!(
                    "the label at each end gives the input's value there; blue: a higher \
                     value raises NPV · {note}"
                ),
                "Change in mean npv_total vs the base run, USD bn",
                &self.swing_bars,
                None,
                &|v| style::money_short(v),
            ),
            Which::Heat => {
                let ny = self.years.len();
                let cell = |r: usize, c: usize| self.cells.get(r * ny + c).copied().flatten();
                heatmap(
                    root,
                    &format!("{name}: rank correlation of each input with the year's cash flow"),
                    &format!(
                        "Spearman's rho of each uncertain input with the investor's cash flow \
                         in the calendar year; orange: higher input, higher cash flow · {note}"
                    ),
                    &self.inputs,
                    &self.years,
                    &cell,
                )
            }
        }
    }

    /// The charts (rank and heat map only when there are uncertain inputs).
    pub fn render(&self, format: super::ChartFormat) -> Result<Vec<super::ChartFile>> {
        let which: &[Which] = if self.inputs.is_empty() {
            &[Which::Variance, Which::Swing]
        } else {
            &[Which::Variance, Which::Rank, Which::Swing, Which::Heat]
        };
        super::render_charts(which, self, format)
    }
}

impl super::ChartKind for Which {
    type Input = SensitivityCharts;
    fn file_stem(self) -> String {
        self.stem().to_string()
    }
    fn draw_on<DB>(self, root: &DrawingArea<DB, Shift>, charts: &SensitivityCharts) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        charts.draw(self, root)
    }
}

/// The channel-attribution waterfall, `attribution_waterfall.{png,svg}`.
pub fn render_waterfall(
    format: super::ChartFormat,
    title: &str,
    start: (String, f64),
    steps: &[(String, f64)],
    end: (String, f64),
) -> Result<Vec<super::ChartFile>> {
    super::chart_files("attribution_waterfall", format, |root| {
        waterfall(root, title, start, steps, end)
    })
}
