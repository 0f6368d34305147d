//! Honest standard errors of a mean under `--sampler` (issue 17). The paths of an
//! antithetic pair, or of one Sobol replicate, are not independent, so `sd/sqrt(n)` over
//! paths would be wrong (too large for good pairs, meaningless for QMC points):
//! - antithetic: the `n/2` pair means `(x_2j + x_2j+1)/2` are independent; the standard
//!   error of the mean is their sample sd over `sqrt(n/2)`;
//! - sobol: the `R` replicate means (independent scramblings, each an unbiased estimate)
//!   are independent; the standard error is their sample sd over `sqrt(R)`.

use super::stats::mean_std;
use crate::model::sampler::Sampler;

/// The standard error of the mean of `values` (path order) under `sampler`; `None` for
/// plain Monte Carlo, whose `sd/sqrt(n)` the caller computes as always.
pub fn std_error(sampler: Sampler, values: &[f64]) -> Option<f64> {
    match sampler {
        Sampler::Mc => None,
        Sampler::Antithetic => {
            let means: Vec<f64> = values
                .chunks_exact(2)
                .map(|p| 0.5 * (p[0] + p[1]))
                .collect();
            if means.len() < 2 {
                return Some(f64::NAN);
            }
            let (_, sd) = mean_std(&means);
            Some(sd / (means.len() as f64).sqrt())
        }
        Sampler::Sobol { replicates, .. } => {
            let r = replicates.max(1) as usize;
            let mut sums = vec![0.0; r];
            let mut counts = vec![0usize; r];
            for (i, v) in values.iter().enumerate() {
                sums[i % r] += v;
                counts[i % r] += 1;
            }
            let means: Vec<f64> = sums
                .iter()
                .zip(&counts)
                .filter(|(_, &c)| c > 0)
                .map(|(s, &c)| s / c as f64)
                .collect();
            if means.len() < 2 {
                return Some(f64::NAN);
            }
            let (_, sd) = mean_std(&means);
            Some(sd / (means.len() as f64).sqrt())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_and_replicate_standard_errors_by_hand() {
        // Pairs (1,3), (2,6), (4,4): means 2, 4, 4; sd = sqrt(4/3); se = sd/sqrt(3) = 2/3.
        let se = std_error(Sampler::Antithetic, &[1.0, 3.0, 2.0, 6.0, 4.0, 4.0]).unwrap();
        assert!((se - 2.0 / 3.0).abs() < 1e-15, "{se}");
        // Replicates by i % 2: (1, 2, 4) mean 7/3 and (3, 6, 4) mean 13/3: sd = sqrt(2),
        // se = 1.
        let s = Sampler::Sobol {
            replicates: 2,
            offset: 0,
        };
        let se = std_error(s, &[1.0, 3.0, 2.0, 6.0, 4.0, 4.0]).unwrap();
        assert!((se - 1.0).abs() < 1e-15, "{se}");
        assert_eq!(std_error(Sampler::Mc, &[1.0, 2.0]), None);
    }
}
