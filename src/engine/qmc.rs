//! Randomised quasi-Monte Carlo for `--sampler sobol` (issue 17): Owen-scrambled Sobol
//! points (`sobol_burley`: Burley 2020, "Practical hash-based Owen scrambling"; Joe–Kuo
//! direction numbers, 256 dimensions, 2^16 points), one independent scrambling per
//! replicate.
//!
//! Path i is point `j = i / R` of replicate `r = i % R`. Its dimensions: first the inputs
//! (the copula's, then every other uncertain input and event uniform, in draw order), then
//! the shocks in Brownian-bridge order, three per bridge point (revenue, growth,
//! multiple). Dimensions beyond the 256 the table provides are plain Monte Carlo draws
//! from the path's own streams.
//!
//! `sobol_burley` returns 24-bit values `k 2^-24`; a full Owen scrambling makes every
//! deeper digit independent and uniform, so the point is completed as
//! `u = (k + w) 2^-24` with `w` an open uniform from the path's own stream: exactly a
//! 53-bit Owen-scrambled coordinate (and no tail is cut off at 2^-24).

use sobol_burley::{sample, NUM_DIMENSIONS};

use super::rng::{stream, SHOCKS};
use crate::model::dist::{norm_inv, open_uniform};
use crate::model::sampler::{Sampler, SOBOL_MAX_POINTS};
use crate::model::Model;

const CELL: f64 = (1u64 << 24) as f64;

/// The scrambling seed of replicate `r` under `seed` (a SplitMix64-style mix, folded).
fn scramble_seed(seed: u64, r: u64) -> u32 {
    let mut z = seed ^ r.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed_5eed_0b01_0001;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z ^ (z >> 32)) as u32
}

/// Coordinate `dim` of path `path`'s point, completed by the deeper-digit uniform `w`.
fn coordinate(seed: u64, path: u64, replicates: u32, dim: u32, w: f64) -> Option<f64> {
    let r = u64::from(replicates.max(1));
    let (j, rep) = (path / r, path % r);
    if dim >= NUM_DIMENSIONS || j >= SOBOL_MAX_POINTS {
        return None;
    }
    let s = f64::from(sample(j as u32, dim, scramble_seed(seed, rep)));
    let k = (s * CELL).floor();
    Some((k + w) / CELL)
}

/// The uniform in (0, 1) of input stream `key` at input dimension `dim` of path `path`.
pub fn uniform(seed: u64, key: u64, path: u64, replicates: u32, dim: u32) -> f64 {
    let w = open_uniform(&mut stream(seed, key, path));
    coordinate(seed, path, replicates, dim, w).unwrap_or(w)
}

/// Path `path`'s independent standard normals of every step (revenue, growth, multiple),
/// by a Brownian bridge over the steps for each factor (Glasserman 2004, §3.1): the
/// bridge's first points (the end value, then midpoints) take the path's first shock
/// dimensions, where the scrambled Sobol points are most uniform. With `W_0 = 0`:
/// `W_N = sqrt(N) xi_0`; between known `W_l`, `W_r` the midpoint `m` is
/// `((r-m) W_l + (m-l) W_r)/(r-l) + sqrt((m-l)(r-m)/(r-l)) xi`; then `z_k = W_k - W_{k-1}`,
/// independent N(0, 1) whatever order the `xi` are used in.
pub fn path_shocks(model: &Model, seed: u64, path: u64) -> Box<[[f64; 3]]> {
    let n = model.grid.len();
    let (replicates, offset) = match model.sampler {
        Sampler::Sobol { replicates, offset } => (replicates, offset),
        _ => (1, 0),
    };
    // Deeper digits and the dimensions past the table: the path's own shocks stream.
    let mut own = stream(seed, SHOCKS, path);
    let mut dim = offset;
    let mut xi = |own: &mut rand::rngs::Xoshiro256PlusPlus| -> [f64; 3] {
        std::array::from_fn(|_| {
            let w = open_uniform(own);
            let u = coordinate(seed, path, replicates, dim, w).unwrap_or(w);
            dim += 1;
            norm_inv(u)
        })
    };
    let mut w = vec![[0.0f64; 3]; n + 1];
    if n > 0 {
        let x = xi(&mut own);
        let s = (n as f64).sqrt();
        w[n] = x.map(|v| s * v);
        // Breadth first: coarse points before fine ones.
        let mut queue = std::collections::VecDeque::from([(0usize, n)]);
        while let Some((l, r)) = queue.pop_front() {
            if r - l < 2 {
                continue;
            }
            let m = (l + r) / 2;
            let (a, b, len) = ((m - l) as f64, (r - m) as f64, (r - l) as f64);
            let sd = (a * b / len).sqrt();
            let x = xi(&mut own);
            for f in 0..3 {
                w[m][f] = (b * w[l][f] + a * w[r][f]) / len + sd * x[f];
            }
            queue.push_back((l, m));
            queue.push_back((m, r));
        }
    }
    (1..=n)
        .map(|k| std::array::from_fn(|f| w[k][f] - w[k - 1][f]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bridge's increments have the covariance of i.i.d. N(0, 1): over many points
    /// the sample variance of each z_k is 1 and neighbours are uncorrelated (tolerances
    /// from the standard errors of a variance, sqrt(2/n), and a correlation, 1/sqrt(n)).
    #[test]
    fn bridge_increments_are_standard_and_uncorrelated() {
        let sc = crate::scenario::parse_str(&crate::scenario::EXAMPLE, "x.toml").unwrap();
        let mut model = Model::new(&sc);
        model.sampler = Sampler::Sobol {
            replicates: 4,
            offset: 3,
        };
        let paths = 4096u64;
        let z: Vec<Box<[[f64; 3]]>> = (0..paths).map(|i| path_shocks(&model, 7, i)).collect();
        let nf = paths as f64;
        for k in [0, 1, model.grid.len() / 2, model.grid.len() - 1] {
            let var = z.iter().map(|p| p[k][1] * p[k][1]).sum::<f64>() / nf;
            assert!(
                (var - 1.0).abs() < 4.0 * (2.0 / nf).sqrt(),
                "k={k} var={var}"
            );
        }
        let c = z.iter().map(|p| p[0][0] * p[1][0]).sum::<f64>() / nf;
        assert!(c.abs() < 4.0 / nf.sqrt(), "{c}");
    }
}
