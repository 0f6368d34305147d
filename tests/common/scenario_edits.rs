//! Helpers shared by the scenario tests: a known-good minimal scenario and line edits
//! that mutate exactly one key, so each test isolates one validation rule.

use dealsim::scenario::{parse_str, Problem, Scenario};

/// Every required key, nothing optional: the smallest valid scenario.
pub const GOOD: &str = "\
[simulation]
start_year = 2026
end_year = 2030
steps_per_year = 4

[company]
revenue0 = 20.0
growth0 = 0.6
growth_long = 0.08
growth_half_life = 3.0
growth_vol = 0.15
revenue_vol = 0.2
valuation0 = 500.0
multiple_long = 12.0
multiple_half_life = 4.0
multiple_vol = 0.3

[stake]
initial = 0.27

[revenue_share]
rate = 0.2
end_year = 2030
base_includes_channel = true

[channel]
addressable_share = 0.35
ceiling = 0.15
midpoint_year = 2028.5
ramp_speed = 1.2
incremental = 0.4
cloud_cannibalization = 0.3

[cloud]
model_revenue0 = 6.0
model_margin = 0.45
share_to_company = 0.2
compute_spend_ratio = 0.5
compute_share0 = 0.8
compute_share_long = 0.45
compute_share_half_life = 3.0
compute_margin = 0.35

[discount]
rate = 0.09
";

/// The line range `(header, end)` of `[section]` in `lines`, if present.
fn section_range(lines: &[String], section: &str) -> Option<(usize, usize)> {
    let header = format!("[{section}]");
    let start = lines.iter().position(|l| l.trim() == header)?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |p| start + 1 + p);
    Some((start, end))
}

fn to_lines(text: &str) -> Vec<String> {
    text.lines().map(String::from).collect()
}

fn join(lines: Vec<String>) -> String {
    lines.join("\n") + "\n"
}

/// `text` with `section.key = value` (replacing the key, or adding it under the header;
/// a missing section is appended).
pub fn set(text: &str, section: &str, key: &str, value: &str) -> String {
    let mut lines = to_lines(text);
    let new = format!("{key} = {value}");
    match section_range(&lines, section) {
        None => {
            lines.push(format!("[{section}]"));
            lines.push(new);
        }
        Some((start, end)) => {
            let prefix = format!("{key} =");
            match lines[start + 1..end]
                .iter()
                .position(|l| l.starts_with(&prefix))
            {
                Some(p) => lines[start + 1 + p] = new,
                None => lines.insert(start + 1, new),
            }
        }
    }
    join(lines)
}

/// `text` with each `(section, key, value)` edit applied in turn by [`set`].
pub fn set_all(text: &str, edits: &[(&str, &str, &str)]) -> String {
    edits
        .iter()
        .fold(text.to_string(), |t, (section, key, value)| {
            set(&t, section, key, value)
        })
}

/// `text` without `section.key`.
pub fn remove(text: &str, section: &str, key: &str) -> String {
    let mut lines = to_lines(text);
    let (start, end) = section_range(&lines, section).expect("section");
    let prefix = format!("{key} =");
    let p = lines[start + 1..end]
        .iter()
        .position(|l| l.starts_with(&prefix))
        .expect("key");
    lines.remove(start + 1 + p);
    join(lines)
}

/// `text` without the whole `[section]`.
pub fn remove_section(text: &str, section: &str) -> String {
    let mut lines = to_lines(text);
    let (start, end) = section_range(&lines, section).expect("section");
    lines.drain(start..end);
    join(lines)
}

/// The 1-based line of `section.key` (or of the header when `key` is empty).
pub fn line_of(text: &str, section: &str, key: &str) -> usize {
    let lines = to_lines(text);
    let (start, end) = section_range(&lines, section).expect("section");
    if key.is_empty() {
        return start + 1;
    }
    let prefix = format!("{key} =");
    start
        + 2
        + lines[start + 1..end]
            .iter()
            .position(|l| l.starts_with(&prefix))
            .expect("key")
}

pub fn ok(text: &str) -> Scenario {
    parse_str(text, "t.toml").unwrap_or_else(|e| panic!("expected valid, got:\n{e}\n---\n{text}"))
}

pub fn problems(text: &str) -> Vec<Problem> {
    match parse_str(text, "t.toml") {
        Ok(_) => panic!("expected problems, scenario validated:\n{text}"),
        Err(e) => e.problems,
    }
}

/// The one problem of `text`, which must concern `key_path` and mention `needle`.
#[track_caller]
pub fn only(text: &str, key_path: &str, needle: &str) -> Problem {
    let ps = problems(text);
    let shown: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        ps.len(),
        1,
        "expected one problem for {key_path}, got {shown:#?}"
    );
    let p = ps[0].clone();
    assert_eq!(p.key_path, key_path, "{p}");
    assert!(p.message.contains(needle), "message lacks {needle:?}: {p}");
    assert_eq!(p.file, "t.toml");
    p
}

/// Like [`only`], and the problem names the line of `section.key`.
#[track_caller]
pub fn only_at(text: &str, section: &str, key: &str, needle: &str) -> Problem {
    let path = format!("{section}.{key}");
    let p = only(text, &path, needle);
    assert_eq!(p.line, Some(line_of(text, section, key)), "{p}");
    p
}

/// `GOOD` with `section.key = value` must fail with one problem at that key and line.
#[track_caller]
pub fn bad(section: &str, key: &str, value: &str, needle: &str) -> Problem {
    bad_in(GOOD, section, key, value, needle)
}

/// `base` with `section.key = value` must fail with one problem at that key and line.
#[track_caller]
pub fn bad_in(base: &str, section: &str, key: &str, value: &str, needle: &str) -> Problem {
    only_at(&set(base, section, key, value), section, key, needle)
}

/// `GOOD` with `section.key = value` must fail with one problem at `path` (a sub-key).
#[track_caller]
pub fn bad_sub(section: &str, key: &str, value: &str, path: &str, needle: &str) -> Problem {
    only(&set(GOOD, section, key, value), path, needle)
}

/// `GOOD` with `section.key = value` must validate.
#[track_caller]
pub fn good(section: &str, key: &str, value: &str) -> Scenario {
    ok(&set(GOOD, section, key, value))
}
