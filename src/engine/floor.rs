//! The performance floor (issue "Performance"): the same paths and steps drawing the same
//! correlated normals from the same streams and doing only the revenue, growth and
//! multiple updates — no ledger, no aggregation, no output. What is left of a run's time
//! above this is the cost of everything the analyst actually gets.

use rayon::prelude::*;

use super::{rng, CHUNK};
use crate::model::{Model, PathParams};
use crate::scenario::{Input, Scenario};

/// Run the floor; returns a checksum (the sum of final log revenues) so the work cannot be
/// optimised away (summed in any order: a checksum, not a result).
pub fn floor(
    sc: &Scenario,
    paths: u64,
    seed: u64,
    threads: usize,
) -> Result<f64, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let model = Model::new(sc);
    // Constants only: the floor does not pay for per-path parameter draws either.
    let p = PathParams::new(sc, &model, |input, _| match input {
        Input::Const(v) => *v,
        Input::Dist(d) => crate::model::dist::draw_dist(d, &mut rng::stream(seed, 0, 0)),
    });
    let (drift, scale, mu_inf, phi_g, sd_g, lml, phi_m, sd_m) = p.floor_constants();
    let dt = model.dt;
    let steps = model.grid.len();
    let keys = rng::StepKeys::new(seed);
    Ok(pool.install(|| {
        (0..paths as usize)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map(|i| {
                let path = i as u64;
                let z = keys.path(path);
                let (mut ln_r, mut mu, mut ln_m) = (p.revenue0.ln(), p.mu0, p.multiple0.ln());
                for k in 0..steps as u64 {
                    let e = model.correlate(z.normals(k));
                    ln_r += (mu - drift) * dt + scale * e[0];
                    mu = mu_inf + (mu - mu_inf) * phi_g + sd_g * e[1];
                    ln_m = lml + (ln_m - lml) * phi_m + sd_m * e[2];
                }
                ln_r + ln_m
            })
            .sum::<f64>()
    }))
}
