//! Which folders dealsim may replace: its ownership marker.
//!
//! Every output folder dealsim writes holds a `.dealsim-output` file listing every folder
//! and file it wrote there, each file with its size, modification time and SHA-256. A
//! folder may be replaced only while it holds nothing but what its marker lists,
//! unchanged: a marker copied into a folder of someone's own files lists none of them, and
//! an edited CSV no longer matches its hash, so either makes dealsim refuse. A file with
//! its recorded size and modification time is taken as unchanged without reading it (as
//! `git status` does), so a large paths.csv is hashed once, when written; a copied folder
//! (new times) is checked by hash. Deleting the old output goes file by file through the
//! same list, so even a file that appears at the last moment survives.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The marker in every output folder dealsim writes.
pub const MARKER: &str = ".dealsim-output";
/// The marker in a staging folder while a run writes it.
pub const STAGING_MARKER: &str = ".dealsim-staging";

/// First line of a marker.
const HEADER: &str = "dealsim output folder";

const EXPLANATION: &str = "\
This folder was written by dealsim. A later dealsim run with this folder as its output
replaces it only while it holds nothing but the folders and files listed below,
unchanged. Anything else in it (a note, a scenario, an edited CSV) makes dealsim refuse
to replace it. Delete this file to keep the folder: dealsim then never replaces it.
";

/// What a marker lists: folders, and files with their stamp and SHA-256 (hex).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    pub dirs: BTreeSet<String>,
    pub files: BTreeMap<String, (Stamp, String)>,
}

/// A file's size and modification time (ns since the Unix epoch; 0 if unknown).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: u128,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Stamp {
            size: meta.len(),
            mtime_ns,
        }
    }
}

impl Listing {
    /// Everything under `dir` except the markers, relative paths with `/`. Symbolic
    /// links and special files are an error: dealsim never writes them.
    pub fn of(dir: &Path) -> io::Result<Listing> {
        let mut l = Listing::default();
        walk(dir, "", &mut |rel, kind, path| {
            match kind {
                Kind::Dir => {
                    l.dirs.insert(rel.to_string());
                }
                Kind::File(stamp) => {
                    l.files.insert(rel.to_string(), (stamp, sha256_file(path)?));
                }
                Kind::Other => {
                    return Err(io::Error::other(format!(
                        "{} is neither a file nor a folder",
                        path.display()
                    )))
                }
            }
            Ok(true)
        })?;
        Ok(l)
    }

    /// The marker's text.
    pub fn to_text(&self) -> String {
        let mut t = format!(
            "{HEADER}\nwritten by dealsim {}\n\n{EXPLANATION}\n",
            env!("CARGO_PKG_VERSION")
        );
        for d in &self.dirs {
            t.push_str(&format!("dir {d}\n"));
        }
        for (f, (st, hash)) in &self.files {
            t.push_str(&format!("file {} {} {hash} {f}\n", st.size, st.mtime_ns));
        }
        t
    }

    /// A marker's text back; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Listing> {
        let mut lines = text.lines();
        if lines.next()? != HEADER {
            return None;
        }
        let mut l = Listing::default();
        for line in lines {
            if let Some(d) = line.strip_prefix("dir ") {
                l.dirs.insert(d.to_string());
            } else if let Some(rest) = line.strip_prefix("file ") {
                let mut parts = rest.splitn(4, ' ');
                let size = parts.next()?.parse().ok()?;
                let mtime_ns = parts.next()?.parse().ok()?;
                let hash = parts.next()?;
                let name = parts.next()?;
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                l.files.insert(
                    name.to_string(),
                    (Stamp { size, mtime_ns }, hash.to_string()),
                );
            }
        }
        Some(l)
    }

    /// Read `dir`'s marker; `None` if there is none or it is not one.
    pub fn read(dir: &Path) -> Option<Listing> {
        let p = dir.join(MARKER);
        let meta = fs::symlink_metadata(&p).ok()?;
        if !meta.is_file() {
            return None;
        }
        Listing::parse(&fs::read_to_string(p).ok()?)
    }

    /// Is the file at `path` (relative `rel`) the one listed, unchanged? Same size and
    /// time: yes; same size, other time (a copy): if its SHA-256 matches.
    fn matches(&self, rel: &str, stamp: Stamp, path: &Path) -> Result<bool, io::Error> {
        match self.files.get(rel) {
            Some((s, _)) if *s == stamp && s.mtime_ns != 0 => Ok(true),
            Some((s, h)) if s.size == stamp.size => Ok(sha256_file(path)? == *h),
            _ => Ok(false),
        }
    }
}

/// Write `dir`'s marker listing everything in it (the staging marker is removed first:
/// from here on the folder is complete output).
pub fn write_marker(dir: &Path) -> io::Result<()> {
    match fs::remove_file(dir.join(STAGING_MARKER)) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listing = Listing::of(dir)?;
    fs::write(dir.join(MARKER), listing.to_text())
}

/// What in a folder dealsim did not write: a few examples, and whether there are more.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Foreign {
    pub examples: Vec<String>,
    pub more: bool,
}

impl Foreign {
    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// `a, b/, c (changed since dealsim wrote it) and more`.
    pub fn describe(&self) -> String {
        let mut s = self.examples.join(", ");
        if self.more {
            s.push_str(" and more");
        }
        s
    }
}

/// What in `dir` dealsim did not write, up to `limit` examples (folders end in `/`).
/// Empty: the folder is empty or holds only its own earlier output.
pub fn foreign(dir: &Path, limit: usize) -> io::Result<Foreign> {
    let mut f = Foreign::default();
    let mut push = |name: String| {
        if f.examples.len() < limit {
            f.examples.push(name);
            Ok(true)
        } else {
            f.more = true;
            Ok(false)
        }
    };
    let Some(listing) = Listing::read(dir) else {
        // No marker: every entry is someone else's. Name a few without walking further
        // (the folder may be a home directory).
        let mut names: Vec<String> = fs::read_dir(dir)?
            .map(|e| {
                let e = e?;
                let dir = e.file_type()?.is_dir();
                Ok(format!(
                    "{}{}",
                    e.file_name().to_string_lossy(),
                    if dir { "/" } else { "" }
                ))
            })
            .collect::<io::Result<_>>()?;
        names.sort();
        for n in names {
            if !push(n)? {
                break;
            }
        }
        return Ok(f);
    };
    walk(dir, "", &mut |rel, kind, path| match kind {
        Kind::Dir if listing.dirs.contains(rel) => Ok(true),
        Kind::Dir => push(format!("{rel}/")).map(|_| false),
        Kind::File(stamp) if listing.matches(rel, stamp, path)? => Ok(true),
        Kind::File(_) if listing.files.contains_key(rel) => {
            push(format!("{rel} (changed since dealsim wrote it)"))
        }
        _ => push(rel.to_string()),
    })?;
    Ok(f)
}

/// Delete what `dir`'s marker lists, unchanged, then the marker and `dir` itself if
/// nothing else is left. Returns what was left (someone else's files), empty when `dir`
/// is gone.
pub fn remove_owned(dir: &Path) -> io::Result<Vec<String>> {
    let listing = Listing::read(dir).unwrap_or_default();
    let mut left = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    walk(dir, "", &mut |rel, kind, path| {
        match kind {
            Kind::File(stamp) if listing.matches(rel, stamp, path)? => fs::remove_file(path)?,
            Kind::Dir if listing.dirs.contains(rel) => {
                dirs.push(path.to_path_buf());
                return Ok(true);
            }
            _ => left.push(rel.to_string()),
        }
        Ok(false)
    })?;
    // Deepest first: a folder is removed once its own files are.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        if fs::remove_dir(&d).is_err() {
            // Still holds something not listed, already counted in `left`.
        }
    }
    if left.is_empty() {
        let _ = fs::remove_file(dir.join(MARKER));
        match fs::remove_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(_) => left.push(String::from("(the folder itself is not empty)")),
        }
    }
    Ok(left)
}

/// What `walk` reports of an entry.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Dir,
    File(Stamp),
    /// A symbolic link, socket, device...: never written by dealsim, never followed.
    Other,
}

/// Visit every entry under `dir` except the two markers at its top, in name order,
/// calling `f(relative path, kind, full path)`; a folder is entered only when `f`
/// returns `true` for it.
fn walk(
    dir: &Path,
    prefix: &str,
    f: &mut dyn FnMut(&str, Kind, &Path) -> io::Result<bool>,
) -> io::Result<()> {
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)?.collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if prefix.is_empty() && (name == MARKER || name == STAGING_MARKER) {
            continue;
        }
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = e.path();
        // `DirEntry::file_type` does not follow symbolic links.
        let t = e.file_type()?;
        let kind = if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File(Stamp::of(&e.metadata()?))
        } else {
            Kind::Other
        };
        if f(&rel, kind, &path)? && matches!(kind, Kind::Dir) {
            walk(&path, &rel, f)?;
        }
    }
    Ok(())
}

fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finished output folder: two files, a chart folder, its marker.
    fn output(root: &Path) -> PathBuf {
        let d = root.join("out");
        fs::create_dir_all(d.join("charts")).unwrap();
        fs::write(d.join("summary.csv"), "metric\n").unwrap();
        fs::write(d.join("charts/a.svg"), "<svg/>").unwrap();
        write_marker(&d).unwrap();
        d
    }

    #[test]
    fn marker_round_trips_and_lists_every_entry() {
        let root = tempfile::tempdir().unwrap();
        let d = output(root.path());
        let l = Listing::read(&d).unwrap();
        assert_eq!(l.dirs.iter().collect::<Vec<_>>(), ["charts"]);
        assert_eq!(
            l.files.keys().collect::<Vec<_>>(),
            ["charts/a.svg", "summary.csv"]
        );
        // Size and SHA-256 of "metric\n", from coreutils: `printf 'metric\n' | sha256sum`.
        let (stamp, hash) = &l.files["summary.csv"];
        assert_eq!(stamp.size, 7);
        assert_eq!(
            hash,
            "03d816f976c42152369d926b1fc62cd512f780589d678b1f35b8271a33dbe1ad"
        );
        let mtime = fs::metadata(d.join("summary.csv"))
            .unwrap()
            .modified()
            .unwrap();
        let ns = mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        assert_eq!(stamp.mtime_ns, ns);
        assert_eq!(Listing::parse(&l.to_text()), Some(l));
        assert_eq!(Listing::parse("some notes\nfile 1 ab x\n"), None);
        assert_eq!(Listing::parse(&format!("{HEADER}\nfile 1 2 zz x\n")), None);
    }

    #[test]
    fn own_output_and_empty_folders_are_replaceable() {
        let root = tempfile::tempdir().unwrap();
        let d = output(root.path());
        assert!(foreign(&d, 5).unwrap().is_empty());
        // A listed file the user deleted: still only dealsim's files left.
        fs::remove_file(d.join("charts/a.svg")).unwrap();
        assert!(foreign(&d, 5).unwrap().is_empty());
        let e = root.path().join("empty");
        fs::create_dir(&e).unwrap();
        assert!(foreign(&e, 5).unwrap().is_empty());
    }

    #[test]
    fn a_new_time_means_the_hash_decides() {
        let root = tempfile::tempdir().unwrap();
        let d = output(root.path());
        let p = d.join("summary.csv");
        let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let touch = |bytes: &[u8]| {
            fs::write(&p, bytes).unwrap();
            let f = fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(long_ago).unwrap();
        };
        // The same bytes at another time (a copy): still dealsim's.
        touch(b"metric\n");
        assert!(foreign(&d, 5).unwrap().is_empty());
        // Same size, other bytes, other time: an edit.
        touch(b"metrix\n");
        assert_eq!(
            foreign(&d, 5).unwrap().examples,
            ["summary.csv (changed since dealsim wrote it)"]
        );
        assert_eq!(remove_owned(&d).unwrap(), ["summary.csv"]);
    }

    #[test]
    fn anything_else_is_foreign() {
        let root = tempfile::tempdir().unwrap();
        let d = output(root.path());
        fs::write(d.join("charts/notes.txt"), "mine").unwrap();
        fs::create_dir(d.join(".git")).unwrap();
        fs::write(d.join("summary.csv"), "metric\nedited\n").unwrap();
        std::os::unix::fs::symlink("/etc", d.join("link")).unwrap();
        let f = foreign(&d, 10).unwrap();
        assert_eq!(
            f.examples,
            [
                ".git/",
                "charts/notes.txt",
                "link",
                "summary.csv (changed since dealsim wrote it)"
            ]
        );
        assert!(!f.more);
        let f = foreign(&d, 2).unwrap();
        assert_eq!(f.examples.len(), 2);
        assert!(f.more);
        assert!(f.describe().ends_with(" and more"), "{}", f.describe());
    }

    #[test]
    fn a_copied_marker_does_not_cover_other_files() {
        let root = tempfile::tempdir().unwrap();
        let d = output(root.path());
        let mine = root.path().join("mine");
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("thesis.docx"), "years of work").unwrap();
        fs::copy(d.join(MARKER), mine.join(MARKER)).unwrap();
        assert_eq!(foreign(&mine, 5).unwrap().examples, ["thesis.docx"]);
        // Even a file of a listed name but other content.
        fs::write(mine.join("summary.csv"), "my own table\n").unwrap();
        let f = foreign(&mine, 5).unwrap();
        assert!(f
            .examples
            .contains(&"summary.csv (changed since dealsim wrote it)".into()));
    }

    #[test]
    fn without_a_marker_a_few_top_level_names_are_given() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path();
        for n in ["b.txt", "a.txt", "c.txt"] {
            fs::write(d.join(n), "x").unwrap();
        }
        fs::create_dir(d.join("sub")).unwrap();
        let f = foreign(d, 3).unwrap();
        assert_eq!(f.examples, ["a.txt", "b.txt", "c.txt"]);
        assert!(f.more);
        assert_eq!(foreign(d, 9).unwrap().examples[3], "sub/");
    }

    #[test]
    fn removal_deletes_only_listed_unchanged_files() {
        let root = tempfile::tempdir().unwrap();
        let d = output(root.path());
        assert!(remove_owned(&d).unwrap().is_empty());
        assert!(!d.exists());
        let d = output(root.path());
        fs::write(d.join("charts/notes.txt"), "mine").unwrap();
        fs::write(d.join("summary.csv"), "edited").unwrap();
        let left = remove_owned(&d).unwrap();
        assert_eq!(left, ["charts/notes.txt", "summary.csv"]);
        assert_eq!(
            fs::read_to_string(d.join("charts/notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(fs::read_to_string(d.join("summary.csv")).unwrap(), "edited");
        assert!(!d.join("charts/a.svg").exists());
        // Without a marker nothing is deleted.
        let mine = root.path().join("mine");
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("x"), "x").unwrap();
        assert_eq!(remove_owned(&mine).unwrap(), ["x"]);
        assert!(mine.join("x").exists());
    }
}
