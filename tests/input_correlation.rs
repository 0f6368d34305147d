//! `[[input_correlation]]` (issue 17): achieved rank correlations at their targets, every
//! marginal exactly as specified (Kolmogorov–Smirnov against the specified CDF),
//! uncorrelated inputs and other runs untouched, path- and thread-invariance, and the
//! validation problems.

mod common;

use common::{parse, run, DET};
use dealsim::engine::input_corr::achieved_ranks;
use dealsim::engine::PathTable;
use dealsim::model::dist::cdf;
use dealsim::scenario;

/// DET with six uncertain inputs, one of each distribution, and `pairs` appended.
fn scenario_text(pairs: &str) -> String {
    let text = common::with_triangular_lognormal_pert(DET)
        .replace(
            "rate = 0.1\n",
            "rate = { dist = \"normal\", mean = 0.1, sd = 0.02, min = 0.05 }\n",
        )
        .replace(
            "initial = 0.27",
            r#"initial = { dist = "uniform", low = 0.2, high = 0.3 }"#,
        )
        .replace(
            "incremental = 0.4",
            r#"incremental = { dist = "uniform", low = 0.2, high = 0.5 }"#,
        );
    format!("{text}\n{pairs}")
}

const PAIRS: &str = r#"
[[input_correlation]]
inputs = ["channel.ceiling", "cloud.model_revenue0"]
rank = 0.6
[[input_correlation]]
inputs = ["stake.initial", "channel.ceiling"]
rank = -0.3
[[input_correlation]]
inputs = ["company.growth0", "discount.rate"]
rank = 0.7
[[input_correlation]]
inputs = ["cloud.model_revenue0", "discount.rate"]
rank = -0.4
"#;

/// Ranks 1..n (the draws are continuous: ties have probability ~0; averaged anyway).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rho: the Pearson correlation of the ranks.
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let m = (n + 1.0) / 2.0;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        sab += (x - m) * (y - m);
        saa += (x - m) * (x - m);
        sbb += (y - m) * (y - m);
    }
    sab / (saa * sbb).sqrt()
}

fn column(t: &PathTable, name: &str) -> Vec<f64> {
    let j = t
        .draw_names
        .iter()
        .position(|k| k == name)
        .unwrap_or_else(|| panic!("{name} not drawn"));
    (0..t.results.len()).map(|i| t.draws_of(i)[j]).collect()
}

/// Kolmogorov–Smirnov statistic of `x` against the continuous CDF `f`.
fn ks(x: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len() as f64;
    s.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = f(v);
            (c - i as f64 / n).max((i + 1) as f64 / n - c)
        })
        .fold(0.0, f64::max)
}

/// One run of 100k paths keeps the drawn inputs: each pair's Spearman rho within ±0.02
/// of its target (the sampling sd of rho is below (1 - rho^2)/sqrt(n) ~ 0.003 here), and
/// input_correlation.csv's achieved value is exactly that rho of the run's draws. Every
/// marginal (correlated or not) passes KS against its specified CDF at alpha = 0.001
/// (critical value 1.949/sqrt(n)).
#[test]
fn achieved_ranks_hit_their_targets_and_marginals_are_exact() {
    let sc = parse(&scenario_text(PAIRS));
    let n = 100_000u64;
    let out = run(&sc, n, 17, 2, true);
    let t = out.paths.expect("paths kept");
    let achieved = achieved_ranks(&sc, 17, n);
    assert_eq!(achieved.len(), 4);
    for (p, a) in sc.input_correlation.iter().zip(&achieved) {
        let rho = spearman(&column(&t, &p.inputs[0]), &column(&t, &p.inputs[1]));
        assert!(
            (rho - p.rank).abs() <= 0.02,
            "{:?}: rho {rho} vs target {}",
            p.inputs,
            p.rank
        );
        assert!((a.achieved - rho).abs() < 1e-9, "{} vs {rho}", a.achieved);
        assert_eq!(a.target, p.rank);
    }
    let crit = 1.949 / (n as f64).sqrt();
    for (name, d) in sc.uncertain_inputs() {
        let x = column(&t, &name);
        let stat = ks(&x, |v| cdf(&d, v));
        assert!(stat < crit, "{name} ({d:?}): KS {stat} >= {crit}");
    }
}

/// Adding pairs changes only the correlated inputs: every other input's draw, on every
/// path, is bit-for-bit what it is without pairs; and the correlated ones keep their
/// own streams (a run of 2000 paths reproduces the first 2000 of 4000).
#[test]
fn uncorrelated_inputs_are_untouched_and_paths_do_not_depend_on_the_count() {
    let plain = parse(&scenario_text(""));
    let corr = parse(&scenario_text(PAIRS));
    let a = run(&plain, 2000, 3, 1, true).paths.unwrap();
    let b = run(&corr, 2000, 3, 2, true).paths.unwrap();
    let long = run(&corr, 4000, 3, 1, true).paths.unwrap();
    let other = ["channel.incremental"];
    for name in &a.draw_names {
        let (x, y) = (column(&a, name), column(&b, name));
        if other.contains(&name.as_str()) {
            assert_eq!(x, y, "{name} changed");
        } else {
            assert_ne!(x, y, "{name} should be correlated now");
        }
        assert_eq!(y, column(&long, name)[..2000].to_vec(), "{name}");
    }
}

/// Correlated runs are identical on 1 and 2 threads (every output number).
#[test]
fn correlated_runs_are_thread_invariant() {
    let sc = parse(&scenario_text(PAIRS));
    let one = run(&sc, 9000, 8, 1, false);
    let two = run(&sc, 9000, 8, 2, false);
    assert_eq!(
        dealsim::report::csv::summary_csv(&one.summary),
        dealsim::report::csv::summary_csv(&two.summary)
    );
}

/// With a perfect rank correlation the two inputs are comonotone: their ranks agree on
/// every path (rho = 1 exactly), and rank -1 gives the reverse order (a matrix with
/// both in one chain would also need the third pair; these two are disjoint).
#[test]
fn perfect_rank_correlations_are_comonotone() {
    let pairs = r#"
[[input_correlation]]
inputs = ["channel.ceiling", "stake.initial"]
rank = 1.0
[[input_correlation]]
inputs = ["discount.rate", "company.growth0"]
rank = -1
"#;
    let sc = parse(&scenario_text(pairs));
    let t = run(&sc, 3000, 4, 1, true).paths.unwrap();
    let c = column(&t, "channel.ceiling");
    assert_eq!(spearman(&c, &column(&t, "stake.initial")), 1.0);
    let r = column(&t, "discount.rate");
    assert!((spearman(&r, &column(&t, "company.growth0")) + 1.0).abs() < 1e-12);
}

fn problems(pairs: &str) -> Vec<String> {
    match scenario::parse_str(&scenario_text(pairs), "t.toml") {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(|p| p.to_string()).collect(),
    }
}

fn one_problem(pairs: &str, expect: &[&str]) {
    let p = problems(pairs);
    assert_eq!(p.len(), 1, "{p:#?}");
    for e in expect {
        assert!(p[0].contains(e), "{:?} lacks {e:?}", p[0]);
    }
}

#[test]
fn validation_names_file_key_and_problem() {
    one_problem(
        "[[input_correlation]]\ninputs = [\"channel.celing\", \"stake.initial\"]\nrank = 0.5\n",
        &[
            "t.toml: input_correlation[0].inputs[0] (line",
            "channel.celing is not an input of this scenario; did you mean channel.ceiling?",
        ],
    );
    one_problem(
        "[[input_correlation]]\ninputs = [\"company.revenue0\", \"stake.initial\"]\nrank = 0.5\n",
        &[
            "input_correlation[0].inputs[0]",
            "company.revenue0 is the constant 20, not a distribution",
        ],
    );
    one_problem(
        "[[input_correlation]]\ninputs = [\"stake.initial\", \"channel.ceiling\"]\nrank = 1.2\n",
        &[
            "input_correlation[0].rank",
            "1.2 is out of range: must be in [-1, 1]",
        ],
    );
    one_problem(
        "[[input_correlation]]\ninputs = [\"stake.initial\", \"stake.initial\"]\nrank = 0.2\n",
        &[
            "input_correlation[0].inputs",
            "cannot be correlated with itself",
        ],
    );
    one_problem(
        "[[input_correlation]]\ninputs = [\"stake.initial\"]\nrank = 0.2\n",
        &[
            "input_correlation[0].inputs",
            "expected two input key paths",
        ],
    );
    one_problem(
        "[[input_correlation]]\ninputs = [\"stake.initial\", \"channel.ceiling\"]\n",
        &["input_correlation[0].rank", "missing required key"],
    );
    one_problem(
        "[[input_correlation]]\ninputs = [\"stake.initial\", \"channel.ceiling\"]\nrank = 0.2\nrnak = 1\n",
        &["input_correlation[0].rnak", "unknown key; did you mean rank?"],
    );
    // The same pair in the other order.
    one_problem(
        "[[input_correlation]]\ninputs = [\"stake.initial\", \"channel.ceiling\"]\nrank = 0.2\n\
         [[input_correlation]]\ninputs = [\"channel.ceiling\", \"stake.initial\"]\nrank = 0.3\n",
        &[
            "input_correlation[1].inputs",
            "the pair (channel.ceiling, stake.initial) is already correlated by input_correlation[0]",
        ],
    );
    one_problem(
        "[input_correlation]\ninputs = [\"stake.initial\", \"channel.ceiling\"]\n",
        &["input_correlation (line", "expected an array of tables"],
    );
}

/// A zero-width distribution is a constant on every path: refused.
#[test]
fn zero_width_inputs_cannot_be_correlated() {
    let text = scenario_text(
        "[[input_correlation]]\ninputs = [\"stake.initial\", \"company.revenue_vol\"]\nrank = 0.2\n",
    )
    .replace(
        "revenue_vol = 0.0",
        r#"revenue_vol = { dist = "normal", mean = 0.2, sd = 0.0 }"#,
    );
    let e = scenario::parse_str(&text, "t.toml").unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(
        e.problems[0]
            .message
            .contains("company.revenue_vol is a distribution of zero width (always 0.2)"),
        "{e}"
    );
}

/// 0.9, 0.9 and -0.9 cannot hold together: one problem naming the three pairs.
#[test]
fn an_inconsistent_matrix_names_its_pairs() {
    let pairs = r#"
[[input_correlation]]
inputs = ["channel.ceiling", "stake.initial"]
rank = 0.9
[[input_correlation]]
inputs = ["channel.ceiling", "company.growth0"]
rank = 0.9
[[input_correlation]]
inputs = ["cloud.model_revenue0", "discount.rate"]
rank = 0.5
[[input_correlation]]
inputs = ["stake.initial", "company.growth0"]
rank = -0.9
"#;
    let p = problems(pairs);
    assert_eq!(p.len(), 1, "{p:#?}");
    for s in [
        "(channel.ceiling, stake.initial) rank 0.9 (input_correlation[0])",
        "(channel.ceiling, company.growth0) rank 0.9 (input_correlation[1])",
        "(stake.initial, company.growth0) rank -0.9 (input_correlation[3])",
        "not positive semi-definite",
    ] {
        assert!(p[0].contains(s), "{} lacks {s}", p[0]);
    }
    // The consistent pair is not blamed.
    assert!(!p[0].contains("discount.rate"), "{}", p[0]);
}

/// `dealsim run` writes input_correlation.csv with the contract's header, one row per
/// pair in file order; an invalid pair exits 2 and writes nothing.
#[test]
fn the_cli_writes_input_correlation_csv_and_refuses_bad_pairs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = dir.join("good.toml");
    std::fs::write(&good, scenario_text(PAIRS)).unwrap();
    let out = dir.join("out");
    let st = common::bin(dir)
        .args(["run", "-q", "--no-report", "--paths", "2000", "--out"])
        .arg(&out)
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let csv = std::fs::read_to_string(out.join("input_correlation.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "input_a,input_b,target_rank,achieved_rank");
    assert_eq!(lines.len(), 5);
    assert!(lines[1].starts_with("channel.ceiling,cloud.model_revenue0,0.6,"));
    assert!(lines[4].starts_with("cloud.model_revenue0,discount.rate,-0.4,"));
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        scenario_text("[[input_correlation]]\ninputs = [\"a.b\", \"stake.initial\"]\nrank = 0.5\n"),
    )
    .unwrap();
    let out2 = dir.join("out2");
    let st = common::bin(dir)
        .args(["run", "-q", "--out"])
        .arg(&out2)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(
        err.contains("bad.toml: input_correlation[0].inputs[0]")
            && err.contains("a.b is not an input"),
        "{err}"
    );
    assert!(!out2.exists());
}
