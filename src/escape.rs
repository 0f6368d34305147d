//! Text from users made harmless where it lands: the terminal, CSV cells, HTML and SVG.
//!
//! Scenario names, descriptions, file names and `--set` values are arbitrary strings: an
//! escape sequence would drive the terminal, a control character makes an SVG invalid
//! XML, a cell starting with `=` is a spreadsheet formula, a name like `javascript:x`
//! would be a link scheme. Every place that shows such text goes through one function
//! here, so there is one definition of "unsafe" and one visible form of it.
//!
//! The visible form of an unsafe character is Rust's escape (`\u{1b}`, `\r`, `\0`): it
//! is plain ASCII, valid everywhere, and reads as what it is.

use std::borrow::Cow;

/// Characters that must not reach an output raw: control characters (C0, DEL, C1;
/// `keep` lists the harmless ones a caller allows, such as newline), the bidirectional
/// overrides that make text display in another order than it is stored ("Trojan
/// source"), and U+FFFE/U+FFFF, which XML forbids.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// `text` with every unsafe character but those in `keep` replaced by its escape;
/// borrowed when nothing needs escaping (the common case).
fn visible<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let bad = |c: char| is_unsafe(c) && !keep.contains(&c);
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Text for the terminal (stdout, stderr, the progress bar): newlines and tabs lay out
/// tables; every other control character (escape sequences, `\r` that overwrites a line)
/// is shown escaped.
pub fn terminal(text: &str) -> Cow<'_, str> {
    visible(text, &['\n', '\t'])
}

/// One line of a message: [`terminal`] text, cut after `max_chars` characters with `…`,
/// so a huge value cannot flood the terminal.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out: String = terminal(text).into_owned();
    if let Some((i, _)) = out.char_indices().nth(max_chars) {
        out.truncate(i);
        out.push('…');
    }
    out
}

/// A whole SVG document (or any XML) made valid: characters XML 1.0 forbids even as
/// `&#..;` references (C0 controls but tab, newline and CR) and the other unsafe ones are
/// escaped wherever they appear. Markup never contains them, so only text from users
/// (a chart title, a legend) changes.
pub fn xml_document(doc: &str) -> Cow<'_, str> {
    visible(doc, &['\n', '\t'])
}

/// Text for an HTML element body or a quoted attribute: unsafe characters escaped as for
/// the terminal, then `& < > " '` as entities.
pub fn html(text: &str) -> String {
    let text = terminal(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A relative link to `file` inside the folder `folder` (a name from users, such as a
/// scenario's file stem): `./<folder, percent-encoded>/<file>`. Percent-encoding every
/// byte but unreserved characters and parentheses means the folder can never read as a
/// scheme (`javascript%3Aalert(1)`), a query, a fragment or another path. Escape the
/// result with [`html`] before putting it in an attribute.
pub fn relative_link(folder: &str, file: &str) -> String {
    let mut out = String::from("./");
    for b in folder.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push('/');
    out.push_str(file);
    out
}

/// A CSV cell holding text from users (a scenario name, a file stem, a key or a value as
/// written): a cell a spreadsheet would read as a formula (it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading `'`, which spreadsheets take as "this
/// is text" (the OWASP recommendation). A cell that is a plain number (`-0.05`, `+3`,
/// `-1e-3`) is left alone: it is read as that number, never as a formula, and a value
/// column stays numeric. Control characters inside are escaped too.
pub fn csv_text(cell: &str) -> Cow<'_, str> {
    let first = cell.chars().next();
    let formula = matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    let cell = visible(cell, &['\n']);
    if formula && !is_plain_number(&cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        cell
    }
}

/// `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one digit before the exponent:
/// what every spreadsheet reads as a number and nothing else.
fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut n = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_but_keeps_layout() {
        assert_eq!(terminal("a\tb\nc"), "a\tb\nc");
        assert_eq!(terminal("\u{1b}[2Jx\ry"), "\\u{1b}[2Jx\\ry");
        assert_eq!(terminal("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(terminal("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn printable_cuts_long_text() {
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("abc", 3), "abc");
        assert_eq!(printable("\u{7}", 10), "\\u{7}");
    }

    #[test]
    fn xml_documents_lose_every_forbidden_character() {
        let doc = "<text>a\u{0}b\u{1}c\u{8}\u{b}\u{c}\u{1f}\u{fffe}\n</text>";
        let out = xml_document(doc);
        assert!(
            !out.chars().any(|c| (c as u32) < 0x20 && c != '\n'),
            "{out}"
        );
        assert!(!out.contains('\u{fffe}'));
        assert!(out.starts_with("<text>a\\0b\\u{1}c"), "{out}");
    }

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(
            html("<a href=\"x\">&'\u{1b}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\\u{1b}"
        );
    }

    #[test]
    fn links_are_relative_and_percent_encoded() {
        assert_eq!(
            relative_link("javascript:alert(1)", "report.html"),
            "./javascript%3Aalert(1)/report.html"
        );
        assert_eq!(
            relative_link("a b/c?d#e", "report.html"),
            "./a%20b%2Fc%3Fd%23e/report.html"
        );
        assert_eq!(relative_link("é", "r.html"), "./%C3%A9/r.html");
        assert_eq!(
            relative_link("bull_2-x.v~1", "r.html"),
            "./bull_2-x.v~1/r.html"
        );
    }

    #[test]
    fn csv_cells_that_would_be_formulas_become_text() {
        for f in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "-inf",
            "-1e",
            "--1",
        ] {
            let out = csv_text(f);
            assert!(out.starts_with('\''), "{f:?} -> {out:?}");
        }
        assert_eq!(csv_text("=1+1"), "'=1+1");
        assert_eq!(csv_text("\tx"), "'\\tx");
    }

    #[test]
    fn csv_numbers_and_ordinary_text_are_untouched() {
        for s in [
            "-0.05",
            "-1",
            "+3",
            "-1e-3",
            "-2.5E+10",
            "-.5",
            "0.2",
            "base",
            "bull case",
            "",
            "a=b",
            "{ dist = \"uniform\" }",
            "\"=quoted\"",
        ] {
            assert_eq!(csv_text(s), s, "{s:?}");
        }
    }
}
