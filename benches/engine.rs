//! Criterion benches: one path step, and a full 10,000-path run of the base scenario
//! (exact percentiles included, no files). `cargo bench --bench engine`.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use dealsim::engine::{self, RunOptions};
use dealsim::model::{Model, PathParams};
use dealsim::scenario::{self, Input};

fn base() -> dealsim::scenario::Scenario {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/base.toml");
    scenario::load(&p, &[]).expect("base scenario").scenario
}

fn step(c: &mut Criterion) {
    let sc = base();
    let model = Model::new(&sc);
    let p = PathParams::new(&sc, &model, |i, _| match i {
        Input::Const(v) => *v,
        Input::Dist(d) => match d {
            scenario::Dist::Triangular { mode, .. } => *mode,
            _ => 0.1,
        },
    });
    let per = model.grid.periods[4].clone();
    c.bench_function("one path step (base, quarter 5)", |b| {
        let mut st = p.initial_state();
        b.iter(|| {
            let f = p.step(
                &model,
                black_box(&per),
                &mut st,
                black_box([0.1, -0.2, 0.05]),
                0,
            );
            // Keep the state bounded across iterations.
            st = p.initial_state();
            black_box(f)
        })
    });
}

fn run_10k(c: &mut Criterion) {
    let mut sc = base();
    sc.simulation.paths = 10_000;
    sc.simulation.seed = 1;
    let mut g = c.benchmark_group("run");
    g.sample_size(20);
    for threads in [1usize, 2] {
        g.bench_function(
            format!("base, 10k paths x 40 quarters, {threads} thread(s)"),
            |b| {
                b.iter(|| {
                    let opts = RunOptions {
                        threads,
                        keep_paths: false,
                        progress: None,
                        cancel: None,
                    };
                    black_box(engine::run(&sc, &opts).expect("run"))
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, step, run_10k);
criterion_main!(benches);
