//! Problems found while reading or checking a scenario, and the error that carries all of
//! them at once (MODEL.md §4: "all problems in one report").
//!
//! A [`Problem`] names the file, the key path and, where the parser knows it, the line.
//! [`ScenarioError`] prints one `error: ...` line per problem, sorted by file then line.

use std::fmt;

use crate::escape::printable;

/// At most this many problems are printed; a huge broken file should not flood the
/// terminal (the rest are counted in a final line, and all stay in `problems`).
const MAX_SHOWN: usize = 100;

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the offending value came from (`--set` for command-line overrides).
    pub file: String,
    /// Dotted key path (`channel.ceiling`, `stake.rounds[0].date`); empty for whole-file
    /// problems such as a TOML syntax error.
    pub key_path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, with the value and the rule where there is one.
    pub message: String,
    /// For a problem with a command-line value (`file` is then `--set`), the argument
    /// that set it: shown in place of the file, `error: --set company.growth_vol=abc: ...`.
    pub set_arg: Option<String>,
}

impl Problem {
    pub fn new(
        file: impl Into<String>,
        key_path: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.into(),
            key_path: key_path.into(),
            line,
            message: message.into(),
            set_arg: None,
        }
    }

    /// The same problem, about the value set by `--set arg`.
    pub fn from_set(mut self, arg: Option<&str>) -> Problem {
        self.set_arg = arg.map(str::to_string);
        self
    }
}

impl fmt::Display for Problem {
    /// `error: scenarios/x.toml: company.grwoth0 (line 12): unknown key; did you mean growth0?`
    /// or, for a command-line value, `error: --set channel.ceiling=1.5: channel.ceiling: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.set_arg {
            Some(arg) => write!(f, "error: {} {}", self.file, printable(arg, 200))?,
            None => write!(f, "error: {}", printable(&self.file, 200))?,
        }
        if !self.key_path.is_empty() {
            write!(f, ": {}", printable(&self.key_path, 200))?;
        }
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(f, ": {}", printable(&self.message, 400))
    }
}

/// Every problem of a scenario: reading, parsing, `--set` and validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// Sorted by file, then line (unknown lines last), otherwise in the order found.
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    /// Sorts the problems (stable, so equal positions keep the order they were found in).
    pub fn new(mut problems: Vec<Problem>) -> ScenarioError {
        problems.sort_by(|a, b| {
            (a.file.as_str(), a.line.unwrap_or(usize::MAX))
                .cmp(&(b.file.as_str(), b.line.unwrap_or(usize::MAX)))
        });
        ScenarioError { problems }
    }

    pub fn single(problem: Problem) -> ScenarioError {
        ScenarioError::new(vec![problem])
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        if self.problems.len() > MAX_SHOWN {
            write!(
                f,
                "\nerror: ... and {} more problems",
                self.problems.len() - MAX_SHOWN
            )?;
        }
        Ok(())
    }
}

/// "did you mean X?" for a misspelt key: the closest known key by Levenshtein distance
/// (at most 2 edits, or a Jaro-Winkler similarity of 0.85 for longer prefixes such as
/// `stop` for `stop_paying`). Very long keys are not compared (cost, and never typos).
pub fn suggest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    if unknown.len() > 64 {
        return None;
    }
    let mut best: Option<(&str, f64)> = None;
    for &k in known {
        let lev = strsim::levenshtein(unknown, k);
        let jw = strsim::jaro_winkler(unknown, k);
        if lev <= 2 || jw >= 0.85 {
            // Rank by Jaro-Winkler; it rewards a shared prefix, which typos tend to keep.
            let score = jw - 0.01 * lev as f64;
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((k, score));
            }
        }
    }
    best.map(|(k, _)| k)
}

/// The message for an unknown key: a suggestion, or the list of keys allowed here.
pub fn unknown_key_message(unknown: &str, known: &[&str]) -> String {
    match suggest(unknown, known) {
        Some(k) => format!("unknown key; did you mean {k}?"),
        None if known.is_empty() => String::from("unknown key"),
        None => format!("unknown key; expected one of: {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_the_documented_shape() {
        let p = Problem::new(
            "scenarios/x.toml",
            "company.grwoth0",
            Some(12),
            "unknown key; did you mean growth0?",
        );
        assert_eq!(
            p.to_string(),
            "error: scenarios/x.toml: company.grwoth0 (line 12): unknown key; did you mean growth0?"
        );
        let q = Problem::new("x.toml", "", None, "not UTF-8 text (byte offset 3)");
        assert_eq!(
            q.to_string(),
            "error: x.toml: not UTF-8 text (byte offset 3)"
        );
    }

    #[test]
    fn problems_sort_by_file_then_line() {
        let e = ScenarioError::new(vec![
            Problem::new("b.toml", "k", Some(1), "m"),
            Problem::new("a.toml", "k", None, "m"),
            Problem::new("a.toml", "k", Some(9), "m"),
            Problem::new("a.toml", "k", Some(2), "m"),
        ]);
        let lines: Vec<_> = e.problems.iter().map(|p| (&p.file[..], p.line)).collect();
        assert_eq!(
            lines,
            [
                ("a.toml", Some(2)),
                ("a.toml", Some(9)),
                ("a.toml", None),
                ("b.toml", Some(1))
            ]
        );
    }

    #[test]
    fn suggestions() {
        let known = ["growth0", "growth_long", "revenue0"];
        assert_eq!(suggest("grwoth0", &known), Some("growth0"));
        assert_eq!(suggest("revenue_0", &known), Some("revenue0"));
        assert_eq!(suggest("zzz", &known), None);
        assert_eq!(
            suggest("stop", &["stop_paying", "share_to_company"]),
            Some("stop_paying")
        );
    }
}
