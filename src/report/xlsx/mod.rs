//! `results.xlsx`: the folder's CSVs as one Excel workbook, one sheet per CSV (named after
//! the file without `.csv`), with native Excel charts an analyst can edit.
//!
//! The workbook is built from the very CSV bytes saved in the output folder (kept in
//! memory by [`Outputs`], never read back from disk), so its numbers are the CSVs'
//! numbers; it is written through [`Outputs`] like every other output. Charts that need rows the CSVs do not hold side by side (a fan's percentiles
//! per period, a CDF's points) read them from a `chart_data` sheet of formulas that point
//! at the CSV sheets: edit a number there and the chart follows.

mod charts;
mod sheet;

use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook};

use super::Outputs;
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
        let table = Table::parse(text).with_context(|| format!("cannot read {raw}"))?;
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

/// Whether a workbook takes the file `name` as a sheet: a CSV, not a skipped one.
pub fn takes(name: &str) -> bool {
    name.ends_with(".csv") && !SKIPPED.contains(&name)
}

/// CSV bytes as text.
fn text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8"))
}

/// Adds every CSV saved in folder `sub` as a sheet, in sheet order ([`ORDER`], then by
/// name: the order does not depend on the order the files were written in).
fn add_folder(book: &mut Book, out: &Outputs, sub: &str) -> Result<()> {
    let mut files: Vec<(&str, &[u8])> = out.tables_in(sub).collect();
    let rank = |n: &str| ORDER.iter().position(|o| *o == n).unwrap_or(ORDER.len());
    files.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then(a.0.cmp(b.0)));
    for (name, bytes) in files {
        book.add_csv(name.trim_end_matches(".csv"), text(name, bytes)?)?;
    }
    Ok(())
}

/// `results.xlsx` of one run in subfolder `sub` ("" for the top): its CSVs and the fan,
/// NPV CDF, components and cap-timing charts.
pub fn write_run_workbook(out: &mut Outputs, sub: &str) -> Result<()> {
    let mut book = Book::new();
    add_folder(&mut book, out, sub)?;
    charts::run_charts(&mut book)?;
    write(out, sub, book)
}

/// `results.xlsx` of a comparison: its own CSVs, then each member's summary (each member
/// folder also holds the member's full workbook).
pub fn write_compare_workbook(out: &mut Outputs, member_ids: &[String]) -> Result<()> {
    let mut book = Book::new();
    add_folder(&mut book, out, "")?;
    for id in member_ids {
        let rel = format!("{id}/summary.csv");
        let bytes = out
            .table(&rel)
            .with_context(|| format!("{rel} was not written"))?;
        book.add_csv(&format!("{id} summary"), text(&rel, bytes)?)?;
    }
    charts::compare_charts(&mut book)?;
    write(out, "", book)
}

/// `results.xlsx` of a folder of CSVs without charts of their own (sensitivity).
pub fn write_plain_workbook(out: &mut Outputs, sub: &str) -> Result<()> {
    let mut book = Book::new();
    add_folder(&mut book, out, sub)?;
    write(out, sub, book)
}

fn write(out: &mut Outputs, sub: &str, book: Book) -> Result<()> {
    let bytes = book.finish()?;
    let rel = if sub.is_empty() {
        WORKBOOK_FILE.to_string()
    } else {
        format!("{sub}/{WORKBOOK_FILE}")
    };
    out.write(&rel, &bytes)
}

/// Bold, for the `chart_data` headers.
fn bold() -> Format {
    Format::new().set_bold()
}
