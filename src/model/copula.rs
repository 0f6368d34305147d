//! Rank correlation between uncertain inputs (issue 17): a Gaussian copula applied per
//! path to the inputs' own uniforms.
//!
//! For the `n` correlated inputs of a path, each input's uniform `u_j` comes from its own
//! stream (as for an independent draw). Then
//!
//! ```text
//! z = Phi^-1(u)          independent standard normals
//! x = L z                L L^T = P, P_ab = 2 sin(pi rho_S,ab / 6)
//! v_j = Phi(x_j)         uniforms again, now with Spearman correlations rho_S
//! value_j = F_j^-1(v_j)  each marginal by its exact inverse CDF
//! ```
//!
//! Each `x_j` is N(0, 1), so each `v_j` is uniform and every marginal is exactly as
//! specified; Spearman's rho is invariant under the increasing maps `Phi` and `F_j^-1`,
//! and for a bivariate normal it equals `(6/pi) asin(P_ab / 2)` (Pearson 1907), so the
//! target holds in the population. Nothing crosses paths: path i's values depend only on
//! (seed, the inputs' stream keys, i), as without correlation.

use super::dist::{inverse_cdf, norm_cdf, norm_inv};
use crate::scenario::input_correlation::{cholesky_psd, copula_matrix};
use crate::scenario::{Dist, Input, Scenario};

/// Keeps `Phi(x)` inside the range of the stream's open uniforms, `[2^-54, 1 - 2^-54]`
/// (`Phi` rounds to 0 or 1 beyond about ±8.3 sd: an untruncated normal or lognormal
/// marginal would map that to an infinity).
const V_MIN: f64 = 1.0 / (1u64 << 54) as f64;

/// The copula of a scenario's `[[input_correlation]]` pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Copula {
    /// Key paths of the correlated inputs, in order of first mention.
    pub names: Vec<String>,
    /// Their stream keys (`stream_key(name)`).
    pub keys: Vec<u64>,
    pub dists: Vec<Dist>,
    /// Lower-triangular Cholesky factor of the Pearson matrix, `n x n` row-major.
    chol: Vec<f64>,
}

impl Copula {
    /// The copula of `sc`, or `None` without pairs (every input independent).
    pub fn new(sc: &Scenario) -> Option<Copula> {
        if sc.input_correlation.is_empty() {
            return None;
        }
        let (names, pearson) = copula_matrix(&sc.input_correlation);
        let n = names.len();
        // Validation checked the matrix; the identity is a never-used fallback.
        let chol = cholesky_psd(&pearson, n).unwrap_or_else(|_| {
            let mut id = vec![0.0; n * n];
            (0..n).for_each(|i| id[i * n + i] = 1.0);
            id
        });
        let inputs = sc.inputs();
        let dists = names
            .iter()
            .map(|k| match inputs.iter().find(|(name, _)| name == k) {
                Some((_, Input::Dist(d))) => *d,
                // Held at a constant by a one-at-a-time swing: its normal score still
                // comes from its stream, so its partners draw as in the base run.
                Some((_, Input::Const(v))) => Dist::Uniform { low: *v, high: *v },
                // Validation refuses unknown keys.
                _ => Dist::Uniform {
                    low: 0.0,
                    high: 0.0,
                },
            })
            .collect();
        Some(Copula {
            keys: names.iter().map(|k| super::stream_key(k)).collect(),
            names,
            dists,
            chol,
        })
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Index of the input with stream key `key`, if it is correlated.
    #[inline]
    pub fn position(&self, key: u64) -> Option<usize> {
        self.keys.iter().position(|&k| k == key)
    }

    /// The inputs' values from their own uniforms `u` (each in (0, 1)); `u` is
    /// overwritten with the normal scores `z`. `out.len() == u.len() == self.len()`.
    pub fn transform(&self, u: &mut [f64], out: &mut [f64]) {
        let n = self.len();
        for v in u.iter_mut() {
            *v = norm_inv(*v);
        }
        for (j, o) in out.iter_mut().enumerate() {
            let x: f64 = (0..=j).map(|k| self.chol[j * n + k] * u[k]).sum();
            let v = norm_cdf(x).clamp(V_MIN, 1.0 - V_MIN);
            *o = inverse_cdf(&self.dists[j], v);
        }
    }
}
