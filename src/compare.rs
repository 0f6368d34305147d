//! Paired comparison of scenarios run on common random numbers (MODEL.md §5): path i of
//! every scenario sees the same shocks, so the path-by-path difference isolates the
//! assumptions. Pure computation: CSV bytes are built in `report::compare_csv`.

use crate::engine::intervals::{quantile_ci_ranks, wilson};
use crate::engine::stats::{mean_std, order_stats, quantiles, quantiles_type1};
use crate::engine::PathTable;
use crate::risk::Interval;
use crate::summary::{ResultMetric, RunSummary, Stats};

/// Paired statistics of one metric: `delta_i = scenario_i - baseline_i`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delta {
    pub metric: ResultMetric,
    pub mean: f64,
    /// Paired: `sd(delta) / sqrt(n)`.
    pub std_error: f64,
    /// `[p5, p50, p95]` of the deltas (type 7; type 1 for a 0/1 result, so its deltas'
    /// percentiles are -1, 0 or 1).
    pub pct: [f64; 3],
    /// Distribution-free 95 % interval of each of `pct` (order statistics, as summary.csv).
    pub pct_ci: [Interval; 3],
    /// Share of paths with `delta > 0`.
    pub prob_positive: f64,
    /// Wilson 95 % interval of `prob_positive`.
    pub prob_positive_ci: Interval,
    /// What the standard error would be without pairing: `sqrt(se_a^2 + se_b^2)`.
    pub std_error_unpaired: f64,
}

/// One compared scenario: its id (file stem), its summary and per-path table.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub summary: RunSummary,
    pub paths: PathTable,
    /// `(key, baseline value, this scenario's value)` for every differing key.
    pub changed: Vec<(String, String, String)>,
}

/// The comparison: members[0] is the baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub members: Vec<Member>,
    /// Per non-baseline member (index i-1 for member i): deltas in `ResultMetric` order.
    pub deltas: Vec<Vec<Delta>>,
    /// Per non-baseline member: the npv_total deltas' quantiles at 0, 0.005, ..., 1.
    pub npv_delta_quantiles: Vec<Vec<(f64, f64)>>,
}

/// Under `--sampler antithetic|sobol`, the paired deltas' standard errors from pair or
/// replicate means of the path-by-path differences (`engine::vr`), in place of
/// `sd/sqrt(n)`, which assumes independent paths. Plain MC leaves `c` as it is.
pub fn sampler_std_errors(c: &mut Comparison, sampler: crate::model::sampler::Sampler) {
    let Some(a) = c.members.first() else {
        return;
    };
    for (b, deltas) in c.members.iter().skip(1).zip(c.deltas.iter_mut()) {
        let n = a.paths.results.len().min(b.paths.results.len());
        for d in deltas.iter_mut() {
            let i = d.metric.index();
            let diff: Vec<f64> = a.paths.results[..n]
                .iter()
                .zip(&b.paths.results[..n])
                .map(|(x, y)| y.as_array()[i] - x.as_array()[i])
                .collect();
            if let Some(se) = crate::engine::vr::std_error(sampler, &diff) {
                d.std_error = se;
            }
        }
    }
}

/// Paired deltas of `b` against baseline `a` (same paths, same seed).
pub fn deltas(a: &Member, b: &Member) -> (Vec<Delta>, Vec<(f64, f64)>) {
    let n = a.paths.results.len().min(b.paths.results.len());
    let mut npv_q = Vec::new();
    let out = ResultMetric::ALL
        .iter()
        .map(|&m| {
            let mut d: Vec<f64> = a.paths.results[..n]
                .iter()
                .zip(&b.paths.results[..n])
                .map(|(x, y)| y.as_array()[m.index()] - x.as_array()[m.index()])
                .collect();
            let (mean, sd) = mean_std(&d);
            let positive = d.iter().filter(|&&v| v > 0.0).count();
            let prob_positive = positive as f64 / n as f64;
            let (lo, hi) = wilson(positive as u64, n as u64);
            const PROBS: [f64; 3] = [0.05, 0.5, 0.95];
            let pct = if m.is_binary() {
                quantiles_type1(&mut d, &PROBS)
            } else {
                quantiles(&mut d, &PROBS)
            };
            let pct_ci = pct_intervals(&mut d, &PROBS);
            if m == ResultMetric::NpvTotal {
                let probs: [f64; 201] = std::array::from_fn(|i| i as f64 / 200.0);
                npv_q = probs
                    .iter()
                    .copied()
                    .zip(quantiles(&mut d, &probs))
                    .collect();
            }
            let (sa, sb): (&Stats, &Stats) = (a.summary.result(m), b.summary.result(m));
            Delta {
                metric: m,
                mean,
                std_error: sd / (n as f64).sqrt(),
                pct,
                pct_ci,
                prob_positive,
                prob_positive_ci: Interval::new(lo, hi),
                std_error_unpaired: (sa.std_error * sa.std_error + sb.std_error * sb.std_error)
                    .sqrt(),
            }
        })
        .collect();
    (out, npv_q)
}

/// Distribution-free 95 % intervals of the `probs` quantiles of `values` (reordered).
fn pct_intervals(values: &mut [f64], probs: &[f64; 3]) -> [Interval; 3] {
    if values.is_empty() {
        return [Interval::new(f64::NAN, f64::NAN); 3];
    }
    let r = probs.map(|p| quantile_ci_ranks(values.len(), p));
    let mut ranks: Vec<usize> = r.iter().flat_map(|r| [r.lo, r.hi]).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let os = order_stats(values, &ranks);
    let at = |k: usize| os[ranks.binary_search(&k).unwrap_or(0)];
    r.map(|r| Interval::new(at(r.lo), at(r.hi)))
}

/// Keys whose value differs from the baseline's: `(key, baseline, scenario)`, where a
/// key one side does not set shows as `(not set)`.
pub fn what_changed(
    base: &[(String, String)],
    other: &[(String, String)],
) -> Vec<(String, String, String)> {
    let find = |list: &[(String, String)], k: &str| {
        list.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone())
    };
    let mut keys: Vec<&String> = base.iter().map(|(k, _)| k).collect();
    for (k, _) in other {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .filter(|k| {
            !k.starts_with("meta.")
                && !k.starts_with("simulation.paths")
                && !k.starts_with("simulation.seed")
        })
        .filter_map(|k| {
            let a = find(base, k);
            let b = find(other, k);
            (a != b).then(|| {
                let d = || String::from("(not set)");
                (k.clone(), a.unwrap_or_else(d), b.unwrap_or_else(d))
            })
        })
        .collect()
}

/// Assemble a comparison from members run on the same seed and paths.
pub fn compare(members: Vec<Member>) -> Comparison {
    let mut deltas_all = Vec::new();
    let mut qs = Vec::new();
    for m in members.iter().skip(1) {
        let (d, q) = deltas(&members[0], m);
        deltas_all.push(d);
        qs.push(q);
    }
    Comparison {
        members,
        deltas: deltas_all,
        npv_delta_quantiles: qs,
    }
}

/// How members are named in titles: their scenario names, or, where two share a name (a
/// file and its `--variant`s), `name [id]` for every member, so no two read the same.
pub fn display_names(c: &Comparison) -> Vec<String> {
    let names: Vec<&str> = c
        .members
        .iter()
        .map(|m| m.summary.meta.name.as_str())
        .collect();
    let unique = names
        .iter()
        .enumerate()
        .all(|(i, n)| !names[..i].contains(n));
    c.members
        .iter()
        .map(|m| {
            if unique {
                m.summary.meta.name.clone()
            } else {
                format!("{} [{}]", m.summary.meta.name, m.id)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_raw;

    #[test]
    fn a_distribution_turned_constant_is_one_change() {
        let a = parse_raw("[channel]\nceiling = { dist = \"uniform\", low = 0.1, high = 0.2 }\nramp_speed = 1.0\n[revenue_share]\ncap = 38.0\n", "a").unwrap();
        let b = parse_raw("[channel]\nceiling = 0.0\nramp_speed = 1.0\n[[stake.rounds]]\ndate = 2026-06-30\namount = 5.0\n", "b").unwrap();
        let changed = what_changed(&a.flatten_values(), &b.flatten_values());
        let keys: Vec<&str> = changed.iter().map(|c| c.0.as_str()).collect();
        assert_eq!(
            keys,
            ["channel.ceiling", "revenue_share.cap", "stake.rounds[0]"]
        );
        assert_eq!(
            changed[0].1,
            "{ dist = \"uniform\", low = 0.1, high = 0.2 }"
        );
        assert_eq!(changed[0].2, "0.0");
        assert_eq!(changed[1].2, "(not set)");
        assert_eq!(changed[2].1, "(not set)");
    }
}
