//! The floor's computation (see examples/floor.rs), shared by the examples that time
//! themselves against it (`#[path]`-included: examples cannot share a module otherwise).

use std::collections::HashMap;

use dealsim::engine::{rng, CHUNK};
use dealsim::model::{dist::draw_dist, stream_key, Model, PathParams};
use dealsim::scenario::{Input, Scenario};
use rayon::prelude::*;

/// The per-step constants of the three updates (MODEL.md §4), from one set of input
/// values.
struct Steps {
    ln_r0: f64,
    mu0: f64,
    ln_m0: f64,
    drift: f64,
    scale: f64,
    mu_inf: f64,
    phi_g: f64,
    sd_g: f64,
    ln_m_long: f64,
    phi_m: f64,
    sd_m: f64,
}

impl Steps {
    /// Constants only: the floor does not pay for per-path parameter draws either, so
    /// every uncertain input takes one draw from stream (seed, 0, 0).
    fn new(sc: &Scenario, model: &Model, seed: u64) -> Steps {
        let mut value: HashMap<u64, f64> = HashMap::new();
        let p = PathParams::new(sc, model, |input, key| {
            let v = match input {
                Input::Const(v) => *v,
                Input::Dist(d) => draw_dist(d, &mut rng::stream(seed, 0, 0)),
            };
            value.entry(key).or_insert(v);
            v
        });
        let v = |key: &str| value[&stream_key(key)];
        let dt = model.dt;
        // Exact OU steps, as `PathParams::new`: phi = exp(-kappa dt),
        // sd = vol sqrt((1 - phi^2) / (2 kappa)).
        let ou = |half_life: f64, vol: f64| {
            let kappa = std::f64::consts::LN_2 / half_life;
            let phi = (-kappa * dt).exp();
            (phi, vol * ((1.0 - phi * phi) / (2.0 * kappa)).sqrt())
        };
        let (phi_g, sd_g) = ou(v("company.growth_half_life"), v("company.growth_vol"));
        let (phi_m, sd_m) = ou(v("company.multiple_half_life"), v("company.multiple_vol"));
        let vol = v("company.revenue_vol");
        Steps {
            ln_r0: p.revenue0.ln(),
            mu0: p.mu0,
            ln_m0: p.multiple0.ln(),
            drift: 0.5 * vol * vol,
            scale: vol * model.sqrt_dt,
            mu_inf: v("company.growth_long").ln_1p(),
            phi_g,
            sd_g,
            ln_m_long: v("company.multiple_long").ln(),
            phi_m,
            sd_m,
        }
    }
}

/// Run the floor; returns a checksum (the sum of final log revenues and multiples) so the
/// work cannot be optimised away (summed in any order: a checksum, not a result).
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
    let s = Steps::new(sc, &model, seed);
    let dt = model.dt;
    let steps = model.grid.len() as u64;
    let keys = rng::StepKeys::new(seed);
    Ok(pool.install(|| {
        (0..paths as usize)
            .into_par_iter()
            .with_min_len(CHUNK)
            .map(|i| {
                let z = keys.path(i as u64);
                let (mut ln_r, mut mu, mut ln_m) = (s.ln_r0, s.mu0, s.ln_m0);
                for k in 0..steps {
                    let e = model.correlate(z.normals(k));
                    ln_r += (mu - s.drift) * dt + s.scale * e[0];
                    mu = s.mu_inf + (mu - s.mu_inf) * s.phi_g + s.sd_g * e[1];
                    ln_m = s.ln_m_long + (ln_m - s.ln_m_long) * s.phi_m + s.sd_m * e[2];
                }
                ln_r + ln_m
            })
            .sum::<f64>()
    }))
}
