//! Charts of one run, drawn from its [`RunSummary`] only (never from paths), as PNG and
//! SVG files that read the same side by side: one size, one font, one palette, legends
//! under the plot, money as `$120bn` and years as `2030`.
//!
//! Each chart family lives in its own module with a reusable function that takes its
//! data and optional axis ranges (`fan::fan_chart`, `distribution::cdf_chart`, ...), so
//! a comparison of scenarios can draw several runs on identical axes; the `draw_*`
//! functions there build the single-run charts listed in [`RunChart`].
//!
//! Text uses DejaVu Sans embedded in the binary (see `style`): no system font is read.

pub mod annual;
pub mod cap;
pub mod components;
pub mod convergence;
pub mod distribution;
pub mod fan;
pub mod layout;
pub mod legend;
pub mod overlay;
pub mod palette;
mod raster;
pub mod shared;
pub mod style;
pub mod sweep;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::summary::RunSummary;
use fan::FanKind;
pub use shared::SharedAxes;

/// Which image formats to write (`--charts png|svg|both|none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ChartFormat {
    Png,
    Svg,
    #[default]
    Both,
    None,
}

impl ChartFormat {
    fn png(self) -> bool {
        matches!(self, ChartFormat::Png | ChartFormat::Both)
    }
    fn svg(self) -> bool {
        matches!(self, ChartFormat::Svg | ChartFormat::Both)
    }
}

/// The charts of one run, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunChart {
    Fan(FanKind),
    NpvHistogram,
    NpvCdf,
    NpvComponents,
    CapTiming,
    AnnualCashFlows,
}

impl RunChart {
    pub const ALL: [RunChart; 10] = [
        RunChart::Fan(FanKind::CompanyRevenue),
        RunChart::Fan(FanKind::CompanyValuation),
        RunChart::Fan(FanKind::StakeValue),
        RunChart::Fan(FanKind::RevenueShareCumulative),
        RunChart::Fan(FanKind::InvestorCashFlow),
        RunChart::NpvHistogram,
        RunChart::NpvCdf,
        RunChart::NpvComponents,
        RunChart::CapTiming,
        RunChart::AnnualCashFlows,
    ];

    /// File name without extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            RunChart::Fan(kind) => kind.file_stem(),
            RunChart::NpvHistogram => "npv_total_histogram",
            RunChart::NpvCdf => "npv_total_cdf",
            RunChart::NpvComponents => "npv_components",
            RunChart::CapTiming => "cap_timing",
            RunChart::AnnualCashFlows => "annual_cash_flows",
        }
    }

    /// Draws this chart of run `s` onto `root` (any backend), on its own axes.
    pub fn draw<DB>(self, root: &DrawingArea<DB, Shift>, s: &RunSummary) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.draw_on_axes(root, s, &SharedAxes::default())
    }

    /// Draws this chart of run `s` on the axes `axes` sets (the others its own).
    pub fn draw_on_axes<DB>(
        self,
        root: &DrawingArea<DB, Shift>,
        s: &RunSummary,
        axes: &SharedAxes,
    ) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        match self {
            RunChart::Fan(kind) => fan::draw_fan(root, s, kind, axes.fan(kind)),
            RunChart::NpvHistogram => {
                distribution::draw_npv_histogram(root, s, axes.hist_x.clone(), axes.hist_y.clone())
            }
            RunChart::NpvCdf => distribution::draw_npv_cdf(root, s, axes.cdf_x.clone()),
            RunChart::NpvComponents => {
                components::draw_components(root, s, axes.components_x.clone())
            }
            RunChart::CapTiming => cap::draw_cap_timing(root, s),
            RunChart::AnnualCashFlows => annual::draw_annual(root, s, axes.annual_y.clone()),
        }
    }
}

/// A family of charts drawn from one input (a run summary, a comparison, sensitivity
/// results): each member names its file and draws itself on any backend, so one loop
/// writes every family as PNG and SVG.
pub trait ChartKind: Copy {
    type Input: ?Sized;
    fn file_stem(self) -> String;
    fn draw_on<DB>(self, root: &DrawingArea<DB, Shift>, input: &Self::Input) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

impl ChartKind for RunChart {
    type Input = RunSummary;
    fn file_stem(self) -> String {
        RunChart::file_stem(self).to_string()
    }
    fn draw_on<DB>(self, root: &DrawingArea<DB, Shift>, s: &RunSummary) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.draw(root, s)
    }
}

/// Writes `charts` of `input` into `dir` (created if missing) in `format`, and returns
/// the files written, in order. `ChartFormat::None` writes nothing.
pub fn render_charts<K: ChartKind>(
    charts: &[K],
    input: &K::Input,
    dir: &Path,
    format: ChartFormat,
) -> Result<Vec<PathBuf>> {
    if format == ChartFormat::None {
        return Ok(Vec::new());
    }
    style::ensure_fonts()?;
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create chart directory {}", dir.display()))?;
    let mut written = Vec::new();
    for &chart in charts {
        crate::interrupt::check()?;
        let stem = chart.file_stem();
        if format.png() {
            let path = dir.join(format!("{stem}.png"));
            write_png(&path, |root| chart.draw_on(root, input))?;
            written.push(path);
        }
        if format.svg() {
            let path = dir.join(format!("{stem}.svg"));
            let svg = render_svg(|root| chart.draw_on(root, input))
                .with_context(|| format!("cannot draw chart {}", path.display()))?;
            fs::write(&path, svg)
                .with_context(|| format!("cannot write chart {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// A run chart drawn on shared axes (a comparison's members).
#[derive(Debug, Clone, Copy)]
struct OnAxes(RunChart);

impl ChartKind for OnAxes {
    type Input = (RunSummary, SharedAxes);
    fn file_stem(self) -> String {
        self.0.file_stem().to_string()
    }
    fn draw_on<DB>(self, root: &DrawingArea<DB, Shift>, input: &Self::Input) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.0.draw_on_axes(root, &input.0, &input.1)
    }
}

/// Writes every chart of run `summary` into `dir` on the axes `axes` sets: the members of
/// a comparison share them, so equal heights mean equal values across folders.
pub fn render_run_charts_on(
    summary: &RunSummary,
    axes: &SharedAxes,
    dir: &Path,
    format: ChartFormat,
) -> Result<Vec<PathBuf>> {
    let charts = RunChart::ALL.map(OnAxes);
    render_charts(&charts, &(summary.clone(), axes.clone()), dir, format)
}

/// Writes every chart of run `summary` into `dir` (see [`render_charts`]).
pub fn render_run_charts(
    summary: &RunSummary,
    dir: &Path,
    format: ChartFormat,
) -> Result<Vec<PathBuf>> {
    render_charts(&RunChart::ALL, summary, dir, format)
}

/// Draws with `draw` into an in-memory SVG document of the standard size.
pub fn render_svg<F>(draw: F) -> Result<String>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
{
    style::ensure_fonts()?;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (layout::WIDTH, layout::HEIGHT)).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    // Titles and legends carry names from users; a control character in one would make
    // the whole document invalid XML.
    Ok(crate::escape::xml_document(&svg).into_owned())
}

/// Draws with `draw` as SVG and writes it rasterised as a PNG file at `path` (see
/// `raster`: real text shaping, and the PNG lays out exactly like the SVG).
pub fn write_png<F>(path: &Path, draw: F) -> Result<()>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
{
    let svg = render_svg(draw).with_context(|| format!("cannot draw chart {}", path.display()))?;
    let png = raster::svg_to_png(&svg)
        .with_context(|| format!("cannot rasterise chart {}", path.display()))?;
    fs::write(path, png).with_context(|| format!("cannot write chart {}", path.display()))
}
pub mod sensitivity;
