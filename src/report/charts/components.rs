//! What the deal's NPV is made of: one horizontal bar per component at its mean NPV,
//! with a p5–p95 whisker, and the total below them.
//!
//! Bars are horizontal so the component names, which carry the scenario's company and
//! cloud names, fit as axis labels without being cut or rotated.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{self, Axis};
use super::legend::{LegendItem, Swatch};
use super::palette;
use super::style;
use crate::summary::{ResultMetric, RunSummary, Stats};

/// One bar: a component's name, colour and distribution across paths.
#[derive(Debug, Clone)]
pub struct ComponentBar {
    pub label: String,
    pub color: RGBColor,
    pub stats: Stats,
}

/// The x range covering every bar, whisker and zero, with room for the value labels.
pub fn components_x_range(bars: &[ComponentBar]) -> Range<f64> {
    let values = bars
        .iter()
        .flat_map(|b| [b.stats.mean, b.stats.p5(), b.stats.p95()]);
    style::padded_range(values, 0.08, true)
}

/// Horizontal bars (mean) with p5–p95 whiskers, first bar on top.
pub fn components_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    x_desc: &str,
    bars: &[ComponentBar],
    x_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let legend = [
        LegendItem::new(
            "mean across paths",
            Swatch::Fill {
                color: palette::AXIS,
                alpha: 0.6,
            },
        ),
        LegendItem::new(
            "p5–p95 across paths",
            Swatch::Line {
                color: palette::BLACK,
                width: 2,
                dashed: false,
            },
        ),
    ];
    let area = layout::frame(root, title, subtitle, &legend)?;
    // Category i is drawn at y = n-1-i so the list reads top to bottom.
    let names: Vec<String> = bars.iter().rev().map(|b| b.label.clone()).collect();
    let y = Axis::categories(names, "");
    let x = Axis::money(x_range.unwrap_or_else(|| components_x_range(bars)), x_desc);
    let mut chart = layout::build_chart(&area, &x, &y)?;

    let n = bars.len();
    for (i, b) in bars.iter().enumerate() {
        draw_bar(&mut chart, b, (n - 1 - i) as f64, 0.32, true)?;
    }
    // The widest whisker says what whiskers are: p5 and p95 under its caps.
    let widest = bars.iter().enumerate().max_by(|a, b| {
        let w = |b: &ComponentBar| b.stats.p95() - b.stats.p5();
        w(a.1).total_cmp(&w(b.1))
    });
    if let Some((i, b)) = widest {
        let yc = (n - 1 - i) as f64 - 0.32;
        let st = style::text(13.0, palette::MUTED_TEXT).pos(Pos::new(HPos::Center, VPos::Top));
        for (v, t) in [(b.stats.p5(), "p5"), (b.stats.p95(), "p95")] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((v, yc)) + Text::new(t, (0, 3), st.clone()),
            ))?;
        }
    }
    draw_zero_line(&mut chart)
}

/// One bar of `b` at its mean, centred on `yc` and `half` high on each side, with its
/// p5–p95 whisker and, if `value_label`, the mean written beyond the far end.
pub fn draw_bar<DB>(
    chart: &mut ChartContext<'_, DB, layout::Axes>,
    b: &ComponentBar,
    yc: f64,
    half: f64,
    value_label: bool,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (mean, p5, p95) = (b.stats.mean, b.stats.p5(), b.stats.p95());
    chart.draw_series(std::iter::once(Rectangle::new(
        [(0.0, yc - half), (mean, yc + half)],
        b.color.mix(0.85).filled(),
    )))?;
    let cap = half * 0.5;
    // A white halo under the black whisker keeps it visible on dark bars; on thin bars
    // (several scenarios side by side) it would hide the bar itself.
    let px = |y: f64| chart.backend_coord(&(0.0, y)).1;
    let thick = (px(yc - half) - px(yc + half)).abs() >= 40;
    let halo = [WHITE.stroke_width(6)].into_iter().filter(|_| thick);
    for style in halo.chain([palette::BLACK.stroke_width(2)]) {
        chart.draw_series([
            PathElement::new(vec![(p5, yc), (p95, yc)], style),
            PathElement::new(vec![(p5, yc - cap), (p5, yc + cap)], style),
            PathElement::new(vec![(p95, yc - cap), (p95, yc + cap)], style),
        ])?;
    }
    if !value_label {
        return Ok(());
    }
    // The mean's value at the bar it belongs to, just above it (the whisker runs through
    // the bar's middle): inside the bar's length when it fits, else beyond its end. At
    // the whisker's end it would sit next to p95 and read as p95.
    let value_style = style::bold(style::NOTE_SIZE, palette::BLACK);
    let text = style::money_short(mean);
    let bar_px = (chart.backend_coord(&(mean, yc)).0 - chart.backend_coord(&(0.0, yc)).0).abs();
    let text_px = (text.chars().count() as f64 * style::NOTE_SIZE * 0.62) as i32 + 8;
    // A short negative bar's label goes right of zero: left of it are the row names.
    let (at, dx, hpos) = match (bar_px >= text_px, mean >= 0.0) {
        (true, true) => (mean, -4, HPos::Right),
        (true, false) => (mean, 4, HPos::Left),
        (false, true) => (mean, 6, HPos::Left),
        (false, false) => (0.0, 6, HPos::Left),
    };
    chart.draw_series(std::iter::once(
        EmptyElement::at((at, yc + half))
            + Text::new(
                text,
                (dx, -3),
                value_style.pos(Pos::new(hpos, VPos::Bottom)),
            ),
    ))?;
    Ok(())
}

/// The vertical zero line the bars start from, over the bars.
pub fn draw_zero_line<DB>(chart: &mut ChartContext<'_, DB, layout::Axes>) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let yr = chart.y_range();
    chart.draw_series(LineSeries::new(
        vec![(0.0, yr.start), (0.0, yr.end)],
        palette::AXIS.stroke_width(2),
    ))?;
    Ok(())
}

/// The components of run `s`, named after its parties, then the total.
pub fn component_bars(s: &RunSummary) -> Vec<ComponentBar> {
    let m = &s.meta;
    let bar = |label: String, color, metric| ComponentBar {
        label,
        color,
        stats: *s.result(metric),
    };
    let bar = |label, color, metric| Some(bar(label, color, metric));
    [
        bar(
            format!("Revenue share from {}", m.company),
            palette::REVENUE_SHARE,
            ResultMetric::NpvRevenueShare,
        ),
        bar(
            format!("Model margin on {}", m.cloud),
            palette::CLOUD_MODELS,
            ResultMetric::NpvCloudModels,
        ),
        bar(
            format!("Reverse share to {}", m.company),
            palette::REVERSE_SHARE,
            ResultMetric::NpvReverseShare,
        ),
        bar(
            format!("Compute margin on {}", m.cloud),
            palette::COMPUTE,
            ResultMetric::NpvCompute,
        ),
        // The licence's own-product value (MODEL.md §6.1), when the scenario has one.
        bar(
            format!("{}'s products on the licence", m.investor),
            palette::LICENCE,
            ResultMetric::NpvLicence,
        )
        .filter(|_| s.has_licence_value()),
        bar(
            format!("Stake in {} (PV)", m.company),
            palette::STAKE,
            ResultMetric::PvStake,
        ),
        bar(
            "Total NPV".to_string(),
            palette::TOTAL,
            ResultMetric::NpvTotal,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The NPV-components chart of run `s`.
pub fn draw_components<DB>(
    root: &DrawingArea<DB, Shift>,
    s: &RunSummary,
    x_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let title = format!("{}: NPV to {} by component", s.meta.name, s.meta.investor);
    let subtitle = format!(
        "bar = mean, whisker = p5–p95 across paths · {}",
        style::summary_note(s)
    );
    let x_desc = "NPV (USD bn, discounted to the start)";
    components_chart(root, &title, &subtitle, x_desc, &component_bars(s), x_range)
}
