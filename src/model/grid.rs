//! The time grid of MODEL.md §1 and the per-period constants that are the same on every
//! path (dates, calendar years, pro-rata weights, schedule values, scheduled rounds).

use std::ops::Range;

use crate::date::Date;
use crate::scenario::{Scenario, Scheduled};

/// One period `k` (1-based) of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub k: usize,
    /// Decimal year at the end of the period: `start_year + k*dt`.
    pub t: f64,
    /// `year(k) = start_year + floor((k-1)*dt)`.
    pub year: i32,
    pub first_day: Date,
    /// Last calendar day of the period (for output).
    pub period_end: Date,
    /// `year(k) <= revenue_share.end_year`: the revenue share runs in this period.
    pub share_active: bool,
    /// `w_k`: the fraction of the period's days before `stop_paying` (1 if never).
    pub reverse_weight: f64,
    /// `u_k` (MODEL.md §6.1): the fraction of the period's days on or before the
    /// licence's `end` (1 without a licence).
    pub licence_weight: f64,
    /// Scheduled rounds dated inside the period: indices into `Scenario::stake.rounds`
    /// (already in the order they apply).
    pub rounds: Range<usize>,
    /// Schedule values for `year(k)`, or `None` where the input is per path.
    pub rate: Option<f64>,
    pub annual_dilution: Option<f64>,
    /// `exp(-annual_dilution dt)` for the scheduled dilution.
    pub dilution_factor: Option<f64>,
    pub model_margin: Option<f64>,
    pub compute_spend_ratio: Option<f64>,
    pub compute_margin: Option<f64>,
}

/// The whole grid: `N = (end_year - start_year + 1) * steps_per_year` periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub start_year: i32,
    pub end_year: i32,
    pub steps_per_year: u32,
    pub dt: f64,
    pub periods: Vec<Period>,
}

impl Grid {
    pub fn new(sc: &Scenario) -> Grid {
        let sim = &sc.simulation;
        let spy = sim.steps_per_year;
        let dt = 1.0 / f64::from(spy);
        let months = 12 / spy;
        let n = (sim.end_year - sim.start_year + 1) as usize * spy as usize;
        let rounds = &sc.stake.rounds;
        let mut next_round = 0;
        let periods = (1..=n)
            .map(|k| {
                let idx = (k - 1) as u32;
                // year(k) = start_year + floor((k-1)*dt), in integers to avoid float floors.
                let year = sim.start_year + (idx / spy) as i32;
                let m0 = (idx % spy) * months;
                let first_day = Date::month_start(year, m0);
                let period_end = Date::month_end(year, m0 + months - 1);
                let begin = next_round;
                while next_round < rounds.len() && rounds[next_round].date <= period_end {
                    next_round += 1;
                }
                let reverse_weight = match sc.cloud.stop_paying {
                    None => 1.0,
                    Some(stop) => {
                        let days = (period_end.days() - first_day.days() + 1) as f64;
                        let before = (stop.days() - first_day.days()).clamp(0, days as i64);
                        before as f64 / days
                    }
                };
                // Same day counting as w_k, but the end day itself is covered.
                let licence_weight = match &sc.licence {
                    None => 1.0,
                    Some(l) => {
                        let days = (period_end.days() - first_day.days() + 1) as f64;
                        let covered = (l.end.days() - first_day.days() + 1).clamp(0, days as i64);
                        covered as f64 / days
                    }
                };
                let sched = |s: &Scheduled| s.schedule_value(year);
                Period {
                    k,
                    t: f64::from(sim.start_year) + k as f64 * dt,
                    year,
                    first_day,
                    period_end,
                    share_active: year <= sc.revenue_share.end_year,
                    reverse_weight,
                    licence_weight,
                    rounds: begin..next_round,
                    rate: sched(&sc.revenue_share.rate),
                    annual_dilution: sched(&sc.stake.annual_dilution),
                    dilution_factor: sched(&sc.stake.annual_dilution).map(|d| (-d * dt).exp()),
                    model_margin: sched(&sc.cloud.model_margin),
                    compute_spend_ratio: sched(&sc.cloud.compute_spend_ratio),
                    compute_margin: sched(&sc.cloud.compute_margin),
                }
            })
            .collect();
        Grid {
            start_year: sim.start_year,
            end_year: sim.end_year,
            steps_per_year: spy,
            dt,
            periods,
        }
    }

    pub fn len(&self) -> usize {
        self.periods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }
}
