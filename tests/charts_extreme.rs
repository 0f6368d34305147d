//! Charts never hang or panic on finite data (issue 13, item 4): every chart family (fan,
//! histogram, CDF, components, cap timing, annual; the compare overlays; the sensitivity
//! tornados, heat map and waterfall) is drawn, PNG and SVG, from extreme (±1e300 spreads,
//! ±f64::MAX), degenerate (all values equal, all zero, one path, one period) and
//! huge-range data (1e-300 next to 1e300, 1e300 with a 1e-15 relative spread).
//!
//! Each drawing runs in its own thread and must finish within `LIMIT`: a hang check, not
//! a benchmark (the ordinary charts of a run take well under a second).

use std::sync::mpsc;
use std::time::Duration;

use dealsim::compare::{Comparison, Delta, Member};
use dealsim::date::Date;
use dealsim::engine::PathTable;
use dealsim::report::charts::overlay::render_compare_charts;
use dealsim::report::charts::sensitivity::{render_waterfall, Bar, SensitivityCharts};
use dealsim::report::charts::{render_run_charts, save, ChartFormat};
use dealsim::risk::Interval;
use dealsim::scenario::Meta;
use dealsim::summary::{
    Band, CapHitYear, Distribution, PeriodSummary, ResultMetric, RunSummary, Stats,
};

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `f` in a thread; fails if it panics, errs or is not done within `LIMIT`.
fn bounded(what: &str, f: impl FnOnce() -> anyhow::Result<()> + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = f().map_err(|e| format!("{e:#}"));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{what}: drawing failed: {e}"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: not done in {LIMIT:?} (hang)"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: drawing panicked"),
    }
}

/// A data set: `value(i)` gives the i-th number of the set (cycled through for every
/// mean, percentile, flow and statistic); `paths` and `years` shape the run.
#[derive(Clone, Copy)]
struct Case {
    name: &'static str,
    values: &'static [f64],
    paths: u64,
    years: i32,
}

impl Case {
    fn v(&self, i: usize) -> f64 {
        self.values[i % self.values.len()]
    }

    /// Five percentiles from the set, sorted (as the engine writes them).
    fn pct(&self, i: usize) -> [f64; 5] {
        let mut p: [f64; 5] = std::array::from_fn(|j| self.v(i + j));
        p.sort_by(f64::total_cmp);
        p
    }

    fn summary(&self) -> RunSummary {
        let (y0, y1) = (2026, 2026 + self.years - 1);
        let mut periods = Vec::new();
        for k in 0..(self.years as u32 * 4) {
            let i = k as usize;
            periods.push(PeriodSummary {
                period_end: Date::month_end(2026, 3 * k + 2),
                year: 2026 + (k / 4) as i32,
                t: 2026.0 + f64::from(k + 1) / 4.0,
                bands: std::array::from_fn(|m| Band {
                    mean: self.v(i + m),
                    pct: self.pct(i + 3 * m),
                }),
                revenue_share: self.v(i + 1),
                cloud_model_margin: self.v(i + 2),
                reverse_share: -self.v(i + 3).abs(),
                compute_margin: self.v(i + 4),
                discount_factor: 1.0,
                pv_investor_cash_flow: self.v(i + 5),
                licence_value: self.v(i + 6),
            });
        }
        let cap_hits = (y0..=y1)
            .map(|year| CapHitYear {
                year,
                probability: if year == y0 { 1.0 } else { 0.0 },
                cumulative_probability: 1.0,
            })
            .collect();
        let stats = |i: usize| {
            let pct = self.pct(i);
            Stats {
                mean: self.v(i),
                std_dev: self.v(i + 1).abs(),
                std_error: self.v(i + 2).abs(),
                pct,
                min: pct[0],
                max: pct[4],
            }
        };
        // The engine's shapes: 201 quantiles, 61 edges from p0.5 to p99.5.
        let q: Vec<f64> = {
            let mut q: Vec<f64> = (0..=200).map(|i| self.v(i)).collect();
            q.sort_by(f64::total_cmp);
            q
        };
        let (lo, hi) = (q[1], q[199]);
        let edges: Vec<f64> = (0..=60)
            .map(|i| {
                if i == 60 {
                    hi
                } else {
                    lo + (hi / 60.0 - lo / 60.0) * i as f64
                }
            })
            .collect();
        let mut counts = vec![0u64; 60];
        counts[0] = self.paths;
        RunSummary {
            meta: Meta {
                name: format!("Extreme {}", self.name),
                investor: "Investor".into(),
                company: "Company".into(),
                channel: "Channel".into(),
                cloud: "Cloud".into(),
                description: String::new(),
                overrides: Vec::new(),
            },
            paths: self.paths,
            seed: 1,
            start_year: y0,
            end_year: y1,
            steps_per_year: 4,
            revenue_share_end_year: y1,
            cap: Some(self.v(0).abs()),
            results: std::array::from_fn(stats),
            periods,
            cap_hits,
            renegotiation_by_year: (0..self.years).map(|i| self.v(i as usize).abs()).collect(),
            median_cap_hit_year: Some(y0),
            npv_total_dist: Distribution {
                quantiles: (0..=200).map(|i| (i as f64 / 200.0, q[i])).collect(),
                edges,
                counts,
                below: 0,
                above: 0,
            },
        }
    }

    fn comparison(&self) -> Comparison {
        let member = |id: &str| Member {
            id: id.into(),
            summary: self.summary(),
            paths: PathTable::default(),
            changed: vec![("company.growth_vol".into(), "0.1".into(), "0.2".into())],
        };
        let deltas = ResultMetric::ALL
            .iter()
            .enumerate()
            .map(|(i, &metric)| {
                let p = self.pct(i);
                Delta {
                    metric,
                    mean: self.v(i),
                    std_error: self.v(i + 1).abs(),
                    pct: [p[0], p[2], p[4]],
                    pct_ci: [
                        Interval {
                            low: p[0],
                            high: p[1],
                        },
                        Interval {
                            low: p[1],
                            high: p[3],
                        },
                        Interval {
                            low: p[3],
                            high: p[4],
                        },
                    ],
                    prob_positive: 0.5,
                    prob_positive_ci: Interval {
                        low: 0.4,
                        high: 0.6,
                    },
                    std_error_unpaired: self.v(i + 2).abs(),
                }
            })
            .collect();
        let mut q: Vec<f64> = (0..=200).map(|i| self.v(i + 7)).collect();
        q.sort_by(f64::total_cmp);
        Comparison {
            members: vec![member("a"), member("b")],
            deltas: vec![deltas],
            npv_delta_quantiles: vec![(0..=200).map(|i| (i as f64 / 200.0, q[i])).collect()],
        }
    }

    fn sensitivity(&self) -> SensitivityCharts {
        let bar = |i: usize| {
            let mut b = Bar::new(
                format!("input {i}"),
                self.v(i),
                self.v(i + 1),
                dealsim::report::charts::palette::BLUE,
            );
            // Extreme whiskers and end labels too.
            b.ci = Some((self.v(i + 2), self.v(i + 3)));
            b.ends = (
                format!("low {}", self.v(i)),
                format!("high {}", self.v(i + 1)),
            );
            b
        };
        let years: Vec<i32> = (2026..2026 + self.years).collect();
        let inputs: Vec<String> = (0..3).map(|i| format!("input {i}")).collect();
        let cells = (0..inputs.len() * years.len())
            .map(|i| (i % 4 != 0).then(|| self.v(i)))
            .collect();
        SensitivityCharts {
            name: self.name.into(),
            note: format!("{} paths", self.paths),
            variance_bars: (0..3).map(bar).collect(),
            rank_bars: (0..3).map(bar).collect(),
            swing_bars: (0..3).map(bar).collect(),
            inputs,
            years,
            cells,
        }
    }
}

const CASES: [Case; 9] = [
    Case {
        name: "pm1e300",
        values: &[-1e300, 1e300, 0.0, 5.0, -3e299, 1e300],
        paths: 10_000,
        years: 10,
    },
    Case {
        name: "f64max",
        values: &[f64::MAX, -f64::MAX, 1.0, f64::MAX / 3.0],
        paths: 10_000,
        years: 10,
    },
    Case {
        name: "all_equal",
        values: &[38.0],
        paths: 10_000,
        years: 10,
    },
    Case {
        name: "all_zero",
        values: &[0.0],
        paths: 10_000,
        years: 10,
    },
    Case {
        name: "one_path",
        values: &[12.5],
        paths: 1,
        years: 10,
    },
    Case {
        name: "one_period",
        values: &[-2.0, 3.0, 7.0],
        paths: 10,
        years: 1,
    },
    Case {
        name: "huge_range",
        values: &[1e-300, 1e300, -1e-300, 2.0, 1e150],
        paths: 10_000,
        years: 10,
    },
    Case {
        name: "tiny_relative_spread",
        values: &[1e300, 1.000_000_000_000_001e300, 1.000_000_000_000_002e300],
        paths: 10_000,
        years: 10,
    },
    Case {
        name: "subnormal",
        values: &[5e-324, -5e-324, 0.0, 1e-310],
        paths: 10_000,
        years: 10,
    },
];

#[test]
fn run_charts_draw_in_bounded_time_on_extreme_data() {
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        bounded(&format!("run charts, {}", case.name), move || {
            let files = save(
                &render_run_charts(&case.summary(), ChartFormat::Both)?,
                &path,
            )?;
            assert_eq!(files.len(), 20, "10 charts x PNG + SVG");
            Ok(())
        });
    }
}

#[test]
fn compare_overlays_draw_in_bounded_time_on_extreme_data() {
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        bounded(&format!("compare overlays, {}", case.name), move || {
            let files = save(
                &render_compare_charts(&case.comparison(), ChartFormat::Both)?,
                &path,
            )?;
            assert!(!files.is_empty());
            Ok(())
        });
    }
}

#[test]
fn sensitivity_charts_draw_in_bounded_time_on_extreme_data() {
    for case in CASES {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        bounded(&format!("sensitivity charts, {}", case.name), move || {
            let files = save(&case.sensitivity().render(ChartFormat::Both)?, &path)?;
            assert_eq!(
                files.len(),
                8,
                "variance, tornados and heat map x PNG + SVG"
            );
            let steps = [("a".to_string(), case.v(1)), ("b".to_string(), case.v(2))];
            let waterfall = render_waterfall(
                ChartFormat::Both,
                "waterfall",
                ("start".into(), case.v(0)),
                &steps,
                ("end".into(), case.v(3)),
            )?;
            save(&waterfall, &path)?;
            assert!(path.join("attribution_waterfall.png").exists());
            Ok(())
        });
    }
}
