//! Random streams: path `i`'s streams depend only on (seed, stream key, i), so a run is
//! identical on any number of threads, and each uncertain input, the step shocks and the
//! random rounds draw from separate streams (MODEL.md §5).
//!
//! The generator is Xoshiro256++ (a fixed, published algorithm), seeded here through our
//! own SplitMix64 expansion rather than a library's `seed_from_u64`, so that streams stay
//! value-stable across crate versions.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use crate::model::copula::Copula;
use crate::model::dist::{draw_dist, open_uniform};
use crate::model::{stream_key, Model, PathParams};
use crate::scenario::{Dist, Input, Scenario};

/// Stream key of the per-step (revenue, growth, multiple) shocks.
pub const SHOCKS: u64 = stream_key("shocks");
/// Stream key of the random financing rounds.
pub const RANDOM_ROUNDS: u64 = stream_key("random_rounds");

/// SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea, Flood 2014).
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The generator of stream `key` of path `path` under `seed`.
pub fn stream(seed: u64, key: u64, path: u64) -> Xoshiro256PlusPlus {
    // Chain the three words through the mix so that nearby seeds, keys and paths give
    // unrelated states; then expand to 256 bits with SplitMix64.
    let mut x = mix(seed.wrapping_add(GOLDEN));
    x = mix(x ^ key.wrapping_mul(GOLDEN));
    x = mix(x ^ path.wrapping_add(GOLDEN.rotate_left(17)));
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        x = x.wrapping_add(GOLDEN);
        chunk.copy_from_slice(&mix(x).to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_value_stable_and_distinct() {
        let mut a = stream(1, SHOCKS, 0);
        let mut b = stream(1, SHOCKS, 0);
        assert_eq!(a.next_u64(), b.next_u64());
        let first = stream(1, SHOCKS, 0).next_u64();
        assert_ne!(first, stream(1, SHOCKS, 1).next_u64());
        assert_ne!(first, stream(2, SHOCKS, 0).next_u64());
        assert_ne!(first, stream(1, RANDOM_ROUNDS, 0).next_u64());
    }
}

/// Path `path`'s parameters: each uncertain input drawn from its own stream; the
/// rank-correlated ones (issue 17) through the copula, from their own streams' uniforms.
pub fn path_params(sc: &Scenario, model: &Model, seed: u64, path: u64) -> PathParams {
    let Some(c) = &model.copula else {
        return PathParams::new(sc, model, |input, key| match input {
            Input::Const(v) => *v,
            Input::Dist(d) => draw_dist(d, &mut stream(seed, key, path)),
        });
    };
    let correlated = correlated_values(c, seed, path);
    PathParams::new(sc, model, |input, key| match input {
        Input::Const(v) => *v,
        Input::Dist(d) => match c.position(key) {
            Some(j) => correlated[j],
            None => draw_dist(d, &mut stream(seed, key, path)),
        },
    })
}

/// Path `path`'s values of the copula's inputs (in `Copula::names` order): one open
/// uniform from each input's own stream, then `Copula::transform`.
pub fn correlated_values(c: &Copula, seed: u64, path: u64) -> Vec<f64> {
    let mut u: Vec<f64> = c
        .keys
        .iter()
        .map(|&k| open_uniform(&mut stream(seed, k, path)))
        .collect();
    let mut out = vec![0.0; c.len()];
    c.transform(&mut u, &mut out);
    out
}

/// Path `path`'s value of each uncertain input `(stream key, dist)` into `row`: exactly
/// what `path_params` drew (streams depend only on seed, key and path).
pub fn input_draws(model: &Model, inputs: &[(u64, Dist)], seed: u64, path: u64, row: &mut [f64]) {
    let correlated = model
        .copula
        .as_ref()
        .map(|c| (c, correlated_values(c, seed, path)));
    for (cell, (key, d)) in row.iter_mut().zip(inputs) {
        *cell = match &correlated {
            Some((c, v)) if c.position(*key).is_some() => v[c.position(*key).unwrap_or(0)],
            _ => draw_dist(d, &mut stream(seed, *key, path)),
        };
    }
}

/// Path `path`'s two per-step streams: the correlated shocks and the random rounds.
#[derive(Debug, Clone)]
pub struct StepStreams {
    shocks: Xoshiro256PlusPlus,
    /// Drawn from only when the path has random rounds.
    rounds: Xoshiro256PlusPlus,
}

impl StepStreams {
    pub fn new(seed: u64, path: u64) -> StepStreams {
        StepStreams {
            shocks: stream(seed, SHOCKS, path),
            rounds: stream(seed, RANDOM_ROUNDS, path),
        }
    }

    /// The next step's inputs for `step`: correlated shocks (revenue, growth, multiple)
    /// and the number of random rounds.
    #[inline]
    pub fn next(&mut self, model: &Model, p: &PathParams) -> ([f64; 3], u32) {
        let z = [
            self.shocks.sample(StandardNormal),
            self.shocks.sample(StandardNormal),
            self.shocks.sample(StandardNormal),
        ];
        let rounds = if model.random_rounds && p.has_random_rounds() {
            p.random_round_count(self.rounds.random::<f64>())
        } else {
            0
        };
        (model.correlate(z), rounds)
    }
}
