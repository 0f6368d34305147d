//! The last line against numbers the model cannot carry: every per-period value, period
//! aggregate and per-path result is checked before it is summarised, and the first one
//! out of bounds stops the run (exit 1) with a message naming the metric, the period, the
//! path and the inputs that drive it. Validation refuses the inputs it can judge alone
//! (volatilities, lognormal sigmas); this catches the combinations it cannot, such as a
//! high growth over a long horizon, whose exponentials overflow or whose sums lose all
//! meaning. Nothing here runs inside the per-step loop: periods are checked from the
//! chunk accumulators' minima and maxima, and buffers are scanned only to name the path.

use crate::model::{stream_key, Period};
use crate::scenario::table::{self, InputId};
use crate::scenario::{Input, Scenario};
use crate::summary::{PeriodSummary, ResultMetric, SeriesMetric};

use super::rng;

/// The largest magnitude of a reported money value, USD bn. 1e15 USD bn is about 1e10
/// times world output: a model past it has left any meaningful range, and its fixed-point
/// CSV cells would carry more integer digits than a spreadsheet keeps (15 significant).
pub const CARRY_MAX: f64 = 1e15;

/// The revenue-share ledger keeps cents in an i64 (at most 9.22e18 cents = 9.22e7 USD bn),
/// so its values must stay below this, USD bn; past it a due amount would saturate.
pub const LEDGER_MAX: f64 = 9e7;

/// Whether `v` is finite and within `limit` (NaN is not).
#[inline]
pub fn carried(v: f64, limit: f64) -> bool {
    v.abs() <= limit
}

/// The first index of `values` not carried within `limit`.
pub fn first_uncarried(values: &[f64], limit: f64) -> Option<usize> {
    values.iter().position(|&v| !carried(v, limit))
}

/// The bound on one timeseries metric.
pub fn series_limit(m: SeriesMetric) -> f64 {
    match m {
        SeriesMetric::RevenueShare | SeriesMetric::RevenueShareCumulative => LEDGER_MAX,
        _ => CARRY_MAX,
    }
}

/// The bound on one per-path result.
pub fn result_limit(m: ResultMetric) -> f64 {
    match m {
        ResultMetric::RevenueShareTotal => LEDGER_MAX,
        _ => CARRY_MAX,
    }
}

/// The period means that have no per-path buffer (cashflows.csv columns): the first not
/// carried, with its value.
pub fn uncarried_period_mean(p: &PeriodSummary) -> Option<(&'static str, f64)> {
    [
        ("revenue_share", p.revenue_share),
        ("cloud_model_margin", p.cloud_model_margin),
        ("reverse_share", p.reverse_share),
        ("compute_margin", p.compute_margin),
        ("discount_factor", p.discount_factor),
        ("pv_investor_cash_flow", p.pv_investor_cash_flow),
    ]
    .into_iter()
    .find(|&(_, v)| !carried(v, CARRY_MAX))
}

/// The company inputs behind revenue, hence behind every metric.
const REVENUE: [InputId; 6] = [
    InputId::CompanyRevenue0,
    InputId::CompanyGrowth0,
    InputId::CompanyGrowthLong,
    InputId::CompanyGrowthHalfLife,
    InputId::CompanyGrowthVol,
    InputId::CompanyRevenueVol,
];

/// The company inputs behind the valuation.
const MULTIPLE: [InputId; 4] = [
    InputId::CompanyValuation0,
    InputId::CompanyMultipleLong,
    InputId::CompanyMultipleHalfLife,
    InputId::CompanyMultipleVol,
];

/// The inputs a metric depends on, for the message: the model-specific part, which no
/// table can say. A section is named by its inputs' rows, so an input added to the table
/// in `channel`, `stake`, `revenue_share`, `cloud` or `discount` is listed without an
/// edit here.
fn drivers(metric: &str) -> Vec<InputId> {
    let all = |s: &str| table::section(s).map(|d| d.id).collect::<Vec<_>>();
    if metric == "discount_factor" {
        return all("discount");
    }
    let has = |words: &[&str]| metric == "npv_total" || words.iter().any(|w| metric.contains(w));
    let mut d: Vec<InputId> = REVENUE.to_vec();
    d.extend(all("channel"));
    if has(&["valuation", "stake"]) {
        d.extend(MULTIPLE);
    }
    if has(&["stake"]) {
        d.extend(all("stake"));
    }
    if has(&["revenue_share", "cash_flow"]) {
        d.extend(all("revenue_share"));
    }
    if has(&["cloud", "compute", "reverse", "margin", "cash_flow"]) {
        d.extend(all("cloud"));
    }
    if metric.starts_with("npv") || metric.starts_with("pv") || metric == "stake_gain" {
        d.extend(all("discount"));
    }
    d
}

/// Whether the scalar input `key` (from [`Scenario::inputs`]) is among `ids`. A key
/// outside the table (a round's `stake.rounds[i].amount`) goes with its section.
fn drives(ids: &[InputId], key: &str) -> bool {
    match table::find(key) {
        Some(d) => ids.contains(&d.id),
        None => {
            let section = key.split_once('.').map_or(key, |(s, _)| s);
            ids.iter().any(|id| id.def().section() == section)
        }
    }
}

/// A number for the message: exponent form when huge or tiny, so 1e300 is short.
fn show(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-6..1e9).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// The message of a run stopped because `metric` left its bound: where (period or end of
/// horizon, path), the value, and the inputs behind it with this path's draws.
pub fn not_carried(
    sc: &Scenario,
    seed: u64,
    metric: &str,
    period: Option<&Period>,
    path: Option<usize>,
    value: f64,
    limit: f64,
) -> String {
    let when = match period {
        Some(p) => format!("in the period ending {}", p.period_end),
        None => "at the end of the horizon".to_string(),
    };
    let on = path.map(|i| format!(" on path {i}")).unwrap_or_default();
    let why = if limit == LEDGER_MAX {
        "beyond what the revenue-share ledger holds in whole cents (9e7 USD bn)".to_string()
    } else {
        format!(
            "beyond what dealsim reports (finite, |value| <= {})",
            show(limit)
        )
    };
    let mut msg = format!(
        "the model cannot carry this scenario: {metric} is {} {when}{on}, {why}; nothing was written.\n  inputs that drive it:",
        show(value)
    );
    let ids = drivers(metric);
    for (key, input) in sc.inputs() {
        if !drives(&ids, &key) {
            continue;
        }
        let text = match input {
            Input::Const(v) => show(v),
            Input::Dist(d) => {
                let dist = crate::report::html::dist_text(&d);
                match path {
                    Some(i) => {
                        // The path's own draw: its parameters drawn again through the one
                        // drawing function (an error message, off the hot path).
                        let (mut v, wanted) = (f64::NAN, stream_key(&key));
                        let model = crate::model::Model::new(sc);
                        rng::path_params_reporting(sc, &model, seed, i as u64, |k, x| {
                            if k == wanted {
                                v = x;
                            }
                        });
                        format!("{dist}, drawn {} on this path", show(v))
                    }
                    None => dist,
                }
            }
        };
        msg.push_str(&format!("\n    {key} = {text}"));
    }
    msg.push_str(
        "\n  lower the volatilities or growth rates, or shorten the horizon (docs/model.md §7, \"Numbers the model carries\")",
    );
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_infinities_are_not_carried() {
        assert!(carried(CARRY_MAX, CARRY_MAX) && carried(-CARRY_MAX, CARRY_MAX));
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.01 * CARRY_MAX] {
            assert!(!carried(v, CARRY_MAX), "{v}");
        }
        assert_eq!(
            first_uncarried(&[1.0, -2.0, f64::NAN, 1e300], 10.0),
            Some(2)
        );
        assert_eq!(first_uncarried(&[1.0, -2.0], 10.0), None);
    }

    #[test]
    fn every_metric_names_some_driving_input() {
        let names = SeriesMetric::ALL
            .iter()
            .map(|m| m.name())
            .chain(ResultMetric::ALL.iter().map(|m| m.name()))
            .chain(["discount_factor", "pv_investor_cash_flow", "compute_margin"]);
        for n in names {
            assert!(!drivers(n).is_empty(), "{n}");
        }
        assert!(drivers("company_revenue").contains(&InputId::CompanyGrowthVol));
        assert!(drivers("company_valuation").contains(&InputId::CompanyMultipleVol));
        assert_eq!(
            drivers("discount_factor"),
            [InputId::DiscountRate, InputId::DiscountEquityRate]
        );
        // A round's inputs go with `stake`, and only where the stake drives the metric.
        assert!(drives(&drivers("stake_value"), "stake.rounds[1].amount"));
        assert!(!drives(&drivers("revenue_share"), "stake.rounds[1].amount"));
    }
}
