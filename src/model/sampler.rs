//! Which random numbers a path uses (issue 17, `--sampler`): plain Monte Carlo (the
//! default, every path its own streams), antithetic pairs, or randomised quasi-Monte Carlo
//! (Owen-scrambled Sobol points). The engine's `rng` module is the one place that turns
//! this choice into a path's uniforms and normals; `engine::vr` gives each its honest
//! standard error.

/// The path sampler of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sampler {
    /// Independent paths: path i's streams are keyed by (seed, name, i).
    #[default]
    Mc,
    /// Paths in pairs (2j, 2j+1): both use path 2j's streams, the second with every
    /// uniform `u` replaced by its mirror and every normal `z` by `-z`.
    Antithetic,
    /// `replicates` independent Owen scramblings of one Sobol sequence: path i is point
    /// `i / replicates` of scrambling `i % replicates`. `offset`: the number of input
    /// dimensions, where the shocks' dimensions start (set by the engine).
    Sobol { replicates: u32, offset: u32 },
}

/// Sobol points per scrambling (the limit of `sobol_burley`).
pub const SOBOL_MAX_POINTS: u64 = 1 << 16;

impl Sampler {
    /// Whether `paths` suits the sampler: antithetic pairs need an even count; Sobol
    /// needs at least 2 replicates, a whole number of points per replicate (equal-size
    /// replicates, so their means are exchangeable) and at most 2^16 points each.
    pub fn check(self, paths: u64) -> Result<(), String> {
        match self {
            Sampler::Mc => Ok(()),
            Sampler::Antithetic if paths < 2 || !paths.is_multiple_of(2) => Err(format!(
                "--sampler antithetic runs paths in pairs: --paths must be even and at least 2 (got {paths})"
            )),
            Sampler::Antithetic => Ok(()),
            Sampler::Sobol { replicates, .. } => {
                let r = u64::from(replicates);
                if r < 2 {
                    Err(format!("--replicates must be at least 2 (got {r}): the standard error comes from the spread of the replicates"))
                } else if !paths.is_multiple_of(r) || paths < r {
                    Err(format!("--sampler sobol: --paths ({paths}) must be a multiple of --replicates ({r})"))
                } else if paths / r > SOBOL_MAX_POINTS {
                    Err(format!("--sampler sobol: at most {SOBOL_MAX_POINTS} points per replicate; --paths {paths} / --replicates {r} is {}; raise --replicates", paths / r))
                } else {
                    Ok(())
                }
            }
        }
    }
}

impl Sampler {
    pub fn name(self) -> &'static str {
        match self {
            Sampler::Mc => "mc",
            Sampler::Antithetic => "antithetic",
            Sampler::Sobol { .. } => "sobol",
        }
    }
}
