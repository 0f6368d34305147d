//! Drawing an uncertain input once per path (MODEL.md §3).
//!
//! Each draw consumes a fixed, documented amount of its own stream so that draws are
//! value-stable: uniform, triangular and normal (truncated or not) use exactly one
//! uniform through the inverse CDF; lognormal one standard normal; PERT the Beta sampler
//! of `rand_distr`. Degenerate distributions (zero width) are constants and draw nothing.

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution, StandardNormal};

use super::tail::{upper_tail_inverse, FAR_TAIL};
use crate::scenario::{Dist, Input};

/// Draw `input` (a constant returns itself and consumes nothing).
pub fn draw<R: Rng + ?Sized>(input: &Input, rng: &mut R) -> f64 {
    match input {
        Input::Const(v) => *v,
        Input::Dist(d) => draw_dist(d, rng),
    }
}

/// Draw from a checked distribution.
pub fn draw_dist<R: Rng + ?Sized>(d: &Dist, rng: &mut R) -> f64 {
    match *d {
        Dist::Uniform { low, high } => {
            if high <= low {
                return low;
            }
            let u: f64 = rng.random();
            // Clamp: low + (high-low)*u can round up to `high` only, never beyond.
            (low + (high - low) * u).min(high)
        }
        Dist::Triangular { low, mode, high } => {
            if high <= low {
                return low;
            }
            let u: f64 = rng.random();
            triangular_inverse(low, mode, high, u)
        }
        Dist::Pert { low, mode, high } => {
            if high <= low {
                return low;
            }
            // PERT with shape 4: Beta(alpha, beta) scaled to [low, high].
            let alpha = 1.0 + 4.0 * (mode - low) / (high - low);
            let beta = 1.0 + 4.0 * (high - mode) / (high - low);
            match Beta::new(alpha, beta) {
                Ok(b) => (low + (high - low) * b.sample(rng)).clamp(low, high),
                // alpha, beta >= 1 always, so this cannot fail for a checked distribution.
                Err(_) => mode,
            }
        }
        Dist::Normal { mean, sd, min, max } => {
            let lo = min.unwrap_or(f64::NEG_INFINITY);
            let hi = max.unwrap_or(f64::INFINITY);
            if sd <= 0.0 {
                return mean.clamp(lo, hi);
            }
            if hi <= lo {
                return lo;
            }
            truncated_normal_inverse(mean, sd, lo, hi, open_uniform(rng))
        }
        Dist::Lognormal { median, sigma } => {
            if sigma <= 0.0 {
                return median;
            }
            let z: f64 = rng.sample(StandardNormal);
            median * (sigma * z).exp()
        }
    }
}

/// A uniform on the open interval (0, 1): `(k + 1/2) / 2^53` for the stream's next 53
/// bits `k` (u = 0 would map an untruncated normal to -inf). Symmetric: `1 - u` is again
/// such a value, exactly.
#[inline]
pub fn open_uniform<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The inverse CDF of a checked distribution at `u` in (0, 1): the one-uniform draw used
/// where uniforms are transformed first (rank-correlated inputs, issue 17). Uniform,
/// triangular and normal are the same maps `draw_dist` applies to its uniform; lognormal
/// is `median exp(sigma Phi^-1(u))`; PERT the scaled Beta quantile (`beta::beta_inv`).
/// Degenerate distributions return their constant.
pub fn inverse_cdf(d: &Dist, u: f64) -> f64 {
    match *d {
        Dist::Uniform { low, high } => {
            if high <= low {
                return low;
            }
            (low + (high - low) * u).min(high)
        }
        Dist::Triangular { low, mode, high } => {
            if high <= low {
                return low;
            }
            triangular_inverse(low, mode, high, u)
        }
        Dist::Pert { low, mode, high } => {
            if high <= low {
                return low;
            }
            let (alpha, beta) = pert_shape(low, mode, high);
            (low + (high - low) * super::beta::beta_inv(alpha, beta, u)).clamp(low, high)
        }
        Dist::Normal { mean, sd, min, max } => {
            let lo = min.unwrap_or(f64::NEG_INFINITY);
            let hi = max.unwrap_or(f64::INFINITY);
            if sd <= 0.0 {
                return mean.clamp(lo, hi);
            }
            if hi <= lo {
                return lo;
            }
            truncated_normal_inverse(mean, sd, lo, hi, u)
        }
        Dist::Lognormal { median, sigma } => {
            if sigma <= 0.0 {
                return median;
            }
            median * (sigma * norm_inv(u)).exp()
        }
    }
}

/// PERT with shape 4: Beta(alpha, beta) on [low, high],
/// `alpha = 1 + 4 (mode - low)/(high - low)`, `beta = 1 + 4 (high - mode)/(high - low)`.
pub fn pert_shape(low: f64, mode: f64, high: f64) -> (f64, f64) {
    (
        1.0 + 4.0 * (mode - low) / (high - low),
        1.0 + 4.0 * (high - mode) / (high - low),
    )
}

/// The CDF of a checked distribution of non-zero width at `x` (for tests of the
/// marginals; KS statistics).
pub fn cdf(d: &Dist, x: f64) -> f64 {
    match *d {
        Dist::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
        Dist::Triangular { low, mode, high } => {
            if x <= low {
                0.0
            } else if x >= high {
                1.0
            } else if x <= mode {
                (x - low).powi(2) / ((high - low) * (mode - low))
            } else {
                1.0 - (high - x).powi(2) / ((high - low) * (high - mode))
            }
        }
        Dist::Pert { low, mode, high } => {
            let (a, b) = pert_shape(low, mode, high);
            super::beta::beta_cdf(a, b, ((x - low) / (high - low)).clamp(0.0, 1.0))
        }
        Dist::Normal { mean, sd, min, max } => {
            let lo = min.unwrap_or(f64::NEG_INFINITY);
            let hi = max.unwrap_or(f64::INFINITY);
            if x <= lo {
                return 0.0;
            }
            if x >= hi {
                return 1.0;
            }
            let f = |v: f64| norm_cdf((v - mean) / sd);
            (f(x) - f(lo)) / (f(hi) - f(lo))
        }
        Dist::Lognormal { median, sigma } => {
            if x <= 0.0 {
                0.0
            } else {
                norm_cdf((x / median).ln() / sigma)
            }
        }
    }
}

/// Inverse CDF of the triangular distribution at `u` in [0, 1).
pub fn triangular_inverse(low: f64, mode: f64, high: f64, u: f64) -> f64 {
    let w = high - low;
    let fc = (mode - low) / w;
    let x = if u < fc {
        low + (u * w * (mode - low)).sqrt()
    } else {
        high - ((1.0 - u) * w * (high - mode)).sqrt()
    };
    x.clamp(low, high)
}

/// Inverse CDF of N(mean, sd^2) conditioned on [lo, hi], at `u` in (0, 1).
/// Works in the upper or lower tail, whichever keeps precision; a window whose nearer
/// edge lies beyond `tail::FAR_TAIL` sd, where the tail probabilities leave f64's normal
/// range, is inverted in log space (see `tail`), by symmetry for the lower tail.
pub fn truncated_normal_inverse(mean: f64, sd: f64, lo: f64, hi: f64, u: f64) -> f64 {
    let a = (lo - mean) / sd;
    let b = (hi - mean) / sd;
    let z = if a > FAR_TAIL {
        upper_tail_inverse(a, b, u)
    } else if b < -FAR_TAIL {
        // Z on [a, b] is -Z' with Z' on [-b, -a]; u from the bottom is 1-u from the top
        // (exact for the half-offset 53-bit uniforms drawn here).
        -upper_tail_inverse(-b, -a, 1.0 - u)
    } else if a > 0.0 {
        // Both bounds above the mean: use upper-tail probabilities Q(x) = Phi(-x).
        let qa = norm_cdf(-a);
        let qb = norm_cdf(-b);
        -norm_inv(qa - u * (qa - qb))
    } else {
        let pa = norm_cdf(a);
        let pb = norm_cdf(b);
        norm_inv(pa + u * (pb - pa))
    };
    (mean + sd * z).clamp(lo, hi)
}

/// Standard normal CDF, `Phi(x) = erfc(-x/sqrt 2)/2` (accurate in both tails).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal quantile: Wichura's AS241 (PPND16), relative accuracy about 1e-16.
/// Returns -inf at 0 and +inf at 1.
pub fn norm_inv(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r0 = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r0.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 {
        -x
    } else {
        x
    }
}

fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

// Coefficients as published (Wichura 1988), some beyond f64 precision.
#[allow(clippy::excessive_precision)]
const A: [f64; 8] = [
    3.387_132_872_796_366_5,
    133.141_667_891_784_38,
    1_971.590_950_306_551_3,
    13_731.693_765_509_461,
    45_921.953_931_549_87,
    67_265.770_927_008_7,
    33_430.575_583_588_13,
    2_509.080_928_730_122_7,
];
const B: [f64; 8] = [
    1.0,
    42.313_330_701_600_91,
    687.187_007_492_057_9,
    5_394.196_021_424_751,
    21_213.794_301_586_597,
    39_307.895_800_092_71,
    28_729.085_735_721_943,
    5_226.495_278_852_545,
];
const C: [f64; 8] = [
    1.423_437_110_749_683_5,
    4.630_337_846_156_546,
    5.769_497_221_460_691,
    3.647_848_324_763_204_5,
    1.270_458_252_452_368_4,
    0.241_780_725_177_450_6,
    0.022_723_844_989_269_184,
    7.745_450_142_783_414e-4,
];
const D: [f64; 8] = [
    1.0,
    2.053_191_626_637_759,
    1.676_384_830_183_803_8,
    0.689_767_334_985_1,
    0.148_103_976_427_480_08,
    0.015_198_666_563_616_457,
    5.475_938_084_995_345e-4,
    1.050_750_071_644_416_9e-9,
];
const E: [f64; 8] = [
    6.657_904_643_501_103,
    5.463_784_911_164_114,
    1.784_826_539_917_291_3,
    0.296_560_571_828_504_9,
    0.026_532_189_526_576_124,
    0.001_242_660_947_388_078_4,
    2.711_555_568_743_487_6e-5,
    2.010_334_399_292_288_1e-7,
];
const F: [f64; 8] = [
    1.0,
    0.599_832_206_555_888,
    0.136_929_880_922_735_8,
    0.014_875_361_290_850_615,
    7.868_691_311_456_133e-4,
    1.846_318_317_510_054_8e-5,
    1.421_511_758_316_446e-7,
    2.044_263_103_389_939_7e-15,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_inv_inverts_norm_cdf() {
        for &p in &[
            1e-300,
            1e-20,
            1e-8,
            0.001,
            0.025,
            0.3,
            0.5,
            0.7,
            0.975,
            0.999,
            1.0 - 1e-12,
        ] {
            let x = norm_inv(p);
            let back = norm_cdf(x);
            assert!(((back - p) / p).abs() < 1e-12, "p={p} x={x} back={back}");
        }
        // Known quantile: Phi^-1(0.975) = 1.959963984540054.
        assert!((norm_inv(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
    }

    #[test]
    fn triangular_inverse_hits_mode_at_its_cdf() {
        // F(mode) = (mode-low)/(high-low) = 0.25 for (0, 1, 4).
        assert!((triangular_inverse(0.0, 1.0, 4.0, 0.25) - 1.0).abs() < 1e-15);
        assert_eq!(triangular_inverse(0.0, 1.0, 4.0, 0.0), 0.0);
        // Median of symmetric (0, 1, 2) is 1.
        assert!((triangular_inverse(0.0, 1.0, 2.0, 0.5) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn truncated_normal_stays_inside_even_far_in_a_tail() {
        for &u in &[0.0, 0.3, 0.999_999] {
            let x = truncated_normal_inverse(0.0, 1.0, 12.0, 13.0, u);
            assert!((12.0..=13.0).contains(&x), "{x}");
            let y = truncated_normal_inverse(0.0, 1.0, -13.0, -12.0, u);
            assert!((-13.0..=-12.0).contains(&y), "{y}");
        }
        // Symmetric window: median is the mean.
        assert!((truncated_normal_inverse(5.0, 2.0, 3.0, 7.0, 0.5) - 5.0).abs() < 1e-12);
    }
}
