//! Layered scenarios (issue 13, items 7 and 10): what an `extends` child replaces and
//! what it merges, which file an error is blamed on, what is (not) echoed from a parent
//! that is not a scenario, and `--set` named as the source of its own problems.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::scenario_edits::*;
use dealsim::scenario::{load, Input, Problem, Scheduled};

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn load_err(path: &Path, sets: &[&str]) -> Vec<Problem> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match load(path, &sets) {
        Ok(_) => panic!("{} validated", path.display()),
        Err(e) => e.problems,
    }
}

fn parent_with(dir: &Path, section: &str, key: &str, value: &str) -> PathBuf {
    write(dir, "parent.toml", set(GOOD, section, key, value))
}

/// A parent.toml in `dir` whose channel ceiling is triangular (0.05, 0.1, 0.2).
fn parent_with_triangular_ceiling(dir: &Path) -> PathBuf {
    parent_with(
        dir,
        "channel",
        "ceiling",
        "{ dist = \"triangular\", low = 0.05, mode = 0.1, high = 0.2 }",
    )
}

/// A child.toml in `dir` that extends parent.toml and sets only the channel ceiling.
fn child_with_ceiling(dir: &Path, ceiling: &str) -> PathBuf {
    write(
        dir,
        "child.toml",
        format!("extends = \"parent.toml\"\n[channel]\nceiling = {ceiling}\n"),
    )
}

#[test]
fn a_childs_inline_distribution_replaces_the_parents_whole() {
    let dir = tempfile::tempdir().unwrap();
    parent_with_triangular_ceiling(dir.path());
    let child = child_with_ceiling(dir.path(), "{ dist = \"uniform\", low = 0.1, high = 0.3 }");
    // Merged key by key, `mode` would survive from the parent: "unknown key mode" in a
    // uniform, blamed on parent.toml.
    let l = load(&child, &[]).unwrap_or_else(|e| panic!("{e}"));
    let want = ok(&set(
        GOOD,
        "channel",
        "ceiling",
        "{ dist = \"uniform\", low = 0.1, high = 0.3 }",
    ));
    assert_eq!(l.scenario.channel.ceiling, want.channel.ceiling);
    // The effective scenario written back out has no trace of the parent's table.
    let text = l.raw.to_toml_string();
    assert!(!text.contains("mode ="), "{text}");
}

#[test]
fn a_childs_schedule_replaces_the_parents_whole() {
    let dir = tempfile::tempdir().unwrap();
    parent_with(
        dir.path(),
        "revenue_share",
        "rate",
        "{ 2026 = 0.2, 2028 = 0.15, 2029 = 0.1 }",
    );
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"parent.toml\"\n[revenue_share]\nrate = { 2026 = 0.3, 2027 = 0.05 }\n",
    );
    let l = load(&child, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        l.scenario.revenue_share.rate,
        Scheduled::Schedule(vec![(2026, 0.3), (2027, 0.05)])
    );
    // A constant over a distribution and a distribution over a constant, too.
    parent_with(
        dir.path(),
        "channel",
        "ceiling",
        "{ dist = \"uniform\", low = 0.1, high = 0.3 }",
    );
    let c2 = write(
        dir.path(),
        "c2.toml",
        "extends = \"parent.toml\"\n[channel]\nceiling = 0.05\n",
    );
    let l = load(&c2, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.scenario.channel.ceiling, Input::Const(0.05));
}

#[test]
fn sections_still_merge_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "parent.toml", GOOD);
    let child = write(
        dir.path(),
        "child.toml",
        "extends = \"parent.toml\"\n[company]\ngrowth0 = 0.7\n[meta]\nname = \"kid\"\n",
    );
    let l = load(&child, &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut hand = set(GOOD, "company", "growth0", "0.7");
    hand.push_str("\n[meta]\nname = \"kid\"\n");
    assert_eq!(l.scenario, ok(&hand));
}

#[test]
fn an_error_in_a_childs_distribution_is_blamed_on_the_child() {
    let dir = tempfile::tempdir().unwrap();
    parent_with_triangular_ceiling(dir.path());
    // The child's uniform lacks `high`: the problem is the child's, on the child's line.
    let child = child_with_ceiling(dir.path(), "{ dist = \"uniform\", low = 0.1 }");
    let ps = load_err(&child, &[]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(ps[0].file, child.display().to_string(), "{}", ps[0]);
    assert_eq!(ps[0].line, Some(3), "{}", ps[0]);
    assert!(ps[0].message.contains("missing key"), "{}", ps[0]);
}

#[test]
fn an_extends_target_must_be_a_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "PASSWORD=hunter2-secret\n");
    write(dir.path(), "notes.txt", GOOD);
    for target in [".env", "notes.txt", "parent"] {
        let child = write(
            dir.path(),
            "child.toml",
            format!("# layered\nextends = \"{target}\"\n"),
        );
        let ps = load_err(&child, &[]);
        assert_eq!(ps.len(), 1, "{ps:?}");
        let shown = ps[0].to_string();
        assert_eq!((ps[0].key_path.as_str(), ps[0].line), ("extends", Some(2)));
        assert!(shown.contains(".toml"), "{shown}");
        assert!(shown.contains(target), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    // A symlink spelt `.toml` that leads to something else is refused the same way.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join(".env"), dir.path().join("link.toml")).unwrap();
        let child = write(dir.path(), "child.toml", "extends = \"link.toml\"\n");
        let shown = load_err(&child, &[])[0].to_string();
        assert!(shown.contains("not a .toml file"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

#[test]
fn a_parent_that_fails_to_parse_is_reported_without_its_contents() {
    let dir = tempfile::tempdir().unwrap();
    let child = write(dir.path(), "child.toml", "extends = \"secrets.toml\"\n");
    // Each body is not TOML; none of its text may reach the message.
    let bodies = [
        "PASSWORD=hunter2-secret\n",
        "# a comment\napi_token = hunter2-secret\n",
        "a = 1\nhunter2_secret = 1\nhunter2_secret = 2\n",
        "[hunter2-secret\n",
        "key = \"hunter2-secret\n",
        "n = 123456789012345678901234567890123456789012345\n",
    ];
    for body in bodies {
        write(dir.path(), "secrets.toml", body);
        let ps = load_err(&child, &[]);
        assert_eq!(ps.len(), 1, "{ps:?}");
        let shown = ps[0].to_string();
        assert!(ps[0].file.ends_with("secrets.toml"), "{shown}");
        assert!(ps[0].line.is_some(), "{shown}");
        assert!(
            shown.contains("invalid TOML") || shown.contains("too large"),
            "{shown}"
        );
        for secret in ["hunter2", "PASSWORD", "api_token", "12345678901234"] {
            assert!(!shown.contains(secret), "{body:?} leaked: {shown}");
        }
    }
    // The user's own file still shows its offending line: that helps and leaks nothing.
    let own = write(dir.path(), "own.toml", "a = 1\nthis is not toml\n");
    let shown = load_err(&own, &[])[0].to_string();
    assert!(shown.contains("`this is not toml`"), "{shown}");
}

#[test]
fn set_problems_name_set_and_the_argument_not_a_line_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.toml", GOOD);
    // A rule across two keys, one from the file and one from --set: the --set broke it.
    let ps = load_err(&f, &["channel.incremental=0.9"]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(
        (ps[0].file.as_str(), ps[0].line),
        ("--set", None),
        "{}",
        ps[0]
    );
    let shown = ps[0].to_string();
    assert!(
        shown.starts_with("error: --set channel.incremental=0.9: "),
        "{shown}"
    );
    // ...and the other value of the rule says where it comes from.
    let cc = line_of(GOOD, "channel", "cloud_cannibalization");
    assert!(shown.contains(&format!("line {cc}")), "{shown}");
    // A plain bad value, a syntax error and a horizon moved by --set.
    let cases = [
        ("company.growth_vol=abc", "company.growth_vol"),
        ("company.growth_vol=-1", "company.growth_vol"),
        ("simulation.start_year=2031", "simulation.start_year"),
    ];
    for (arg, key) in cases {
        let ps = load_err(&f, &[arg]);
        let p = ps
            .iter()
            .find(|p| p.key_path == key)
            .unwrap_or_else(|| panic!("{arg}: {ps:?}"));
        assert_eq!((p.file.as_str(), p.line), ("--set", None), "{p}");
        let shown = p.to_string();
        assert!(
            shown.starts_with(&format!("error: --set {arg}: ")),
            "{shown}"
        );
        assert_eq!(shown.matches(arg).count(), 1, "{shown}");
    }
    // Rounds pushed out of the horizon by a --set start year: the --set is blamed.
    let rounds = format!("{GOOD}\n[[stake.rounds]]\ndate = 2027-01-01\namount = 1.0\n");
    let f2 = write(dir.path(), "r.toml", rounds);
    let ps = load_err(&f2, &["simulation.start_year=2028"]);
    assert!(!ps.is_empty());
    for p in &ps {
        assert_eq!((p.file.as_str(), p.line), ("--set", None), "{p}");
        assert!(
            p.to_string()
                .starts_with("error: --set simulation.start_year=2028: "),
            "{p}"
        );
    }
    // Editing inside a file's distribution makes the distribution the --set's.
    let d = write(
        dir.path(),
        "d.toml",
        set(
            GOOD,
            "channel",
            "ceiling",
            "{ dist = \"uniform\", low = 0.1, high = 0.3 }",
        ),
    );
    let ps = load_err(&d, &["channel.ceiling.low=0.5"]);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(
        (ps[0].file.as_str(), ps[0].line),
        ("--set", None),
        "{}",
        ps[0]
    );
}
