//! Scenario files: TOML -> a checked, typed [`Scenario`], in two stages (STYLE.md).
//!
//! 1. **Raw** (`raw`, `load`, `edit`): bytes -> text -> a tree mirroring the file, each
//!    value tagged with its file and line; `extends` parents are merged under the file,
//!    then `--set key=value` overrides are applied.
//! 2. **Validation** (`validate`, `inputs`, `check`): the tree -> [`Scenario`], with every
//!    rule of MODEL.md §4 checked and *all* problems collected in one [`ScenarioError`].
//!
//! Readings of MODEL.md chosen here: distributions whose support can leave a key's range
//! are rejected (never truncated); years must lie in [1900, 2200]; every number that is
//! not money is bounded by 1e6 in magnitude (a sanity bound, next to the 1e6 money bound).

mod check;
mod correlation;
mod dist;
mod edit;
mod emit;
mod error;
mod example;
pub mod input_correlation;
mod inputs;
mod load;
mod raw;
mod sections;
mod swing;
pub mod table;
mod types;
mod validate;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use correlation::cholesky;
pub use dist::{support, support_max};
pub use edit::{apply_set, merge, split_top_level, SET_LABEL};
pub use error::{Problem, ScenarioError};
pub use example::EXAMPLE;
pub use inputs::{Range, Rule, MONEY_MAX, SANITY_MAX};
pub use raw::{Origin, RawNode, RawValue};
pub use table::{InputDef, InputId, INPUTS};
pub use types::*;
pub use validate::validate;

/// A loaded scenario with what it was made from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub scenario: Scenario,
    /// The merged tree (parents, the file, then `--set`): the effective scenario, e.g.
    /// for `to_toml_string` or `flatten`.
    pub raw: RawNode,
    /// The file and the parents it extends, in the order read (stdin is not listed).
    pub files: Vec<PathBuf>,
    /// The main file's bytes, as read (for hashing).
    pub bytes: Vec<u8>,
}

/// Scenario files larger than this are refused before parsing (a scenario is a few KB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Read a scenario file: only a regular file (a FIFO or a device would block or never
/// end), and at most `MAX_FILE_BYTES`.
pub fn read_scenario_file(path: &Path) -> std::io::Result<Vec<u8>> {
    // Check before opening: opening a FIFO for reading blocks until a writer appears.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MB",
            MAX_FILE_BYTES >> 20
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MB",
            MAX_FILE_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Label used for a scenario read from standard input.
pub const STDIN_LABEL: &str = "<stdin>";

/// Reads, merges, overrides and validates the scenario at `path` (`-` = stdin, whose
/// `extends` resolve from the working directory). Every problem is in the error.
pub fn load(path: &Path, sets: &[String]) -> Result<Loaded, ScenarioError> {
    let stdin = path == Path::new("-");
    let (bytes, label, dir) = if stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                ScenarioError::single(Problem::new(
                    STDIN_LABEL,
                    "",
                    None,
                    format!("cannot read: {e}"),
                ))
            })?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ScenarioError::single(Problem::new(
                STDIN_LABEL,
                "",
                None,
                format!("input larger than {} MB", MAX_FILE_BYTES >> 20),
            )));
        }
        (bytes, STDIN_LABEL.to_string(), PathBuf::new())
    } else {
        let label = path.display().to_string();
        let bytes = read_scenario_file(path).map_err(|e| {
            ScenarioError::single(Problem::new(
                &label,
                "",
                None,
                format!("cannot read scenario file: {e}"),
            ))
        })?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        (bytes, label, dir)
    };
    let canonical = if stdin {
        None
    } else {
        std::fs::canonicalize(path).ok()
    };
    let mut resolver = load::Resolver::new();
    let mut raw = resolver
        .resolve(&bytes, &label, &dir, canonical)
        .map_err(ScenarioError::new)?;
    let mut problems: Vec<Problem> = sets
        .iter()
        .filter_map(|s| apply_set(&mut raw, s).err())
        .collect();
    match validate(&raw, &label) {
        Ok(scenario) if problems.is_empty() => {
            let mut files = if stdin {
                Vec::new()
            } else {
                vec![path.to_path_buf()]
            };
            files.extend(resolver.parents);
            Ok(Loaded {
                scenario,
                raw,
                files,
                bytes,
            })
        }
        Ok(_) => Err(ScenarioError::new(problems)),
        Err(e) => {
            problems.extend(e.problems);
            Err(ScenarioError::new(problems))
        }
    }
}

/// Parses and validates scenario text labelled `label` (`extends` resolve from the
/// working directory).
pub fn parse_str(text: &str, label: &str) -> Result<Scenario, ScenarioError> {
    parse_raw(text, label).and_then(|raw| validate(&raw, label))
}

/// The raw stage only: parses `text` and merges its `extends` parents (from the working
/// directory), without validation.
pub fn parse_raw(text: &str, label: &str) -> Result<RawNode, ScenarioError> {
    load::Resolver::new()
        .resolve(text.as_bytes(), label, Path::new(""), None)
        .map_err(ScenarioError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_validates() {
        let s = parse_str(&EXAMPLE, "example.toml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.meta.name, "Example");
        assert!(matches!(s.revenue_share.rate, Scheduled::Schedule(_)));
        assert_eq!(s.uncertain_inputs().len(), 1);
    }
}
