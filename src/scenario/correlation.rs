//! The 3x3 correlation matrix of the (revenue, growth, multiple) shocks and its Cholesky
//! factor, used by validation (is it positive semi-definite?) and by the engine
//! (`eps = L z`, MODEL.md §2).
//!
//! Positive *semi*-definite matrices are accepted, including singular ones (a
//! correlation of exactly 1): the factorisation treats a pivot within `PIVOT_TOL` of zero
//! as zero and gives that column zeros below the diagonal, which is exact when the
//! matrix is PSD (the off-diagonal entry must then vanish too, checked to `OFF_TOL`).

use super::types::Correlation;

/// Pivots down to `-PIVOT_TOL` count as zero (rounding in `1 - r^2` for |r| near 1).
const PIVOT_TOL: f64 = 1e-12;
/// After a zero pivot, the entry it would divide must be this close to zero.
const OFF_TOL: f64 = 1e-9;

impl Correlation {
    /// The symmetric matrix with ones on the diagonal, in (revenue, growth, multiple) order.
    pub fn matrix(&self) -> [[f64; 3]; 3] {
        let (a, b, c) = (
            self.revenue_growth,
            self.revenue_multiple,
            self.growth_multiple,
        );
        [[1.0, a, b], [a, 1.0, c], [b, c, 1.0]]
    }

    /// The lower-triangular `L` with `L L^T = C`, or `None` when `C` is not positive
    /// semi-definite (or has an entry outside [-1, 1] or not finite).
    pub fn try_cholesky(&self) -> Option<[[f64; 3]; 3]> {
        let c = self.matrix();
        if c.iter().flatten().any(|x| !x.is_finite() || x.abs() > 1.0) {
            return None;
        }
        let mut l = [[0.0; 3]; 3];
        for j in 0..3 {
            let d = c[j][j] - (0..j).map(|k| l[j][k] * l[j][k]).sum::<f64>();
            if d < -PIVOT_TOL {
                return None;
            }
            let pivot = d.max(0.0).sqrt();
            l[j][j] = pivot;
            for i in j + 1..3 {
                let off = c[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
                if d <= PIVOT_TOL {
                    // A zero pivot: PSD requires the rest of the column to be zero too.
                    if off.abs() > OFF_TOL {
                        return None;
                    }
                    l[i][j] = 0.0;
                } else {
                    l[i][j] = off / pivot;
                }
            }
        }
        Some(l)
    }

    /// The Cholesky factor of a validated correlation; see [`cholesky`].
    pub fn cholesky(&self) -> [[f64; 3]; 3] {
        cholesky(self)
    }
}

/// The Cholesky factor of a validated correlation (lower-triangular, `L L^T = C`).
/// Never panics: for a matrix that failed validation it falls back to the identity
/// (validation reports such a matrix before any path is run).
pub fn cholesky(corr: &Correlation) -> [[f64; 3]; 3] {
    corr.try_cholesky()
        .unwrap_or([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corr(a: f64, b: f64, c: f64) -> Correlation {
        Correlation {
            revenue_growth: a,
            revenue_multiple: b,
            growth_multiple: c,
        }
    }

    fn reproduces(c: &Correlation, tol: f64) {
        let l = c.try_cholesky().expect("PSD");
        let m = c.matrix();
        for i in 0..3 {
            for j in 0..3 {
                assert_eq!(l[i][j], if j > i { 0.0 } else { l[i][j] });
                let x: f64 = (0..3).map(|k| l[i][k] * l[j][k]).sum();
                assert!((x - m[i][j]).abs() <= tol, "{i}{j}: {x} vs {}", m[i][j]);
            }
        }
    }

    #[test]
    fn definite_and_singular_matrices_factor() {
        reproduces(&corr(0.0, 0.0, 0.0), 0.0);
        reproduces(&corr(0.3, 0.5, 0.3), 1e-15);
        reproduces(&corr(1.0, 0.5, 0.5), 1e-15);
        reproduces(&corr(1.0, 1.0, 1.0), 1e-15);
        reproduces(&corr(-1.0, 0.4, -0.4), 1e-15);
        reproduces(&corr(0.6, 0.8, 0.0), 1e-15); // det = 0: 1 - 0.36 - 0.64
    }

    #[test]
    fn indefinite_matrices_are_refused() {
        assert!(corr(0.9, 0.9, -0.9).try_cholesky().is_none());
        assert!(corr(1.0, 0.5, 0.4).try_cholesky().is_none());
        assert!(corr(1.1, 0.0, 0.0).try_cholesky().is_none());
        assert!(corr(f64::NAN, 0.0, 0.0).try_cholesky().is_none());
        assert_eq!(cholesky(&corr(0.9, 0.9, -0.9))[1][1], 1.0);
    }
}
