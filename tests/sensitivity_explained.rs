//! A sensitivity that explains itself (issue 18), end to end: the variance ranking with
//! the market shocks as named groups, year keys swung by a year, labelled bars, a heat
//! map with a colour key, report.html, and the sentence on why the rankings differ.

mod common;

use std::path::Path;

use common::{dealsim, noisy, ok};

fn col(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

/// `metric`'s std_dev in a summary.csv.
fn sd(summary: &Path, metric: &str) -> f64 {
    let r = common::csv_rows(summary);
    let (m, s) = (col(&r, "metric"), col(&r, "std_dev"));
    r.iter().find(|x| x[m] == metric).unwrap()[s]
        .parse()
        .unwrap()
}

/// `dealsim args` in `d`, which must succeed: its standard output.
fn run(d: &Path, args: &[&str]) -> String {
    ok(&dealsim(args, d))
}

/// `dealsim sensitivity s.toml` in `d` with SVG charts, into `o`: its standard output.
fn sensitivity_svg(d: &Path) -> String {
    run(
        d,
        &[
            "sensitivity",
            "s.toml",
            "-q",
            "--out",
            "o",
            "--charts",
            "svg",
        ],
    )
}

#[test]
fn the_headline_ranking_covers_shocks_and_inputs_by_the_stated_method() {
    let dir = common::folder_with("s.toml", &noisy(600));
    let d = dir.path();
    let stdout = sensitivity_svg(d);
    let v = common::csv_rows(&d.join("o/sensitivity_variance.csv"));
    let (src, kind, share) = (
        col(&v, "source"),
        col(&v, "kind"),
        col(&v, "variance_share"),
    );
    let sources: Vec<&str> = v[1..].iter().map(|r| r[src].as_str()).collect();
    // Shocks as named groups next to the drawn input; DET's multiple_vol is 0, so that
    // group moves nothing and is not listed; the remainder comes last.
    assert!(
        sources.contains(&"revenue shocks (company.revenue_vol)"),
        "{sources:?}"
    );
    assert!(sources.contains(&"growth-rate shocks (company.growth_vol)"));
    assert!(sources.contains(&"channel.ceiling"));
    assert!(!sources.iter().any(|s| s.contains("multiple_vol")));
    assert_eq!(v.last().unwrap()[kind], "rest");
    // Largest share first.
    let shares: Vec<f64> = v[1..v.len() - 1]
        .iter()
        .map(|r| r[share].parse().unwrap())
        .collect();
    assert!(shares.windows(2).all(|w| w[0] >= w[1]), "{shares:?}");
    // The method as documented: 1 - Var(frozen)/Var(base), checked against two plain
    // runs on the same seed and paths (one with the revenue shocks switched off).
    run(
        d,
        &[
            "run",
            "s.toml",
            "-q",
            "--out",
            "b",
            "--charts",
            "none",
            "--no-xlsx",
        ],
    );
    run(
        d,
        &[
            "run",
            "s.toml",
            "-q",
            "--out",
            "f",
            "--charts",
            "none",
            "--no-xlsx",
            "--set",
            "company.revenue_vol=0",
        ],
    );
    let (b, f) = (
        sd(&d.join("b/summary.csv"), "npv_total"),
        sd(&d.join("f/summary.csv"), "npv_total"),
    );
    let want = 1.0 - (f / b).powi(2);
    let got: f64 = v
        .iter()
        .find(|r| r[src].starts_with("revenue shocks"))
        .unwrap()[share]
        .parse()
        .unwrap();
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    assert!(want > 0.1, "revenue shocks should matter here: {want}");
    // The terminal leads with it, naming the shocks.
    let first = stdout.lines().next().unwrap();
    assert!(first.contains("what moves npv_total"), "{stdout}");
    assert!(stdout.contains("revenue shocks (company.revenue_vol)"));
    // Its chart.
    let svg = std::fs::read_to_string(d.join("o/charts/variance_contribution.svg")).unwrap();
    assert!(svg.contains("revenue shocks (company.revenue_vol)"));
}

#[test]
fn year_keys_swing_by_a_year_and_bars_say_which_end_is_which() {
    let dir = common::folder_with("s.toml", &noisy(600));
    let d = dir.path();
    sensitivity_svg(d);
    let oat = common::csv_rows(&d.join("o/sensitivity_oat.csv"));
    let (i, k, lo, hi) = (
        col(&oat, "input"),
        col(&oat, "kind"),
        col(&oat, "low_value"),
        col(&oat, "high_value"),
    );
    // DET: channel.midpoint_year = 2027.5.
    let m = oat
        .iter()
        .find(|r| r[i] == "channel.midpoint_year")
        .unwrap();
    assert_eq!(m[k], "-1y/+1y");
    assert_eq!(m[lo].parse::<f64>().unwrap(), 2026.5);
    assert_eq!(m[hi].parse::<f64>().unwrap(), 2028.5);
    // No other swung value is anywhere near a calendar year it did not start from.
    for r in &oat[1..] {
        if r[k] == "-20%/+20%" {
            assert!(!r[i].ends_with("_year"), "{r:?}");
        }
    }
    // Every one-at-a-time bar names its low and high input value at its ends.
    let svg = std::fs::read_to_string(d.join("o/charts/tornado_one_at_a_time.svg")).unwrap();
    let bars = svg.matches("low ").count();
    assert!(bars >= 10 && svg.matches("high ").count() >= bars, "{bars}");
    // The top bar's labels are its low and high values (DET: growth0 0.8, swung 20 %).
    let top = &oat[1];
    let short = |v: &str| {
        let t = format!("{:.3}", v.parse::<f64>().unwrap());
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    assert!(svg.contains(&format!("low {}", short(&top[lo]))), "{top:?}");
    assert!(
        svg.contains(&format!("high {}", short(&top[hi]))),
        "{top:?}"
    );
}

#[test]
fn intervals_heat_map_key_report_and_the_reason_the_rankings_differ() {
    let dir = common::folder_with("s.toml", &noisy(600));
    let d = dir.path();
    let stdout = sensitivity_svg(d);
    let o = d.join("o");
    // Rank correlations: whiskers for the interval, an axis scaled to the data (ticks
    // within the data's reach, not ±1 when every |rho| is small).
    let ranks = common::csv_rows(&o.join("sensitivity.csv"));
    let (t, hi, lo) = (
        col(&ranks, "target"),
        col(&ranks, "ci95_high"),
        col(&ranks, "ci95_low"),
    );
    let reach = ranks[1..]
        .iter()
        .filter(|r| r[t] == "npv_total")
        .flat_map(|r| {
            [
                r[hi].parse::<f64>().unwrap().abs(),
                r[lo].parse::<f64>().unwrap().abs(),
            ]
        })
        .fold(0.0, f64::max);
    let svg = std::fs::read_to_string(o.join("charts/tornado_rank_correlation.svg")).unwrap();
    let ticks: Vec<f64> = svg
        .split('>')
        .filter_map(|s| s.split('<').next())
        .map(str::trim)
        .filter(|s| s.len() == 5 && (s.starts_with('+') || s.starts_with('-')))
        .filter_map(|s| s.parse().ok())
        .collect();
    assert!(!ticks.is_empty());
    let top = ticks.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    assert!(top <= reach * 1.6 + 0.05, "ticks to {top}, data to {reach}");
    assert!(svg.contains("95 % interval"));
    // Heat map: a colour key and a subtitle.
    let heat = std::fs::read_to_string(o.join("charts/heatmap_by_year.svg")).unwrap();
    for want in [
        "rank corr.",
        "no spread",
        "+1",
        "−1",
        "Spearman&apos;s rho of each uncertain input",
    ] {
        assert!(heat.contains(want), "heat map lacks {want}");
    }
    // report.html with the headline table and every chart inlined.
    let html = std::fs::read_to_string(o.join("report.html")).unwrap();
    assert!(html.contains("What moves the result"));
    assert!(html.contains("revenue shocks (company.revenue_vol)"));
    assert_eq!(html.matches("<svg").count(), 4, "four charts inline");
    // The sentence: present exactly when the two rankings put different inputs first.
    let rank_top = &ranks.iter().find(|r| r[t] == "npv_total").unwrap()[0];
    let oat = common::csv_rows(&o.join("sensitivity_oat.csv"));
    let oat_top = &oat[1][0];
    let says = stdout.contains("The rankings differ");
    assert_eq!(says, rank_top != oat_top, "{stdout}");
    if says {
        assert!(stdout.contains(&format!(
            "({rank_top} first by rank correlation, {oat_top} first one at a time)"
        )));
        assert!(html.contains("The rankings differ"));
    }
    // --no-report skips it.
    run(
        d,
        &[
            "sensitivity",
            "s.toml",
            "-q",
            "--out",
            "n",
            "--charts",
            "none",
            "--no-report",
            "--no-xlsx",
        ],
    );
    assert!(!d.join("n/report.html").exists() && !d.join("n/results.xlsx").exists());
    assert!(d.join("n/sensitivity_variance.csv").is_file());
}
