//! One CSV as one worksheet: the same columns and rows, numbers as numbers, dates as
//! dates, a frozen header, widths and number formats chosen per column.
//!
//! The sheet is built from the CSV text dealsim has just written, never from the data a
//! second time, so the workbook cannot disagree with the CSVs.

use anyhow::{anyhow, Result};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Worksheet};

/// Excel's row limit (header included).
pub const MAX_ROWS: usize = 1_048_576;

/// Columns that hold names even when every entry looks like a number (a scenario called
/// `2030`, a metric id): they stay text.
const TEXT_COLUMNS: [&str; 8] = [
    "scenario",
    "metric",
    "unit",
    "key",
    "input",
    "statistic",
    "kind",
    "target",
];

/// What a column holds, decided from all of its cells.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Text,
    /// Every non-empty cell is `YYYY-MM-DD`.
    Date,
    /// Every non-empty cell is a finite number; `integers` when all are whole.
    Number {
        integers: bool,
        max_abs: f64,
    },
}

/// A CSV parsed for the workbook: header and rows of text, as written.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(csv_text: &str) -> Result<Table> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(csv_text.as_bytes());
        let header = r.headers()?.iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| rec.map(|r| r.iter().map(String::from).collect()))
            .collect::<Result<Vec<Vec<String>>, _>>()?;
        Ok(Table { header, rows })
    }

    /// The 0-based column named `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The 0-based data rows (sheet row = index + 1) where column `col` equals `value`.
    pub fn rows_where(&self, col: usize, value: &str) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.rows[i].get(col).map(String::as_str) == Some(value))
            .collect()
    }

    pub fn number(&self, row: usize, col: usize) -> Option<f64> {
        self.rows.get(row)?.get(col)?.parse().ok()
    }
}

pub(super) fn parse_date(s: &str) -> Option<ExcelDateTime> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: u16 = s[0..4].parse().ok()?;
    let m: u8 = s[5..7].parse().ok()?;
    let d: u8 = s[8..10].parse().ok()?;
    ExcelDateTime::from_ymd(y, m, d).ok()
}

fn number(s: &str) -> Option<f64> {
    // `inf` and `NaN` parse in Rust; the CSV contract never writes them, and a cell that
    // holds them is text.
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn kind_of(t: &Table, c: usize) -> Kind {
    if TEXT_COLUMNS.contains(&t.header[c].as_str()) {
        return Kind::Text;
    }
    let cells = || {
        t.rows
            .iter()
            .filter_map(move |r| r.get(c))
            .filter(|s| !s.is_empty())
    };
    if cells().next().is_none() {
        return Kind::Text;
    }
    if cells().all(|s| parse_date(s).is_some()) {
        return Kind::Date;
    }
    let mut integers = true;
    let mut max_abs: f64 = 0.0;
    for s in cells() {
        match number(s) {
            Some(v) => {
                integers &= v.fract() == 0.0;
                max_abs = max_abs.max(v.abs());
            }
            None => return Kind::Text,
        }
    }
    Kind::Number { integers, max_abs }
}

/// The display format of a numeric column: years without separators, counts with
/// thousands separators, fractions to four decimals, money to two. Only the display:
/// each cell keeps its full value.
fn num_format(header: &str, integers: bool, max_abs: f64) -> &'static str {
    if integers && (header.contains("year") || header == "level") {
        "0"
    } else if integers {
        "#,##0"
    } else if max_abs <= 1.0 {
        "0.0000"
    } else {
        "#,##0.00"
    }
}

/// Writes `t` into `ws`: header in bold and frozen, each column typed and formatted.
pub fn write_table(ws: &mut Worksheet, t: &Table) -> Result<()> {
    if t.rows.len() + 1 > MAX_ROWS {
        return Err(anyhow!(
            "{} rows do not fit in an Excel sheet ({} at most)",
            t.rows.len(),
            MAX_ROWS - 1
        ));
    }
    let head = Format::new().set_bold().set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in t.header.iter().enumerate() {
        let col = c as u16;
        ws.write_string_with_format(0, col, h, &head)?;
        let kind = kind_of(t, c);
        let fmt = match kind {
            Kind::Number { integers, max_abs } => {
                Some(Format::new().set_num_format(num_format(h, integers, max_abs)))
            }
            _ => None,
        };
        let mut width = h.chars().count().max(8);
        for (r, row) in t.rows.iter().enumerate() {
            let Some(cell) = row.get(c).filter(|s| !s.is_empty()) else {
                continue;
            };
            let rr = (r + 1) as u32;
            match (kind, &fmt) {
                (Kind::Date, _) => match parse_date(cell) {
                    Some(d) => {
                        ws.write_datetime_with_format(rr, col, &d, &date)?;
                    }
                    None => {
                        ws.write_string(rr, col, cell)?;
                    }
                },
                (Kind::Number { .. }, Some(f)) => match number(cell) {
                    Some(v) => {
                        ws.write_number_with_format(rr, col, v, f)?;
                    }
                    None => {
                        ws.write_string(rr, col, cell)?;
                    }
                },
                _ => {
                    width = width.max(cell.chars().count());
                    ws.write_string(rr, col, cell)?;
                }
            }
        }
        let width = match kind {
            Kind::Date => 11,
            Kind::Number { .. } => width.max(12),
            Kind::Text => width,
        };
        ws.set_column_width(col, (width.min(48) + 2) as f64)?;
    }
    ws.set_freeze_panes(1, 0)?;
    // Printed (or saved as PDF): landscape, all columns and the charts beside them on
    // one page wide, the header repeated on every page.
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

/// `raw` as a valid, unique (case-insensitively) sheet name: at most 31 characters,
/// none of `[]:*?/\`, not starting or ending with `'`.
pub fn sheet_name(raw: &str, taken: &[String]) -> String {
    let clean: String = raw
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    let base = if clean.is_empty() || clean.eq_ignore_ascii_case("history") {
        format!("sheet {clean}").trim().to_string()
    } else {
        clean
    };
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let clash = |n: &str| taken.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    let mut name = cut(&base, 31);
    let mut i = 2;
    while clash(&name) {
        let suffix = format!("-{i}");
        name = format!("{}{suffix}", cut(&base, 31 - suffix.len()));
        i += 1;
    }
    name
}

/// `'sheet name'!` for formulas and chart ranges (quotes doubled).
pub fn sheet_ref(name: &str) -> String {
    format!("'{}'!", name.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_typed_from_all_their_cells() {
        let t = Table::parse(
            "scenario,period_end,year,mean,p,note\n2030,2026-03-31,2026,1.5,0.25,x\nb,2026-06-30,2027,1200.25,1,2\n",
        )
        .unwrap();
        let kinds: Vec<Kind> = (0..t.header.len()).map(|c| kind_of(&t, c)).collect();
        assert_eq!(kinds[0], Kind::Text);
        assert_eq!(kinds[1], Kind::Date);
        assert!(matches!(kinds[2], Kind::Number { integers: true, .. }));
        assert!(matches!(
            kinds[3],
            Kind::Number {
                integers: false,
                ..
            }
        ));
        assert_eq!(kinds[5], Kind::Text);
        assert_eq!(num_format("year", true, 2027.0), "0");
        assert_eq!(num_format("p", false, 1.0), "0.0000");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        for raw in ["summary", "SUMMARY", "a/b:c", &"x".repeat(40), "History"] {
            let n = sheet_name(raw, &taken);
            assert!(n.chars().count() <= 31 && !n.contains('/'), "{n}");
            taken.push(n);
        }
        assert_eq!(taken[1], "SUMMARY-2");
        assert_eq!(taken[2], "a_b_c");
        assert_ne!(taken[4].to_lowercase(), "history");
    }
}
