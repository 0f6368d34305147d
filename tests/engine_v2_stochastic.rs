//! MODEL.md §6 over many random paths: closed forms within 4 standard errors (P(renewed),
//! P(renegotiated), the expected number of conditional rounds), common random numbers
//! when only `renewal_probability` changes, and v1 results untouched by neutral v2 keys.

mod common;

use common::{parse, run, with, with_all, DET};
use dealsim::engine::RunOutput;
use dealsim::model::PathResults;
use dealsim::summary::{ResultMetric, SeriesMetric};

/// DET made random: volatile revenue, growth and multiple, an uncertain channel ceiling
/// and random rounds, so every existing stream is in use.
fn random_det() -> String {
    with_all(
        DET,
        &[
            ("company", "revenue_vol", "0.3"),
            ("company", "growth_vol", "0.2"),
            ("company", "multiple_vol", "0.3"),
            (
                "channel",
                "ceiling",
                "{ dist = \"uniform\", low = 0.05, high = 0.3 }",
            ),
            ("stake", "random_rounds_per_year", "0.5"),
            ("stake", "random_round_fraction", "0.1"),
        ],
    )
}

fn licence(end: &str, p: &str, value0: &str) -> String {
    format!(
        "\n[licence]\nend = {end}\nrenewal_probability = {p}\nretention = 0.3\n\
         product_value0 = {value0}\nproduct_growth = 0.2\n"
    )
}

fn results(out: &RunOutput) -> &[PathResults] {
    &out.paths.as_ref().unwrap().results
}

/// Within 4 standard errors of a Bernoulli(p) mean over n paths.
#[track_caller]
fn near_p(got: f64, p: f64, n: u64, what: &str) {
    let se = (p * (1.0 - p) / n as f64).sqrt();
    assert!((got - p).abs() < 4.0 * se, "{what}: {got} vs {p} (se {se})");
}

#[test]
fn renewal_frequency_is_the_probability() {
    let n = 20_000;
    for p in ["0.37", "{ dist = \"uniform\", low = 0.2, high = 0.6 }"] {
        let sc = parse(&format!(
            "{}{}",
            random_det(),
            licence("2027-12-31", p, "8.0")
        ));
        let out = run(&sc, n, 21, 2, false);
        // A uniform(0.2, 0.6) probability renews with probability E[p] = 0.4.
        let want = if p == "0.37" { 0.37 } else { 0.4 };
        near_p(out.summary.result(ResultMetric::Renewed).mean, want, n, p);
    }
}

#[test]
fn renegotiation_probability_matches_the_exponential_closed_form() {
    let n = 20_000;
    let text = format!(
        "{}\n[renegotiation]\nrate = 0.3\nfrom = 2026-07-01\nhaircut = 0.5\n",
        random_det()
    );
    let out = run(&parse(&text), n, 22, 2, true);
    // The share runs to the end of 2028 (< the simulation's 2029): T = 2029 - from, with
    // from = 2026 + 181/365 (1 July is day 182 of 2026).
    let t = 2029.0 - (2026.0 + 181.0 / 365.0);
    let p = 1.0 - (-0.3f64 * t).exp();
    near_p(
        out.summary.result(ResultMetric::Renegotiated).mean,
        p,
        n,
        "renegotiated",
    );
    // Per year: P(event in year y) from the same exponential.
    let rs = results(&out);
    for (year, lo, hi) in [
        (2026, 181.0 / 365.0, 1.0),
        (2027, 1.0, 2.0),
        (2028, 2.0, 3.0),
    ] {
        let from = 181.0 / 365.0;
        let py = (-0.3f64 * (lo - from)).exp() - (-0.3f64 * (hi - from)).exp();
        let got = rs
            .iter()
            .filter(|r| r.renegotiation_year == Some(year))
            .count() as f64
            / n as f64;
        near_p(got, py, n, &format!("renegotiated in {year}"));
    }
    // Never while the share is over, and the cap only shrinks: total paid never rises.
    assert!(rs
        .iter()
        .all(|r| r.renegotiation_year.is_none_or(|y| y <= 2028)));
    let base = run(&parse(&random_det()), n, 22, 2, true);
    for (a, b) in results(&base).iter().zip(rs) {
        assert!(b.revenue_share_total_cents <= a.revenue_share_total_cents);
        if b.renegotiation_year.is_none() {
            assert_eq!(
                a,
                &PathResults {
                    npv_licence: 0.0,
                    renewed: true,
                    renegotiation_year: None,
                    ..*b
                }
            );
        }
    }
}

/// Two conditional rounds in different quarters: each applies with its probability,
/// independently; the number that happen has mean p1 + p2.
#[test]
fn conditional_rounds_happen_with_their_probabilities() {
    let n = 20_000u64;
    let rounds = |p1: &str, p2: &str| {
        let mut t = with(DET, "company", "revenue_vol", "0.3");
        t = t.replace(
            "[[stake.rounds]]\ndate = 2026-08-15\namount = 40.0\n",
            &format!(
                "[[stake.rounds]]\ndate = 2026-08-15\namount = 40.0\nprobability = {p1}\n\
                 [[stake.rounds]]\ndate = 2027-11-15\namount = 60.0\nprobability = {p2}\n"
            ),
        );
        run(&parse(&t), n, 23, 2, true)
    };
    // Per path, ln(stake_end) = ln(s_none) + h1 ln f1 + h2 ln f2 (rounds in different
    // quarters: their factors do not interact). The all-or-nothing runs give each factor.
    let none = rounds("0.0", "0.0");
    let first = rounds("1.0", "0.0");
    let second = rounds("0.0", "1.0");
    let out = rounds("0.3", "{ dist = \"uniform\", low = 0.4, high = 0.8 }");
    let (mut h1, mut h2, mut count) = (0u64, 0u64, 0u64);
    for i in 0..n as usize {
        let s = |o: &RunOutput| results(o)[i].stake_end.ln();
        let (f1, f2) = (s(&first) - s(&none), s(&second) - s(&none));
        assert!(f1 < -0.01 && f2 < -0.01);
        let x = s(&out) - s(&none);
        // Which of 0, f1, f2, f1 + f2 the path's stake shows.
        let opts = [(0, 0), (1, 0), (0, 1), (1, 1)];
        let (a, b) = opts
            .into_iter()
            .min_by(|p, q| {
                let d = |(a, b): (i32, i32)| (x - f64::from(a) * f1 - f64::from(b) * f2).abs();
                d(*p).total_cmp(&d(*q))
            })
            .unwrap();
        let d = (x - f64::from(a) * f1 - f64::from(b) * f2).abs();
        assert!(d < 1e-9, "path {i}: stake matches no combination of rounds");
        h1 += a as u64;
        h2 += b as u64;
        count += (a + b) as u64;
    }
    near_p(h1 as f64 / n as f64, 0.3, n, "round 1");
    near_p(
        h2 as f64 / n as f64,
        0.6,
        n,
        "round 2 (p ~ uniform(0.4, 0.8))",
    );
    // E[count] = 0.3 + 0.6; Var = 0.3*0.7 + 0.6*0.4 (independent streams).
    let se = ((0.21f64 + 0.24) / n as f64).sqrt();
    let mean = count as f64 / n as f64;
    assert!(
        (mean - 0.9).abs() < 4.0 * se,
        "rounds per path {mean} (se {se})"
    );
}

/// CRN (MODEL.md §6.1): the renewal uniform has its own stream, so raising
/// `renewal_probability` only flips paths from not renewed to renewed (U < p is monotone
/// in p). Results that do not depend on the licence are equal on every path, to the bit;
/// on paths whose renewal did not change, every result is; the flipped paths gain.
#[test]
fn changing_renewal_probability_keeps_every_other_stream() {
    let n = 5_000;
    let text = |p: &str| {
        let reneg = "\n[renegotiation]\nrate = 0.4\nhaircut = 0.5\n";
        format!("{}{}{reneg}", random_det(), licence("2027-05-10", p, "8.0"))
    };
    let a = run(&parse(&text("0.3")), n, 24, 2, true);
    let b = run(&parse(&text("0.7")), n, 24, 3, true);
    let (ta, tb) = (a.paths.as_ref().unwrap(), b.paths.as_ref().unwrap());
    assert_eq!(ta.draws, tb.draws, "drawn inputs moved");
    let mut flipped = 0;
    for (x, y) in ta.results.iter().zip(&tb.results) {
        // Licence-free results: to the bit on every path.
        assert_eq!(x.npv_revenue_share, y.npv_revenue_share);
        assert_eq!(x.npv_compute, y.npv_compute);
        assert_eq!(x.pv_stake, y.pv_stake);
        assert_eq!(x.stake_end, y.stake_end);
        assert_eq!(x.revenue_share_total_cents, y.revenue_share_total_cents);
        assert_eq!(x.cap_hit_year, y.cap_hit_year);
        assert_eq!(x.renegotiation_year, y.renegotiation_year);
        assert!(!x.renewed || y.renewed, "renewed at 0.3 but not at 0.7");
        if x.renewed == y.renewed {
            assert_eq!(x, y);
        } else {
            flipped += 1;
            // Renewal keeps more of the model sales and the product value.
            assert!(y.npv_licence > x.npv_licence);
            assert!(y.npv_cloud_models > x.npv_cloud_models);
            // DET stops the reverse share on 2026-05-10, before the licence ends: equal.
            assert_eq!(y.npv_reverse_share, x.npv_reverse_share);
        }
    }
    // P(0.3 <= U < 0.7) = 0.4.
    near_p(flipped as f64 / n as f64, 0.4, n, "flipped");
}

/// v2 keys that change nothing give v1's results to the bit: a licence ending after the
/// horizon (and, with no product value, its renewal draw irrelevant), renegotiation at
/// rate 0, a round with probability 1. Only the appended results may differ.
#[test]
fn neutral_v2_keys_leave_every_v1_result_unchanged() {
    let n = 3_000;
    let v1 = run(&parse(&random_det()), n, 25, 2, true);
    let neutral = |value0: &str| {
        let t = random_det().replace("amount = 40.0\n", "amount = 40.0\nprobability = 1.0\n");
        format!(
            "{t}{}\n[renegotiation]\nrate = 0.0\nhaircut = 0.9\n",
            licence("2031-06-30", "1.0", value0)
        )
    };
    let v2 = run(&parse(&neutral("0.0")), n, 25, 3, true);
    let (a, b) = (v1.paths.as_ref().unwrap(), v2.paths.as_ref().unwrap());
    for (x, y) in a.results.iter().zip(&b.results) {
        assert_eq!(x, y);
    }
    assert_eq!(a.annual_cash_flow, b.annual_cash_flow);
    // Every v1 summary row and per-period band, to the bit.
    for m in ResultMetric::ALL {
        assert_eq!(v1.summary.result(m), v2.summary.result(m), "{}", m.name());
    }
    for (p, q) in v1.summary.periods.iter().zip(&v2.summary.periods) {
        assert_eq!(p, q);
    }
    // With a product value: every v1 result but npv_total is unchanged; npv_total gains
    // exactly this path's npv_licence (added last).
    let v2 = run(&parse(&neutral("8.0")), n, 25, 2, true);
    for (x, y) in a.results.iter().zip(&v2.paths.as_ref().unwrap().results) {
        assert!(y.npv_licence > 0.0 && y.renewed && y.renegotiation_year.is_none());
        assert_eq!(y.npv_total, x.npv_total + y.npv_licence);
        assert_eq!(
            PathResults {
                npv_total: x.npv_total,
                npv_licence: 0.0,
                ..*y
            },
            *x
        );
    }
    for (p, q) in v1.summary.periods.iter().zip(&v2.summary.periods) {
        for m in SeriesMetric::ALL {
            if m != SeriesMetric::InvestorCashFlow && m != SeriesMetric::LicenceValue {
                assert_eq!(p.band(m), q.band(m), "{}", m.name());
            }
        }
        assert_eq!(p.cloud_model_margin, q.cloud_model_margin);
        assert_eq!(p.revenue_share, q.revenue_share);
        assert!(q.licence_value > 0.0 && p.licence_value == 0.0);
    }
}
