//! Charts from a synthetic but plausible run summary: every file is written in the
//! requested formats, PNGs decode at the standard size and are not blank, SVGs carry
//! their titles and axis labels as text, and text renders with no system fonts at all.

mod common;

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::decode_png;
use dealsim::date::Date;
use dealsim::report::charts::{render_run_charts, save, ChartFormat};
use dealsim::scenario::Meta;
use dealsim::summary::{
    Band, CapHitYear, Distribution, PeriodSummary, ResultMetric, RunSummary, SeriesMetric, Stats,
};

const STEMS: [&str; 10] = [
    "fan_company_revenue",
    "fan_company_valuation",
    "fan_stake_value",
    "fan_revenue_share_cumulative",
    "fan_investor_cash_flow",
    "npv_total_histogram",
    "npv_total_cdf",
    "npv_components",
    "cap_timing",
    "annual_cash_flows",
];

/// A lognormal-looking band around `median`: log-spread `sigma`, mean above the median.
fn band(median: f64, sigma: f64) -> Band {
    let z = [-1.645, -0.674, 0.0, 0.674, 1.645];
    Band {
        mean: median * (sigma * sigma / 2.0).exp(),
        pct: z.map(|z| median * (z * sigma).exp()),
    }
}

fn stats(mean: f64, pct: [f64; 5]) -> Stats {
    let std_dev = (pct[4] - pct[0]) / 3.29;
    Stats {
        mean,
        std_dev,
        std_error: std_dev / 100.0,
        pct,
        min: pct[0] * 1.5 - 10.0,
        max: pct[4] * 1.5,
    }
}

/// Quantile `p` of a shifted log-logistic (close to a lognormal; invertible in closed form).
fn npv_quantile(p: f64) -> f64 {
    let z = (p.clamp(0.0005, 0.9995) / (1.0 - p.clamp(0.0005, 0.9995))).ln() * 0.3;
    -20.0 + 130.0 * z.exp()
}

fn npv_cdf(v: f64) -> f64 {
    if v <= -20.0 {
        return 0.0;
    }
    let z = ((v + 20.0) / 130.0).ln() / 0.3;
    1.0 / (1.0 + (-z).exp())
}

/// 40 quarters of 2026–2035, a $38bn cap on a revenue share that ends after 2030.
fn summary(cap: Option<f64>) -> RunSummary {
    let meta = Meta {
        name: "Test Deal".into(),
        description: "synthetic".into(),
        investor: "Bigsoft".into(),
        company: "Acme AI".into(),
        channel: "Rivalnet".into(),
        cloud: "Skyward".into(),
        overrides: Vec::new(),
    };
    let mut periods = Vec::new();
    let mut cum = [0.0; 5];
    for k in 0..40u32 {
        let years = f64::from(k + 1) / 4.0;
        let sigma = 0.08 + 0.07 * years;
        let revenue = band(3.0 * 1.25f64.powf(years), sigma);
        let valuation = band(300.0 * 1.2f64.powf(years), sigma * 1.3);
        let year = 2026 + (k / 4) as i32;
        let share_runs = year <= 2030;
        let mut paid = [0.0; 5];
        for (i, c) in cum.iter_mut().enumerate() {
            let add = if share_runs {
                0.2 * revenue.pct[i]
            } else {
                0.0
            };
            let capped = cap.map_or(*c + add, |cap| (*c + add).min(cap));
            paid[i] = capped - *c;
            *c = capped;
        }
        let rs_mean = paid[2] * 1.05;
        let cloud = 0.1 * revenue.pct[2];
        let compute = 0.05 * revenue.pct[2];
        let reverse = -0.2 * cloud;
        let cf = rs_mean + cloud + compute + reverse;
        let mut bands = [Band::default(); dealsim::summary::N_SERIES];
        bands[SeriesMetric::CompanyRevenue.index()] = revenue;
        bands[SeriesMetric::CompanyValuation.index()] = valuation;
        bands[SeriesMetric::ChannelRevenue.index()] = band(0.3 * revenue.pct[2], sigma);
        bands[SeriesMetric::RevenueShare.index()] = Band {
            mean: rs_mean,
            pct: paid,
        };
        bands[SeriesMetric::RevenueShareCumulative.index()] = Band {
            mean: cum[2] * 1.02,
            pct: cum,
        };
        bands[SeriesMetric::StakeFraction.index()] = band(0.27 * 0.97f64.powf(years), 0.02);
        bands[SeriesMetric::StakeValue.index()] =
            band(0.27 * 300.0 * 1.18f64.powf(years), sigma * 1.3);
        bands[SeriesMetric::InvestorCashFlow.index()] = Band {
            mean: cf,
            pct: [
                cf - 3.0 * sigma * cf,
                cf - sigma * cf,
                cf,
                cf + sigma * cf,
                cf + 3.0 * sigma * cf,
            ],
        };
        periods.push(PeriodSummary {
            period_end: Date::month_end(2026, 3 * k + 2),
            year,
            t: 2026.0 + years,
            bands,
            revenue_share: rs_mean,
            cloud_model_margin: cloud,
            reverse_share: reverse,
            compute_margin: compute,
            licence_value: 0.0,
            discount_factor: 1.09f64.powf(-years),
            pv_investor_cash_flow: cf * 1.09f64.powf(-years),
        });
    }
    // Like the engine: one row per year, all zero when nothing is capped.
    let first_hit = match cap {
        Some(_) => [0.0, 0.01, 0.07, 0.18, 0.22, 0.0, 0.0, 0.0, 0.0, 0.0],
        None => [0.0; 10],
    };
    let mut acc = 0.0;
    let cap_hits = (2026..=2035)
        .zip(first_hit)
        .map(|(year, probability)| {
            acc += probability;
            CapHitYear {
                year,
                probability,
                cumulative_probability: acc,
            }
        })
        .collect();
    let quantiles: Vec<(f64, f64)> = (0..=200)
        .map(|i| f64::from(i) / 200.0)
        .map(|p| (p, npv_quantile(p)))
        .collect();
    // Like the engine: 40 bins over p0.5..p99.5, the rest counted below and above.
    let (lo, hi) = (quantiles[1].1, quantiles[199].1);
    let edges: Vec<f64> = (0..=40)
        .map(|i| lo + (hi - lo) * f64::from(i) / 40.0)
        .collect();
    let counts = edges
        .windows(2)
        .map(|e| (10_000.0 * (npv_cdf(e[1]) - npv_cdf(e[0]))).round() as u64)
        .collect();
    let below = (10_000.0 * npv_cdf(lo)).round() as u64;
    let above = (10_000.0 * (1.0 - npv_cdf(hi))).round() as u64;

    let mut results = [Stats::default(); dealsim::summary::N_RESULTS];
    let set =
        |r: &mut [Stats; dealsim::summary::N_RESULTS], m: ResultMetric, s: Stats| r[m.index()] = s;
    set(
        &mut results,
        ResultMetric::NpvTotal,
        stats(
            121.0,
            [npv_quantile(0.05), 80.0, 110.0, 150.0, npv_quantile(0.95)],
        ),
    );
    set(
        &mut results,
        ResultMetric::NpvRevenueShare,
        stats(27.0, [18.0, 24.0, 27.5, 30.0, 31.0]),
    );
    set(
        &mut results,
        ResultMetric::NpvCloudModels,
        stats(14.0, [6.0, 10.0, 13.0, 17.0, 25.0]),
    );
    set(
        &mut results,
        ResultMetric::NpvReverseShare,
        stats(-2.8, [-5.0, -3.4, -2.6, -2.0, -1.2]),
    );
    set(
        &mut results,
        ResultMetric::NpvCompute,
        stats(7.0, [3.0, 5.0, 6.5, 8.5, 12.0]),
    );
    set(
        &mut results,
        ResultMetric::PvStake,
        stats(76.0, [20.0, 45.0, 66.0, 98.0, 170.0]),
    );
    RunSummary {
        meta,
        paths: 10_000,
        seed: 42,
        start_year: 2026,
        end_year: 2035,
        steps_per_year: 4,
        revenue_share_end_year: 2030,
        cap,
        results,
        periods,
        cap_hits,
        renegotiation_by_year: vec![0.0; 10],
        median_cap_hit_year: None,
        npv_total_dist: Distribution {
            quantiles,
            edges,
            counts,
            below,
            above,
        },
    }
}

/// plotters escapes SVG text like this, so "Bigsoft's" appears as "Bigsoft&apos;s".
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

/// Share of pixels in rows `rows` that are clearly darker than the white page.
fn dark_share(width: u32, px: &[[u8; 3]], rows: std::ops::Range<u32>) -> f64 {
    let w = width as usize;
    let strip = &px[rows.start as usize * w..rows.end as usize * w];
    strip.iter().filter(|p| p.iter().all(|&c| c < 120)).count() as f64 / strip.len() as f64
}

/// The contents of the SVG's `<text>` elements, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|el| {
            let body = el.split_once('>')?.1;
            Some(body.split_once("</text>")?.0.trim().to_string())
        })
        .collect()
}

/// `s`'s run charts rendered in `format` and saved into `dir`: the files written.
fn render_and_save(s: &RunSummary, format: ChartFormat, dir: &std::path::Path) -> Vec<PathBuf> {
    save(&render_run_charts(s, format).unwrap(), dir).unwrap()
}

fn written_names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_formats_write_every_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    let files = render_and_save(&summary(Some(38.0)), ChartFormat::Both, &out);
    let expected: Vec<String> = STEMS
        .iter()
        .flat_map(|s| [format!("{s}.png"), format!("{s}.svg")])
        .collect();
    assert_eq!(written_names(&files), expected);
    for f in &files {
        assert!(f.starts_with(&out) && f.is_file(), "{}", f.display());
    }
    let mut on_disk: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(on_disk, want, "no other files in the chart directory");
}

#[test]
fn pngs_have_the_standard_size_and_content() {
    let dir = tempfile::tempdir().unwrap();
    render_and_save(&summary(Some(38.0)), ChartFormat::Png, dir.path());
    for stem in STEMS {
        let (w, h, px) = decode_png(&dir.path().join(format!("{stem}.png")));
        assert_eq!((w, h), (1200, 700), "{stem}");
        let colours: HashSet<[u8; 3]> = px.iter().copied().collect();
        assert!(colours.len() > 20, "{stem}: only {} colours", colours.len());
        // White page, but not blank: data and text cover a visible share of it.
        let white = px.iter().filter(|p| **p == [255, 255, 255]).count() as f64 / px.len() as f64;
        assert!(white > 0.3 && white < 0.97, "{stem}: white share {white}");
        assert!(
            dark_share(w, &px, 10..45) > 0.005,
            "{stem}: no title text at the top"
        );
    }
}

#[test]
fn svgs_carry_titles_and_axis_labels_as_text() {
    let dir = tempfile::tempdir().unwrap();
    render_and_save(&summary(Some(38.0)), ChartFormat::Svg, dir.path());
    let expect: [(&str, &[&str]); 10] = [
        (
            "fan_company_revenue",
            &[
                "Test Deal: Acme AI revenue per quarter",
                "Revenue in the quarter (USD bn)",
                "Year",
                "2030",
                "median",
            ],
        ),
        (
            "fan_company_valuation",
            &["Test Deal: Acme AI valuation", "Valuation (USD bn)", "Year"],
        ),
        (
            "fan_stake_value",
            &[
                "Test Deal: value of Bigsoft's stake in Acme AI",
                "Stake value (USD bn)",
                "Year",
            ],
        ),
        (
            "fan_revenue_share_cumulative",
            &[
                "Test Deal: revenue share received by Bigsoft",
                "Cumulative revenue share (USD bn)",
                "cap $38bn",
                "revenue share ends (end of 2030)",
            ],
        ),
        (
            "fan_investor_cash_flow",
            &[
                "Test Deal: Bigsoft cash flow per quarter",
                "Cash flow in the quarter (USD bn)",
                "Year",
            ],
        ),
        (
            "npv_total_histogram",
            &[
                "Test Deal: distribution of total NPV to Bigsoft",
                "Total NPV (USD bn",
                "Share of paths",
                "median $110bn",
                "mean $121bn",
            ],
        ),
        (
            "npv_total_cdf",
            &[
                "Test Deal: cumulative distribution of total NPV",
                "Total NPV (USD bn",
                "Probability that NPV",
            ],
        ),
        (
            "npv_components",
            &[
                "Test Deal: NPV to Bigsoft by component",
                "NPV (USD bn",
                "Revenue share from Acme AI",
                "Model margin on Skyward",
                "Reverse share to Acme AI",
                "Compute margin on Skyward",
                "Stake in Acme AI (PV)",
                "Total NPV",
            ],
        ),
        (
            "cap_timing",
            &[
                "Test Deal: when Bigsoft's $38bn revenue-share cap is reached",
                "Probability",
                "Year",
                "40%",
            ],
        ),
        (
            "annual_cash_flows",
            &[
                "Test Deal: expected annual cash flows to Bigsoft",
                "Expected cash flow in the year (USD bn)",
                "Year",
                "net cash flow",
            ],
        ),
    ];
    for (stem, texts) in expect {
        let svg = fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{stem}"
        );
        assert!(svg.contains(r#"width="1200" height="700""#), "{stem}");
        let found = svg_texts(&svg);
        for t in texts {
            assert!(
                found.iter().any(|f| f.starts_with(&xml(t))),
                "{stem}: no <text> starting with {t:?} in {found:?}"
            );
        }
        // Money ticks read like "$100bn", years never as "2030.0".
        assert!(
            !svg.contains(".0<") && !svg.contains("NaN") && !svg.contains("inf<"),
            "{stem}"
        );
    }
}

#[test]
fn none_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("charts");
    let files = render_and_save(&summary(Some(38.0)), ChartFormat::None, &out);
    assert!(files.is_empty());
    assert!(
        !out.exists(),
        "ChartFormat::None must not even create the directory"
    );
}

#[test]
fn without_a_cap_the_cap_chart_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let files = render_and_save(&summary(None), ChartFormat::Svg, dir.path());
    assert_eq!(files.len(), 10);
    let svg = fs::read_to_string(dir.path().join("cap_timing.svg")).unwrap();
    let texts = svg_texts(&svg);
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("No cap in this scenario")),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t == "Probability"), "no axes to show");
    let fan = fs::read_to_string(dir.path().join("fan_revenue_share_cumulative.svg")).unwrap();
    assert!(!fan.contains("cap $"), "no cap line without a cap");
}

/// An uncertain cap reaches the summary as `cap: None` with hits: the timing chart is
/// drawn (without an amount), and no cap line is drawn on the fan.
#[test]
fn an_uncertain_cap_still_gets_its_timing_chart() {
    let mut s = summary(Some(38.0));
    s.cap = None;
    let dir = tempfile::tempdir().unwrap();
    render_and_save(&s, ChartFormat::Svg, dir.path());
    let texts = svg_texts(&fs::read_to_string(dir.path().join("cap_timing.svg")).unwrap());
    let title = xml("Test Deal: when Bigsoft's uncertain revenue-share cap is reached");
    assert!(texts.contains(&title), "{texts:?}");
    assert!(texts.iter().any(|t| t == "Probability"));
    let fan = fs::read_to_string(dir.path().join("fan_revenue_share_cumulative.svg")).unwrap();
    assert!(!fan.contains("cap $"));
}

/// A run with nothing in it (no periods, no histogram, no cap rows) still yields every
/// chart file rather than an error or a panic.
#[test]
fn an_empty_summary_still_renders() {
    let mut s = summary(None);
    s.periods.clear();
    s.cap_hits.clear();
    s.npv_total_dist = Distribution::default();
    s.results = [Stats::default(); dealsim::summary::N_RESULTS];
    let dir = tempfile::tempdir().unwrap();
    let files = render_and_save(&s, ChartFormat::Both, dir.path());
    assert_eq!(files.len(), 20);
}

/// Run in a child process by `text_renders_without_system_fonts`; also passes alone.
#[test]
#[ignore = "run by text_renders_without_system_fonts in an environment without fonts"]
fn child_renders_text_in_bare_environment() {
    let dir = tempfile::tempdir().unwrap();
    let files = render_and_save(&summary(Some(38.0)), ChartFormat::Both, dir.path());
    assert_eq!(files.len(), 20);
    let (w, _, px) = decode_png(&dir.path().join("npv_components.png"));
    assert!(
        dark_share(w, &px, 10..45) > 0.005,
        "title glyphs were rasterised"
    );
    let svg = fs::read_to_string(dir.path().join("npv_components.svg")).unwrap();
    assert!(svg_texts(&svg)
        .iter()
        .any(|t| t.starts_with("Test Deal: NPV to Bigsoft by component")));
}

/// The font is embedded: with fontconfig pointed at an empty configuration and HOME and
/// the XDG directories elsewhere, text still renders. (plotters' ab_glyph backend never
/// asks fontconfig; this documents that no system font lookup crept in.)
#[test]
fn text_renders_without_system_fonts() {
    let tmp = tempfile::tempdir().unwrap();
    let conf = tmp.path().join("fonts.conf");
    fs::write(
        &conf,
        "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n",
    )
    .unwrap();
    let home = tmp.path().join("home");
    fs::create_dir(&home).unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args([
            "--exact",
            "child_renders_text_in_bare_environment",
            "--ignored",
            "--test-threads=1",
        ])
        .env("FONTCONFIG_FILE", &conf)
        .env("FONTCONFIG_PATH", tmp.path())
        .env("HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .env("XDG_DATA_DIRS", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_CACHE_HOME", &home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run: {stdout}"
    );
}
