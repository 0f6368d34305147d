//! Property tests of the engine's invariants on random *valid* scenarios, made by mutating
//! the deterministic test scenario `DET` (volatilities, rates and schedules, cap, channel,
//! rounds, random rounds, distributions, correlations, steps per year):
//!
//! - cumulative revenue-share payments never exceed the cap, to the cent;
//! - nothing is paid after `revenue_share.end_year`;
//! - the stake never rises (checked step by step on the model);
//! - no NaN, infinity or empty numeric cell reaches any CSV;
//! - the four cash-flow components add up (per step, per period mean, per path NPV);
//! - 1-thread and 2-thread CSV bytes are identical.

mod common;

use common::{with, DET};
use dealsim::engine::rng;
use dealsim::model::Model;
use dealsim::report::csv;
use dealsim::scenario::Scenario;
use dealsim::summary::SeriesMetric;
use proptest::prelude::*;

const PATHS: u64 = 300;

/// The knobs a case turns; `toml()` writes them into `DET`.
#[derive(Debug, Clone)]
struct Knobs {
    steps: u32,
    vols: [f64; 3],
    rate: Rate,
    end_year: i32,
    cap: Option<f64>,
    base_includes_channel: bool,
    ceiling: Value,
    incremental: f64,
    cannibalization: f64,
    revenue0: Value,
    growth0: Value,
    round: (u32, f64),
    random_rounds: (f64, f64),
    dilution: f64,
    corr: [f64; 3],
    seed: u64,
}

#[derive(Debug, Clone)]
enum Rate {
    Const(f64),
    Schedule(f64, f64),
}

/// A number or a distribution, already written as TOML.
#[derive(Debug, Clone)]
struct Value(String);

fn fraction_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0.0..=1.0f64).prop_map(|v| Value(format!("{v}"))),
        (0.0..0.5f64, 0.0..0.25f64, 0.0..0.25f64).prop_map(|(l, a, b)| Value(format!(
            "{{ dist = \"triangular\", low = {l}, mode = {}, high = {} }}",
            l + a,
            l + a + b
        ))),
        (0.0..0.5f64, 0.0..0.5f64).prop_map(|(l, w)| Value(format!(
            "{{ dist = \"uniform\", low = {l}, high = {} }}",
            l + w
        ))),
        (0.0..1.0f64, 0.0..0.3f64).prop_map(|(m, sd)| Value(format!(
            "{{ dist = \"normal\", mean = {m}, sd = {sd}, min = 0.0, max = 1.0 }}"
        ))),
    ]
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        (
            prop::sample::select(vec![1u32, 2, 4, 12]),
            [0.0..0.8f64, 0.0..0.5f64, 0.0..0.6f64],
            prop_oneof![
                (0.0..=1.0f64).prop_map(Rate::Const),
                (0.0..=1.0f64, 0.0..=1.0f64).prop_map(|(a, b)| Rate::Schedule(a, b)),
            ],
            2026..=2029i32,
            prop_oneof![
                Just(None),
                Just(Some(0.0)),
                (0.0..40.0f64).prop_map(Some),
                (0.0..3.0f64).prop_map(Some),
            ],
            any::<bool>(),
        ),
        (
            fraction_value(),
            (0.0..=1.0f64, 0.0..=1.0f64),
            prop_oneof![
                (1.0..60.0f64).prop_map(|v| Value(format!("{v}"))),
                (1.0..60.0f64, 0.0..1.0f64).prop_map(|(m, s)| Value(format!(
                    "{{ dist = \"lognormal\", median = {m}, sigma = {s} }}"
                ))),
            ],
            prop_oneof![
                (-0.5..2.0f64).prop_map(|v| Value(format!("{v}"))),
                (-0.9..1.0f64, 0.0..1.0f64).prop_map(|(l, w)| Value(format!(
                    "{{ dist = \"pert\", low = {l}, mode = {}, high = {} }}",
                    l + w / 3.0,
                    l + w
                ))),
            ],
            (0u32..1400, 0.0..300.0f64),
            (0.0..4.0f64, 0.0..0.6f64),
            0.0..0.2f64,
            // |rho| <= 0.45 for all three pairs: diagonally dominant, so always PSD.
            [-0.45..0.45f64, -0.45..0.45f64, -0.45..0.45f64],
            any::<u64>(),
        ),
    )
        .prop_map(|((steps, vols, rate, end_year, cap, bic), rest)| {
            let (ceiling, (a, b), revenue0, growth0, round, random_rounds, dilution, corr, seed) =
                rest;
            // Scale so that incremental + cloud_cannibalization <= 1.
            let s = (a + b).max(1.0);
            Knobs {
                steps,
                vols,
                rate,
                end_year,
                cap,
                base_includes_channel: bic,
                ceiling,
                incremental: a / s * 0.999,
                cannibalization: b / s * 0.999,
                revenue0,
                growth0,
                round,
                random_rounds,
                dilution,
                corr,
                seed,
            }
        })
}

impl Knobs {
    fn toml(&self) -> String {
        let mut t = DET.to_string();
        let mut set = |sec: &str, key: &str, v: String| t = with(&t, sec, key, &v);
        set("simulation", "steps_per_year", self.steps.to_string());
        set("company", "revenue_vol", self.vols[0].to_string());
        set("company", "growth_vol", self.vols[1].to_string());
        set("company", "multiple_vol", self.vols[2].to_string());
        set("company", "revenue0", self.revenue0.0.clone());
        set("company", "growth0", self.growth0.0.clone());
        set(
            "revenue_share",
            "rate",
            match self.rate {
                Rate::Const(r) => r.to_string(),
                Rate::Schedule(a, b) => format!("{{ 2026 = {a}, 2028 = {b} }}"),
            },
        );
        set("revenue_share", "end_year", self.end_year.to_string());
        if let Some(c) = self.cap {
            set("revenue_share", "cap", c.to_string());
        }
        set(
            "revenue_share",
            "base_includes_channel",
            self.base_includes_channel.to_string(),
        );
        set("channel", "ceiling", self.ceiling.0.clone());
        set("channel", "incremental", self.incremental.to_string());
        set(
            "channel",
            "cloud_cannibalization",
            self.cannibalization.to_string(),
        );
        set("stake", "annual_dilution", self.dilution.to_string());
        set(
            "stake",
            "random_rounds_per_year",
            self.random_rounds.0.to_string(),
        );
        set(
            "stake",
            "random_round_fraction",
            self.random_rounds.1.to_string(),
        );
        // A round on some day of the 4-year horizon (2026-01-01 + offset days).
        let date = day(self.round.0);
        set("[stake.rounds]", "date", date);
        set("[stake.rounds]", "amount", self.round.1.to_string());
        let mut t = if self.cap.is_none() {
            t.lines()
                .filter(|l| !l.starts_with("cap ="))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            t
        };
        t.push_str(&format!(
            "\n[correlation]\nrevenue_growth = {}\nrevenue_multiple = {}\ngrowth_multiple = {}\n",
            self.corr[0], self.corr[1], self.corr[2]
        ));
        t
    }
}

/// 2026-01-01 plus `offset` days (offset < 1461), as a TOML date.
fn day(mut offset: u32) -> String {
    let mut year = 2026;
    loop {
        let len = if year == 2028 { 366 } else { 365 };
        if offset < len {
            break;
        }
        offset -= len;
        year += 1;
    }
    let feb = if year == 2028 { 29 } else { 28 };
    let months = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut m = 0;
    while offset >= months[m] {
        offset -= months[m];
        m += 1;
    }
    format!("{year}-{:02}-{:02}", m + 1, offset + 1)
}

fn parse(text: &str) -> Result<Scenario, TestCaseError> {
    dealsim::scenario::parse_str(text, "prop.toml")
        .map_err(|e| TestCaseError::fail(format!("generated scenario invalid: {e}\n{text}")))
}

/// Every numeric cell of a CSV is a finite number; `allow_empty` names columns that may be
/// empty (paths.csv's cap_hit_year when the cap was never hit).
fn check_csv(name: &str, bytes: &[u8], text_cols: &[&str], allow_empty: &[&str]) {
    let s = std::str::from_utf8(bytes).expect("CSV is UTF-8");
    assert!(!s.contains("NaN") && !s.contains("inf"), "{name}: NaN/inf");
    for (h, cell, v) in common::numeric_cells(name, bytes, text_cols, allow_empty) {
        assert!(v.is_finite(), "{name}: column {h}: {cell}");
    }
}

fn all_csv(o: &dealsim::engine::RunOutput) -> [Vec<u8>; 5] {
    [
        csv::summary_csv(&o.summary),
        csv::timeseries_csv(&o.summary),
        csv::cashflows_csv(&o.summary),
        csv::cap_hits_csv(&o.summary),
        csv::paths_csv(o.paths.as_ref().expect("kept paths")),
    ]
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale.abs().max(1.0)
}

/// Steps a few paths on the model itself: the stake never rises, each step's cash flow is
/// its four components, payments stay under the cap and stop after end_year.
fn step_invariants(sc: &Scenario, seed: u64, end_year: i32) {
    let model = Model::new(sc);
    for path in 0..20u64 {
        let p = rng::path_params(sc, &model, seed, path);
        let cap = p.cap_cents();
        let mut st = p.initial_state();
        let mut streams = rng::StepStreams::new(seed, path);
        let mut prev = st.stake;
        for per in &model.grid.periods {
            let (eps, n) = streams.next(&model, &p);
            let f = p.step(&model, per, &mut st, eps, n);
            assert!(
                f.stake <= prev,
                "path {path}: stake rose at period {}",
                per.k
            );
            assert!(f.stake >= 0.0);
            prev = f.stake;
            assert!(
                st.cum_cents <= cap,
                "path {path}: {} above cap {cap}",
                st.cum_cents
            );
            assert!(f.paid_cents >= 0 && f.paid_cents <= f.due_cents.max(0));
            if per.year > end_year {
                assert_eq!(f.paid_cents, 0, "path {path}: paid in {}", per.year);
            }
            let sum =
                f.paid + f.model_margin - f.reverse_share + f.compute_margin + f.licence_value;
            assert!(close(f.cash_flow, sum, sum), "{} vs {sum}", f.cash_flow);
            assert!(f.cash_flow.is_finite() && f.valuation.is_finite());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_invariants_hold_on_random_valid_scenarios(k in knobs()) {
        let text = k.toml();
        let sc = parse(&text)?;
        step_invariants(&sc, k.seed, k.end_year);

        let one = common::run(&sc, PATHS, k.seed, 1, true);
        let two = common::run(&sc, PATHS, k.seed, 2, true);
        let files = all_csv(&one);
        prop_assert!(files == all_csv(&two), "1 vs 2 threads differ");

        // The ledger: under the cap in every path, to the cent.
        let t = one.paths.as_ref().unwrap();
        if let Some(c) = k.cap {
            let cap = (c * 1e11).round_ties_even() as i64;
            for (i, r) in t.results.iter().enumerate() {
                prop_assert!(r.revenue_share_total_cents <= cap, "path {i}: {} > {cap}", r.revenue_share_total_cents);
            }
        }
        for (i, r) in t.results.iter().enumerate() {
            prop_assert!(r.revenue_share_total_cents >= 0);
            let parts = r.npv_revenue_share + r.npv_cloud_models + r.npv_reverse_share + r.npv_compute + r.pv_stake;
            prop_assert!(close(r.npv_total, parts, parts), "path {i}: npv_total {} vs {parts}", r.npv_total);
            prop_assert!(r.npv_reverse_share <= 0.0);
        }

        // Nothing paid after end_year (values are >= 0, so p95 = 0 means all 0).
        for p in &one.summary.periods {
            let b = p.band(SeriesMetric::RevenueShare);
            prop_assert!(b.pct.iter().all(|&x| x >= 0.0));
            if p.year > k.end_year {
                prop_assert!(b.mean == 0.0 && b.pct[4] == 0.0, "paid in {}: {b:?}", p.year);
                prop_assert!(p.revenue_share == 0.0);
            }
            // The four components add up to the period's mean cash flow.
            let cf = p.band(SeriesMetric::InvestorCashFlow).mean;
            let sum = p.revenue_share + p.cloud_model_margin + p.reverse_share + p.compute_margin;
            let scale = p.revenue_share.abs() + p.cloud_model_margin.abs() + p.reverse_share.abs() + p.compute_margin.abs();
            prop_assert!(close(cf, sum, scale), "{}: cash flow {cf} vs components {sum}", p.period_end);
            prop_assert!(p.reverse_share <= 0.0);
        }

        // No NaN, inf or empty number in any CSV.
        let names = ["summary.csv", "timeseries.csv", "cashflows.csv", "cap_hits.csv", "paths.csv"];
        for (name, bytes) in names.iter().zip(&files) {
            check_csv(name, bytes, &["metric", "unit", "period_end"], &["cap_hit_year", "renegotiation_year"]);
        }
    }
}

#[test]
fn day_offsets_are_calendar_dates() {
    assert_eq!(day(0), "2026-01-01");
    assert_eq!(day(58), "2026-02-28");
    assert_eq!(day(59), "2026-03-01");
    assert_eq!(day(365 + 365 + 59), "2028-02-29");
    assert_eq!(day(1460), "2029-12-31");
}
