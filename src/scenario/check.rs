//! Small typed readers for raw values, each reporting into a shared problem list instead
//! of returning at the first error (so one run of validation finds everything).
//!
//! Every reader takes the node and its key path and returns `None` when the value is
//! unusable, after recording why: the expected type, the value found and the rule.

use super::emit::inline;
use super::error::{unknown_key_message, Problem};
use super::raw::{Origin, RawNode, RawValue};
use crate::date::Date;

/// Calendar years accepted anywhere in a scenario (start/end years, schedule years,
/// dates). Wide enough for any deal, narrow enough to catch typos such as `226`.
pub const YEAR_MIN: i32 = 1900;
pub const YEAR_MAX: i32 = 2200;

/// Collects problems; see the module doc.
pub struct Checker {
    pub problems: Vec<Problem>,
    /// The main file's label: its values rank above its `extends` parents' (see `across`).
    main: String,
    /// Where `simulation.start_year` and `end_year` came from, once read: the horizon
    /// that dates and schedules are checked against.
    pub horizon: Vec<(Origin, &'static str)>,
}

/// Where a value came from, for "(x is from ...)" notes: the `--set`, or file and line.
fn source(o: &Origin) -> String {
    match (&o.set_arg, o.line) {
        (Some(arg), _) => format!("`--set {arg}`"),
        (None, Some(line)) => format!("{}, line {line}", o.file),
        (None, None) => o.file.to_string(),
    }
}

/// A value for messages: its TOML text, shortened.
pub fn shown(node: &RawNode) -> String {
    let s = inline(node);
    if s.chars().count() > 60 {
        let head: String = s.chars().take(57).collect();
        format!("{head}...")
    } else {
        s
    }
}

/// A number for messages: plain for ordinary magnitudes, exponent form from 1e6 up and
/// for tiny ones (so `1e308` does not print 309 digits and bounds read as `2e6 > 1e6`).
pub fn num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-6..1e6).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

impl Checker {
    pub fn new() -> Checker {
        Checker::for_file("")
    }

    /// A checker for the merged scenario whose main file is labelled `main`.
    pub fn for_file(main: &str) -> Checker {
        Checker {
            problems: Vec::new(),
            main: main.to_string(),
            horizon: Vec::new(),
        }
    }

    /// Records a problem at `origin` for `path`.
    pub fn at(&mut self, origin: &Origin, path: &str, msg: impl Into<String>) {
        let p = Problem::new(&*origin.file, path, origin.line, msg);
        self.problems.push(p.from_set(origin.set_arg.as_deref()));
    }

    /// How late a value's layer was applied: `--set` after the main file, the main file
    /// over its parents (parents tie; the first key given then takes the blame).
    fn rank(&self, o: &Origin) -> u8 {
        if o.set_arg.is_some() {
            2
        } else if *o.file == *self.main {
            1
        } else {
            0
        }
    }

    /// Records a broken rule across keys (`incremental + cloud_cannibalization <= 1`, a
    /// date inside the horizon). It is blamed on the value set last, the change that broke
    /// it (a `--set`, then the child over its parents); the message says where each of
    /// the other values came from when that is elsewhere. `keys` lists the origin and
    /// key path of each value involved, the one to blame on a tie first.
    pub fn across(&mut self, keys: &[(&Origin, &str)], msg: impl Into<String>) {
        let Some(blamed) = (0..keys.len()).max_by_key(|&i| (self.rank(keys[i].0), usize::MAX - i))
        else {
            return;
        };
        let (origin, path) = keys[blamed];
        let mut msg = msg.into();
        let others: Vec<String> = keys
            .iter()
            .enumerate()
            .filter(|&(i, (o, _))| {
                i != blamed && (o.file != origin.file || o.set_arg != origin.set_arg)
            })
            .map(|(_, (o, p))| format!("{p} is from {}", source(o)))
            .collect();
        if !others.is_empty() {
            msg.push_str(&format!(" ({})", others.join("; ")));
        }
        let origin = origin.clone();
        self.at(&origin, path, msg);
    }

    /// [`across`](Self::across) for a value checked against the simulation horizon.
    pub fn against_horizon(&mut self, node: &RawNode, path: &str, msg: impl Into<String>) {
        let horizon = self.horizon.clone();
        let mut keys = vec![(&node.origin, path)];
        keys.extend(horizon.iter().map(|(o, p)| (o, *p)));
        self.across(&keys, msg);
    }

    /// Records a problem about `node`'s value.
    pub fn bad(&mut self, node: &RawNode, path: &str, msg: impl Into<String>) {
        self.at(&node.origin, path, msg);
    }

    fn wrong_type(&mut self, node: &RawNode, path: &str, expected: &str) {
        let msg = format!(
            "expected {expected}, found {} {}",
            node.type_name(),
            shown(node)
        );
        self.bad(node, path, msg);
    }

    /// A finite number (integers are fine where a float is expected).
    pub fn number(&mut self, node: &RawNode, path: &str) -> Option<f64> {
        let x = match node.value {
            RawValue::Float(x) => x,
            // i128 -> f64 rounds for huge integers, which the magnitude bounds reject.
            RawValue::Int(i) => i as f64,
            _ => {
                self.wrong_type(node, path, "a number");
                return None;
            }
        };
        if !x.is_finite() {
            self.bad(
                node,
                path,
                format!("{} is not a finite number", shown(node)),
            );
            return None;
        }
        Some(x)
    }

    /// An integer within `[lo, hi]`; `what` describes the rule (`a year in [1900, 2200]`).
    pub fn integer(
        &mut self,
        node: &RawNode,
        path: &str,
        lo: i128,
        hi: i128,
        what: &str,
    ) -> Option<i128> {
        let RawValue::Int(i) = node.value else {
            self.wrong_type(node, path, "an integer");
            return None;
        };
        if i < lo || i > hi {
            self.bad(node, path, format!("{i} is out of range: must be {what}"));
            return None;
        }
        Some(i)
    }

    /// A calendar year in `[YEAR_MIN, YEAR_MAX]`.
    pub fn year(&mut self, node: &RawNode, path: &str) -> Option<i32> {
        let what = format!("a year in [{YEAR_MIN}, {YEAR_MAX}]");
        let y = self.integer(
            node,
            path,
            i128::from(YEAR_MIN),
            i128::from(YEAR_MAX),
            &what,
        )?;
        i32::try_from(y).ok()
    }

    pub fn string(&mut self, node: &RawNode, path: &str) -> Option<String> {
        match &node.value {
            RawValue::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    pub fn boolean(&mut self, node: &RawNode, path: &str) -> Option<bool> {
        match node.value {
            RawValue::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, path, "true or false");
                None
            }
        }
    }

    /// A bare TOML local date, inside `horizon` (first and last day, inclusive) when one
    /// is given. Strings and date-times are refused with a hint: they are the usual slip.
    pub fn date(
        &mut self,
        node: &RawNode,
        path: &str,
        horizon: Option<(Date, Date)>,
    ) -> Option<Date> {
        let d = match &node.value {
            RawValue::Date(d) => *d,
            RawValue::Str(_) => {
                let msg = format!(
                    "found the string {}; write it as a bare TOML date without quotes, like 2026-04-27",
                    shown(node)
                );
                self.bad(node, path, msg);
                return None;
            }
            RawValue::Datetime(s) => {
                let date = s.get(..10).unwrap_or(s);
                let msg = format!(
                    "found the date-time {s}; write it as a bare date without a time, like {date}"
                );
                self.bad(node, path, msg);
                return None;
            }
            _ => {
                self.wrong_type(node, path, "a date like 2026-04-27");
                return None;
            }
        };
        if let Some((first, last)) = horizon {
            if d < first || d > last {
                let msg =
                    format!("{d} is outside the simulation horizon: must be in [{first}, {last}]");
                self.against_horizon(node, path, msg);
                return None;
            }
        }
        Some(d)
    }

    /// The entries of a table, or a type problem.
    pub fn table<'a>(&mut self, node: &'a RawNode, path: &str) -> Option<&'a [(String, RawNode)]> {
        match &node.value {
            RawValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(node, path, "a table");
                None
            }
        }
    }

    /// Reports every key of `entries` that is not in `known`, with a "did you mean".
    pub fn unknown_keys(&mut self, entries: &[(String, RawNode)], path: &str, known: &[&str]) {
        for (k, v) in entries {
            if !known.contains(&k.as_str()) {
                let sub = super::raw::join(path, k);
                self.bad(v, &sub, unknown_key_message(k, known));
            }
        }
    }
}

/// Whether a missing `key` was (probably) misspelt: an unknown entry whose "did you
/// mean" points at it. The unknown-key problem then says it all; a second "missing
/// required key" problem would only be noise.
pub fn misspelt(entries: &[(String, RawNode)], known: &[&str], key: &str) -> bool {
    entries
        .iter()
        .any(|(k, _)| !known.contains(&k.as_str()) && super::error::suggest(k, known) == Some(key))
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

/// A section (top-level table) being read: its node if present, and where to report keys
/// that are missing from it (the header line, or the file when the section is absent).
pub struct Section<'a> {
    pub path: &'static str,
    pub node: Option<&'a RawNode>,
    pub origin: Origin,
    /// The keys this section may hold (for "did you mean").
    pub known: Vec<&'static str>,
}

impl<'a> Section<'a> {
    pub fn get(&self, key: &str) -> Option<&'a RawNode> {
        self.node?.get(key)
    }

    pub fn key_path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The value of a required key. A missing key is reported, unless the whole section
    /// is missing (then one problem names the section and lists its required keys).
    pub fn required(&self, ck: &mut Checker, key: &str) -> Option<&'a RawNode> {
        let v = self.get(key);
        if let (None, Some(node)) = (v, self.node) {
            if !misspelt(node.as_table().unwrap_or(&[]), &self.known, key) {
                ck.at(&self.origin, &self.key_path(key), "missing required key");
            }
        }
        v
    }
}
