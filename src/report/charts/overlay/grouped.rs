//! NPV by component, grouped: for each component one horizontal bar per scenario (its
//! mean) with a p5–p95 whisker, drawn with the single-run chart's bars.

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{color, label, run_note, scenarios_phrase, shared_meta};
use crate::compare::Comparison;
use crate::report::charts::components::{self, ComponentBar};
use crate::report::charts::layout::{self, Axis};
use crate::report::charts::legend::{LegendItem, Swatch};
use crate::report::charts::{palette, style};

/// Share of a category's height taken by its group of bars.
const GROUP: f64 = 0.8;
/// Scenarios up to which each bar gets its mean written next to it; beyond, bars are
/// too thin for a label each.
const MAX_VALUE_LABELS: usize = 3;

/// Component names without the parties, when the scenarios name the parties differently.
const GENERIC: [&str; 6] = [
    "Revenue share",
    "Model margin on the cloud",
    "Reverse share",
    "Compute margin",
    "Stake (PV)",
    "Total NPV",
];

/// Every bar, whisker and zero, with room for the value labels only on the side they
/// are written (the right of positive bars, the left of negative ones): one scenario's
/// long whisker must not leave the opposite side mostly empty.
fn x_range(groups: &[Vec<ComponentBar>], value_labels: bool) -> Range<f64> {
    let values = groups
        .iter()
        .flatten()
        .flat_map(|b| [b.stats.mean, b.stats.p5(), b.stats.p95()]);
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let room = (hi - lo) * 0.1;
    if room <= 0.0 {
        return style::padded_range([lo, hi], 0.1, true);
    }
    let negative_labels = value_labels && groups.iter().flatten().any(|b| b.stats.mean < 0.0);
    let lo = if negative_labels {
        lo - room
    } else {
        lo - room * 0.2
    };
    let hi = if value_labels {
        hi + room
    } else {
        hi + room * 0.2
    };
    lo..hi
}

pub(super) fn draw_components<DB>(root: &DrawingArea<DB, Shift>, c: &Comparison) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    // groups[j][i]: component i of scenario j, in the scenario's colour.
    let groups: Vec<Vec<ComponentBar>> = c
        .members
        .iter()
        .enumerate()
        .map(|(j, m)| {
            let mut bars = components::component_bars(&m.summary);
            for b in &mut bars {
                b.color = color(j);
            }
            bars
        })
        .collect();
    let base = &c.members[0].summary;
    let same_parties = c.members.iter().all(|m| {
        let (a, b) = (&m.summary.meta, &base.meta);
        (&a.investor, &a.company, &a.cloud) == (&b.investor, &b.company, &b.cloud)
    });
    let names: Vec<String> = if same_parties {
        groups[0].iter().map(|b| b.label.clone()).collect()
    } else {
        GENERIC.iter().map(|s| s.to_string()).collect()
    };

    let mut legend: Vec<LegendItem> = c
        .members
        .iter()
        .enumerate()
        .map(|(j, m)| {
            let swatch = Swatch::Fill {
                color: color(j),
                alpha: 0.85,
            };
            LegendItem::new(format!("{}: mean", label(m)), swatch)
        })
        .collect();
    legend.push(LegendItem::new(
        "p5–p95 across paths",
        Swatch::Line {
            color: palette::BLACK,
            width: 2,
            dashed: false,
        },
    ));
    let title = format!(
        "NPV to {} by component: {}",
        shared_meta(c).investor,
        scenarios_phrase(c)
    );
    let subtitle = format!(
        "bar = mean, whisker = p5–p95 across paths · {}",
        run_note(c)
    );
    let area = layout::frame(root, &title, &subtitle, &legend)?;

    // Category i is drawn at y = n-1-i so the list reads top to bottom.
    let n = names.len();
    let y = Axis::categories(names.into_iter().rev().collect(), "");
    let value_labels = groups.len() <= MAX_VALUE_LABELS;
    let x = Axis::money(
        x_range(&groups, value_labels),
        "NPV (USD bn, discounted to the start)",
    );
    let mut chart = layout::build_chart(&area, &x, &y)?;

    let k = groups.len();
    let pitch = GROUP / k as f64;
    let half = pitch * 0.42;
    for i in 0..n {
        let yc = (n - 1 - i) as f64;
        // The baseline on top of its group, then the scenarios in order.
        for (j, g) in groups.iter().enumerate() {
            let Some(bar) = g.get(i) else { continue };
            let yj = yc + GROUP / 2.0 - (j as f64 + 0.5) * pitch;
            components::draw_bar(&mut chart, bar, yj, half, value_labels)?;
        }
    }
    components::draw_zero_line(&mut chart)
}
