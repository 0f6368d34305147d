//! The overlay charts of `dealsim compare`: written per `--charts`, standard size, not
//! blank, naming both scenarios and their axes.

mod common;

use common::dealsim;

use common::decode_png;

use std::collections::HashSet;

const STEMS: [&str; 8] = [
    "compare_npv_total_cdf",
    "compare_median_company_revenue",
    "compare_median_company_valuation",
    "compare_median_stake_value",
    "compare_median_revenue_share_cumulative",
    "compare_median_investor_cash_flow",
    "compare_components",
    "compare_npv_delta_histogram",
];

/// The deterministic fixture with some noise, so distributions have a width.
fn noisy(name: &str) -> String {
    let name = format!("\"{name}\"");
    common::with_all(
        common::DET,
        &[
            ("meta", "name", &name),
            common::MARKET_NOISE[0],
            common::MARKET_NOISE[1],
            common::MULTIPLE_NOISE,
        ],
    )
}

/// Runs `compare` of a baseline and a scenario with another cap and channel ceiling;
/// returns the temp dir (kept alive) and the output folder.
fn run_compare(charts: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = common::folder_with("base.toml", &noisy("Alpha Baseline"));
    let mut other = common::with(&noisy("Beta Variant"), "revenue_share", "cap", "9.0");
    other = common::with(&other, "channel", "ceiling", "0.5");
    std::fs::write(dir.path().join("variant.toml"), other).unwrap();
    let args = [
        "compare",
        "base.toml",
        "variant.toml",
        "--paths",
        "500",
        "-q",
        "--out",
        "c",
        "--charts",
        charts,
    ];
    let o = dealsim(&args, dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("c");
    (dir, out)
}

/// Pixels of colour `c`, drawn solid or slightly translucent (bars are 85% opaque).
fn near(px: &[[u8; 3]], c: [u8; 3]) -> usize {
    px.iter()
        .filter(|p| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) <= 40))
        .count()
}

#[test]
fn every_overlay_is_written_as_png_and_svg_with_both_scenarios() {
    let (_dir, out) = run_compare("both");
    let charts = out.join("charts");
    for stem in STEMS {
        let (w, h, px) = decode_png(&charts.join(format!("{stem}.png")));
        assert_eq!((w, h), (1200, 700), "{stem}");
        let colours: HashSet<[u8; 3]> = px.iter().copied().collect();
        assert!(colours.len() > 20, "{stem}: only {} colours", colours.len());
        let white = px.iter().filter(|p| **p == [255, 255, 255]).count() as f64 / px.len() as f64;
        assert!(white > 0.3 && white < 0.97, "{stem}: white share {white}");
        // The variant is drawn in the second series colour (orange), everywhere.
        assert!(near(&px, [230, 159, 0]) > 50, "{stem}: no orange series");
        if stem != "compare_npv_delta_histogram" {
            // The baseline in the first series colour (blue); the delta chart has no
            // baseline series of its own.
            assert!(near(&px, [0, 114, 178]) > 50, "{stem}: no blue series");
        }

        let svg = std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("Beta Variant"), "{stem}: variant not named");
        let base_named = svg.contains("Alpha Baseline") || svg.contains("[base]");
        assert!(base_named, "{stem}: baseline not named");
    }
    let svg = |stem: &str| std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap();
    let expect: [(&str, &[&str]); 5] = [
        (
            "compare_npv_total_cdf",
            &[
                "Total NPV (USD bn, discounted to the start)",
                "Probability that NPV",
            ],
        ),
        (
            "compare_median_revenue_share_cumulative",
            &[
                "Year",
                "Cumulative revenue share (USD bn)",
                "cap $12.5bn (base)",
            ],
        ),
        (
            "compare_median_company_revenue",
            &["Year", "Revenue in the quarter (USD bn)"],
        ),
        (
            "compare_components",
            &["NPV (USD bn, discounted to the start)", "Total NPV"],
        ),
        (
            "compare_npv_delta_histogram",
            &[
                "paired path by path",
                "Share of paths",
                "scenario − baseline",
                "0 = no change",
            ],
        ),
    ];
    for (stem, texts) in expect {
        let s = svg(stem);
        for t in texts {
            assert!(s.contains(t), "{stem}: no text {t:?}");
        }
    }
    // Overlays sit next to each scenario's own charts, which are still written.
    assert!(out.join("base/charts/npv_total_cdf.png").is_file());
    assert!(out.join("variant/charts/npv_total_cdf.png").is_file());
}

#[test]
fn svg_only_writes_no_png_and_none_writes_no_chart() {
    let (_dir, out) = run_compare("svg");
    for stem in STEMS {
        assert!(out.join(format!("charts/{stem}.svg")).is_file(), "{stem}");
        assert!(!out.join(format!("charts/{stem}.png")).exists(), "{stem}");
    }
    let (_dir, out) = run_compare("none");
    let charts = out.join("charts");
    let any = charts.is_dir() && std::fs::read_dir(&charts).unwrap().next().is_some();
    assert!(!any, "--charts none wrote into {}", charts.display());
    assert!(out.join("compare_summary.csv").is_file());
}
