//! The achieved rank correlation of each `[[input_correlation]]` pair (issue 17):
//! Spearman's rho over the run's drawn values, the number written to
//! `input_correlation.csv` next to the target.

use rayon::prelude::*;

use super::{rng, CHUNK};
use crate::model::sampler::Sampler;
use crate::model::Model;
use crate::scenario::Scenario;

/// One pair: its key paths, the target and the achieved Spearman rank correlation.
#[derive(Debug, Clone, PartialEq)]
pub struct PairRank {
    pub input_a: String,
    pub input_b: String,
    pub target: f64,
    pub achieved: f64,
}

/// Each pair's target and achieved rank correlation over paths `0..paths` drawn under
/// `seed` (values exactly as the run drew them; identical on any thread count: the draws
/// are path-indexed and every sum runs in path order). Empty without pairs.
pub fn achieved_ranks(sc: &Scenario, seed: u64, paths: u64) -> Vec<PairRank> {
    achieved_ranks_sampled(sc, seed, paths, Sampler::Mc)
}

/// [`achieved_ranks`] under `sampler` (the draws that sampler made).
pub fn achieved_ranks_sampled(
    sc: &Scenario,
    seed: u64,
    paths: u64,
    sampler: Sampler,
) -> Vec<PairRank> {
    let mut model = Model::new(sc);
    model.sampler = sampler;
    let model = &model;
    let Some(c) = &model.copula else {
        return Vec::new();
    };
    let m = c.len();
    let rows: Vec<f64> = (0..paths as usize)
        .into_par_iter()
        .with_min_len(CHUNK)
        .flat_map_iter(|i| rng::correlated_of_path(model, c, seed, i as u64))
        .collect();
    let ranks: Vec<Vec<f64>> = (0..m)
        .into_par_iter()
        .map(|j| {
            let col: Vec<f64> = rows.iter().skip(j).step_by(m).copied().collect();
            average_ranks(&col)
        })
        .collect();
    let at = |k: &String| c.names.iter().position(|x| x == k).unwrap_or(0);
    sc.input_correlation
        .iter()
        .map(|p| PairRank {
            input_a: p.inputs[0].clone(),
            input_b: p.inputs[1].clone(),
            target: p.rank,
            achieved: pearson(&ranks[at(&p.inputs[0])], &ranks[at(&p.inputs[1])]),
        })
        .collect()
}

/// Ranks 1..n of `x`, ties given the average of the ranks they span.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        // Positions i..=j hold ranks i+1..=j+1: their mean.
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation of two equally long samples (two-pass, in index order); Spearman's
/// rho when they are ranks. NaN when either is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    sab / (saa * sbb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties_and_spearman_of_monotone_maps_is_one() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        let x = [0.3, -1.0, 2.5, 0.0, 7.0];
        let y: Vec<f64> = x.iter().map(|v: &f64| v.exp()).collect();
        let neg: Vec<f64> = x.iter().map(|v| -v * v * v).collect();
        let (rx, ry, rn) = (average_ranks(&x), average_ranks(&y), average_ranks(&neg));
        assert!((pearson(&rx, &ry) - 1.0).abs() < 1e-15);
        assert!((pearson(&rx, &rn) + 1.0).abs() < 1e-15);
    }
}
