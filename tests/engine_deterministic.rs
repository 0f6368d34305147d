//! The deterministic quarterly scenario against the MODEL.md §2 recursion written out here
//! independently (plain loops, ledger in integer cents), and through the whole engine.

mod common;

use dealsim::summary::{ResultMetric, SeriesMetric};

/// Days from 1970-01-01 (civil calendar), for the pro-rata weight.
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

struct Expected {
    paid_cents: Vec<i64>,
    cf: Vec<f64>,
    stake: Vec<f64>,
    npv: [f64; 5],
    total_cents: i64,
    cap_hit_year: Option<i32>,
}

/// MODEL.md §2 for common::DET, by hand.
fn recursion() -> Expected {
    let dt = 0.25;
    let ln2 = std::f64::consts::LN_2;
    let (r0, mut mu, mu_inf) = (20.0f64, (1.8f64).ln(), (1.1f64).ln());
    let phi_g = (-ln2 / 2.0 * dt).exp();
    let phi_m = (-ln2 / 3.0 * dt).exp();
    let logistic = |t: f64| 0.2 / (1.0 + (-1.5 * (t - 2027.5)).exp());
    let b0 = logistic(2026.0) * 0.3 * r0;
    let t0 = r0 + 0.4 * b0;
    let mut ln_m = (500.0 / t0).ln();
    let mut r = r0;
    let mut s = 0.27f64;
    let cap = (12.5f64 * 1e11).round_ties_even() as i64;
    let mut cum = 0i64;
    let mut hit = None;
    let mut e = Expected {
        paid_cents: vec![],
        cf: vec![],
        stake: vec![],
        npv: [0.0; 5],
        total_cents: 0,
        cap_hit_year: None,
    };
    // Quarter k's first day and last day; stop on 2026-05-10.
    let quarter_days = |year: i64, q: i64| {
        let first = days(year, 3 * q + 1, 1);
        let next = if q == 3 {
            days(year + 1, 1, 1)
        } else {
            days(year, 3 * q + 4, 1)
        };
        (first, next - first)
    };
    let stop = days(2026, 5, 10);
    let mut v_last = 0.0;
    for k in 1..=16usize {
        let year = 2026 + ((k - 1) / 4) as i32;
        let q = ((k - 1) % 4) as i64;
        let t = 2026.0 + k as f64 * dt;
        r *= (mu * dt).exp();
        mu = mu_inf + (mu - mu_inf) * phi_g;
        ln_m = (12.0f64).ln() + (ln_m - (12.0f64).ln()) * phi_m;
        let m = ln_m.exp();
        let b = logistic(t) * 0.3 * r;
        let tt = r + 0.4 * b;
        let mut paid = 0i64;
        if year <= 2028 {
            let rate = if year >= 2027 { 0.15 } else { 0.20 };
            let due = (rate * (r * dt) * 1e11).round_ties_even() as i64;
            paid = due.min(cap - cum);
            cum += paid;
            if hit.is_none() && cum == cap {
                hit = Some(year);
            }
        }
        let a = (5.0 / 20.0 * r - 0.3 * b).max(0.0);
        let mm = 0.5 * a * dt;
        let (first, len) = quarter_days(i64::from(year), q);
        let w = ((stop - first).clamp(0, len)) as f64 / len as f64;
        let rev = 0.2 * a * dt * w;
        let z = 0.4 + 0.4 * (-ln2 / 2.0 * (t - 2026.0)).exp();
        let cmargin = if year >= 2028 { 0.25 } else { 0.3 };
        let comp = cmargin * 0.6 * tt * z * dt;
        s *= (-0.03 * dt).exp();
        let v = m * tt;
        if k == 3 {
            // The round of 2026-08-15 falls in Q3 2026.
            s *= v / (v + 40.0);
        }
        v_last = v;
        let df = (1.1f64).powf(-(k as f64) * dt);
        let p = paid as f64 / 1e11;
        e.npv[0] += p * df;
        e.npv[1] += mm * df;
        e.npv[2] -= rev * df;
        e.npv[3] += comp * df;
        e.paid_cents.push(paid);
        e.cf.push(p + mm - rev + comp);
        e.stake.push(s);
    }
    e.npv[4] = s * v_last * (1.14f64).powf(-4.0) * 0.9;
    e.total_cents = cum;
    e.cap_hit_year = hit;
    e
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

#[test]
fn engine_matches_hand_recursion_on_every_path() {
    let sc = common::parse(common::DET);
    let want = recursion();
    // The cap (12.5) binds mid-horizon and the share runs to 2028.
    assert_eq!(
        want.cap_hit_year,
        Some(2028),
        "the fixture should hit its cap in 2028"
    );
    assert!(want.paid_cents.iter().skip(12).all(|&p| p == 0));
    let out = common::run(&sc, 3, 1, 1, true);
    let s = &out.summary;
    for (i, per) in s.periods.iter().enumerate() {
        let paid = per.band(SeriesMetric::RevenueShare);
        // Ledger to the cent: every percentile and the mean are the one path value.
        assert_eq!(paid.p50_cents(), want.paid_cents[i], "period {}", i + 1);
        let cf = per.band(SeriesMetric::InvestorCashFlow);
        assert!(
            rel(cf.mean, want.cf[i]) < 1e-9,
            "period {} cf {} vs {}",
            i + 1,
            cf.mean,
            want.cf[i]
        );
        assert!(rel(per.investor_cash_flow(), want.cf[i]) < 1e-9);
        let st = per.band(SeriesMetric::StakeFraction);
        assert!(rel(st.pct[2], want.stake[i]) < 1e-12);
    }
    let names = [
        ResultMetric::NpvRevenueShare,
        ResultMetric::NpvCloudModels,
        ResultMetric::NpvReverseShare,
        ResultMetric::NpvCompute,
        ResultMetric::PvStake,
    ];
    for (m, w) in names.iter().zip(want.npv) {
        let st = s.result(*m);
        assert!(rel(st.mean, w) < 1e-9, "{}: {} vs {}", m.name(), st.mean, w);
        // Identical paths: the spread is only the rounding of sum/n (a few ulps).
        assert!(
            st.std_dev <= 1e-14 * st.mean.abs(),
            "{} identical paths: sd {}",
            m.name(),
            st.std_dev
        );
        assert_eq!(st.min, st.max);
    }
    let total: f64 = want.npv.iter().sum();
    assert!(rel(s.result(ResultMetric::NpvTotal).mean, total) < 1e-9);
    let t = out.paths.as_ref().unwrap();
    for r in &t.results {
        assert_eq!(r.revenue_share_total_cents, want.total_cents);
        assert_eq!(r.revenue_share_total_cents, 1_250_000_000_000);
        assert_eq!(r.cap_hit_year, Some(2028));
    }
    assert_eq!(s.result(ResultMetric::CapHit).mean, 1.0);
    let hits: Vec<f64> = s.cap_hits.iter().map(|c| c.probability).collect();
    assert_eq!(hits, vec![0.0, 0.0, 1.0, 0.0]);
    assert_eq!(s.median_cap_hit_year, Some(2028));
}

trait Cents {
    fn p50_cents(&self) -> i64;
}
impl Cents for dealsim::summary::Band {
    fn p50_cents(&self) -> i64 {
        (self.pct[2] * 1e11).round() as i64
    }
}

#[test]
fn zero_cap_is_hit_in_the_first_period() {
    let sc = common::parse(&common::with(common::DET, "revenue_share", "cap", "0.0"));
    let out = common::run(&sc, 2, 1, 1, true);
    for r in &out.paths.unwrap().results {
        assert_eq!(r.cap_hit_year, Some(2026));
        assert_eq!(r.revenue_share_total_cents, 0);
    }
}

#[test]
fn no_cap_means_no_hit_and_the_full_due_is_paid() {
    let text = common::DET.replace("cap = 12.5\n", "");
    let sc = common::parse(&text);
    let out = common::run(&sc, 2, 1, 1, true);
    let r = out.paths.unwrap().results[0];
    assert_eq!(r.cap_hit_year, None);
    assert!(r.revenue_share_total_cents > 1_250_000_000_000);
}
