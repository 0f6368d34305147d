//! Changes to a raw tree before validation: `extends` deep-merge and `--set` overrides.
//!
//! Merge rules (documented for scenario authors): tables merge key by key, recursively;
//! every other value, arrays included (`[[stake.rounds]]`), is replaced wholesale by the
//! child's. A value keeps the origin (file, line) it was written in, so errors point at
//! the file that actually holds the bad value.

use std::collections::HashMap;
use std::sync::Arc;

use super::error::Problem;
use super::raw::{parse_value, Origin, RawNode, RawValue};

/// The label used as the "file" of every value that came from the command line.
pub const SET_LABEL: &str = "--set";

/// Deep-merges `child` over `base` (child wins; tables merge recursively).
/// Linear in the size of both trees: keys are found through a hash index.
pub fn merge(base: &mut RawNode, child: RawNode) {
    match (&mut base.value, child.value) {
        (RawValue::Table(b), RawValue::Table(c)) => {
            let mut index: HashMap<String, usize> = b
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i))
                .collect();
            for (k, v) in c {
                match index.get(&k) {
                    Some(&i) => merge(&mut b[i].1, v),
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
/// tables on the way are created. Errors name the whole `--set` argument.
pub fn apply_set(raw: &mut RawNode, arg: &str) -> Result<(), Problem> {
    let file: Arc<str> = Arc::from(SET_LABEL);
    let fail = |key: &str, msg: String| {
        Problem::new(SET_LABEL, key, None, format!("{msg} (in `--set {arg}`)"))
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
    let value = parse_value(value_text.trim(), &file, path)
        .map_err(|p| fail(path, format!("invalid value: {}", p.message)))?;
    let origin = Origin::new(&file, None);
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
        }
        if last {
            *node = value;
            return Ok(());
        }
    }
    Ok(())
}

/// The path up to (not including) `name`, for "not a table" messages.
fn trim_dot<'a>(walked: &'a str, name: &str) -> &'a str {
    let cut = walked.len() - name.len();
    walked[..cut].trim_end_matches('.')
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
            e.message.contains("--set channel.ceiling=0.2x"),
            "{}",
            e.message
        );
        assert!(apply_set(&mut t, "novalue").is_err());
        assert!(apply_set(&mut t, "a..b=1").is_err());
    }
}
