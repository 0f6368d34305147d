//! The path-major engine (plain runs) against the time-major one (runs that keep paths):
//! the same summary and risk answers, bit for bit, on every shipped scenario and the
//! stress scenario, at path counts around the chunk and pilot size (4096), on 1 and 2
//! threads, and under antithetic sampling. Both engines compute exact order statistics
//! and add the same values in the same order, so any difference is a defect.

mod common;

use std::path::Path;

use dealsim::engine::{self, rng::Sampler, Engine, RunOptions};
use dealsim::scenario::Scenario;

fn load(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    dealsim::scenario::load(&path, &[])
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .scenario
}

/// The summary and risk answers of a run, in full (`{:?}` prints every f64 exactly).
fn answers(sc: &Scenario, threads: usize, keep_paths: bool, sampler: Sampler) -> String {
    let opts = RunOptions {
        threads,
        keep_paths,
        progress: None,
        cancel: None,
    };
    let out = engine::run_sampled(sc, &opts, &[], sampler).expect("run");
    assert_eq!(out.paths.is_some(), keep_paths);
    let expected = if keep_paths {
        Engine::TimeMajor
    } else {
        Engine::PathMajor
    };
    assert_eq!(out.engine, expected, "{}", sc.meta.name);
    format!("{:?}\n{:?}", out.summary, out.risk)
}

const FILES: [&str; 10] = [
    "scenarios/base.toml",
    "scenarios/amazon_anthropic.toml",
    "scenarios/aws_surge.toml",
    "scenarios/bear.toml",
    "scenarios/bull.toml",
    "scenarios/ipo_2026.toml",
    "scenarios/licence_not_renewed.toml",
    "scenarios/pre_amendment.toml",
    "scenarios/renegotiated_2027.toml",
    "bench/stress.toml",
];

#[test]
fn path_major_equals_time_major_on_every_scenario() {
    for file in FILES {
        let sc = load(file);
        // 1 path, fewer than a chunk (the pilot is the whole run), exactly a chunk, one
        // more (a chunk of one), and several chunks with a partial last one.
        for paths in [1, 3000, 4096, 4097, 9001] {
            let sc = common::sized(&sc, paths, 20261201);
            let time_major = answers(&sc, 2, true, Sampler::Mc);
            let path_major = answers(&sc, 2, false, Sampler::Mc);
            assert!(
                time_major == path_major,
                "{file} at {paths} paths: the path-major answers differ from the time-major ones"
            );
        }
    }
}

#[test]
fn path_major_is_the_same_on_one_and_two_threads() {
    for file in ["scenarios/base.toml", "bench/stress.toml"] {
        let sc = common::sized(&load(file), 20000, 7);
        assert!(
            answers(&sc, 1, false, Sampler::Mc) == answers(&sc, 2, false, Sampler::Mc),
            "{file}: 1 and 2 threads differ"
        );
    }
}

#[test]
fn path_major_equals_time_major_under_antithetic_sampling() {
    for file in ["scenarios/base.toml", "bench/stress.toml"] {
        let sc = common::sized(&load(file), 10000, 11);
        assert!(
            answers(&sc, 2, true, Sampler::Antithetic)
                == answers(&sc, 2, false, Sampler::Antithetic),
            "{file}: antithetic answers differ between the engines"
        );
    }
}
