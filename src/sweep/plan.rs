//! A plan: everything a task needs to run on another machine, in one folder, and the
//! hash that ties every part file to it.
//!
//! `plan.json` holds the effective scenario as TOML (after `extends`, `--set`, `--paths`
//! and `--seed`), the resolved grid points or shard ranges, and the dealsim version. A
//! task re-reads the scenario from that text, never from the original file, so a plan
//! runs the same wherever it is copied. The in-process `sweep` goes through the very same
//! plan in memory, which is why a merged sweep is byte-identical to it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Manifest;
use crate::scenario::{self, RawNode, Scenario};

/// The plan file's name inside a plan folder, and the format it follows.
pub const PLAN_FILE: &str = "plan.json";
pub const FORMAT: &str = "dealsim-plan/1";
/// Where tasks put their part files, inside the plan folder.
pub const PARTS_DIR: &str = "parts";

/// What the tasks of a plan compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One task per grid point, every point on all paths.
    Sweep,
    /// One task per contiguous range of paths of a single run.
    Shards,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format: String,
    pub kind: Kind,
    pub dealsim_version: String,
    /// The scenario file as named on the command line, and the SHA-256 of its bytes
    /// (for the record; tasks read `scenario` below).
    pub scenario_file: String,
    pub scenario_sha256: String,
    /// `--set` overrides given with the plan (already in `scenario`; for the record).
    pub overrides: Vec<String>,
    /// The effective scenario, TOML, with `simulation.paths` and `simulation.seed` set.
    pub scenario: String,
    pub seed: u64,
    pub paths: u64,
    /// Sweep: the swept keys, and each point's values (one per key), in point order.
    pub keys: Vec<String>,
    pub points: Vec<Vec<String>>,
    /// Sweep: the metric its chart shows.
    pub metric: String,
    /// Shards: `(first path, paths)` of each task.
    pub shards: Vec<(u64, u64)>,
    /// SHA-256 over every field above (this one empty): a part file carries it.
    pub hash: String,
}

impl Plan {
    /// Number of tasks.
    pub fn tasks(&self) -> usize {
        match self.kind {
            Kind::Sweep => self.points.len(),
            Kind::Shards => self.shards.len(),
        }
    }

    /// The hash of every field but `hash`.
    pub fn compute_hash(&self) -> String {
        let mut p = self.clone();
        p.hash.clear();
        // Serialising a plain struct to JSON cannot fail.
        Manifest::sha256_hex(&serde_json::to_vec(&p).unwrap_or_default())
    }

    /// Set `hash`; call after the last change.
    pub fn seal(&mut self) {
        self.hash = self.compute_hash();
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Read and check `dir/plan.json`: its format, its hash, and that this dealsim made it.
    pub fn load(dir: &Path) -> Result<Plan, String> {
        let path = dir.join(PLAN_FILE);
        let text = std::fs::read(&path).map_err(|e| {
            format!(
                "{}: cannot read the plan ({e}); make one with `dealsim sweep ... --plan {}`",
                path.display(),
                dir.display()
            )
        })?;
        let plan: Plan = serde_json::from_slice(&text)
            .map_err(|e| format!("{}: not a dealsim plan: {e}", path.display()))?;
        if plan.format != FORMAT {
            return Err(format!(
                "{}: plan format {:?}, this dealsim reads {FORMAT:?}",
                path.display(),
                plan.format
            ));
        }
        if plan.compute_hash() != plan.hash {
            return Err(format!(
                "{}: the plan was changed after it was made (its hash does not match); make it again",
                path.display()
            ));
        }
        let ours = env!("CARGO_PKG_VERSION");
        if plan.dealsim_version != ours {
            return Err(format!(
                "{}: made by dealsim {}, this is dealsim {ours}; run every task and the merge with the same version",
                path.display(),
                plan.dealsim_version
            ));
        }
        Ok(plan)
    }

    /// The effective scenario's tree.
    pub fn raw(&self) -> Result<RawNode, String> {
        scenario::parse_raw(&self.scenario, "plan.json scenario").map_err(|e| e.to_string())
    }

    /// The scenario of a shard plan.
    pub fn scenario(&self) -> Result<Scenario, String> {
        let raw = self.raw()?;
        scenario::validate(&raw, "plan.json scenario").map_err(|e| e.to_string())
    }

    /// The scenario of grid point `k`: the plan's scenario with the point's values
    /// applied as `--set` would apply them. Errors name `--grid`, the key, the value and
    /// the rule broken.
    pub fn point_scenario(&self, base: &RawNode, k: usize) -> Result<Scenario, Vec<String>> {
        let values = &self.points[k];
        let at = || {
            let kv: Vec<String> = self
                .keys
                .iter()
                .zip(values)
                .map(|(key, v)| format!("{key}={v}"))
                .collect();
            format!("--grid: point {k} ({})", kv.join(", "))
        };
        let mut raw = base.clone();
        let mut errors = Vec::new();
        for (key, v) in self.keys.iter().zip(values) {
            if let Err(p) = scenario::apply_set(&mut raw, &format!("{key}={v}")) {
                // apply_set names `--set`; here the value came from `--grid`.
                let msg = p.message.split(" (in `--set").next().unwrap_or_default();
                errors.push(format!("{}: {key} = {v}: {msg}", at()));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        scenario::validate(&raw, "--grid").map_err(|e| {
            e.problems
                .iter()
                .map(|p| {
                    let key = if p.key_path.is_empty() {
                        String::new()
                    } else {
                        format!("{}: ", p.key_path)
                    };
                    format!("{}: {key}{}", at(), p.message)
                })
                .collect()
        })
    }
}
