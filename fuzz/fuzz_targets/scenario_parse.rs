//! Fuzz target: arbitrary bytes -> text -> `dealsim::scenario::parse_str`.
//!
//! Parsing and validation must return `Ok` or a `ScenarioError` for every input, never
//! panic, and the error must format. An accepted scenario must also survive the model:
//! `Model::new` and one path stepped to the end, with the ledger under the cap and every
//! result finite (a valid scenario must never put NaN/inf into a CSV).
#![no_main]

use dealsim::engine::rng;
use dealsim::model::Model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Valid UTF-8 as is; anything else through a lossy decode, so that invalid bytes do
    // not end every run at the decoder (the strict decoder is exercised too, below).
    let text = match std::str::from_utf8(data) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            let e = dealsim::scenario::parse_str(&String::from_utf8_lossy(data), "fuzz.toml");
            drop(e);
            return;
        }
    };
    // `extends` reads files relative to the working directory; device paths (/dev/zero,
    // /dev/stdin) would block or eat memory: a known limitation, reported separately.
    if text.contains("/dev") || text.contains("/proc") || text.contains("/sys") {
        return;
    }
    match dealsim::scenario::parse_str(&text, "fuzz.toml") {
        Ok(sc) => one_path(&sc),
        Err(e) => {
            assert!(!e.problems.is_empty(), "an error with no problem");
            assert!(e.problems.iter().all(|p| !p.file.is_empty()));
            let _ = e.to_string();
        }
    }
});

fn one_path(sc: &dealsim::scenario::Scenario) {
    let model = Model::new(sc);
    assert!(!model.grid.periods.is_empty());
    assert!(
        model.chol.iter().flatten().all(|x| x.is_finite()),
        "cholesky"
    );
    let seed = sc.simulation.seed;
    let p = rng::path_params(sc, &model, seed, 0);
    let cap = p.cap_cents();
    let mut st = p.initial_state();
    let mut streams = rng::StepStreams::new(seed, 0);
    let mut prev = st.stake;
    for per in &model.grid.periods {
        let (eps, n) = streams.next(&model, &p);
        let f = p.step(&model, per, &mut st, eps, n);
        assert!(st.cum_cents <= cap, "ledger above the cap");
        assert!(f.paid_cents >= 0, "negative payment");
        assert!(f.stake <= prev, "stake rose");
        prev = f.stake;
    }
    let r = p.results(&model, &st);
    assert!(
        r.as_array().iter().all(|x| x.is_finite()),
        "non-finite result from a valid scenario: {r:?}"
    );
}
