//! Random streams: path `i`'s streams depend only on (seed, stream key, i), so a run is
//! identical on any number of threads, and each uncertain input, the step shocks and the
//! random rounds draw from separate streams (MODEL.md §5).
//!
//! The inputs' generator is Xoshiro256++ (a fixed, published algorithm), seeded here
//! through our own SplitMix64 expansion rather than a library's `seed_from_u64`, so that
//! streams stay value-stable across crate versions. The per-step streams are
//! counter-based (SplitMix64 jumped to a position: see [`StepStreams`]), since 0.2.0.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

use crate::model::copula::Copula;
use crate::model::dist::{draw_dist, inverse_cdf, open_uniform};
pub use crate::model::sampler::Sampler;

use super::qmc;
use crate::model::{stream_key, Model, PathParams};
use crate::scenario::{Input, Scenario};

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
    debug_assert_eq!(x, path_key(stream_prefix(seed, key), path));
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

    /// Step k's draws are a pure function of (seed, path, k): stepping in order and
    /// jumping to a step agree, and paths and steps differ.
    #[test]
    fn step_draws_are_counter_based() {
        let mut s = StepStreams::new(3, 7);
        let z: Vec<[f64; 3]> = (0..5)
            .map(|_| {
                let z = s.normals(s.k);
                s.k += 1;
                z
            })
            .collect();
        assert_eq!(z[4], StepStreams::new(3, 7).normals(4));
        assert_ne!(z[4], z[3]);
        assert_ne!(z[0], StepStreams::new(3, 8).normals(0));
        assert_ne!(z[0], StepStreams::new(4, 7).normals(0));
        // Roughly standard: the mean and variance of 30,000 draws.
        let x: Vec<f64> = (0..10_000u64)
            .flat_map(|p| StepStreams::new(1, p).normals(p % 40))
            .collect();
        let m = x.iter().sum::<f64>() / x.len() as f64;
        let v = x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / x.len() as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05, "{m} {v}");
    }
}

/// Path `path`'s parameters: each uncertain input drawn from its own stream; the
/// rank-correlated ones (issue 17) through the copula, from their own streams' uniforms.
pub fn path_params(sc: &Scenario, model: &Model, seed: u64, path: u64) -> PathParams {
    path_params_reporting(sc, model, seed, path, |_, _| {})
}

/// [`path_params`], calling `report(stream key, value)` for each value drawn (the
/// uncertain inputs and the per-path event uniforms): the one place a path's draws are
/// made, so whoever records them (paths.csv, sensitivity, an error naming a path's
/// inputs) sees exactly what the path used.
pub fn path_params_reporting(
    sc: &Scenario,
    model: &Model,
    seed: u64,
    path: u64,
    mut report: impl FnMut(u64, f64),
) -> PathParams {
    if model.sampler != Sampler::Mc {
        return sampled_params(sc, model, seed, path, report);
    }
    let correlated = model
        .copula
        .as_ref()
        .map(|c| (c, correlated_values(c, seed, path)));
    PathParams::new(sc, model, |input, key| match input {
        Input::Const(v) => *v,
        Input::Dist(d) => {
            let known = correlated
                .as_ref()
                .and_then(|(c, v)| c.position(key).map(|j| v[j]));
            let v = known.unwrap_or_else(|| draw_dist(d, &mut stream(seed, key, path)));
            report(key, v);
            v
        }
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

/// The source of a path's step randomness (MODEL.md §5): counter-based, so step k's
/// shocks and random-round uniform are a pure function of (seed, stream, path, k).
///
/// Why counter-based (issue 15): a path carries no generator state from one period to the
/// next (two Xoshiro256++ states were 64 bytes per path streamed through memory every
/// period of a time-major run), seeding a path costs two mixes instead of two 256-bit
/// expansions, and any step can be drawn on its own (shards, re-simulation, other
/// samplers). Each step draws from its own SplitMix64 sub-sequence: the generator's
/// state at draw j of step k is `key + (k 2^20 + j) GOLDEN` with a per-(seed, stream,
/// path) key, so distinct (k, j) never share a state on one path (GOLDEN is odd).
///
/// This is the seam for other samplers (antithetic, quasi-random): they replace how
/// [`StepStreams::normals`] turns (path, k) into three independent standard normals;
/// correlation and everything downstream stay as they are.
#[derive(Debug, Clone, Copy)]
pub struct StepStreams {
    shocks: u64,
    rounds: u64,
    /// The next step's index (0-based) for [`StepStreams::next`].
    k: u64,
    /// The second path of an antithetic pair (`--sampler antithetic`): `-z` for every
    /// normal, the mirror `1 - 2^-53 - u` of every 53-bit uniform `u` (exact on the
    /// lattice `k 2^-53`).
    mirror: bool,
}

/// A key per (seed, stream): the first two links of `stream`'s chain, hoisted so that a
/// path's key is one more mix.
#[inline]
fn stream_prefix(seed: u64, key: u64) -> u64 {
    mix(mix(seed.wrapping_add(GOLDEN)) ^ key.wrapping_mul(GOLDEN))
}

#[inline]
fn path_key(prefix: u64, path: u64) -> u64 {
    mix(prefix ^ path.wrapping_add(GOLDEN.rotate_left(17)))
}

/// SplitMix64 from a given state: a counter-based generator (its n-th output is
/// `mix(state + n GOLDEN)`), used for one step's draws.
#[derive(Debug, Clone, Copy)]
pub struct Counter(u64);

impl rand::TryRng for Counter {
    type Error = std::convert::Infallible;
    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(GOLDEN);
        Ok(mix(self.0))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let b = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        Ok(())
    }
}

/// Step `k`'s generator under a path key: its own sub-sequence of 2^20 draws (a step uses
/// 3 normals, a few more draws on the ziggurat's rare rejections).
#[inline]
fn at_step(key: u64, k: u64) -> Counter {
    Counter(key.wrapping_add((k << 20).wrapping_mul(GOLDEN)))
}

/// The per-(seed) half of [`StepStreams`], computed once per run: a path's streams are
/// then two mixes away.
#[derive(Debug, Clone, Copy)]
pub struct StepKeys {
    shocks: u64,
    rounds: u64,
}

impl StepKeys {
    pub fn new(seed: u64) -> StepKeys {
        StepKeys {
            shocks: stream_prefix(seed, SHOCKS),
            rounds: stream_prefix(seed, RANDOM_ROUNDS),
        }
    }

    /// Path `path`'s streams, at step 0.
    #[inline]
    pub fn path(&self, path: u64) -> StepStreams {
        StepStreams {
            shocks: path_key(self.shocks, path),
            rounds: path_key(self.rounds, path),
            k: 0,
            mirror: false,
        }
    }

    /// Path `path`'s streams under `model.sampler`, the seam of `--sampler`: `mc` is
    /// exactly [`StepKeys::path`]; antithetic pairs share the even path's streams, the odd
    /// one mirrored. (Sobol's normals come from its QMC points, `qmc::path_shocks`, which
    /// the caller passes to [`StepStreams::step_given`]; its round uniforms stay MC.)
    #[inline]
    pub fn for_path(&self, model: &Model, path: u64) -> StepStreams {
        match model.sampler {
            Sampler::Antithetic => StepStreams {
                mirror: path & 1 == 1,
                ..self.path(path & !1)
            },
            Sampler::Mc | Sampler::Sobol { .. } => self.path(path),
        }
    }
}

impl StepStreams {
    pub fn new(seed: u64, path: u64) -> StepStreams {
        StepKeys::new(seed).path(path)
    }

    /// The step streams of path `path` under `model.sampler` (see [`StepKeys::for_path`]).
    pub fn for_path(model: &Model, seed: u64, path: u64) -> StepStreams {
        StepKeys::new(seed).for_path(model, path)
    }

    /// Step `k`'s (0-based) three independent standard normals (revenue, growth,
    /// multiple), before correlation.
    #[inline]
    pub fn normals(&self, k: u64) -> [f64; 3] {
        let mut g = at_step(self.shocks, k);
        let z: [f64; 3] = [
            g.sample(StandardNormal),
            g.sample(StandardNormal),
            g.sample(StandardNormal),
        ];
        if self.mirror {
            z.map(|x| -x)
        } else {
            z
        }
    }

    /// Step `k`'s (0-based) uniform in [0, 1) of the random rounds: the first 53-bit
    /// uniform of the rounds stream's step-k sub-sequence (mirrored on the second path of
    /// an antithetic pair).
    #[inline]
    pub fn round_uniform(&self, k: u64) -> f64 {
        let u = at_step(self.rounds, k).random::<f64>();
        if self.mirror {
            MIRROR_53 - u
        } else {
            u
        }
    }

    /// Step `k`'s inputs: correlated shocks (revenue, growth, multiple) and the number
    /// of random rounds (their uniform is drawn only when the path can have any).
    #[inline]
    pub fn step(&self, model: &Model, p: &PathParams, k: u64) -> ([f64; 3], u32) {
        self.step_given(model, p, k, self.normals(k))
    }

    /// [`StepStreams::step`] with the step's independent normals `z` given (Sobol).
    #[inline]
    pub fn step_given(
        &self,
        model: &Model,
        p: &PathParams,
        k: u64,
        z: [f64; 3],
    ) -> ([f64; 3], u32) {
        let rounds = if model.random_rounds && p.has_random_rounds() {
            p.random_round_count(self.round_uniform(k))
        } else {
            0
        };
        (model.correlate(z), rounds)
    }

    /// The next step's inputs (steps in order from 0; see [`StepStreams::step`]).
    #[inline]
    pub fn next(&mut self, model: &Model, p: &PathParams) -> ([f64; 3], u32) {
        let out = self.step(model, p, self.k);
        self.k += 1;
        out
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
