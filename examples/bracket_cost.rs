//! Cost per value of exact percentiles by bracketing (`dealsim::engine::bracket`) against
//! the current engine's way (store every value of a column, then select), on one thread:
//!
//! `cargo run --release --example bracket_cost -- [PATHS] [COLUMNS] [REPEATS] [EXTRA] [BINS]`
//!
//! Defaults: 1M paths, 360 columns (9 metrics × 40 periods), 5 repeats. Each column wants
//! the type-7 ranks of p5/p25/p50/p75/p95 (10 ranks, 5 windows); EXTRA (default 0) adds
//! EXTRA pairs of ranks per percentile at ±0.3 %, ±0.6 %, … of n (interval bounds), e.g.
//! 1 → 20 ranks. BINS: bins per window (default 1024). A trailing `.toml` scenario also
//! times the floor (`examples/support/floor.rs`) on 1 thread in the same repeats.
//!
//! Values come from a cheap counter-based hash (a pure function of column and path, as a
//! re-simulated path's would be), so every variant sees identical values; the cost of
//! making them is timed alone (`gen`) and subtracted. Variants, alternated per repeat:
//! - `gen`: make the values, sum them (the common part);
//! - `store+select`: the current engine: per period, 9 columns of PATHS values stored
//!   time-major, then `stats::order_stats` of each column's ranks;
//! - `pass1`: the count pass, path-major (`Tally::push` per value, 360 columns per path);
//! - `pass2`: the collect pass, path-major;
//! - `pass1 block` / `pass2 block`: the same passes fed 512 paths of one column at a time
//!   (`Tally::push_slice`), as an engine stepping blocks of paths would;
//! - `keep1` / `keep1 block`: the count pass with one-pass keeping (`Options::keep = 6`),
//!   path by path / blocked, locate and the answers from the kept values included; the
//!   collect pass is run (untimed) only if some column fell back. Reported: the columns
//!   answered in one pass and the values kept.
//!
//! `BRACKET_COST_BLOCKS=1` runs only `gen`, `pass1 block` and `pass2 block` (quicker).

#[path = "support/floor.rs"]
mod floor_support;

use std::hint::black_box;
use std::time::Instant;

use dealsim::engine::bracket::{Column, Options, Pass, Plan, TallyData};
use dealsim::engine::stats::order_stats;

/// Paths per block in the blocked variants (512 paths' values of one column: 4 KB).
const BLOCK: usize = 512;

/// A value of column `c` at path `i`: smooth, skewed, different per column.
#[inline(always)]
fn value(c: usize, i: usize) -> f64 {
    let mut z = (c as u64) << 40 ^ i as u64;
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let u = (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64) - 0.5;
    (c % 9) as f64 * 10.0 + u * (1.0 + 4.0 * u * u) * (1.0 + c as f64 * 0.01)
}

fn ranks(n: u64, extra: usize) -> Vec<u64> {
    let mut r = Vec::new();
    for p in [0.05, 0.25, 0.5, 0.75, 0.95] {
        let h = ((n - 1) as f64 * p).floor() as u64;
        r.extend([h, h + 1]);
        for e in 1..=extra {
            let d = (n as f64 * 0.003 * e as f64) as u64;
            r.extend([h.saturating_sub(d), (h + d).min(n - 1)]);
        }
    }
    r.sort_unstable();
    r.dedup();
    r
}

/// One pass over every value. `block == 0`: path by path, one `push` per value;
/// otherwise blocks of `block` paths, one `push_slice` per column per block (the shape of
/// a path-major engine stepping a cache-sized block through a period).
fn pass_secs(plan: &mut Plan, paths: usize, cols: usize, block: usize) -> f64 {
    let t0 = Instant::now();
    let mut t = plan.tally();
    if block == 0 {
        for i in 0..paths {
            for c in 0..cols {
                t.push(c, value(c, i));
            }
        }
    } else {
        let mut buf = vec![0.0; block];
        for start in (0..paths).step_by(block) {
            let len = block.min(paths - start);
            for c in 0..cols {
                for (j, b) in buf[..len].iter_mut().enumerate() {
                    *b = value(c, start + j);
                }
                t.push_slice(c, &buf[..len]);
            }
        }
    }
    let data: TallyData = t.into_data();
    // Locating (pass 1) and selecting (pass 2) count too: they are part of the cost.
    plan.finish(data);
    t0.elapsed().as_secs_f64()
}

fn gen_secs(paths: usize, cols: usize) -> f64 {
    let t0 = Instant::now();
    let mut s = 0.0;
    for i in 0..paths {
        for c in 0..cols {
            s += value(c, i);
        }
    }
    black_box(s);
    t0.elapsed().as_secs_f64()
}

/// The current engine's shape: per period, store 9 metrics' values of every path, then
/// select each column's ranks.
fn store_select_secs(paths: usize, cols: usize, want: &[usize], bufs: &mut [Vec<f64>]) -> f64 {
    let t0 = Instant::now();
    let metrics = bufs.len();
    let mut check = 0.0;
    for k in 0..cols / metrics {
        for i in 0..paths {
            for (m, b) in bufs.iter_mut().enumerate() {
                b[i] = value(k * metrics + m, i);
            }
        }
        for b in bufs.iter_mut() {
            check += order_stats(b, want)[0];
        }
    }
    black_box(check);
    t0.elapsed().as_secs_f64()
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    // A trailing scenario file: also time the floor (1 thread) of the same paths in the
    // same repeats, so the comparison with the model's own cost shares the machine's load.
    let mut raw: Vec<String> = std::env::args().skip(1).collect();
    let scenario = match raw.last() {
        Some(s) if s.ends_with(".toml") => raw.pop(),
        _ => None,
    };
    let args: Vec<usize> = raw.iter().map(|s| s.parse().expect("a number")).collect();
    let loaded = scenario.map(|f| {
        dealsim::scenario::load(std::path::Path::new(&f), &[]).expect("the scenario loads")
    });
    let paths = args.first().copied().unwrap_or(1_000_000);
    let cols = args.get(1).copied().unwrap_or(360);
    let repeats = args.get(2).copied().unwrap_or(5);
    let extra = args.get(3).copied().unwrap_or(0);
    let opts = Options {
        bins: args.get(4).copied().unwrap_or(Options::default().bins),
        ..Options::default()
    };
    let want = ranks(paths as u64, extra);
    let want_usize: Vec<usize> = want.iter().map(|&r| r as usize).collect();
    let pilot_n = 4096.min(paths);
    let spec: Vec<Column> = (0..cols)
        .map(|_| Column {
            n: paths as u64,
            ranks: want.clone(),
            es: vec![],
        })
        .collect();
    let pilots: Vec<Vec<f64>> = (0..cols)
        .map(|c| (0..pilot_n).map(|i| value(c, i)).collect())
        .collect();
    let mut bufs = vec![vec![0.0; paths]; 9];
    let (mut g, mut s, mut p1, mut p2) = (vec![], vec![], vec![], vec![]);
    let (mut b1, mut b2, mut fl) = (vec![], vec![], vec![]);
    let mut kept = 0;
    let mut passes = 0;
    let (mut k1, mut kb) = (vec![], vec![]);
    let (mut one_cols, mut kept1) = (0usize, 0usize);
    let keep_opts = Options { keep: 6.0, ..opts };
    // BRACKET_COST_BLOCKS=1: only `gen`, `pass1 block` and `pass2 block` (quicker).
    let blocks_only = std::env::var("BRACKET_COST_BLOCKS").is_ok_and(|v| v == "1");
    for _ in 0..repeats {
        g.push(gen_secs(paths, cols));
        if let Some(l) = &loaded {
            let sc = &l.scenario;
            let t0 = Instant::now();
            let check =
                floor_support::floor(sc, paths as u64, sc.simulation.seed, 1).expect("thread pool");
            black_box(check);
            fl.push(t0.elapsed().as_secs_f64());
        }
        if blocks_only {
            let mut blocked = Plan::new(&spec, &pilots, opts);
            b1.push(pass_secs(&mut blocked, paths, cols, BLOCK));
            assert_eq!(blocked.pass(), Pass::Collect, "a bracket missed");
            b2.push(pass_secs(&mut blocked, paths, cols, BLOCK));
            passes = blocked.count_passes + 1;
            kept = blocked.collected_len();
            let mut col: Vec<f64> = (0..paths).map(|i| value(cols / 2, i)).collect();
            col.sort_by(f64::total_cmp);
            for &r in &want {
                assert_eq!(blocked.value(cols / 2, r), col[r as usize]);
            }
            continue;
        }
        s.push(store_select_secs(paths, cols, &want_usize, &mut bufs));
        let mut blocked = Plan::new(&spec, &pilots, opts);
        b1.push(pass_secs(&mut blocked, paths, cols, BLOCK));
        let mut plan = Plan::new(&spec, &pilots, opts);
        p1.push(pass_secs(&mut plan, paths, cols, 0));
        let mut extra_passes = 0;
        while plan.pass() == Pass::Count {
            pass_secs(&mut plan, paths, cols, 0);
            pass_secs(&mut blocked, paths, cols, BLOCK);
            extra_passes += 1;
        }
        assert_eq!(plan.pass(), Pass::Collect);
        b2.push(pass_secs(&mut blocked, paths, cols, BLOCK));
        p2.push(pass_secs(&mut plan, paths, cols, 0));
        passes = plan.count_passes + 1;
        assert_eq!(extra_passes, 0, "a bracket missed");
        // Spot check one column against a full sort.
        let mut col: Vec<f64> = (0..paths).map(|i| value(cols / 2, i)).collect();
        col.sort_by(f64::total_cmp);
        for &r in &want {
            assert_eq!(plan.value(cols / 2, r), col[r as usize]);
            assert_eq!(blocked.value(cols / 2, r), col[r as usize]);
        }
        kept = plan.collected_len();
        // One pass: count and keep, answer from the kept values where they suffice.
        for (block, out) in [(0, &mut k1), (BLOCK, &mut kb)] {
            let mut one = Plan::new(&spec, &pilots, keep_opts);
            out.push(pass_secs(&mut one, paths, cols, block));
            one_cols = one
                .one_pass_ranks()
                .iter()
                .filter(|&&r| r == want.len())
                .count();
            kept1 = one.kept_len();
            while one.pass() != Pass::Done {
                pass_secs(&mut one, paths, cols, block);
            }
            for &r in &want {
                assert_eq!(one.value(cols / 2, r), col[r as usize]);
            }
        }
    }
    let per = |x: f64| x * 1e9 / (paths * cols) as f64;
    let gen = stats(g.clone());
    println!(
        "{paths} paths x {cols} columns, {} ranks/column, {} bins, {repeats} repeats, 1 thread; \
         passes {passes}, values kept in the collect pass {kept}",
        want.len(),
        opts.bins
    );
    if !blocks_only {
        println!(
            "one pass (keep = 6, blocked, last repeat): {one_cols} of {cols} columns answered \
             from kept values, {kept1} values kept ({:.0} per column = {:.1} sqrt(n))",
            kept1 as f64 / cols as f64,
            kept1 as f64 / cols as f64 / (paths as f64).sqrt()
        );
    }
    println!("variant        total s min/med/max         ns/value min/med/max (gen subtracted, per repeat)");
    for (name, v) in [
        ("gen", &g),
        ("store+select", &s),
        ("pass1 count", &p1),
        ("pass2 collect", &p2),
        ("pass1 block", &b1),
        ("pass2 block", &b2),
        ("keep1", &k1),
        ("keep1 block", &kb),
    ] {
        if v.is_empty() {
            continue;
        }
        let (a, b, c) = stats(v.clone());
        let net: Vec<f64> = v.iter().zip(&g).map(|(x, y)| per(x - y)).collect();
        let (na, nb, nc) = if name == "gen" {
            (per(gen.0), per(gen.1), per(gen.2))
        } else {
            stats(net)
        };
        println!("{name:14} {a:7.3} {b:7.3} {c:7.3}    {na:6.2} {nb:6.2} {nc:6.2}");
    }
    if let Some(l) = &loaded {
        let periods = dealsim::model::Model::new(&l.scenario).grid.len();
        let pp = |x: f64| x * 1e9 / (paths * periods) as f64;
        let (a, b, c) = stats(fl.clone());
        println!(
            "floor (1 thread, {periods} periods) {a:7.3} {b:7.3} {c:7.3} s = {:.2} {:.2} {:.2} ns per path-period",
            pp(a),
            pp(b),
            pp(c)
        );
        // A two-pass path-major engine steps every path twice and pushes every value
        // of 9 metrics in each pass; per repeat, that over the floor (model work above
        // the floor's not counted).
        let metrics = cols as f64 / periods as f64;
        let ratio: Vec<f64> = (0..repeats)
            .map(|r| {
                let f = pp(fl[r]);
                let c1 = per(b1[r] - g[r]);
                let c2 = per(b2[r] - g[r]);
                (2.0 * f + metrics * (c1 + c2)) / f
            })
            .collect();
        let (a, b, c) = stats(ratio);
        println!(
            "two-pass blocked engine / floor, bracketing only (no ledger): {a:.2} {b:.2} {c:.2} (min/med/max)"
        );
    }
}
