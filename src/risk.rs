//! Risk answers with error bars (issue 16): what a run adds to its [`RunSummary`] for
//! risk.csv, convergence.csv and summary.csv's interval columns. Computed by the engine
//! from the per-path results (`engine::risk`); exporters read it, never the paths.
//!
//! [`RunSummary`]: crate::summary::RunSummary

use std::fmt;

use crate::summary::{ResultMetric, Unit, PERCENTILES};

/// A 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn new(low: f64, high: f64) -> Interval {
        Interval { low, high }
    }

    pub fn contains(&self, v: f64) -> bool {
        self.low <= v && v <= self.high
    }
}

/// The `statistic` column of risk.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Value at risk: the `1 − level` quantile.
    Var,
    /// Expected shortfall: mean of the paths at or below VaR.
    Es,
    /// `P(metric < level)`.
    ProbBelow,
    /// `P(metric > level)`.
    ProbAbove,
}

impl Statistic {
    pub fn as_str(&self) -> &'static str {
        match self {
            Statistic::Var => "var",
            Statistic::Es => "es",
            Statistic::ProbBelow => "prob_below",
            Statistic::ProbAbove => "prob_above",
        }
    }
}

/// One row of risk.csv.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskRow {
    pub metric: ResultMetric,
    pub statistic: Statistic,
    /// VaR/ES: the confidence level (0.9, 0.95, 0.99); probabilities: the threshold in the
    /// metric's unit.
    pub level: f64,
    pub value: f64,
    pub ci: Interval,
}

impl RiskRow {
    /// Unit of `value` and the interval: the metric's for VaR and ES, `probability` else.
    pub fn unit(&self) -> Unit {
        match self.statistic {
            Statistic::Var | Statistic::Es => self.metric.unit(),
            Statistic::ProbBelow | Statistic::ProbAbove => Unit::Probability,
        }
    }
}

/// Mean and standard error of one NPV result over the first `paths` paths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvergencePoint {
    pub paths: u64,
    pub metric: ResultMetric,
    pub mean: f64,
    pub std_error: f64,
}

/// Everything a run says about its own uncertainty beyond means and standard errors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RiskSummary {
    /// Per result (`ResultMetric::index()`), the 95 % interval of each of
    /// [`PERCENTILES`], in that order.
    pub pct_ci: Vec<[Interval; PERCENTILES.len()]>,
    /// risk.csv in row order.
    pub rows: Vec<RiskRow>,
    /// convergence.csv in row order: by path count, then NPV results in summary order.
    pub convergence: Vec<ConvergencePoint>,
}

impl RiskSummary {
    pub fn pct_ci(&self, m: ResultMetric) -> &[Interval; PERCENTILES.len()] {
        &self.pct_ci[m.index()]
    }

    /// The row of `metric`, `statistic` at `level`, if written.
    pub fn row(&self, metric: ResultMetric, statistic: Statistic, level: f64) -> Option<&RiskRow> {
        self.rows
            .iter()
            .find(|r| r.metric == metric && r.statistic == statistic && r.level == level)
    }

    /// The convergence points of one metric, by path count.
    pub fn convergence_of(&self, m: ResultMetric) -> Vec<ConvergencePoint> {
        self.convergence
            .iter()
            .filter(|c| c.metric == m)
            .copied()
            .collect()
    }
}

/// Which side of the threshold a target counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Below,
    Above,
}

/// `--target METRIC<X` or `METRIC>X`: the probability that a result lies strictly beyond
/// a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub metric: ResultMetric,
    pub side: Side,
    pub threshold: f64,
}

impl Target {
    /// Does the path value `v` count?
    #[inline]
    pub fn hit(&self, v: f64) -> bool {
        match self.side {
            Side::Below => v < self.threshold,
            Side::Above => v > self.threshold,
        }
    }

    pub fn statistic(&self) -> Statistic {
        match self.side {
            Side::Below => Statistic::ProbBelow,
            Side::Above => Statistic::ProbAbove,
        }
    }

    /// The rows every run writes after the tails: P(npv_total < 0), P(cap hit).
    pub fn always() -> [Target; 2] {
        [
            Target {
                metric: ResultMetric::NpvTotal,
                side: Side::Below,
                threshold: 0.0,
            },
            Target {
                metric: ResultMetric::CapHit,
                side: Side::Above,
                threshold: 0.5,
            },
        ]
    }

    /// Parses `npv_total>500`, `pv_stake < -10` (spaces allowed around the parts).
    pub fn parse(s: &str) -> Result<Target, String> {
        let Some(pos) = s.find(['<', '>']) else {
            return Err(format!(
                "'{s}': expected METRIC<VALUE or METRIC>VALUE, e.g. 'npv_total>500'"
            ));
        };
        let (name, rest) = (s[..pos].trim(), &s[pos..]);
        let side = if rest.starts_with('<') {
            Side::Below
        } else {
            Side::Above
        };
        let value = rest[1..].trim();
        let metric = ResultMetric::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = ResultMetric::ALL.iter().map(|m| m.name()).collect();
            format!(
                "'{s}': unknown metric '{name}' (one of: {})",
                names.join(", ")
            )
        })?;
        let threshold: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("'{s}': '{value}' is not a finite number"))?;
        Ok(Target {
            metric,
            side,
            threshold,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.side {
            Side::Below => '<',
            Side::Above => '>',
        };
        write!(f, "{}{op}{}", self.metric.name(), self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = Target::parse("npv_total>500").unwrap();
        assert_eq!(
            (t.metric, t.side, t.threshold),
            (ResultMetric::NpvTotal, Side::Above, 500.0)
        );
        let t = Target::parse(" pv_stake < -12.5 ").unwrap();
        assert_eq!(
            (t.metric, t.side, t.threshold),
            (ResultMetric::PvStake, Side::Below, -12.5)
        );
        assert!(t.hit(-13.0) && !t.hit(-12.5));
        for bad in [
            "npv_total=5",
            "npv>5",
            "npv_total>",
            "npv_total>inf",
            "npv_total>1e999x",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        assert!(Target::parse("npv>5")
            .unwrap_err()
            .contains("unknown metric 'npv'"));
    }
}
