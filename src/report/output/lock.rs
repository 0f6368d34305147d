//! One dealsim at a time per output folder.
//!
//! A run holds an exclusive lock (`flock` on Unix, via `File::try_lock`) on a lock file
//! beside its target, `.<name>.dealsim-lock`, from before it checks the target until its
//! staging folder is committed or removed. A second run to the same folder waits, saying
//! so on stderr, and stays interruptible. The lock file is removed by its holder while
//! still locked; a waiter that then gets the lock on the removed file notices (the path
//! no longer names its file) and starts over, so two runs never both hold it. The kernel
//! drops the lock of a killed process; its lock file stays until the next run.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::interrupt;

/// The held lock; released (and its file removed) on drop.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

/// The lock file of output folder `name` in `parent`.
pub fn lock_path(parent: &Path, name: &str) -> PathBuf {
    parent.join(format!(".{name}.dealsim-lock"))
}

impl OutputLock {
    /// Take the lock of `target` (named `name` in `parent`), waiting for another run that
    /// holds it. A signal while waiting ends the wait with [`interrupt::Interrupted`].
    pub fn acquire(parent: &Path, name: &str, target: &Path) -> Result<OutputLock> {
        let path = lock_path(parent, name);
        let mut announced = false;
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("cannot write in {}", parent.display()))?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) => {
                        if !announced {
                            let holder = fs::read_to_string(&path).unwrap_or_default();
                            eprintln!(
                                "waiting for another dealsim run writing to {} to finish \
                                 ({}; Ctrl-C to stop waiting)",
                                target.display(),
                                holder.lines().next().unwrap_or("lock held").trim()
                            );
                            announced = true;
                        }
                        interrupt::check()?;
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                    }
                }
            }
            if same_file(&file, &path) {
                let mut lock = OutputLock { file, path };
                lock.describe(target)?;
                return Ok(lock);
            }
            // The holder removed the file as we waited on it: take the new one.
        }
    }

    /// Say in the file who holds it (for the waiting message and for people).
    fn describe(&mut self, target: &Path) -> Result<()> {
        let text = format!(
            "pid {} holds this lock\ndealsim is writing {}; this file is removed when it ends.\n",
            std::process::id(),
            target.display()
        );
        self.file.set_len(0)?;
        self.file.write_all(text.as_bytes())?;
        Ok(())
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked; the lock goes with the file handle just after.
        let _ = fs::remove_file(&self.path);
    }
}

/// Does `path` still name the open `file`?
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Is the lock of `target` held by some process right now? (For tests and messages.)
pub fn is_held(parent: &Path, name: &str) -> io::Result<bool> {
    let file = match File::open(lock_path(parent, name)) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_until_the_first_lets_go() {
        let root = tempfile::tempdir().unwrap();
        let parent = root.path().to_path_buf();
        let target = parent.join("out");
        let first = OutputLock::acquire(&parent, "out", &target).unwrap();
        assert!(is_held(&parent, "out").unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        let p = parent.clone();
        let t = target.clone();
        let waiter = std::thread::spawn(move || {
            let second = OutputLock::acquire(&p, "out", &t).unwrap();
            tx.send(()).unwrap();
            drop(second);
        });
        // Locks on separate open files exclude each other even within one process.
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
        drop(first);
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the waiter got the lock");
        waiter.join().unwrap();
        assert!(!lock_path(&parent, "out").exists());
        assert!(!is_held(&parent, "out").unwrap());
    }
}
