//! Calibration of the shipped scenarios against the public anchors they rest on
//! (docs/deal-facts.md): if one of these fails after a change to `scenarios/`, the
//! scenario has drifted from the facts it cites; fix the scenario, not the bounds.
//!
//! Runs through the library at 20000 paths with each file's own seed.

use std::path::PathBuf;

use dealsim::engine::{self, RunOptions};
use dealsim::summary::{ResultMetric, RunSummary, SeriesMetric};

const PATHS: u64 = 20_000;

fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

fn run(name: &str) -> RunSummary {
    let loaded = dealsim::scenario::load(&scenario_path(name), &[])
        .unwrap_or_else(|e| panic!("{name} does not validate:\n{e}"));
    let mut sc = loaded.scenario;
    sc.simulation.paths = PATHS;
    let opts = RunOptions {
        threads: 0,
        keep_paths: false,
        progress: None,
        cancel: None,
    };
    engine::run(&sc, &opts)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .summary
}

/// Sum over the periods of `year` of a per-period metric's mean (a calendar-year total
/// for flows such as `company_revenue` and `revenue_share`).
fn year_total(s: &RunSummary, metric: SeriesMetric, year: i32) -> f64 {
    let periods: Vec<_> = s.periods.iter().filter(|p| p.year == year).collect();
    assert!(!periods.is_empty(), "no periods in {year}");
    periods.iter().map(|p| p.band(metric).mean).sum()
}

fn cumulative_cap_hit(s: &RunSummary, year: i32) -> f64 {
    s.cap_hits
        .iter()
        .find(|c| c.year == year)
        .unwrap_or_else(|| panic!("no cap_hits row for {year}"))
        .cumulative_probability
}

#[test]
fn base_matches_the_2026_anchors_and_cap_timing() {
    let s = run("base.toml");
    // DEAL_FACTS: company plan ~$30B of 2026 revenue; Q1 2026 $5.7B, run-rate ~$25B in Feb.
    let rev = year_total(&s, SeriesMetric::CompanyRevenue, 2026);
    assert!((25.0..=35.0).contains(&rev), "mean 2026 revenue {rev}");
    // The Information via DEAL_FACTS: 2026 payment ≈ $6B.
    let pay = year_total(&s, SeriesMetric::RevenueShare, 2026);
    assert!(
        (4.0..=8.0).contains(&pay),
        "mean 2026 revenue-share payment {pay}"
    );
    // DEAL_FACTS [D]: the cap binds in late 2028 to early 2029, 1-2 years before 2030.
    let median = s.median_cap_hit_year;
    assert!(
        matches!(median, Some(2028) | Some(2029)),
        "median cap-hit year {median:?}"
    );
    let p2030 = cumulative_cap_hit(&s, 2030);
    assert!(p2030 > 0.8, "P(cap hit by 2030) = {p2030}");
    // The ledger never pays past the cap.
    let total = s.result(ResultMetric::RevenueShareTotal);
    assert!(total.max <= 38.0, "revenue_share_total max {}", total.max);
}

#[test]
fn bull_reaches_the_company_plan_for_2030() {
    let s = run("bull.toml");
    // DEAL_FACTS: early-2026 plan, >$280B of revenue in 2030.
    let rev = year_total(&s, SeriesMetric::CompanyRevenue, 2030);
    assert!((200.0..=360.0).contains(&rev), "mean 2030 revenue {rev}");
}

#[test]
fn pre_amendment_has_no_cap_and_a_larger_reverse_share() {
    let pre = run("pre_amendment.toml");
    let base = run("base.toml");
    assert!(pre.cap_hits.iter().all(|c| c.cumulative_probability == 0.0));
    assert_eq!(pre.result(ResultMetric::CapHit).mean, 0.0);
    assert_eq!(pre.median_cap_hit_year, None);
    assert_eq!(pre.cap, None);
    let r_pre = pre.result(ResultMetric::NpvReverseShare).mean;
    let r_base = base.result(ResultMetric::NpvReverseShare).mean;
    assert!(r_pre < 0.0 && r_base <= 0.0, "{r_pre} {r_base}");
    assert!(
        r_pre.abs() > r_base.abs(),
        "pre-amendment reverse share {r_pre} vs base {r_base}"
    );
    // Without the cap, OpenAI pays more than $38B on average (DEAL_FACTS: ~$135B through
    // 2030 on the company's plan; base.toml's revenue runs below that plan).
    let paid = pre.result(ResultMetric::RevenueShareTotal).mean;
    assert!(paid > 38.0, "pre-amendment revenue share total {paid}");
}

#[test]
fn every_shipped_scenario_validates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let l = dealsim::scenario::load(&p, &[])
                .unwrap_or_else(|e| panic!("{} does not validate:\n{e}", p.display()));
            assert!(!l.scenario.meta.description.is_empty(), "{}", p.display());
            assert_eq!(l.scenario.simulation.paths, 10_000, "{}", p.display());
            n += 1;
        }
    }
    assert!(n >= 7, "only {n} scenarios in {}", dir.display());
}
