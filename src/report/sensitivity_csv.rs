//! The sensitivity CSV files as bytes.

use csv::Writer;

use super::csv::{finish, num, row};
use crate::escape::csv_text;
use crate::sensitivity::{RankRow, Swing, VarianceRow, YearRow, TARGETS};

/// sensitivity.csv: `input,target,spearman,ci95_low,ci95_high,rank` (rank 1 = largest |rho|
/// for that target).
pub fn rank_csv(rows: &[RankRow]) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "input",
            "target",
            "spearman",
            "ci95_low",
            "ci95_high",
            "rank",
        ],
    );
    let mut rank = 0;
    let mut last = None;
    for r in rows {
        if last != Some(r.target) {
            rank = 0;
            last = Some(r.target);
        }
        rank += 1;
        row(
            &mut w,
            [
                csv_text(&r.input).into_owned(),
                r.target.name().into(),
                num(r.corr.rho),
                num(r.corr.lo),
                num(r.corr.hi),
                rank.to_string(),
            ],
        );
    }
    finish(w)
}

/// sensitivity_by_year.csv: `input,year,spearman,ci95_low,ci95_high` (empty where the
/// year's cash flow has no spread).
pub fn by_year_csv(rows: &[YearRow]) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        ["input", "year", "spearman", "ci95_low", "ci95_high"],
    );
    for r in rows {
        let (a, b, c) = match r.corr {
            Some(c) => (num(c.rho), num(c.lo), num(c.hi)),
            None => (String::new(), String::new(), String::new()),
        };
        row(
            &mut w,
            [csv_text(&r.input).into_owned(), r.year.to_string(), a, b, c],
        );
    }
    finish(w)
}

/// sensitivity_oat.csv: one row per input and result:
/// `input,kind,low_value,high_value,target,base_mean,mean_low,mean_high,swing_low,swing_high`.
pub fn oat_csv(swings: &[Swing], base: &[f64; 6]) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "input",
            "kind",
            "low_value",
            "high_value",
            "target",
            "base_mean",
            "mean_low",
            "mean_high",
            "swing_low",
            "swing_high",
        ],
    );
    for s in swings {
        for (k, t) in TARGETS.iter().enumerate() {
            row(
                &mut w,
                [
                    csv_text(&s.input).into_owned(),
                    s.kind.into(),
                    num(s.low_value),
                    num(s.high_value),
                    t.name().into(),
                    num(base[k]),
                    num(s.mean_low[k]),
                    num(s.mean_high[k]),
                    num(s.mean_low[k] - base[k]),
                    num(s.mean_high[k] - base[k]),
                ],
            );
        }
    }
    finish(w)
}

/// sensitivity_variance.csv: `source,kind,frozen_at,std_dev_npv_total,variance_share,rank`,
/// largest share first, the remainder (`kind` = rest) last.
pub fn variance_csv(rows: &[VarianceRow]) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        [
            "source",
            "kind",
            "frozen_at",
            "std_dev_npv_total",
            "variance_share",
            "rank",
        ],
    );
    for (i, r) in rows.iter().enumerate() {
        row(
            &mut w,
            [
                csv_text(&r.source).into_owned(),
                r.kind.into(),
                csv_text(&r.frozen_at).into_owned(),
                num(r.std_dev),
                num(r.share),
                (i + 1).to_string(),
            ],
        );
    }
    finish(w)
}
