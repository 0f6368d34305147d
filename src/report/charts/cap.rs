//! When the revenue-share cap binds: per calendar year, the probability that the cap is
//! first reached in that year (bars) and that it has been reached by the year's end
//! (cumulative line), both on one 0–100% axis; with `[renegotiation]`, also the
//! probability that the share is renegotiated in the year (narrow bars beside them).

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{self, Axis};
use super::legend::{LegendItem, Swatch};
use super::palette;
use super::style;
use crate::report::precision::{percent, Gap};
use crate::summary::{CapHitYear, RunSummary};

/// Bars of first-hit probability and the cumulative line, for `hits` (one entry per
/// year, in order), and narrow bars of the renegotiation probability per year
/// (`renegotiations`, same years; drawn only if some is above 0). `y_range` defaults to
/// 0..1 (probabilities).
pub fn cap_timing_chart<DB>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    hits: &[CapHitYear],
    renegotiations: &[f64],
    y_range: Option<Range<f64>>,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (Some(first), Some(last)) = (hits.first(), hits.last()) else {
        return layout::message_chart(root, title, subtitle, "no years to show");
    };
    let renegotiated = renegotiations.iter().any(|&p| p > 0.0);
    let mut legend = vec![
        LegendItem::new(
            "cap first reached in the year",
            Swatch::Fill {
                color: palette::REVENUE_SHARE,
                alpha: 0.85,
            },
        ),
        LegendItem::new(
            "cap reached by the end of the year (cumulative)",
            Swatch::LineWithMarker {
                color: palette::TOTAL,
            },
        ),
    ];
    if renegotiated {
        legend.push(LegendItem::new(
            "share renegotiated in the year",
            Swatch::Fill {
                color: palette::RENEGOTIATION,
                alpha: 0.85,
            },
        ));
    }
    let area = layout::frame(root, title, subtitle, &legend)?;
    let x = Axis::year_bars(first.year, last.year, "Year");
    let y = Axis::probability(y_range.unwrap_or(0.0..1.0), "Probability");
    let mut chart = layout::build_chart(&area, &x, &y)?;

    // With renegotiations the year's slot holds two bars side by side: cap hit on the
    // left, renegotiation on the right.
    let (left, right) = if renegotiated {
        (-0.38, 0.0)
    } else {
        (-0.35, 0.35)
    };
    chart.draw_series(hits.iter().map(|h| {
        let xc = f64::from(h.year);
        Rectangle::new(
            [(xc + left, 0.0), (xc + right, h.probability)],
            palette::REVENUE_SHARE.mix(0.85).filled(),
        )
    }))?;
    if renegotiated {
        chart.draw_series(hits.iter().zip(renegotiations).map(|(h, &p)| {
            let xc = f64::from(h.year);
            Rectangle::new(
                [(xc, 0.0), (xc + 0.38, p)],
                palette::RENEGOTIATION.mix(0.85).filled(),
            )
        }))?;
    }
    let cumulative: Vec<(f64, f64)> = hits
        .iter()
        .map(|h| (f64::from(h.year), h.cumulative_probability))
        .collect();
    chart.draw_series(LineSeries::new(
        cumulative.clone(),
        palette::TOTAL.stroke_width(2),
    ))?;
    chart.draw_series(
        cumulative
            .iter()
            .map(|&p| Circle::new(p, 5, palette::TOTAL.filled())),
    )?;
    Ok(())
}

/// The cap-timing chart of run `s`. `RunSummary::cap` is `None` both without a cap and
/// with an uncertain one; paths that hit a cap tell the two apart. Without any hit, the
/// chart says so instead of drawing empty axes.
pub fn draw_cap_timing<DB>(root: &DrawingArea<DB, Shift>, s: &RunSummary) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let m = &s.meta;
    let any_hit = s.cap_hits.iter().any(|h| h.probability > 0.0);
    let p_renegotiated: f64 = s.renegotiation_by_year.iter().sum();
    if s.cap.is_none() && !any_hit && p_renegotiated == 0.0 {
        let title = format!("{}: revenue-share cap timing", m.name);
        let subtitle = style::summary_note(s);
        let msg = format!(
            "No cap in this scenario (or no path reaches it)\nthe revenue share from {} runs to the end of {}",
            m.company, s.revenue_share_end_year
        );
        return layout::message_chart(root, &title, &subtitle, &msg);
    }
    let amount = match s.cap {
        Some(cap) => format!("{} ", style::money_short(cap)),
        None => "uncertain ".to_string(),
    };
    let title = format!(
        "{}: when {}'s {amount}revenue-share cap is reached",
        m.name, m.investor
    );
    let by_end = s
        .cap_hits
        .last()
        .map(|h| {
            format!(
                "reached by the end of {} in {} of paths · ",
                h.year,
                percent(h.cumulative_probability, 1, Gap::Tight)
            )
        })
        .unwrap_or_default();
    let renegotiated = if p_renegotiated > 0.0 {
        format!(
            "renegotiated in {} of paths · ",
            percent(p_renegotiated, 1, Gap::Tight)
        )
    } else {
        String::new()
    };
    let subtitle = format!(
        "{by_end}{renegotiated}revenue share ends after {} · {}",
        s.revenue_share_end_year,
        style::summary_note(s)
    );
    cap_timing_chart(
        root,
        &title,
        &subtitle,
        &s.cap_hits,
        &s.renegotiation_by_year,
        None,
    )
}
