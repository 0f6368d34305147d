//! `input_correlation.csv` (docs/output-contract.md, v2): one row per
//! `[[input_correlation]]` pair, in file order.

use csv::Writer;

use super::csv::{finish, num, row};
use crate::engine::input_corr::PairRank;

/// `input_a,input_b,target_rank,achieved_rank`.
pub fn input_correlation_csv(pairs: &[PairRank]) -> Vec<u8> {
    let mut w = Writer::from_writer(Vec::new());
    row(
        &mut w,
        ["input_a", "input_b", "target_rank", "achieved_rank"],
    );
    for p in pairs {
        row(
            &mut w,
            [
                p.input_a.clone(),
                p.input_b.clone(),
                num(p.target),
                num(p.achieved),
            ],
        );
    }
    finish(w)
}
