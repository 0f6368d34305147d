//! The far tail of the standard normal, in log space, for truncated-normal windows that
//! lie more than [`FAR_TAIL`] standard deviations from the mean.
//!
//! Why: the inverse CDF `Q⁻¹(Q(a) − u·(Q(a) − Q(b)))` needs `Q(a)`, the upper-tail
//! probability, as an f64. `Q(a)` turns subnormal near `a = 37.5` and underflows to 0 near
//! `a = 38.5`, after which every draw collapsed onto a bound. Here only ratios of tail
//! probabilities are used, as logarithms: `ln Q(x) − ln Q(a) = −(x − a)(x + a)/2 +
//! ln R(x) − ln R(a)`, with `R = Q/φ` the Mills ratio (a continued fraction, accurate for
//! large `x`). The draw stays an inversion of one uniform, so it is monotone in `u` and a
//! pure function of the path's stream, like every other normal draw.

/// Windows whose nearer edge lies beyond this many sd use the log-space inversion; nearer
/// ones keep the direct inverse CDF (unchanged draws), which is accurate there: `Q(30)` is
/// about 5e-198, far from the subnormal range, and AS241 is accurate down to 1e-300.
pub const FAR_TAIL: f64 = 30.0;

/// Terms of the Mills-ratio continued fraction. At `x >= 30` it converges to f64 precision
/// within a few terms; 40 leaves a wide margin (checked against `erfc` in the tests).
const CF_TERMS: u32 = 40;

/// The Mills ratio `R(x) = Q(x)/φ(x)` for `x >= FAR_TAIL`, by the continued fraction
/// `1/(x + 1/(x + 2/(x + 3/(x + ...))))` evaluated from the back.
pub fn mills_ratio(x: f64) -> f64 {
    let mut t = x;
    for k in (1..=CF_TERMS).rev() {
        t = x + f64::from(k) / t;
    }
    1.0 / t
}

/// `ln(Q(x)/Q(a))` for `x >= a >= FAR_TAIL` (0 at `x = a`, decreasing). The quadratic term
/// is written as a product so that nearby `x` and `a` keep their relative precision.
pub fn log_tail_ratio(a: f64, x: f64) -> f64 {
    -0.5 * (x - a) * (x + a) + (mills_ratio(x) / mills_ratio(a)).ln()
}

/// Inverse CDF of the standard normal conditioned on `[a, b]`, `a >= FAR_TAIL`, `b > a`
/// (`b` may be +inf), at `u` in (0, 1): the `z` with `Q(z) = Q(a) − u·(Q(a) − Q(b))`.
///
/// With `g(z) = ln(Q(z)/Q(a))` and `w = 1 − Q(b)/Q(a)`, solves `g(z) = ln(1 − u·w)` by
/// Newton's method, `g' = −1/R`. `g` is concave, so the first step from `a` lands beyond
/// the root and the next ones descend to it monotonically (quadratic convergence).
pub fn upper_tail_inverse(a: f64, b: f64, u: f64) -> f64 {
    let w = if b.is_finite() {
        -(log_tail_ratio(a, b)).exp_m1()
    } else {
        1.0
    };
    let target = (-u * w).ln_1p();
    let mut z = a;
    // Bounded: convergence takes a handful of steps; the cap only guards the loop.
    for _ in 0..64 {
        let step = (log_tail_ratio(a, z) - target) * mills_ratio(z);
        z += step;
        if step.abs() <= 4.0 * f64::EPSILON * z {
            break;
        }
    }
    z.clamp(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::norm_cdf;

    /// Against `Q/φ` from `erfc` where both are representable (Q(37) ~ 6e-300).
    #[test]
    fn mills_ratio_matches_erfc_where_both_are_representable() {
        for x in [30.0f64, 31.5, 33.0, 35.0, 37.0] {
            let phi = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let r = norm_cdf(-x) / phi;
            // erfc and exp each carry a few ulp; x^2/2 ~ 700 adds ~1e-13 relative to exp.
            let rel = (mills_ratio(x) / r - 1.0).abs();
            assert!(rel < 5e-13, "x={x}: {} vs {r} ({rel:e})", mills_ratio(x));
        }
    }
}
