//! Every answer is checked against a full sort (`sort_by(total_cmp)`) or, for sums, an
//! independent exact fixed-point reference; never against the module's own output.

use super::*;
use proptest::prelude::*;

/// A small deterministic generator (SplitMix64) so the tests need no RNG crate.
struct Gen(u64);

impl Gen {
    fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        ((self.u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Quantise to multiples of 2^-20 (so sums have an exact i128 reference).
fn q20(x: f64) -> f64 {
    (x * 1048576.0).round() / 1048576.0
}

/// Value shapes: 0 normal, 1 lognormal (heavy tail), 2 discrete with many ties,
/// 3 constant, 4 signed zeros / ±huge / ±∞ mixed in, 5 normal quantised (exact sums).
fn values(shape: u8, n: usize, seed: u64) -> Vec<f64> {
    let mut g = Gen(seed);
    (0..n)
        .map(|_| match shape {
            0 => g.normal() * 3.0 + 1.0,
            1 => (g.normal() * 2.5).exp(),
            2 => (g.u64() % 5) as f64 - 1.0,
            3 => 7.25,
            4 => match g.u64() % 10 {
                0 => -0.0,
                1 => 0.0,
                2 => 1e300,
                3 => -1e300,
                4 => f64::INFINITY,
                5 => f64::NEG_INFINITY,
                6 => 5e-324,
                _ => g.normal(),
            },
            _ => q20(g.normal() * 100.0),
        })
        .collect()
}

/// Type 7 ranks of some probabilities, plus extra ranks, plus 0 and n − 1.
fn ranks_for(n: u64, probs: &[f64], extra: &[u64]) -> Vec<u64> {
    let mut r = vec![0, n - 1];
    for &p in probs {
        let lo = ((n - 1) as f64 * p).floor() as u64;
        r.push(lo);
        if lo + 1 < n {
            r.push(lo + 1);
        }
    }
    r.extend(extra.iter().filter(|&&x| x < n));
    r.sort_unstable();
    r.dedup();
    r
}

/// Run a plan to the end: `cols[c]` are column `c`'s values in path order; each pass
/// splits the paths at `cuts` into workers, pushes path-major, merges the workers' data
/// in reverse order (so merge order is exercised too).
fn drive(plan: &mut Plan, cols: &[Vec<f64>], cuts: &[usize]) {
    let n = cols.first().map_or(0, Vec::len);
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < n));
    bounds.push(n);
    bounds.sort_unstable();
    let mut guard = 0;
    while plan.pass() != Pass::Done {
        guard += 1;
        assert!(guard < 40, "too many passes");
        let mut parts: Vec<TallyData> = bounds
            .windows(2)
            .map(|w| {
                let mut t = plan.tally();
                for i in w[0]..w[1] {
                    for (c, col) in cols.iter().enumerate() {
                        t.push(c, col[i]);
                    }
                }
                t.into_data()
            })
            .collect();
        let mut all = parts.pop().unwrap();
        while let Some(p) = parts.pop() {
            all.merge(p);
        }
        plan.finish(all);
    }
}

/// `Err` unless every answer equals the full sort's order statistic, bit for bit.
fn check(answers: &[(u64, f64)], values: &[f64]) -> Result<(), String> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    for &(r, v) in answers {
        if v.to_bits() != sorted[r as usize].to_bits() {
            return Err(format!(
                "rank {r}: {v:e} vs sorted {:e}",
                sorted[r as usize]
            ));
        }
    }
    Ok(())
}

/// Exact sum of quantised values `≤ t` (multiples of 2^-20), as i128 fixed point.
fn reference_sum_le(values: &[f64], t: f64) -> (f64, u64) {
    let mut s: i128 = 0;
    let mut n = 0;
    for &v in values.iter().filter(|&&v| v <= t) {
        let x = v * 1048576.0;
        assert_eq!(x, x.round(), "test values must be quantised");
        s += x as i128;
        n += 1;
    }
    // i128 → f64 rounds to nearest; the power-of-two scale is exact.
    (s as f64 / 1048576.0, n)
}

fn answers(plan: &Plan, col: usize, ranks: &[u64]) -> Vec<(u64, f64)> {
    ranks.iter().map(|&r| (r, plan.value(col, r))).collect()
}

fn col(n: usize, ranks: Vec<u64>, es: Vec<u64>) -> Column {
    Column {
        n: n as u64,
        ranks,
        es,
    }
}

const PROBS: [f64; 7] = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.95];

#[test]
fn representative_pilot_takes_one_count_pass() {
    let n = 200_000;
    let shapes = [0u8, 1, 5];
    let cols: Vec<Vec<f64>> = shapes
        .iter()
        .map(|&s| values(s, n, 11 + s as u64))
        .collect();
    let ranks = ranks_for(n as u64, &PROBS, &[1234, 190_000]);
    let specs: Vec<Column> = cols.iter().map(|_| col(n, ranks.clone(), vec![])).collect();
    let pilots: Vec<Vec<f64>> = cols.iter().map(|c| c[..4096].to_vec()).collect();
    let mut plan = Plan::new(&specs, &pilots, Options::default());
    drive(&mut plan, &cols, &[77_777]);
    for (c, v) in cols.iter().enumerate() {
        check(&answers(&plan, c, &ranks), v).unwrap();
    }
    // Min and max resolve from the count pass; the other ranks from the pilot brackets.
    assert_eq!(plan.count_passes, 1);
}

#[test]
fn unrepresentative_pilot_falls_back_and_stays_exact() {
    let n = 100_000;
    let v = values(0, n, 5);
    // The pilot is from another distribution: every bracket misses.
    let pilot: Vec<f64> = values(0, 2000, 6).iter().map(|x| x * 0.01 + 50.0).collect();
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let opts = Options {
        cap: 500,
        ..Options::default()
    };
    let mut plan = Plan::new(&[col(n, ranks.clone(), vec![])], &[pilot], opts);
    drive(&mut plan, std::slice::from_ref(&v), &[10_001, 50_000]);
    check(&answers(&plan, 0, &ranks), &v).unwrap();
    assert!(plan.count_passes >= 2, "the fallback ran");
}

#[test]
fn ties_constant_signed_zeros_infinities_and_tiny_n() {
    for (shape, n) in [
        (2u8, 50_000),
        (3, 30_000),
        (4, 40_000),
        (4, 1),
        (0, 1),
        (2, 3),
    ] {
        let v = values(shape, n, 99);
        let ranks = ranks_for(n as u64, &PROBS, &[]);
        for pilot_len in [0, 1, 100.min(n), n] {
            let opts = Options {
                bins: 16,
                cap: 64,
                ..Options::default()
            };
            let mut plan = Plan::new(
                &[col(n, ranks.clone(), vec![])],
                &[v[..pilot_len].to_vec()],
                opts,
            );
            drive(&mut plan, std::slice::from_ref(&v), &[n / 3]);
            check(&answers(&plan, 0, &ranks), &v)
                .unwrap_or_else(|e| panic!("shape {shape} n {n} pilot {pilot_len}: {e}"));
        }
    }
}

#[test]
fn tie_runs_seen_in_the_pilot_resolve_in_one_pass() {
    // Five discrete values, and a continuous part with a capped top: every wanted rank
    // sits in a tie run or near one; the pilot's repeated values get windows of their
    // own, so no refinement pass is needed.
    let n = 100_000;
    let mut g = Gen(4);
    let discrete = values(2, n, 12);
    let capped: Vec<f64> = (0..n).map(|_| (g.normal() * 2.0).min(1.0)).collect();
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    for v in [discrete, capped] {
        let mut plan = Plan::new(
            &[col(n, ranks.clone(), vec![])],
            &[v[..4096].to_vec()],
            Options::default(),
        );
        drive(&mut plan, std::slice::from_ref(&v), &[n / 2]);
        check(&answers(&plan, 0, &ranks), &v).unwrap();
        assert_eq!(plan.count_passes, 1);
    }
}

#[test]
fn the_check_catches_an_off_by_one_rank() {
    // Distinct values: a neighbour's order statistic differs, so an answer for r ± 1
    // must be rejected by the same check that accepts the module's answers.
    let n = 20_000;
    let v = values(0, n, 3);
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let mut plan = Plan::new(
        &[col(n, ranks.clone(), vec![])],
        &[v[..1000].to_vec()],
        Options::default(),
    );
    drive(&mut plan, std::slice::from_ref(&v), &[]);
    let good = answers(&plan, 0, &ranks);
    check(&good, &v).unwrap();
    for shift in [-1i64, 1] {
        let shifted: Vec<(u64, f64)> = good
            .iter()
            .filter_map(|&(r, x)| {
                let s = r as i64 + shift;
                (s >= 0 && (s as usize) < n).then_some((s as u64, x))
            })
            .collect();
        assert!(check(&shifted, &v).is_err(), "shift {shift} not caught");
    }
}

#[test]
fn es_sums_match_an_exact_reference() {
    let n = 60_000;
    let v = values(5, n, 21);
    let mut sorted = v.clone();
    sorted.sort_by(f64::total_cmp);
    let es: Vec<u64> = [0.01, 0.05, 0.1]
        .iter()
        .map(|p| ((n - 1) as f64 * p).floor() as u64)
        .chain([n as u64 - 1, 0])
        .collect();
    for (pilot, cap) in [(v[..3000].to_vec(), 1 << 16), (vec![1e6; 10], 40)] {
        let opts = Options {
            cap,
            ..Options::default()
        };
        let mut plan = Plan::new(&[col(n, vec![], es.clone())], &[pilot], opts);
        drive(&mut plan, std::slice::from_ref(&v), &[n / 2]);
        for &r in &es {
            let lo = sorted[r as usize];
            let hi = sorted[(r as usize + 1).min(n - 1)];
            for t in [lo, lo + 0.3 * (hi - lo), hi] {
                let got = plan.sum_le(0, r, t).unwrap();
                assert_eq!(got, reference_sum_le(&v, t), "rank {r} t {t}");
            }
            assert!(plan.sum_le(0, r, hi + 1.0).is_none() || r as usize == n - 1);
        }
    }
}

#[test]
fn es_sums_over_ties_at_var() {
    // A third of the values are exactly 0 (a capped ledger): VaR 0 takes every zero.
    let n = 30_000;
    let v: Vec<f64> = values(5, n, 8)
        .into_iter()
        .enumerate()
        .map(|(i, x)| if i % 3 == 0 { 0.0 } else { x.abs() })
        .collect();
    let r = (n as u64 - 1) / 10;
    let mut plan = Plan::new(
        &[col(n, vec![], vec![r])],
        &[v[..2000].to_vec()],
        Options::default(),
    );
    drive(&mut plan, std::slice::from_ref(&v), &[]);
    assert_eq!(plan.value(0, r), 0.0);
    assert_eq!(plan.sum_le(0, r, 0.0).unwrap(), reference_sum_le(&v, 0.0));
    assert_eq!(plan.sum_le(0, r, 0.0).unwrap().1, n as u64 / 3);
}

#[test]
fn exact_sum_is_exact_and_order_free() {
    let mut g = Gen(1);
    let v: Vec<f64> = (0..10_000).map(|_| q20(g.normal() * 1e5)).collect();
    let mut a = ExactSum::default();
    v.iter().for_each(|&x| a.add(x));
    let mut b = ExactSum::default();
    v.iter().rev().for_each(|&x| b.add(x));
    let want = reference_sum_le(&v, f64::INFINITY).0;
    assert_eq!(a.to_f64(), want);
    assert_eq!(b.to_f64().to_bits(), want.to_bits());
    // Cancellation a plain f64 sum gets wrong.
    let mut c = ExactSum::default();
    for x in [1e300, 1.0, -1e300, 5e-324, -5e-324, 2.0f64.powi(-60)] {
        c.add(x);
    }
    assert_eq!(c.to_f64(), 1.0 + 2.0f64.powi(-60));
    let mut d = ExactSum::default();
    d.add_times(-0.1, 3_000_000_000);
    assert_eq!(d.to_f64(), -0.1 * 3e9); // -0.1·3e9 is exact in f64 arithmetic here
    d.add(f64::INFINITY);
    assert_eq!(d.to_f64(), f64::INFINITY);
    d.add(f64::NEG_INFINITY);
    assert!(d.to_f64().is_nan());
    // Merged halves equal the whole.
    let (mut h1, mut h2) = (ExactSum::default(), ExactSum::default());
    v[..3333].iter().for_each(|&x| h1.add(x));
    v[3333..].iter().for_each(|&x| h2.add(x));
    h2.merge(&h1);
    assert_eq!(h2.to_f64(), want);
}

#[test]
fn memory_does_not_grow_with_n() {
    // The collected set per rank stays about n·w/B and never above `cap`.
    let n = 400_000;
    let v = values(0, n, 17);
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let mut plan = Plan::new(
        &[col(n, ranks.clone(), vec![])],
        &[v[..4096].to_vec()],
        Options::default(),
    );
    drive(&mut plan, std::slice::from_ref(&v), &[]);
    let kept: usize = plan.cols[0].collected.iter().map(Vec::len).sum();
    assert!(kept < 20_000, "kept {kept} of {n}");
    check(&answers(&plan, 0, &ranks), &v).unwrap();
}

/// The shared check of the proptests: one worker and the chunking `cuts` give exactly
/// the full sort's order statistics and ES sums, bit for bit the same.
fn one_and_many_agree_with_a_sort(
    spec: &[Column],
    pilot: &[f64],
    v: &[f64],
    ranks: &[u64],
    es: &[u64],
    opts: Options,
    cuts: &[usize],
) -> Result<(), TestCaseError> {
    let (pilots, cols) = ([pilot.to_vec()], [v.to_vec()]);
    let mut one = Plan::new(spec, &pilots, opts);
    drive(&mut one, &cols, &[]);
    let mut many = Plan::new(spec, &pilots, opts);
    drive(&mut many, &cols, cuts);
    let a = answers(&one, 0, ranks);
    prop_assert!(check(&a, v).is_ok(), "{:?}", check(&a, v));
    let b = answers(&many, 0, ranks);
    prop_assert_eq!(
        a.iter().map(|x| x.1.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.1.to_bits()).collect::<Vec<_>>()
    );
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    for &r in es {
        let t = sorted[r as usize];
        let want = reference_sum_le(v, t);
        prop_assert_eq!(one.sum_le(0, r, t), Some(want));
        prop_assert_eq!(many.sum_le(0, r, t), Some(want));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn any_pilot_any_chunking_is_exact_and_identical(
        n in 1usize..4000,
        shape in 0u8..6,
        seed in any::<u64>(),
        pilot_kind in 0u8..4,
        pilot_len in 0usize..400,
        bins in prop::sample::select(vec![2usize, 3, 16, 1024]),
        cap in prop::sample::select(vec![1u64, 5, 100, 1 << 16]),
        cuts in prop::collection::vec(0usize..4000, 0..5),
        extra in prop::collection::vec(0u64..4000, 0..6),
    ) {
        let v = values(shape, n, seed);
        // A pilot of n values must be the column itself (the contract), so the made-up
        // pilots stay shorter.
        let pilot_len = pilot_len.min(n - 1);
        let pilot: Vec<f64> = match pilot_kind {
            0 => v[..pilot_len.min(n)].to_vec(),
            1 => values(shape, pilot_len, seed ^ 1).iter().map(|x| x * 7.0 - 3.0).collect(),
            2 => vec![1.0; pilot_len],
            _ => v.clone(),
        };
        let ranks = ranks_for(n as u64, &PROBS, &extra);
        let es: Vec<u64> = if shape == 5 { ranks.iter().copied().step_by(3).collect() } else { vec![] };
        let spec = [col(n, ranks.clone(), es.clone())];
        let opts = Options { bins, cap, ..Options::default() };
        one_and_many_agree_with_a_sort(&spec, &pilot, &v, &ranks, &es, opts, &cuts)?;
    }

    #[test]
    fn many_columns_path_major(
        n in 2usize..3000,
        seed in any::<u64>(),
        cuts in prop::collection::vec(0usize..3000, 0..4),
    ) {
        // Six columns of different shapes pushed path by path, as an engine would.
        let cols: Vec<Vec<f64>> = (0..6u8).map(|s| values(s, n, seed.wrapping_add(s as u64))).collect();
        let ranks = ranks_for(n as u64, &PROBS, &[]);
        let specs: Vec<Column> = cols.iter().map(|_| col(n, ranks.clone(), vec![])).collect();
        let pilots: Vec<Vec<f64>> = cols.iter().map(|c| c[..(n / 4)].to_vec()).collect();
        let opts = Options { bins: 8, cap: 16, ..Options::default() };
        let mut plan = Plan::new(&specs, &pilots, opts);
        drive(&mut plan, &cols, &cuts);
        for (c, v) in cols.iter().enumerate() {
            let a = answers(&plan, c, &ranks);
            prop_assert!(check(&a, v).is_ok(), "column {}: {:?}", c, check(&a, v));
        }
    }
}

// ---- One pass: values kept during the count pass answer the ranks without a collect pass.

fn keep_opts() -> Options {
    Options {
        keep: 6.0,
        ..Options::default()
    }
}

/// Runs the first count pass only; `true` if that finished the plan (no second pass).
fn first_pass(plan: &mut Plan, cols: &[Vec<f64>], cuts: &[usize]) -> bool {
    let n = cols.first().map_or(0, Vec::len);
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < n));
    bounds.push(n);
    bounds.sort_unstable();
    bounds.dedup();
    let mut parts: Vec<TallyData> = bounds
        .windows(2)
        .map(|w| {
            let mut t = plan.tally();
            for (c, col) in cols.iter().enumerate() {
                t.push_slice(c, &col[w[0]..w[1]]);
            }
            t.into_data()
        })
        .collect();
    let mut all = parts.pop().unwrap();
    while let Some(p) = parts.pop() {
        all.merge(p);
    }
    plan.finish(all);
    plan.pass() == Pass::Done
}

#[test]
fn one_pass_answers_random_columns_exactly_without_a_second_pass() {
    let mut g = Gen(15);
    for shape in [0u8, 1, 2, 3] {
        for _ in 0..3 {
            let n = 20_000 + (g.u64() % 200_000) as usize;
            let v = values(shape, n, g.u64());
            let ranks = ranks_for(n as u64, &PROBS, &[]);
            let pilot = v[..4096].to_vec();
            let spec = [col(n, ranks.clone(), vec![])];
            let mut plan = Plan::new(&spec, std::slice::from_ref(&pilot), keep_opts());
            let cuts = [n / 3, n / 2 + 17];
            let done = first_pass(&mut plan, std::slice::from_ref(&v), &cuts);
            // Random order, representative pilot: the kept values suffice.
            assert!(done, "shape {shape}, n {n}: fell back to a second pass");
            assert_eq!(plan.count_passes, 1);
            assert_eq!(plan.collected_len(), 0, "no collect pass ran");
            check(&answers(&plan, 0, &ranks), &v).unwrap();
            if shape <= 1 {
                // Continuous values: the ranks come from kept values (not one-key cells),
                // and the kept set is a small part of the column.
                assert!(plan.one_pass_ranks()[0] > 0);
                assert!(plan.kept_len() < n / 2, "kept {} of {n}", plan.kept_len());
            }
        }
    }
}

#[test]
fn sorted_input_fails_the_one_pass_test_and_falls_back_exactly() {
    // Ascending order: each worker's running estimate of a rank sits on values far below
    // the rank's final place, so the located cells were not kept whole.
    let n = 100_000;
    let mut v = values(0, n, 99);
    let pilot = v[..4096].to_vec();
    v.sort_by(f64::total_cmp);
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let spec = [col(n, ranks.clone(), vec![])];
    let mut plan = Plan::new(&spec, std::slice::from_ref(&pilot), keep_opts());
    let done = first_pass(&mut plan, std::slice::from_ref(&v), &[]);
    assert!(!done, "sorted input must need the collect pass");
    assert_eq!(plan.pass(), Pass::Collect);
    drive(&mut plan, std::slice::from_ref(&v), &[]);
    check(&answers(&plan, 0, &ranks), &v).unwrap();
    // Descending too.
    v.reverse();
    let mut plan = Plan::new(&spec, std::slice::from_ref(&pilot), keep_opts());
    assert!(!first_pass(&mut plan, std::slice::from_ref(&v), &[]));
    drive(&mut plan, std::slice::from_ref(&v), &[]);
    check(&answers(&plan, 0, &ranks), &v).unwrap();
}

#[test]
fn one_pass_one_worker_and_random_chunkings_agree() {
    let mut g = Gen(7);
    let n = 150_000;
    let cols: Vec<Vec<f64>> = (0..4u8).map(|s| values(s, n, g.u64())).collect();
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let specs: Vec<Column> = cols.iter().map(|_| col(n, ranks.clone(), vec![])).collect();
    let pilots: Vec<Vec<f64>> = cols.iter().map(|c| c[..4096].to_vec()).collect();
    let bits = |plan: &Plan| -> Vec<u64> {
        (0..cols.len())
            .flat_map(|c| answers(plan, c, &ranks))
            .map(|x| x.1.to_bits())
            .collect()
    };
    let mut one = Plan::new(&specs, &pilots, keep_opts());
    drive(&mut one, &cols, &[]);
    let want = bits(&one);
    for (c, v) in cols.iter().enumerate() {
        check(&answers(&one, c, &ranks), v).unwrap();
    }
    let mut kept = vec![one.kept_len()];
    for workers in [2usize, 3, 8, 40] {
        let cuts: Vec<usize> = (0..workers - 1)
            .map(|_| (g.u64() % n as u64) as usize)
            .collect();
        let mut many = Plan::new(&specs, &pilots, keep_opts());
        drive(&mut many, &cols, &cuts);
        assert_eq!(bits(&many), want, "{workers} workers, cuts {cuts:?}");
        kept.push(many.kept_len());
    }
    // The kept sets did depend on the chunking (the answers did not).
    kept.dedup();
    assert!(kept.len() > 1, "kept sizes {kept:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn one_pass_any_pilot_any_chunking_is_exact_and_identical(
        n in 1usize..6000,
        shape in 0u8..6,
        seed in any::<u64>(),
        pilot_kind in 0u8..4,
        pilot_len in 0usize..400,
        bins in prop::sample::select(vec![2usize, 3, 16, 1024]),
        cap in prop::sample::select(vec![1u64, 5, 100, 1 << 16]),
        keep in prop::sample::select(vec![0.5f64, 2.0, 6.0]),
        sorted in any::<bool>(),
        cuts in prop::collection::vec(0usize..6000, 0..5),
        extra in prop::collection::vec(0u64..6000, 0..6),
    ) {
        let mut v = values(shape, n, seed);
        let pilot_len = pilot_len.min(n - 1);
        let pilot: Vec<f64> = match pilot_kind {
            0 => v[..pilot_len.min(n)].to_vec(),
            1 => values(shape, pilot_len, seed ^ 1).iter().map(|x| x * 7.0 - 3.0).collect(),
            2 => vec![1.0; pilot_len],
            _ => v.clone(),
        };
        if sorted {
            v.sort_by(f64::total_cmp);
        }
        let ranks = ranks_for(n as u64, &PROBS, &extra);
        let es: Vec<u64> = if shape == 5 { ranks.iter().copied().step_by(3).collect() } else { vec![] };
        let spec = [col(n, ranks.clone(), es.clone())];
        let opts = Options { bins, cap, keep, ..Options::default() };
        one_and_many_agree_with_a_sort(&spec, &pilot, &v, &ranks, &es, opts, &cuts)?;
    }
}

// ---- The slice paths (`push_slice`) against per-value `push`: identical data, pass by pass.

/// Bit-for-bit equality of two workers' data (counts, min/max, kept and collected values
/// in order, exact sums).
fn same_data(a: &TallyData, b: &TallyData) -> Result<(), String> {
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    match (a, b) {
        (TallyData::Count(a), TallyData::Count(b)) => {
            let checks = [
                ("counts", a.counts == b.counts),
                ("minmax", a.minmax == b.minmax),
                ("min", a.min == b.min),
                ("max", a.max == b.max),
                ("seen", a.seen == b.seen),
                ("kept", a.kept.len() == b.kept.len()),
            ];
            if let Some((what, _)) = checks.iter().find(|c| !c.1) {
                return Err(format!("count pass: {what} differ"));
            }
            for (x, y) in a.kept.iter().zip(&b.kept) {
                if bits(x) != bits(y) {
                    return Err("count pass: kept values differ".into());
                }
            }
        }
        (TallyData::Collect(a), TallyData::Collect(b)) => {
            for (x, y) in a.values.iter().zip(&b.values) {
                if x.len() != y.len() || x.iter().zip(y).any(|(u, w)| bits(u) != bits(w)) {
                    return Err("collect pass: collected values differ".into());
                }
            }
            for (x, y) in a.sums.iter().zip(&b.sums) {
                let same = x.len() == y.len()
                    && x.iter().zip(y).all(|(u, w)| {
                        u.limbs == w.limbs && u.pos_inf == w.pos_inf && u.neg_inf == w.neg_inf
                    });
                if !same {
                    return Err("collect pass: ES sums differ".into());
                }
            }
        }
        _ => return Err("different passes".into()),
    }
    Ok(())
}

/// Drive two plans to the end, one by `push` per value (path-major), one by `push_slice`
/// of blocks of paths whose lengths cycle through `lens` (each column's values in the
/// same order), checking after every pass that the two workers' data are identical.
fn slices_against_pushes(
    specs: &[Column],
    pilots: &[Vec<f64>],
    cols: &[Vec<f64>],
    opts: Options,
    lens: &[usize],
) -> Result<(Plan, usize), String> {
    let n = cols[0].len();
    let mut each = Plan::new(specs, pilots, opts);
    let mut sliced = Plan::new(specs, pilots, opts);
    let mut passes = 0;
    while each.pass() != Pass::Done {
        passes += 1;
        if passes > 40 {
            return Err("too many passes".into());
        }
        if sliced.pass() != each.pass() {
            return Err(format!("pass {passes}: the plans disagree on the pass"));
        }
        let mut t = each.tally();
        for i in 0..n {
            for (c, col) in cols.iter().enumerate() {
                t.push(c, col[i]);
            }
        }
        let a = t.into_data();
        let mut t = sliced.tally();
        let (mut start, mut j) = (0, 0);
        while start < n {
            let len = lens[j % lens.len()].clamp(1, n - start);
            j += 1;
            for (c, col) in cols.iter().enumerate() {
                t.push_slice(c, &col[start..start + len]);
            }
            start += len;
        }
        let b = t.into_data();
        same_data(&a, &b).map_err(|e| format!("pass {passes}: {e}"))?;
        each.finish(a);
        sliced.finish(b);
    }
    if sliced.pass() != Pass::Done {
        return Err("the sliced plan is not done".into());
    }
    Ok((sliced, passes))
}

/// Columns whose values sit exactly on their windows' bounds: values drawn from the
/// pilot itself (window ends are pilot values), ±0.0 both ways round, ±∞, ±huge,
/// subnormals, tie runs, the neighbours of every pilot value.
fn adversarial_columns(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut g = Gen(seed);
    let specials = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        -1e300,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        1.0,
        -1.0,
    ];
    let mut cols = Vec::new();
    let mut pilots = Vec::new();
    for shape in 0..8u64 {
        let base: Vec<f64> = (0..n)
            .map(|_| match shape {
                // Normal with signed zeros and specials mixed in.
                0 => match g.u64() % 8 {
                    0 => specials[(g.u64() % specials.len() as u64) as usize],
                    _ => g.normal(),
                },
                // Mostly zeros of both signs (atoms at 0.0 and -0.0), a continuous rest.
                1 => match g.u64() % 4 {
                    0 => 0.0,
                    1 => -0.0,
                    _ => g.normal(),
                },
                // Zeros of one sign only, the rest positive (a window may end at 0.0).
                2 => match g.u64() % 3 {
                    0 => -0.0,
                    _ => g.unit(),
                },
                3 => match g.u64() % 3 {
                    0 => 0.0,
                    _ => -g.unit(),
                },
                // Many small integers (many one-key windows: more than the slice path's
                // window limit, and just under it).
                4 => (g.u64() % 40) as f64 - 20.0,
                5 => (g.u64() % 9) as f64 * 0.5,
                // Heavy tail and infinities.
                6 => match g.u64() % 50 {
                    0 => f64::INFINITY,
                    1 => f64::NEG_INFINITY,
                    _ => {
                        (g.normal() * 3.0).exp()
                            * if g.u64().is_multiple_of(2) { 1.0 } else { -1.0 }
                    }
                },
                _ => q20(g.normal() * 100.0),
            })
            .collect();
        let pilot: Vec<f64> = base[..(n / 5).max(1)].to_vec();
        // Replace a third of the values by pilot values and their neighbours (values on
        // and next to every window end and bin edge the pilot makes).
        let col: Vec<f64> = base
            .iter()
            .map(|&v| match g.u64() % 6 {
                0 => pilot[(g.u64() % pilot.len() as u64) as usize],
                1 => pilot[(g.u64() % pilot.len() as u64) as usize].next_up(),
                2 => pilot[(g.u64() % pilot.len() as u64) as usize].next_down(),
                _ => v,
            })
            .map(|v: f64| if v.is_nan() { 0.0 } else { v })
            .collect();
        cols.push(col);
        pilots.push(pilot);
    }
    (cols, pilots)
}

#[test]
fn slices_and_single_pushes_give_identical_data_on_adversarial_values() {
    let n = 5000;
    // Slice lengths 1..600, in an order that leaves every remainder.
    let lens: Vec<usize> = (1..=600)
        .rev()
        .step_by(7)
        .chain([1, 2, 7, 8, 9, 600])
        .collect();
    for seed in [1u64, 2, 3] {
        let (cols, pilots) = adversarial_columns(n, seed);
        let ranks = ranks_for(n as u64, &PROBS, &[17, n as u64 / 3, n as u64 - 40]);
        let specs: Vec<Column> = cols
            .iter()
            .enumerate()
            .map(|(c, _)| {
                // ES ranks on the quantised column (exact sums in the collect pass).
                let es = if c == 7 {
                    vec![ranks[2], ranks[5]]
                } else {
                    vec![]
                };
                col(n, ranks.clone(), es)
            })
            .collect();
        for opts in [
            Options::default(),
            // Small bins and caps: refinement passes (key-space windows with min/max).
            Options {
                bins: 16,
                cap: 8,
                ..Options::default()
            },
            Options {
                bins: 3,
                cap: 1,
                ..Options::default()
            },
        ] {
            let (plan, passes) = slices_against_pushes(&specs, &pilots, &cols, opts, &lens)
                .unwrap_or_else(|e| panic!("seed {seed} {opts:?}: {e}"));
            assert!(passes >= 2);
            for (c, v) in cols.iter().enumerate() {
                check(&answers(&plan, c, &ranks), v)
                    .unwrap_or_else(|e| panic!("seed {seed} column {c}: {e}"));
            }
        }
    }
}

#[test]
fn slice_path_codes_match_the_key_order_at_every_bound() {
    // Every window end of every column, its neighbours, and the zeros and infinities:
    // the f64 code (with the zero fix) is the cell the keys give.
    let n = 5000;
    let (cols, pilots) = adversarial_columns(n, 9);
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let specs: Vec<Column> = cols.iter().map(|_| col(n, ranks.clone(), vec![])).collect();
    let plan = Plan::new(&specs, &pilots, Options::default());
    let mut fast_columns = 0;
    for (c, column) in plan.cols.iter().enumerate() {
        let ws = &column.windows;
        let Some(f) = plan.fast_count[c] else {
            assert!(ws.is_empty() || ws.len() > FAST_WINDOWS, "column {c}");
            continue;
        };
        fast_columns += 1;
        let mut probes = vec![0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, 5e-324, -5e-324];
        for w in ws {
            for k in [w.lo_k, w.hi_k] {
                let v = from_order_key(k);
                probes.extend([v, v.next_up(), v.next_down()]);
            }
        }
        for v in probes.into_iter().filter(|v| !v.is_nan()) {
            let k = order_key(v);
            let want: u64 = ws
                .iter()
                .map(|w| (k >= w.lo_k) as u64 + (k > w.hi_k) as u64)
                .sum();
            let got = match (f.zero_fix, v == 0.0, v.is_sign_negative()) {
                (true, true, true) => f.code_neg_zero,
                (true, true, false) => f.code_pos_zero,
                _ => f.code(v),
            };
            assert_eq!(got, want, "column {c}: value {v:e}");
        }
    }
    assert!(fast_columns >= 6, "{fast_columns}");
    // Columns for both tallies of the slice path (under 8 windows, 8 to 16).
    let nws: Vec<usize> = plan.cols.iter().map(|c| c.windows.len()).collect();
    assert!(nws.iter().any(|&w| w < 8) && nws.iter().any(|&w| (8..=16).contains(&w)));
    // Some column has windows with a bound at a signed zero that f64 compares get wrong.
    assert!(plan.fast_count.iter().flatten().any(|f| f.zero_fix));
    // And one has more windows than the slice path takes (per-value path).
    assert!(plan.fast_count.iter().any(|f| f.is_none()));
}

#[test]
fn min_max_keys_are_the_exact_key_extremes() {
    let cases: [&[f64]; 7] = [
        &[0.0, -0.0],
        &[-0.0, 0.0, 0.0],
        &[0.0, 0.0, 1.0, 2.0, 3.0],
        &[-0.0, -1.0, -0.0, -0.0, -0.0],
        &[f64::INFINITY, f64::INFINITY, f64::INFINITY],
        &[f64::NEG_INFINITY, 0.0, -0.0, 5e-324, -5e-324],
        &[3.0, -0.0, 2.0, 1.0, 0.5, 0.25, 0.0, 7.0, -0.0],
    ];
    for v in cases {
        let want = (
            v.iter().map(|&x| order_key(x)).min().unwrap(),
            v.iter().map(|&x| order_key(x)).max().unwrap(),
        );
        assert_eq!(min_max_keys(v), want, "{v:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn slices_and_pushes_agree_any_shape_any_lengths(
        n in 1usize..2500,
        seed in any::<u64>(),
        bins in prop::sample::select(vec![2usize, 16, 1024]),
        cap in prop::sample::select(vec![1u64, 40, 1 << 16]),
        lens in prop::collection::vec(1usize..600, 1..6),
    ) {
        let (cols, pilots) = adversarial_columns(n, seed);
        let ranks = ranks_for(n as u64, &PROBS, &[]);
        let specs: Vec<Column> = cols.iter().map(|_| col(n, ranks.clone(), vec![])).collect();
        let opts = Options { bins, cap, ..Options::default() };
        let (plan, _) = slices_against_pushes(&specs, &pilots, &cols, opts, &lens)
            .map_err(TestCaseError::fail)?;
        for (c, v) in cols.iter().enumerate() {
            let a = answers(&plan, c, &ranks);
            prop_assert!(check(&a, v).is_ok(), "column {}: {:?}", c, check(&a, v));
        }
    }
}

#[test]
fn portable_and_native_slice_paths_give_identical_data() {
    // The count pass's slice path runs an AVX2 build where the CPU has it: the portable
    // build (forced on this thread) must give the same data, and both that of `push`.
    let n = 3000;
    let (cols, pilots) = adversarial_columns(n, 21);
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let specs: Vec<Column> = cols.iter().map(|_| col(n, ranks.clone(), vec![])).collect();
    let lens = [512, 1, 300, 599, 64];
    for opts in [
        Options::default(),
        Options {
            bins: 16,
            cap: 8,
            ..Options::default()
        },
    ] {
        let (native, _) = slices_against_pushes(&specs, &pilots, &cols, opts, &lens).unwrap();
        PORTABLE_ONLY.with(|p| p.set(true));
        let portable = slices_against_pushes(&specs, &pilots, &cols, opts, &lens);
        PORTABLE_ONLY.with(|p| p.set(false));
        let (portable, _) = portable.unwrap();
        for (c, v) in cols.iter().enumerate() {
            let a = answers(&native, c, &ranks);
            assert_eq!(a, answers(&portable, c, &ranks));
            check(&a, v).unwrap();
        }
    }
}

#[test]
fn a_column_mostly_one_value_still_answers_in_one_pass() {
    // A capped payment: 70 % of the paths pay exactly 0 (an atom the pilot sees), the
    // rest a continuous amount. Keeping the atom's key would hold 70 % of the column and
    // exhaust its budget; ranks in the atom resolve from the counts, the others from kept
    // values, with no second pass, and the kept set stays a small part of the column.
    let n = 200_000;
    let mut g = Gen(71);
    let v: Vec<f64> = (0..n)
        .map(|_| if g.unit() < 0.7 { 0.0 } else { 1.0 + g.unit() })
        .collect();
    let ranks = ranks_for(n as u64, &PROBS, &[]);
    let pilot = v[..4096].to_vec();
    let spec = [col(n, ranks.clone(), vec![])];
    let mut plan = Plan::new(&spec, std::slice::from_ref(&pilot), keep_opts());
    let done = first_pass(&mut plan, std::slice::from_ref(&v), &[n / 3, 2 * n / 3]);
    assert!(done, "fell back to a second pass");
    assert_eq!(plan.collected_len(), 0);
    check(&answers(&plan, 0, &ranks), &v).unwrap();
    assert!(
        plan.one_pass_ranks()[0] > 0,
        "no rank came from kept values"
    );
    assert!(plan.kept_len() < n / 10, "kept {} of {n}", plan.kept_len());
}

#[test]
fn keep_bounds_pass_every_key_of_their_range() {
    use super::super::stats::order_key;
    let probe = [
        f64::NEG_INFINITY,
        -1e300,
        -1.0,
        -f64::MIN_POSITIVE,
        -0.0,
        0.0,
        f64::MIN_POSITIVE,
        1.0,
        1e300,
        f64::INFINITY,
    ];
    let keys: Vec<u64> = probe.iter().map(|&v| order_key(v)).collect();
    // Ranges between any two probes, the whole key space, and empty ones.
    let mut ranges: Vec<(u64, u64)> = vec![(0, u64::MAX), (1, 0), (0, 0), (u64::MAX, u64::MAX)];
    for &a in &keys {
        for &z in &keys {
            ranges.push((a, z));
        }
    }
    for (a, z) in ranges {
        let (lo, hi) = super::keep_bounds(a, z);
        for &v in &probe {
            let k = order_key(v);
            let passes = v >= lo && v <= hi;
            if a <= k && k <= z {
                // All but -0.0 at the very end (so that +0.0 stays out).
                let ends_at_neg_zero = z == order_key(-0.0) && v == 0.0;
                assert!(
                    passes || ends_at_neg_zero,
                    "{v} (key in {a}..={z}) fails bounds {lo}..={hi}"
                );
            } else if passes {
                // At most a -0.0 more, where the range starts at +0.0.
                assert!(
                    v == 0.0 && v.is_sign_negative() && a == order_key(0.0),
                    "{v} outside {a}..={z} passes {lo}..={hi}"
                );
            }
        }
    }
}
