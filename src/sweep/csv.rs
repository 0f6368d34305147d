//! sweep.csv (output contract v2): one row per grid point and result metric, long form.
//! `point,<key_1>,...,<key_m>,metric,unit,mean,std_error,p5,p50,p95`; the metrics are
//! summary.csv's, in its order (`ResultMetric::ALL`), numbers as in every CSV.

use csv::Writer;

use super::SweepResult;
use crate::report::csv::{finish, num, row};
use crate::summary::ResultMetric;

pub fn sweep_csv(s: &SweepResult) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    let mut head = vec!["point".to_string()];
    head.extend(s.keys.iter().cloned());
    head.extend(["metric", "unit", "mean", "std_error", "p5", "p50", "p95"].map(String::from));
    row(&mut w, head);
    for (k, (values, stats)) in s.points.iter().zip(&s.stats).enumerate() {
        for m in ResultMetric::ALL {
            let st = &stats[m.index()];
            let mut r = vec![k.to_string()];
            r.extend(values.iter().cloned());
            r.push(m.name().to_string());
            r.push(m.unit().as_str().to_string());
            r.extend([st.mean, st.std_error, st.p5(), st.p50(), st.p95()].map(num));
            row(&mut w, r);
        }
    }
    finish(w)
}
