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
/// May reorder `values`. Empty input gives NaN.
pub fn quantiles<const K: usize>(values: &mut [f64], probs: &[f64; K]) -> [f64; K] {
    quantiles_in(values, probs, None)
}

/// As [`quantiles`], given the values' smallest and largest [`order_key`] when the caller
/// already knows them (saves a pass).
pub fn quantiles_in<const K: usize>(
    values: &mut [f64],
    probs: &[f64; K],
    keys: Option<(u64, u64)>,
) -> [f64; K] {
    let n = values.len();
    if n == 0 {
        return [f64::NAN; K];
    }
    let ranks = type7_ranks(n, probs);
    let order_stats = if n >= RADIX_MIN {
        radix_select(values, &ranks, keys)
    } else {
        select_in_place(values, &ranks)
    };
    type7_from(n, probs, |r| {
        order_stats[ranks.binary_search(&r).unwrap_or(0)]
    })
}

/// The sorted, distinct 0-based order statistics that type-7 quantiles of `n` values at
/// `probs` read (`n > 0`).
pub fn type7_ranks(n: usize, probs: &[f64]) -> Vec<usize> {
    let mut ranks: Vec<usize> = Vec::with_capacity(2 * probs.len());
    for &p in probs {
        let (lo, _) = position(n, p);
        ranks.push(lo);
        if lo + 1 < n {
            ranks.push(lo + 1);
        }
    }
    ranks.sort_unstable();
    ranks.dedup();
    ranks
}

/// Type-7 quantiles of `n` values at `probs` from their order statistics (`at(r)`, for
/// the ranks of [`type7_ranks`]): the one interpolation, whichever way the order
/// statistics were found (a selection in memory, or `engine::bracket`).
pub fn type7_from<const K: usize>(
    n: usize,
    probs: &[f64; K],
    at: impl Fn(usize) -> f64,
) -> [f64; K] {
    let mut out = [0.0; K];
    for (o, &p) in out.iter_mut().zip(probs) {
        let (lo, frac) = position(n, p);
        let a = at(lo);
        *o = if frac > 0.0 && lo + 1 < n {
            a + frac * (at(lo + 1) - a)
        } else {
            a
        };
    }
    out
}

/// The order statistics at the sorted, distinct 0-based `ranks` of `values` (exact; may
/// reorder `values`).
pub fn order_stats(values: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    if values.len() >= RADIX_MIN {
        radix_select(values, ranks, None)
    } else {
        select_in_place(values, ranks)
    }
}

/// Inverse-empirical-CDF quantiles (type 1, no interpolation: every value is one of
/// `values`), for 0/1 results. May reorder `values`. Empty input gives NaN.
pub fn quantiles_type1<const K: usize>(values: &mut [f64], probs: &[f64; K]) -> [f64; K] {
    let n = values.len();
    if n == 0 {
        return [f64::NAN; K];
    }
    let idx = probs.map(|p| super::intervals::inverse_cdf_index(n, p));
    let mut ranks = idx.to_vec();
    ranks.sort_unstable();
    ranks.dedup();
    let os = order_stats(values, &ranks);
    idx.map(|r| os[ranks.binary_search(&r).unwrap_or(0)])
}

/// Below this many values, selecting in place is as fast as bucketing.
const RADIX_MIN: usize = 32_768;

/// The order statistics of sorted `ranks`, by divide-and-conquer selection in place.
fn select_in_place(values: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    multiselect(values, ranks, 0);
    ranks.iter().map(|&r| values[r]).collect()
}

/// Order-preserving map of f64 to u64 (total order: -inf < ... < -0 < 0 < ... < inf).
#[inline]
pub fn order_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The inverse of [`order_key`].
#[inline]
pub fn from_order_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// Exact order statistics of sorted `ranks` without sorting: bucket the values by the
/// top bits of their order-preserving key (a roughly logarithmic scale), find the bucket
/// holding each rank from the cumulative counts, and select only inside those buckets.
/// Three linear passes plus selections over a few small buckets.
fn radix_select(values: &[f64], ranks: &[usize], keys: Option<(u64, u64)>) -> Vec<f64> {
    const BITS: u32 = 12;
    let (kmin, kmax) = keys.unwrap_or_else(|| {
        values.iter().fold((u64::MAX, 0u64), |(lo, hi), &v| {
            let k = order_key(v);
            (lo.min(k), hi.max(k))
        })
    });
    let range = kmax - kmin;
    if range == 0 {
        return vec![values[0]; ranks.len()];
    }
    let shift = (64 - range.leading_zeros()).saturating_sub(BITS);
    let nb = (range >> shift) as usize + 1;
    let bucket = |v: f64| ((order_key(v) - kmin) >> shift) as usize;
    let mut start = vec![0usize; nb + 1];
    for &v in values {
        start[bucket(v) + 1] += 1;
    }
    for b in 0..nb {
        start[b + 1] += start[b];
    }
    // The bucket of each rank: the last bucket starting at or before it.
    let rank_bucket: Vec<usize> = ranks
        .iter()
        .map(|&r| start.partition_point(|&s| s <= r) - 1)
        .collect();
    let mut slot = vec![u8::MAX; nb];
    let mut wanted: Vec<usize> = rank_bucket.clone();
    wanted.dedup();
    let mut bins: Vec<Vec<f64>> = Vec::with_capacity(wanted.len());
    for (i, &b) in wanted.iter().enumerate() {
        slot[b] = i as u8;
        bins.push(Vec::with_capacity(start[b + 1] - start[b]));
    }
    for &v in values {
        let s = slot[bucket(v)];
        if s != u8::MAX {
            bins[s as usize].push(v);
        }
    }
    let mut out = Vec::with_capacity(ranks.len());
    for (i, &b) in wanted.iter().enumerate() {
        let local: Vec<usize> = ranks
            .iter()
            .zip(&rank_bucket)
            .filter(|(_, &rb)| rb == b)
            .map(|(&r, _)| r - start[b])
            .collect();
        out.extend(select_in_place(&mut bins[i], &local));
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
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
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
    fn order_key_round_trips_and_puts_nan_beyond_the_infinities() {
        for v in [
            f64::NEG_INFINITY,
            -1e300,
            -1.0,
            -0.0,
            0.0,
            5e-324,
            2.5,
            f64::INFINITY,
        ] {
            assert_eq!(from_order_key(order_key(v)).to_bits(), v.to_bits());
        }
        assert!(order_key(f64::NAN) > order_key(f64::INFINITY));
        assert!(order_key(-f64::NAN) < order_key(f64::NEG_INFINITY));
        assert!(from_order_key(order_key(f64::NAN)).is_nan());
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
        for n in [1usize, 2, 3, 7, 100, 1001, 5000, 40_000, 100_001] {
            let vals: Vec<f64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.3).powi(3) * 100.0
                })
                .collect();
            let probs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0];
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

#[cfg(test)]
mod radix_tests {
    use super::*;

    #[test]
    fn radix_select_handles_ties_signs_and_outliers() {
        let n = 50_000;
        // Many exact zeros (a capped ledger), negatives, and one far outlier.
        let vals: Vec<f64> = (0..n)
            .map(|i| match i % 5 {
                0 | 1 => 0.0,
                2 => -(i as f64) * 1e-3,
                3 => (i as f64).sqrt(),
                _ => {
                    if i == 4 {
                        1e300
                    } else {
                        1.0 + i as f64 * 1e-9
                    }
                }
            })
            .collect();
        let mut sorted = vals.clone();
        sorted.sort_by(f64::total_cmp);
        let ranks: Vec<usize> = vec![
            0, 1, 2_499, 2_500, 12_499, 24_999, 25_000, 37_499, 47_499, 49_999,
        ];
        let got = radix_select(&vals, &ranks, None);
        let want: Vec<f64> = ranks.iter().map(|&r| sorted[r]).collect();
        assert_eq!(got, want);
        // All equal.
        assert_eq!(
            radix_select(&vec![2.5; 40_000], &[0, 20_000], None),
            vec![2.5, 2.5]
        );
    }
}
