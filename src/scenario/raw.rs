//! The raw stage: TOML text -> a small tree that mirrors the file, every value tagged with
//! the file and line it came from.
//!
//! Parsing uses `toml::de::DeTable` (spans, no serde), then copies into [`RawNode`], so
//! that `extends` merging, `--set` overrides and validation work on one owned tree and
//! every error can name a file and line. Nothing here checks meaning; `validate` does.
//! Tables keep file order (toml's map is sorted; we re-sort entries by key position).

use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::error::Problem;
use crate::date::Date;

/// Where a value came from: a file label (`scenarios/base.toml`, `<stdin>`, `--set`)
/// and the 1-based line of its key, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: Option<usize>,
    /// For a value from the command line, the whole `--set` argument that set it
    /// (`company.growth_vol=abc`), so its problems can name it; `None` for files.
    pub set_arg: Option<Arc<str>>,
}

impl Origin {
    pub fn new(file: &Arc<str>, line: Option<usize>) -> Origin {
        Origin {
            file: Arc::clone(file),
            line,
            set_arg: None,
        }
    }
}

/// A TOML value as written. Integers are wide enough for any `u64` seed.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    /// A TOML local date (`2026-04-27`).
    Date(Date),
    /// Any other TOML date-time (with a time or offset, or a bare time), as written.
    Datetime(String),
    /// Entries in file order; keys are unique.
    Table(Vec<(String, RawNode)>),
    Array(Vec<RawNode>),
}

/// One value of the tree with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct RawNode {
    pub value: RawValue,
    pub origin: Origin,
}

impl RawNode {
    pub fn new(value: RawValue, origin: Origin) -> RawNode {
        RawNode { value, origin }
    }

    /// An empty table (what an empty file parses to).
    pub fn empty_table(origin: Origin) -> RawNode {
        RawNode::new(RawValue::Table(Vec::new()), origin)
    }

    /// The entries, if this is a table.
    pub fn as_table(&self) -> Option<&[(String, RawNode)]> {
        match &self.value {
            RawValue::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The entry `key` of a table (linear: tables are small, and every caller looks up
    /// a fixed, short list of known keys).
    pub fn get(&self, key: &str) -> Option<&RawNode> {
        self.as_table()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The TOML type name, for "expected a number, found a string" messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            RawValue::Int(_) => "an integer",
            RawValue::Float(_) => "a float",
            RawValue::Bool(_) => "a boolean",
            RawValue::Str(_) => "a string",
            RawValue::Date(_) => "a date",
            RawValue::Datetime(_) => "a date-time",
            RawValue::Table(_) => "a table",
            RawValue::Array(_) => "an array",
        }
    }
}

/// Byte offset -> 1-based line, by binary search over line starts (linear to build, so
/// megabyte files stay fast).
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }
}

/// Bytes -> text, or a problem naming the first invalid byte (binary garbage never panics).
pub fn decode<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, Problem> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        Problem::new(
            file,
            "",
            Some(line),
            format!("not UTF-8 text (byte offset {offset})"),
        )
    })
}

/// Whether parse errors may quote the text they are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// The user's own scenario: quoting the offending line helps and reveals nothing
    /// they cannot already read.
    Quote,
    /// A file reached through `extends`, which a scenario from someone else may point
    /// anywhere: only the line and the kind of problem, never the text (it could be a
    /// credentials file).
    Withhold,
}

/// Parses a whole TOML document into a table node. Syntax errors (including duplicate
/// keys) come back with the line and, with [`Echo::Quote`], the offending source line.
#[cfg(test)]
pub fn parse_document(text: &str, file: &Arc<str>) -> Result<RawNode, Vec<Problem>> {
    parse_document_with(text, file, Echo::Quote)
}

/// [`parse_document`], choosing whether errors quote the text.
pub fn parse_document_with(
    text: &str,
    file: &Arc<str>,
    echo: Echo,
) -> Result<RawNode, Vec<Problem>> {
    let lines = Lines::new(text);
    let root =
        DeTable::parse(text).map_err(|e| vec![syntax_problem(&e, text, &lines, file, echo)])?;
    let mut problems = Vec::new();
    let cv = Converter {
        lines: &lines,
        file,
        echo,
    };
    let node = RawNode::new(
        RawValue::Table(cv.table(root.get_ref(), &mut problems, "")),
        Origin::new(file, None),
    );
    if problems.is_empty() {
        Ok(node)
    } else {
        Err(problems)
    }
}

/// Parses one TOML value (the right-hand side of a `--set key=value`).
pub fn parse_value(text: &str, file: &Arc<str>, key_path: &str) -> Result<RawNode, Problem> {
    let lines = Lines::new(text);
    let value = DeValue::parse(text).map_err(|e| {
        let mut p = syntax_problem(&e, text, &lines, file, Echo::Quote);
        p.line = None;
        p.key_path = key_path.to_string();
        p
    })?;
    let mut problems = Vec::new();
    let cv = Converter {
        lines: &lines,
        file,
        echo: Echo::Quote,
    };
    let mut node = cv.value(value.get_ref(), 0, &mut problems, key_path);
    clear_lines(&mut node);
    match problems.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(node),
    }
}

/// Command-line values have no line in any file.
fn clear_lines(node: &mut RawNode) {
    node.origin.line = None;
    match &mut node.value {
        RawValue::Table(t) => t.iter_mut().for_each(|(_, v)| clear_lines(v)),
        RawValue::Array(a) => a.iter_mut().for_each(clear_lines),
        _ => {}
    }
}

fn syntax_problem(
    e: &toml::de::Error,
    text: &str,
    lines: &Lines,
    file: &Arc<str>,
    echo: Echo,
) -> Problem {
    let Some(span) = e.span() else {
        return Problem::new(&**file, "", None, format!("invalid TOML: {}", e.message()));
    };
    let line = lines.line(span.start);
    if echo == Echo::Withhold {
        // toml's messages name the kind of problem only (they never quote the input);
        // the source line is what would leak.
        return Problem::new(
            &**file,
            "",
            Some(line),
            format!("invalid TOML: {} (contents not shown)", e.message()),
        );
    }
    let src: String = text
        .lines()
        .nth(line - 1)
        .unwrap_or("")
        .trim()
        .chars()
        .take(80)
        .collect();
    Problem::new(
        &**file,
        "",
        Some(line),
        format!("invalid TOML: {}: `{src}`", e.message()),
    )
}

struct Converter<'a> {
    lines: &'a Lines,
    file: &'a Arc<str>,
    echo: Echo,
}

impl Converter<'_> {
    fn origin(&self, offset: usize) -> Origin {
        Origin::new(self.file, Some(self.lines.line(offset)))
    }

    fn table(
        &self,
        t: &DeTable<'_>,
        problems: &mut Vec<Problem>,
        path: &str,
    ) -> Vec<(String, RawNode)> {
        let mut entries: Vec<_> = t.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
            .into_iter()
            .map(|(k, v)| {
                let key = k.get_ref().to_string();
                let sub = join(path, &key);
                let mut node = self.value(v.get_ref(), v.span().start, problems, &sub);
                // A value's line is its key's line: for `[section]` tables the header,
                // for multi-line arrays the line that names them.
                node.origin = self.origin(k.span().start);
                (key, node)
            })
            .collect()
    }

    fn value(
        &self,
        v: &DeValue<'_>,
        offset: usize,
        problems: &mut Vec<Problem>,
        path: &str,
    ) -> RawNode {
        let origin = self.origin(offset);
        // A withheld file's key names are its contents too (`API_TOKEN = ...`).
        let shown_path = if self.echo == Echo::Quote { path } else { "" };
        let mut bad =
            |msg: String| problems.push(Problem::new(&**self.file, shown_path, origin.line, msg));
        let value = match v {
            DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => RawValue::Int(n),
                Err(_) if self.echo == Echo::Withhold => {
                    bad(String::from("integer is too large (value not shown)"));
                    RawValue::Int(0)
                }
                Err(_) => {
                    bad(format!("integer {i} is too large"));
                    RawValue::Int(0)
                }
            },
            DeValue::Float(f) => match parse_float(f.as_str()) {
                Some(x) => RawValue::Float(x),
                None if self.echo == Echo::Withhold => {
                    bad(String::from(
                        "cannot read a float as a number (value not shown)",
                    ));
                    RawValue::Float(0.0)
                }
                None => {
                    bad(format!("cannot read {f} as a number"));
                    RawValue::Float(0.0)
                }
            },
            DeValue::Boolean(b) => RawValue::Bool(*b),
            DeValue::String(s) => RawValue::Str(s.to_string()),
            DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => {
                    match Date::new(i32::from(d.year), u32::from(d.month), u32::from(d.day)) {
                        Some(date) => RawValue::Date(date),
                        None => RawValue::Datetime(dt.to_string()),
                    }
                }
                _ => RawValue::Datetime(dt.to_string()),
            },
            DeValue::Array(a) => RawValue::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, e)| {
                        self.value(
                            e.get_ref(),
                            e.span().start,
                            problems,
                            &format!("{path}[{i}]"),
                        )
                    })
                    .collect(),
            ),
            DeValue::Table(t) => RawValue::Table(self.table(t, problems, path)),
        };
        RawNode::new(value, origin)
    }
}

/// `a.b` (or `b` at the top level).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// TOML float text (underscores already removed by the parser) -> f64. `nan` and `inf`
/// are kept (validation rejects them as not finite, naming the key); an overflowing
/// literal such as `1e400` becomes infinite and is rejected the same way.
pub fn parse_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let x = match body {
        "nan" => f64::NAN,
        "inf" => f64::INFINITY,
        _ => body.parse::<f64>().ok()?,
    };
    Some(if neg { -x } else { x })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<str> {
        Arc::from("t.toml")
    }

    #[test]
    fn lines_are_one_based_and_keep_file_order() {
        let t = parse_document("z = 1\n\n[b]\nx = 2.5\n[a]\ny = \"s\"\n", &file()).unwrap();
        let keys: Vec<_> = t
            .as_table()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["z", "b", "a"]);
        assert_eq!(t.get("b").unwrap().origin.line, Some(3));
        assert_eq!(t.get("b").unwrap().get("x").unwrap().origin.line, Some(4));
        assert_eq!(
            t.get("b").unwrap().get("x").unwrap().value,
            RawValue::Float(2.5)
        );
    }

    #[test]
    fn numbers_radix_and_specials() {
        let t = parse_document(
            "a = 0x1F\nb = -1_000\nc = nan\nd = -inf\ne = 1e400\n",
            &file(),
        )
        .unwrap();
        assert_eq!(t.get("a").unwrap().value, RawValue::Int(31));
        assert_eq!(t.get("b").unwrap().value, RawValue::Int(-1000));
        assert!(matches!(t.get("c").unwrap().value, RawValue::Float(x) if x.is_nan()));
        assert_eq!(
            t.get("d").unwrap().value,
            RawValue::Float(f64::NEG_INFINITY)
        );
        assert_eq!(t.get("e").unwrap().value, RawValue::Float(f64::INFINITY));
    }

    #[test]
    fn dates_and_datetimes() {
        let t = parse_document("a = 2026-04-27\nb = 2026-04-27T10:00:00\n", &file()).unwrap();
        assert_eq!(
            t.get("a").unwrap().value,
            RawValue::Date(Date::new(2026, 4, 27).unwrap())
        );
        assert!(matches!(t.get("b").unwrap().value, RawValue::Datetime(_)));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse_document("a = 1\na = 2\n", &file()).unwrap_err();
        assert_eq!(e[0].line, Some(2));
        assert!(e[0].message.contains("duplicate key"), "{}", e[0].message);
    }

    #[test]
    fn invalid_utf8_names_the_offset() {
        let p = decode(b"a = 1\n\xff\xfe", "t.toml").unwrap_err();
        assert_eq!(p.message, "not UTF-8 text (byte offset 6)");
        assert_eq!(p.line, Some(2));
    }
}
