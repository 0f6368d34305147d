//! Channel attribution (`run --attribute channel`): what the rival channel adds and
//! takes, path by path. Every path is run again with the channel off on the same random
//! numbers, so each component's difference is paired (MODEL.md, attribution). Pure
//! computation over engine output; the run is orchestrated in `app::attribution`, the
//! file in `report::attribution_csv`, the waterfall in `report::charts::sensitivity`.

use crate::engine::stats::{mean_std, quantiles};
use crate::engine::PathTable;
use crate::summary::ResultMetric;

/// Paired difference of one component, channel on minus channel off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributionRow {
    pub component: ResultMetric,
    pub mean_with: f64,
    pub mean_without: f64,
    pub mean_delta: f64,
    pub std_error_delta: f64,
    pub p5_delta: f64,
    pub p95_delta: f64,
}

/// The components of the channel attribution, in waterfall order, then the total.
pub const ATTRIBUTION: [ResultMetric; 6] = [
    ResultMetric::NpvRevenueShare,
    ResultMetric::NpvCloudModels,
    ResultMetric::NpvReverseShare,
    ResultMetric::NpvCompute,
    ResultMetric::PvStake,
    ResultMetric::NpvTotal,
];

/// Path-by-path attribution of `with` against `without` (same seed and paths).
pub fn attribution(with: &PathTable, without: &PathTable) -> Vec<AttributionRow> {
    let column = |t: &PathTable, m: ResultMetric| -> Vec<f64> {
        t.results.iter().map(|r| r.as_array()[m.index()]).collect()
    };
    ATTRIBUTION
        .iter()
        .map(|&m| paired(m, &column(with, m), &column(without, m)))
        .collect()
}

/// One component's row from its per-path values with (`a`) and without (`b`) the channel.
fn paired(component: ResultMetric, a: &[f64], b: &[f64]) -> AttributionRow {
    let mut d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (mean_delta, sd) = mean_std(&d);
    let q = quantiles(&mut d, &[0.05, 0.95]);
    AttributionRow {
        component,
        mean_with: mean_std(a).0,
        mean_without: mean_std(b).0,
        mean_delta,
        std_error_delta: sd / (a.len() as f64).sqrt(),
        p5_delta: q[0],
        p95_delta: q[1],
    }
}

/// The waterfall's steps: each component but the total, named without `npv_` and with
/// spaces (`revenue share`), with its mean change.
pub fn waterfall_steps(rows: &[AttributionRow]) -> Vec<(String, f64)> {
    rows.iter()
        .filter(|r| r.component != ResultMetric::NpvTotal)
        .map(|r| {
            let name = r
                .component
                .name()
                .trim_start_matches("npv_")
                .replace('_', " ");
            (name, r.mean_delta)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_row_by_hand() {
        // d = 2, 4, 6, 8: mean 5, sample sd sqrt(20/3), se sd/2; type-7 quantiles at
        // h = 3p: p5 = 2 + 0.15 * 2 = 2.3, p95 = 6 + 0.85 * 2 = 7.7.
        let r = paired(
            ResultMetric::NpvTotal,
            &[3.0, 5.0, 7.0, 9.0],
            &[1.0, 1.0, 1.0, 1.0],
        );
        assert_eq!((r.mean_with, r.mean_without, r.mean_delta), (6.0, 1.0, 5.0));
        assert!((r.std_error_delta - (20.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12);
        assert!((r.p5_delta - 2.3).abs() < 1e-12, "{}", r.p5_delta);
        assert!((r.p95_delta - 7.7).abs() < 1e-12, "{}", r.p95_delta);
    }

    #[test]
    fn steps_leave_out_the_total_and_read_as_words() {
        let rows: Vec<AttributionRow> = ATTRIBUTION
            .iter()
            .enumerate()
            .map(|(i, &m)| paired(m, &[i as f64], &[0.0]))
            .collect();
        let steps = waterfall_steps(&rows);
        assert_eq!(steps.len(), ATTRIBUTION.len() - 1);
        assert_eq!(steps[0], ("revenue share".to_string(), 0.0));
        assert_eq!(steps[4], ("pv stake".to_string(), 4.0));
    }
}
