//! Overlay charts of `dealsim compare`: every scenario on one chart, on identical axes
//! (the union of the scenarios' ranges), one colour per scenario from
//! [`palette::SERIES`] and the legend naming each scenario as `name (id)`.
//!
//! The charts reuse the single-run families (`fan_chart`, `cdf_chart`,
//! `histograms_chart`, the component bars), fed with several series.

mod grouped;

use std::ops::Range;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::distribution::{self, CdfSeries, DistSpec, HistSeries, StatLine};
use super::fan::{self, FanKind, FanLayers, FanSpec, Marker, SeriesBand};
use super::layout::{self, Axis};
use super::{palette, style, ChartFile, ChartFormat};
use crate::compare::{Comparison, Member};
use crate::report::precision::{percent, Gap};
use crate::scenario::Meta;
use crate::summary::{Distribution, ResultMetric, RunSummary};

/// The overlay charts, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareChart {
    NpvCdf,
    Median(FanKind),
    Components,
    NpvDeltaHistogram,
}

impl CompareChart {
    pub const ALL: [CompareChart; 8] = [
        CompareChart::NpvCdf,
        CompareChart::Median(FanKind::CompanyRevenue),
        CompareChart::Median(FanKind::CompanyValuation),
        CompareChart::Median(FanKind::StakeValue),
        CompareChart::Median(FanKind::RevenueShareCumulative),
        CompareChart::Median(FanKind::InvestorCashFlow),
        CompareChart::Components,
        CompareChart::NpvDeltaHistogram,
    ];

    /// File name without extension.
    pub fn file_stem(self) -> String {
        match self {
            CompareChart::NpvCdf => "compare_npv_total_cdf".to_string(),
            CompareChart::Median(kind) => format!("compare_median_{}", kind.metric().name()),
            CompareChart::Components => "compare_components".to_string(),
            CompareChart::NpvDeltaHistogram => "compare_npv_delta_histogram".to_string(),
        }
    }

    /// Draws this overlay of comparison `c` onto `root` (any backend).
    pub fn draw<DB>(self, root: &DrawingArea<DB, Shift>, c: &Comparison) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        if c.members.is_empty() {
            let title = "Comparison of scenarios";
            return layout::message_chart(root, title, "", "no scenario to compare");
        }
        match self {
            CompareChart::NpvCdf => draw_npv_cdf(root, c),
            CompareChart::Median(kind) => draw_median(root, c, kind),
            CompareChart::Components => grouped::draw_components(root, c),
            CompareChart::NpvDeltaHistogram => draw_npv_delta(root, c),
        }
    }
}

impl super::ChartKind for CompareChart {
    type Input = Comparison;
    fn file_stem(self) -> String {
        CompareChart::file_stem(self)
    }
    fn draw_on<DB>(self, root: &DrawingArea<DB, Shift>, c: &Comparison) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        self.draw(root, c)
    }
}

/// Every overlay chart of `c` (see [`super::render_charts`]).
pub fn render_compare_charts(c: &Comparison, format: ChartFormat) -> Result<Vec<ChartFile>> {
    super::render_charts(&CompareChart::ALL, c, format)
}

/// Scenario `i`'s colour (the palette repeats after six scenarios).
fn color(i: usize) -> RGBColor {
    palette::SERIES[i % palette::SERIES.len()]
}

/// How a scenario is named in legends: `Base case [base]` (brackets, since names often
/// end in a parenthesis).
fn label(m: &Member) -> String {
    format!("{} [{}]", m.summary.meta.name, m.id)
}

fn baseline(c: &Comparison) -> &RunSummary {
    &c.members[0].summary
}

/// The scenarios for a title: `Base case vs Bull`, or `4 scenarios vs Base case`.
fn scenarios_phrase(c: &Comparison) -> String {
    let names = crate::compare::display_names(c);
    if names.len() <= 3 {
        names.join(" vs ")
    } else {
        format!("{} scenarios vs {}", names.len() - 1, names[0])
    }
}

/// The parties as the scenarios name them: the baseline's names, or `A/B` where the
/// scenarios name a party differently.
fn shared_meta(c: &Comparison) -> Meta {
    let join = |f: fn(&Meta) -> &String| {
        let mut names: Vec<&str> = Vec::new();
        for m in &c.members {
            let n = f(&m.summary.meta).as_str();
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.join("/")
    };
    Meta {
        investor: join(|m| &m.investor),
        company: join(|m| &m.company),
        channel: join(|m| &m.channel),
        cloud: join(|m| &m.cloud),
        ..baseline(c).meta.clone()
    }
}

/// A note naming the members whose lines (the values `line` gives) coincide, e.g.
/// `cap50 = base (dashed over solid)`, or `None` when no two do. Coinciding lines are
/// equal to within 1e-9 of the largest value shown.
fn coinciding(
    c: &Comparison,
    line: impl Fn(&crate::compare::Member) -> Vec<f64>,
) -> Option<String> {
    let lines: Vec<Vec<f64>> = c.members.iter().map(&line).collect();
    let scale = lines
        .iter()
        .flatten()
        .fold(0.0f64, |a, v| a.max(v.abs()))
        .max(1e-12);
    let mut pairs = Vec::new();
    for j in 1..lines.len() {
        for i in 0..j {
            let same = lines[i].len() == lines[j].len()
                && lines[i]
                    .iter()
                    .zip(&lines[j])
                    .all(|(a, b)| (a - b).abs() <= 1e-9 * scale);
            if same {
                pairs.push(format!("{} = {}", c.members[j].id, c.members[i].id));
                break;
            }
        }
    }
    (!pairs.is_empty()).then(|| {
        format!(
            "lines coincide: {} (drawn dashed over solid)",
            pairs.join(", ")
        )
    })
}

/// "same 10,000 paths and seed 42 for every scenario".
fn run_note(c: &Comparison) -> String {
    let b = baseline(c);
    format!(
        "same {} for every scenario",
        style::run_note(b.paths, b.seed)
    )
}

/// The subtitle: `parts` joined by ` · `, leaving out optional parts (`.1 == true`),
/// the last first, until it fits the page: the frame shrinks long titles, not subtitles.
fn fit_subtitle<DB>(root: &DrawingArea<DB, Shift>, parts: &[(String, bool)]) -> Result<String>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let max_w = root.dim_in_pixel().0.saturating_sub(60);
    let font = style::subtitle_style();
    let mut keep: Vec<bool> = vec![true; parts.len()];
    loop {
        let text = parts
            .iter()
            .zip(&keep)
            .filter(|((p, _), k)| **k && !p.is_empty())
            .map(|((p, _), _)| p.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        let optional = (0..parts.len()).rev().find(|&i| keep[i] && parts[i].1);
        match optional {
            Some(i) if root.estimate_text_size(&text, &font)?.0 > max_w => keep[i] = false,
            _ => return Ok(text),
        }
    }
}

/// CDFs of total NPV of every scenario.
fn draw_npv_cdf<DB>(root: &DrawingArea<DB, Shift>, c: &Comparison) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let series: Vec<CdfSeries> = c
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| CdfSeries {
            label: label(m),
            color: color(i),
            quantiles: m.summary.npv_total_dist.quantiles.clone(),
            dash: palette::dash(i),
        })
        .collect();
    let same = coinciding(c, |m| {
        m.summary
            .npv_total_dist
            .quantiles
            .iter()
            .map(|q| q.1)
            .collect()
    });
    // The single-run CDF's rule (p0.5–p97.5), over every scenario.
    let x_range = distribution::cdf_x_range(series.iter().map(|s| s.quantiles.as_slice()));
    let spec = DistSpec {
        title: format!(
            "Total NPV to {}: {}",
            shared_meta(c).investor,
            scenarios_phrase(c)
        ),
        subtitle: fit_subtitle(
            root,
            &[
                ("cumulative distribution".to_string(), false),
                (run_note(c), false),
                (
                    format!("{} of all scenarios", distribution::CDF_AXIS_NOTE),
                    true,
                ),
                (same.clone().unwrap_or_default(), same.is_none()),
            ],
        )?,
        x_desc: "Total NPV (USD bn, discounted to the start)".to_string(),
    };
    distribution::cdf_chart(root, &spec, &series, x_range)
}

/// The median of each scenario over time, with the baseline's p25–p75 band.
fn draw_median<DB>(root: &DrawingArea<DB, Shift>, c: &Comparison, kind: FanKind) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let base = baseline(c);
    let (what, note, y_desc) = kind.describe(&shared_meta(c), base.steps_per_year);
    let series: Vec<SeriesBand> = c
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| SeriesBand {
            layers: FanLayers {
                outer_band: false,
                inner_band: i == 0,
                mean: false,
            },
            dash: palette::dash(i),
            ..SeriesBand::from_summary(&m.summary, kind.metric(), label(m), color(i))
        })
        .collect();
    let same = coinciding(c, |m| {
        m.summary
            .periods
            .iter()
            .map(|p| p.band(kind.metric()).pct[2])
            .collect()
    });
    let mut note = (note, true);
    let mut markers = Vec::new();
    if kind == FanKind::RevenueShareCumulative {
        if let Some(cap) = base.cap {
            let label = format!("cap {} ({})", style::money_short(cap), c.members[0].id);
            markers.push(Marker::Level { y: cap, label });
        }
        if c.members.iter().any(|m| m.summary.cap != base.cap) {
            let caps: Vec<String> = c
                .members
                .iter()
                .map(|m| {
                    let cap = m.summary.cap.map_or("none".to_string(), style::money_short);
                    format!("{} {cap}", m.id)
                })
                .collect();
            note = (format!("caps: {}", caps.join(", ")), true);
        }
        let mut ends: Vec<i32> = c
            .members
            .iter()
            .map(|m| m.summary.revenue_share_end_year)
            .collect();
        ends.sort_unstable();
        ends.dedup();
        for end in ends {
            markers.push(Marker::Time {
                x: f64::from(end) + 1.0,
                label: format!("revenue share ends (end of {end})"),
            });
        }
    }
    let spec = FanSpec {
        title: format!("Median {what}: {}", scenarios_phrase(c)),
        subtitle: fit_subtitle(
            root,
            &[
                note,
                (
                    format!("lines: medians; band: {} p25–p75", c.members[0].id),
                    false,
                ),
                (run_note(c), false),
                (same.clone().unwrap_or_default(), same.is_none()),
            ],
        )?,
        y_desc,
        markers,
    };
    let start = c.members.iter().map(|m| m.summary.start_year).min();
    let end = c.members.iter().map(|m| m.summary.end_year).max();
    let x_range =
        f64::from(start.unwrap_or(base.start_year))..f64::from(end.unwrap_or(base.end_year)) + 1.0;
    let y_range = fan::fan_y_range(&series, &spec.markers);
    fan::fan_chart(root, &spec, &series, Some(x_range), Some(y_range))
}

/// Bins across the delta histogram: enough for a shape, few enough for a 1200 px plot.
const DELTA_BINS: f64 = 60.0;
/// Histogram counts are shares of paths scaled to integers at this resolution.
const SHARE_SCALE: f64 = 1e9;

/// One non-baseline scenario's paired npv_total deltas.
struct Paired<'a> {
    /// Index among the members (for the colour).
    i: usize,
    m: &'a Member,
    /// Quantile grid `(p, delta)`.
    q: &'a [(f64, f64)],
    mean: f64,
    /// Share of paths with `delta > 0`.
    p_pos: f64,
}

/// The paired npv_total deltas of each scenario against the baseline, as histograms.
fn draw_npv_delta<DB>(root: &DrawingArea<DB, Shift>, c: &Comparison) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let base = &c.members[0];
    let investor = shared_meta(c).investor;
    let title = format!(
        "Change in total NPV to {investor} vs {}, paired path by path",
        base.summary.meta.name
    );
    let others: Vec<Paired> = c
        .members
        .iter()
        .enumerate()
        .skip(1)
        .zip(c.deltas.iter().zip(&c.npv_delta_quantiles))
        .filter(|(_, (_, q))| !q.is_empty())
        .map(|((i, m), (d, q))| {
            let d = d.iter().find(|d| d.metric == ResultMetric::NpvTotal);
            let (mean, p_pos) = d.map_or((f64::NAN, f64::NAN), |d| (d.mean, d.prob_positive));
            Paired {
                i,
                m,
                q,
                mean,
                p_pos,
            }
        })
        .collect();
    if others.is_empty() {
        let msg = "no paired deltas: only the baseline was run";
        return layout::message_chart(root, &title, &run_note(c), msg);
    }

    // The axis spans p1–p99 of every scenario's deltas, 0 and the means: the tails of a
    // difference of two skewed NPVs are long and would leave the body a few bars wide.
    // One bin grid for all, centred on 0 so that paths the change leaves untouched
    // (a point mass at 0) fall into one bar around 0.
    let x_range = style::union_range(others.iter().filter_map(|o| {
        let lo = distribution::quantile_at(o.q, 0.01)?;
        let hi = distribution::quantile_at(o.q, 0.99)?;
        let marks = [lo, hi, 0.0, o.mean].into_iter().filter(|v| v.is_finite());
        Some(style::padded_range(marks, 0.04, false))
    }))
    .unwrap_or(-1.0..1.0);
    let axis_range = Axis::money(x_range, "").range;
    let edges = centred_edges(&axis_range);
    let dists: Vec<Distribution> = others
        .iter()
        .map(|o| histogram_from_quantiles(o.q, &edges))
        .collect();
    let series: Vec<HistSeries> = others
        .iter()
        .zip(&dists)
        .map(|(o, dist)| HistSeries {
            label: format!("{} minus {}", label(o.m), base.id),
            color: color(o.i),
            dist,
        })
        .collect();
    let mut lines: Vec<StatLine> = others
        .iter()
        .filter(|o| o.mean.is_finite())
        .map(|o| StatLine {
            label: format!("mean change, {}: {}", o.m.id, signed_money(o.mean)),
            value: o.mean,
            color: color(o.i),
            dashed: true,
        })
        .collect();
    lines.push(StatLine {
        label: "0 = no change".to_string(),
        value: 0.0,
        color: palette::BLACK,
        dashed: false,
    });
    let p_pos: Vec<String> = others
        .iter()
        .filter(|o| o.p_pos.is_finite())
        .map(|o| format!("{} of paths ({})", percent(o.p_pos, 0, Gap::Tight), o.m.id))
        .collect();
    let spec = DistSpec {
        title,
        subtitle: fit_subtitle(
            root,
            &[
                (
                    "scenario minus baseline on each path (common random numbers)".to_string(),
                    false,
                ),
                (format!("better off on {}", p_pos.join(", ")), true),
                (
                    style::run_note(base.summary.paths, base.summary.seed),
                    false,
                ),
                ("axis shows p1–p99".to_string(), true),
            ],
        )?,
        x_desc: "Change in total NPV on the same path (USD bn, scenario − baseline)".to_string(),
    };
    distribution::histograms_chart(root, &spec, &series, &lines, Some(axis_range), None)
}

/// `+$1.2bn`, `-$0.4bn`, `$0`.
fn signed_money(v: f64) -> String {
    let s = style::money_short(v);
    if v > 0.0 && s != "$0" {
        format!("+{s}")
    } else {
        s
    }
}

/// Bin edges over `range`, about `DELTA_BINS` bins, with 0 at the centre of a bin.
fn centred_edges(range: &Range<f64>) -> Vec<f64> {
    let w = (range.end - range.start) / DELTA_BINS;
    if !(w > 0.0 && w.is_finite()) {
        return vec![range.start, range.end];
    }
    let first = ((range.start / w) - 0.5).floor();
    let last = ((range.end / w) + 0.5).ceil();
    // About DELTA_BINS + 2 by construction; bounded anyway, whatever f64 does at the edges.
    if !(0.0..=4.0 * DELTA_BINS).contains(&(last - first)) {
        return vec![range.start, range.end];
    }
    (first as i64..=last as i64)
        .map(|k| (k as f64 + 0.5) * w)
        .collect()
}

/// The histogram of a distribution given by its quantile grid `q` (`(p, value)`, p
/// increasing): the share of paths in each bin of `edges`, as counts out of
/// [`SHARE_SCALE`]. Between grid points the quantile function is linear, i.e. the
/// density is uniform at `Δp / Δvalue`; equal neighbouring quantiles (paths with the
/// same value, e.g. untouched by the change) put their whole share into one bin.
fn histogram_from_quantiles(q: &[(f64, f64)], edges: &[f64]) -> Distribution {
    let cdf = |v: f64| distribution::probability_below(q, v).unwrap_or(0.0);
    let scale = |p: f64| (p.max(0.0) * SHARE_SCALE).round() as u64;
    let (first, last) = (edges[0], edges[edges.len() - 1]);
    let counts = edges
        .windows(2)
        .map(|e| scale(cdf(e[1]) - cdf(e[0])))
        .collect();
    Distribution {
        quantiles: q.to_vec(),
        edges: edges.to_vec(),
        counts,
        below: scale(cdf(first)),
        above: scale(1.0 - cdf(last)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_from_a_uniform_quantile_grid_is_flat() {
        let q: Vec<(f64, f64)> = (0..=200).map(|i| (i as f64 / 200.0, i as f64)).collect();
        let d = histogram_from_quantiles(&q, &[0.0, 50.0, 100.0, 150.0, 200.0]);
        assert_eq!(d.counts, vec![250_000_000; 4]);
        assert_eq!((d.below, d.above), (0, 0));
    }

    #[test]
    fn a_point_mass_at_zero_lands_in_the_bin_around_zero() {
        // 40% of paths exactly 0, the rest spread over 1..2.
        let q: Vec<(f64, f64)> = (0..=200)
            .map(|i| {
                let p = i as f64 / 200.0;
                (p, if p <= 0.4 { 0.0 } else { 1.0 + (p - 0.4) / 0.6 })
            })
            .collect();
        let edges = centred_edges(&(-3.0..3.0));
        let d = histogram_from_quantiles(&q, &edges);
        let zero_bin = edges.windows(2).position(|e| e[0] < 0.0 && e[1] > 0.0);
        let share = d.counts[zero_bin.unwrap()] as f64 / SHARE_SCALE;
        // 0.4, plus the sliver of the next grid step (0 to 1.008) inside the bin.
        assert!((share - 0.4).abs() < 1e-3, "{share}");
        let total: u64 = d.counts.iter().sum::<u64>() + d.below + d.above;
        assert!((total as f64 / SHARE_SCALE - 1.0).abs() < 1e-6);
    }
}
