//! Native Excel charts on the workbook's sheets: a run's cash-flow fan, NPV CDF, NPV by
//! component and cap timing; a comparison's mean NPV per scenario.
//!
//! A chart whose points are not side by side in a CSV (a fan's percentiles for one
//! metric, interleaved with the other metrics in timeseries.csv) reads them from the
//! `chart_data` sheet, where each cell is a formula pointing at the CSV sheet (with its
//! value cached, for viewers that do not recalculate).

use anyhow::Result;
use rust_xlsxwriter::{
    Chart, ChartErrorBars, ChartErrorBarsType, ChartFont, ChartFormat, ChartLegendPosition,
    ChartLine, ChartLineDashType, ChartRange, ChartType, Format, Formula,
};

use super::sheet::{parse_date, sheet_ref};
use super::{bold, Book};

/// The sheet of chart points.
const DATA_SHEET: &str = "chart_data";
/// Charts sit to the right of a sheet's columns, this many columns away.
const GAP_COLS: u16 = 1;
/// A chart's size in pixels, and the rows one chart takes below another.
const SIZE: (u32, u32) = (720, 400);
const ROWS_PER_CHART: u32 = 22;
/// Money axes: `$1,234bn`.
const MONEY: &str = "\\$#,##0\"bn\"";

/// One cell of a chart-data block.
enum Cell {
    Text(String),
    Value(f64),
    /// A formula and the value it yields now; `date` formats it as a date.
    Formula {
        formula: String,
        value: f64,
        date: bool,
    },
}

/// A block of chart points on the data sheet: a header row and rows of cells.
struct Block {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// Where blocks go on the data sheet: side by side, one empty column between.
struct DataSheet {
    blocks: Vec<(u16, Block)>,
    next_col: u16,
}

impl DataSheet {
    fn new() -> Self {
        DataSheet {
            blocks: Vec::new(),
            next_col: 0,
        }
    }

    /// Adds `b`; returns its first column.
    fn push(&mut self, b: Block) -> u16 {
        let col = self.next_col;
        self.next_col += b.header.len() as u16 + 1;
        self.blocks.push((col, b));
        col
    }

    fn write(self, book: &mut Book) -> Result<()> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        let ws = book.wb.add_worksheet();
        ws.set_name(DATA_SHEET)?;
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let num = Format::new().set_num_format("#,##0.00");
        for (col, b) in self.blocks {
            for (i, h) in b.header.iter().enumerate() {
                let c = col + i as u16;
                ws.write_string_with_format(0, c, h, &bold())?;
                ws.set_column_width(c, (h.chars().count().max(10) + 2) as f64)?;
            }
            for (r, row) in b.rows.iter().enumerate() {
                let rr = r as u32 + 1;
                for (i, cell) in row.iter().enumerate() {
                    let c = col + i as u16;
                    match cell {
                        Cell::Text(s) => {
                            ws.write_string(rr, c, s)?;
                        }
                        Cell::Value(v) => {
                            ws.write_number_with_format(rr, c, *v, &num)?;
                        }
                        Cell::Formula {
                            formula,
                            value,
                            date: d,
                        } => {
                            let f = Formula::new(formula).set_result(value.to_string());
                            ws.write_formula_with_format(rr, c, f, if *d { &date } else { &num })?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// `='sheet'!B7` for data row `row` (0-based, below the header) and column `col`.
fn cell_ref(sheet: &str, row: usize, col: usize) -> String {
    format!("{}{}{}", sheet_ref(sheet), col_letters(col), row + 2)
}

fn col_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A formula cell pointing at `sheet`'s data row `row`, column `col`.
fn link(book: &Book, sheet: &str, row: usize, col: usize) -> Option<Cell> {
    let t = book.table(sheet)?;
    let text = t.rows.get(row)?.get(col)?;
    let (value, date) = match parse_date(text) {
        Some(d) => (d.to_excel(), true),
        None => (text.parse().ok()?, false),
    };
    Some(Cell::Formula {
        formula: format!("={}", cell_ref(sheet, row, col)),
        value,
        date,
    })
}

fn new_chart(kind: ChartType, title: &str) -> Chart {
    let mut c = Chart::new(kind);
    // Excel's default title font (18 pt) wraps most titles onto three lines.
    let mut font = ChartFont::new();
    font.set_size(11).set_bold();
    c.title().set_name(title).set_font(&font);
    c.set_width(SIZE.0).set_height(SIZE.1);
    c.legend().set_position(ChartLegendPosition::Bottom);
    c
}

fn line(color: &str, width: f64, dash: ChartLineDashType) -> ChartFormat {
    let mut f = ChartFormat::new();
    f.set_line(
        ChartLine::new()
            .set_color(color)
            .set_width(width)
            .set_dash_type(dash),
    );
    f
}

/// Places `chart` on `sheet`, right of its columns, in slot `slot` (stacked downwards).
fn place(book: &mut Book, sheet: &str, slot: u32, chart: &Chart) -> Result<()> {
    let cols = book.table(sheet).map_or(0, |t| t.header.len()) as u16;
    let ws = book.wb.worksheet_from_name(sheet)?;
    ws.insert_chart(1 + slot * ROWS_PER_CHART, cols + GAP_COLS, chart)?;
    Ok(())
}

/// `lo..hi` widened to multiples of a nice tick step (the PNG charts' rule).
fn whole_steps(lo: f64, hi: f64) -> (f64, f64) {
    let (_, step) = crate::report::charts::style::nice_ticks(&(lo..hi), 8);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// The run workbook's charts (each only if its sheet and rows are there).
pub fn run_charts(book: &mut Book) -> Result<()> {
    let mut data = DataSheet::new();
    let fan = fan_block(book, "investor_cash_flow").map(|b| (data.push(b.0), b.1));
    let cdf = cdf_block(book).map(|b| (data.push(b.0), b.1));
    let comp = components_block(book).map(|b| (b.2, data.push(b.0), b.1));
    data.write(book)?;
    if let Some((col, n)) = fan {
        let mut c = new_chart(
            ChartType::Line,
            "Investor cash flow per period, USD bn: median, p25–p75 (dashed), p5–p95 (dotted)",
        );
        let styles = [
            ("p5", "#7f7f7f", 1.0, ChartLineDashType::RoundDot),
            ("p25", "#0072B2", 1.25, ChartLineDashType::Dash),
            ("p50", "#0072B2", 2.5, ChartLineDashType::Solid),
            ("p75", "#0072B2", 1.25, ChartLineDashType::Dash),
            ("p95", "#7f7f7f", 1.0, ChartLineDashType::RoundDot),
        ];
        for (i, (name, color, w, dash)) in styles.into_iter().enumerate() {
            let vc = col + 1 + i as u16;
            c.add_series()
                .set_name(name)
                .set_categories((DATA_SHEET, 1, col, n, col))
                .set_values((DATA_SHEET, 1, vc, n, vc))
                .set_format(&mut line(color, w, dash));
        }
        c.x_axis().set_num_format("yyyy-mm");
        c.y_axis().set_num_format(MONEY);
        place(book, "timeseries", 0, &c)?;
    }
    if let Some((col, n)) = cdf {
        let mut c = new_chart(
            ChartType::ScatterStraightWithMarkers,
            "Total NPV: P(NPV ≤ x) at its p5, p25, p50, p75 and p95 (summary.csv)",
        );
        c.add_series()
            .set_name("npv_total")
            .set_categories((DATA_SHEET, 1, col + 1, n, col + 1))
            .set_values((DATA_SHEET, 1, col + 2, n, col + 2))
            .set_format(&mut line("#0072B2", 2.0, ChartLineDashType::Solid));
        c.x_axis()
            .set_num_format(MONEY)
            .set_name("Total NPV, USD bn");
        c.y_axis().set_num_format("0%").set_min(0.0).set_max(1.0);
        c.legend().set_hidden();
        place(book, "summary", 0, &c)?;
    }
    if let Some(((lo, hi), col, n)) = comp {
        let mut c = new_chart(
            ChartType::Column,
            "NPV by component, USD bn: mean; whiskers p5–p95",
        );
        let bars = ChartErrorBars::new()
            .set_type(ChartErrorBarsType::Custom(
                ChartRange::new_from_range(DATA_SHEET, 1, col + 3, n, col + 3),
                ChartRange::new_from_range(DATA_SHEET, 1, col + 2, n, col + 2),
            ))
            .clone();
        c.add_series()
            .set_name("mean")
            .set_categories((DATA_SHEET, 1, col, n, col))
            .set_values((DATA_SHEET, 1, col + 1, n, col + 1))
            .set_y_error_bars(&bars);
        // Excel scales the axis to the bars, not the whiskers: set it to hold both.
        let (lo, hi) = whole_steps(lo.min(0.0), hi.max(0.0));
        c.y_axis().set_num_format(MONEY).set_min(lo).set_max(hi);
        c.legend().set_hidden();
        place(book, "summary", 1, &c)?;
    }
    cap_chart(book)
}

/// investor cash flow (or `metric`) per period: period_end, p5 ... p95.
fn fan_block(book: &Book, metric: &str) -> Option<(Block, u32)> {
    let sheet = "timeseries";
    let t = book.table(sheet)?;
    let mcol = t.col("metric")?;
    let cols: Vec<usize> = ["period_end", "p5", "p25", "p50", "p75", "p95"]
        .iter()
        .map(|c| t.col(c))
        .collect::<Option<_>>()?;
    let rows: Vec<Vec<Cell>> = t
        .rows_where(mcol, metric)
        .into_iter()
        .map(|r| cols.iter().map(|&c| link(book, sheet, r, c)).collect())
        .collect::<Option<_>>()?;
    let n = rows.len() as u32;
    (n > 0).then(|| {
        let mut header = vec![String::from("period_end")];
        header.extend(["p5", "p25", "p50", "p75", "p95"].map(|p| format!("{metric} {p}")));
        (Block { header, rows }, n)
    })
}

/// npv_total's CDF through summary.csv's points.
fn cdf_block(book: &Book) -> Option<(Block, u32)> {
    let sheet = "summary";
    let t = book.table(sheet)?;
    let row = *t.rows_where(t.col("metric")?, "npv_total").first()?;
    // p5 to p95, as the PNG CDF's range: the maximum of a fat tail would squeeze the
    // rest of the curve into the left edge.
    let points = [
        ("p5", 0.05),
        ("p25", 0.25),
        ("p50", 0.5),
        ("p75", 0.75),
        ("p95", 0.95),
    ];
    let rows: Vec<Vec<Cell>> = points
        .iter()
        .map(|(name, p)| {
            Some(vec![
                Cell::Text(name.to_string()),
                link(book, sheet, row, t.col(name)?)?,
                Cell::Value(*p),
            ])
        })
        .collect::<Option<_>>()?;
    let header = ["point", "npv_total", "P(npv_total ≤ x)"]
        .map(String::from)
        .to_vec();
    Some((Block { header, rows }, points.len() as u32))
}

/// The components of total NPV: mean, and the distances to p5 and p95 for whiskers.
fn components_block(book: &Book) -> Option<(Block, u32, (f64, f64))> {
    let sheet = "summary";
    let t = book.table(sheet)?;
    let (m, mean, p5, p95) = (
        t.col("metric")?,
        t.col("mean")?,
        t.col("p5")?,
        t.col("p95")?,
    );
    let mut rows = Vec::new();
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for name in [
        "npv_revenue_share",
        "npv_cloud_models",
        "npv_reverse_share",
        "npv_compute",
        "npv_licence",
        "pv_stake",
    ] {
        let Some(&r) = t.rows_where(m, name).first() else {
            continue;
        };
        let (Some(v), Some(lo), Some(hi)) = (t.number(r, mean), t.number(r, p5), t.number(r, p95))
        else {
            continue;
        };
        if name == "npv_licence" && v == 0.0 && lo == 0.0 && hi == 0.0 {
            continue; // v1 scenarios have no licence
        }
        range = (range.0.min(lo), range.1.max(hi));
        let f =
            |a: usize, b: usize| format!("={}-{}", cell_ref(sheet, r, a), cell_ref(sheet, r, b));
        rows.push(vec![
            Cell::Text(name.to_string()),
            link(book, sheet, r, mean)?,
            Cell::Formula {
                formula: f(mean, p5),
                value: v - lo,
                date: false,
            },
            Cell::Formula {
                formula: f(p95, mean),
                value: hi - v,
                date: false,
            },
        ]);
    }
    let n = rows.len() as u32;
    let header = ["component", "mean", "mean - p5", "p95 - mean"]
        .map(String::from)
        .to_vec();
    (n > 0).then_some((Block { header, rows }, n, range))
}

/// Cap timing, straight from cap_hits.csv: the probability of hitting the cap in each
/// year, and by each year.
fn cap_chart(book: &mut Book) -> Result<()> {
    let sheet = "cap_hits";
    let Some(t) = book.table(sheet) else {
        return Ok(());
    };
    let (Some(p), Some(cum)) = (t.col("probability"), t.col("cumulative_probability")) else {
        return Ok(());
    };
    let n = t.rows.len() as u32;
    if n == 0 {
        return Ok(());
    }
    let mut c = new_chart(
        ChartType::Column,
        "When the revenue-share cap is hit: share of paths in each year (bars) and by then (line)",
    );
    c.add_series()
        .set_name("in the year")
        .set_categories((sheet, 1, 0, n, 0))
        .set_values((sheet, 1, p as u16, n, p as u16));
    let mut by = Chart::new(ChartType::Line);
    by.add_series()
        .set_name("by the year")
        .set_categories((sheet, 1, 0, n, 0))
        .set_values((sheet, 1, cum as u16, n, cum as u16))
        .set_format(&mut line("#D55E00", 2.0, ChartLineDashType::Solid));
    c.combine(&by);
    c.y_axis().set_num_format("0%").set_min(0.0).set_max(1.0);
    place(book, sheet, 0, &c)
}

/// The comparison workbook's chart: mean total NPV per scenario, from compare_summary.
pub fn compare_charts(book: &mut Book) -> Result<()> {
    let sheet = "compare_summary";
    let Some(t) = book.table(sheet) else {
        return Ok(());
    };
    let (Some(m), Some(mean), Some(sc)) = (t.col("metric"), t.col("mean"), t.col("scenario"))
    else {
        return Ok(());
    };
    let rows = t.rows_where(m, "npv_total");
    let mut data = DataSheet::new();
    let block_rows: Option<Vec<Vec<Cell>>> = rows
        .iter()
        .map(|&r| {
            Some(vec![
                Cell::Text(t.rows[r].get(sc)?.clone()),
                link(book, sheet, r, mean)?,
            ])
        })
        .collect();
    let Some(block_rows) = block_rows.filter(|r| !r.is_empty()) else {
        return Ok(());
    };
    let n = block_rows.len() as u32;
    let col = data.push(Block {
        header: ["scenario", "npv_total mean"].map(String::from).to_vec(),
        rows: block_rows,
    });
    data.write(book)?;
    let mut c = new_chart(ChartType::Column, "Mean total NPV per scenario, USD bn");
    c.add_series()
        .set_name("npv_total mean")
        .set_categories((DATA_SHEET, 1, col, n, col))
        .set_values((DATA_SHEET, 1, col + 1, n, col + 1));
    // From zero: an axis zoomed on the means would make a 1 % difference look tenfold.
    c.y_axis().set_num_format(MONEY).set_min(0.0);
    c.legend().set_hidden();
    place(book, sheet, 0, &c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(col_letters(0), "A");
        assert_eq!(col_letters(25), "Z");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(col_letters(27), "AB");
        assert_eq!(col_letters(701), "ZZ");
        assert_eq!(col_letters(702), "AAA");
        assert_eq!(cell_ref("summary", 0, 2), "'summary'!C2");
    }
}
