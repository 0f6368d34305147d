//! Per-path parameters, stored compactly: one base `PathParams` and, per path, only the
//! scalar words that differ between paths (typically the few derived from uncertain
//! inputs). A time-major run keeps every path's parameters for the whole run, so this is
//! what keeps a million paths within a few hundred megabytes.

use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::{rng, CHUNK};
use crate::model::{stream_key, Model, PathParams, ACCESSORS};
use crate::scenario::Scenario;

/// Seeds of the probe draws used to find which words vary (never used for results).
const PROBES: [u64; 3] = [0x5eed_0001, 0x5eed_0002, 0x5eed_0003];

pub struct CompactParams {
    base: PathParams,
    /// Indices into `ACCESSORS` of the words stored per path (ascending).
    varying: Vec<usize>,
    /// `varying` as runs of adjacent fields: (first field, its place in a path's row,
    /// length). `load` copies each run at once rather than word by word.
    runs: Vec<(usize, usize, usize)>,
    /// `paths x varying.len()`, row-major.
    words: Vec<u64>,
    /// `paths x rounds`, only when some round amount is uncertain.
    rounds: Vec<f64>,
    nrounds: usize,
    /// The values each path drew for the uncertain inputs, when asked to record them
    /// (see [`Recorded`]); empty otherwise.
    draws: Vec<f64>,
}

/// The uncertain inputs whose draws a run records (paths.csv, sensitivity): recorded as
/// the path draws them, so they are never drawn a second time.
pub struct Recorded {
    /// Their stream keys, in `Scenario::uncertain_inputs()` order (the columns).
    keys: Vec<u64>,
}

impl Recorded {
    pub fn of(sc: &Scenario) -> Recorded {
        Recorded {
            keys: sc
                .uncertain_inputs()
                .iter()
                .map(|(name, _)| stream_key(name))
                .collect(),
        }
    }
}

/// Indices into `ACCESSORS` of the words that differ between the probe draws.
fn varying_words(probes: &[PathParams]) -> Vec<usize> {
    (0..ACCESSORS.len())
        .filter(|&k| {
            let get = ACCESSORS[k].0;
            probes.iter().any(|p| get(p) != get(&probes[0]))
        })
        .collect()
}

/// Ascending field indices as runs of adjacent fields: (first field, position of that
/// field in `varying`, length).
fn runs_of(varying: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (at, &k) in varying.iter().enumerate() {
        match runs.last_mut() {
            Some((first, _, len)) if *first + *len == k => *len += 1,
            _ => runs.push((k, at, 1)),
        }
    }
    runs
}

impl CompactParams {
    /// Draw the parameters of paths `first..first+n` (in parallel; path i depends only on
    /// seed and i), stored under block-local indices `0..n`. `None` when `cancel` was
    /// raised meanwhile: drawing millions of paths takes seconds, and a signal must stop a
    /// run within one, so every chunk looks at the flag before it starts. With `record`,
    /// each path's draws of those inputs are kept too (`take_draws`).
    pub fn build(
        sc: &Scenario,
        model: &Model,
        seed: u64,
        first: u64,
        n: usize,
        cancel: Option<&AtomicBool>,
        record: Option<&Recorded>,
    ) -> Option<CompactParams> {
        let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        // Words that differ between three independent probe draws are stored per path.
        let probes: Vec<PathParams> = PROBES
            .iter()
            .map(|&s| rng::path_params(sc, model, s, 0))
            .collect();
        let varying = varying_words(&probes);
        let (c, consistent) = Self::fill(
            sc,
            model,
            seed,
            first,
            n,
            probes[0].clone(),
            varying,
            record,
            &cancelled,
        );
        if cancelled() {
            return None;
        }
        if consistent {
            return Some(c);
        }
        // A word equal on all probes but not on some path (a clipped value, say): store
        // every word. Correct in every case, only larger.
        let all = Self::fill(
            sc,
            model,
            seed,
            first,
            n,
            probes[0].clone(),
            (0..ACCESSORS.len()).collect(),
            record,
            &cancelled,
        );
        (!cancelled()).then_some(all.0)
    }

    /// How many words and round amounts each path stores for `sc` (before any path is
    /// drawn, for the memory estimate): the words that differ between the probe draws,
    /// and one amount per scheduled round when some amount is uncertain. (A word equal on
    /// every probe but not on some path makes the run store all words; rare, unforeseen.)
    pub fn per_path_sizes(sc: &Scenario) -> (usize, usize) {
        let model = Model::new(sc);
        let probes: Vec<PathParams> = PROBES
            .iter()
            .map(|&s| rng::path_params(sc, &model, s, 0))
            .collect();
        (
            varying_words(&probes).len(),
            probes[0].round_amounts().len(),
        )
    }

    /// Draw all paths, keep their varying words; also report whether every other word
    /// equals the base's on every path. Chunks that start after `cancelled()` is true are
    /// skipped (the result is then incomplete and must not be used).
    #[allow(clippy::too_many_arguments)]
    fn fill(
        sc: &Scenario,
        model: &Model,
        seed: u64,
        first: u64,
        n: usize,
        base: PathParams,
        varying: Vec<usize>,
        record: Option<&Recorded>,
        cancelled: &(dyn Fn() -> bool + Sync),
    ) -> (CompactParams, bool) {
        let nv = varying.len();
        let nrounds = base.round_amounts().len();
        let fixed: Vec<usize> = (0..ACCESSORS.len())
            .filter(|k| !varying.contains(k))
            .collect();
        // Each chunk writes its paths straight into the final arrays (no per-chunk vectors
        // and flat copy: that doubled the drawing phase's peak, which is the run's peak
        // when most inputs are uncertain).
        let nchunks = n.div_ceil(CHUNK);
        let mut words = vec![0u64; n * nv];
        let mut rounds = vec![0.0f64; n * nrounds];
        let wchunks: Vec<&mut [u64]> = if nv == 0 {
            (0..nchunks).map(|_| &mut [][..]).collect()
        } else {
            words.chunks_mut(CHUNK * nv).collect()
        };
        let rchunks: Vec<&mut [f64]> = if nrounds == 0 {
            (0..nchunks).map(|_| &mut [][..]).collect()
        } else {
            rounds.chunks_mut(CHUNK * nrounds).collect()
        };
        let keys = record.map_or(&[][..], |r| &r.keys[..]);
        let nd = keys.len();
        let mut draws = vec![0.0f64; n * nd];
        let dchunks: Vec<&mut [f64]> = if nd == 0 {
            (0..nchunks).map(|_| &mut [][..]).collect()
        } else {
            draws.chunks_mut(CHUNK * nd).collect()
        };
        let consistent = wchunks
            .into_par_iter()
            .zip(rchunks)
            .zip(dchunks)
            .enumerate()
            .map(|(c, ((w, r), d))| {
                if cancelled() {
                    return true;
                }
                let paths = c * CHUNK..((c + 1) * CHUNK).min(n);
                let mut ok = true;
                for (j, i) in paths.enumerate() {
                    let row = &mut d[j * nd..(j + 1) * nd];
                    let p =
                        rng::path_params_reporting(sc, model, seed, first + i as u64, |key, v| {
                            if let Some(col) = keys.iter().position(|&k| k == key) {
                                row[col] = v;
                            }
                        });
                    for (cell, &k) in w[j * nv..(j + 1) * nv].iter_mut().zip(&varying) {
                        *cell = (ACCESSORS[k].0)(&p);
                    }
                    r[j * nrounds..(j + 1) * nrounds].copy_from_slice(p.round_amounts());
                    ok &= fixed
                        .iter()
                        .all(|&k| (ACCESSORS[k].0)(&p) == (ACCESSORS[k].0)(&base));
                }
                ok
            })
            // Collected, not short-circuited: every chunk must fill its paths.
            .collect::<Vec<bool>>()
            .into_iter()
            .all(|ok| ok);
        (
            CompactParams {
                base,
                runs: runs_of(&varying),
                varying,
                words,
                rounds,
                nrounds,
                draws,
            },
            consistent,
        )
    }

    /// Each path's recorded draws (`paths x Recorded::width()`, row-major), handed over
    /// once; empty unless `build` was asked to record.
    pub fn take_draws(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.draws)
    }

    /// A working copy to `load` paths into.
    pub fn scratch(&self) -> PathParams {
        self.base.clone()
    }

    /// Make `p` (a `scratch()` copy) path i's parameters.
    #[inline]
    pub fn load(&self, i: usize, p: &mut PathParams) {
        let nv = self.varying.len();
        let row = &self.words[i * nv..(i + 1) * nv];
        for &(first, at, len) in &self.runs {
            p.set_words(first, &row[at..at + len]);
        }
        if self.nrounds > 0 {
            p.set_round_amounts(&self.rounds[i * self.nrounds..(i + 1) * self.nrounds]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adjacent fields form one run, each run remembering where it starts in the row.
    #[test]
    fn varying_fields_load_as_runs_of_adjacent_fields() {
        assert_eq!(runs_of(&[]), vec![]);
        assert_eq!(runs_of(&[3]), vec![(3, 0, 1)]);
        assert_eq!(
            runs_of(&[0, 1, 2, 5, 7, 8]),
            vec![(0, 0, 3), (5, 3, 1), (7, 4, 2)]
        );
        let all: Vec<usize> = (0..ACCESSORS.len()).collect();
        assert_eq!(runs_of(&all), vec![(0, 0, ACCESSORS.len())]);
    }

    /// Draws are kept only when asked for (plain runs pay no memory for them), one row of
    /// the uncertain inputs per path, equal to what the path's own draw reports.
    #[test]
    fn draws_are_recorded_only_on_request() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/base.toml"))
                .expect("base");
        let sc = crate::scenario::parse_str(&text, "base.toml").expect("valid");
        let model = Model::new(&sc);
        let mut plain = CompactParams::build(&sc, &model, 3, 10, 6, None, None).expect("built");
        assert!(plain.take_draws().is_empty());
        let rec = Recorded::of(&sc);
        let mut kept =
            CompactParams::build(&sc, &model, 3, 10, 6, None, Some(&rec)).expect("built");
        let draws = kept.take_draws();
        let w = rec.keys.len();
        assert!(w > 0);
        assert_eq!(draws.len(), 6 * w);
        for j in 0..6 {
            let mut seen = vec![f64::NAN; w];
            rng::path_params_reporting(&sc, &model, 3, 10 + j as u64, |k, v| {
                if let Some(c) = rec.keys.iter().position(|&x| x == k) {
                    seen[c] = v;
                }
            });
            assert_eq!(&draws[j * w..(j + 1) * w], &seen[..], "path {}", 10 + j);
        }
    }
}
