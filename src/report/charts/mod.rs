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

/// One chart image in memory: what a command saves as `charts/<stem>.<ext>` and what its
/// report.html embeds (the SVGs), the very same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    /// File name without extension (`npv_total_cdf`).
    pub stem: String,
    pub format: ImageFormat,
    pub bytes: Vec<u8>,
}

/// The two image formats a chart is saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}

impl ChartFile {
    /// `<stem>.<png|svg>`.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.stem, self.format.extension())
    }

    /// The SVG text, if this is an SVG (always UTF-8: [`render_svg`] builds a `String`).
    pub fn svg(&self) -> Option<&str> {
        match self.format {
            ImageFormat::Svg => std::str::from_utf8(&self.bytes).ok(),
            ImageFormat::Png => None,
        }
    }
}

/// One chart in `format`: the SVG is drawn once, and the PNG is that SVG rasterised (see
/// `raster`), PNG first. `ChartFormat::None` gives nothing.
pub fn chart_files<F>(stem: &str, format: ChartFormat, draw: F) -> Result<Vec<ChartFile>>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
{
    if format == ChartFormat::None {
        return Ok(Vec::new());
    }
    let svg = render_svg(draw).with_context(|| format!("cannot draw chart {stem}"))?;
    let mut files = Vec::with_capacity(2);
    if format.png() {
        let png =
            raster::svg_to_png(&svg).with_context(|| format!("cannot rasterise chart {stem}"))?;
        files.push(ChartFile {
            stem: stem.to_string(),
            format: ImageFormat::Png,
            bytes: png,
        });
    }
    if format.svg() {
        files.push(ChartFile {
            stem: stem.to_string(),
            format: ImageFormat::Svg,
            bytes: svg.into_bytes(),
        });
    }
    Ok(files)
}

/// Draws `charts` of `input` in `format`, in order (PNG before SVG of each chart).
pub fn render_charts<K: ChartKind>(
    charts: &[K],
    input: &K::Input,
    format: ChartFormat,
) -> Result<Vec<ChartFile>> {
    let mut files = Vec::new();
    for &chart in charts {
        if format == ChartFormat::None {
            break;
        }
        crate::interrupt::check()?;
        files.extend(chart_files(&chart.file_stem(), format, |root| {
            chart.draw_on(root, input)
        })?);
    }
    Ok(files)
}

/// Saves chart files into a plain folder `dir` (created only if there is a file), for
/// callers without an output folder (tests, tools); commands save theirs through
/// `report::Outputs`, which keeps them for the report too. Returns the paths, in order.
pub fn save(files: &[ChartFile], dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in files {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create chart directory {}", dir.display()))?;
        let path = dir.join(f.file_name());
        fs::write(&path, &f.bytes)
            .with_context(|| format!("cannot write chart {}", path.display()))?;
        written.push(path);
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

/// Every chart of run `summary` on the axes `axes` sets: the members of a comparison
/// share them, so equal heights mean equal values across folders.
pub fn render_run_charts_on(
    summary: &RunSummary,
    axes: &SharedAxes,
    format: ChartFormat,
) -> Result<Vec<ChartFile>> {
    let charts = RunChart::ALL.map(OnAxes);
    render_charts(&charts, &(summary.clone(), axes.clone()), format)
}

/// Every chart of run `summary` (see [`render_charts`]).
pub fn render_run_charts(summary: &RunSummary, format: ChartFormat) -> Result<Vec<ChartFile>> {
    render_charts(&RunChart::ALL, summary, format)
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
pub mod sensitivity;
