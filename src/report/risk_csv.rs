//! risk.csv and convergence.csv as bytes (OUTPUTS.md v2; docs/output-contract.md).

use csv::Writer;

use super::csv::{finish, num, row};
use crate::risk::RiskSummary;

/// risk.csv: `metric,unit,statistic,level,value,ci_low,ci_high`, rows as computed (VaR
/// then ES per NPV result, levels ascending; P(npv_total < 0); P(cap hit); targets).
pub fn risk_csv(r: &RiskSummary) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "metric",
            "unit",
            "statistic",
            "level",
            "value",
            "ci_low",
            "ci_high",
        ],
    );
    for x in &r.rows {
        row(
            &mut w,
            [
                x.metric.name().to_string(),
                x.unit().as_str().to_string(),
                x.statistic.as_str().to_string(),
                num(x.level),
                num(x.value),
                num(x.ci.low),
                num(x.ci.high),
            ],
        );
    }
    finish(w)
}

/// convergence.csv: `paths,metric,unit,mean,std_error`, by path count, then NPV result.
pub fn convergence_csv(r: &RiskSummary) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(&mut w, ["paths", "metric", "unit", "mean", "std_error"]);
    for c in &r.convergence {
        row(
            &mut w,
            [
                c.paths.to_string(),
                c.metric.name().to_string(),
                c.metric.unit().as_str().to_string(),
                num(c.mean),
                num(c.std_error),
            ],
        );
    }
    finish(w)
}
