//! One path of MODEL.md §2: parameters drawn once per path, the state, and one step.
//!
//! Pure: no I/O, no clocks, no threads, no allocation per step. The engine supplies the
//! correlated shocks and the random-round count of each step; given those, a path is
//! deterministic.

pub mod beta;
pub mod copula;
pub mod dist;
pub mod grid;
mod params;
pub mod sampler;
pub mod tail;

pub use grid::{Grid, Period};
pub use params::{stream_key, Accessor, PathParams, ACCESSORS};

use crate::scenario::Scenario;

/// Cents per USD bn: the ledger keeps whole cents as integers.
pub const CENTS_PER_BN: f64 = 1e11;

/// Path-independent constants of a scenario: the grid, the correlation factor, and the
/// curves that are the same on every path when their inputs are constants.
#[derive(Debug, Clone)]
pub struct Model {
    pub grid: Grid,
    pub dt: f64,
    pub sqrt_dt: f64,
    /// Lower-triangular Cholesky factor of the (revenue, growth, multiple) correlation.
    pub chol: [[f64; 3]; 3],
    pub base_includes_channel: bool,
    /// Scheduled round amounts when none is uncertain (else per path).
    pub round_amounts: Vec<f64>,
    /// `1/(1+exp(-ramp (t_k - midpoint)))` per period, when ramp and midpoint are constants.
    pub logistic: Option<Vec<f64>>,
    /// `z_k` per period, when the three compute-share inputs are constants.
    pub compute_share: Option<Vec<f64>>,
    /// `DF_k` per period, when `discount.rate` is a constant.
    pub discount: Option<Vec<f64>>,
    /// `DFE_N` when the equity rate (or, without one, the cash rate) is a constant.
    pub equity_discount: Option<f64>,
    /// `(1 + product_growth)^(t_k - start_year)` per period, when the growth is a constant.
    pub product_growth: Option<Vec<f64>>,
    /// Whether any path can have random rounds (their stream is drawn only then).
    pub random_rounds: bool,
    /// The Gaussian copula of `[[input_correlation]]`; `None` without pairs.
    pub copula: Option<copula::Copula>,
    /// Where each path's random numbers come from (`--sampler`; set by the engine).
    pub sampler: sampler::Sampler,
}

impl Model {
    pub fn new(sc: &Scenario) -> Model {
        let grid = Grid::new(sc);
        let dt = grid.dt;
        let start = f64::from(grid.start_year);
        let ch = &sc.channel;
        let logistic = match (ch.ramp_speed.as_const(), ch.midpoint_year.as_const()) {
            (Some(ramp), Some(mid)) => Some(
                grid.periods
                    .iter()
                    .map(|p| logistic(ramp, mid, p.t))
                    .collect(),
            ),
            _ => None,
        };
        let cl = &sc.cloud;
        let compute_share = match (
            cl.compute_share0.as_const(),
            cl.compute_share_long.as_const(),
            cl.compute_share_half_life.as_const(),
        ) {
            (Some(z0), Some(zl), Some(hl)) => {
                let kz = std::f64::consts::LN_2 / hl;
                Some(
                    grid.periods
                        .iter()
                        .map(|p| compute_share(z0, zl, kz, p.t - start))
                        .collect(),
                )
            }
            _ => None,
        };
        let discount = sc.discount.rate.as_const().map(|r| {
            grid.periods
                .iter()
                .map(|p| discount_factor(r, p.k, dt))
                .collect()
        });
        let equity_rate = sc.discount.equity_rate.unwrap_or(sc.discount.rate);
        let equity_discount = equity_rate
            .as_const()
            .map(|r| discount_factor(r, grid.len(), dt));
        let round_amounts = sc
            .stake
            .rounds
            .iter()
            .map(|r| r.amount.as_const().unwrap_or(f64::NAN))
            .collect();
        let product_growth = sc
            .licence
            .as_ref()
            .map_or(Some(0.0), |l| l.product_growth.as_const())
            .map(|g| {
                grid.periods
                    .iter()
                    .map(|p| product_growth(g, p.t - start))
                    .collect()
            });
        let random_rounds = match sc.stake.random_rounds_per_year {
            crate::scenario::Input::Const(v) => v > 0.0,
            crate::scenario::Input::Dist(_) => true,
        };
        Model {
            dt,
            sqrt_dt: dt.sqrt(),
            chol: sc.correlation.cholesky(),
            base_includes_channel: sc.revenue_share.base_includes_channel,
            round_amounts,
            logistic,
            compute_share,
            discount,
            equity_discount,
            product_growth,
            random_rounds,
            copula: copula::Copula::new(sc),
            sampler: sampler::Sampler::Mc,
            grid,
        }
    }

    /// Correlate independent standard normals: `eps = L z`.
    #[inline]
    pub fn correlate(&self, z: [f64; 3]) -> [f64; 3] {
        let l = &self.chol;
        [
            l[0][0] * z[0],
            l[1][0] * z[0] + l[1][1] * z[1],
            l[2][0] * z[0] + l[2][1] * z[1] + l[2][2] * z[2],
        ]
    }
}

/// Logistic ramp of the channel, without its ceiling.
#[inline]
pub fn logistic(ramp: f64, mid: f64, t: f64) -> f64 {
    1.0 / (1.0 + (-ramp * (t - mid)).exp())
}

/// The investor's compute share after `years` from start (MODEL.md §2 step 8).
#[inline]
pub fn compute_share(z0: f64, zl: f64, kz: f64, years: f64) -> f64 {
    zl + (z0 - zl) * (-kz * years).exp()
}

/// The licence's product-value growth factor `(1 + g)^years` (MODEL.md §6.1).
#[inline]
pub fn product_growth(g: f64, years: f64) -> f64 {
    (1.0 + g).powf(years)
}

/// `(1 + rate)^(-k dt)`.
#[inline]
pub fn discount_factor(rate: f64, k: usize, dt: f64) -> f64 {
    (1.0 + rate).powf(-(k as f64) * dt)
}

/// Whole cents from USD bn: one f64 multiply, then round half to even (MODEL.md §2 step 6).
#[inline]
pub fn to_cents(usd_bn: f64) -> i64 {
    (usd_bn * CENTS_PER_BN).round_ties_even() as i64
}

/// The state of one path after period k.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathState {
    pub ln_r: f64,
    pub mu: f64,
    pub ln_m: f64,
    pub stake: f64,
    pub cum_cents: i64,
    /// The cap in cents: the path's drawn cap until a renegotiation cuts it.
    pub cap_cents: i64,
    /// Factor on every later `rate(year)` after a renegotiation without a cap (else 1).
    pub rate_factor: f64,
    /// Calendar year the cap was hit; 0 = not (yet) hit.
    pub cap_hit_year: i32,
    /// Calendar year of the renegotiation; 0 = none (yet).
    pub renegotiation_year: i32,
    pub npv_revenue_share: f64,
    pub npv_cloud_models: f64,
    /// Accumulated as a positive cost; reported negated.
    pub pv_reverse_share: f64,
    pub npv_compute: f64,
    pub npv_licence: f64,
}

/// What one step produced: the period's run-rates and flows (USD bn).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Flows {
    pub r: f64,
    pub b: f64,
    pub t: f64,
    pub m: f64,
    pub due_cents: i64,
    pub paid_cents: i64,
    /// `P_k` in USD bn.
    pub paid: f64,
    pub model_margin: f64,
    /// Positive: what the investor pays this period.
    pub reverse_share: f64,
    pub compute_margin: f64,
    /// `L_k`, the licence's product value (MODEL.md §6.1).
    pub licence_value: f64,
    /// `CF_k`.
    pub cash_flow: f64,
    pub discount_factor: f64,
    pub stake: f64,
    pub valuation: f64,
    pub stake_value: f64,
    pub cum: f64,
}

/// Per-path results of MODEL.md §2.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PathResults {
    pub npv_total: f64,
    pub npv_revenue_share: f64,
    pub npv_cloud_models: f64,
    pub npv_reverse_share: f64,
    pub npv_compute: f64,
    pub pv_stake: f64,
    pub stake_gain: f64,
    pub revenue_share_total_cents: i64,
    pub stake_end: f64,
    /// None if the cap was never hit.
    pub cap_hit_year: Option<i32>,
    pub npv_licence: f64,
    /// The licence was renewed on this path (always, without `[licence]`).
    pub renewed: bool,
    /// None if the share was never renegotiated.
    pub renegotiation_year: Option<i32>,
}

impl PathResults {
    /// The results in summary.csv row order (`ResultMetric::ALL`).
    pub fn as_array(&self) -> [f64; crate::summary::N_RESULTS] {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [
            self.npv_total,
            self.npv_revenue_share,
            self.npv_cloud_models,
            self.npv_reverse_share,
            self.npv_compute,
            self.pv_stake,
            self.stake_gain,
            self.revenue_share_total_cents as f64 / CENTS_PER_BN,
            self.stake_end,
            flag(self.cap_hit_year.is_some()),
            self.npv_licence,
            flag(self.renewed),
            flag(self.renegotiation_year.is_some()),
        ]
    }
}
