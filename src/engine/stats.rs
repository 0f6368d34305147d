//! Order statistics and moments over path values, computed in a fixed order so results do
//! not depend on the number of threads.

use std::cmp::Ordering;

/// Type-7 quantile positions: `h = (n-1) p`, the value is
/// `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])` over the sorted values.
fn position(n: usize, p: f64) -> (usize, f64) {
    let h = (n - 1) as f64 * p;
    let lo = (h.floor() as usize).min(n - 1);
    (lo, h - lo as f64)
}

/// Exact type-7 quantiles of `values` at each probability in `probs` (any order).
/// Reorders `values`. Empty input gives NaN.
pub fn quantiles<const K: usize>(values: &mut [f64], probs: &[f64; K]) -> [f64; K] {
    let n = values.len();
    if n == 0 {
        return [f64::NAN; K];
    }
    let mut ranks: Vec<usize> = Vec::with_capacity(2 * K);
    for &p in probs {
        let (lo, _) = position(n, p);
        ranks.push(lo);
        if lo + 1 < n {
            ranks.push(lo + 1);
        }
    }
    ranks.sort_unstable();
    ranks.dedup();
    multiselect(values, &ranks, 0);
    let mut out = [0.0; K];
    for (o, &p) in out.iter_mut().zip(probs) {
        let (lo, frac) = position(n, p);
        let a = values[lo];
        *o = if frac > 0.0 && lo + 1 < n { a + frac * (values[lo + 1] - a) } else { a };
    }
    out
}

/// Place the order statistics of the given absolute `ranks` (sorted, within
/// `offset..offset+values.len()`) at their sorted positions: divide and conquer on the
/// middle rank, so the work is about `n log(#ranks)` rather than `n #ranks`.
fn multiselect(values: &mut [f64], ranks: &[usize], offset: usize) {
    if ranks.is_empty() || values.len() <= 1 {
        return;
    }
    let mid = ranks.len() / 2;
    let r = ranks[mid] - offset;
    values.select_nth_unstable_by(r, cmp);
    let (left, rest) = values.split_at_mut(r);
    multiselect(left, &ranks[..mid], offset);
    multiselect(&mut rest[1..], &ranks[mid + 1..], offset + r + 1);
}

#[inline]
fn cmp(a: &f64, b: &f64) -> Ordering {
    a.total_cmp(b)
}

/// Mean and sample standard deviation (n - 1; 0 for one value), two passes in index order.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64).sqrt())
}

/// Minimum and maximum.
pub fn min_max(values: &[f64]) -> (f64, f64) {
    values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Type 7 by sorting, the definition itself.
    fn by_sorting(values: &[f64], p: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let (lo, frac) = position(v.len(), p);
        if lo + 1 < v.len() {
            v[lo] + frac * (v[lo + 1] - v[lo])
        } else {
            v[lo]
        }
    }

    #[test]
    fn type7_known_values() {
        // R: quantile(1:10, c(.05,.25,.5,.75,.95), type = 7) = 1.45 3.25 5.5 7.75 9.55
        let mut v: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        let q = quantiles(&mut v, &[0.05, 0.25, 0.5, 0.75, 0.95]);
        let want = [1.45, 3.25, 5.5, 7.75, 9.55];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }

    #[test]
    fn matches_sorting_on_many_shapes() {
        let mut x: u64 = 12345;
        for n in [1usize, 2, 3, 7, 100, 1001, 5000] {
            let vals: Vec<f64> = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.3).powi(3) * 100.0
                })
                .collect();
            let probs = [0.0, 0.05, 0.5, 0.95, 1.0];
            let mut work = vals.clone();
            let q = quantiles(&mut work, &probs);
            for (qi, &p) in q.iter().zip(&probs) {
                assert_eq!(*qi, by_sorting(&vals, p), "n={n} p={p}");
            }
        }
    }

    #[test]
    fn std_of_known_sample() {
        let (m, s) = mean_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m, 5.0);
        // Sample variance = 32/7.
        assert!((s - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        assert_eq!(mean_std(&[3.0]), (3.0, 0.0));
    }
}
