//! The performance floor of a scenario (issue "Performance"): the same paths and steps
//! drawing the same correlated normals from the same streams (`engine::rng::StepKeys`)
//! and doing only the revenue, growth and multiple updates — no ledger, no aggregation,
//! no output. What is left of a run's time above this is the cost of everything the
//! analyst actually gets (BENCHMARKS.md).
//!
//! `cargo run --release --example floor -- scenarios/base.toml PATHS THREADS`
//!
//! It lives here, not in the library, because nothing but the benchmark needs it; it
//! uses only the library's public model API.

use std::path::Path;
use std::time::Instant;

#[path = "support/floor.rs"]
mod support;
use support::floor;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("scenarios/base.toml");
    let paths: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let loaded = match dealsim::scenario::load(Path::new(file), &[]) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let sc = &loaded.scenario;
    let t0 = Instant::now();
    let check = floor(sc, paths, sc.simulation.seed, threads).expect("thread pool");
    let secs = t0.elapsed().as_secs_f64();
    println!("floor {paths} paths, threads {threads}: {secs:.3} s (checksum {check:.6})");
}
