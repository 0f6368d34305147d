//! The frame every chart shares: white page, title and subtitle on top, the legend in a
//! strip under the plot (so it never covers data), and axes with explicit, formatted
//! ticks. Chart modules only decide ranges and draw series.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{self, LegendItem};
use super::palette;
use super::style::{self, TickFormat};

/// Image size of every chart, PNG and SVG alike.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 700;

/// Both axes are continuous with explicit tick positions; categories sit at 0, 1, 2...
pub type Axes = Cartesian2d<Ticked, Ticked>;

/// A linear f64 axis with exactly the given ticks. plotters' own `WithKeyPoints` wrapper
/// loses the label formatter of f64 axes, so this one delegates the mapping instead.
#[derive(Clone)]
pub struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        // Points far off the axis (a mean beyond the plotted percentiles, a bar to 1e300)
        // would map to ±2^31 pixels, and the rasteriser walks every pixel of a line to
        // them. Held within a few plot lengths of the axis, nothing drawn inside changes
        // and every line stays a bounded walk.
        let len = (limit.1 - limit.0).abs().max(1);
        let (lo, hi) = (limit.0.min(limit.1), limit.0.max(limit.1));
        self.inner
            .map(value, limit)
            .clamp(lo.saturating_sub(4 * len), hi.saturating_add(4 * len))
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only bold (labelled) lines: light grid lines between ticks add clutter.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

impl Ticked {
    /// A linear axis over `range` (made drawable by `style::safe_range`) with `ticks`.
    pub fn new(range: Range<f64>, ticks: Vec<f64>) -> Ticked {
        Ticked {
            inner: style::safe_range(&range).into(),
            ticks,
        }
    }
}

/// One axis: its range, where the ticks go, how they read and what the axis means.
#[derive(Debug, Clone)]
pub struct Axis {
    pub range: Range<f64>,
    pub ticks: Vec<f64>,
    pub step: f64,
    pub format: TickFormat,
    pub desc: String,
    /// Draw grid lines at the ticks (off for category axes).
    pub grid: bool,
}

impl Axis {
    pub fn years(range: Range<f64>, desc: impl Into<String>) -> Axis {
        let range = style::safe_range(&range);
        let (ticks, step) = style::year_ticks(&range, 12);
        Axis {
            range,
            ticks,
            step,
            format: TickFormat::Year,
            desc: desc.into(),
            grid: true,
        }
    }

    /// A money axis, widened to whole ticks at both ends so every edge is labelled.
    pub fn money(range: Range<f64>, desc: impl Into<String>) -> Axis {
        // `$30tn`, not `$30,000bn`, once the axis reaches past $10,000bn.
        let tn = range.start.abs().max(range.end.abs()) > style::TN_FROM;
        let format = if tn {
            TickFormat::MoneyTn
        } else {
            TickFormat::Money
        };
        Axis::nice(range, 8, format, desc.into())
    }

    /// A probability axis labelled in percent, widened to whole ticks like `money`.
    pub fn probability(range: Range<f64>, desc: impl Into<String>) -> Axis {
        Axis::nice(range, 6, TickFormat::Percent, desc.into())
    }

    fn nice(range: Range<f64>, max_ticks: usize, format: TickFormat, desc: String) -> Axis {
        let range = style::safe_range(&range);
        let (_, step) = style::nice_ticks(&range, max_ticks);
        let range = style::extend_to_step(&range, step);
        let ticks = style::ticks_at_step(&range, step);
        Axis {
            range,
            ticks,
            step,
            format,
            desc,
            grid: true,
        }
    }

    /// Category `i` of `names` at position `i`.
    pub fn categories(names: Vec<String>, desc: impl Into<String>) -> Axis {
        let n = names.len().max(1) as f64;
        let ticks = (0..names.len()).map(|i| i as f64).collect();
        Axis {
            range: -0.5..n - 0.5,
            ticks,
            step: 1.0,
            format: TickFormat::Category(names),
            desc: desc.into(),
            grid: false,
        }
    }

    /// Integer years as categories (for bars per year), ticks thinned like `years`.
    pub fn year_bars(first: i32, last: i32, desc: impl Into<String>) -> Axis {
        let range = f64::from(first) - 0.6..f64::from(last) + 0.6;
        let (ticks, step) = style::year_ticks(&(f64::from(first)..f64::from(last)), 16);
        Axis {
            range,
            ticks,
            step,
            format: TickFormat::Year,
            desc: desc.into(),
            grid: false,
        }
    }

    fn ticked(&self) -> Ticked {
        Ticked::new(self.range.clone(), self.ticks.clone())
    }

    fn label(&self, v: f64) -> String {
        self.format.label(v, self.step)
    }
}

/// Left and right page margin.
const SIDE: i32 = 24;

/// Paints the page, title, subtitle and legend; returns the area left for the plot.
pub fn frame<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let w = root.dim_in_pixel().0 as i32;

    // A long title (or subtitle) shrinks a little, then wraps onto a second line (and
    // shrinks again only if a line still does not fit): it never runs off the page.
    let top = 14;
    let title_style = |size: f64| style::bold(size, palette::BLACK);
    let y = centred_lines(
        root,
        title,
        style::TITLE_SIZE,
        WRAP_BELOW,
        &title_style,
        top,
        6,
    )?;
    let sub_style = |size: f64| style::text(size, palette::MUTED_TEXT);
    let sub_min = style::SUBTITLE_SIZE - 3.0;
    let y = centred_lines(
        root,
        subtitle,
        style::SUBTITLE_SIZE,
        sub_min,
        &sub_style,
        y + 2,
        4,
    )?;
    let header = y + 8;

    let legend_h = legend::draw_legend(root, legend, w - 2 * SIDE)?;
    Ok(root.margin(header, legend_h, SIDE, SIDE + 10))
}

/// A line through `points`, solid or with dash pattern `dash` (dash, gap in pixels).
pub fn polyline<DB>(
    chart: &mut ChartContext<'_, DB, Axes>,
    points: Vec<(f64, f64)>,
    style: ShapeStyle,
    dash: Option<(u32, u32)>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    match dash {
        None => chart.draw_series(LineSeries::new(points, style))?,
        Some((d, g)) => chart.draw_series(DashedLineSeries::new(points, d, g, style))?,
    };
    Ok(())
}

/// Titles shrink to this size before they wrap.
const WRAP_BELOW: f64 = 20.0;

/// Draws `text` centred on the page from `top` down, fitted by [`fit_lines`] between the
/// side margins (shrunk from `size` to `shrink_to`, then wrapped), its lines `gap` pixels apart beyond their
/// size; returns the y just below it. The title and the subtitle are two such blocks.
fn centred_lines<DB>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    shrink_to: f64,
    style_at: &dyn Fn(f64) -> TextStyle<'static>,
    top: i32,
    gap: i32,
) -> Result<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let w = root.dim_in_pixel().0 as i32;
    let (lines, size) = fit_lines(root, text, size, shrink_to, w - 2 * SIDE, style_at)?;
    let mut y = top;
    for l in lines {
        root.draw(&Text::new(
            l,
            (w / 2, y),
            style_at(size).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        y += size as i32 + gap;
    }
    Ok(y)
}

/// `text` in one line at `size` or smaller down to `shrink_to`, else in two lines at the
/// largest size (down to 9) where each fits in `max_w` pixels.
fn fit_lines<DB>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    shrink_to: f64,
    max_w: i32,
    style_at: &dyn Fn(f64) -> TextStyle<'static>,
) -> Result<(Vec<String>, f64)>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let fits = |lines: &[String], size: f64| -> Result<bool> {
        for l in lines {
            if root.estimate_text_size(l, &style_at(size))?.0 as i32 > max_w {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let one = vec![text.to_string()];
    let mut s = size;
    while s > shrink_to && !fits(&one, s)? {
        s -= 1.0;
    }
    if fits(&one, s)? {
        return Ok((one, s));
    }
    let two = wrap_in_two(text);
    let mut s = size;
    while s > 9.0 && !fits(&two, s)? {
        s -= 1.0;
    }
    Ok((two, s))
}

/// `title` split in two lines at the space nearest its middle (after a `:` if there is
/// one near it, where titles name the scenario, then what is shown).
pub fn wrap_in_two(title: &str) -> Vec<String> {
    let mid = title.len() / 2;
    let spaces = title.match_indices(' ').map(|(i, _)| i);
    let best = spaces.min_by_key(|&i| {
        let colon = title[..i].ends_with(':');
        let d = i.abs_diff(mid);
        // A break right after the colon wins within a quarter of the length.
        if colon && d < title.len() / 4 {
            0
        } else {
            d + 1
        }
    });
    match best {
        Some(i) => vec![title[..i].to_string(), title[i + 1..].to_string()],
        None => vec![title.to_string()],
    }
}

/// Builds the coordinate system and draws axes, ticks, grid and axis titles. The label
/// area is sized from the widest tick label, so long money labels are never clipped.
pub fn build_chart<'a, DB>(
    area: &'a DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
) -> Result<ChartContext<'a, DB, Axes>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let tick_font = style::text(style::TICK_SIZE, palette::BLACK);
    let mut y_label_w = 0;
    for &t in &y.ticks {
        y_label_w = y_label_w.max(area.estimate_text_size(&y.label(t), &tick_font)?.0);
    }
    let y_area = y_label_w + 12 + style::AXIS_DESC_SIZE as u32 + 16;
    let x_area = style::TICK_SIZE as u32 + 12 + style::AXIS_DESC_SIZE as u32 + 18;

    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x.ticked(), y.ticked())?;

    let x_fmt = |v: &f64| x.label(*v);
    let y_fmt = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x.desc.as_str())
        .y_desc(y.desc.as_str())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(tick_font.clone())
        .axis_desc_style(style::text(style::AXIS_DESC_SIZE, palette::BLACK))
        .axis_style(palette::AXIS.stroke_width(1))
        // Labels sit 2x the tick length from the axis: long ticks leave a clear gap.
        .set_all_tick_mark_size(6)
        .bold_line_style(palette::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT);
    if !x.grid {
        mesh.disable_x_mesh();
    }
    if !y.grid {
        mesh.disable_y_mesh();
    }
    mesh.draw()?;
    Ok(chart)
}

/// A horizontal line across the plot at `y` (zero lines, caps).
pub fn hline<DB>(chart: &mut ChartContext<'_, DB, Axes>, y: f64, style: ShapeStyle) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let xr = chart.x_range();
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(xr.start, y), (xr.end, y)],
        style,
    )))?;
    Ok(())
}

/// A dashed vertical line from the bottom to the top of the plot at `x`.
pub fn dashed_vline<DB>(
    chart: &mut ChartContext<'_, DB, Axes>,
    x: f64,
    style: ShapeStyle,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let yr = chart.y_range();
    chart.draw_series(DashedLineSeries::new(
        vec![(x, yr.start), (x, yr.end)],
        8,
        6,
        style,
    ))?;
    Ok(())
}

/// A chart that only says why there is nothing to plot (e.g. no cap in the scenario), so
/// the file set stays the same for every scenario. `message` may span lines (`\n`).
pub fn message_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    message: &str,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let area = frame(root, title, subtitle, &[])?;
    let (w, h) = area.dim_in_pixel();
    let lines: Vec<&str> = message.lines().collect();
    let line_h = 32;
    let top = h as i32 / 2 - line_h * lines.len() as i32 / 2;
    for (i, line) in lines.iter().enumerate() {
        area.draw(&Text::new(
            line.to_string(),
            (w as i32 / 2, top + i as i32 * line_h),
            style::text(22.0, palette::MUTED_TEXT).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_break_after_the_colon_or_near_the_middle() {
        assert_eq!(
            wrap_in_two("A very long scenario name: expected annual cash flows to Microsoft"),
            [
                "A very long scenario name:",
                "expected annual cash flows to Microsoft"
            ]
        );
        assert_eq!(wrap_in_two("one two three four"), ["one two", "three four"]);
        assert_eq!(wrap_in_two("unbreakable"), ["unbreakable"]);
    }
}
