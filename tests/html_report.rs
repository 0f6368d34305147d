//! End-to-end: report.html after `dealsim run` and `dealsim compare` — present, exact
//! headline numbers, self-contained, well-formed and accessible HTML, skipped by
//! `--no-report`, and rendered by a real browser when one is installed.

mod common;

use common::{csv_table, dealsim_ok};

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use scraper::{Html, Selector};

/// The deterministic fixture with some volatility, so that every statistic differs.
fn scenario(name: &str, ceiling: &str) -> String {
    let t = common::with(common::DET, "company", "revenue_vol", "0.3");
    let t = common::with(&t, "company", "multiple_vol", "0.2");
    let t = common::with(&t, "channel", "ceiling", ceiling);
    common::with(&t, "meta", "name", &format!("\"{name}\""))
}

/// A folder with `base.toml` and `wide.toml` (a wider channel ceiling).
fn fixture() -> tempfile::TempDir {
    let dir = common::folder_with("base.toml", &scenario("Base", "0.2"));
    let wide = scenario(
        "Wide channel",
        "{ dist = \"triangular\", low = 0.1, mode = 0.3, high = 0.5 }",
    );
    fs::write(dir.path().join("wide.toml"), wide).unwrap();
    dir
}

fn run(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "run",
        "base.toml",
        "--paths",
        "200",
        "--quiet",
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    dealsim_ok(&args, dir);
    dir.join("out")
}

fn compare(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "compare",
        "base.toml",
        "wide.toml",
        "--paths",
        "200",
        "--quiet",
        "--out",
        "cmp",
    ];
    args.extend_from_slice(extra);
    dealsim_ok(&args, dir);
    dir.join("cmp")
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Asserts the headline numbers of `summary.csv` appear exactly in `html` (as the
/// `data-value` of their cells).
fn assert_headline_exact(html: &str, summary: &Path) {
    let (head, rows) = csv_table(summary);
    let metrics = [
        "npv_total",
        "npv_revenue_share",
        "npv_cloud_models",
        "npv_reverse_share",
        "npv_compute",
        "pv_stake",
    ];
    let mut checked = 0;
    for r in &rows {
        let stats: &[&str] = if metrics.contains(&r[0].as_str()) {
            &["mean", "std_error", "p5", "p50", "p95"]
        } else if r[0] == "cap_hit" {
            &["mean"]
        } else {
            &[]
        };
        for s in stats {
            let v = &r[col(&head, s)];
            assert!(!v.is_empty());
            assert!(
                html.contains(&format!("data-value=\"{v}\"")),
                "{} {s} = {v} not in the report exactly",
                r[0]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 31);
}

/// No network, no scripts, no external resources of any kind.
fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for bad in [
        "http", "src=", "<script", "<link", "url(", "@import", "<img", "<iframe",
    ] {
        assert!(!lower.contains(bad), "report contains {bad:?}");
    }
}

/// Parses without HTML errors, and the structure a reader and a screen reader need.
fn assert_valid_accessible(html: &str, svg_files: usize) -> Html {
    assert!(html.starts_with("<!doctype html>\n"));
    let doc = Html::parse_document(html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    let sel = |s: &str| Selector::parse(s).unwrap();
    let root = doc.select(&sel("html")).next().unwrap();
    assert_eq!(root.value().attr("lang"), Some("en"));
    let titles: Vec<_> = doc.select(&sel("head > title")).collect();
    assert_eq!(titles.len(), 1, "exactly one <title>");
    assert!(!titles[0].text().collect::<String>().trim().is_empty());
    assert_eq!(doc.select(&sel("h1")).count(), 1);
    let tables: Vec<_> = doc.select(&sel("table")).collect();
    assert!(tables.len() >= 3);
    for t in &tables {
        assert!(t.select(&sel("thead th[scope=col]")).count() >= 2);
        for th in t.select(&sel("th")) {
            let scope = th.value().attr("scope");
            assert!(
                matches!(scope, Some("col") | Some("row")),
                "th without scope"
            );
        }
        assert!(
            t.select(&sel("caption")).next().is_some(),
            "table without caption"
        );
    }
    for td in doc.select(&sel("td.num")) {
        assert!(td.value().attr("data-value").is_some());
    }
    let svgs: Vec<_> = doc.select(&sel("svg")).collect();
    assert_eq!(svgs.len(), svg_files, "one inline <svg> per chart file");
    for s in &svgs {
        let label = s.value().attr("aria-label").unwrap_or("");
        assert!(!label.trim().is_empty(), "svg without aria-label");
        assert_eq!(s.value().attr("role"), Some("img"));
        let title = s.select(&sel("title")).next().expect("svg without <title>");
        assert!(!title.text().collect::<String>().trim().is_empty());
        // Each chart has a caption saying how to read it.
        let fig = s
            .parent()
            .and_then(scraper::ElementRef::wrap)
            .expect("svg in figure");
        assert_eq!(fig.value().name(), "figure");
        assert!(fig.select(&sel("figcaption")).next().is_some());
    }
    // Ids are unique (charts are inlined side by side).
    let mut ids = HashSet::new();
    for e in doc.select(&sel("[id]")) {
        let id = e.value().attr("id").unwrap();
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
    }
    doc
}

fn svg_count(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .and_then(|x| x.to_str())
                    == Some("svg")
            })
            .count()
        })
        .unwrap_or(0)
}

#[test]
fn run_writes_a_self_contained_report_with_exact_headline_numbers() {
    let dir = fixture();
    let out = run(dir.path(), &[]);
    let html = read(&out.join("report.html"));
    assert_headline_exact(&html, &out.join("summary.csv"));
    assert_self_contained(&html);
    let charts = svg_count(&out.join("charts"));
    assert!(charts >= 10, "the run's charts are drawn ({charts})");
    let doc = assert_valid_accessible(&html, charts);
    // Sections: assumptions with units and distributions, cap timing, the manifest.
    let text: String = doc.root_element().text().collect();
    for s in [
        "Base",
        "Scenario assumptions",
        "channel.ceiling",
        "USD bn / year",
        "Cap timing",
        "Run manifest",
        "Scenario SHA-256",
    ] {
        assert!(text.contains(s), "report lacks {s:?}");
    }
    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("run.json"))).unwrap();
    let sha = manifest["scenario_sha256"].as_str().unwrap();
    assert!(html.contains(sha));
    // Every cap_hits.csv row is in the cap timing table, exactly.
    let (head, rows) = csv_table(&out.join("cap_hits.csv"));
    for r in rows {
        let p = &r[col(&head, "cumulative_probability")];
        assert!(
            html.contains(&format!("data-value=\"{p}\"")),
            "cap row {r:?}"
        );
    }
}

#[test]
fn distributions_read_like_calls() {
    let dir = fixture();
    dealsim_ok(
        &[
            "run",
            "wide.toml",
            "--paths",
            "50",
            "--quiet",
            "--out",
            "w",
            "--charts",
            "none",
        ],
        dir.path(),
    );
    let html = read(&dir.path().join("w/report.html"));
    assert!(html.contains("triangular(0.1, 0.3, 0.5)"));
    assert!(html.contains("drawn per path"));
    // No SVG charts: the report says so, and still parses.
    assert_valid_accessible(&html, 0);
}

#[test]
fn compare_writes_reports_for_the_comparison_and_each_scenario() {
    let dir = fixture();
    let out = compare(dir.path(), &[]);
    let html = read(&out.join("report.html"));
    assert_self_contained(&html);
    assert_valid_accessible(&html, svg_count(&out.join("charts")));
    for id in ["base", "wide"] {
        let sub = out.join(id);
        let own = read(&sub.join("report.html"));
        assert_headline_exact(&own, &sub.join("summary.csv"));
        assert_self_contained(&own);
        assert_valid_accessible(&own, svg_count(&sub.join("charts")));
        assert!(own.contains("href=\"../report.html\""));
        assert!(html.contains(&format!("href=\"./{id}/report.html\"")));
        // Side by side: each scenario's headline means, exactly.
        let (head, rows) = csv_table(&sub.join("summary.csv"));
        for r in rows
            .iter()
            .filter(|r| r[0].starts_with("npv_") || r[0] == "cap_hit")
        {
            let v = &r[col(&head, "mean")];
            assert!(
                html.contains(&format!("data-value=\"{v}\"")),
                "{id} {}",
                r[0]
            );
        }
    }
    // The paired deltas, exactly as compare_deltas.csv writes them.
    let (head, rows) = csv_table(&out.join("compare_deltas.csv"));
    for r in &rows {
        for c in [
            "mean_delta",
            "std_error_delta",
            "std_error_unpaired",
            "p5_delta",
            "p50_delta",
            "p95_delta",
            "prob_positive",
        ] {
            let v = &r[col(&head, c)];
            assert!(
                html.contains(&format!("data-value=\"{v}\"")),
                "{} {c} = {v}",
                r[1]
            );
        }
    }
    // What changed: the ceiling key with both values.
    assert!(html.contains("channel.ceiling"));
    assert!(html.contains("Paired SE") && html.contains("Unpaired SE"));
}

/// Every report.html under `dir`, recursively.
/// The report embeds the very charts saved in charts/ (issue 14: one pass, no folder
/// read back): each saved SVG's drawing, everything after its root tag, appears
/// verbatim in report.html, once per chart, for a run and for every compare folder.
#[test]
fn the_report_embeds_the_saved_chart_bytes() {
    let dir = fixture();
    let out = run(dir.path(), &["--charts", "svg"]);
    let cmp = compare(dir.path(), &["--charts", "both"]);
    for folder in [out, cmp.clone(), cmp.join("base"), cmp.join("wide")] {
        let html = read(&folder.join("report.html"));
        let mut n = 0;
        for e in fs::read_dir(folder.join("charts")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().and_then(|x| x.to_str()) != Some("svg") {
                continue;
            }
            let svg = read(&p);
            let root_end = svg
                .find("<svg")
                .and_then(|i| svg[i..].find('>').map(|j| i + j + 1));
            let drawing = &svg[root_end.expect("an <svg> root")..];
            assert!(drawing.len() > 200, "{}: a real drawing", p.display());
            assert_eq!(
                html.matches(drawing).count(),
                1,
                "{} inline once",
                p.display()
            );
            n += 1;
        }
        assert!(n > 0, "{}: charts were saved", folder.display());
        assert_eq!(
            html.matches("<figure class=\"chart\"").count(),
            n,
            "{}",
            folder.display()
        );
    }
}

fn reports(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            found.extend(reports(&p));
        } else if p.file_name().and_then(|n| n.to_str()) == Some("report.html") {
            found.push(p);
        }
    }
    found
}

#[test]
fn no_report_writes_none() {
    let dir = fixture();
    let out = run(dir.path(), &["--no-report", "--charts", "svg"]);
    assert!(out.join("summary.csv").is_file());
    assert_eq!(reports(&out), Vec::<PathBuf>::new());
    let out = compare(dir.path(), &["--no-report", "--charts", "none"]);
    assert!(out.join("compare_deltas.csv").is_file());
    assert_eq!(reports(&out), Vec::<PathBuf>::new());
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
        for d in std::env::split_paths(&path) {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The number of distinct RGB colours in a PNG file.
fn distinct_colours(png_path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let bytes = &buf[..info.buffer_size()];
    let step = info.color_type.samples() * (info.bit_depth as usize / 8).max(1);
    let mut colours = HashSet::new();
    for px in bytes.chunks_exact(step) {
        colours.insert((px[0], px[1.min(step - 1)], px[2.min(step - 1)]));
    }
    colours.len()
}

#[test]
fn a_browser_renders_the_report() {
    let Some(browser) = chromium() else {
        println!("skipped: chromium not installed");
        return;
    };
    let dir = fixture();
    let out = run(dir.path(), &[]);
    let cmp = compare(dir.path(), &[]);
    for (i, report) in [out.join("report.html"), cmp.join("report.html")]
        .iter()
        .enumerate()
    {
        let profile = tempfile::tempdir().unwrap();
        let shot = dir.path().join(format!("shot{i}.png"));
        let status = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1280,2000")
            .arg(format!("file://{}", report.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("chromium starts");
        assert!(status.success(), "chromium failed on {}", report.display());
        assert!(shot.is_file(), "no screenshot of {}", report.display());
        let n = distinct_colours(&shot);
        assert!(
            n >= 16,
            "screenshot of {} looks blank ({n} colours)",
            report.display()
        );
    }
}
