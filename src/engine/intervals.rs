//! Confidence intervals that need no assumption about the shape of the distribution:
//! order-statistic intervals for quantiles and Wilson intervals for probabilities.
//!
//! **Quantile interval (distribution-free).** For `n` independent values and a quantile
//! `ξ_p`, the number `B` of values at or below `ξ_p` is Binomial(n, p). With sorted values
//! `x_(1) ≤ … ≤ x_(n)` and 1-based ranks `l < u`,
//! `P(x_(l) ≤ ξ_p ≤ x_(u)) ≥ P(l ≤ B ≤ u − 1) = F(u − 1) − F(l − 1)`, `F` the Binomial(n, p)
//! CDF (equality for continuous distributions; `≥` for any distribution, ties included).
//! Equal tails: `l = max{r ≥ 1 : F(r − 1) ≤ 0.025}` and `u = min{r ≤ n : F(r − 1) ≥ 0.975}`,
//! so each side misses with probability at most 2.5 % and the coverage is at least 95 %.
//! References: Conover, *Practical Nonparametric Statistics* (3rd ed., 1999), §3.2;
//! Hahn & Meeker, *Statistical Intervals* (1991), §5.2; David & Nagaraja, *Order
//! Statistics* (3rd ed., 2003), §7.1.
//!
//! **Too few paths.** When `P(B = 0) = (1 − p)^n > 0.025` no rank gives the lower side its
//! 97.5 %, and the lower bound falls back to the minimum `x_(1)`; likewise, when
//! `p^n > 0.025` the upper bound is the maximum `x_(n)`. Such a side covers with less than
//! 97.5 % (e.g. p5 needs n ≥ 72 for its lower bound, p1 needs n ≥ 368; p50 needs n ≥ 6).
//!
//! **Wilson interval** for a probability from `k` successes in `n` trials (Wilson 1927;
//! Brown, Cai & DasGupta, *Statist. Sci.* 16 (2001) 101–133):
//! `(p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`, `z = 1.959964`.

/// The standard normal 97.5 % quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Each tail of a two-sided 95 % interval.
const TAIL: f64 = 0.025;

/// Binomial(n, p) CDF values `F(k)` for `k` in `first..first + cdf.len()`. Outside that
/// window the mass is below 1e-30 (12 standard deviations plus 12 from the mean), so
/// `F(k) = 0` before it and `1` after it for every purpose here.
struct BinomialCdf {
    first: usize,
    cdf: Vec<f64>,
}

impl BinomialCdf {
    fn new(n: usize, p: f64) -> BinomialCdf {
        let nf = n as f64;
        let sd = (nf * p * (1.0 - p)).sqrt();
        let w = (12.0 * sd + 12.0).ceil() as usize;
        let mid = (nf * p) as usize;
        let first = mid.saturating_sub(w);
        let last = (mid + w + 1).min(n);
        // log pmf(k) = ln C(n, k) + k ln p + (n − k) ln(1 − p), lgamma from libm (pure
        // software, the same bits on every platform).
        let ln_n1 = libm::lgamma(nf + 1.0);
        let (lp, lq) = (p.ln(), (-p).ln_1p());
        let mut acc = 0.0;
        let cdf = (first..=last)
            .map(|k| {
                let kf = k as f64;
                let ln_pmf = ln_n1 - libm::lgamma(kf + 1.0) - libm::lgamma(nf - kf + 1.0)
                    + kf * lp
                    + (nf - kf) * lq;
                acc += ln_pmf.exp();
                acc
            })
            .collect();
        BinomialCdf { first, cdf }
    }

    /// `F(k) = P(B ≤ k)`.
    fn at(&self, k: usize) -> f64 {
        if k < self.first {
            0.0
        } else {
            self.cdf.get(k - self.first).copied().unwrap_or(1.0)
        }
    }
}

/// `P(B ≤ k)` for `B ~ Binomial(n, p)`, `0 < p < 1`.
pub fn binomial_cdf(n: usize, p: f64, k: usize) -> f64 {
    BinomialCdf::new(n, p).at(k)
}

/// The ranks of a distribution-free 95 % interval for the `p` quantile of `n ≥ 1` values,
/// as 0-based indices `(lo, hi)` into the sorted values (`lo ≤ hi`), and whether each side
/// has its full 97.5 % (`false`: too few values, the bound is the minimum or maximum).
/// See the module notes for the rule.
pub fn quantile_ci_ranks(n: usize, p: f64) -> QuantileRanks {
    let f = BinomialCdf::new(n, p);
    // l = max{r in 1..=n : F(r − 1) ≤ 0.025}; F is increasing, so scan upwards.
    let mut l = None;
    let start = f.first.max(1);
    if f.first >= 1 {
        l = Some(f.first);
    }
    for r in start..=n {
        if f.at(r - 1) <= TAIL {
            l = Some(r);
        } else {
            break;
        }
    }
    // u = min{r in 1..=n : F(r − 1) ≥ 0.975}.
    let mut u = None;
    for r in start..=n {
        if f.at(r - 1) >= 1.0 - TAIL {
            u = Some(r);
            break;
        }
    }
    QuantileRanks {
        lo: l.map_or(0, |r| r - 1),
        hi: u.map_or(n - 1, |r| r - 1),
        lo_exact: l.is_some(),
        hi_exact: u.is_some(),
    }
}

/// The distribution-free 95 % interval of the `p` quantile of `values` (non-empty; may
/// reorder them): `(x_(l), x_(u))` with the ranks of [`quantile_ci_ranks`].
pub fn quantile_interval(values: &mut [f64], p: f64) -> (f64, f64) {
    let r = quantile_ci_ranks(values.len(), p);
    let ranks = if r.lo == r.hi {
        vec![r.lo]
    } else {
        vec![r.lo, r.hi]
    };
    let os = super::stats::order_stats(values, &ranks);
    (os[0], os[os.len() - 1])
}

/// See [`quantile_ci_ranks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantileRanks {
    pub lo: usize,
    pub hi: usize,
    pub lo_exact: bool,
    pub hi_exact: bool,
}

/// 0-based index of the inverse-empirical-CDF quantile (Hyndman & Fan type 1): the
/// smallest value with at least `n·p` values at or below it, rank `max(1, ⌈n·p⌉)`. It never
/// interpolates, so a 0/1 result's quantile is 0 or 1. `n·p` is taken to 1e-9 relative so
/// that `p = 0.05` of 100 paths is rank 5, not 6.
pub fn inverse_cdf_index(n: usize, p: f64) -> usize {
    let x = n as f64 * p;
    let r = (x - 1e-9 * x.max(1.0)).ceil().max(1.0) as usize;
    r.min(n) - 1
}

/// Wilson 95 % interval for a probability from `k` successes in `n ≥ 1` trials; exactly
/// 0 (1) at the lower (upper) end when `k = 0` (`k = n`).
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    let nf = n as f64;
    let ph = k as f64 / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let center = (ph + z2 / (2.0 * nf)) / denom;
    let half = Z95 / denom * (ph * (1.0 - ph) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let lo = if k == 0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (center + half).min(1.0)
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_cdf_known_values() {
        // Binomial(10, 0.5): P(B ≤ 1) = 11/1024, P(B ≤ 8) = 1013/1024.
        assert!((binomial_cdf(10, 0.5, 1) - 11.0 / 1024.0).abs() < 1e-14);
        assert!((binomial_cdf(10, 0.5, 8) - 1013.0 / 1024.0).abs() < 1e-14);
        assert!((binomial_cdf(10, 0.5, 10) - 1.0).abs() < 1e-14);
        // Binomial(100, 0.05): P(B ≤ 0) = 0.95^100.
        assert!((binomial_cdf(100, 0.05, 0) - 0.95f64.powi(100)).abs() < 1e-15);
    }

    #[test]
    fn ranks_by_hand() {
        // n = 10, p = 0.5: F(1) = 0.0107 ≤ 0.025 < F(2) = 0.0547, so l = 2;
        // F(7) = 0.9453 < 0.975 ≤ F(8) = 0.9893, so u = 9. 0-based: (1, 8).
        let r = quantile_ci_ranks(10, 0.5);
        assert_eq!((r.lo, r.hi, r.lo_exact, r.hi_exact), (1, 8, true, true));
        // n = 20, p = 0.05: P(B = 0) = 0.358 > 0.025: no lower rank, the minimum is used.
        // F(2) = 0.9245 < 0.975 ≤ F(3) = 0.9841, so u = 4 (index 3).
        let r = quantile_ci_ranks(20, 0.05);
        assert_eq!((r.lo, r.hi, r.lo_exact, r.hi_exact), (0, 3, false, true));
        // One value: the interval is that value.
        let r = quantile_ci_ranks(1, 0.5);
        assert_eq!((r.lo, r.hi, r.lo_exact, r.hi_exact), (0, 0, false, false));
        // Large n: the ranks sit about 1.96 sd around n·p.
        let r = quantile_ci_ranks(1_000_000, 0.05);
        let sd = (1e6f64 * 0.05 * 0.95).sqrt();
        assert!((r.lo as f64 - (50_000.0 - Z95 * sd)).abs() < 3.0, "{r:?}");
        assert!((r.hi as f64 - (50_000.0 + Z95 * sd)).abs() < 3.0, "{r:?}");
    }

    #[test]
    fn inverse_cdf_ranks() {
        assert_eq!(inverse_cdf_index(100, 0.05), 4);
        assert_eq!(inverse_cdf_index(100, 0.95), 94);
        assert_eq!(inverse_cdf_index(101, 0.5), 50);
        assert_eq!(inverse_cdf_index(3, 0.05), 0);
        assert_eq!(inverse_cdf_index(1, 0.95), 0);
    }

    #[test]
    fn wilson_known_values() {
        // Brown, Cai & DasGupta (2001) formula; k = 5 of n = 10: (0.2366, 0.7634).
        let (lo, hi) = wilson(5, 10);
        assert!((lo - 0.236_593).abs() < 1e-6 && (hi - 0.763_407).abs() < 1e-6);
        assert_eq!(wilson(0, 20).0, 0.0);
        assert_eq!(wilson(20, 20).1, 1.0);
        // k = 0 of 20: upper bound z²/(n + z²) = 0.16113.
        assert!((wilson(0, 20).1 - Z95 * Z95 / (20.0 + Z95 * Z95)).abs() < 1e-12);
    }
}
