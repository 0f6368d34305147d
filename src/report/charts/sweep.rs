//! The sweep chart of one result metric's mean across the grid: a line with a ±2
//! standard-error band for one swept key, a heat map with each cell's mean and its ±2 SE
//! printed for two. Same fonts, palette and size as every chart. More keys: no chart
//! (the report says so; sweep.csv has every point).

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{palette, style, ChartFile, ChartFormat};
use crate::report::precision::{percent, shortest, Gap};
use crate::summary::Unit;
use crate::sweep::SweepResult;

/// The chart's file name without extension: `sweep_<metric>`.
pub fn file_stem(r: &SweepResult) -> String {
    format!("sweep_{}", r.metric.name())
}

/// The chart (nothing for 0 or 3+ keys, or `--charts none`).
pub fn render(r: &SweepResult, format: ChartFormat) -> Result<Vec<ChartFile>> {
    if !(1..=2).contains(&r.keys.len()) {
        return Ok(Vec::new());
    }
    super::render_charts(&[SweepChart(r.metric)], r, format)
}

/// The chart, named after its metric.
#[derive(Clone, Copy)]
struct SweepChart(crate::summary::ResultMetric);

impl super::ChartKind for SweepChart {
    type Input = SweepResult;
    fn file_stem(self) -> String {
        format!("sweep_{}", self.0.name())
    }
    fn draw_on<DB>(self, root: &DrawingArea<DB, Shift>, r: &SweepResult) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        if r.keys.len() == 1 {
            line(root, r)
        } else {
            heat(root, r)
        }
    }
}

/// A value in the metric's unit, for labels.
fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::UsdBn => style::money(v, 2),
        Unit::Fraction | Unit::Probability => percent(v, 1, Gap::Tight),
    }
}

fn unit_words(unit: Unit) -> &'static str {
    match unit {
        Unit::UsdBn => "USD bn",
        Unit::Fraction => "fraction",
        Unit::Probability => "probability",
    }
}

/// Mean and standard error of the chart's metric at point `k`.
fn at(r: &SweepResult, k: usize) -> (f64, f64) {
    let s = &r.stats[k][r.metric.index()];
    (s.mean, s.std_error)
}

fn note(r: &SweepResult) -> String {
    format!(
        "{} paths per point, seed {}, the same random numbers at every point",
        style::thousands(r.paths),
        r.seed
    )
}

/// Numeric x positions if every value is a number, else 0, 1, 2, ... (categories).
fn positions(values: &[String]) -> (Vec<f64>, bool) {
    let nums: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    match nums {
        Some(v) => (v, true),
        None => ((0..values.len()).map(|i| i as f64).collect(), false),
    }
}

fn line<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &SweepResult) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let unit = r.metric.unit();
    let values: Vec<String> = r.points.iter().map(|p| p[0].clone()).collect();
    let (xs, numeric) = positions(&values);
    let pts: Vec<(f64, f64, f64)> = (0..r.points.len())
        .map(|k| {
            let (m, se) = at(r, k);
            (xs[k], m, se)
        })
        .collect();
    let lo = pts
        .iter()
        .map(|p| p.1 - 2.0 * p.2)
        .fold(f64::INFINITY, f64::min);
    let hi = pts
        .iter()
        .map(|p| p.1 + 2.0 * p.2)
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.1).max(1e-9);
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let xpad = ((x1 - x0) * 0.04).max(0.5);
    let title = format!("{}: mean {} across {}", r.name, r.metric.name(), r.keys[0]);
    let (top, bottom) = root.split_vertically(660);
    let mut chart = ChartBuilder::on(&top)
        .caption(&title, style::title_style())
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(130)
        .build_cartesian_2d(x0 - xpad..x1 + xpad, lo - pad..hi + pad)?;
    // Tick labels only as precise as the axis span needs.
    let span = hi - lo + 2.0 * pad;
    let tick = move |y: &f64| match unit {
        Unit::UsdBn => style::money(
            *y,
            if span >= 20.0 {
                0
            } else if span >= 2.0 {
                1
            } else {
                2
            },
        ),
        _ => show(*y, unit),
    };
    let labels = values.clone();
    let xfmt = move |x: &f64| {
        if numeric {
            shortest(*x)
        } else {
            labels
                .get(x.round().max(0.0) as usize)
                .cloned()
                .unwrap_or_default()
        }
    };
    chart
        .configure_mesh()
        .light_line_style(palette::GRID.mix(0.0))
        .bold_line_style(palette::GRID)
        .x_desc(r.keys[0].as_str())
        .y_desc(format!("mean {} ({})", r.metric.name(), unit_words(unit)))
        .x_labels(if numeric { 10 } else { values.len() })
        .x_label_formatter(&xfmt)
        .y_label_formatter(&tick)
        .label_style(style::text(style::TICK_SIZE, palette::BLACK))
        .axis_desc_style(style::text(style::AXIS_DESC_SIZE, palette::BLACK))
        .draw()?;
    let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1 + 2.0 * p.2)).collect();
    band.extend(pts.iter().rev().map(|p| (p.0, p.1 - 2.0 * p.2)));
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            palette::BLUE.mix(palette::BAND_INNER_ALPHA).filled(),
        )))?
        .label("mean ± 2 standard errors")
        .legend(|(x, y)| {
            Rectangle::new(
                [(x, y - 6), (x + 20, y + 6)],
                palette::BLUE.mix(palette::BAND_INNER_ALPHA).filled(),
            )
        });
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            palette::BLUE.stroke_width(3),
        ))?
        .label("mean")
        .legend(|(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], palette::BLUE.stroke_width(3))
        });
    chart.draw_series(
        pts.iter()
            .map(|p| Circle::new((p.0, p.1), 4, palette::BLUE.filled())),
    )?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(palette::GRID)
        .label_font(style::text(style::LEGEND_SIZE, palette::BLACK))
        .draw()?;
    bottom.draw(&Text::new(
        format!(
            "{}; the band is each point's own uncertainty, differences between points are paired and more precise",
            note(r)
        ),
        (20, 10),
        style::text(style::NOTE_SIZE, palette::MUTED_TEXT),
    ))?;
    root.present()?;
    Ok(())
}

/// White to blue by the cell's mean, lowest to highest.
fn shade(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b) = ((247.0, 251.0, 255.0), (0.0, 114.0, 178.0));
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heat<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, r: &SweepResult) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let unit = r.metric.unit();
    // Columns: the first key's values; rows: the second key's (the faster one).
    let mut cols: Vec<String> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for p in &r.points {
        if !cols.contains(&p[0]) {
            cols.push(p[0].clone());
        }
        if !rows.contains(&p[1]) {
            rows.push(p[1].clone());
        }
    }
    let (nc, nr) = (cols.len(), rows.len());
    let means: Vec<f64> = (0..r.points.len()).map(|k| at(r, k).0).collect();
    let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let title = format!(
        "{}: mean {} by {} and {}",
        r.name,
        r.metric.name(),
        r.keys[0],
        r.keys[1]
    );
    let (top, bottom) = root.split_vertically(660);
    let mut chart = ChartBuilder::on(&top)
        .caption(&title, style::title_style())
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..nc as f64, 0f64..nr as f64)?;
    let (cl, rl) = (cols.clone(), rows.clone());
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(r.keys[0].as_str())
        .y_desc(r.keys[1].as_str())
        .x_labels(nc * 2 + 1)
        .y_labels(nr * 2 + 1)
        .x_label_formatter(&|x| label_at(&cl, *x))
        .y_label_formatter(&|y| label_at(&rl, *y))
        .label_style(style::text(style::TICK_SIZE, palette::BLACK))
        .axis_desc_style(style::text(style::AXIS_DESC_SIZE, palette::BLACK))
        .draw()?;
    // Text only where a cell has room for two lines of it.
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let roomy = w as usize / nc.max(1) >= 80 && h as usize / nr.max(1) >= 36;
    for (k, p) in r.points.iter().enumerate() {
        let c = cols.iter().position(|v| v == &p[0]).unwrap_or(0) as f64;
        let rr = rows.iter().position(|v| v == &p[1]).unwrap_or(0) as f64;
        let (m, se) = at(r, k);
        let t = if hi > lo { (m - lo) / (hi - lo) } else { 0.5 };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(c, rr), (c + 1.0, rr + 1.0)],
            shade(t).filled(),
        )))?;
        if roomy {
            let ink = if t > 0.55 { WHITE } else { palette::BLACK };
            let centre = |dy: f64| (c + 0.5, rr + 0.5 + dy);
            let st = |size: f64| style::text(size, ink).pos(Pos::new(HPos::Center, VPos::Center));
            chart.draw_series(std::iter::once(Text::new(
                show(m, unit),
                centre(0.15),
                st(15.0),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("±{}", show(2.0 * se, unit)),
                centre(-0.2),
                st(12.0),
            )))?;
        }
    }
    let se_max = (0..r.points.len()).map(|k| at(r, k).1).fold(0.0, f64::max);
    let how = if roomy {
        "each cell: mean, and below it ± 2 standard errors"
    } else {
        "too many cells to print values; see sweep.csv"
    };
    bottom.draw(&Text::new(
        format!(
            "{how}; largest 2 SE {}; darker = higher. {}",
            show(2.0 * se_max, unit),
            note(r)
        ),
        (20, 10),
        style::text(style::NOTE_SIZE, palette::MUTED_TEXT),
    ))?;
    root.present()?;
    Ok(())
}

/// Category label at the centre of cell `i` (ticks at i + 0.5), empty between.
fn label_at(names: &[String], x: f64) -> String {
    let f = x - x.floor();
    if (f - 0.5).abs() > 0.01 {
        return String::new();
    }
    names.get(x.floor() as usize).cloned().unwrap_or_default()
}
