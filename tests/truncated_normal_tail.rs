//! The truncated normal far out in a tail (issue 13, item 6): windows up to 40 sd from the
//! mean in either tail, one-sided (min only, max only), two-sided and narrow (1e-6 sd),
//! checked against the exact truncated-normal CDF.
//!
//! The exact CDF here is independent of the code under test: it integrates the density
//! numerically (composite Simpson) relative to the window's nearer edge, where it is
//! `exp(-a s - s^2/2)` for `s = z - a` and never under- or overflows.

use dealsim::engine::rng;
use dealsim::model::dist::{draw_dist, truncated_normal_inverse};
use dealsim::scenario::Dist;

/// A window of the standard normal `[a, b]` (either may be infinite), not containing 0.
#[derive(Debug, Clone, Copy)]
struct Window {
    a: f64,
    b: f64,
}

/// `∫_0^s exp(-a t - t^2/2) dt` by composite Simpson with `m` (even) intervals.
fn simpson(a: f64, s: f64, m: usize) -> f64 {
    if s <= 0.0 {
        return 0.0;
    }
    let h = s / m as f64;
    let f = |t: f64| (-a * t - 0.5 * t * t).exp();
    let mut sum = f(0.0) + f(s);
    for i in 1..m {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(i as f64 * h);
    }
    sum * h / 3.0
}

impl Window {
    /// Upper-tail form: nearer edge `a0 >= 0`, far edge `b0` (maybe +inf), and whether the
    /// window was mirrored from the lower tail.
    fn upper(self) -> (f64, f64, bool) {
        if self.a >= 0.0 {
            (self.a, self.b, false)
        } else {
            assert!(self.b <= 0.0, "window must not contain the mean");
            (-self.b, -self.a, true)
        }
    }

    /// Exact CDF at `z`. `m` Simpson intervals: the integrand decays at least at rate
    /// `a0 >= 5` over a length <= 60/a0 (beyond, it is below e^-60 of its peak), so
    /// `a0 h <= 60/m` and Simpson's error is about `(a0 h)^4/180` relative: ~5e-13 for
    /// m = 20000, ~5e-9 for m = 2000.
    fn cdf(self, z: f64, m: usize) -> f64 {
        let (a0, b0, mirrored) = self.upper();
        let len = (b0 - a0).min(60.0 / a0);
        let total = simpson(a0, len, m);
        let at = |x: f64| (simpson(a0, (x - a0).clamp(0.0, len), m) / total).clamp(0.0, 1.0);
        if mirrored {
            1.0 - at(-z)
        } else {
            at(z)
        }
    }

    /// The largest density of the window relative to its CDF (per unit z): 1/total mass.
    fn max_density(self) -> f64 {
        let (a0, b0, _) = self.upper();
        let len = (b0 - a0).min(60.0 / a0);
        1.0 / simpson(a0, len, 20_000)
    }
}

/// (mean, sd, min, max) of the windows tested: far tails up to 40 sd either side,
/// one-sided, two-sided, narrow, and one not centred at 0 with sd != 1.
fn windows() -> Vec<(f64, f64, Option<f64>, Option<f64>)> {
    let mut v = Vec::new();
    for a in [5.0, 20.0, 29.5, 30.5, 35.0, 38.0, 40.0] {
        v.push((0.0, 1.0, Some(a), None)); // min only
        v.push((0.0, 1.0, None, Some(-a))); // max only
        v.push((0.0, 1.0, Some(a), Some(a + 1.0)));
        v.push((0.0, 1.0, Some(-a - 1.0), Some(-a)));
    }
    for a in [10.0, 30.2, 40.0] {
        v.push((0.0, 1.0, Some(a), Some(a + 1e-6)));
        v.push((0.0, 1.0, Some(-a - 1e-6), Some(-a)));
    }
    v.push((5.0, 2.0, Some(5.0 + 2.0 * 40.0), None));
    v.push((5.0, 2.0, None, Some(5.0 - 2.0 * 40.0)));
    v
}

fn standard(mean: f64, sd: f64, lo: Option<f64>, hi: Option<f64>) -> Window {
    Window {
        a: (lo.unwrap_or(f64::NEG_INFINITY) - mean) / sd,
        b: (hi.unwrap_or(f64::INFINITY) - mean) / sd,
    }
}

/// Quantiles: F(inverse(u)) = u for u across (0, 1), to the precision the f64 result
/// allows: the CDF moves by (max density) x (a few ulp of z) between neighbouring f64s.
#[test]
fn far_tail_quantiles_match_the_exact_cdf() {
    let us = [
        1e-6,
        0.001,
        0.01,
        0.1,
        0.25,
        0.5,
        0.75,
        0.9,
        0.99,
        0.999,
        1.0 - 1e-6,
    ];
    for (mean, sd, lo, hi) in windows() {
        let w = standard(mean, sd, lo, hi);
        let fmax = w.max_density();
        for &u in &us {
            let x = truncated_normal_inverse(
                mean,
                sd,
                lo.unwrap_or(f64::NEG_INFINITY),
                hi.unwrap_or(f64::INFINITY),
                u,
            );
            assert!(x.is_finite(), "{lo:?}..{hi:?} u={u}: {x}");
            let z = (x - mean) / sd;
            let f = w.cdf(z, 20_000);
            // 1e-9 for the integration (~2e-13) and AS241 (~1e-16 relative); 16 ulp of
            // z (from x's rounding and the /sd) times the largest density.
            let tol = 1e-9 + 16.0 * fmax * f64::EPSILON * (x.abs() / sd + z.abs()).max(1.0);
            assert!(
                (f - u).abs() <= tol,
                "window {lo:?}..{hi:?} (mean {mean}, sd {sd}): F(x={x}) = {f}, want {u} (tol {tol:e})"
            );
        }
    }
}

/// Draws through the engine's own path streams: Kolmogorov–Smirnov against the exact
/// CDF, at the 0.1 % critical value 1.9495/sqrt(n).
#[test]
fn far_tail_draws_pass_kolmogorov_smirnov() {
    let n = 4000usize;
    let crit = 1.9495 / (n as f64).sqrt();
    let key = dealsim::model::stream_key("company.growth0");
    for (mean, sd, lo, hi) in windows() {
        let w = standard(mean, sd, lo, hi);
        let d = Dist::Normal {
            mean,
            sd,
            min: lo,
            max: hi,
        };
        let mut z: Vec<f64> = (0..n)
            .map(|i| {
                let x = draw_dist(&d, &mut rng::stream(20261128, key, i as u64));
                assert!(
                    x.is_finite() && lo.is_none_or(|l| x >= l) && hi.is_none_or(|h| x <= h),
                    "{lo:?}..{hi:?}: draw {x} outside the window"
                );
                (x - mean) / sd
            })
            .collect();
        z.sort_by(f64::total_cmp);
        let mut dmax: f64 = 0.0;
        for (i, &zi) in z.iter().enumerate() {
            let f = w.cdf(zi, 2000);
            dmax = dmax
                .max((i + 1) as f64 / n as f64 - f)
                .max(f - i as f64 / n as f64);
        }
        assert!(
            dmax < crit,
            "window {lo:?}..{hi:?} (mean {mean}, sd {sd}): KS D = {dmax} >= {crit}"
        );
    }
}

/// The reported defect: mean 0, sd 1, min 40 drew its upper bound (inf without a max) on
/// every path.
#[test]
fn min_40_sd_does_not_collapse_onto_a_bound() {
    let key = dealsim::model::stream_key("channel.midpoint_year");
    for max in [None, Some(41.0)] {
        let d = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: Some(40.0),
            max,
        };
        let x: Vec<f64> = (0..200)
            .map(|i| draw_dist(&d, &mut rng::stream(7, key, i)))
            .collect();
        assert!(x.iter().all(|v| v.is_finite() && *v >= 40.0), "{x:?}");
        // The conditional mean beyond a is about a + 1/a: 40.025, nowhere near 41.
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        assert!((mean - 40.025).abs() < 0.01, "mean {mean}");
    }
}
