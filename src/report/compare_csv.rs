//! The comparison's CSV files as bytes. Scenario ids (file stems) and the keys and
//! values of what_changed.csv come from users: they go through `csv_text`, so none is
//! read as a spreadsheet formula (docs/outputs.md); numeric columns are untouched.

use csv::Writer;

use super::csv::{finish, num, row};
use crate::compare::Comparison;
use crate::escape::csv_text;
use crate::summary::{ResultMetric, SeriesMetric};

/// compare_summary.csv: `scenario,metric,unit,mean,std_error,p5,p50,p95`.
pub fn compare_summary_csv(c: &Comparison) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "scenario",
            "metric",
            "unit",
            "mean",
            "std_error",
            "p5",
            "p50",
            "p95",
        ],
    );
    for m in &c.members {
        for rm in ResultMetric::ALL {
            let s = m.summary.result(rm);
            let mut r = vec![
                csv_text(&m.id).into_owned(),
                rm.name().into(),
                rm.unit().as_str().into(),
            ];
            r.extend([s.mean, s.std_error, s.p5(), s.p50(), s.p95()].map(num));
            row(&mut w, r);
        }
    }
    finish(w)
}

/// compare_deltas.csv: paired differences against the baseline; the unpaired standard
/// error is an extra column, for contrast; then the 95 % intervals of the delta
/// percentiles (order statistics) and of `prob_positive` (Wilson).
pub fn compare_deltas_csv(c: &Comparison) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "scenario",
            "metric",
            "unit",
            "mean_delta",
            "std_error_delta",
            "p5_delta",
            "p50_delta",
            "p95_delta",
            "prob_positive",
            "std_error_unpaired",
            "p5_delta_ci_low",
            "p5_delta_ci_high",
            "p50_delta_ci_low",
            "p50_delta_ci_high",
            "p95_delta_ci_low",
            "p95_delta_ci_high",
            "prob_positive_ci_low",
            "prob_positive_ci_high",
        ],
    );
    for (m, ds) in c.members.iter().skip(1).zip(&c.deltas) {
        for d in ds {
            // A probability's difference is still a probability-scale number.
            let mut r = vec![
                csv_text(&m.id).into_owned(),
                d.metric.name().into(),
                d.metric.unit().as_str().into(),
            ];
            r.extend(
                [
                    d.mean,
                    d.std_error,
                    d.pct[0],
                    d.pct[1],
                    d.pct[2],
                    d.prob_positive,
                    d.std_error_unpaired,
                ]
                .map(num),
            );
            for ci in d.pct_ci.iter().chain([&d.prob_positive_ci]) {
                r.extend([num(ci.low), num(ci.high)]);
            }
            row(&mut w, r);
        }
    }
    finish(w)
}

/// compare_timeseries.csv: `scenario,period_end,year,metric,unit,mean,p50`, long form.
pub fn compare_timeseries_csv(c: &Comparison) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "scenario",
            "period_end",
            "year",
            "metric",
            "unit",
            "mean",
            "p50",
        ],
    );
    for m in &c.members {
        for p in &m.summary.periods {
            for sm in SeriesMetric::ALL {
                let b = p.band(sm);
                row(
                    &mut w,
                    [
                        csv_text(&m.id).into_owned(),
                        p.period_end.to_string(),
                        p.year.to_string(),
                        sm.name().into(),
                        sm.unit().as_str().into(),
                        num(b.mean),
                        num(b.pct[2]),
                    ],
                );
            }
        }
    }
    finish(w)
}

/// what_changed.csv: `scenario,key,baseline,value`.
pub fn what_changed_csv(c: &Comparison) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(&mut w, ["scenario", "key", "baseline", "value"]);
    for m in c.members.iter().skip(1) {
        for (k, a, b) in &m.changed {
            row(&mut w, [&m.id, k, a, b].map(|t| csv_text(t).into_owned()));
        }
    }
    finish(w)
}
