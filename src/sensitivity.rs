//! What drives the payoff: rank correlations of the uncertain inputs with the results
//! (overall and per year), one-at-a-time swings on common random numbers, and the
//! variance each source explains. Pure computation over engine output; files and charts
//! are built in `report`. The channel attribution is in [`crate::attribution`].

use crate::engine::stats::{mean_std, quantiles};
use crate::engine::PathTable;
use crate::scenario::InputId;
use crate::summary::ResultMetric;

/// Average ranks (1-based; ties share their mean rank), in input order.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut r = vec![0.0; values.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && values[idx[j + 1]] == values[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation; `None` when either side has no spread.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mx, sx) = mean_std(x);
    let (my, sy) = mean_std(y);
    if !(sx > 0.0 && sy > 0.0) {
        return None;
    }
    let n = x.len() as f64;
    let cov: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (n - 1.0);
    Some((cov / (sx * sy)).clamp(-1.0, 1.0))
}

/// A rank correlation with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankCorr {
    pub rho: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Spearman's rho of `x` and `y` (Pearson on average ranks) with a 95 % interval from
/// Fisher's z with the Fieller–Hartley–Pearson standard error `1.06 / sqrt(n - 3)`.
/// `None` when a side is constant or n < 4.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<RankCorr> {
    if x.len() < 4 {
        return None;
    }
    let rho = pearson(&ranks(x), &ranks(y))?;
    let se = 1.06 / ((x.len() - 3) as f64).sqrt();
    let z = rho.clamp(-0.999_999_999, 0.999_999_999).atanh();
    Some(RankCorr {
        rho,
        lo: (z - 1.96 * se).tanh(),
        hi: (z + 1.96 * se).tanh(),
    })
}

/// Rank correlation of one input with one result.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRow {
    pub input: String,
    pub target: ResultMetric,
    pub corr: RankCorr,
}

/// The results the tornado looks at.
pub const TARGETS: [ResultMetric; 6] = [
    ResultMetric::NpvTotal,
    ResultMetric::NpvRevenueShare,
    ResultMetric::NpvCloudModels,
    ResultMetric::NpvReverseShare,
    ResultMetric::NpvCompute,
    ResultMetric::PvStake,
];

fn column(t: &PathTable, input: usize) -> Vec<f64> {
    (0..t.results.len()).map(|i| t.draws_of(i)[input]).collect()
}

/// Rank correlations of every uncertain input with each target, sorted within each
/// target by |rho| (largest first). Inputs that drew no spread are left out.
pub fn rank_table(t: &PathTable) -> Vec<RankRow> {
    let mut out = Vec::new();
    for target in TARGETS {
        let y: Vec<f64> = t
            .results
            .iter()
            .map(|r| r.as_array()[target.index()])
            .collect();
        let mut rows: Vec<RankRow> = (0..t.draw_names.len())
            .filter_map(|i| {
                spearman(&column(t, i), &y).map(|corr| RankRow {
                    input: t.draw_names[i].clone(),
                    target,
                    corr,
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            b.corr
                .rho
                .abs()
                .total_cmp(&a.corr.rho.abs())
                .then(a.input.cmp(&b.input))
        });
        out.extend(rows);
    }
    out
}

/// Rank correlation of each input with the investor's cash flow in each year.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRow {
    pub input: String,
    pub year: i32,
    /// `None` where the year's cash flow has no spread (e.g. all zero).
    pub corr: Option<RankCorr>,
}

pub fn by_year(t: &PathTable) -> Vec<YearRow> {
    let n = t.results.len();
    let mut out = Vec::new();
    for (i, name) in t.draw_names.iter().enumerate() {
        let x = column(t, i);
        for (y, &year) in t.years.iter().enumerate() {
            let cf = &t.annual_cash_flow[y * n..(y + 1) * n];
            out.push(YearRow {
                input: name.clone(),
                year,
                corr: spearman(&x, cf),
            });
        }
    }
    out
}

/// One-at-a-time swing of one input: the mean results with the input held at its low
/// and high value, every other input and every shock as in the base run.
#[derive(Debug, Clone, PartialEq)]
pub struct Swing {
    pub input: String,
    /// `p10/p90` for an uncertain input, `-20%/+20%` for a constant, `-1y/+1y` for a
    /// year-valued constant.
    pub kind: &'static str,
    pub low_value: f64,
    pub high_value: f64,
    /// Mean of each `TARGETS` result at the low and the high value.
    pub mean_low: [f64; 6],
    pub mean_high: [f64; 6],
}

/// Mean of each `TARGETS` result over a table's paths.
pub fn target_means(t: &PathTable) -> [f64; 6] {
    std::array::from_fn(|k| {
        let v: Vec<f64> = t
            .results
            .iter()
            .map(|r| r.as_array()[TARGETS[k].index()])
            .collect();
        mean_std(&v).0
    })
}

/// p10 and p90 of a drawn input, from its draws (type 7).
pub fn p10_p90(t: &PathTable, input: usize) -> (f64, f64) {
    let mut x = column(t, input);
    let q = quantiles(&mut x, &[0.1, 0.9]);
    (q[0], q[1])
}

/// Whether `key` holds a calendar year (`channel.midpoint_year`), by its unit in the
/// table of inputs: such a key swings by ±[`YEAR_SWING`] years, not ±20 % (20 % of 2027
/// is four centuries). Dates are not numbers and never swing.
pub fn is_year_key(key: &str) -> bool {
    crate::scenario::table::find(key).is_some_and(|d| d.is_calendar_year())
}

/// The one-at-a-time swing of a year-valued constant, in years either side.
pub const YEAR_SWING: f64 = 1.0;

/// The per-path market noise, in named groups, each by the volatility that switches it
/// off: the variance ranking lists them next to the drawn inputs.
pub const SHOCK_GROUPS: [(InputId, &str); 3] = [
    (InputId::CompanyRevenueVol, "revenue shocks"),
    (InputId::CompanyGrowthVol, "growth-rate shocks"),
    (InputId::CompanyMultipleVol, "valuation-multiple shocks"),
];

/// One source of the spread of npv_total and its share of the variance.
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceRow {
    /// The input's key, a shock group's name, or the remainder.
    pub source: String,
    /// `input` (a drawn input), `shocks` (a group of per-path shocks) or `rest`.
    pub kind: &'static str,
    /// What the source was frozen at (`median 0.25`, `company.revenue_vol=0`).
    pub frozen_at: String,
    /// Standard deviation of npv_total with the source frozen (the base's for `rest`).
    pub std_dev: f64,
    /// 1 - Var(frozen) / Var(base): the share of the variance the source accounts for.
    /// For `rest`, 1 minus the sum of the others: negative when the shares overlap
    /// (sources that multiply, as revenue, multiple and stake do, share their
    /// interactions, and freezing either removes them).
    pub share: f64,
}

/// The share of the base variance removed by freezing a source: `1 - (sd_f / sd_b)^2`.
/// The "freeze" estimate of a first-order effect, `(Var Y - Var(Y | X = x*)) / Var Y`;
/// with additive effects it equals the first-order Sobol index. 0 without spread.
pub fn variance_share(base_sd: f64, frozen_sd: f64) -> f64 {
    if base_sd > 0.0 {
        1.0 - (frozen_sd / base_sd).powi(2)
    } else {
        0.0
    }
}

/// The median of a drawn input, from its draws (type 7).
pub fn median(t: &PathTable, input: usize) -> f64 {
    let mut x = column(t, input);
    quantiles(&mut x, &[0.5])[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_keys_and_variance_shares() {
        assert!(is_year_key("channel.midpoint_year"));
        assert!(is_year_key("revenue_share.end_year"));
        assert!(!is_year_key("channel.ramp_speed"));
        assert!(!is_year_key("year.rate"));
        assert!(!is_year_key("stake.random_rounds_per_year"));
        assert_eq!(variance_share(2.0, 1.0), 0.75);
        assert_eq!(variance_share(0.0, 0.0), 0.0);
        assert!(variance_share(1.0, 1.2) < 0.0);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 20.0]), vec![1.0, 4.0, 2.5, 2.5]);
    }

    #[test]
    fn spearman_of_monotone_is_one_and_constant_is_none() {
        let x: Vec<f64> = (0..50).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v.powi(3) - 4.0).collect();
        let c = spearman(&x, &y).unwrap();
        assert!((c.rho - 1.0).abs() < 1e-12);
        let down: Vec<f64> = x.iter().map(|v| -v.exp()).collect();
        assert!((spearman(&x, &down).unwrap().rho + 1.0).abs() < 1e-12);
        assert!(spearman(&x, &vec![1.0; 50]).is_none());
    }

    #[test]
    fn fisher_interval_brackets_rho() {
        // Known: rho = 0.5, n = 103 -> se = 0.106, z = 0.5493, CI = tanh(0.5493 +- 0.2078).
        let x: Vec<f64> = (0..103).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v + 40.0 * ((v * 1.7).sin())).collect();
        let c = spearman(&x, &y).unwrap();
        let z = c.rho.atanh();
        assert!((c.lo - (z - 1.96 * 0.106).tanh()).abs() < 1e-12);
        assert!(c.lo < c.rho && c.rho < c.hi);
    }
}
