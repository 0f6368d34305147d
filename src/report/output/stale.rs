//! Leftovers of runs that were killed (SIGKILL, power loss) beside an output folder.
//!
//! A staging folder `.<name>.partial-<pid>-<random>` is removed only if it carries the
//! staging marker and process `<pid>` is gone. An old output folder caught mid-swap
//! (`.<name>.partial-...` after an exchange, `.<name>.old-<pid>` after the portable
//! fallback) is put back when the target is missing, else removed file by file through
//! its ownership marker. Anything else is left alone.

use std::fs;
use std::path::Path;

use super::owner::{self, MARKER, STAGING_MARKER};

/// Staging folder prefix of output folder `name`.
pub fn staging_prefix(name: &str) -> String {
    format!(".{name}.partial-")
}

/// Aside folder name of output folder `name` for process `pid` (portable swap).
pub fn aside_name(name: &str, pid: u32) -> String {
    format!(".{name}.old-{pid}")
}

/// Clean up after dead runs to `target` (named `name` in `parent`). Called with the
/// target's lock held, so no live run is mid-swap.
pub fn clean(parent: &Path, name: &str, target: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let staging = staging_prefix(name);
    let aside = format!(".{name}.old-");
    for e in entries.flatten() {
        let fname = e.file_name().to_string_lossy().into_owned();
        let (rest, is_aside) = if let Some(r) = fname.strip_prefix(&staging) {
            (r, false)
        } else if let Some(r) = fname.strip_prefix(&aside) {
            (r, true)
        } else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let path = e.path();
        if !e.file_type().is_ok_and(|t| t.is_dir()) || process_alive(pid) {
            continue;
        }
        let has = |m: &str| fs::symlink_metadata(path.join(m)).is_ok_and(|m| m.is_file());
        if !is_aside && has(STAGING_MARKER) {
            let _ = fs::remove_dir_all(&path);
        } else if has(MARKER) {
            if is_aside && fs::symlink_metadata(target).is_err() {
                if fs::rename(&path, target).is_ok() {
                    eprintln!(
                        "note: put back {} (the previous output), left aside by a run that died",
                        target.display()
                    );
                }
            } else if let Ok(left) = owner::remove_owned(&path) {
                if !left.is_empty() {
                    eprintln!(
                        "note: {} holds files dealsim did not write ({}); left as it is",
                        path.display(),
                        left.join(", ")
                    );
                }
            }
        }
    }
}

/// Is process `pid` alive? (`kill(pid, 0)`: portable across Unix, no /proc needed.)
/// Unknown answers count as alive, so nothing of a live run is removed.
pub fn process_alive(pid: u32) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if p <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    if unsafe { libc::kill(p, 0) } == 0 {
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid that no process has: past the kernel's maximum.
    const DEAD: u32 = 999_999_999;

    #[test]
    fn liveness() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(DEAD));
        assert!(process_alive(0));
    }

    #[test]
    fn only_marked_folders_of_dead_runs_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path();
        let target = p.join("out");
        let mk = |n: &str, marker: Option<&str>| {
            let d = p.join(n);
            fs::create_dir(&d).unwrap();
            fs::write(d.join("summary.csv"), "x").unwrap();
            if let Some(m) = marker {
                fs::write(d.join(m), "").unwrap();
            }
            d
        };
        let dead_marked = mk(&format!(".out.partial-{DEAD}-a"), Some(STAGING_MARKER));
        let dead_unmarked = mk(&format!(".out.partial-{DEAD}-b"), None);
        let live_marked = mk(
            &format!(".out.partial-{}-c", std::process::id()),
            Some(STAGING_MARKER),
        );
        let other_name = mk(&format!(".other.partial-{DEAD}-d"), Some(STAGING_MARKER));
        clean(p, "out", &target);
        assert!(!dead_marked.exists());
        assert!(dead_unmarked.join("summary.csv").exists());
        assert!(live_marked.join("summary.csv").exists());
        assert!(other_name.join("summary.csv").exists());
    }

    #[test]
    fn an_aside_folder_is_put_back_when_the_target_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path();
        let target = p.join("out");
        let aside = p.join(aside_name("out", DEAD));
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("summary.csv"), "old").unwrap();
        owner::write_marker(&aside).unwrap();
        clean(p, "out", &target);
        assert_eq!(
            fs::read_to_string(target.join("summary.csv")).unwrap(),
            "old"
        );
        assert!(!aside.exists());
        // With the target in place, an aside folder is old output: removed.
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("summary.csv"), "older").unwrap();
        owner::write_marker(&aside).unwrap();
        clean(p, "out", &target);
        assert!(!aside.exists());
        assert_eq!(
            fs::read_to_string(target.join("summary.csv")).unwrap(),
            "old"
        );
    }
}
