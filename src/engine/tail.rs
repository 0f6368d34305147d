//! Lower tails of a result: value at risk (VaR) and expected shortfall (ES), with the
//! batch-means interval of ES.
//!
//! **VaR at level L** is the `1 − L` quantile of the path values, type 7 like every
//! percentile of summary.csv (so VaR 0.95 is summary.csv's p5).
//!
//! **ES at level L** is the mean of the paths *at or below* VaR: every path whose value is
//! `≤` the VaR value (ties with VaR all included; VaR interpolates, so the set is the
//! `⌊(n − 1)(1 − L)⌋ + 1` smallest values plus any equal to VaR). It is never above VaR
//! and never empty. (Acerbi & Tasche, "Expected shortfall: a natural coherent
//! alternative to value at risk", *Economic Notes* 31 (2002) 379–388, lower tail.)
//!
//! **ES interval: batch means.** Paths are cut, in path order, into `B = 20` batches of
//! consecutive paths (batch `b` holds paths `⌊b·n/B⌋ .. ⌊(b+1)·n/B⌋`); ES is computed in each
//! batch by the same rule, and the interval is `ES ± t(0.975, B−1) · s_B / √B`, where `s_B`
//! is the standard deviation of the 20 batch values and `t(0.975, 19) = 2.093` (Law,
//! *Simulation Modeling and Analysis* (5th ed., 2015), §9.5.3). The batches are a fixed
//! partition of the paths, so the interval is the same on any number of threads. With
//! fewer than `2B = 40` paths there are no batches: the interval is the whole range of the
//! paths, `[min, max]`, and says only that there are too few paths.

use super::stats::quantiles;

/// Levels of VaR and ES, ascending, and their tail probabilities `1 − level` (written out
/// so that 0.05 is the same f64 as summary.csv's p5, not `1 − 0.95`).
pub const LEVELS: [f64; 3] = [0.9, 0.95, 0.99];
pub const TAIL_PROBS: [f64; 3] = [0.1, 0.05, 0.01];

/// Number of batches of the ES interval.
pub const ES_BATCHES: usize = 20;

/// `t(0.975, 19)`, Student's t quantile for 19 degrees of freedom.
const T_975_19: f64 = 2.093_024_054_408_263;

/// Mean of the values at or below `var` (see the module notes). NaN if none is.
pub fn shortfall(values: &[f64], var: f64) -> f64 {
    let (mut sum, mut count) = (0.0, 0u64);
    for &v in values {
        if v <= var {
            sum += v;
            count += 1;
        }
    }
    sum / count as f64
}

/// VaR and ES at each of [`LEVELS`] (reorders `values`; `values` non-empty).
pub fn var_es(values: &mut [f64]) -> [(f64, f64); 3] {
    let var = quantiles(values, &TAIL_PROBS);
    std::array::from_fn(|i| (var[i], shortfall(values, var[i])))
}

/// Half-widths of the batch-means 95 % intervals of ES at each of [`LEVELS`], from
/// `values` in path order; `None` with fewer than `2 · ES_BATCHES` values.
pub fn es_half_widths(values: &[f64]) -> Option<[f64; 3]> {
    let n = values.len();
    if n < 2 * ES_BATCHES {
        return None;
    }
    let mut buf: Vec<f64> = Vec::with_capacity(n / ES_BATCHES + 1);
    let mut per_batch = [[0.0; ES_BATCHES]; 3];
    for b in 0..ES_BATCHES {
        let batch = &values[b * n / ES_BATCHES..(b + 1) * n / ES_BATCHES];
        buf.clear();
        buf.extend_from_slice(batch);
        for (i, (_, es)) in var_es(&mut buf).into_iter().enumerate() {
            per_batch[i][b] = es;
        }
    }
    let bf = ES_BATCHES as f64;
    Some(per_batch.map(|es| {
        let (_, sd) = super::stats::mean_std(&es);
        T_975_19 * sd / bf.sqrt()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_and_es_by_hand() {
        // 20 values 1..=20 (shuffled). Type 7 at 0.1: h = 19 × 0.1 = 1.9, VaR = 2 + 0.9 = 2.9;
        // at or below: {1, 2}, ES = 1.5. At 0.05: h = 0.95, VaR = 1.95, ES = 1. At 0.01:
        // h = 0.19, VaR = 1.19, ES = 1.
        let mut v: Vec<f64> = (1..=20).map(|i| f64::from((i * 7) % 20 + 1)).collect();
        let r = var_es(&mut v);
        assert!((r[0].0 - 2.9).abs() < 1e-12 && r[0].1 == 1.5, "{r:?}");
        assert!((r[1].0 - 1.95).abs() < 1e-12 && r[1].1 == 1.0, "{r:?}");
        assert!((r[2].0 - 1.19).abs() < 1e-12 && r[2].1 == 1.0, "{r:?}");
    }

    #[test]
    fn es_includes_every_tie_at_var() {
        // 10 values: -4, 0 ×5, 3, 5, 8, 9. At 0.1: h = 0.9, VaR = -4 + 0.9 × 4 = -0.4;
        // at or below: {-4}, ES = -4. At 0.05 ... the same set.
        // Tail probability 0.3 (h = 2.7, VaR = 0): at or below are -4 and all five zeros,
        // six paths, not ⌈0.3 × 10⌉ = 3: ES = -4 / 6.
        let mut v = vec![0.0, 8.0, 0.0, -4.0, 3.0, 0.0, 9.0, 0.0, 5.0, 0.0];
        let r = var_es(&mut v);
        assert!((r[0].0 + 0.4).abs() < 1e-12 && r[0].1 == -4.0, "{r:?}");
        let var = quantiles(&mut v, &[0.3])[0];
        assert_eq!(var, 0.0);
        assert_eq!(shortfall(&v, var), -4.0 / 6.0);
    }

    #[test]
    fn batch_means_by_hand() {
        // 40 values: batch b holds 2b and 2b+1 of the pattern [b, b + 10]. In a batch of two,
        // type 7 at p ≤ 0.1 is below the larger value, so ES = the smaller value = b.
        // Batch ES = 0, 1, ..., 19: sd = sqrt(35) (variance of 0..19 with n − 1 is 35).
        let v: Vec<f64> = (0..40)
            .map(|i| {
                let b = (i / 2) as f64;
                if i % 2 == 0 {
                    b + 10.0
                } else {
                    b
                }
            })
            .collect();
        let h = es_half_widths(&v).unwrap();
        let want = T_975_19 * 35f64.sqrt() / 20f64.sqrt();
        for w in h {
            assert!((w - want).abs() < 1e-12, "{w} vs {want}");
        }
        assert!(es_half_widths(&v[..39]).is_none());
    }
}
