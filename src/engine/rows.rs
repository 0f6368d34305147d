//! Where a path-major run keeps each path's 13 results until the summary reads them
//! column by column (issue 15: at most 512 MiB at 10M paths).
//!
//! The summary needs every path's results: means and two-pass standard deviations,
//! expected shortfall and its batches and the convergence prefixes are float sums in
//! path order, and percentiles, VaR and the distribution grid are order statistics of
//! the whole column. So the rows are kept, exactly, and the numbers are the same bits
//! whichever store holds them:
//! - up to [`IN_MEMORY_MAX`] bytes of rows (161k paths) they stay in memory;
//! - above it they go to an unnamed temporary file in the system's temporary folder
//!   (`TMPDIR`, else `/tmp`): created already unlinked (`O_TMPFILE` where the file
//!   system has it), so it never shows in a folder and the OS frees it when the run
//!   ends, however it ends. A run then holds at most one column per summary worker.
//!   If no such file can be made, the rows stay in memory (same numbers, more memory).
//!
//! Layout, both stores: chunk-major blocks of [`BLOCK_LEN`] values, chunk `c`'s result
//! `m` of its `i`-th path at `c * BLOCK_LEN + m * CHUNK + i` (the last chunk's block is
//! only partly used), so a chunk's rows are one write and a column one read per chunk.

use std::fs::File;
use std::io;

use super::CHUNK;
use crate::summary::{ResultMetric, N_RESULTS};

/// Values in one chunk's block: every result of each of its paths.
pub(crate) const BLOCK_LEN: usize = N_RESULTS * CHUNK;

/// Most bytes of result rows kept in memory (up to 161k paths). Above it the file costs
/// no time that shows: the rows are written once and read once, and fresh memory costs a
/// page fault per 4 KiB on first touch anyway. Measured at 1M paths on base.toml, 2
/// threads, runs of the two stores interleaved: median 6.14 s in a file against 6.81 s
/// in memory (5 each), then 8.0 s against 8.0 s on a busier host (8 each); peak RSS 38
/// against 139 MiB. Shared with `resources`, whose estimate follows the same choice.
pub const IN_MEMORY_MAX: u64 = 16 << 20;

/// Whether `n` paths' rows would go to a temporary file (where the platform has one).
pub fn spills(n: u64) -> bool {
    cfg!(unix) && n.saturating_mul(8 * N_RESULTS as u64) > IN_MEMORY_MAX
}

/// See [`Rows::blocks`].
pub(crate) enum Blocks<'a> {
    InPlace(std::slice::ChunksMut<'a, f64>),
    ToFile(Writer<'a>),
}

/// Writes chunks' blocks to the rows' file, from any thread.
#[derive(Clone, Copy)]
pub(crate) struct Writer<'a>(&'a File);

impl Writer<'_> {
    /// Store chunk `c`'s block.
    pub fn write(&self, c: usize, block: &[f64]) -> io::Result<()> {
        debug_assert_eq!(block.len(), BLOCK_LEN);
        let bytes: Vec<u8> = block.iter().flat_map(|x| x.to_le_bytes()).collect();
        write_at(self.0, &bytes, (c * BLOCK_LEN * 8) as u64)
    }
}

/// The result rows of one run.
pub(crate) struct Rows {
    n: usize,
    store: Store,
}

enum Store {
    Memory(Vec<f64>),
    File(File),
}

impl Rows {
    /// Room for `n` paths' rows: in a temporary file when `to_file` (the engine passes
    /// [`spills`]) and one can be made, else in memory.
    pub fn new(n: usize, to_file: bool) -> Rows {
        let file = if to_file && cfg!(unix) {
            tempfile::tempfile().ok()
        } else {
            None
        };
        let store = match file {
            Some(f) => Store::File(f),
            None => Store::Memory(vec![0.0; n.div_ceil(CHUNK) * BLOCK_LEN]),
        };
        Rows { n, store }
    }

    /// Whether the rows are in a temporary file.
    #[cfg(test)]
    pub fn in_file(&self) -> bool {
        matches!(self.store, Store::File(_))
    }

    /// Where each chunk's block goes: in memory, each chunk's block in chunk order to be
    /// written in place; in a file, a [`Writer`] for [`Writer::write`].
    pub fn blocks(&mut self) -> Blocks<'_> {
        match &mut self.store {
            Store::Memory(v) => Blocks::InPlace(v.chunks_mut(BLOCK_LEN)),
            Store::File(f) => Blocks::ToFile(Writer(f)),
        }
    }

    /// Result `m` of every path, in path order.
    pub fn column(&self, m: ResultMetric) -> io::Result<Vec<f64>> {
        let mut out = Vec::with_capacity(self.n);
        let mut bytes = Vec::new();
        for c in 0..self.n.div_ceil(CHUNK) {
            let len = CHUNK.min(self.n - c * CHUNK);
            let at = c * BLOCK_LEN + m.index() * CHUNK;
            match &self.store {
                Store::Memory(v) => out.extend_from_slice(&v[at..at + len]),
                Store::File(f) => {
                    bytes.resize(8 * len, 0);
                    read_at(f, &mut bytes, (at * 8) as u64)?;
                    out.extend(
                        bytes
                            .chunks_exact(8)
                            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes a value"))),
                    );
                }
            }
        }
        Ok(out)
    }
}

/// The message of a failed write of `n` paths' rows to the temporary file.
pub fn write_error(e: io::Error, n: usize) -> String {
    let mb = (n.div_ceil(CHUNK) * BLOCK_LEN * 8).div_ceil(1_000_000);
    format!(
        "cannot write the paths' results to a temporary file in {}: {e}. A run of {n} \
         paths keeps about {mb} MB of them there: set TMPDIR to a folder with room",
        std::env::temp_dir().display()
    )
}

/// The message of a failed read of the temporary file.
pub fn read_error(e: io::Error) -> String {
    format!(
        "cannot read back the paths' results from their temporary file in {}: {e}",
        std::env::temp_dir().display()
    )
}

#[cfg(unix)]
fn write_at(f: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, bytes, at)
}

#[cfg(unix)]
fn read_at(f: &File, bytes: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, bytes, at)
}

// Elsewhere `spills` is false, so no file store is ever made.
#[cfg(not(unix))]
fn write_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    unreachable!("rows spill to a file only on unix")
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    unreachable!("rows spill to a file only on unix")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value that names its path and result, so a misplaced one shows.
    fn value(path: usize, m: usize) -> f64 {
        path as f64 * 16.0 + m as f64 + 0.25
    }

    fn fill(rows: &mut Rows, n: usize) -> io::Result<()> {
        let mut blocks: Vec<Vec<f64>> = Vec::new();
        for c in 0..n.div_ceil(CHUNK) {
            let mut b = vec![f64::NAN; BLOCK_LEN];
            for i in 0..CHUNK.min(n - c * CHUNK) {
                for m in 0..N_RESULTS {
                    b[m * CHUNK + i] = value(c * CHUNK + i, m);
                }
            }
            blocks.push(b);
        }
        match rows.blocks() {
            Blocks::InPlace(mem) => {
                for (dst, src) in mem.zip(&blocks) {
                    dst.copy_from_slice(src);
                }
            }
            // Written out of order, as workers finish chunks in any order.
            Blocks::ToFile(w) => {
                for (c, b) in blocks.iter().enumerate().rev() {
                    w.write(c, b)?;
                }
            }
        }
        Ok(())
    }

    fn check(rows: &Rows, n: usize) {
        for &m in &ResultMetric::ALL {
            let col = rows.column(m).unwrap();
            assert_eq!(col.len(), n);
            for (i, &x) in col.iter().enumerate() {
                assert_eq!(x, value(i, m.index()), "path {i}, result {m:?}");
            }
        }
    }

    #[test]
    fn memory_and_file_stores_give_back_every_column_in_path_order() {
        for n in [1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17] {
            let mut mem = Rows {
                n,
                store: Store::Memory(vec![0.0; n.div_ceil(CHUNK) * BLOCK_LEN]),
            };
            fill(&mut mem, n).unwrap();
            check(&mem, n);
            if cfg!(unix) {
                let mut file = Rows {
                    n,
                    store: Store::File(tempfile::tempfile().unwrap()),
                };
                assert!(file.in_file());
                fill(&mut file, n).unwrap();
                check(&file, n);
            }
        }
    }

    #[test]
    fn the_file_store_starts_above_the_memory_limit() {
        let per_path = 8 * N_RESULTS as u64;
        let last_in_memory = IN_MEMORY_MAX / per_path;
        assert!(!spills(last_in_memory));
        assert_eq!(spills(last_in_memory + 1), cfg!(unix));
        assert!(!spills(100_000), "a hundred thousand paths stay in memory");
        assert_eq!(spills(1_000_000), cfg!(unix));
    }
}
