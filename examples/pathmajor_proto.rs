//! Prototype of a path-major, two-pass engine step (issue 15), to measure what the full
//! model costs per path-period next to the floor, in one process on one thread:
//!
//! `cargo run --release --example pathmajor_proto -- scenarios/base.toml [PATHS] [REPEATS]`
//!
//! Blocks of 512 paths are stepped through every period with their state in cache
//! (`PathParams::step`, the model's full step with the ledger, and the counter-based step
//! streams, as the engine does); after each period the block's 9 per-period values go to
//! their columns, and at the end its 13 per-path results. Variants, alternated per repeat:
//! - `floor`: the floor (`examples/support/floor.rs`) (no ledger, no output);
//! - `model`: the block stepping, values written to a block buffer only;
//! - `model+pass1` / `model+pass2`: the same, the values pushed through the bracket
//!   count / collect pass (`engine::bracket`, p5/p25/p50/p75/p95 type-7 ranks).
//!
//! Not the engine: inputs are the scenario's constants (as the floor uses; no per-path
//! draws), the 9 values are a stand-in for timeseries.csv's metrics (flows of the step),
//! no means or CSVs. It answers whether stepping twice plus bracketing can sit within a
//! small multiple of the floor.

#[path = "support/floor.rs"]
mod floor_support;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use dealsim::engine::bracket::{Column, Options, Pass, Plan, Tally};
use dealsim::engine::rng::StepKeys;
use dealsim::model::{Model, PathParams};
use dealsim::scenario::Input;

const BLOCK: usize = 512;
const METRICS: usize = 9;
const RESULTS: usize = dealsim::summary::N_RESULTS;

/// Step paths `first..first + n` block by block; per period and metric, hand the block's
/// values to `sink(column, values)`; per result, likewise after the last period.
fn run(
    model: &Model,
    p: &PathParams,
    keys: &StepKeys,
    first: usize,
    n: usize,
    sink: &mut impl FnMut(usize, &[f64]),
) {
    let periods = model.grid.len();
    let mut buf = vec![[0.0f64; BLOCK]; METRICS.max(RESULTS)];
    let mut states = vec![p.initial_state(); BLOCK];
    let mut streams = Vec::with_capacity(BLOCK);
    for start in (first..first + n).step_by(BLOCK) {
        let len = BLOCK.min(first + n - start);
        states[..len].fill(p.initial_state());
        streams.clear();
        streams.extend((0..len).map(|j| keys.for_path(model, (start + j) as u64)));
        for (k, per) in model.grid.periods.iter().enumerate() {
            for j in 0..len {
                let (eps, nr) = streams[j].step(model, p, k as u64);
                let f = p.step(model, per, &mut states[j], eps, nr);
                let v = [
                    f.r,
                    f.b,
                    f.t,
                    f.m,
                    f.paid,
                    f.cash_flow,
                    f.stake_value,
                    f.cum,
                    f.valuation,
                ];
                for (m, x) in v.into_iter().enumerate() {
                    buf[m][j] = x;
                }
            }
            for (m, b) in buf.iter().take(METRICS).enumerate() {
                sink(k * METRICS + m, &b[..len]);
            }
        }
        for j in 0..len {
            for (r, x) in p
                .results(model, &states[j])
                .as_array()
                .into_iter()
                .enumerate()
            {
                buf[r][j] = x;
            }
        }
        for (r, b) in buf.iter().take(RESULTS).enumerate() {
            sink(periods * METRICS + r, &b[..len]);
        }
    }
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).map_or("scenarios/base.toml", String::as_str);
    let paths: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let repeats: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let loaded = dealsim::scenario::load(Path::new(file), &[]).expect("the scenario loads");
    let sc = &loaded.scenario;
    let seed = sc.simulation.seed;
    let model = Model::new(sc);
    let p = PathParams::new(sc, &model, |input, _| match input {
        Input::Const(v) => *v,
        Input::Dist(d) => {
            dealsim::model::dist::draw_dist(d, &mut dealsim::engine::rng::stream(seed, 0, 0))
        }
    });
    let keys = StepKeys::new(seed);
    let periods = model.grid.len();
    let cols = periods * METRICS + RESULTS;

    // The pilot: the first 4096 paths' values of every column.
    let pilot_n = 4096.min(paths);
    let mut pilots = vec![Vec::with_capacity(pilot_n); cols];
    run(&model, &p, &keys, 0, pilot_n, &mut |c, v| {
        pilots[c].extend_from_slice(v)
    });
    let ranks: Vec<u64> = {
        let n = paths as u64;
        let mut r: Vec<u64> = [0.05, 0.25, 0.5, 0.75, 0.95]
            .iter()
            .flat_map(|p| {
                let h = ((n - 1) as f64 * p).floor() as u64;
                [h, (h + 1).min(n - 1)]
            })
            .collect();
        r.dedup();
        r
    };
    let spec: Vec<Column> = (0..cols)
        .map(|_| Column {
            n: paths as u64,
            ranks: ranks.clone(),
            es: vec![],
        })
        .collect();

    let (mut fl, mut md, mut p1, mut p2) = (vec![], vec![], vec![], vec![]);
    let mut count_passes = 0;
    for _ in 0..repeats {
        let t0 = Instant::now();
        black_box(floor_support::floor(sc, paths as u64, seed, 1).expect("pool"));
        fl.push(t0.elapsed().as_secs_f64());

        let t0 = Instant::now();
        let mut check = 0.0;
        run(&model, &p, &keys, 0, paths, &mut |_, v| check += v[0]);
        black_box(check);
        md.push(t0.elapsed().as_secs_f64());

        let mut plan = Plan::new(&spec, &pilots, Options::default());
        let pass = |plan: &mut Plan| {
            let t0 = Instant::now();
            let mut t: Tally = plan.tally();
            run(&model, &p, &keys, 0, paths, &mut |c, v| t.push_slice(c, v));
            let data = t.into_data();
            plan.finish(data);
            t0.elapsed().as_secs_f64()
        };
        p1.push(pass(&mut plan));
        while plan.pass() == Pass::Count {
            pass(&mut plan);
        }
        count_passes = plan.count_passes;
        let refined: Vec<(usize, usize)> = plan
            .refinements()
            .into_iter()
            .enumerate()
            .filter(|&(_, r)| r > 0)
            .collect();
        if !refined.is_empty() {
            // Columns past the per-period ones are the results, in summary.csv order.
            println!(
                "refined (column, passes): {refined:?} (results start at column {})",
                periods * METRICS
            );
        }
        p2.push(pass(&mut plan));
        assert_eq!(plan.pass(), Pass::Done);
    }
    let pp = |x: f64| x * 1e9 / (paths * periods) as f64;
    println!(
        "{file}: {paths} paths x {periods} periods, {cols} columns x {} ranks, 1 thread, \
         {repeats} repeats, count passes {count_passes}",
        ranks.len()
    );
    println!("variant        s min/med/max              ns per path-period min/med/max   / floor (per repeat) min/med/max");
    for (name, v) in [
        ("floor", &fl),
        ("model", &md),
        ("model+pass1", &p1),
        ("model+pass2", &p2),
    ] {
        let (a, b, c) = stats(v.clone());
        let (ra, rb, rc) = stats(v.iter().zip(&fl).map(|(x, f)| x / f).collect());
        println!(
            "{name:12} {a:7.3} {b:7.3} {c:7.3}    {:7.2} {:7.2} {:7.2}    {ra:6.2} {rb:6.2} {rc:6.2}",
            pp(a),
            pp(b),
            pp(c)
        );
    }
    let (a, b, c) = stats((0..repeats).map(|r| (p1[r] + p2[r]) / fl[r]).collect());
    println!("two passes (model+pass1 + model+pass2) / floor: {a:.2} {b:.2} {c:.2} (min/med/max)");
}
