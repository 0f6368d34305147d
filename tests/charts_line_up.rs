//! Charts that line up (issue 18), end to end on the SVGs (the PNGs are rasterised from
//! them): shared axes across a comparison's members, one CDF x-range rule, `$tn` axes,
//! wrapped titles, labelled whiskers, and a note where overlaid lines coincide.

mod common;

use std::path::Path;

use common::{dealsim_ok, with_all, DET, MARKET_NOISE};

/// DET with market noise over 400 paths; every input a constant.
fn noisy() -> String {
    with_all(
        DET,
        &[
            MARKET_NOISE[0],
            MARKET_NOISE[1],
            ("simulation", "paths", "400"),
        ],
    )
}

/// `dealsim <command> a.toml <extra> --out <out> -q --charts <charts>` in `d`, without
/// report or workbook: the charts alone.
fn charts_only(d: &Path, command: &str, extra: &[&str], out: &str, charts: &str) {
    let args = [
        &[command, "a.toml"][..],
        extra,
        &[
            "--out",
            out,
            "-q",
            "--charts",
            charts,
            "--no-report",
            "--no-xlsx",
        ],
    ]
    .concat();
    dealsim_ok(&args, d);
}

/// The texts of an SVG's `<text>` elements, trimmed, in order.
fn texts(path: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

/// The money tick labels (`$120bn`, `$2.5tn`, `-$3bn`, `$0`) of a chart's value axis:
/// the largest set of money labels in one row or one column (bar value labels elsewhere
/// are not ticks).
fn money_ticks(path: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let attr = |tag: &str, name: &str| -> Option<String> {
        let i = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[i..i + tag[i..].find('"')?].to_string())
    };
    let mut found: Vec<(String, String, String)> = Vec::new();
    for t in svg.split("<text").skip(1) {
        let Some(close) = t.find('>') else { continue };
        let body = &t[close + 1..];
        let Some(end) = body.find("</text>") else {
            continue;
        };
        let text = body[..end].trim().to_string();
        let u = text.trim_start_matches('-');
        let money = u.starts_with('$')
            && !u.contains(' ')
            && (u == "$0" || u.ends_with("bn") || u.ends_with("tn"));
        if money {
            let tag = &t[..close];
            found.push((
                attr(tag, "x").unwrap_or_default(),
                attr(tag, "y").unwrap_or_default(),
                text,
            ));
        }
    }
    let mut best: Vec<String> = Vec::new();
    for key in found
        .iter()
        .flat_map(|(x, y, _)| [("x", x.clone()), ("y", y.clone())])
    {
        let group: Vec<String> = found
            .iter()
            .filter(|(x, y, _)| {
                if key.0 == "x" {
                    *x == key.1
                } else {
                    *y == key.1
                }
            })
            .map(|f| f.2.clone())
            .collect();
        if group.len() > best.len() {
            best = group;
        }
    }
    best
}

#[test]
fn members_of_a_comparison_share_their_axes() {
    let dir = common::folder_with("a.toml", &noisy());
    let d = dir.path();
    charts_only(
        d,
        "compare",
        &["--variant", "big: company.revenue0=60"],
        "c",
        "svg",
    );
    charts_only(d, "run", &[], "r", "svg");
    for chart in [
        "fan_company_revenue",
        "fan_investor_cash_flow",
        "npv_components",
        "annual_cash_flows",
        "npv_total_cdf",
        "npv_total_histogram",
    ] {
        let f = format!("charts/{chart}.svg");
        let a = money_ticks(&d.join("c/a").join(&f));
        let big = money_ticks(&d.join("c/big").join(&f));
        assert!(!a.is_empty(), "{chart}: no money ticks");
        assert_eq!(a, big, "{chart}: members on different axes");
        // Not just equal by accident: alone, the baseline draws a smaller range.
        if chart.starts_with("fan_") || chart == "annual_cash_flows" {
            let alone = money_ticks(&d.join("r").join(&f));
            assert_ne!(
                a, alone,
                "{chart}: the shared axis should cover the bigger member"
            );
        }
    }
}

#[test]
fn single_run_and_comparison_cdfs_use_the_same_x_range_rule() {
    let dir = common::folder_with("a.toml", &noisy());
    let d = dir.path();
    // A variant that changes nothing the CDF shows: the union of ranges is the file's own.
    charts_only(
        d,
        "compare",
        &["--variant", "same: meta.description=\"copy\""],
        "c",
        "svg",
    );
    charts_only(d, "run", &[], "r", "svg");
    let single = money_ticks(&d.join("r/charts/npv_total_cdf.svg"));
    let overlay = money_ticks(&d.join("c/charts/compare_npv_total_cdf.svg"));
    assert!(single.len() >= 3);
    assert_eq!(single, overlay);
    let note = texts(&d.join("r/charts/npv_total_cdf.svg")).join(" ");
    assert!(note.contains("axis shows p0.5–p97.5"), "{note}");
    // The coinciding lines are named, and told apart by dashes.
    let sub = texts(&d.join("c/charts/compare_npv_total_cdf.svg")).join(" ");
    assert!(
        sub.contains("lines coincide: same = a (drawn dashed over solid)"),
        "{sub}"
    );
}

#[test]
fn trillions_wrapped_titles_and_labelled_whiskers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let long =
        "A scenario with a deliberately long name that cannot fit on one chart line at all, \
                however small the font is allowed to become before it wraps";
    let text = common::with(&noisy(), "meta", "name", &format!("\"{long}\""));
    let text = common::with(&text, "company", "valuation0", "40000.0");
    std::fs::write(d.join("a.toml"), text).unwrap();
    charts_only(d, "run", &[], "r", "both");
    let charts = d.join("r/charts");
    // Valuations past $10,000bn are written in trillions, never `$30,000bn`.
    let ticks = money_ticks(&charts.join("fan_company_valuation.svg"));
    assert!(ticks.iter().any(|t| t.ends_with("tn")), "{ticks:?}");
    assert!(!ticks.iter().any(|t| t.ends_with("0,000bn")), "{ticks:?}");
    // The long title is on two lines, together the whole title.
    let t = texts(&charts.join("npv_components.svg"));
    assert!(!t[0].contains(long), "not wrapped: {}", t[0]);
    assert_eq!(
        format!("{} {}", t[0], t[1]),
        format!("{long}: NPV to Investor by component")
    );
    // Whiskers say what they are.
    assert!(
        t.iter().any(|x| x == "p5") && t.iter().any(|x| x == "p95"),
        "{t:?}"
    );
    // PNGs come out at the standard size, RGB.
    let (w, h, px) = common::decode_png(&charts.join("npv_components.png"));
    assert_eq!((w, h), (1200, 700));
    assert!(
        px.iter().any(|p| p[0] < 50 && p[1] < 50 && p[2] < 50),
        "no dark text"
    );
}
