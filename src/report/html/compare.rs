//! The report of a comparison: the scenarios' headline numbers side by side, what
//! changed against the baseline, the paired deltas, the overlay charts, and links to each
//! scenario's own report.

use std::fmt::Write;

use super::figures::Chart;
use super::markup::{document, esc, rounded, section, table, Cell, Row, Show};
use super::markup::{facts, shown};
use super::run::{charts_section, command_line, key_figure, label, show_of, unit_text};
use crate::compare::{Comparison, Delta};
use crate::report::precision::plain;
use crate::report::Manifest;
use crate::summary::ResultMetric;

fn header(c: &Comparison) -> String {
    let base = &c.members[0];
    let names: Vec<String> = crate::compare::display_names(c)
        .iter()
        .map(|n| esc(n))
        .collect();
    let s = &base.summary;
    let mut h = String::from("<header>\n<p class=\"kicker\">dealsim comparison report</p>\n");
    let _ = writeln!(h, "<h1>{}</h1>", names.join(" vs "));
    let _ = writeln!(
        h,
        "<p class=\"lede\">Baseline: <strong>{}</strong> ({}). Every scenario ran on the same \
         {} paths with seed {} (common random numbers), so path <em>i</em> of each sees the \
         same shocks and the paired differences isolate the assumptions.</p>",
        esc(&s.meta.name),
        esc(&base.id),
        rounded(s.paths as f64, 0),
        s.seed
    );
    h.push_str(
        "<nav aria-label=\"Sections\"><a href=\"#side-by-side\">Side by side</a> · \
         <a href=\"#changes\">What changed</a> · <a href=\"#deltas\">Paired deltas</a> · \
         <a href=\"#charts\">Charts</a> · <a href=\"#scenarios\">Scenarios</a> · \
         <a href=\"#manifest\">Run manifest</a></nav>\n</header>\n",
    );
    h
}

/// Means of every result (and the median cap-hit year), one column per scenario.
fn side_by_side(c: &Comparison) -> String {
    let mut head: Vec<String> = vec!["Result".into(), "Unit".into()];
    for (i, m) in c.members.iter().enumerate() {
        let role = if i == 0 { " (baseline)" } else { "" };
        head.push(format!("{}{role}", m.id));
    }
    let mean_row = |r: ResultMetric| {
        let mut cells = vec![Cell::text(unit_text(r))];
        cells.extend(
            c.members
                .iter()
                .map(|m| Cell::Num(m.summary.result(r).mean, show_of(r))),
        );
        Row::metric(&format!("{}, mean", label(r)), r.name(), cells)
    };
    let npv = ResultMetric::NpvTotal;
    let mut rows = vec![mean_row(npv)];
    for (what, idx) in [("p5", 0), ("p50", 2), ("p95", 4)] {
        let mut cells = vec![Cell::text("USD bn")];
        cells.extend(
            c.members
                .iter()
                .map(|m| Cell::Num(m.summary.result(npv).pct[idx], Show::Amount)),
        );
        rows.push(Row::metric(
            &format!("{}, {what}", label(npv)),
            npv.name(),
            cells,
        ));
    }
    rows.extend(ResultMetric::ALL.iter().skip(1).map(|&r| mean_row(r)));
    let mut cells = vec![Cell::text("year")];
    cells.extend(
        c.members
            .iter()
            .map(|m| match m.summary.median_cap_hit_year {
                Some(y) => Cell::Num(f64::from(y), Show::Exact),
                None => Cell::RightText("none".into()),
            }),
    );
    rows.push(Row::new("Median cap-hit year", cells));
    let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
    let mut out = key_deltas(c);
    out.push_str(&table(
        "side",
        "Means across paths per scenario, and the spread of total NPV \
         (compare_summary.csv; each scenario's report has every statistic)",
        &head_refs,
        &rows,
    ));
    out
}

/// One key figure per scenario: its paired mean difference in total NPV.
fn key_deltas(c: &Comparison) -> String {
    let base = &c.members[0];
    let mut out = String::from("<div class=\"figures\">\n");
    for (m, ds) in c.members.iter().skip(1).zip(&c.deltas) {
        let Some(d) = ds.iter().find(|d| d.metric == ResultMetric::NpvTotal) else {
            continue;
        };
        // −$30.30bn, not $-30.30bn.
        let sign = if d.mean > 0.0 {
            "+"
        } else if d.mean < 0.0 {
            "−"
        } else {
            ""
        };
        out.push_str(&key_figure(
            &format!("Total NPV, {} − {}", m.id, base.id),
            Some(d.mean),
            &format!("{sign}${}bn", shown(d.mean.abs(), Show::Amount)),
            &format!(
                "± {} paired standard error; higher on {} of paths",
                shown(d.std_error, Show::Amount),
                shown(d.prob_positive, Show::Percent)
            ),
        ));
    }
    out.push_str("</div>\n");
    out
}

fn changes(c: &Comparison) -> String {
    let base = &c.members[0];
    let mut out = String::new();
    for m in c.members.iter().skip(1) {
        let cap = format!("{} against {}", m.id, base.id);
        if m.changed.is_empty() {
            let _ = writeln!(
                out,
                "<p><strong>{}</strong>: no key differs from the baseline.</p>",
                esc(&cap)
            );
            continue;
        }
        let rows: Vec<Row> = m
            .changed
            .iter()
            .map(|(k, a, b)| Row::key(k, vec![Cell::Code(a.clone()), Cell::Code(b.clone())]))
            .collect();
        out.push_str(&table(
            "changes",
            &cap,
            &["Key", &format!("{} (baseline)", base.id), &m.id],
            &rows,
        ));
    }
    out
}

fn delta_row(d: &Delta) -> Row {
    let (sh, unit) = match show_of(d.metric) {
        Show::Percent => (Show::Points, "percentage points"),
        other => (other, unit_text(d.metric)),
    };
    let mut cells = vec![Cell::text(unit)];
    cells.extend(
        [
            d.mean,
            d.std_error,
            d.std_error_unpaired,
            d.pct[0],
            d.pct[1],
            d.pct[2],
        ]
        .map(|v| Cell::Num(v, sh)),
    );
    cells.push(Cell::Num(d.prob_positive, Show::Percent));
    Row::metric(label(d.metric), d.metric.name(), cells)
}

fn deltas(c: &Comparison) -> String {
    let base = &c.members[0];
    let mut out = String::from(
        "<p class=\"note\">Δ = scenario − baseline, path by path. The paired standard error \
         uses the spread of the differences; the unpaired one is what two independent runs \
         would give. P(Δ&gt;0) is the share of paths where the scenario does better.</p>\n",
    );
    for (m, ds) in c.members.iter().skip(1).zip(&c.deltas) {
        let rows: Vec<Row> = ds.iter().map(delta_row).collect();
        out.push_str(&table(
            "deltas",
            &format!("{} minus {} (compare_deltas.csv)", m.id, base.id),
            &[
                "Result",
                "Unit",
                "Mean Δ",
                "Paired SE",
                "Unpaired SE",
                "p5 Δ",
                "p50 Δ",
                "p95 Δ",
                "P(Δ>0)",
            ],
            &rows,
        ));
    }
    out
}

fn scenarios(c: &Comparison, manifests: &[Manifest], reports: bool) -> String {
    let mut out = String::from("<ul class=\"scenarios\">\n");
    for (i, m) in c.members.iter().enumerate() {
        let s = &m.summary;
        let file = manifests
            .get(i)
            .map(|x| x.scenario_file.as_str())
            .unwrap_or("");
        let link = if reports {
            // Relative and percent-encoded: a member named `javascript:alert(1)` links to
            // the folder `./javascript%3Aalert(1)/`, never to a scheme.
            let href = crate::escape::relative_link(&m.id, "report.html");
            format!(" — <a href=\"{}\">full report</a>", esc(&href))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<li><strong>{}</strong> <code>{}</code>{}{link}<br>{} <span class=\"file\">({}/, from \
             {})</span></li>",
            esc(&s.meta.name),
            esc(&m.id),
            if i == 0 { " (baseline)" } else { "" },
            esc(&s.meta.description),
            esc(&m.id),
            esc(file)
        );
    }
    out.push_str("</ul>\n");
    out
}

/// What all members share (version, seed, paths, grid, command line), then one row per
/// scenario file with its hash.
fn manifest(manifests: &[Manifest]) -> String {
    let Some(first) = manifests.first() else {
        return String::new();
    };
    let mut out = facts(
        "Common to every scenario (each folder's run.json has the rest)",
        &[
            ("dealsim version", first.dealsim_version.clone()),
            ("Seed", first.seed.to_string()),
            ("Paths", first.paths.to_string()),
            ("Threads", first.threads.to_string()),
            (
                "Steps",
                format!("{} ({} a year)", first.steps, first.steps_per_year),
            ),
            ("Command line", command_line(&first.command_line)),
        ],
    );
    let rows: Vec<Row> = manifests
        .iter()
        .map(|m| {
            let over = if m.overrides.is_empty() {
                String::from("(none)")
            } else {
                m.overrides.join(" ")
            };
            Row::key(
                &m.scenario_file,
                vec![
                    Cell::Code(m.scenario_files.join(" ")),
                    Cell::Text(format!("{}–{}", m.start_year, m.end_year)),
                    Cell::Code(m.scenario_sha256.clone()),
                    Cell::Code(over),
                    Cell::RightText(plain(m.wall_time_seconds, 2)),
                ],
            )
        })
        .collect();
    out.push_str(&table(
        "facts",
        "Per scenario",
        &[
            "Scenario file",
            "Files read",
            "Years",
            "SHA-256",
            "Overrides",
            "Wall time, s",
        ],
        &rows,
    ));
    out
}

/// The whole comparison report. `manifests` are the members' in order; `charts` the
/// comparison's own (overlay) charts; `reports` whether each member has its own report.
pub fn compare_page(
    c: &Comparison,
    manifests: &[Manifest],
    charts: &[Chart],
    reports: bool,
) -> String {
    let mut body = header(c);
    body.push_str(&section(
        "side-by-side",
        "Headline numbers side by side",
        &side_by_side(c),
    ));
    body.push_str(&section(
        "changes",
        "What changed against the baseline",
        &changes(c),
    ));
    body.push_str(&section("deltas", "Paired differences", &deltas(c)));
    let chart_html = if charts.is_empty() {
        String::from(
            "<p class=\"note\">No overlay charts in this comparison's <code>charts/</code> \
             folder; each scenario's report has its own charts.</p>\n",
        )
    } else {
        charts_section(charts, "cmp-", true)
    };
    body.push_str(&section("charts", "Charts", &chart_html));
    body.push_str(&section(
        "scenarios",
        "Scenarios",
        &scenarios(c, manifests, reports),
    ));
    body.push_str(&section("manifest", "Run manifest", &manifest(manifests)));
    let names: Vec<&str> = c.members.iter().map(|m| m.id.as_str()).collect();
    document(
        &format!("Comparison {} — dealsim report", names.join(" vs ")),
        &body,
    )
}
