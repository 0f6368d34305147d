//! The report of a sweep: what was swept, the chart of the chosen metric with its
//! standard errors, and a table of every point (mean ± SE and percentiles of that
//! metric; sweep.csv has every metric). Self-contained like every report.

use std::fmt::Write;

use anyhow::Result;

use super::figures::{svg_charts, Chart};
use super::markup::{document, esc, facts, rounded, section, table, Cell, Row};
use super::run::{charts_section, label, show_of, unit_text};
use crate::report::Outputs;
use crate::sweep::SweepResult;

/// The page, from the result and the chart SVGs.
pub fn sweep_page(r: &SweepResult, scenario_file: &str, charts: &[Chart]) -> String {
    let m = r.metric;
    let mut body = String::from("<header>\n<p class=\"kicker\">dealsim sweep report</p>\n");
    let _ = writeln!(
        body,
        "<h1>{}: sweep of {}</h1>",
        esc(&r.name),
        esc(&r.keys.join(" × "))
    );
    let _ = writeln!(
        body,
        "<p class=\"lede\">{} points, each on the same {} paths with seed {} (common random \
         numbers), so neighbouring points differ by their assumptions only. The chart and the \
         table show <strong>{}</strong> (<code>{}</code>); <code>sweep.csv</code> has every \
         result at every point.</p>\n</header>",
        r.points.len(),
        rounded(r.paths as f64, 0),
        r.seed,
        esc(label(m)),
        m.name()
    );
    let mut grid = Vec::new();
    for (i, key) in r.keys.iter().enumerate() {
        let mut vals: Vec<&str> = Vec::new();
        for p in &r.points {
            if !vals.contains(&p[i].as_str()) {
                vals.push(&p[i]);
            }
        }
        grid.push(Row::key(key, vec![Cell::Code(vals.join(", "))]));
    }
    let mut g = table(
        "facts",
        "Swept keys (the first varies slowest)",
        &["Key", "Values"],
        &grid,
    );
    g.push_str(&facts(
        "Run",
        &[
            ("scenario file", scenario_file.to_string()),
            ("paths per point", r.paths.to_string()),
            ("seed", r.seed.to_string()),
        ],
    ));
    body.push_str(&section("grid", "Grid", &g));
    if charts.is_empty() {
        let why = if (1..=2).contains(&r.keys.len()) {
            "No chart was drawn (--charts none or png)."
        } else {
            "A chart is drawn for one or two swept keys; see the table and sweep.csv."
        };
        body.push_str(&section("charts", "Chart", &format!("<p>{why}</p>\n")));
    } else {
        body.push_str(&section(
            "charts",
            "Chart",
            &charts_section(charts, "", false),
        ));
    }
    let mut head: Vec<String> = vec!["Point".into()];
    head.extend(r.keys.iter().cloned());
    head.extend(
        ["mean", "std error", "p5", "p50", "p95"]
            .iter()
            .map(|h| format!("{h} ({})", unit_text(m))),
    );
    let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
    let rows: Vec<Row> = r
        .points
        .iter()
        .zip(&r.stats)
        .enumerate()
        .map(|(k, (vals, st))| {
            let s = &st[m.index()];
            let mut cells: Vec<Cell> = vals.iter().map(|v| Cell::Code(v.clone())).collect();
            cells.extend(
                [s.mean, s.std_error, s.p5(), s.p50(), s.p95()].map(|v| Cell::Num(v, show_of(m))),
            );
            Row::new(&k.to_string(), cells)
        })
        .collect();
    body.push_str(&section(
        "points",
        "Every point",
        &table(
            "numbers",
            &format!(
                "{} at each point (hover a number for its exact value)",
                label(m)
            ),
            &head_refs,
            &rows,
        ),
    ));
    document(&format!("{} — sweep", r.name), &body)
}

/// Write report.html into the output folder, embedding the chart SVGs saved there.
pub fn write_sweep_report(out: &mut Outputs, r: &SweepResult, scenario_file: &str) -> Result<()> {
    let charts = svg_charts(out.charts_of(""));
    let html = sweep_page(r, scenario_file, &charts);
    out.write(super::REPORT_FILE, html.as_bytes())
}
