//! report.html: a one-page, self-contained report of a run or a comparison, written
//! into the staging folder after the CSVs and charts, and embeds the chart SVGs saved
//! there (the same bytes, kept in memory by [`Outputs`]). No network, no JavaScript, no `src=`: CSS and SVG are inline; the only
//! links are relative (a comparison to its scenarios' reports and back).
//!
//! Numbers: every numeric table cell shows a rounded value with thousands separators
//! (money to at least 2 decimals and 3 significant digits, probabilities and fractions
//! as percentages) and carries the exact string that summary.csv (or
//! compare_deltas.csv, cap_hits.csv) writes for it, from the same `csv::num`, in its
//! `data-value` attribute and its `title` (shown on hover). Readers see round numbers;
//! scripts and tests find the exact ones.
//!
//! The builders ([`run_page`], [`compare_page`]) are pure; [`write_run_report`] and
//! [`write_compare_report`] take the saved charts and write the file.

mod assumptions;
mod compare;
mod figures;
mod markup;
mod run;
pub mod sensitivity;
pub mod sweep;

use anyhow::Result;

use crate::compare::Comparison;
use crate::report::{Manifest, Outputs};
use crate::risk::RiskSummary;
use crate::scenario::Scenario;
use crate::summary::RunSummary;
pub use assumptions::dist_text;
pub use compare::compare_page;
pub use figures::{caption, svg_charts, Chart};
pub use markup::{rounded, shown, Show};
pub use run::{run_page, RunInput};

/// The report's file name in an output folder.
pub const REPORT_FILE: &str = "report.html";

/// Writes `<sub>/report.html` for one run, embedding the SVGs saved in `<sub>/charts/`.
/// A run inside a comparison (`sub` non-empty) links back to the comparison's report.
pub fn write_run_report(
    out: &mut Outputs,
    sub: &str,
    summary: &RunSummary,
    risk: &RiskSummary,
    scenario: &Scenario,
    manifest: &Manifest,
) -> Result<()> {
    let rel = |name: &str| {
        if sub.is_empty() {
            name.to_string()
        } else {
            format!("{sub}/{name}")
        }
    };
    let charts = svg_charts(out.charts_of(sub));
    let input = RunInput {
        summary,
        risk,
        scenario,
        manifest,
        parent: (!sub.is_empty()).then_some("../report.html"),
    };
    let html = run_page(&input, &charts);
    out.write(&rel(REPORT_FILE), html.as_bytes())
}

/// Writes the comparison's report.html, embedding the SVGs saved in `charts/` (overlays)
/// and linking each member's `<id>/report.html`.
pub fn write_compare_report(
    out: &mut Outputs,
    c: &Comparison,
    manifests: &[Manifest],
) -> Result<()> {
    let charts = svg_charts(out.charts_of(""));
    let html = compare_page(c, manifests, &charts, true);
    out.write(REPORT_FILE, html.as_bytes())
}
