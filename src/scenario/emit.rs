//! The raw tree back out: as TOML text (the effective scenario after `extends` and
//! `--set`, e.g. written next to a run's outputs) and as flat `key = value` pairs (for
//! listing what differs between two scenarios).
//!
//! Output is deterministic: file order, with the one reordering TOML demands (a table's
//! plain values before its sub-table headers). Top-level tables become `[section]`
//! headers, arrays of tables `[[a.b]]` headers, deeper tables (distributions,
//! schedules) inline tables. Floats print in Rust's shortest round-trip form.

use std::fmt::Write;

use super::raw::{join, RawNode, RawValue};

impl RawNode {
    /// The tree as a TOML document that parses back to the same values.
    pub fn to_toml_string(&self) -> String {
        let mut out = String::new();
        match &self.value {
            RawValue::Table(entries) => write_table(&mut out, "", entries),
            _ => out.push_str(&inline(self)),
        }
        out
    }

    /// Every leaf as `(key path, value as TOML)`, in file order: `channel.ceiling`,
    /// `channel.ceiling.low` (a distribution's keys each), `stake.rounds[0].date`,
    /// `revenue_share.rate.2029`. Arrays of plain values are one entry.
    pub fn flatten(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten_into(&mut out, "", self);
        out
    }

    /// Every value a scenario key holds, one entry per key: like [`RawNode::flatten`],
    /// but a distribution or schedule is one inline value (`channel.ceiling =
    /// { dist = "triangular", ... }`) and each round one entry (`stake.rounds[0]`), so
    /// a key that changes from a distribution to a constant is one difference, not five.
    pub fn flatten_values(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let RawValue::Table(sections) = &self.value {
            for (name, section) in sections {
                match &section.value {
                    RawValue::Table(entries) => {
                        for (k, v) in entries {
                            let path = join(name, &key_text(k));
                            match &v.value {
                                RawValue::Array(items) if is_table_array(items) => {
                                    for (i, item) in items.iter().enumerate() {
                                        out.push((format!("{path}[{i}]"), inline(item)));
                                    }
                                }
                                _ => out.push((path, inline(v))),
                            }
                        }
                    }
                    _ => out.push((key_text(name), inline(section))),
                }
            }
        }
        out
    }
}

fn flatten_into(out: &mut Vec<(String, String)>, path: &str, node: &RawNode) {
    match &node.value {
        RawValue::Table(entries) if !entries.is_empty() => {
            for (k, v) in entries {
                flatten_into(out, &join(path, &key_text(k)), v);
            }
        }
        RawValue::Array(items) if is_table_array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten_into(out, &format!("{path}[{i}]"), item);
            }
        }
        _ => out.push((path.to_string(), inline(node))),
    }
}

/// Non-empty arrays whose elements are all tables print as `[[...]]`.
fn is_table_array(items: &[RawNode]) -> bool {
    !items.is_empty() && items.iter().all(|n| matches!(n.value, RawValue::Table(_)))
}

/// Writes a table's plain entries as `key = value`, then its sub-tables as headers.
/// At the top level every table is a `[section]`; below it only arrays of tables get
/// headers, everything else is inline (distributions, schedules are short).
fn write_table(out: &mut String, path: &str, entries: &[(String, RawNode)]) {
    let top = path.is_empty();
    let is_header = |v: &RawNode| match &v.value {
        RawValue::Table(_) => top,
        RawValue::Array(items) => is_table_array(items),
        _ => false,
    };
    for (k, v) in entries.iter().filter(|(_, v)| !is_header(v)) {
        let _ = writeln!(out, "{} = {}", key_text(k), inline(v));
    }
    for (k, v) in entries.iter().filter(|(_, v)| is_header(v)) {
        let sub = join(path, &key_text(k));
        match &v.value {
            RawValue::Table(t) => {
                let _ = writeln!(out, "\n[{sub}]");
                write_table(out, &sub, t);
            }
            RawValue::Array(items) => {
                for item in items {
                    let _ = writeln!(out, "\n[[{sub}]]");
                    if let RawValue::Table(t) = &item.value {
                        write_inline_entries(out, t);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Entries of an array-of-tables element: all inline (rounds hold plain values).
fn write_inline_entries(out: &mut String, entries: &[(String, RawNode)]) {
    for (k, v) in entries {
        let _ = writeln!(out, "{} = {}", key_text(k), inline(v));
    }
}

/// A value in inline TOML syntax.
pub(crate) fn inline(node: &RawNode) -> String {
    match &node.value {
        RawValue::Int(i) => i.to_string(),
        RawValue::Float(x) => float_text(*x),
        RawValue::Bool(b) => b.to_string(),
        RawValue::Str(s) => quote(s),
        RawValue::Date(d) => d.to_string(),
        RawValue::Datetime(s) => s.clone(),
        RawValue::Array(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        RawValue::Table(entries) if entries.is_empty() => String::from("{}"),
        RawValue::Table(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{} = {}", key_text(k), inline(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}

/// Shortest text that reads back as the same f64, always TOML-float shaped.
pub fn float_text(x: f64) -> String {
    if x.is_nan() {
        String::from("nan")
    } else if x.is_infinite() {
        String::from(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        // `{:?}` keeps a `.0` or an exponent, so the value stays a float in TOML.
        format!("{x:?}")
    }
}

/// A key, quoted unless it is a bare TOML key.
fn key_text(k: &str) -> String {
    let bare = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A TOML basic string with the escapes the spec requires.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::raw::parse_document;
    use super::*;

    /// Same values and keys, ignoring origins (lines change when re-emitted).
    fn same(a: &RawNode, b: &RawNode) -> bool {
        match (&a.value, &b.value) {
            (RawValue::Table(x), RawValue::Table(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
            }
            (RawValue::Array(x), RawValue::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (RawValue::Float(x), RawValue::Float(y)) => x.to_bits() == y.to_bits(),
            (x, y) => x == y,
        }
    }

    const DOC: &str = r#"top = "x"
[meta]
name = "Quote \" and \\ and tab	"
[stake]
initial = 0.27
annual_dilution = { 2026 = 0.04, 2029 = 0.02 }
[[stake.rounds]]
date = 2026-06-30
amount = 50.0
[[stake.rounds]]
date = 2027-01-01
amount = { dist = "uniform", low = 1, high = 2e3 }
[channel]
ceiling = { dist = "triangular", low = 0.05, mode = 0.15, high = 0.35 }
big = 1e300
list = [1, 2.5, "a"]
when = 2026-01-01T10:00:00Z
"odd key" = true
[channel.extra]
deep = { a = { b = 1 } }
"#;

    #[test]
    fn toml_round_trips() {
        let f: Arc<str> = Arc::from("t.toml");
        let a = parse_document(DOC, &f).unwrap();
        let text = a.to_toml_string();
        let b = parse_document(&text, &f).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert!(same(&a, &b), "{text}");
        assert_eq!(b.to_toml_string(), text, "emitting is a fixed point");
    }

    #[test]
    fn flatten_paths() {
        let f: Arc<str> = Arc::from("t.toml");
        let a = parse_document(DOC, &f).unwrap();
        let flat = a.flatten();
        let get = |k: &str| flat.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
        assert_eq!(get("stake.initial"), Some("0.27"));
        assert_eq!(get("stake.annual_dilution.2029"), Some("0.02"));
        assert_eq!(get("stake.rounds[1].date"), Some("2027-01-01"));
        assert_eq!(get("stake.rounds[1].amount.high"), Some("2000.0"));
        assert_eq!(get("channel.ceiling.dist"), Some("\"triangular\""));
        assert_eq!(get("channel.\"odd key\""), Some("true"));
        assert_eq!(flat[0].0, "top");
    }
}
