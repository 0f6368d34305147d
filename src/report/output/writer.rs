//! The one way a command writes its outputs: files go into the staging folder (see
//! [`Staging`]: ownership, lock, swap, stale cleanup), and chart images go there too
//! *and* stay in memory, so report.html embeds the very bytes saved in `charts/`, not
//! a folder read back and matched by file name.
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
}

impl Outputs {
    /// Check that `target` may be replaced, lock it and stage beside it ([`Staging::new`]).
    pub fn new(target: &Path) -> Result<Outputs> {
        Ok(Outputs {
            staging: Staging::new(target)?,
            charts: Vec::new(),
        })
    }

    /// The staging folder, for the writers that take one (run files, workbooks).
    pub fn staging(&self) -> &Staging {
        &self.staging
    }

    /// Where the files are written before the commit.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Write one file at `rel` (see [`Staging::write`]).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.staging.write(rel, bytes)
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
}
