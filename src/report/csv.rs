//! The CSV files of OUTPUTS.md as bytes: no I/O here, so they are easy to test and the
//! output manager alone touches the disk.
//!
//! Numbers are Rust's `{}` for f64: the shortest decimal that reads back to the same
//! value, never in exponent notation. Dates are ISO. Column order is a contract.

use csv::Writer;

use crate::engine::PathTable;
use crate::model::CENTS_PER_BN;
use crate::risk::RiskSummary;
use crate::summary::{ResultMetric, RunSummary, SeriesMetric, PERCENTILES};

/// A number as written in every CSV: fixed-point shortest round-trip; `-0` as `0`;
/// a non-finite value (which the model should never produce) as an empty cell.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        String::new()
    } else if v == 0.0 {
        String::from("0")
    } else {
        format!("{v}")
    }
}

/// The bytes written so far (shared by every CSV exporter).
pub(crate) fn finish(w: Writer<Vec<u8>>) -> Vec<u8> {
    // Writing into a Vec cannot fail; into_inner only flushes the buffer.
    w.into_inner().unwrap_or_default()
}

/// Every `csv::Writer::write_record` here goes to memory; it fails only on a bug.
pub(crate) fn row<I, T>(w: &mut Writer<Vec<u8>>, fields: I)
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    w.write_record(fields).expect("writing CSV to memory");
}

/// summary.csv's v1 columns (the first twelve), without the interval columns; what
/// `dealsim run` writes is [`summary_csv_with_intervals`].
pub fn summary_csv(s: &RunSummary) -> Vec<u8> {
    summary_table(s, None)
}

/// summary.csv: one row per result, the v1 columns then each percentile's 95 % interval
/// (`p5_ci_low,p5_ci_high,…,p95_ci_high`).
pub fn summary_csv_with_intervals(s: &RunSummary, risk: &RiskSummary) -> Vec<u8> {
    summary_table(s, Some(risk))
}

fn summary_table(s: &RunSummary, risk: Option<&RiskSummary>) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "metric",
        "unit",
        "mean",
        "std_dev",
        "std_error",
        "p5",
        "p25",
        "p50",
        "p75",
        "p95",
        "min",
        "max",
    ]
    .map(String::from)
    .to_vec();
    if risk.is_some() {
        for p in PERCENTILES {
            let name = format!("p{}", (p * 100.0).round());
            header.push(format!("{name}_ci_low"));
            header.push(format!("{name}_ci_high"));
        }
    }
    row(&mut w, &header);
    for m in ResultMetric::ALL {
        let st = s.result(m);
        let mut r = vec![m.name().to_string(), m.unit().as_str().to_string()];
        r.extend([st.mean, st.std_dev, st.std_error].map(num));
        r.extend(st.pct.map(num));
        r.extend([st.min, st.max].map(num));
        if let Some(risk) = risk {
            for ci in risk.pct_ci(m) {
                r.extend([num(ci.low), num(ci.high)]);
            }
        }
        row(&mut w, r);
    }
    finish(w)
}

/// timeseries.csv: percentile bands per period, long form.
pub fn timeseries_csv(s: &RunSummary) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "period_end",
            "year",
            "metric",
            "unit",
            "mean",
            "p5",
            "p25",
            "p50",
            "p75",
            "p95",
        ],
    );
    for p in &s.periods {
        for m in SeriesMetric::ALL {
            let b = p.band(m);
            let mut r = vec![
                p.period_end.to_string(),
                p.year.to_string(),
                m.name().into(),
                m.unit().as_str().into(),
            ];
            r.push(num(b.mean));
            r.extend(b.pct.map(num));
            row(&mut w, r);
        }
    }
    finish(w)
}

/// cashflows.csv: expected cash flows per period, wide form.
pub fn cashflows_csv(s: &RunSummary) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "period_end",
            "year",
            "revenue_share",
            "cloud_model_margin",
            "reverse_share",
            "compute_margin",
            "investor_cash_flow",
            "discount_factor",
            "pv_investor_cash_flow",
            "licence_value",
        ],
    );
    for p in &s.periods {
        let mut r = vec![p.period_end.to_string(), p.year.to_string()];
        r.extend(
            [
                p.revenue_share,
                p.cloud_model_margin,
                p.reverse_share,
                p.compute_margin,
                p.investor_cash_flow(),
                p.discount_factor,
                p.pv_investor_cash_flow,
                p.licence_value,
            ]
            .map(num),
        );
        row(&mut w, r);
    }
    finish(w)
}

/// cap_hits.csv: when the cap binds, one row per year.
pub fn cap_hits_csv(s: &RunSummary) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(&mut w, ["year", "probability", "cumulative_probability"]);
    for c in &s.cap_hits {
        row(
            &mut w,
            [
                c.year.to_string(),
                num(c.probability),
                num(c.cumulative_probability),
            ],
        );
    }
    finish(w)
}

/// The results v1 wrote before `cap_hit_year` in paths.csv: the first ten.
const V1_RESULTS: usize = 10;

/// paths.csv: one row per path: v1's results and `cap_hit_year`, then MODEL.md §6.4's
/// `npv_licence`, `renewed`, `renegotiated`, `renegotiation_year`, then the draw of each
/// uncertain input.
pub fn paths_csv(t: &PathTable) -> Vec<u8> {
    let mut header: Vec<String> = vec!["path".into()];
    let names = ResultMetric::ALL.map(|m| m.name().to_string());
    header.extend_from_slice(&names[..V1_RESULTS]);
    header.push("cap_hit_year".into());
    header.extend_from_slice(&names[V1_RESULTS..]);
    header.push("renegotiation_year".into());
    header.extend(t.draw_names.iter().cloned());
    // Reserved up front, generously (24 bytes a cell; a full-precision number takes
    // about 19): a buffer grown by doubling is copied on each growth, briefly holding
    // the text one and a half times over. Reserved but unwritten pages cost no memory.
    let cells = header.len().saturating_mul(t.results.len() + 1);
    let mut w = Writer::from_writer(Vec::with_capacity(cells.saturating_mul(24)));
    row(&mut w, &header);
    let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
    for (i, r) in t.results.iter().enumerate() {
        let mut rec: Vec<String> = Vec::with_capacity(header.len());
        rec.push(i.to_string());
        let vals = r.as_array();
        for (j, (m, v)) in ResultMetric::ALL.iter().zip(vals).enumerate() {
            if j == V1_RESULTS {
                rec.push(year(r.cap_hit_year));
            }
            rec.push(match m {
                // The ledger total is whole cents: write it exactly.
                ResultMetric::RevenueShareTotal => cents_exact(r.revenue_share_total_cents),
                ResultMetric::CapHit | ResultMetric::Renewed | ResultMetric::Renegotiated => {
                    (v as u8).to_string()
                }
                _ => num(v),
            });
        }
        rec.push(year(r.renegotiation_year));
        rec.extend(t.draws_of(i).iter().map(|&v| num(v)));
        row(&mut w, &rec);
    }
    finish(w)
}

/// Whole cents as exact USD bn (`rust_decimal`, so no binary rounding can creep in).
pub fn cents_exact(cents: i64) -> String {
    let d = rust_decimal::Decimal::new(cents, 11).normalize();
    if d.is_zero() {
        return String::from("0");
    }
    debug_assert_eq!(
        format!("{d}").parse::<f64>().ok(),
        Some(cents as f64 / CENTS_PER_BN)
    );
    format!("{d}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_fixed_point() {
        assert_eq!(num(1e9), "1000000000");
        assert_eq!(num(1.5e-7), "0.00000015");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn cents_read_as_usd_bn() {
        // OUTPUTS.md: 19,123,456,789.00 USD reads 19.123456789.
        assert_eq!(cents_exact(1_912_345_678_900), "19.123456789");
        assert_eq!(cents_exact(0), "0");
        assert_eq!(cents_exact(1), "0.00000000001");
    }
}
