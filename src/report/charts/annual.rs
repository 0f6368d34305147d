//! Expected cash flows to the investor per calendar year, by component: the inflows
//! (revenue share, model margin, compute margin and, with a licence, its product value)
//! stacked above zero, the reverse share (a cost) below it, and the net as a line with
//! markers.

use std::collections::BTreeMap;
use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{self, Axis};
use super::legend::{LegendItem, Swatch};
use super::palette;
use super::style;
use crate::summary::RunSummary;

/// One component's expected cash flow per year.
#[derive(Debug, Clone)]
pub struct AnnualComponent {
    pub label: String,
    pub color: RGBColor,
    /// USD bn per year, one value per entry of the chart's `years`.
    pub values: Vec<f64>,
}

/// The sums of each year's periods: `(years, [revenue share, model margin, compute
/// margin, licence product value, reverse share])`. Means add, so the sum of period means
/// is the mean of the year's total.
pub fn annual_sums(s: &RunSummary) -> (Vec<i32>, [Vec<f64>; 5]) {
    let mut by_year: BTreeMap<i32, [f64; 5]> = BTreeMap::new();
    for p in &s.periods {
        let e = by_year.entry(p.year).or_default();
        e[0] += p.revenue_share;
        e[1] += p.cloud_model_margin;
        e[2] += p.compute_margin;
        e[3] += p.licence_value;
        e[4] += p.reverse_share;
    }
    let years = by_year.keys().copied().collect();
    let mut cols: [Vec<f64>; 5] = Default::default();
    for v in by_year.values() {
        for (c, x) in cols.iter_mut().zip(v) {
            c.push(*x);
        }
    }
    (years, cols)
}

/// Per year: the bottom and top of each component's bar segment. Positive values stack
/// up from zero and negative ones down, in component order, whatever their sign.
fn stack(components: &[AnnualComponent], n_years: usize) -> Vec<Vec<(f64, f64)>> {
    let mut up = vec![0.0; n_years];
    let mut down = vec![0.0; n_years];
    components
        .iter()
        .map(|c| {
            (0..n_years)
                .map(|i| {
                    let v = c.values.get(i).copied().unwrap_or(0.0);
                    let base = if v >= 0.0 { &mut up[i] } else { &mut down[i] };
                    let seg = (*base, *base + v);
                    *base += v;
                    seg
                })
                .collect()
        })
        .collect()
}

/// The y range covering the stacks and the net line.
pub fn annual_y_range(components: &[AnnualComponent], n_years: usize) -> Range<f64> {
    let ends = stack(components, n_years)
        .into_iter()
        .flatten()
        .flat_map(|(a, b)| [a, b]);
    style::padded_range(ends, 0.08, true)
}

/// Stacked bars of `components` per year with the net (their sum) as a line.
pub fn annual_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    years: &[i32],
    components: &[AnnualComponent],
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        return layout::message_chart(root, title, subtitle, "no periods to show");
    };
    let mut legend: Vec<LegendItem> = components
        .iter()
        .map(|c| {
            LegendItem::new(
                c.label.clone(),
                Swatch::Fill {
                    color: c.color,
                    alpha: 0.85,
                },
            )
        })
        .collect();
    legend.push(LegendItem::new(
        "net cash flow",
        Swatch::LineWithMarker {
            color: palette::TOTAL,
        },
    ));
    let area = layout::frame(root, title, subtitle, &legend)?;
    let x = Axis::year_bars(first, last, "Year");
    let y_range = y_range.unwrap_or_else(|| annual_y_range(components, years.len()));
    let y = Axis::money(y_range, "Expected cash flow in the year (USD bn)");
    let mut chart = layout::build_chart(&area, &x, &y)?;

    let half = 0.36;
    for (c, segs) in components.iter().zip(stack(components, years.len())) {
        chart.draw_series(years.iter().zip(segs).map(|(&yr, (lo, hi))| {
            let xc = f64::from(yr);
            Rectangle::new(
                [(xc - half, lo), (xc + half, hi)],
                c.color.mix(0.85).filled(),
            )
        }))?;
    }
    layout::hline(&mut chart, 0.0, palette::AXIS.stroke_width(1))?;
    let net: Vec<(f64, f64)> = years
        .iter()
        .enumerate()
        .map(|(i, &yr)| {
            (
                f64::from(yr),
                components
                    .iter()
                    .map(|c| c.values.get(i).copied().unwrap_or(0.0))
                    .sum(),
            )
        })
        .collect();
    chart.draw_series(LineSeries::new(net.clone(), palette::TOTAL.stroke_width(2)))?;
    chart.draw_series(
        net.iter()
            .map(|&p| Circle::new(p, 5, palette::TOTAL.filled())),
    )?;
    Ok(())
}

/// The y range run `s`'s annual chart draws on its own.
pub fn run_y_range(s: &RunSummary) -> Range<f64> {
    let (years, components) = run_components(s);
    annual_y_range(&components, years.len())
}

/// The annual-cash-flow chart of run `s`, on `y_range` if given (a comparison's members
/// share it).
pub fn draw_annual<DB>(
    root: &DrawingArea<DB, Shift>,
    s: &RunSummary,
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let m = &s.meta;
    let (years, components) = run_components(s);
    let title = format!(
        "{}: expected annual cash flows to {} by component",
        m.name, m.investor
    );
    let subtitle = format!(
        "means across paths, undiscounted; stake value not included · {}",
        style::summary_note(s)
    );
    annual_chart(root, &title, &subtitle, &years, &components, y_range)
}

/// The years and the components of run `s`'s annual chart, named after its parties.
fn run_components(s: &RunSummary) -> (Vec<i32>, Vec<AnnualComponent>) {
    let m = &s.meta;
    let (years, [rev, model, compute, licence, reverse]) = annual_sums(s);
    let c = |label: String, color, values| AnnualComponent {
        label,
        color,
        values,
    };
    let mut components = vec![
        c(
            format!("revenue share from {}", m.company),
            palette::REVENUE_SHARE,
            rev,
        ),
        c(
            format!("model margin on {}", m.cloud),
            palette::CLOUD_MODELS,
            model,
        ),
        c(
            format!("compute margin on {}", m.cloud),
            palette::COMPUTE,
            compute,
        ),
    ];
    // The licence's product value (MODEL.md §6.1) only when the scenario has one, so v1
    // scenarios draw as before.
    if s.has_licence_value() {
        components.push(c(
            format!("{}'s products on the licence", m.investor),
            palette::LICENCE,
            licence,
        ));
    }
    components.push(c(
        format!("reverse share to {}", m.company),
        palette::REVERSE_SHARE,
        reverse,
    ));
    (years, components)
}
