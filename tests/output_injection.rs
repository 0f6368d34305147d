//! Text from users neutralised where it lands (issue 13, item 8): file names that are
//! spreadsheet formulas or link schemes, and control characters in `meta.name`, through
//! `dealsim compare` and `dealsim run` end to end: CSV cells, report links, SVG (parsed
//! as XML) and the terminal.

mod common;

use common::dealsim;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use dealsim::report::output::names::safe_name;

/// A name with an escape sequence (colour, clear screen), a bell, a C1 CSI, a NUL-like
/// control and a bidi override: everything that must not reach a terminal or an SVG raw.
const NASTY_NAME: &str = r#"\u001b[31mRed\u001b[2J\u0007\u0001\u009b\u202egnp.exe"#;

fn scenario(name: &str, cap: &str) -> String {
    let t = common::with(common::DET, "meta", "name", &format!("\"{name}\""));
    common::with(&t, "revenue_share", "cap", cap)
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p, ext));
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out
}

fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Every cell of every CSV under `dir`: none starts like a formula unless it is a
/// number; returns the cells seen, for further checks.
fn assert_no_formula_cells(dir: &Path) -> Vec<String> {
    let csvs = files_under(dir, "csv");
    assert!(!csvs.is_empty());
    let mut all = Vec::new();
    for f in csvs {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&f)
            .unwrap();
        for rec in r.records() {
            for cell in rec.unwrap().iter() {
                let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(
                    !risky || is_number(cell),
                    "{}: formula-like cell {cell:?}",
                    f.display()
                );
                assert!(
                    !cell.chars().any(|c| c.is_control() && c != '\n'),
                    "{}: control character in {cell:?}",
                    f.display()
                );
                all.push(cell.to_string());
            }
        }
    }
    all
}

fn assert_svgs_are_xml(dir: &Path) -> usize {
    let svgs = files_under(dir, "svg");
    for f in &svgs {
        let text = fs::read_to_string(f).unwrap();
        if let Err(e) = roxmltree::Document::parse(&text) {
            panic!("{} is not valid XML: {e}", f.display());
        }
    }
    svgs.len()
}

fn assert_terminal_clean(o: &Output) {
    for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let bad: Vec<char> = text
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
            })
            .collect();
        assert!(bad.is_empty(), "{what} carries raw {bad:?}: {text}");
    }
}

#[test]
fn formula_and_scheme_file_names_and_control_characters_are_neutralised_in_compare() {
    let dir = common::folder_with("base.toml", &scenario("Base", "1000.0"));
    let d = dir.path();
    let formula = "=HYPERLINK(\"x\",\"y\")";
    let scheme = "javascript:alert(1)";
    let dash = "-cmd|' calc'!A0";
    fs::write(
        d.join(format!("{formula}.toml")),
        scenario(NASTY_NAME, "20.0"),
    )
    .unwrap();
    fs::write(d.join(format!("{scheme}.toml")), scenario("Scheme", "30.0")).unwrap();
    fs::write(d.join(format!("{dash}.toml")), scenario("Dash", "40.0")).unwrap();
    let args = [
        "compare",
        "base.toml",
        &format!("./{formula}.toml"),
        &format!("./{scheme}.toml"),
        &format!("./{dash}.toml"),
        "--paths",
        "64",
        "--charts",
        "svg",
        "-q",
        "--out",
        "out",
    ];
    let o = dealsim(&args, d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_terminal_clean(&o);
    let out = d.join("out");
    // CSV: the member ids appear, as text a spreadsheet will not evaluate.
    let cells = assert_no_formula_cells(&out);
    assert!(
        // The member id is the file stem made safe as a folder name (`"` becomes `_`);
        // it still starts with `=`, so the cell must carry the leading quote.
        cells
            .iter()
            .any(|c| c == &format!("'{}", safe_name(formula))),
        "{cells:?}"
    );
    assert!(
        cells.iter().any(|c| c == &format!("'{}", safe_name(dash))),
        "{cells:?}"
    );
    // ...while negative numbers stay numbers (the deltas of a lower cap are negative).
    assert!(
        cells.iter().any(|c| c.starts_with('-') && is_number(c)),
        "no negative number left"
    );
    // HTML: every link is a fragment or a relative path; no scheme anywhere.
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("a[href]").unwrap();
    let hrefs: Vec<&str> = doc
        .select(&sel)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert!(
        // The folder is `javascript_alert(1)` (`:` is not allowed in a folder name); the
        // link to it is relative, so no scheme can come back.
        hrefs.contains(&format!("./{}/report.html", safe_name(scheme)).as_str()),
        "{hrefs:?}"
    );
    for h in &hrefs {
        assert!(
            h.starts_with('#') || h.starts_with("./") || h.starts_with("../"),
            "{h}"
        );
        let first = h.split('/').next().unwrap_or("");
        assert!(!h.contains(':') && !first.contains(':'), "{h}");
    }
    assert!(!html
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t'));
    assert!(
        html.contains("\\u{1b}[31mRed"),
        "the name is shown, escaped"
    );
    // SVG: every chart, the comparison's and each member's, is well-formed XML.
    assert!(assert_svgs_are_xml(&out) >= 5);
}

#[test]
fn control_characters_in_the_name_never_reach_terminal_or_svg_raw() {
    let dir = common::folder_with("s.toml", &scenario(NASTY_NAME, "20.0"));
    let d = dir.path();
    let o = dealsim(
        &[
            "run", "s.toml", "--paths", "64", "--charts", "svg", "--out", "out", "-q",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_terminal_clean(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("\\u{1b}[31mRed"), "{stdout}");
    let n = assert_svgs_are_xml(&d.join("out"));
    assert!(n >= 5, "{n} SVGs");
    // The title text survives, visibly escaped.
    let any = files_under(&d.join("out"), "svg")
        .iter()
        .any(|f| fs::read_to_string(f).unwrap().contains("\\u{1b}[31mRed"));
    assert!(any);
    // validate prints the name too; an invalid scenario's messages as well.
    let o = dealsim(&["validate", "s.toml"], d);
    assert!(o.status.success());
    assert_terminal_clean(&o);
    let bad = format!(
        "{}\n[bogus]\n\"\\u001b[2Jkey\" = 1\n",
        scenario(NASTY_NAME, "20.0")
    );
    fs::write(d.join("bad\u{1b}[2J.toml"), bad).unwrap();
    let o = dealsim(&["run", "bad\u{1b}[2J.toml", "--out", "o2"], d);
    assert_eq!(o.status.code(), Some(2));
    assert_terminal_clean(&o);
}
