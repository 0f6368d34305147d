//! Part files: what one task leaves for the merge. Written atomically (a hidden temp file
//! in the same folder, synced, then renamed over the final name), so a killed task leaves
//! either no part or a whole one; re-running a task rewrites the same bytes.
//!
//! Layout: the line `dealsim-part/1`, one line of JSON [`Header`], then `body_bytes` of
//! little-endian binary whose layout depends on the plan's kind (see `sweep::task`).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::{Plan, PARTS_DIR};

const MAGIC: &str = "dealsim-part/1";

/// Who wrote a part and for which plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub plan_hash: String,
    pub dealsim_version: String,
    pub task: usize,
    pub body_bytes: u64,
}

/// `parts/task-000007.part`.
pub fn file_name(task: usize) -> String {
    format!("task-{task:06}.part")
}

/// Write task `task`'s part into `plan_dir/parts/`: `body` must write exactly
/// `body_bytes` bytes. Returns the part's path.
pub fn write(
    plan_dir: &Path,
    plan: &Plan,
    task: usize,
    body_bytes: u64,
    body: impl FnOnce(&mut (dyn Write + Send)) -> anyhow::Result<()>,
) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    let dir = plan_dir.join(PARTS_DIR);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = file_name(task);
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempfile_in(&dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let header = Header {
        plan_hash: plan.hash.clone(),
        dealsim_version: env!("CARGO_PKG_VERSION").to_string(),
        task,
        body_bytes,
    };
    let mut w = Counting {
        inner: BufWriter::new(tmp.as_file()),
        n: 0,
    };
    writeln!(w.inner, "{MAGIC}")?;
    serde_json::to_writer(&mut w.inner, &header)?;
    writeln!(w.inner)?;
    body(&mut w)?;
    anyhow::ensure!(
        w.n == body_bytes,
        "part of task {task}: wrote {} bytes, expected {body_bytes} (a bug)",
        w.n
    );
    w.inner.flush()?;
    drop(w);
    // Readable by the merge even when it runs under another account of the cluster.
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    let path = dir.join(&name);
    tmp.persist(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A writer that counts bytes (to check a body's length).
struct Counting<W: Write> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One part found on disk: its file, its header, and where its body starts.
#[derive(Debug, Clone)]
pub struct Part {
    pub path: PathBuf,
    pub header: Header,
    pub body_offset: u64,
}

impl Part {
    /// The body, positioned at `offset` bytes into it.
    pub fn open_at(&self, offset: u64) -> io::Result<BufReader<File>> {
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(self.body_offset + offset))?;
        Ok(BufReader::new(f))
    }
}

/// Read a part's header (and check its length).
pub fn read(path: &Path) -> Result<Part, String> {
    let bad = |m: String| format!("{}: {m}", path.display());
    let f = File::open(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let len = f.metadata().map_err(|e| bad(e.to_string()))?.len();
    let mut r = BufReader::new(f.take(64 << 10));
    let mut magic = String::new();
    r.read_line(&mut magic).map_err(|e| bad(e.to_string()))?;
    if magic.trim_end() != MAGIC {
        return Err(bad("not a dealsim part file".into()));
    }
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| bad(e.to_string()))?;
    let header: Header =
        serde_json::from_str(&line).map_err(|e| bad(format!("unreadable part header: {e}")))?;
    let body_offset = (magic.len() + line.len()) as u64;
    if len != body_offset + header.body_bytes {
        return Err(bad(format!(
            "truncated or padded: {} bytes of body, the header says {}; run its task again",
            len.saturating_sub(body_offset),
            header.body_bytes
        )));
    }
    Ok(Part {
        path: path.to_path_buf(),
        header,
        body_offset,
    })
}

/// Every task's part, in task order, or an error listing what is wrong: parts missing,
/// two files for one task, parts of another plan or another dealsim version, and files
/// that are not parts. Hidden files (a task's temp file, left by a killed task) are
/// ignored.
pub fn collect(plan_dir: &Path, plan: &Plan) -> Result<Vec<Part>, String> {
    let dir = plan_dir.join(PARTS_DIR);
    let mut problems = Vec::new();
    let mut found: BTreeMap<usize, Vec<Part>> = BTreeMap::new();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e.flatten().collect::<Vec<_>>(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot list {}: {e}", dir.display())),
    };
    let mut paths: Vec<PathBuf> = entries
        .into_iter()
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    let ours = env!("CARGO_PKG_VERSION");
    for p in paths {
        match read(&p) {
            Err(e) => problems.push(e),
            Ok(part) => {
                let h = &part.header;
                if h.plan_hash != plan.hash {
                    problems.push(format!(
                        "{}: belongs to another plan (plan hash {}, this plan's is {}); remove it",
                        p.display(),
                        short(&h.plan_hash),
                        short(&plan.hash)
                    ));
                } else if h.dealsim_version != ours || h.dealsim_version != plan.dealsim_version {
                    problems.push(format!(
                        "{}: written by dealsim {}, the plan is for dealsim {} (this is {ours}); run task {} again",
                        p.display(),
                        h.dealsim_version,
                        plan.dealsim_version,
                        h.task
                    ));
                } else if h.task >= plan.tasks() {
                    problems.push(format!(
                        "{}: task {} is not in the plan (it has tasks 0-{})",
                        p.display(),
                        h.task,
                        plan.tasks() - 1
                    ));
                } else {
                    found.entry(h.task).or_default().push(part);
                }
            }
        }
    }
    for (task, parts) in &found {
        if parts.len() > 1 {
            let names: Vec<String> = parts.iter().map(|p| p.path.display().to_string()).collect();
            problems.push(format!(
                "task {task} has {} part files: {}; keep one",
                parts.len(),
                names.join(", ")
            ));
        }
    }
    let missing: Vec<usize> = (0..plan.tasks())
        .filter(|k| !found.contains_key(k))
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} of {} parts missing (tasks {}); run `dealsim task {} K` for each",
            missing.len(),
            plan.tasks(),
            ranges_text(&missing),
            plan_dir.display()
        ));
    }
    if !problems.is_empty() {
        return Err(format!(
            "cannot merge {}:\n  {}",
            plan_dir.display(),
            problems.join("\n  ")
        ));
    }
    Ok(found.into_values().map(|mut v| v.remove(0)).collect())
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// `0-3,7,9-10` for a sorted list.
fn ranges_text(v: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            v[i].to_string()
        } else {
            format!("{}-{}", v[i], v[j])
        });
        i = j + 1;
    }
    out.join(",")
}

/// Little-endian words in and out of part bodies.
pub fn put_f64s(w: &mut dyn Write, v: &[f64]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(v.len() * 8);
    for x in v {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    w.write_all(&buf)
}

pub fn put_u64s(w: &mut dyn Write, v: &[u64]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(v.len() * 8);
    for x in v {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    w.write_all(&buf)
}

pub fn get_f64s(r: &mut impl Read, out: &mut [f64]) -> io::Result<()> {
    let mut buf = vec![0u8; out.len() * 8];
    r.read_exact(&mut buf)?;
    for (o, b) in out.iter_mut().zip(buf.chunks_exact(8)) {
        *o = f64::from_le_bytes(b.try_into().unwrap_or_default());
    }
    Ok(())
}

pub fn get_u64s(r: &mut impl Read, out: &mut [u64]) -> io::Result<()> {
    let mut buf = vec![0u8; out.len() * 8];
    r.read_exact(&mut buf)?;
    for (o, b) in out.iter_mut().zip(buf.chunks_exact(8)) {
        *o = u64::from_le_bytes(b.try_into().unwrap_or_default());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lists_compress() {
        assert_eq!(ranges_text(&[0, 1, 2, 3, 7, 9, 10]), "0-3,7,9-10");
        assert_eq!(ranges_text(&[5]), "5");
    }
}
