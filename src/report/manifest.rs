//! run.json: everything needed to reproduce a run.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// How a run was made (OUTPUTS.md: run.json).
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub dealsim_version: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    /// Files the scenario was read from, the main file first (then `extends` parents).
    pub scenario_files: Vec<String>,
    pub seed: u64,
    pub paths: u64,
    pub threads: usize,
    pub steps: usize,
    pub steps_per_year: u32,
    pub start_year: i32,
    pub end_year: i32,
    pub wall_time_seconds: f64,
    pub command_line: Vec<String>,
    /// `--set` overrides applied on top of the file.
    pub overrides: Vec<String>,
    /// The scenario as run (after `extends` and `--set`), as TOML.
    pub effective_scenario: String,
    /// How the path count was reached and why the run stopped there.
    pub stopping: Stopping,
}

/// run.json's `stopping`: `reason` is `fixed_paths` (the count was given), or, with
/// `--target-se`, `target_se_reached` or `max_paths_reached`, with the search's details.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stopping {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_se: Option<TargetSe>,
}

/// The `--target-se` search (see `engine::autostop`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetSe {
    pub metric: String,
    /// The standard error asked for.
    pub target: f64,
    /// The metric's standard error at the paths used.
    pub std_error: f64,
    pub batch_paths: u64,
    pub max_paths: u64,
}

impl Stopping {
    pub fn fixed() -> Stopping {
        Stopping {
            reason: String::from("fixed_paths"),
            target_se: None,
        }
    }
}

impl Manifest {
    pub fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Pretty JSON. Note: `wall_time_seconds` differs run to run; every CSV does not.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}
