//! Turning path values into the summary: chunk accumulators reduced in chunk order, exact
//! percentiles per period and per result.

use rayon::prelude::*;

use super::guard::{carried, first_uncarried, result_limit, series_limit};
use super::risk::RiskBuilder;
use super::stats::{
    from_order_key, mean_std, min_max, order_key, quantiles, quantiles_in, quantiles_type1,
};
use super::RunOptions;
use crate::model::{Flows, Model, Period};
use crate::risk::{RiskSummary, Target};
use crate::scenario::Scenario;
use crate::summary::{
    Band, CapHitYear, Distribution, PeriodSummary, ResultMetric, RunSummary, SeriesMetric, Stats,
    N_SERIES, PERCENTILES,
};

/// The timeseries.csv values of one path in one period (`SeriesMetric` order).
#[inline]
pub fn series_values(f: &Flows, dt: f64) -> [f64; N_SERIES] {
    [
        f.t * dt,
        f.valuation,
        f.b * dt,
        f.paid,
        f.cum,
        f.stake,
        f.stake_value,
        f.cash_flow,
        f.licence_value,
    ]
}

/// Sums over the paths of one chunk in one period.
#[derive(Debug, Clone)]
pub struct PeriodAccumulator {
    series: [f64; N_SERIES],
    /// Per metric, the smallest and largest value (gives the percentile search its range
    /// without another pass over the values).
    min_key: [u64; N_SERIES],
    max_key: [u64; N_SERIES],
    revenue_share: f64,
    model_margin: f64,
    reverse_share: f64,
    compute_margin: f64,
    licence_value: f64,
    discount_factor: f64,
    pv_cash_flow: f64,
}

impl Default for PeriodAccumulator {
    fn default() -> Self {
        PeriodAccumulator {
            series: [0.0; N_SERIES],
            min_key: [u64::MAX; N_SERIES],
            max_key: [0; N_SERIES],
            revenue_share: 0.0,
            model_margin: 0.0,
            reverse_share: 0.0,
            compute_margin: 0.0,
            licence_value: 0.0,
            discount_factor: 0.0,
            pv_cash_flow: 0.0,
        }
    }
}

impl PeriodAccumulator {
    #[inline]
    pub fn add(&mut self, f: &Flows, series: &[f64; N_SERIES]) {
        for (m, &v) in series.iter().enumerate() {
            self.series[m] += v;
            let k = order_key(v);
            self.min_key[m] = self.min_key[m].min(k);
            self.max_key[m] = self.max_key[m].max(k);
        }
        self.revenue_share += f.paid;
        self.model_margin += f.model_margin;
        self.reverse_share += f.reverse_share;
        self.compute_margin += f.compute_margin;
        self.licence_value += f.licence_value;
        self.discount_factor += f.discount_factor;
        self.pv_cash_flow += f.cash_flow * f.discount_factor;
    }

    /// The first metric whose smallest or largest value is not carried (see `guard`),
    /// with that value. The order keys put NaN beyond the infinities, so it shows here.
    pub fn uncarried(&self) -> Option<(usize, f64)> {
        SeriesMetric::ALL
            .iter()
            .enumerate()
            .find_map(|(m, &metric)| {
                let limit = series_limit(metric);
                [
                    from_order_key(self.min_key[m]),
                    from_order_key(self.max_key[m]),
                ]
                .into_iter()
                .find(|&v| !carried(v, limit))
                .map(|v| (m, v))
            })
    }

    /// Number of 64-bit words in [`PeriodAccumulator::to_words`].
    pub const WORDS: usize = 3 * N_SERIES + 7;

    /// Every field as exact 64-bit words (f64 bits), for shard part files: a merge
    /// reduces the very same partial sums in the same chunk order as a single run.
    pub fn to_words(&self) -> [u64; Self::WORDS] {
        let mut w = [0u64; Self::WORDS];
        for m in 0..N_SERIES {
            w[m] = self.series[m].to_bits();
            w[N_SERIES + m] = self.min_key[m];
            w[2 * N_SERIES + m] = self.max_key[m];
        }
        let rest = [
            self.revenue_share,
            self.model_margin,
            self.reverse_share,
            self.compute_margin,
            self.licence_value,
            self.discount_factor,
            self.pv_cash_flow,
        ];
        for (i, v) in rest.iter().enumerate() {
            w[3 * N_SERIES + i] = v.to_bits();
        }
        w
    }

    /// The inverse of [`PeriodAccumulator::to_words`].
    pub fn from_words(w: &[u64; Self::WORDS]) -> PeriodAccumulator {
        let f = |i: usize| f64::from_bits(w[i]);
        let r = 3 * N_SERIES;
        PeriodAccumulator {
            series: std::array::from_fn(f),
            min_key: std::array::from_fn(|m| w[N_SERIES + m]),
            max_key: std::array::from_fn(|m| w[2 * N_SERIES + m]),
            revenue_share: f(r),
            model_margin: f(r + 1),
            reverse_share: f(r + 2),
            compute_margin: f(r + 3),
            licence_value: f(r + 4),
            discount_factor: f(r + 5),
            pv_cash_flow: f(r + 6),
        }
    }

    fn merge(&mut self, o: &PeriodAccumulator) {
        for m in 0..N_SERIES {
            self.series[m] += o.series[m];
            self.min_key[m] = self.min_key[m].min(o.min_key[m]);
            self.max_key[m] = self.max_key[m].max(o.max_key[m]);
        }
        self.revenue_share += o.revenue_share;
        self.model_margin += o.model_margin;
        self.reverse_share += o.reverse_share;
        self.compute_margin += o.compute_margin;
        self.licence_value += o.licence_value;
        self.discount_factor += o.discount_factor;
        self.pv_cash_flow += o.pv_cash_flow;
    }
}

/// The chunk partials of one period added up, in chunk order.
pub fn merge(partials: &[PeriodAccumulator]) -> PeriodAccumulator {
    let mut total = PeriodAccumulator::default();
    for p in partials {
        total.merge(p);
    }
    total
}

/// Summarise one period: means from the merged partials, exact percentiles from the
/// per-metric buffers (which this reorders).
pub fn period_summary(
    per: &Period,
    total: &PeriodAccumulator,
    buffers: &mut [Vec<f64>],
    n: usize,
) -> PeriodSummary {
    let pcts: Vec<[f64; 5]> = buffers
        .par_iter_mut()
        .enumerate()
        .map(|(m, b)| {
            quantiles_in(
                &mut b[..n],
                &PERCENTILES,
                Some((total.min_key[m], total.max_key[m])),
            )
        })
        .collect();
    period_summary_of(per, total, n, |m| pcts[m])
}

/// Period `per`'s summary from its merged partials and each metric's percentiles
/// (`pct(m)`, found by whichever engine ran).
pub fn period_summary_of(
    per: &Period,
    total: &PeriodAccumulator,
    n: usize,
    pct: impl Fn(usize) -> [f64; 5],
) -> PeriodSummary {
    let nf = n as f64;
    let bands: [Band; N_SERIES] = std::array::from_fn(|m| Band {
        mean: total.series[m] / nf,
        pct: pct(m),
    });
    PeriodSummary {
        period_end: per.period_end,
        year: per.year,
        t: per.t,
        bands,
        revenue_share: total.revenue_share / nf,
        cloud_model_margin: total.model_margin / nf,
        reverse_share: -(total.reverse_share / nf),
        compute_margin: total.compute_margin / nf,
        licence_value: total.licence_value / nf,
        discount_factor: total.discount_factor / nf,
        pv_investor_cash_flow: total.pv_cash_flow / nf,
    }
}

/// Full statistics of one per-path result. Percentiles are type 7, except for a 0/1
/// result (`binary`), whose percentiles are type 1 (no interpolation: 0 or 1).
pub fn stats_of(values: &mut [f64], binary: bool) -> Stats {
    let (mean, std_dev) = mean_std(values);
    let (min, max) = min_max(values);
    let pct = if binary {
        quantiles_type1(values, &PERCENTILES)
    } else {
        quantiles(values, &PERCENTILES)
    };
    Stats {
        mean,
        std_dev,
        std_error: std_dev / (values.len() as f64).sqrt(),
        pct,
        min,
        max,
    }
}

/// Number of histogram bins of npv_total.
const HIST_BINS: usize = 60;

/// Quantile grid and histogram of npv_total (`values` is reordered).
fn distribution(values: &mut [f64]) -> Distribution {
    let probs: [f64; 201] = std::array::from_fn(|i| i as f64 / 200.0);
    let q = quantiles(values, &probs);
    let quantiles: Vec<(f64, f64)> = probs.iter().copied().zip(q).collect();
    // Bins span p0.5..p99.5 so one far path does not squash the picture; the paths
    // outside are counted in `below` / `above`.
    let (lo, hi) = (q[1], q[199]);
    let width = (hi - lo) / HIST_BINS as f64;
    let edges: Vec<f64> = (0..=HIST_BINS)
        .map(|i| {
            if i == HIST_BINS {
                hi
            } else {
                lo + width * i as f64
            }
        })
        .collect();
    let mut counts = vec![0u64; HIST_BINS];
    let (mut below, mut above) = (0u64, 0u64);
    for &v in values.iter() {
        if v < lo {
            below += 1;
        } else if v > hi {
            above += 1;
        } else if width > 0.0 {
            let b = (((v - lo) / width) as usize).min(HIST_BINS - 1);
            counts[b] += 1;
        } else {
            counts[0] += 1;
        }
    }
    Distribution {
        quantiles,
        edges,
        counts,
        below,
        above,
    }
}

/// One result column's answers (see [`run_summary`]).
struct ColumnAnswers {
    stats: Stats,
    dist: Option<Distribution>,
    first: super::risk::PathOrder,
    second: super::risk::AnyOrder,
}

/// A per-path result out of its bound: the metric, the first such path and its value.
pub type Uncarried = (ResultMetric, usize, f64);

/// Why [`run_summary`] stopped: a result some path does not carry, or a signal (the
/// per-path results take seconds at millions of paths; each column looks at the flag).
#[derive(Debug)]
pub enum SummaryStop {
    Uncarried(Uncarried),
    Cancelled,
}

/// How many paths first hit the cap, and how many were renegotiated, in each calendar
/// year of the horizon: all the summary needs of the paths' years. Integer counts, so
/// paths may be counted in any order and the counts merged in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCounts {
    pub paths: usize,
    pub start_year: i32,
    pub cap_hits: Vec<u64>,
    pub renegotiations: Vec<u64>,
}

impl YearCounts {
    /// No paths yet, over the years `start_year..=end_year`.
    pub fn new(start_year: i32, end_year: i32) -> YearCounts {
        let years = (end_year - start_year + 1) as usize;
        YearCounts {
            paths: 0,
            start_year,
            cap_hits: vec![0; years],
            renegotiations: vec![0; years],
        }
    }

    /// One path, with the year it first hit the cap and the year of its renegotiation
    /// (0: never).
    #[inline]
    pub fn add(&mut self, cap_hit_year: i32, renegotiation_year: i32) {
        self.paths += 1;
        if cap_hit_year != 0 {
            self.cap_hits[(cap_hit_year - self.start_year) as usize] += 1;
        }
        if renegotiation_year != 0 {
            self.renegotiations[(renegotiation_year - self.start_year) as usize] += 1;
        }
    }

    /// Add another set of paths' counts.
    pub fn merge(&mut self, other: &YearCounts) {
        self.paths += other.paths;
        for (a, b) in self.cap_hits.iter_mut().zip(&other.cap_hits) {
            *a += b;
        }
        for (a, b) in self.renegotiations.iter_mut().zip(&other.renegotiations) {
            *a += b;
        }
    }

    /// The counts of every path's years (`None`: never), under `model`'s horizon.
    pub fn of(
        model: &Model,
        cap_years: &[Option<i32>],
        renegotiation_years: &[Option<i32>],
    ) -> YearCounts {
        debug_assert_eq!(cap_years.len(), renegotiation_years.len());
        let mut c = YearCounts::new(model.grid.start_year, model.grid.end_year);
        for (a, b) in cap_years.iter().zip(renegotiation_years) {
            c.add(a.unwrap_or(0), b.unwrap_or(0));
        }
        c
    }
}

/// Assemble the run summary from the per-path results (`column(m)`: result m of every
/// path, in path order), each path's cap-hit year, and the period summaries; with the
/// risk answers (`targets`: the `--target`s) from the same columns; or the first result
/// some path does not carry (see `guard`).
// The run's whole input, each part distinct (grouping them would only rename them).
#[allow(clippy::too_many_arguments)]
pub fn run_summary(
    sc: &Scenario,
    model: &Model,
    opts: &RunOptions,
    targets: &[Target],
    column: &(dyn Fn(ResultMetric) -> Vec<f64> + Sync),
    years: &YearCounts,
    periods: Vec<PeriodSummary>,
) -> Result<(RunSummary, RiskSummary), SummaryStop> {
    let n = years.paths;
    let mut risk = RiskBuilder::new(n, targets);
    risk.sampler = model.sampler;
    // Each result column on its own (in parallel: one column per worker at a time, so
    // memory stays at one f64 per path and worker on top of the run's state); every
    // answer is a function of its column alone, taken in summary order below.
    let cancelled = || {
        opts.cancel
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    };
    let columns: Vec<Result<ColumnAnswers, SummaryStop>> = ResultMetric::ALL
        .par_iter()
        .with_max_len(1)
        .map(|&m| {
            if cancelled() {
                return Err(SummaryStop::Cancelled);
            }
            let mut v = column(m);
            if let Some(i) = first_uncarried(&v, result_limit(m)) {
                return Err(SummaryStop::Uncarried((m, i, v[i])));
            }
            let first = risk.in_path_order(m, &v);
            // Under antithetic or Sobol sampling, from pair or replicate means (`vr`).
            let se = super::vr::std_error(model.sampler, &v);
            let mut stats = stats_of(&mut v, m.is_binary());
            if let Some(se) = se {
                stats.std_error = se;
            }
            let dist = (m == ResultMetric::NpvTotal).then(|| distribution(&mut v));
            let second = risk.any_order(m, &mut v, &first);
            Ok(ColumnAnswers {
                stats,
                dist,
                first,
                second,
            })
        })
        .collect();
    let mut npv_total_dist = Distribution::default();
    let mut stats: Vec<Stats> = Vec::with_capacity(ResultMetric::ALL.len());
    for (&m, c) in ResultMetric::ALL.iter().zip(columns) {
        let c = c?;
        stats.push(c.stats);
        if let Some(d) = c.dist {
            npv_total_dist = d;
        }
        risk.add(m, c.first, c.second);
    }

    let (y0, y1) = (model.grid.start_year, model.grid.end_year);
    debug_assert_eq!(
        (years.start_year, years.cap_hits.len()),
        (y0, (y1 - y0 + 1) as usize)
    );
    let (first_hits, renegotiations) = (&years.cap_hits, &years.renegotiations);
    let renegotiation_by_year = renegotiations
        .iter()
        .map(|&c| c as f64 / n as f64)
        .collect();
    let mut cum = 0u64;
    let cap_hits: Vec<CapHitYear> = first_hits
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            cum += c;
            CapHitYear {
                year: y0 + i as i32,
                probability: c as f64 / n as f64,
                cumulative_probability: cum as f64 / n as f64,
            }
        })
        .collect();
    // Median cap-hit year over all paths, "never" counting as later than any year: defined
    // only when at least half the paths hit the cap.
    let half = n.div_ceil(2) as u64;
    let median_cap_hit_year = {
        let mut c = 0u64;
        first_hits.iter().enumerate().find_map(|(i, &h)| {
            c += h;
            (c >= half).then_some(y0 + i as i32)
        })
    };
    let summary = RunSummary {
        meta: sc.meta.clone(),
        paths: sc.simulation.paths,
        seed: sc.simulation.seed,
        start_year: y0,
        end_year: y1,
        steps_per_year: model.grid.steps_per_year,
        revenue_share_end_year: sc.revenue_share.end_year,
        cap: sc.revenue_share.cap.and_then(|c| c.as_const()),
        results: std::array::from_fn(|i| stats[i]),
        periods,
        cap_hits,
        renegotiation_by_year,
        median_cap_hit_year,
        npv_total_dist,
    };
    Ok((summary, risk.finish()))
}
