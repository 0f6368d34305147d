//! The run's risk answers, built one result column at a time alongside the summary
//! statistics (so no second copy of any column is kept): percentile intervals, VaR and
//! ES with intervals, target probabilities with Wilson intervals, and the convergence of
//! the NPV means over prefixes of the paths.
//!
//! Each column is seen twice: first in path order (convergence, ES batches, target
//! counts: all need path identity or are order-free counts), then after the percentiles
//! have reordered it (order statistics). Everything is a deterministic function of the
//! column, so the answers are identical on any number of threads.

use super::intervals::{quantile_ci_ranks, wilson, QuantileRanks};
use super::stats::{mean_std, min_max, order_stats};
use super::tail::{es_half_widths, var_es, LEVELS, TAIL_PROBS};
use crate::risk::{ConvergencePoint, Interval, RiskRow, RiskSummary, Statistic, Target};
use crate::summary::{ResultMetric, PERCENTILES};

/// First convergence checkpoint; later ones double it.
pub const CONVERGENCE_START: u64 = 1000;

/// The path counts of convergence.csv for a run of `n` paths: 1000, 2000, 4000, … below
/// `n`, then `n`.
pub fn convergence_counts(n: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut k = CONVERGENCE_START;
    while k < n {
        out.push(k);
        k *= 2;
    }
    out.push(n);
    out
}

/// What a result column's first look (in path order) gives.
pub struct PathOrder {
    /// (target index, paths that hit it) for the targets on this result.
    counts: Vec<(usize, u64)>,
    convergence: Vec<ConvergencePoint>,
    /// The ES half-widths (None: too few paths, or not an NPV result).
    es_half: Option<[f64; 3]>,
}

/// What a result column's second look (any order) gives.
pub struct AnyOrder {
    pct_ci: [Interval; PERCENTILES.len()],
    /// VaR and ES rows of an NPV result.
    tails: Option<Vec<RiskRow>>,
}

/// Collects the risk answers of a run of `n` paths.
pub struct RiskBuilder {
    n: usize,
    targets: Vec<Target>,
    counts: Vec<u64>,
    pct_ranks: [QuantileRanks; PERCENTILES.len()],
    tail_ranks: [QuantileRanks; TAIL_PROBS.len()],
    pct_ci: Vec<[Interval; PERCENTILES.len()]>,
    /// Per NPV result in summary order: its VaR and ES rows.
    tails: Vec<Vec<RiskRow>>,
    convergence: Vec<ConvergencePoint>,
    /// `--sampler`: convergence.csv's standard errors come from pairs or replicates.
    pub sampler: crate::model::sampler::Sampler,
}

impl RiskBuilder {
    /// `targets`: the user's `--target`s (the always-written rows come first by itself).
    pub fn new(n: usize, targets: &[Target]) -> RiskBuilder {
        let mut all: Vec<Target> = Target::always().to_vec();
        all.extend_from_slice(targets);
        RiskBuilder {
            n,
            counts: vec![0; all.len()],
            targets: all,
            pct_ranks: PERCENTILES.map(|p| quantile_ci_ranks(n, p)),
            tail_ranks: TAIL_PROBS.map(|p| quantile_ci_ranks(n, p)),
            pct_ci: vec![[Interval::default(); PERCENTILES.len()]; ResultMetric::ALL.len()],
            tails: Vec::new(),
            convergence: Vec::new(),
            sampler: crate::model::sampler::Sampler::Mc,
        }
    }

    /// First look at result `m`'s column, in path order: what needs path identity
    /// (target counts, convergence prefixes, ES batches). Pure, so columns can be looked
    /// at in parallel; [`RiskBuilder::add`] takes the answers in summary order.
    pub fn in_path_order(&self, m: ResultMetric, values: &[f64]) -> PathOrder {
        let counts = self
            .targets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.metric == m)
            .map(|(i, t)| (i, values.iter().filter(|&&v| t.hit(v)).count() as u64))
            .collect();
        let mut convergence = Vec::new();
        let mut es_half = None;
        if m.is_npv() {
            for k in convergence_counts(values.len() as u64) {
                // The same two-pass formula as summary.csv, so the last row equals it.
                let (mean, sd) = mean_std(&values[..k as usize]);
                let vr_se = super::vr::std_error(self.sampler, &values[..k as usize]);
                convergence.push(ConvergencePoint {
                    paths: k,
                    metric: m,
                    mean,
                    std_error: vr_se.unwrap_or(sd / (k as f64).sqrt()),
                });
            }
            es_half = es_half_widths(values);
        }
        PathOrder {
            counts,
            convergence,
            es_half,
        }
    }

    /// Second look, after the summary percentiles (`values` in any order; reordered),
    /// given the first look's answers. Pure, as [`RiskBuilder::in_path_order`].
    pub fn any_order(&self, m: ResultMetric, values: &mut [f64], first: &PathOrder) -> AnyOrder {
        let mut ranks: Vec<usize> = self
            .pct_ranks
            .iter()
            .chain(&self.tail_ranks)
            .flat_map(|r| [r.lo, r.hi])
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        let os = order_stats(values, &ranks);
        let at = |r: usize| os[ranks.binary_search(&r).unwrap_or(0)];
        let ci = |r: &QuantileRanks| Interval::new(at(r.lo), at(r.hi));
        let pct_ci = self.pct_ranks.map(|r| ci(&r));
        if !m.is_npv() {
            return AnyOrder {
                pct_ci,
                tails: None,
            };
        }
        let var_ci = self.tail_ranks.map(|r| ci(&r));
        let ve = var_es(values);
        let (min, max) = min_max(values);
        let mut rows = Vec::with_capacity(2 * LEVELS.len());
        for (i, &level) in LEVELS.iter().enumerate() {
            rows.push(RiskRow {
                metric: m,
                statistic: Statistic::Var,
                level,
                value: ve[i].0,
                ci: var_ci[i],
            });
        }
        for (i, &level) in LEVELS.iter().enumerate() {
            let es = ve[i].1;
            let ci = match first.es_half {
                Some(h) => Interval::new(es - h[i], es + h[i]),
                None => Interval::new(min, max),
            };
            rows.push(RiskRow {
                metric: m,
                statistic: Statistic::Es,
                level,
                value: es,
                ci,
            });
        }
        AnyOrder {
            pct_ci,
            tails: Some(rows),
        }
    }

    /// Take result `m`'s two looks; called in summary order (convergence points and
    /// tail rows keep that order).
    pub fn add(&mut self, m: ResultMetric, first: PathOrder, second: AnyOrder) {
        for (i, c) in first.counts {
            self.counts[i] = c;
        }
        self.convergence.extend(first.convergence);
        self.pct_ci[m.index()] = second.pct_ci;
        if let Some(rows) = second.tails {
            self.tails.push(rows);
        }
    }

    /// risk.csv's rows (tails, then the always-written probabilities, then the targets
    /// in the order given) and the rest.
    pub fn finish(self) -> RiskSummary {
        let n = self.n as u64;
        let mut rows: Vec<RiskRow> = self.tails.into_iter().flatten().collect();
        for (t, &k) in self.targets.iter().zip(&self.counts) {
            let (lo, hi) = wilson(k, n);
            rows.push(RiskRow {
                metric: t.metric,
                statistic: t.statistic(),
                level: t.threshold,
                value: k as f64 / n as f64,
                ci: Interval::new(lo, hi),
            });
        }
        let mut convergence = self.convergence;
        // By path count, then result (a stable sort keeps summary order within a count).
        convergence.sort_by_key(|c| c.paths);
        RiskSummary {
            pct_ci: self.pct_ci,
            rows,
            convergence,
        }
    }
}
