//! The report of one run: scenario and assumptions, headline numbers, charts, cap
//! timing, and the manifest. Pure: HTML text from the summary, scenario and manifest.

use std::fmt::Write;

use super::assumptions;
use super::figures::{figure, Chart};
use super::markup::{document, esc, facts, rounded, section, shown, table, Cell, Row, Show};
use crate::report::csv::num;
use crate::report::precision::{by_error, interval_error, money_by, money_pm, percent_by, seconds};
use crate::report::Manifest;
use crate::risk::{RiskSummary, Statistic};
use crate::scenario::Scenario;
use crate::summary::{ResultMetric, RunSummary};

/// What the report of one run is made from.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a> {
    pub summary: &'a RunSummary,
    pub risk: &'a RiskSummary,
    pub scenario: &'a Scenario,
    pub manifest: &'a Manifest,
    /// Relative link to the comparison this run belongs to, if any.
    pub parent: Option<&'a str>,
}

/// A result's label for readers (the CSV name is shown beside it).
pub fn label(m: ResultMetric) -> &'static str {
    match m {
        ResultMetric::NpvTotal => "Total NPV",
        ResultMetric::NpvRevenueShare => "NPV of the revenue share",
        ResultMetric::NpvCloudModels => "NPV of model sales margin",
        ResultMetric::NpvReverseShare => "NPV of the reverse share (cost)",
        ResultMetric::NpvCompute => "NPV of compute margin",
        ResultMetric::PvStake => "PV of the stake",
        ResultMetric::StakeGain => "Stake gain over today's mark",
        ResultMetric::RevenueShareTotal => "Revenue share received (undiscounted)",
        ResultMetric::StakeEnd => "Stake at the end",
        ResultMetric::CapHit => "Cap hit",
        ResultMetric::NpvLicence => "NPV of own-product value from the licence",
        ResultMetric::Renewed => "Licence renewed",
        ResultMetric::Renegotiated => "Revenue share renegotiated",
    }
}

/// How a result's numbers are displayed: money as amounts, the rest as percentages.
pub fn show_of(m: ResultMetric) -> Show {
    match m {
        ResultMetric::StakeEnd
        | ResultMetric::CapHit
        | ResultMetric::Renewed
        | ResultMetric::Renegotiated => Show::Percent,
        _ => Show::Amount,
    }
}

/// A result's unit as shown in tables.
pub fn unit_text(m: ResultMetric) -> &'static str {
    match m {
        ResultMetric::StakeEnd => "% of equity",
        ResultMetric::CapHit | ResultMetric::Renewed | ResultMetric::Renegotiated => "% of paths",
        _ => "USD bn",
    }
}

/// The median cap-hit year in words.
pub fn median_year_text(s: &RunSummary) -> String {
    match s.median_cap_hit_year {
        Some(y) => y.to_string(),
        None => String::from("none (fewer than half the paths hit the cap)"),
    }
}

fn header(r: &RunInput) -> String {
    let s = r.summary;
    let m = &s.meta;
    let mut h = String::from("<header>\n");
    if let Some(p) = r.parent {
        let _ = writeln!(
            h,
            "<p class=\"back\"><a href=\"{}\">← back to the comparison</a></p>",
            esc(p)
        );
    }
    let _ = writeln!(h, "<p class=\"kicker\">dealsim run report</p>");
    let _ = writeln!(h, "<h1>{}</h1>", esc(&m.name));
    if let Some(o) = crate::report::charts::style::overrides_note(m) {
        // The edits sit under the title: this is not the file's own result.
        let _ = writeln!(h, "<p class=\"overrides\">{}</p>", esc(&o));
    }
    if !m.description.is_empty() {
        let _ = writeln!(h, "<p class=\"lede\">{}</p>", esc(&m.description));
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\">Investor <strong>{}</strong> · company <strong>{}</strong> · \
         channel <strong>{}</strong> · cloud <strong>{}</strong></p>",
        esc(&m.investor),
        esc(&m.company),
        esc(&m.channel),
        esc(&m.cloud)
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">{}–{}, {} steps a year · {} paths · seed {} · money in USD \
         billions, NPVs discounted to 1 January {}</p>",
        s.start_year,
        s.end_year,
        s.steps_per_year,
        rounded(s.paths as f64, 0),
        s.seed,
        s.start_year
    );
    h.push_str(
        "<nav aria-label=\"Sections\"><a href=\"#headline\">Headline numbers</a> · \
         <a href=\"#risk\">Risk</a> · <a href=\"#scenario\">Assumptions</a> · <a href=\"#charts\">Charts</a> · \
         <a href=\"#cap\">Cap timing</a> · <a href=\"#manifest\">Run manifest</a></nav>\n",
    );
    h.push_str("</header>\n");
    h
}

/// One key figure: a label, a rounded value (exact in `data-value`), a note.
pub fn key_figure(label: &str, v: Option<f64>, text: &str, note: &str) -> String {
    let data = v
        .map(|v| format!(" data-value=\"{}\" title=\"{0}\"", num(v)))
        .unwrap_or_default();
    format!(
        "<div class=\"figure\"><p class=\"label\">{}</p><p class=\"value\"{data}>{}</p>\
         <p class=\"note\">{}</p></div>\n",
        esc(label),
        esc(text),
        esc(note)
    )
}

/// A number rounded to what its error supports (see `report::precision`), as a cell:
/// money by its error; probabilities and fractions as percentages.
fn by_error_cell(v: f64, err: f64, sh: Show) -> Cell {
    let text = match sh {
        Show::Percent => percent_by(v, err),
        _ => by_error(v, err, 2),
    };
    Cell::Shown(v, text)
}

/// The key figures and the table of every result (mean, SE, p5, p50, p95), each number
/// rounded to what its error supports (the exact value is in `data-value`).
pub fn headline(s: &RunSummary, risk: &RiskSummary) -> String {
    let npv = s.result(ResultMetric::NpvTotal);
    let npv_ci = risk.pct_ci(ResultMetric::NpvTotal);
    let cap = s.result(ResultMetric::CapHit);
    let err = |i: usize| interval_error(npv_ci[i].low, npv_ci[i].high);
    let mut out = String::from("<div class=\"figures\">\n");
    out.push_str(&key_figure(
        "Mean total NPV",
        Some(npv.mean),
        &money_by(npv.mean, npv.std_error),
        &format!(
            "{} (± 1 standard error of the mean)",
            money_pm(npv.mean, npv.std_error)
        ),
    ));
    out.push_str(&key_figure(
        "Median total NPV (p50)",
        Some(npv.p50()),
        &money_by(npv.p50(), err(2)),
        &format!(
            "90 % of paths between {} and {}",
            money_by(npv.p5(), err(0)),
            money_by(npv.p95(), err(4))
        ),
    ));
    let cap_row = risk.row(ResultMetric::CapHit, Statistic::ProbAbove, 0.5);
    let cap_err = cap_row.map_or(0.0, |r| interval_error(r.ci.low, r.ci.high));
    out.push_str(&key_figure(
        "P(cap hit)",
        Some(cap.mean),
        &percent_by(cap.mean, cap_err),
        &match (s.cap, cap_row) {
            (Some(c), Some(r)) => format!(
                "share of paths reaching the ${}bn cap (95 % interval {}–{})",
                num(c),
                percent_by(r.ci.low, cap_err),
                percent_by(r.ci.high, cap_err)
            ),
            (Some(c), None) => format!("share of paths reaching the ${}bn cap", num(c)),
            _ => String::from("share of paths reaching the cap"),
        },
    ));
    out.push_str(&key_figure(
        "Median cap-hit year",
        s.median_cap_hit_year.map(f64::from),
        &s.median_cap_hit_year
            .map(|y| y.to_string())
            .unwrap_or_else(|| "none".into()),
        "\"never\" counts as later than any year",
    ));
    // MODEL.md §6: the licence and renegotiation figures, when the scenario has them.
    let renegotiated = s.result(ResultMetric::Renegotiated).mean;
    if s.has_licence_value() {
        let lic = s.result(ResultMetric::NpvLicence);
        let renewed = s.result(ResultMetric::Renewed).mean;
        out.push_str(&key_figure(
            "Mean NPV of the licence's product value",
            Some(lic.mean),
            &format!("${}bn", shown(lic.mean, Show::Amount)),
            &format!(
                "in npv_total; licence renewed on {} of paths",
                shown(renewed, Show::Percent)
            ),
        ));
    }
    if renegotiated > 0.0 {
        out.push_str(&key_figure(
            "P(renegotiated)",
            Some(renegotiated),
            &shown(renegotiated, Show::Percent),
            "share of paths where the revenue share is renegotiated while it runs",
        ));
    }
    out.push_str("</div>\n");
    // The v2 rows only where they say something (a v1 scenario shows its v1 table).
    let shown_metric = |m: &ResultMetric| match m {
        ResultMetric::NpvLicence | ResultMetric::Renewed => s.has_licence_value(),
        ResultMetric::Renegotiated => renegotiated > 0.0,
        _ => true,
    };
    let rows: Vec<Row> = ResultMetric::ALL
        .iter()
        .filter(|m| shown_metric(m))
        .map(|&m| {
            let st = s.result(m);
            let ci = risk.pct_ci(m);
            let sh = show_of(m);
            let mut cells = vec![Cell::text(unit_text(m))];
            cells.push(by_error_cell(st.mean, st.std_error, sh));
            cells.push(Cell::Num(st.std_error, sh));
            for i in [0, 2, 4] {
                cells.push(by_error_cell(
                    st.pct[i],
                    interval_error(ci[i].low, ci[i].high),
                    sh,
                ));
            }
            Row::metric(label(m), m.name(), cells)
        })
        .collect();
    out.push_str(&table(
        "results",
        "Results across paths, each rounded to what its error supports (hover a number, or \
         see summary.csv, for its exact value)",
        &["Result", "Unit", "Mean", "Std. error", "p5", "p50", "p95"],
        &rows,
    ));
    out
}

/// How bad it can get and the chance of clearing thresholds: risk.csv as a table.
fn risk_section(risk: &RiskSummary) -> String {
    let mut out = String::from(
        "<p class=\"note\">VaR at 95 % is the value total NPV falls below on 5 % of paths; \
         ES (expected shortfall) is the average of those worst paths. Probabilities count the \
         paths beyond a threshold. Each comes with a 95 % interval for its Monte Carlo error \
         (see docs/outputs.md).</p>\n",
    );
    let rows: Vec<Row> = risk
        .rows
        .iter()
        .map(|r| {
            let err = interval_error(r.ci.low, r.ci.high);
            let (what, sh) = match r.statistic {
                Statistic::Var => (
                    format!("VaR {}", shown(r.level, Show::Percent)),
                    Show::Amount,
                ),
                Statistic::Es => (
                    format!("ES {}", shown(r.level, Show::Percent)),
                    Show::Amount,
                ),
                Statistic::ProbBelow => (format!("P(< {})", num(r.level)), Show::Percent),
                Statistic::ProbAbove => (format!("P(> {})", num(r.level)), Show::Percent),
            };
            Row::metric(
                label(r.metric),
                r.metric.name(),
                vec![
                    Cell::text(what),
                    by_error_cell(r.value, err, sh),
                    by_error_cell(r.ci.low, err, sh),
                    by_error_cell(r.ci.high, err, sh),
                ],
            )
        })
        .collect();
    out.push_str(&table(
        "risk",
        "Tails and probabilities with 95 % intervals (risk.csv)",
        &["Result", "Statistic", "Value", "95 % low", "95 % high"],
        &rows,
    ));
    out
}

fn scenario_section(sc: &Scenario) -> String {
    let mut out = String::from(
        "<p class=\"note\">Every key of the scenario as run (after <code>extends</code> and \
         <code>--set</code>). Distributions are drawn once per path: \
         <code>uniform(low, high)</code>, <code>triangular(low, mode, high)</code>, \
         <code>pert(low, mode, high)</code>, <code>normal(mean, sd)</code> (optionally \
         truncated to [min, max]), <code>lognormal(median, sigma of ln x)</code>. \
         Fractions: 0.2 = 20 %.</p>\n",
    );
    out.push_str(&table(
        "assumptions",
        "Assumptions",
        &["Key", "Value", "Varies", "Unit"],
        &assumptions::rows(sc),
    ));
    out
}

/// The charts as figures, or a note when none were drawn as SVG.
pub fn charts_section(charts: &[Chart], id_prefix: &str, overlay: bool) -> String {
    if charts.is_empty() {
        return String::from(
            "<p class=\"note\">No SVG charts were drawn for this run (see \
             <code>--charts</code>).</p>\n",
        );
    }
    let mut out = String::new();
    for (i, c) in charts.iter().enumerate() {
        out.push_str(&figure(c, i + 1, id_prefix, overlay));
    }
    out
}

fn cap_section(s: &RunSummary) -> String {
    let mut out = match s.cap {
        Some(c) => format!(
            "<p>The revenue share stops at a cumulative <strong>${}bn</strong> or after \
             {}, whichever comes first. Median cap-hit year: <strong>{}</strong>.</p>\n",
            num(c),
            s.revenue_share_end_year,
            esc(&median_year_text(s))
        ),
        None => format!(
            "<p>The cap is uncertain or there is none (paid through {}). Median cap-hit \
             year: <strong>{}</strong>.</p>\n",
            s.revenue_share_end_year,
            esc(&median_year_text(s))
        ),
    };
    let rows: Vec<Row> = s
        .cap_hits
        .iter()
        .map(|c| {
            Row::new(
                &c.year.to_string(),
                vec![
                    Cell::Num(c.probability, Show::Percent),
                    Cell::Num(c.cumulative_probability, Show::Percent),
                ],
            )
        })
        .collect();
    out.push_str(&table(
        "cap",
        "When the cap binds (cap_hits.csv)",
        &[
            "Year",
            "First hit in the year",
            "Hit by the end of the year",
        ],
        &rows,
    ));
    out
}

/// Arguments joined for a POSIX shell: quoted where they hold anything but safe characters.
pub fn command_line(args: &[String]) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(safe) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The run manifest (run.json) as a table.
pub fn manifest_table(m: &Manifest, caption: &str) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            String::from("(none)")
        } else {
            v.join(" ")
        }
    };
    facts(
        caption,
        &[
            ("dealsim version", m.dealsim_version.clone()),
            ("Scenario file", m.scenario_file.clone()),
            ("Files read", list(&m.scenario_files)),
            ("Scenario SHA-256", m.scenario_sha256.clone()),
            ("Seed", m.seed.to_string()),
            ("Paths", m.paths.to_string()),
            ("Threads", m.threads.to_string()),
            (
                "Steps",
                format!("{} ({} a year)", m.steps, m.steps_per_year),
            ),
            ("Years", format!("{}–{}", m.start_year, m.end_year)),
            ("Wall time", seconds(m.wall_time_seconds)),
            ("Overrides (--set)", list(&m.overrides)),
            ("Command line", command_line(&m.command_line)),
        ],
    )
}

/// The whole report of one run.
pub fn run_page(r: &RunInput, charts: &[Chart]) -> String {
    let s = r.summary;
    let mut body = header(r);
    body.push_str(&section(
        "headline",
        "Headline numbers",
        &headline(s, r.risk),
    ));
    body.push_str(&section(
        "risk",
        "How bad can it get?",
        &risk_section(r.risk),
    ));
    body.push_str(&section(
        "scenario",
        "Scenario assumptions",
        &scenario_section(r.scenario),
    ));
    body.push_str(&section(
        "charts",
        "Charts",
        &charts_section(charts, "", false),
    ));
    body.push_str(&section("cap", "Cap timing", &cap_section(s)));
    body.push_str(&section(
        "manifest",
        "Run manifest",
        &manifest_table(r.manifest, "How to reproduce this run (run.json)"),
    ));
    document(&format!("{} — dealsim report", s.meta.name), &body)
}
