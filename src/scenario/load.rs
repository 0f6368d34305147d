//! Reading scenario files: bytes -> text -> raw tree, following `extends` chains.
//!
//! `extends = "parent.toml"` (top level, a path relative to the file that says it; for
//! stdin, relative to the working directory) loads the parent first and deep-merges the
//! child over it (see `edit::merge`). The `extends` key itself is removed, so the merged
//! tree is a complete scenario on its own. Cycles and missing parents are errors that
//! name the chain or the file; chains are limited to `MAX_DEPTH` files.
//!
//! A scenario may come from someone else, and its `extends` can point anywhere: so a
//! parent must be a `.toml` file (as written and once symlinks are resolved), and a
//! parent that is not valid TOML is reported by file, line and kind of problem only,
//! never quoting its text (`extends = "../.env"` must not print a password). The main
//! file's own syntax errors do quote the offending line: it is the user's own file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::edit::merge;
use super::error::Problem;
use super::raw::{decode, parse_document_with, Echo, RawNode, RawValue};

/// Longest `extends` chain followed (a guard, far above any sensible layering).
const MAX_DEPTH: usize = 32;

/// One file in an `extends` chain: its label (as shown in messages) and, for real
/// files, its canonical path (to detect cycles however the path is spelt).
struct Link {
    label: String,
    canonical: Option<PathBuf>,
}

/// The files read while resolving, and the chain being followed.
pub struct Resolver {
    chain: Vec<Link>,
    /// Parent files read, in the order they were read (the main file is not included).
    pub parents: Vec<PathBuf>,
}

impl Resolver {
    pub fn new() -> Resolver {
        Resolver {
            chain: Vec::new(),
            parents: Vec::new(),
        }
    }

    /// Parses `bytes` (labelled `label`, relative paths resolved from `dir`) and merges
    /// it over its `extends` parents.
    pub fn resolve(
        &mut self,
        bytes: &[u8],
        label: &str,
        dir: &Path,
        canonical: Option<PathBuf>,
    ) -> Result<RawNode, Vec<Problem>> {
        let file: Arc<str> = Arc::from(label);
        let text = decode(bytes, label).map_err(|p| vec![p])?;
        // The chain is empty while reading the main file; anything deeper is a parent.
        let echo = if self.chain.is_empty() {
            Echo::Quote
        } else {
            Echo::Withhold
        };
        let mut root = parse_document_with(text, &file, echo)?;
        let Some(ext) = take_extends(&mut root) else {
            return Ok(root);
        };
        let fail = |msg: String| vec![Problem::new(label, "extends", ext.origin.line, msg)];
        let RawValue::Str(rel) = &ext.value else {
            return Err(fail(format!(
                "expected a string (the parent scenario's path, relative to this file), found {}",
                ext.type_name()
            )));
        };
        if !is_toml(Path::new(rel)) {
            return Err(fail(format!(
                "\"{rel}\" is not a .toml file: extends must name a scenario file ending in .toml"
            )));
        }
        let parent_path = dir.join(rel);
        let parent_label = parent_path.display().to_string();
        let canon = fs::canonicalize(&parent_path)
            .map_err(|e| fail(format!("cannot read parent scenario {parent_label}: {e}")))?;
        if !is_toml(&canon) {
            return Err(fail(format!(
                "\"{rel}\" leads to {}, which is not a .toml file: extends must name a scenario file ending in .toml",
                canon.display()
            )));
        }
        self.chain.push(Link {
            label: label.to_string(),
            canonical,
        });
        if self
            .chain
            .iter()
            .any(|l| l.canonical.as_ref() == Some(&canon))
        {
            let mut names: Vec<&str> = self.chain.iter().map(|l| l.label.as_str()).collect();
            names.push(&parent_label);
            return Err(fail(format!("extends cycle: {}", names.join(" -> "))));
        }
        if self.chain.len() >= MAX_DEPTH {
            return Err(fail(format!("extends chain longer than {MAX_DEPTH} files")));
        }
        let parent_bytes = super::read_scenario_file(&canon)
            .map_err(|e| fail(format!("cannot read parent scenario {parent_label}: {e}")))?;
        self.parents.push(parent_path.clone());
        let parent_dir = parent_path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut base = self.resolve(&parent_bytes, &parent_label, &parent_dir, Some(canon))?;
        self.chain.pop();
        merge(&mut base, root);
        Ok(base)
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

/// Whether `path` names a `.toml` file (the extension in any case, as on the file
/// systems that ignore case).
fn is_toml(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

/// Removes and returns the top-level `extends` entry.
fn take_extends(root: &mut RawNode) -> Option<RawNode> {
    let RawValue::Table(entries) = &mut root.value else {
        return None;
    };
    let i = entries.iter().position(|(k, _)| k == "extends")?;
    Some(entries.remove(i).1)
}
