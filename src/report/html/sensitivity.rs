//! The report of `dealsim sensitivity`: the headline variance ranking, why the rankings
//! differ, the rank correlations with their intervals, the one-at-a-time swings with the
//! input values, and the charts. Self-contained like every report.

use std::fmt::Write;

use anyhow::Result;

use super::figures::svg_charts;
use super::markup::{document, esc, rounded, section, table, Cell, Row, Show};
use super::run::{charts_section, command_line};
use crate::report::precision::{percent, signed, Gap};
use crate::report::Outputs;
use crate::sensitivity::{RankRow, Swing, VarianceRow};
use crate::summary::ResultMetric;

/// What the report shows, all computed by the command.
pub struct SensitivityInput<'a> {
    pub name: &'a str,
    /// `with revenue_share.cap=50` when the run had edits.
    pub overrides: Option<String>,
    pub paths: u64,
    pub seed: u64,
    /// Mean npv_total of the base run, USD bn.
    pub base_mean: f64,
    pub variance: &'a [VarianceRow],
    pub ranks: &'a [RankRow],
    pub swings: &'a [Swing],
    /// The terminal's sentences (variance overlap, why the rankings differ).
    pub notes: &'a [String],
    pub command_line: &'a [String],
}

pub fn sensitivity_page(r: &SensitivityInput, charts: &[super::Chart]) -> String {
    let mut body = String::from("<header>\n<p class=\"kicker\">dealsim sensitivity report</p>\n");
    let _ = writeln!(body, "<h1>{}: what drives the payoff</h1>", esc(r.name));
    if let Some(o) = &r.overrides {
        let _ = writeln!(body, "<p class=\"overrides\">{}</p>", esc(o));
    }
    let _ = writeln!(
        body,
        "<p class=\"lede\">Every run below uses the same {} paths with seed {} (common random \
         numbers), so each difference is paired. Base mean total NPV: {} USD bn.</p>",
        rounded(r.paths as f64, 0),
        r.seed,
        rounded(r.base_mean, 2)
    );
    for n in r.notes {
        let _ = writeln!(body, "<p class=\"note\">{}</p>", esc(n));
    }
    body.push_str(
        "<nav aria-label=\"Sections\"><a href=\"#variance\">What moves the result</a> · \
         <a href=\"#ranks\">Rank correlations</a> · <a href=\"#swings\">One at a time</a> · \
         <a href=\"#charts\">Charts</a></nav>\n</header>\n",
    );
    let rows: Vec<Row> = r
        .variance
        .iter()
        .map(|v| {
            Row::new(
                &v.source,
                vec![
                    Cell::text(v.kind),
                    Cell::Code(v.frozen_at.clone()),
                    Cell::Shown(v.share, percent(v.share, 0, Gap::Space)),
                    Cell::Num(v.std_dev, Show::Amount),
                ],
            )
        })
        .collect();
    let mut v = String::from(
        "<p class=\"note\">Method: each source is frozen in turn on the same paths (a drawn \
         input at its median, a group of per-path shocks switched off by setting its \
         volatility to 0) and its share is 1 − Var(frozen) / Var(base) of total NPV: a \
         one-point estimate of the variance it accounts for (Var Y − Var(Y | X = x*), the \
         quantity behind a first-order Sobol index). Sources that multiply share their \
         interactions, so shares can add up to more than 100 %; the last row is 1 minus their \
         sum.</p>\n",
    );
    v.push_str(&table(
        "data",
        "Share of the variance of npv_total (sensitivity_variance.csv)",
        &[
            "Source",
            "Kind",
            "Frozen at",
            "Share",
            "sd with it frozen, USD bn",
        ],
        &rows,
    ));
    body.push_str(&section("variance", "What moves the result", &v));
    let rows: Vec<Row> = r
        .ranks
        .iter()
        .filter(|x| x.target == ResultMetric::NpvTotal)
        .map(|x| {
            Row::key(
                &x.input,
                vec![
                    Cell::Shown(x.corr.rho, signed(x.corr.rho, 3)),
                    Cell::Shown(x.corr.lo, signed(x.corr.lo, 3)),
                    Cell::Shown(x.corr.hi, signed(x.corr.hi, 3)),
                ],
            )
        })
        .collect();
    body.push_str(&section(
        "ranks",
        "Rank correlations with total NPV",
        &table(
            "data",
            "Spearman's rho and its 95 % interval (sensitivity.csv)",
            &["Uncertain input", "rho", "95 % low", "95 % high"],
            &rows,
        ),
    ));
    let rows: Vec<Row> = r
        .swings
        .iter()
        .map(|s| {
            Row::key(
                &s.input,
                vec![
                    Cell::text(s.kind),
                    Cell::Shown(
                        s.low_value,
                        crate::report::precision::short_value(s.low_value),
                    ),
                    Cell::Num(s.mean_low[0] - r.base_mean, Show::Amount),
                    Cell::Shown(
                        s.high_value,
                        crate::report::precision::short_value(s.high_value),
                    ),
                    Cell::Num(s.mean_high[0] - r.base_mean, Show::Amount),
                ],
            )
        })
        .collect();
    body.push_str(&section(
        "swings",
        "One at a time",
        &table(
            "data",
            "Change in mean total NPV vs the base run, USD bn, with the input at its low and \
             high value (sensitivity_oat.csv)",
            &[
                "Input",
                "Swing",
                "Low value",
                "Change at low",
                "High value",
                "Change at high",
            ],
            &rows,
        ),
    ));
    body.push_str(&charts_section(charts, "fig", false));
    body.push_str(&section(
        "manifest",
        "Command",
        &format!(
            "<p><code>{}</code></p>\n",
            esc(&command_line(r.command_line))
        ),
    ));
    document(&format!("{}: sensitivity", r.name), &body)
}

/// Writes report.html for a sensitivity run, embedding the SVGs saved in `charts/`.
pub fn write_sensitivity_report(out: &mut Outputs, r: &SensitivityInput) -> Result<()> {
    let charts = svg_charts(out.charts_of(""));
    let html = sensitivity_page(r, &charts);
    out.write(super::REPORT_FILE, html.as_bytes())
}
