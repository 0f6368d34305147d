//! `results.xlsx`: the folder's CSVs as one Excel workbook, one sheet per CSV (named after
//! the file without `.csv`), with native Excel charts an analyst can edit.
//!
//! The workbook is built from the CSV files already written into the staging folder, so
//! its numbers are the CSVs' numbers; it is written through [`Staging`] like every other
//! output. Charts that need rows the CSVs do not hold side by side (a fan's percentiles
//! per period, a CDF's points) read them from a `chart_data` sheet of formulas that point
//! at the CSV sheets: edit a number there and the chart follows.

mod charts;
mod sheet;

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook};

use super::Staging;
pub use sheet::{sheet_name, Table};

/// The workbook's file name in an output folder.
pub const WORKBOOK_FILE: &str = "results.xlsx";

/// CSVs left out: one row per path can exceed Excel's row limit and is not what a
/// workbook is for.
const SKIPPED: [&str; 1] = ["paths.csv"];

/// The order sheets appear in (others follow alphabetically).
const ORDER: [&str; 10] = [
    "summary.csv",
    "compare_summary.csv",
    "compare_deltas.csv",
    "what_changed.csv",
    "sensitivity.csv",
    "timeseries.csv",
    "compare_timeseries.csv",
    "cashflows.csv",
    "cap_hits.csv",
    "risk.csv",
];

/// A workbook being built: the sheets written so far and their tables.
pub struct Book {
    wb: Workbook,
    sheets: Vec<(String, Table)>,
}

impl Book {
    fn new() -> Book {
        Book {
            wb: Workbook::new(),
            sheets: Vec::new(),
        }
    }

    /// Adds CSV text as a sheet named after `raw` (made valid and unique); returns the
    /// sheet's name.
    fn add_csv(&mut self, raw: &str, text: &str) -> Result<String> {
        let table = Table::parse(text).with_context(|| format!("cannot read {raw} back"))?;
        let taken: Vec<String> = self.sheets.iter().map(|(n, _)| n.clone()).collect();
        let name = sheet_name(raw, &taken);
        let ws = self.wb.add_worksheet();
        ws.set_name(&name)?;
        sheet::write_table(ws, &table).with_context(|| format!("sheet {name}"))?;
        self.sheets.push((name.clone(), table));
        Ok(name)
    }

    fn table(&self, name: &str) -> Option<&Table> {
        self.sheets.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    fn finish(mut self) -> Result<Vec<u8>> {
        Ok(self.wb.save_to_buffer()?)
    }
}

/// Every CSV in `dir` that goes into a workbook, in sheet order.
fn csv_files(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") && !SKIPPED.contains(&n.as_str()))
        .collect();
    let rank = |n: &str| ORDER.iter().position(|o| *o == n).unwrap_or(ORDER.len());
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    Ok(names)
}

/// Adds every CSV of `dir` as a sheet.
fn add_folder(book: &mut Book, dir: &Path) -> Result<()> {
    for f in csv_files(dir)? {
        let text = std::fs::read_to_string(dir.join(&f))
            .with_context(|| format!("cannot read {f} back"))?;
        book.add_csv(f.trim_end_matches(".csv"), &text)?;
    }
    Ok(())
}

/// `results.xlsx` of one run in `staging`'s subfolder `sub` ("" for the top): its CSVs
/// and the fan, NPV CDF, components and cap-timing charts.
pub fn write_run_workbook(staging: &Staging, sub: &str) -> Result<()> {
    let dir = staging.path().join(sub);
    let mut book = Book::new();
    add_folder(&mut book, &dir)?;
    charts::run_charts(&mut book)?;
    write(staging, sub, book)
}

/// `results.xlsx` of a comparison: its own CSVs, then each member's summary (each member
/// folder also holds the member's full workbook).
pub fn write_compare_workbook(staging: &Staging, member_ids: &[String]) -> Result<()> {
    let mut book = Book::new();
    add_folder(&mut book, staging.path())?;
    for id in member_ids {
        let text = std::fs::read_to_string(staging.path().join(id).join("summary.csv"))
            .with_context(|| format!("cannot read {id}/summary.csv back"))?;
        book.add_csv(&format!("{id} summary"), &text)?;
    }
    charts::compare_charts(&mut book)?;
    write(staging, "", book)
}

/// `results.xlsx` of a folder of CSVs without charts of their own (sensitivity).
pub fn write_plain_workbook(staging: &Staging, sub: &str) -> Result<()> {
    let mut book = Book::new();
    add_folder(&mut book, &staging.path().join(sub))?;
    write(staging, sub, book)
}

fn write(staging: &Staging, sub: &str, book: Book) -> Result<()> {
    let bytes = book.finish()?;
    let rel = if sub.is_empty() {
        WORKBOOK_FILE.to_string()
    } else {
        format!("{sub}/{WORKBOOK_FILE}")
    };
    staging.write(&rel, &bytes)
}

/// Bold, for the `chart_data` headers.
fn bold() -> Format {
    Format::new().set_bold()
}
