//! attribution.csv (`run --attribute channel`) as bytes.

use csv::Writer;

use super::csv::{finish, num, row};
use crate::attribution::AttributionRow;

/// attribution.csv: `component,mean_with,mean_without,mean_delta,std_error_delta,p5_delta,p95_delta`.
pub fn attribution_csv(rows: &[AttributionRow]) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "component",
            "mean_with",
            "mean_without",
            "mean_delta",
            "std_error_delta",
            "p5_delta",
            "p95_delta",
        ],
    );
    for r in rows {
        let mut rec = vec![r.component.name().to_string()];
        rec.extend(
            [
                r.mean_with,
                r.mean_without,
                r.mean_delta,
                r.std_error_delta,
                r.p5_delta,
                r.p95_delta,
            ]
            .map(num),
        );
        row(&mut w, rec);
    }
    finish(w)
}
