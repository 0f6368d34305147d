//! The output folder: written whole or not at all, and never over someone else's files.
//!
//! A run writes into a hidden staging folder beside the target (same file system) and
//! swaps it into place only when complete ([`swap`]): a run that fails, is killed or is
//! interrupted leaves the previous results untouched and no half-filled folder under the
//! target's name. Before anything is simulated, [`Staging::new`] checks that the target
//! may be replaced at all ([`owner`]: it does not exist, is empty, or holds only dealsim's
//! own earlier output), takes the target's lock ([`lock`]) and clears leftovers of dead
//! runs ([`stale`]). Names made from user text go through [`names`]. Every command that
//! writes an output folder goes through here, by way of [`Outputs`].

pub mod lock;
pub mod names;
pub mod owner;
pub mod stale;
pub mod swap;
mod writer;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::interrupt;
use lock::OutputLock;
pub use writer::Outputs;

/// The output folder may not be replaced (exit 2: the command line asks for something
/// dealsim refuses to do). Nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// How many of someone else's files a refusal names.
const EXAMPLES: usize = 5;

/// A staging folder that becomes `target` on [`Staging::commit`], and is removed if
/// dropped before that.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    aside: PathBuf,
    committed: bool,
    /// Dropped last (fields drop after `Drop::drop`): the lock outlives the folder.
    _lock: OutputLock,
}

impl Staging {
    /// Check that `target` may be replaced, lock it, and create the staging folder beside
    /// it (creating `target`'s parent if needed). A target that may not be replaced is
    /// [`Refused`] before anything is written.
    pub fn new(target: &Path) -> Result<Staging> {
        interrupt::install();
        let name = target_name(target)?;
        check_target(target)?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
        let lock = OutputLock::acquire(&parent, &name, target)?;
        interrupt::check()?;
        // Another run may have written the target while this one waited.
        check_target(target)?;
        stale::clean(&parent, &name, target);
        let dir = tempfile::Builder::new()
            .prefix(&format!(
                "{}{}-",
                stale::staging_prefix(&name),
                std::process::id()
            ))
            .tempdir_in(&parent)
            .with_context(|| format!("cannot write in {}", parent.display()))?
            .keep();
        let staging = Staging {
            aside: parent.join(stale::aside_name(&name, std::process::id())),
            dir,
            target: target.to_path_buf(),
            committed: false,
            _lock: lock,
        };
        let marker = staging.dir.join(owner::STAGING_MARKER);
        fs::write(
            &marker,
            format!(
                "dealsim staging folder of process {}: becomes {} when the run completes; \
                 removed if it does not.\n",
                std::process::id(),
                target.display()
            ),
        )
        .with_context(|| format!("cannot write {}", marker.display()))?;
        Ok(staging)
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write one file into the staging folder (stops first if the run was interrupted).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        interrupt::checkpoint("write")?;
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Put the staging folder in place of the target, atomically. Either the new output
    /// is fully in place, or (interrupted, refused, failed) the old one is untouched: the
    /// last interruption check comes right before the one-step swap.
    pub fn commit(mut self) -> Result<PathBuf> {
        interrupt::checkpoint("commit")?;
        owner::write_marker(&self.dir)
            .with_context(|| format!("cannot write {}", self.dir.display()))?;
        // Someone may have put files into the target while this run simulated.
        check_target(&self.target)?;
        interrupt::check()?;
        let old = swap::swap_in(&self.dir, &self.target, &self.aside)
            .with_context(|| format!("cannot replace {}", self.target.display()))?;
        self.committed = true;
        if let Some(old) = old {
            dispose(&old, &self.target);
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The target's last component; `.`, `..` and `/` name no folder dealsim can replace.
fn target_name(target: &Path) -> Result<String> {
    match target.file_name() {
        Some(n) if !target.ends_with("..") => Ok(n.to_string_lossy().into_owned()),
        _ => Err(Refused(format!(
            "output folder {}: give a named folder (e.g. --out output/run1); '.', '..' and '/' \
             cannot be replaced. Nothing was written.",
            target.display()
        ))
        .into()),
    }
}

/// May `target` be replaced? Not if it is a symbolic link, not a folder, or a folder
/// holding anything dealsim did not write.
fn check_target(target: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", target.display()));
        }
    };
    let refuse = |what: String| -> Result<()> {
        Err(Refused(format!(
            "output folder {} {what}. Choose another --out. Nothing was written.",
            target.display()
        ))
        .into())
    };
    if meta.file_type().is_symlink() {
        let to = fs::read_link(target)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "?".into());
        return refuse(format!(
            "is a symbolic link (to {to}); dealsim does not replace links or write through \
             them, give the real folder"
        ));
    }
    if !meta.is_dir() {
        return refuse("exists and is not a folder".into());
    }
    let foreign = owner::foreign(target, EXAMPLES)
        .with_context(|| format!("cannot read {}", target.display()))?;
    if foreign.is_empty() {
        Ok(())
    } else {
        refuse(format!(
            "holds files dealsim did not write, which replacing it would delete: {}. dealsim \
             replaces only a folder that does not exist, is empty, or holds nothing but its \
             own earlier output (listed in its {}); it never deletes files it did not write",
            foreign.describe(),
            owner::MARKER
        ))
    }
}

/// Remove the previous output (now at `old`) file by file; what was not dealsim's stays,
/// moved to a visible folder beside the target with a note.
fn dispose(old: &Path, target: &Path) {
    match owner::remove_owned(old) {
        Ok(left) if left.is_empty() => {}
        Ok(left) => {
            let kept = (1..)
                .map(|i| {
                    let mut n = target.as_os_str().to_os_string();
                    n.push(format!(".kept-{i}"));
                    PathBuf::from(n)
                })
                .find(|p| fs::symlink_metadata(p).is_err())
                .unwrap_or_else(|| old.to_path_buf());
            let at = if fs::rename(old, &kept).is_ok() {
                kept
            } else {
                old.to_path_buf()
            };
            eprintln!(
                "note: files dealsim did not write appeared in {} during the run ({}); \
                 they are kept in {}",
                target.display(),
                left.join(", "),
                at.display()
            );
        }
        Err(e) => eprintln!(
            "note: the previous output could not be removed completely from {}: {e}",
            old.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        {
            let s = Staging::new(&target).unwrap();
            s.write("old.txt", b"old").unwrap();
            s.commit().unwrap();
        }
        {
            let s = Staging::new(&target).unwrap();
            s.write("new.txt", b"new").unwrap();
            // Dropped without commit: the old folder stays as it was.
        }
        assert!(target.join("old.txt").exists());
        assert!(!target.join("new.txt").exists());
        let s = Staging::new(&target).unwrap();
        s.write("new.txt", b"new").unwrap();
        s.commit().unwrap();
        assert!(!target.join("old.txt").exists());
        assert_eq!(fs::read_to_string(target.join("new.txt")).unwrap(), "new");
        // No staging folder or lock file is left behind.
        assert_eq!(entries(root.path()), ["out"]);
        assert_eq!(entries(&target), [owner::MARKER, "new.txt"]);
    }

    #[test]
    fn someone_elses_folder_is_refused_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("mine");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("notes.txt"), "mine").unwrap();
        let e = Staging::new(&target).unwrap_err();
        let msg = e.to_string();
        assert!(e.downcast_ref::<Refused>().is_some(), "{msg}");
        assert!(msg.contains("notes.txt") && msg.contains("mine"), "{msg}");
        assert_eq!(entries(root.path()), ["mine"]);
        for t in [".", "..", "/", "a/.."] {
            let e = Staging::new(Path::new(t)).unwrap_err();
            assert!(e.downcast_ref::<Refused>().is_some(), "{t}: {e}");
        }
    }

    #[test]
    fn files_dropped_in_during_the_run_stop_the_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        Staging::new(&target).unwrap().commit().unwrap();
        let s = Staging::new(&target).unwrap();
        s.write("new.txt", b"new").unwrap();
        fs::write(target.join("notes.txt"), "mine").unwrap();
        let e = s.commit().unwrap_err();
        assert!(e.downcast_ref::<Refused>().is_some(), "{e}");
        assert_eq!(entries(&target), [owner::MARKER, "notes.txt"]);
        assert_eq!(entries(root.path()), ["out"]);
    }

    #[test]
    fn leftovers_of_the_old_folder_are_kept_visibly() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let old = root.path().join("old");
        fs::create_dir(&old).unwrap();
        fs::write(old.join("a.csv"), "a").unwrap();
        owner::write_marker(&old).unwrap();
        fs::write(old.join("late.txt"), "mine").unwrap();
        dispose(&old, &target);
        assert!(!old.exists());
        let kept = root.path().join("out.kept-1");
        assert_eq!(entries(&kept), [owner::MARKER, "late.txt"]);
    }
}
