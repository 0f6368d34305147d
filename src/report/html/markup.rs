//! HTML building blocks with escaping done in one place: text and attribute escaping,
//! display formatting of numbers, and tables whose numeric cells carry the exact CSV
//! string (`data-value`) beside a rounded, thousands-separated display.

use std::fmt::Write;

use crate::report::csv::num;
use crate::report::precision::{trim_zeros, Gap};

/// Escapes text for an HTML element body or a double- or single-quoted attribute
/// (control characters shown escaped; see `crate::escape`).
pub fn esc(s: &str) -> String {
    crate::escape::html(s)
}

/// How a number is displayed (the exact value always goes into `data-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// USD bn and other plain quantities: at least 2 decimals, 3 significant digits for
    /// small values, thousands separators: `10,480.71`, `0.0252`.
    Amount,
    /// A probability or fraction as a percentage: `98.3 %`, `0.29 %`.
    Percent,
    /// A difference of two probabilities or fractions, in percentage points: `-16.6 pp`.
    Points,
    /// The exact string itself (values the reader types back into a scenario).
    Exact,
}

pub use crate::report::precision::rounded;

/// The display text of `v` under `show`.
pub fn shown(v: f64, show: Show) -> String {
    match show {
        Show::Amount => rounded(v, 2),
        Show::Percent => Gap::NoBreak.percent(&trim_zeros(&rounded(v * 100.0, 1), 1)),
        Show::Points => format!("{}\u{a0}pp", trim_zeros(&rounded(v * 100.0, 1), 1)),
        Show::Exact => num(v),
    }
}

/// One table cell.
#[derive(Debug, Clone)]
pub enum Cell {
    /// A number: right-aligned display, exact CSV string in `data-value` and `title`.
    Num(f64, Show),
    /// A number displayed as the given text (rounded to what its error supports), exact
    /// CSV string in `data-value` and `title`.
    Shown(f64, String),
    /// Plain text.
    Text(String),
    /// Text in a numeric column (right-aligned), e.g. `none` among years.
    RightText(String),
    /// Monospace text (keys, hashes, values as written in TOML).
    Code(String),
    /// Emphasised text.
    Strong(String),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn render(&self, out: &mut String) {
        match self {
            Cell::Num(v, show) => {
                let exact = num(*v);
                let _ = write!(
                    out,
                    "<td class=\"num\" data-value=\"{exact}\" title=\"{exact}\">{}</td>",
                    esc(&shown(*v, *show))
                );
            }
            Cell::Shown(v, text) => {
                let exact = num(*v);
                let _ = write!(
                    out,
                    "<td class=\"num\" data-value=\"{exact}\" title=\"{exact}\">{}</td>",
                    esc(text)
                );
            }
            Cell::Text(s) => {
                let _ = write!(out, "<td>{}</td>", esc(s));
            }
            Cell::RightText(s) => {
                let _ = write!(out, "<td class=\"right\">{}</td>", esc(s));
            }
            Cell::Code(s) => {
                let _ = write!(out, "<td><code>{}</code></td>", esc(s));
            }
            Cell::Strong(s) => {
                let _ = write!(out, "<td><strong>{}</strong></td>", esc(s));
            }
        }
    }
}

/// A table row: a row header (`<th scope="row">`, HTML) and its cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub header: String,
    pub cells: Vec<Cell>,
}

impl Row {
    /// A row whose header is plain text.
    pub fn new(header: &str, cells: Vec<Cell>) -> Row {
        Row {
            header: esc(header),
            cells,
        }
    }

    /// A row whose header is a key in monospace (`channel.ceiling`).
    pub fn key(key: &str, cells: Vec<Cell>) -> Row {
        Row {
            header: format!("<code>{}</code>", esc(key)),
            cells,
        }
    }

    /// A row whose header is a human label with the CSV name under it in small code.
    pub fn metric(label: &str, name: &str, cells: Vec<Cell>) -> Row {
        Row {
            header: format!("{}<br><code class=\"key\">{}</code>", esc(label), esc(name)),
            cells,
        }
    }
}

/// A table with a caption and column headers; the first column holds the row headers.
/// Numeric cells align right by their `num` class.
pub fn table(class: &str, caption: &str, head: &[&str], rows: &[Row]) -> String {
    let mut out = format!("<table class=\"{}\">", esc(class));
    if !caption.is_empty() {
        let _ = write!(out, "<caption>{}</caption>", esc(caption));
    }
    out.push_str("<thead><tr>");
    // A column header aligns like its column: right over numbers.
    let numeric = |cell: usize| {
        rows.first()
            .and_then(|r| r.cells.get(cell))
            .is_some_and(|c| matches!(c, Cell::Num(..) | Cell::RightText(_)))
    };
    for (i, h) in head.iter().enumerate() {
        let class = if i > 0 && numeric(i - 1) {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", r.header);
        for c in &r.cells {
            c.render(&mut out);
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// A two-column key/value table (for the manifest), values as code.
pub fn facts(caption: &str, items: &[(&str, String)]) -> String {
    let rows: Vec<Row> = items
        .iter()
        .map(|(k, v)| Row::new(k, vec![Cell::Code(v.clone())]))
        .collect();
    table("facts", caption, &["Field", "Value"], &rows)
}

/// The whole document: doctype, language, title, inline CSS, then `body`.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"dealsim {}\">\n\
         <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        include_str!("style.css")
    )
}

/// A section with a heading (`id` for in-page links).
pub fn section(id: &str, heading: &str, body: &str) -> String {
    format!(
        "<section id=\"{}\" aria-labelledby=\"{0}-h\">\n<h2 id=\"{0}-h\">{}</h2>\n{body}</section>\n",
        esc(id),
        esc(heading)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn rounds_with_separators() {
        assert_eq!(rounded(10480.706022554488, 2), "10,480.71");
        assert_eq!(rounded(-1234567.0, 2), "-1,234,567.00");
        assert_eq!(rounded(0.025215752311721056, 2), "0.0252");
        assert_eq!(rounded(-0.0001, 2), "-0.000100");
        assert_eq!(rounded(-0.0, 2), "0.00");
        assert_eq!(rounded(123.0, 0), "123");
        assert_eq!(shown(0.983, Show::Percent), "98.3\u{a0}%");
        assert_eq!(shown(0.1, Show::Exact), "0.1");
        assert_eq!(shown(-0.166, Show::Points), "-16.6\u{a0}pp");
    }
}
