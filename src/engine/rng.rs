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
use crate::model::dist::{draw_dist, inverse_cdf, open_uniform};
pub use crate::model::sampler::Sampler;

use super::qmc;
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
    if model.sampler != Sampler::Mc {
        return sampled_params(sc, model, seed, path, |_, _| {});
    }
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

/// Path `path`'s values of the copula's inputs under `model.sampler`, as `path_params`
/// drew them.
pub fn correlated_of_path(model: &Model, c: &Copula, seed: u64, path: u64) -> Vec<f64> {
    match model.sampler {
        Sampler::Mc => correlated_values(c, seed, path),
        _ => SampledInputs::new(model, seed, path).correlated(c),
    }
}

/// Path `path`'s value of each uncertain input `(stream key, dist)` into `row`: exactly
/// what `path_params` drew (streams depend only on seed, key and path).
pub fn input_draws(
    sc: &Scenario,
    model: &Model,
    inputs: &[(u64, Dist)],
    seed: u64,
    path: u64,
    row: &mut [f64],
) {
    if model.sampler != Sampler::Mc {
        // Input dimensions are positional: redraw the whole path's inputs.
        let mut drawn: Vec<(u64, f64)> = Vec::new();
        let _ = sampled_params(sc, model, seed, path, |k, v| drawn.push((k, v)));
        for (cell, (key, _)) in row.iter_mut().zip(inputs) {
            *cell = drawn
                .iter()
                .find(|(k, _)| k == key)
                .map_or(f64::NAN, |d| d.1);
        }
        return;
    }
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
    /// Plain Monte Carlo, or how another sampler changes the numbers (`--sampler`).
    mode: StepMode,
}

/// How a non-MC sampler changes a path's step numbers.
#[derive(Debug, Clone)]
enum StepMode {
    /// The streams' numbers as they are (`mc`, and the first path of an antithetic pair).
    Plain,
    /// The second path of an antithetic pair: `-z` for every normal, the mirror
    /// `1 - 2^-53 - u` of every 53-bit uniform `u` (exact on the lattice `k 2^-53`).
    Mirror,
    /// Sobol: the path's standard normals of every step, built up front by the Brownian
    /// bridge (`qmc::path_shocks`), and the next step's index.
    Given(Box<[[f64; 3]]>, usize),
}

impl StepStreams {
    pub fn new(seed: u64, path: u64) -> StepStreams {
        StepStreams {
            shocks: stream(seed, SHOCKS, path),
            rounds: stream(seed, RANDOM_ROUNDS, path),
            mode: StepMode::Plain,
        }
    }

    /// The step streams of path `path` under `model.sampler`: the seam of `--sampler`
    /// (`mc` is exactly [`StepStreams::new`]).
    pub fn for_path(model: &Model, seed: u64, path: u64) -> StepStreams {
        match model.sampler {
            Sampler::Mc => StepStreams::new(seed, path),
            Sampler::Antithetic => {
                let mut s = StepStreams::new(seed, path & !1);
                if path & 1 == 1 {
                    s.mode = StepMode::Mirror;
                }
                s
            }
            Sampler::Sobol { .. } => {
                let mut s = StepStreams::new(seed, path);
                s.mode = StepMode::Given(qmc::path_shocks(model, seed, path), 0);
                s
            }
        }
    }

    /// The next step's inputs for `step`: correlated shocks (revenue, growth, multiple)
    /// and the number of random rounds.
    #[inline]
    pub fn next(&mut self, model: &Model, p: &PathParams) -> ([f64; 3], u32) {
        let z = match &mut self.mode {
            StepMode::Plain => [
                self.shocks.sample(StandardNormal),
                self.shocks.sample(StandardNormal),
                self.shocks.sample(StandardNormal),
            ],
            StepMode::Mirror => [
                -self.shocks.sample::<f64, _>(StandardNormal),
                -self.shocks.sample::<f64, _>(StandardNormal),
                -self.shocks.sample::<f64, _>(StandardNormal),
            ],
            StepMode::Given(z, k) => {
                let v = z.get(*k).copied().unwrap_or([0.0; 3]);
                *k += 1;
                v
            }
        };
        let rounds = if model.random_rounds && p.has_random_rounds() {
            let u = self.rounds.random::<f64>();
            let u = match self.mode {
                StepMode::Mirror => MIRROR_53 - u,
                _ => u,
            };
            p.random_round_count(u)
        } else {
            0
        };
        (model.correlate(z), rounds)
    }
}

/// `1 - 2^-53`: `MIRROR_53 - u` maps the 53-bit uniforms `k 2^-53` onto themselves,
/// reversed, exactly.
const MIRROR_53: f64 = 1.0 - f64::EPSILON / 2.0;

/// A path's input uniforms under a non-MC sampler. Every uncertain input and per-path
/// event then takes one uniform `u` in (0, 1) through its inverse CDF
/// (`dist::inverse_cdf`), so that mirroring and QMC points apply to every input alike:
/// - antithetic: `u` from the input's own stream of path `2j`, mirrored (`1 - u`, exact
///   for the half-offset uniforms) on path `2j+1`;
/// - sobol: `u` is the input's QMC dimension (`qmc::uniform`); the copula's inputs take
///   the first dimensions, then the other inputs in the order `PathParams::new` draws
///   them.
pub struct SampledInputs<'a> {
    model: &'a Model,
    seed: u64,
    path: u64,
}

impl<'a> SampledInputs<'a> {
    pub fn new(model: &'a Model, seed: u64, path: u64) -> SampledInputs<'a> {
        SampledInputs { model, seed, path }
    }

    /// The uniform of the input with stream `key`, the path's input dimension `dim`.
    fn uniform(&self, key: u64, dim: u32) -> f64 {
        let (seed, path) = (self.seed, self.path);
        match self.model.sampler {
            Sampler::Mc => open_uniform(&mut stream(seed, key, path)),
            Sampler::Antithetic => {
                let u = open_uniform(&mut stream(seed, key, path & !1));
                if path & 1 == 1 {
                    1.0 - u
                } else {
                    u
                }
            }
            Sampler::Sobol { replicates, .. } => qmc::uniform(seed, key, path, replicates, dim),
        }
    }

    /// The copula's values from the sampler's uniforms (dimensions `0..copula.len()`).
    fn correlated(&self, c: &Copula) -> Vec<f64> {
        let mut u: Vec<f64> = c
            .keys
            .iter()
            .enumerate()
            .map(|(j, &k)| self.uniform(k, j as u32))
            .collect();
        let mut out = vec![0.0; c.len()];
        c.transform(&mut u, &mut out);
        out
    }
}

/// Path `path`'s parameters under a non-MC sampler (see [`SampledInputs`]), calling
/// `report(stream key, value)` for each drawn input.
fn sampled_params(
    sc: &Scenario,
    model: &Model,
    seed: u64,
    path: u64,
    mut report: impl FnMut(u64, f64),
) -> PathParams {
    let src = SampledInputs::new(model, seed, path);
    let correlated = model.copula.as_ref().map(|c| (c, src.correlated(c)));
    let mut dim = correlated.as_ref().map_or(0, |(c, _)| c.len() as u32);
    PathParams::new(sc, model, |input, key| match input {
        Input::Const(v) => *v,
        Input::Dist(d) => {
            let known = correlated
                .as_ref()
                .and_then(|(c, v)| c.position(key).map(|j| v[j]));
            let v = known.unwrap_or_else(|| {
                let u = src.uniform(key, dim);
                dim += 1;
                inverse_cdf(d, u)
            });
            report(key, v);
            v
        }
    })
}

/// The number of QMC input dimensions of `sc`: one per uncertain input and per event
/// uniform `PathParams::new` draws. The shocks' dimensions start after them.
pub fn input_dims(sc: &Scenario, model: &Model) -> u32 {
    let mut n = 0u32;
    let _ = PathParams::new(sc, model, |input, _| match input {
        Input::Const(v) => *v,
        Input::Dist(_) => {
            n += 1;
            0.5
        }
    });
    n
}

/// `sampler` made ready for `sc`: Sobol's shock dimensions start after the inputs'.
pub fn configure(sc: &Scenario, model: &Model, sampler: Sampler) -> Sampler {
    match sampler {
        Sampler::Sobol { replicates, .. } => Sampler::Sobol {
            replicates,
            offset: input_dims(sc, model),
        },
        s => s,
    }
}
