//! Putting a finished staging folder in place of the target in one step.
//!
//! Linux: `renameat2(RENAME_EXCHANGE)` swaps the two folders atomically, so at every
//! instant the target is either the old folder or the new one. Elsewhere (or on file
//! systems without it) the old folder is first renamed aside, then the new one into
//! place; should the process die between the two, the next run finds the aside folder
//! (`.<name>.old-<pid>`) with its target missing and puts it back.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Move `staging` to `target`. Returns where the previous target now is (to be
/// disposed of by the caller), or `None` if there was none.
pub fn swap_in(staging: &Path, target: &Path, aside: &Path) -> io::Result<Option<PathBuf>> {
    if fs::symlink_metadata(target).is_err() {
        fs::rename(staging, target)?;
        return Ok(None);
    }
    if exchange(staging, target).is_ok() {
        return Ok(Some(staging.to_path_buf()));
    }
    swap_via_aside(staging, target, aside)?;
    Ok(Some(aside.to_path_buf()))
}

/// The portable swap: the old target renamed aside, then the staging folder into place.
/// If the second rename fails, the old folder goes back, so the previous output is never
/// lost (a crash between the two is repaired by the next run, see the module notes).
fn swap_via_aside(staging: &Path, target: &Path, aside: &Path) -> io::Result<()> {
    fs::rename(target, aside)?;
    if let Err(e) = fs::rename(staging, target) {
        // Put the old folder back: the target is never left missing.
        let _ = fs::rename(aside, target);
        return Err(e);
    }
    Ok(())
}

/// Atomically exchange two paths (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
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

/// No atomic exchange here: the caller falls back to two renames.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_or_renames() {
        let root = tempfile::tempdir().unwrap();
        let (s, t, a) = (
            root.path().join("s"),
            root.path().join("t"),
            root.path().join("a"),
        );
        fs::create_dir(&s).unwrap();
        fs::write(s.join("new"), "1").unwrap();
        assert_eq!(swap_in(&s, &t, &a).unwrap(), None);
        assert!(t.join("new").exists() && !s.exists());
        fs::create_dir(&s).unwrap();
        fs::write(s.join("newer"), "2").unwrap();
        let old = swap_in(&s, &t, &a).unwrap().expect("old folder");
        assert!(t.join("newer").exists() && !t.join("new").exists());
        assert!(old.join("new").exists());
    }

    /// The fallback used where there is no atomic exchange: it swaps, and when the new
    /// folder cannot be moved in, the previous output is back in place, untouched.
    #[test]
    fn the_portable_fallback_never_loses_the_previous_output() {
        let root = tempfile::tempdir().unwrap();
        let (s, t, a) = (
            root.path().join("s"),
            root.path().join("t"),
            root.path().join("a"),
        );
        fs::create_dir(&t).unwrap();
        fs::write(t.join("old"), "0").unwrap();
        fs::create_dir(&s).unwrap();
        fs::write(s.join("new"), "1").unwrap();
        swap_via_aside(&s, &t, &a).unwrap();
        assert!(t.join("new").exists() && a.join("old").exists() && !s.exists());
        // No staging folder to move in: the rename fails and the target is restored.
        fs::remove_dir_all(&a).unwrap();
        let missing = root.path().join("missing");
        assert!(swap_via_aside(&missing, &t, &a).is_err());
        assert_eq!(fs::read_to_string(t.join("new")).unwrap(), "1");
        assert!(!a.exists());
    }
}
