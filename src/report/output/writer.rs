//! The one way a command writes its outputs: files go into the staging folder (see
//! [`Staging`]: ownership, lock, swap, stale cleanup), and chart images go there too
//! *and* stay in memory, so report.html embeds the very bytes saved in `charts/`, not
//! a folder read back and matched by file name. The CSVs a workbook takes stay in
//! memory the same way, so results.xlsx is built from the bytes saved, not from files
//! read back.
//!
//! run, compare, sensitivity, sweep and merge all write through [`Outputs`].

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::Staging;
use crate::report::charts::ChartFile;

/// A command's output folder while it is being written; becomes the target on
/// [`Outputs::commit`], and is removed if dropped before that.
#[derive(Debug)]
pub struct Outputs {
    staging: Staging,
    /// Every chart saved, with the subfolder (`""` or a comparison member's id) it is in.
    charts: Vec<(String, ChartFile)>,
    /// Every CSV saved that a workbook takes ([`crate::report::xlsx::takes`]), by its
    /// path in the folder: paths.csv, one row per path, is not kept.
    tables: Vec<(String, Vec<u8>)>,
}

impl Outputs {
    /// Check that `target` may be replaced, lock it and stage beside it ([`Staging::new`]).
    pub fn new(target: &Path) -> Result<Outputs> {
        Ok(Outputs {
            staging: Staging::new(target)?,
            charts: Vec::new(),
            tables: Vec::new(),
        })
    }

    /// Where the files are written before the commit.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Write one file at `rel` (see [`Staging::write`]); a CSV for a workbook is kept.
    /// A file written again under the same path replaces the first, as on disk.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.staging.write(rel, bytes)?;
        let (_, name) = split(rel);
        if crate::report::xlsx::takes(name) {
            match self.tables.iter_mut().find(|(r, _)| r == rel) {
                Some(slot) => slot.1 = bytes.to_vec(),
                None => self.tables.push((rel.to_string(), bytes.to_vec())),
            }
        }
        Ok(())
    }

    /// The CSVs kept of folder `sub` (`""` for the top; not its subfolders), as (file
    /// name, bytes), in the order they were written.
    pub fn tables_in<'a>(&'a self, sub: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        self.tables.iter().filter_map(move |(rel, bytes)| {
            let (dir, name) = split(rel);
            (dir == sub).then_some((name, bytes.as_slice()))
        })
    }

    /// The kept CSV at `rel`, if one was written.
    pub fn table(&self, rel: &str) -> Option<&[u8]> {
        self.tables
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, b)| b.as_slice())
    }

    /// Save `files` as `<sub>/charts/<stem>.<ext>` and keep them for the report. A chart
    /// saved again under the same name replaces the first, as the file does.
    pub fn charts(&mut self, sub: &str, files: Vec<ChartFile>) -> Result<()> {
        for f in files {
            self.staging.write(&chart_path(sub, &f), &f.bytes)?;
            match self
                .charts
                .iter_mut()
                .find(|(s, c)| s == sub && c.file_name() == f.file_name())
            {
                Some(slot) => slot.1 = f,
                None => self.charts.push((sub.to_string(), f)),
            }
        }
        Ok(())
    }

    /// The charts saved in `<sub>/charts/`, in the order they were saved.
    pub fn charts_of<'a>(&'a self, sub: &'a str) -> impl Iterator<Item = &'a ChartFile> + 'a {
        self.charts
            .iter()
            .filter(move |(s, _)| s == sub)
            .map(|(_, c)| c)
    }

    /// Put the folder in place of the target ([`Staging::commit`]); returns the target.
    pub fn commit(self) -> Result<PathBuf> {
        self.staging.commit()
    }
}

/// `sub/name` as (`sub`, `name`); (`""`, `name`) at the top.
fn split(rel: &str) -> (&str, &str) {
    rel.rsplit_once('/').unwrap_or(("", rel))
}

/// `charts/<file>` or `<sub>/charts/<file>`.
fn chart_path(sub: &str, f: &ChartFile) -> String {
    if sub.is_empty() {
        format!("charts/{}", f.file_name())
    } else {
        format!("{sub}/charts/{}", f.file_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::ImageFormat;

    fn chart(stem: &str, format: ImageFormat, bytes: &[u8]) -> ChartFile {
        ChartFile {
            stem: stem.into(),
            format,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn saved_charts_are_the_ones_kept_for_the_report() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let mut o = Outputs::new(&target).unwrap();
        o.charts(
            "",
            vec![
                chart("a", ImageFormat::Png, b"png-a"),
                chart("a", ImageFormat::Svg, b"<svg>a</svg>"),
            ],
        )
        .unwrap();
        o.charts("m1", vec![chart("b", ImageFormat::Svg, b"<svg>b</svg>")])
            .unwrap();
        // Saved again: replaces, in memory as on disk.
        o.charts("", vec![chart("a", ImageFormat::Svg, b"<svg>a2</svg>")])
            .unwrap();
        let top: Vec<String> = o.charts_of("").map(|c| c.file_name()).collect();
        assert_eq!(top, ["a.png", "a.svg"]);
        assert_eq!(o.charts_of("m1").count(), 1);
        assert_eq!(o.charts_of("").nth(1).unwrap().svg(), Some("<svg>a2</svg>"));
        let dir = o.commit().unwrap();
        for (rel, want) in [
            ("charts/a.png", &b"png-a"[..]),
            ("charts/a.svg", b"<svg>a2</svg>"),
            ("m1/charts/b.svg", b"<svg>b</svg>"),
        ] {
            assert_eq!(std::fs::read(dir.join(rel)).unwrap(), want, "{rel}");
        }
    }

    #[test]
    fn csvs_for_the_workbook_are_kept_as_saved_and_paths_csv_is_not() {
        let root = tempfile::tempdir().unwrap();
        let mut o = Outputs::new(&root.path().join("out")).unwrap();
        o.write("summary.csv", b"a\n1\n").unwrap();
        o.write("paths.csv", b"p\n1\n").unwrap();
        o.write("run.json", b"{}").unwrap();
        o.write("m1/summary.csv", b"b\n2\n").unwrap();
        o.write("risk.csv", b"r\n").unwrap();
        // Written again: the kept bytes are the last ones, as on disk.
        o.write("summary.csv", b"a\n3\n").unwrap();
        let top: Vec<(&str, &[u8])> = o.tables_in("").collect();
        assert_eq!(
            top,
            [("summary.csv", &b"a\n3\n"[..]), ("risk.csv", &b"r\n"[..])]
        );
        let m1: Vec<&str> = o.tables_in("m1").map(|(n, _)| n).collect();
        assert_eq!(m1, ["summary.csv"]);
        assert_eq!(o.table("m1/summary.csv"), Some(&b"b\n2\n"[..]));
        assert_eq!(o.table("paths.csv"), None);
        let dir = o.commit().unwrap();
        assert_eq!(std::fs::read(dir.join("summary.csv")).unwrap(), b"a\n3\n");
        assert_eq!(std::fs::read(dir.join("paths.csv")).unwrap(), b"p\n1\n");
    }
}
