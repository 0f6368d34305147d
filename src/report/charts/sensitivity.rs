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

/// One horizontal bar from `lo` to `hi` (a tornado row), labelled.
pub struct Bar {
    pub label: String,
    pub lo: f64,
    pub hi: f64,
    pub color: RGBColor,
}

fn span(bars: &[Bar], zero: bool) -> Range<f64> {
    let mut lo = bars
        .iter()
        .map(|b| b.lo.min(b.hi))
        .fold(f64::INFINITY, f64::min);
    let mut hi = bars
        .iter()
        .map(|b| b.lo.max(b.hi))
        .fold(f64::NEG_INFINITY, f64::max);
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    // Also catches NaN bounds (no bars): fall back to a unit range.
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    style::safe_range(&((lo - pad)..(hi + pad)))
}

/// Horizontal bars, largest first from the top, with a zero line.
pub fn hbars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    bars: &[Bar],
    x_range: Option<Range<f64>>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let n = bars.len().max(1);
    let xr = style::safe_range(&x_range.unwrap_or_else(|| span(bars, true)));
    // Our own bounded ticks: plotters' f64 key points loop for ever on a range its
    // arithmetic cannot split (and assert on NaN).
    let (x_ticks, _) = style::nice_ticks(&xr, 8);
    let mut chart = ChartBuilder::on(root)
        .caption(title, style::title_style())
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(340)
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
        .x_label_formatter(&|v| {
            if xr.end - xr.start <= 3.0 {
                format!("{v:.1}")
            } else {
                style::money_short(*v)
            }
        })
        .y_labels(0)
        .label_style(style::text(15.0, palette::BLACK))
        .axis_desc_style(style::text(16.0, palette::BLACK))
        .draw()?;
    let names: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    row_labels(root, &chart, xr.start, n, &names)?;
    for (i, b) in bars.iter().enumerate() {
        let y0 = n as f64 - i as f64 - 0.85;
        let y1 = n as f64 - i as f64 - 0.15;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(b.lo.min(b.hi), y0), (b.lo.max(b.hi), y1)],
            b.color.filled(),
        )))?;
    }
    chart.draw_series(LineSeries::new(
        [(0.0, 0.0), (0.0, n as f64)],
        palette::BLACK.stroke_width(1),
    ))?;
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

/// A heat map of values in [-1, 1]: rows = inputs, columns = years. `None` cells grey.
pub fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    rows: &[String],
    years: &[i32],
    cell: &dyn Fn(usize, usize) -> Option<f64>,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let nr = rows.len().max(1);
    let (y0, y1) = (
        years.first().copied().unwrap_or(0),
        years.last().copied().unwrap_or(0),
    );
    let (x_ticks, _) = style::year_ticks(&(f64::from(y0)..f64::from(y1)), 12);
    let mut chart = ChartBuilder::on(root)
        .caption(title, style::title_style())
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(340)
        .build_cartesian_2d(
            Ticked::new(f64::from(y0) - 0.5..f64::from(y1) + 0.5, x_ticks),
            Ticked::new(0.0..nr as f64, Vec::new()),
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Calendar year (rank correlation with the investor's cash flow in the year)")
        .x_labels(years.len().min(12))
        .x_label_formatter(&|x| format!("{:.0}", x))
        .y_labels(0)
        .label_style(style::text(15.0, palette::BLACK))
        .axis_desc_style(style::text(16.0, palette::BLACK))
        .draw()?;
    row_labels(root, &chart, f64::from(y0) - 0.5, nr, rows)?;
    for (r, _) in rows.iter().enumerate() {
        for (c, &year) in years.iter().enumerate() {
            let v = cell(r, c);
            let color = match v {
                None => RGBColor(235, 235, 235),
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
                    format!("{v:+.2}"),
                    (x - 0.3, yb + 0.6),
                    style::text(13.0, tc),
                )))?;
            }
        }
    }
    root.present()?;
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
    Rank,
    Swing,
    Heat,
}

impl Which {
    fn stem(self) -> &'static str {
        match self {
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
        match which {
            Which::Rank => hbars(
                root,
                &format!("{name}: what drives NPV total (Spearman rank correlation)"),
                "Spearman rank correlation with npv_total",
                &self.rank_bars,
                Some(-1.05..1.05),
            ),
            Which::Swing => hbars(
                root,
                &format!("{name}: swing in mean NPV total, input at low / high"),
                "Change in mean NPV total vs base, USD bn (blue: a higher value raises NPV)",
                &self.swing_bars,
                None,
            ),
            Which::Heat => {
                let ny = self.years.len();
                let cell = |r: usize, c: usize| self.cells.get(r * ny + c).copied().flatten();
                heatmap(
                    root,
                    &format!("{name}: rank correlation of each input with the year's cash flow"),
                    &self.inputs,
                    &self.years,
                    &cell,
                )
            }
        }
    }

    /// Write the charts into `dir` (rank and heat map only when there are uncertain inputs).
    pub fn render(
        &self,
        dir: &std::path::Path,
        format: super::ChartFormat,
    ) -> Result<Vec<std::path::PathBuf>> {
        let which: &[Which] = if self.inputs.is_empty() {
            &[Which::Swing]
        } else {
            &[Which::Rank, Which::Swing, Which::Heat]
        };
        super::render_charts(which, self, dir, format)
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

/// Write the channel-attribution waterfall as `attribution_waterfall.{png,svg}` in `dir`.
pub fn render_waterfall(
    dir: &std::path::Path,
    format: super::ChartFormat,
    title: &str,
    start: (String, f64),
    steps: &[(String, f64)],
    end: (String, f64),
) -> Result<()> {
    if format == super::ChartFormat::None {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    if format.png() {
        super::write_png(&dir.join("attribution_waterfall.png"), |root| {
            waterfall(root, title, start.clone(), steps, end.clone())
        })?;
    }
    if format.svg() {
        let svg =
            super::render_svg(|root| waterfall(root, title, start.clone(), steps, end.clone()))?;
        std::fs::write(dir.join("attribution_waterfall.svg"), svg)?;
    }
    Ok(())
}
