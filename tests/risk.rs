//! Issue 16: risk answers with error bars. Coverage of the percentile intervals and of the
//! Wilson intervals by simulation over many seeds (tolerances from the binomial standard
//! error of the coverage estimate), expected shortfall against a hand computation, row
//! order and byte-identical files on 1 and 2 threads, auto-stop. In-process and on small
//! path counts, so the suite stays cheap.

mod common;

use common::dealsim;

use common::{
    parse, run, sized, with, with_all, DET, MARKET_NOISE, MULTIPLE_NOISE, UNIFORM_CEILING,
};
use dealsim::compare::{self, Member};
use dealsim::engine::autostop::{self, SeTarget, StopReason};
use dealsim::engine::intervals::{binomial_cdf, quantile_ci_ranks, quantile_interval, wilson};
use dealsim::engine::risk::convergence_counts;
use dealsim::engine::rng::stream;
use dealsim::engine::stats::mean_std;
use dealsim::engine::{self, RunOptions};
use dealsim::report::{csv, risk_csv};
use dealsim::risk::{Statistic, Target};
use dealsim::summary::{ResultMetric, PERCENTILES};
use rand::RngExt;

fn noisy() -> String {
    with_all(
        DET,
        &[
            MARKET_NOISE[0],
            MARKET_NOISE[1],
            MULTIPLE_NOISE,
            UNIFORM_CEILING,
            // A cap hit on about half the paths, so P(cap hit) is a real probability.
            (
                "revenue_share",
                "cap",
                r#"{ dist = "triangular", low = 5.0, mode = 11.0, high = 20.0 }"#,
            ),
        ],
    )
}

/// Coverage `c` estimated from `trials` is within `k` binomial standard errors of `want`.
fn within(c: f64, want: f64, trials: usize, k: f64) -> bool {
    let se = (want * (1.0 - want) / trials as f64).sqrt();
    (c - want).abs() <= k * se
}

/// Exact coverage of the order-statistic interval for a continuous distribution:
/// `P(l ≤ B ≤ u − 1) = F(u − 1) − F(l − 1)`, B ~ Binomial(n, p) (ranks 1-based).
fn exact_coverage(n: usize, p: f64) -> f64 {
    let r = quantile_ci_ranks(n, p);
    // 0-based indices: l − 1 = lo and u − 1 = hi.
    let below_l = binomial_cdf(n, p, r.lo);
    let upto_u = if r.hi + 1 >= n {
        // u = n: X_(n) ≥ ξ fails only when all n values are below ξ, P = p^n.
        1.0 - p.powi(n as i32)
    } else {
        binomial_cdf(n, p, r.hi)
    };
    upto_u - below_l
}

#[test]
fn percentile_intervals_cover_the_true_quantile_of_a_known_distribution() {
    // Exponential(1) by inversion: the true p quantile is -ln(1 - p).
    let trials = 4000;
    let mut report = Vec::new();
    for n in [20usize, 100, 500] {
        for p in PERCENTILES {
            let truth = -(1.0 - p).ln();
            let mut hits = 0;
            for t in 0..trials {
                let mut r = stream(1000 + n as u64, 16, t as u64);
                let mut v: Vec<f64> = (0..n).map(|_| -(1.0 - r.random::<f64>()).ln()).collect();
                let (lo, hi) = quantile_interval(&mut v, p);
                hits += usize::from(lo <= truth && truth <= hi);
            }
            let c = hits as f64 / trials as f64;
            let want = exact_coverage(n, p);
            report.push(format!("n={n} p={p}: {c:.4} (exact {want:.4})"));
            // The simulation agrees with the exact coverage of the rank rule (an off-by-one
            // rank moves it by far more than 4 standard errors) ...
            assert!(within(c, want, trials, 4.0), "n={n} p={p}: {c} vs {want}");
            // ... which is at least 95 % wherever both sides have a rank (n·p large enough).
            let r = quantile_ci_ranks(n, p);
            if r.lo_exact && r.hi_exact {
                assert!(want >= 0.95, "n={n} p={p}: exact coverage {want}");
                assert!(
                    c >= 0.95 - 3.0 * (0.05 * 0.95 / trials as f64).sqrt(),
                    "{c}"
                );
            }
        }
    }
    eprintln!("percentile CI coverage:\n{}", report.join("\n"));
}

#[test]
fn summary_percentile_intervals_cover_a_large_runs_percentiles() {
    // The truth: percentiles of a run of 200,000 paths (their own error is ~30x smaller
    // than the intervals of 200 paths). Then 400 independent seeds of 200 paths each.
    let sc = parse(&noisy());
    let big = run(&sc, 200_000, 99, 0, false);
    let metrics = [ResultMetric::NpvTotal, ResultMetric::PvStake];
    let (n, seeds) = (200usize, 400usize);
    let mut hits = [[0usize; 5]; 2];
    for seed in 0..seeds as u64 {
        let o = run(&sc, n as u64, 10_000 + seed, 1, false);
        for (k, &m) in metrics.iter().enumerate() {
            let truth = big.summary.result(m).pct;
            for (i, ci) in o.risk.pct_ci(m).iter().enumerate() {
                hits[k][i] += usize::from(ci.contains(truth[i]));
            }
        }
    }
    let mut report = Vec::new();
    for (k, &m) in metrics.iter().enumerate() {
        for (i, p) in PERCENTILES.iter().enumerate() {
            let c = hits[k][i] as f64 / seeds as f64;
            let want = exact_coverage(n, *p);
            report.push(format!(
                "{} p{}: {c:.3} (exact {want:.3})",
                m.name(),
                p * 100.0
            ));
            assert!(want >= 0.95);
            // At least 95 % within 3 binomial SE, and not wildly conservative either.
            assert!(
                within(c, want, seeds, 3.5),
                "{} p={p}: {c} vs {want}",
                m.name()
            );
        }
    }
    eprintln!(
        "engine percentile CI coverage (200 paths, 400 seeds):\n{}",
        report.join("\n")
    );
}

#[test]
fn wilson_intervals_cover_by_simulation() {
    let trials = 4000;
    let mut report = Vec::new();
    for n in [50u64, 200, 1000] {
        for p in [0.02, 0.1, 0.5, 0.9] {
            // Exact coverage by enumeration of k.
            let exact: f64 = (0..=n)
                .filter(|&k| {
                    let (lo, hi) = wilson(k, n);
                    lo <= p && p <= hi
                })
                .map(|k| {
                    let f = |k: u64| {
                        if k == 0 {
                            0.0
                        } else {
                            binomial_cdf(n as usize, p, k as usize - 1)
                        }
                    };
                    f(k + 1) - f(k)
                })
                .sum();
            let mut hits = 0;
            for t in 0..trials {
                let mut r = stream(7 + n, 17, t as u64);
                let k = (0..n).filter(|_| r.random::<f64>() < p).count() as u64;
                let (lo, hi) = wilson(k, n);
                hits += usize::from(lo <= p && p <= hi);
            }
            let c = hits as f64 / trials as f64;
            report.push(format!("n={n} p={p}: {c:.4} (exact {exact:.4})"));
            assert!(within(c, exact, trials, 4.0), "n={n} p={p}: {c} vs {exact}");
            // Wilson is not conservative: its coverage oscillates around 95 % (Brown, Cai
            // & DasGupta 2001), a little below it at some (n, p).
            assert!((0.92..=0.99).contains(&exact), "n={n} p={p}: {exact}");
        }
    }
    eprintln!("Wilson coverage:\n{}", report.join("\n"));
}

#[test]
fn cap_hit_probability_interval_covers_a_large_runs_probability() {
    let sc = parse(&noisy());
    let truth = run(&sc, 200_000, 99, 0, false)
        .summary
        .result(ResultMetric::CapHit)
        .mean;
    assert!((0.1..0.9).contains(&truth), "{truth}");
    let seeds = 400;
    let mut hits = 0;
    for seed in 0..seeds {
        let o = run(&sc, 200, 20_000 + seed, 1, false);
        let r = o
            .risk
            .row(ResultMetric::CapHit, Statistic::ProbAbove, 0.5)
            .unwrap();
        assert_eq!(r.value, o.summary.result(ResultMetric::CapHit).mean);
        hits += usize::from(r.ci.contains(truth));
    }
    let c = hits as f64 / seeds as f64;
    eprintln!("engine Wilson coverage of P(cap hit) (200 paths, 400 seeds): {c:.3}");
    assert!(within(c, 0.95, seeds as usize, 3.0), "{c}");
}

#[test]
fn var_and_es_match_a_hand_computation_on_the_paths() {
    // 20 paths: sort npv_total by hand, type 7 at 1 - level, mean of those at or below.
    let sc = parse(&noisy());
    let o = run(&sc, 20, 3, 1, true);
    let mut v: Vec<f64> = o
        .paths
        .as_ref()
        .unwrap()
        .results
        .iter()
        .map(|r| r.npv_total)
        .collect();
    v.sort_by(f64::total_cmp);
    for (level, q) in [(0.9, 0.1), (0.95, 0.05), (0.99, 0.01)] {
        let h = 19.0 * q;
        let (lo, frac) = (h as usize, h - (h as usize) as f64);
        let var = v[lo] + frac * (v[lo + 1] - v[lo]);
        let tail: Vec<f64> = v.iter().copied().filter(|&x| x <= var).collect();
        let es = tail.iter().sum::<f64>() / tail.len() as f64;
        let rv = o
            .risk
            .row(ResultMetric::NpvTotal, Statistic::Var, level)
            .unwrap();
        let re = o
            .risk
            .row(ResultMetric::NpvTotal, Statistic::Es, level)
            .unwrap();
        assert!((rv.value - var).abs() <= 1e-12 * var.abs().max(1.0));
        assert!((re.value - es).abs() <= 1e-12 * es.abs().max(1.0));
        // 20 paths: too few for batches, so the ES interval is the range of the paths.
        assert_eq!((re.ci.low, re.ci.high), (v[0], v[19]));
    }
    // The written-out case: 10 values with a tie at VaR (see also engine::tail's tests).
    let mut w = vec![5.0, -1.0, 2.0, 2.0, 7.0, 2.0, 9.0, 4.0, 3.0, 8.0];
    // Sorted: -1 2 2 2 3 4 5 7 8 9. Type 7 at 0.1: h = 0.9, VaR = -1 + 0.9 × 3 = 1.7;
    // at or below: {-1}. At 0.3 (h = 2.7): VaR = 2, at or below: -1, 2, 2, 2 → ES = 5/4.
    let r = dealsim::engine::tail::var_es(&mut w);
    assert!((r[0].0 - 1.7).abs() < 1e-12 && r[0].1 == -1.0);
    assert_eq!(dealsim::engine::tail::shortfall(&w, 2.0), 1.25);
}

#[test]
fn risk_rows_order_units_and_consistency() {
    let sc = parse(&noisy());
    let t = Target::parse("npv_total>5").unwrap();
    let opts = RunOptions {
        threads: 2,
        keep_paths: false,
        progress: None,
        cancel: None,
    };
    let o = engine::run_with_targets(&sized(&sc, 5000, 11), &opts, &[t]).unwrap();
    let s = &o.summary;
    let text = String::from_utf8(risk_csv::risk_csv(&o.risk)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "metric,unit,statistic,level,value,ci_low,ci_high");
    let npv: Vec<ResultMetric> = ResultMetric::npv_metrics().collect();
    assert_eq!(lines.len(), 1 + npv.len() * 6 + 3);
    let mut i = 1;
    for m in &npv {
        for stat in ["var", "es"] {
            for level in ["0.9", "0.95", "0.99"] {
                let want = format!("{},usd_bn,{stat},{level},", m.name());
                assert!(lines[i].starts_with(&want), "{} vs {want}", lines[i]);
                i += 1;
            }
        }
        // VaR 0.95 is summary.csv's p5, with the same interval; VaR ≥ ES.
        let st = s.result(*m);
        let v95 = o.risk.row(*m, Statistic::Var, 0.95).unwrap();
        assert_eq!(v95.value, st.p5());
        assert_eq!(v95.ci, o.risk.pct_ci(*m)[0]);
        for level in [0.9, 0.95, 0.99] {
            let v = o.risk.row(*m, Statistic::Var, level).unwrap();
            let e = o.risk.row(*m, Statistic::Es, level).unwrap();
            assert!(e.value <= v.value && v.ci.contains(v.value) && e.ci.contains(e.value));
        }
    }
    assert!(lines[i].starts_with("npv_total,probability,prob_below,0,"));
    assert!(lines[i + 1].starts_with("cap_hit,probability,prob_above,0.5,"));
    assert!(lines[i + 2].starts_with("npv_total,probability,prob_above,5,"));
    // Every percentile lies in its interval; cap_hit's are 0 or 1 throughout.
    for m in ResultMetric::ALL {
        for (p, ci) in s.result(m).pct.iter().zip(o.risk.pct_ci(m)) {
            assert!(ci.low <= *p && *p <= ci.high, "{} {p} {ci:?}", m.name());
        }
    }
    let cap = s.result(ResultMetric::CapHit);
    for v in cap.pct.iter().chain(
        o.risk
            .pct_ci(ResultMetric::CapHit)
            .iter()
            .flat_map(|c| [&c.low, &c.high]),
    ) {
        assert!(*v == 0.0 || *v == 1.0, "{v}");
    }
    // Convergence: 1000, 2000, 4000, 5000; the last row is summary.csv's mean and SE.
    assert_eq!(convergence_counts(5000), [1000, 2000, 4000, 5000]);
    assert_eq!(convergence_counts(1000), [1000]);
    assert_eq!(convergence_counts(700), [700]);
    assert_eq!(convergence_counts(2000), [1000, 2000]);
    let conv = String::from_utf8(risk_csv::convergence_csv(&o.risk)).unwrap();
    let rows: Vec<&str> = conv.lines().collect();
    assert_eq!(rows[0], "paths,metric,unit,mean,std_error");
    assert_eq!(rows.len(), 1 + 4 * npv.len());
    assert!(rows[1].starts_with("1000,npv_total,usd_bn,"));
    for m in &npv {
        let last = o.risk.convergence_of(*m).last().copied().unwrap();
        assert_eq!(last.paths, 5000);
        assert_eq!(
            (last.mean, last.std_error),
            (s.result(*m).mean, s.result(*m).std_error)
        );
    }
    // The summary.csv interval columns.
    let sum = String::from_utf8(csv::summary_csv_with_intervals(s, &o.risk)).unwrap();
    assert!(sum.starts_with(
        "metric,unit,mean,std_dev,std_error,p5,p25,p50,p75,p95,min,max,p5_ci_low,p5_ci_high,\
         p25_ci_low,p25_ci_high,p50_ci_low,p50_ci_high,p75_ci_low,p75_ci_high,p95_ci_low,\
         p95_ci_high\n"
    ));
    for f in [&sum, &text, &conv] {
        for line in f.lines() {
            assert!(!line.contains(",,") && !line.ends_with(','), "{line}");
            assert!(!line.contains("e-") && !line.contains("e+") && !line.contains("NaN"));
        }
    }
}

#[test]
fn risk_files_are_byte_identical_on_1_and_2_threads() {
    let sc = parse(&noisy());
    let t = [Target::parse("pv_stake<100").unwrap()];
    let files = |threads: usize| {
        let opts = RunOptions {
            threads,
            keep_paths: false,
            progress: None,
            cancel: None,
        };
        let o = engine::run_with_targets(&sized(&sc, 9_000, 3), &opts, &t).unwrap();
        [
            csv::summary_csv_with_intervals(&o.summary, &o.risk),
            risk_csv::risk_csv(&o.risk),
            risk_csv::convergence_csv(&o.risk),
        ]
    };
    assert!(files(1) == files(2));
}

#[test]
fn auto_stop_finds_the_same_count_on_1_and_2_threads_and_it_is_the_first_batch_there() {
    let sc = parse(&noisy());
    let m = ResultMetric::NpvTotal;
    // The rule computed independently from a time-major run's paths: the first multiple
    // of the batch whose prefix SE is at most the target (aimed at the SE of 3,500 paths).
    let kept = run(&sc, 20_000, 8, 2, true);
    let col: Vec<f64> = kept
        .paths
        .unwrap()
        .results
        .iter()
        .map(|r| r.npv_total)
        .collect();
    let se_of = |k: usize| mean_std(&col[..k]).1 / (k as f64).sqrt();
    let target_se = se_of(3500);
    let expected = (1..=20)
        .map(|b| b * autostop::BATCH as usize)
        .find(|&k| se_of(k) <= target_se)
        .unwrap();
    let t = SeTarget {
        metric: m,
        max_std_error: target_se,
        max_paths: 20_000,
    };
    let one = autostop::find_paths(&sized(&sc, t.max_paths, 8), 1, &t, None, None).unwrap();
    let two = autostop::find_paths(&sized(&sc, t.max_paths, 8), 2, &t, None, None).unwrap();
    assert_eq!(one, two);
    assert_eq!(one.reason, StopReason::TargetReached);
    assert_eq!(one.paths as usize, expected);
    // A plain run with that count has exactly that SE.
    let at = run(&sc, one.paths, 8, 2, false).summary.result(m).std_error;
    assert_eq!(at, one.std_error);
    assert!(at <= target_se);
    // Out of paths: stops at max_paths, saying so.
    let short = SeTarget {
        max_paths: 1500,
        max_std_error: 1e-9,
        ..t
    };
    let s = autostop::find_paths(&sized(&sc, short.max_paths, 8), 2, &short, None, None).unwrap();
    assert_eq!((s.paths, s.reason), (1500, StopReason::MaxPaths));
}

#[test]
fn paired_deltas_have_intervals() {
    let a = parse(&noisy());
    let b = parse(&with(&noisy(), "revenue_share", "cap", "8.0"));
    let member = |sc: &dealsim::scenario::Scenario, id: &str| {
        let o = run(sc, 3000, 4, 2, true);
        Member {
            id: id.into(),
            summary: o.summary,
            paths: o.paths.unwrap(),
            changed: Vec::new(),
        }
    };
    let (ma, mb) = (member(&a, "a"), member(&b, "b"));
    let (d, _) = compare::deltas(&ma, &mb);
    for x in &d {
        for (p, ci) in x.pct.iter().zip(&x.pct_ci) {
            assert!(ci.low <= *p && *p <= ci.high, "{:?}", x);
        }
        assert!(x.prob_positive_ci.contains(x.prob_positive));
        if x.metric == ResultMetric::CapHit {
            for v in x
                .pct
                .iter()
                .chain(x.pct_ci.iter().flat_map(|c| [&c.low, &c.high]))
            {
                assert!([-1.0, 0.0, 1.0].contains(v), "{v}");
            }
        }
    }
    let c = compare::compare(vec![ma, mb]);
    let text = String::from_utf8(dealsim::report::compare_csv::compare_deltas_csv(&c)).unwrap();
    assert!(text.lines().next().unwrap().ends_with(
        "std_error_unpaired,p5_delta_ci_low,p5_delta_ci_high,p50_delta_ci_low,\
         p50_delta_ci_high,p95_delta_ci_low,p95_delta_ci_high,prob_positive_ci_low,\
         prob_positive_ci_high"
    ));
}

#[test]
fn es_batch_means_interval_coverage_on_a_normal_sample() {
    // Normal(0, 1): ES at tail probability q is -φ(z_q)/q. 2,000 values, 600 trials.
    use dealsim::engine::tail::{es_half_widths, var_es, TAIL_PROBS};
    use dealsim::model::dist::norm_inv;
    let phi = |z: f64| (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let truth = TAIL_PROBS.map(|q| -phi(norm_inv(q)) / q);
    let (n, trials) = (2000, 600);
    let mut hits = [0usize; 3];
    for t in 0..trials {
        let mut r = stream(5, 18, t as u64);
        let mut v: Vec<f64> = (0..n).map(|_| norm_inv(r.random::<f64>())).collect();
        let h = es_half_widths(&v).unwrap();
        let ve = var_es(&mut v);
        for i in 0..3 {
            hits[i] += usize::from((ve[i].1 - truth[i]).abs() <= h[i]);
        }
    }
    let c = hits.map(|h| h as f64 / trials as f64);
    eprintln!("ES batch-means coverage (n = 2000, levels 0.9/0.95/0.99): {c:?}");
    // Batch means is approximate (each batch's ES has its own small-sample bias): the
    // levels 0.9 and 0.95 (10 and 5 tail paths a batch) must be near 95 %.
    for ci in &c[..2] {
        assert!(
            *ci >= 0.95 - 4.0 * (0.05f64 * 0.95 / trials as f64).sqrt(),
            "{c:?}"
        );
    }
}

#[test]
fn cli_auto_stop_equals_a_plain_run_byte_for_byte_on_1_and_2_threads() {
    let dir = common::folder_with("n.toml", &noisy());
    let base = ["run", "n.toml", "-q", "--charts", "none", "--no-report"];
    let auto = |threads: &str, out: &str| {
        let mut a = base.to_vec();
        a.extend([
            "--target-se",
            "npv_total=8",
            "--max-paths",
            "50000",
            "--threads",
            threads,
            "--out",
            out,
            "--target",
            "npv_total>20",
        ]);
        let o = dealsim(&a, dir.path());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(out).join("run.json")).unwrap())
                .unwrap();
        assert_eq!(m["stopping"]["reason"], "target_se_reached");
        assert_eq!(m["stopping"]["target_se"]["metric"], "npv_total");
        assert!(m["stopping"]["target_se"]["std_error"].as_f64().unwrap() <= 8.0);
        m["paths"].as_u64().unwrap()
    };
    let (p1, p2) = (auto("1", "a1"), auto("2", "a2"));
    assert_eq!(p1, p2);
    assert!(p1 > 1000 && p1 < 50_000 && p1 % 1000 == 0, "{p1}");
    let paths = p1.to_string();
    let mut a = base.to_vec();
    a.extend([
        "--paths",
        &paths,
        "--out",
        "plain",
        "--target",
        "npv_total>20",
    ]);
    assert!(dealsim(&a, dir.path()).status.success());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("plain/run.json")).unwrap()).unwrap();
    assert_eq!(m["stopping"]["reason"], "fixed_paths");
    for f in [
        "summary.csv",
        "timeseries.csv",
        "cashflows.csv",
        "cap_hits.csv",
        "risk.csv",
        "convergence.csv",
    ] {
        let plain = std::fs::read(dir.path().join("plain").join(f)).unwrap();
        for out in ["a1", "a2"] {
            assert!(
                std::fs::read(dir.path().join(out).join(f)).unwrap() == plain,
                "{out}/{f} differs from the plain run"
            );
        }
    }
}

#[test]
fn cli_rejects_bad_targets_naming_the_flag() {
    let dir = common::folder_with("d.toml", DET);
    for (args, needle) in [
        (
            vec!["--target", "npv>5"],
            "--target 'npv>5': unknown metric 'npv'",
        ),
        (vec!["--target", "npv_total=5"], "--target 'npv_total=5'"),
        (vec!["--target", "npv_total>abc"], "not a finite number"),
        (
            vec!["--target-se", "npv_total=0"],
            "--target-se 'npv_total=0'",
        ),
        (vec!["--target-se", "npv_total"], "expected METRIC=X"),
    ] {
        let mut a = vec!["run", "d.toml", "-q", "--charts", "none", "--paths", "10"];
        if args[0] == "--target-se" {
            a.pop();
            a.pop();
        }
        a.extend(args.iter().copied());
        let o = dealsim(&a, dir.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains(needle), "{a:?}: {err}");
        assert!(!dir.path().join("output").exists(), "nothing written");
    }
}
