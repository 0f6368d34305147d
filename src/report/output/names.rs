//! Folder and file names made from user text (scenario file stems, scenario names).
//!
//! Such a name becomes one path component inside dealsim's own staging folder, so it must
//! not be able to point anywhere else (`.`, `..`, separators), hide itself or collide
//! with dealsim's marker (a leading dot), carry control characters, or exceed what file
//! systems accept. Within one folder, names are unique case-insensitively, so they stay
//! distinct on case-insensitive file systems (macOS, Windows shares) too.

/// The longest name produced, in bytes: far under the usual 255-byte limit, leaving room
/// for the staging and lock names built from it.
pub const MAX_NAME_BYTES: usize = 100;

/// What an empty or all-dots name becomes.
const FALLBACK: &str = "scenario";

/// `raw` as one safe path component: separators, control characters and characters
/// that Windows forbids become `_`; leading and trailing dots and blanks go; at most
/// [`MAX_NAME_BYTES`] bytes; never empty.
pub fn safe_name(raw: &str) -> String {
    let mapped: String = raw
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trim = |s: &str| {
        s.trim_matches(|c: char| c == '.' || c.is_whitespace())
            .to_string()
    };
    let name = trim(&truncate(&trim(&mapped), MAX_NAME_BYTES));
    if name.is_empty() {
        FALLBACK.to_string()
    } else {
        name
    }
}

/// `safe_name(raw)`, made different (case-insensitively) from every name in `taken` and
/// `reserved` by a `-2`, `-3`, ... suffix.
pub fn unique_name(raw: &str, taken: &[String], reserved: &[&str]) -> String {
    let base = safe_name(raw);
    let clash = |n: &str| {
        let n = n.to_lowercase();
        taken.iter().any(|t| t.to_lowercase() == n)
            || reserved.iter().any(|r| r.to_lowercase() == n)
    };
    let mut name = base.clone();
    let mut i = 2u64;
    while clash(&name) {
        let suffix = format!("-{i}");
        name = format!("{}{suffix}", truncate(&base, MAX_NAME_BYTES - suffix.len()));
        i += 1;
    }
    name
}

/// The longest edits suffix kept readable; longer ones are cut and end in a hash.
const MAX_SUFFIX_BYTES: usize = 60;

/// A folder-name suffix for `--set` edits: `revenue_share.cap=50` gives
/// `revenue_share.cap=50`, several edits are joined by `+`; characters outside
/// `[A-Za-z0-9._=+-]` become `_`. Past 60 bytes, or whenever that mapping lost
/// information, the suffix ends in 8 hex digits of the edits' SHA-256, so different
/// edits never share a folder. `None` without edits.
pub fn overrides_suffix(sets: &[String]) -> Option<String> {
    use sha2::{Digest, Sha256};
    if sets.is_empty() {
        return None;
    }
    let joined = sets
        .iter()
        .map(|s| s.split_whitespace().collect::<String>())
        .collect::<Vec<_>>()
        .join("+");
    let slug: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '=' | '+' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if slug == joined && slug.len() <= MAX_SUFFIX_BYTES {
        return Some(slug);
    }
    let hash = Sha256::digest(sets.join("\n").as_bytes());
    let hex: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{}-{hex}", truncate(&slug, MAX_SUFFIX_BYTES - 9)))
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_kept() {
        for n in ["base", "pre_amendment", "aws surge", "Base-2026", "été"] {
            assert_eq!(safe_name(n), n);
        }
    }

    #[test]
    fn nothing_can_leave_the_folder_or_hide() {
        assert_eq!(safe_name(".."), "scenario");
        assert_eq!(safe_name("."), "scenario");
        assert_eq!(safe_name(""), "scenario");
        assert_eq!(safe_name("   "), "scenario");
        assert_eq!(safe_name("../../etc"), "_.._etc");
        assert_eq!(safe_name("a/b\\c"), "a_b_c");
        assert_eq!(safe_name(".dealsim-output"), "dealsim-output");
        assert_eq!(safe_name("x\n\r\t\u{1b}[31my"), "x____[31my");
        assert_eq!(safe_name("=HYPERLINK(\"x\")"), "=HYPERLINK(_x_)");
        assert_eq!(safe_name("name. "), "name");
        for raw in ["..", "a/../b", "\u{0}", "/", "...."] {
            let n = safe_name(raw);
            assert!(!n.contains('/') && !n.contains('\0') && n != "." && n != "..");
        }
    }

    #[test]
    fn length_is_bounded_on_a_character_boundary() {
        let n = safe_name(&"é".repeat(300));
        assert!(n.len() <= MAX_NAME_BYTES);
        assert_eq!(n, "é".repeat(MAX_NAME_BYTES / 2));
        let n = safe_name(&"x".repeat(1000));
        assert_eq!(n.len(), MAX_NAME_BYTES);
    }

    #[test]
    fn overrides_suffix_is_readable_and_distinct() {
        assert_eq!(overrides_suffix(&[]), None);
        let one = overrides_suffix(&["revenue_share.cap=50".into()]).unwrap();
        assert_eq!(one, "revenue_share.cap=50");
        let two = overrides_suffix(&["a.b = 1".into(), "c.d=2".into()]).unwrap();
        assert_eq!(two, "a.b=1+c.d=2");
        // Mapped characters and long edits end in a hash: never a shared folder.
        let x = overrides_suffix(&["meta.name=\"a/b\"".into()]).unwrap();
        let y = overrides_suffix(&["meta.name=\"a:b\"".into()]).unwrap();
        assert_ne!(x, y);
        let long = overrides_suffix(&["x".repeat(200)]).unwrap();
        assert!(long.len() <= MAX_SUFFIX_BYTES, "{long}");
    }

    #[test]
    fn names_are_unique_case_insensitively_and_avoid_reserved_ones() {
        let mut taken = Vec::new();
        for raw in ["base", "BASE", "Base", "charts", "..", "...", "a/b"] {
            let n = unique_name(raw, &taken, &["charts", "report.html"]);
            taken.push(n);
        }
        assert_eq!(
            taken,
            [
                "base",
                "BASE-2",
                "Base-3",
                "charts-2",
                "scenario",
                "scenario-2",
                "a_b"
            ]
        );
        let long = "y".repeat(500);
        let a = unique_name(&long, &[], &[]);
        let b = unique_name(&long, std::slice::from_ref(&a), &[]);
        assert_ne!(a, b);
        assert!(b.len() <= MAX_NAME_BYTES && b.ends_with("-2"), "{b}");
    }
}
