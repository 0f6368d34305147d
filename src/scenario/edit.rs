//! Changes to a raw tree before validation: `extends` deep-merge and `--set` overrides.
//!
//! Merge rules (documented for scenario authors in docs/scenario-format.md): the document
//! and its sections (`[company]`, ...) merge key by key; the value of a key inside a
//! section is replaced whole by the child's, whatever it is: a number, an inline
//! distribution, a schedule or the `[[stake.rounds]]` array. Merging a distribution key
//! by key would mix two distributions (a child's `uniform` keeping the parent's `mode`)
//! and blame the mix on the parent. A value keeps the origin (file, line) it was written
//! in, so errors point at the file that actually holds the bad value.

use std::collections::HashMap;
use std::sync::Arc;

use super::error::Problem;
use super::raw::{parse_value, Origin, RawNode, RawValue};

/// The label used as the "file" of every value that came from the command line.
pub const SET_LABEL: &str = "--set";

/// Levels that merge key by key: the document (0) and its sections (1). Anything deeper
/// is a key's value and is replaced whole.
const MERGED_LEVELS: usize = 2;

/// Merges `child` over `base` (child wins): the document and its sections key by key,
/// every value inside a section replaced whole. Linear in the size of both trees: keys
/// are found through a hash index.
pub fn merge(base: &mut RawNode, child: RawNode) {
    merge_at(base, child, 0);
}

fn merge_at(base: &mut RawNode, child: RawNode, level: usize) {
    match (&mut base.value, child.value) {
        (RawValue::Table(b), RawValue::Table(c)) if level < MERGED_LEVELS => {
            let mut index: HashMap<String, usize> = b
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            for (k, v) in c {
                match index.get(&k) {
                    Some(&i) => merge_at(&mut b[i].1, v, level + 1),
                    None => {
                        index.insert(k.clone(), b.len());
                        b.push((k, v));
                    }
                }
            }
            // The child's table header is where a missing key would have to be added.
            base.origin = child.origin;
        }
        (_, value) => {
            base.value = value;
            base.origin = child.origin;
        }
    }
}

/// One step of a `--set` key path: a table key, or an index into an existing array
/// (`stake.rounds[0].amount`, the same spelling `flatten` uses).
enum Step {
    Key(String),
    Index(String, usize),
}

fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let part = part.trim();
        match part.split_once('[') {
            Some((name, rest)) => {
                let idx = rest.strip_suffix(']')?.trim().parse().ok()?;
                if !is_bare_key(name) {
                    return None;
                }
                steps.push(Step::Index(name.to_string(), idx));
            }
            None if is_bare_key(part) => steps.push(Step::Key(part.to_string())),
            None => return None,
        }
    }
    Some(steps)
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Applies `key.path=value` to the merged tree: the value is a TOML value (`0.2`,
/// `"text"`, `2026-06-30`, `{ dist = "uniform", low = 0.1, high = 0.2 }`); missing
/// tables on the way are created. Every value it writes carries the whole argument in
/// its origin, so this and any later problem with it is shown as
/// `error: --set company.growth_vol=abc: ...`, never as a line of the file.
pub fn apply_set(raw: &mut RawNode, arg: &str) -> Result<(), Problem> {
    let file: Arc<str> = Arc::from(SET_LABEL);
    let origin = Origin {
        set_arg: Some(Arc::from(arg.trim())),
        ..Origin::new(&file, None)
    };
    let fail = |key: &str, msg: String| {
        Problem::new(SET_LABEL, key, None, msg).from_set(origin.set_arg.as_deref())
    };
    let Some((path, value_text)) = arg.split_once('=') else {
        return Err(fail(
            "",
            String::from("expected KEY=VALUE, e.g. channel.ceiling=0.2"),
        ));
    };
    let path = path.trim();
    let Some(steps) = parse_path(path) else {
        return Err(fail(path, String::from("invalid key path; write dotted keys like channel.ceiling or stake.rounds[0].amount")));
    };
    let mut value = parse_value(value_text.trim(), &file, path)
        .map_err(|p| fail(path, format!("invalid value: {}", p.message)))?;
    set_origin(&mut value, &origin);
    let mut node = raw;
    let mut walked = String::new();
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let (name, index) = match step {
            Step::Key(k) => (k, None),
            Step::Index(k, n) => (k, Some(*n)),
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(name);
        let RawValue::Table(entries) = &mut node.value else {
            return Err(fail(
                path,
                format!(
                    "cannot set a key inside {}: it is not a table",
                    trim_dot(&walked, name)
                ),
            ));
        };
        let pos = match entries.iter().position(|(k, _)| k == name) {
            Some(p) => p,
            None if index.is_some() => {
                return Err(fail(
                    path,
                    format!("{walked} is not an array in the scenario"),
                ));
            }
            None => {
                entries.push((name.clone(), RawNode::empty_table(origin.clone())));
                entries.len() - 1
            }
        };
        node = &mut entries[pos].1;
        if let Some(n) = index {
            let RawValue::Array(items) = &mut node.value else {
                return Err(fail(path, format!("{walked} is not an array")));
            };
            let len = items.len();
            let Some(item) = items.get_mut(n) else {
                return Err(fail(
                    path,
                    format!("{walked} has {len} entries; no index {n}"),
                ));
            };
            walked.push_str(&format!("[{n}]"));
            node = item;
        } else if i >= 1 && !last {
            // Editing inside a key's value (a distribution's `low`): the value as a whole
            // is now this `--set`'s, and so are problems between its parts.
            node.origin = origin.clone();
        }
        if last {
            *node = value;
            return Ok(());
        }
    }
    Ok(())
}

/// Marks every node of a value written by `--set` with its origin.
fn set_origin(node: &mut RawNode, origin: &Origin) {
    node.origin = origin.clone();
    match &mut node.value {
        RawValue::Table(t) => t.iter_mut().for_each(|(_, v)| set_origin(v, origin)),
        RawValue::Array(a) => a.iter_mut().for_each(|v| set_origin(v, origin)),
        _ => {}
    }
}

/// The path up to (not including) `name`, for "not a table" messages.
fn trim_dot<'a>(walked: &'a str, name: &str) -> &'a str {
    let cut = walked.len() - name.len();
    walked[..cut].trim_end_matches('.')
}

/// Splits `s` at `sep` outside quotes, brackets and braces, so a TOML value keeps its
/// own separators: the `;` between `--variant` edits and the `,` between `--grid` values
/// (`x={dist="uniform",low=1,high=2},0.5`). A stray closer does not hide the separators
/// after it.
pub fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, c) if c == sep && depth <= 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::super::raw::parse_document;
    use super::*;

    fn doc(text: &str, name: &str) -> RawNode {
        parse_document(text, &Arc::from(name)).unwrap()
    }

    #[test]
    fn merge_overrides_leaves_and_replaces_arrays() {
        let mut base = doc("[a]\nx = 1\ny = 2\nr = [1, 2]\n[b]\nz = 3\n", "p.toml");
        let child = doc("[a]\ny = 5\nr = [9]\nw = 0\n", "c.toml");
        merge(&mut base, child);
        let a = base.get("a").unwrap();
        assert_eq!(a.get("x").unwrap().value, RawValue::Int(1));
        assert_eq!(&*a.get("x").unwrap().origin.file, "p.toml");
        assert_eq!(a.get("y").unwrap().value, RawValue::Int(5));
        assert_eq!(&*a.get("y").unwrap().origin.file, "c.toml");
        assert_eq!(a.get("r").unwrap().as_table(), None);
        assert!(matches!(&a.get("r").unwrap().value, RawValue::Array(v) if v.len() == 1));
        assert!(a.get("w").is_some());
        assert!(base.get("b").is_some());
    }

    #[test]
    fn values_inside_sections_are_replaced_whole() {
        let mut base = doc(
            "[a]\nd = { dist = \"pert\", low = 1, mode = 2, high = 3 }\ns = { 2026 = 1, 2027 = 2 }\n",
            "p.toml",
        );
        let child = doc(
            "[a]\nd = { dist = \"uniform\", low = 1, high = 3 }\ns = { 2026 = 5 }\n",
            "c.toml",
        );
        merge(&mut base, child);
        let a = base.get("a").unwrap();
        let d = a.get("d").unwrap();
        assert_eq!(d.get("mode"), None, "the parent's mode must not survive");
        assert_eq!(d.as_table().unwrap().len(), 3);
        assert_eq!(&*d.origin.file, "c.toml");
        let s = a.get("s").unwrap();
        assert_eq!(s.as_table().unwrap().len(), 1);
        assert_eq!(s.get("2027"), None);
    }

    #[test]
    fn set_creates_and_overrides() {
        let mut t = doc(
            "[channel]\nceiling = 0.1\n[[stake.rounds]]\namount = 1\n",
            "c.toml",
        );
        apply_set(&mut t, "channel.ceiling=0.2").unwrap();
        apply_set(&mut t, "revenue_share.rate.2029 = 0.15").unwrap();
        apply_set(&mut t, "stake.rounds[0].amount=7").unwrap();
        let c = t.get("channel").unwrap().get("ceiling").unwrap();
        assert_eq!(c.value, RawValue::Float(0.2));
        assert_eq!(&*c.origin.file, SET_LABEL);
        let r = t.get("revenue_share").unwrap().get("rate").unwrap();
        assert_eq!(r.get("2029").unwrap().value, RawValue::Float(0.15));
        assert!(apply_set(&mut t, "stake.rounds[3].amount=7").is_err());
        assert!(apply_set(&mut t, "channel.ceiling.low=7").is_err());
        let e = apply_set(&mut t, "channel.ceiling=0.2x").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("error: --set channel.ceiling=0.2x: "),
            "{e}"
        );
        assert!(apply_set(&mut t, "novalue").is_err());
        assert!(apply_set(&mut t, "a..b=1").is_err());
    }

    #[test]
    fn splits_only_between_values() {
        assert_eq!(
            split_top_level("a=1; b={x=\"p;q\", y=[1;2]}; c='r;s'", ';'),
            ["a=1", " b={x=\"p;q\", y=[1;2]}", " c='r;s'"]
        );
        assert_eq!(
            split_top_level("{dist=\"uniform\",low=1,high=2},0.5,\"a,b\"", ','),
            ["{dist=\"uniform\",low=1,high=2}", "0.5", "\"a,b\""]
        );
        assert_eq!(split_top_level("", ','), [""]);
        assert_eq!(split_top_level("1,", ','), ["1", ""]);
    }
}
