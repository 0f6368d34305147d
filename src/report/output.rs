//! The output folder, written whole or not at all.
//!
//! A run writes into a hidden staging folder beside the target (same file system), then
//! swaps it into place: an atomic exchange (`renameat2(RENAME_EXCHANGE)`) when the target
//! exists, a plain rename when it does not. A run that fails or is killed leaves the
//! previous results untouched and no half-filled folder under the target's name.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A staging folder that becomes `target` on [`Staging::commit`], and is removed if
/// dropped before that.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// Create the staging folder beside `target` (creating `target`'s parent if needed).
    pub fn new(target: &Path) -> Result<Staging> {
        let name = target
            .file_name()
            .with_context(|| format!("output folder {} has no name", target.display()))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
        remove_stale(&parent, &name);
        let dir = tempfile::Builder::new()
            .prefix(&format!(".{name}.partial-{}-", std::process::id()))
            .tempdir_in(&parent)
            .with_context(|| format!("cannot write in {}", parent.display()))?
            .keep();
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write one file into the staging folder.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))
    }

    /// Put the staging folder in place of the target, atomically.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.target.exists() {
            if !self.target.is_dir() {
                anyhow::bail!(
                    "output {} exists and is not a folder",
                    self.target.display()
                );
            }
            match exchange(&self.dir, &self.target) {
                Ok(()) => {
                    // The old results are now in the staging path: remove them.
                    let _ = fs::remove_dir_all(&self.dir);
                }
                Err(_) => {
                    // File systems without RENAME_EXCHANGE: move the old folder aside, then
                    // rename; the old folder is only deleted once the new one is in place.
                    let aside = self.dir.with_extension("old");
                    fs::rename(&self.target, &aside)
                        .with_context(|| format!("cannot replace {}", self.target.display()))?;
                    if let Err(e) = fs::rename(&self.dir, &self.target) {
                        let _ = fs::rename(&aside, &self.target);
                        return Err(e)
                            .with_context(|| format!("cannot replace {}", self.target.display()));
                    }
                    let _ = fs::remove_dir_all(&aside);
                }
            }
        } else {
            fs::rename(&self.dir, &self.target)
                .with_context(|| format!("cannot create {}", self.target.display()))?;
        }
        self.committed = true;
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

/// Atomically exchange two paths (Linux `renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them relative to cwd.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Remove staging folders left by runs that were killed (their process is gone).
fn remove_stale(parent: &Path, name: &str) {
    let prefix = format!(".{name}.partial-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let fname = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = fname.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("old.txt"), "old").unwrap();
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
        // No staging folder is left behind.
        let left: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    }
}
