//! Reading scenario files: bytes that are not TOML or not text, `extends` chains,
//! `--set` overrides, the effective scenario written back out, and the shipped files
//! (`scenarios/`, the `EXAMPLE`, the public vector) all validating.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::scenario_edits::*;
use dealsim::scenario::{load, parse_raw, parse_str, Input, Scheduled, EXAMPLE};

const VECTOR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/vectors/det_semiannual.toml"
);

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn load_err(path: &Path, sets: &[&str]) -> Vec<dealsim::scenario::Problem> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match load(path, &sets) {
        Ok(_) => panic!("{} validated", path.display()),
        Err(e) => e.problems,
    }
}

#[test]
fn invalid_utf8_and_binary_garbage_are_problems_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"[simulation]\nstart_year = 2026\n".to_vec();
    bytes.extend_from_slice(&[0xff, 0x00, 0xc3]);
    let p = write(dir.path(), "bad.toml", &bytes);
    let ps = load_err(&p, &[]);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].message, "not UTF-8 text (byte offset 31)");
    assert_eq!(ps[0].line, Some(3));
    assert_eq!(ps[0].file, p.display().to_string());
    // Pseudo-random binary (valid or not as UTF-8): never a panic, always a problem.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for n in 0..200 {
        let junk: Vec<u8> = (0..n * 7)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 256) as u8
            })
            .collect();
        let f = write(dir.path(), "junk.toml", &junk);
        assert!(load(&f, &[]).is_err());
    }
}

#[test]
fn toml_syntax_errors_name_file_and_line() {
    let ps = problems("[simulation]\nstart_year = 2026\nstart_year = 2027\n");
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].line, Some(3));
    assert!(ps[0].message.contains("duplicate key"), "{}", ps[0]);
    let ps = problems("[company]\nrevenue0 = \n");
    assert_eq!(ps[0].line, Some(2));
    assert!(
        ps[0]
            .to_string()
            .starts_with("error: t.toml (line 2): invalid TOML"),
        "{}",
        ps[0]
    );
}

#[test]
fn a_missing_file_is_a_problem() {
    let ps = load_err(Path::new("/nonexistent/dir/x.toml"), &[]);
    assert!(
        ps[0].message.contains("cannot read scenario file"),
        "{}",
        ps[0]
    );
}

#[test]
fn large_and_deeply_nested_inputs_finish_quickly() {
    // ~1.5 MB: 60 000 unknown keys, each reported (linear work, no quadratic merge).
    let mut text = set(GOOD, "meta", "name", "\"big\"");
    for i in 0..60_000 {
        text.push_str(&format!("[extra{i}]\nkey_{i} = {i}\n"));
    }
    let t = Instant::now();
    let ps = problems(&text);
    assert_eq!(ps.len(), 60_000);
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    // Deep nesting hits toml's recursion limit: an error, not a stack overflow.
    let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_str(&deep, "t.toml").is_err());
    let dotted = format!("{} = 1", vec!["k"; 50_000].join("."));
    assert!(parse_str(&dotted, "t.toml").is_err());
}

#[test]
fn extends_merges_the_child_over_its_parent() {
    let dir = tempfile::tempdir().unwrap();
    let rounds = "\n[[stake.rounds]]\ndate = 2027-01-01\namount = 1.0\n[[stake.rounds]]\ndate = 2028-01-01\namount = 2.0\n";
    write(dir.path(), "base.toml", format!("{GOOD}{rounds}"));
    let child = "extends = \"base.toml\"\n[meta]\nname = \"merged\"\n[channel]\nceiling = 0.25\n[revenue_share]\nrate = { 2026 = 0.2, 2029 = 0.1 }\n[[stake.rounds]]\ndate = 2029-06-30\namount = 9.0\n";
    fs::create_dir(dir.path().join("sub")).unwrap();
    let c = write(
        &dir.path().join("sub"),
        "child.toml",
        child.replace("base.toml", "../base.toml"),
    );
    let loaded = load(&c, &[]).unwrap_or_else(|e| panic!("{e}"));
    // The same scenario written out by hand.
    let mut hand = set(GOOD, "channel", "ceiling", "0.25");
    hand = set(&hand, "revenue_share", "rate", "{ 2026 = 0.2, 2029 = 0.1 }");
    hand = set(&hand, "meta", "name", "\"merged\"");
    hand.push_str("\n[[stake.rounds]]\ndate = 2029-06-30\namount = 9.0\n");
    assert_eq!(loaded.scenario, ok(&hand));
    assert_eq!(
        loaded.scenario.stake.rounds.len(),
        1,
        "arrays are replaced, not appended"
    );
    assert_eq!(
        loaded.files,
        vec![c.clone(), dir.path().join("sub").join("../base.toml")]
    );
    assert_eq!(loaded.bytes, fs::read(&c).unwrap());
    // The effective scenario has no `extends` and validates on its own.
    let text = loaded.raw.to_toml_string();
    assert!(!text.contains("extends"));
    assert_eq!(parse_str(&text, "merged.toml").unwrap(), loaded.scenario);
    // Errors name the file that holds the bad value.
    let bad = write(
        dir.path(),
        "bad_child.toml",
        "extends = \"base.toml\"\n[company]\ngrowth_vol = -1\n",
    );
    let ps = load_err(&bad, &[]);
    assert_eq!(
        (ps[0].file.as_str(), ps[0].key_path.as_str(), ps[0].line),
        (bad.to_str().unwrap(), "company.growth_vol", Some(3))
    );
    write(
        dir.path(),
        "bad_parent.toml",
        set(GOOD, "channel", "ramp_speed", "-2"),
    );
    let c2 = write(dir.path(), "c2.toml", "extends = \"bad_parent.toml\"\n");
    let ps = load_err(&c2, &[]);
    assert!(ps[0].file.ends_with("bad_parent.toml"), "{}", ps[0]);
    assert_eq!(
        ps[0].line,
        Some(line_of(
            &set(GOOD, "channel", "ramp_speed", "-2"),
            "channel",
            "ramp_speed"
        ))
    );
}

#[test]
fn extends_cycles_and_missing_parents_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    let ps = load_err(&a, &[]);
    assert_eq!(ps.len(), 1);
    let d = dir.path().display();
    assert_eq!(
        ps[0].message,
        format!("extends cycle: {d}/a.toml -> {d}/b.toml -> {d}/a.toml")
    );
    let s = write(dir.path(), "self.toml", "extends = \"self.toml\"\n");
    assert!(load_err(&s, &[])[0].message.contains("extends cycle"));
    let m = write(
        dir.path(),
        "m.toml",
        "# comment\nextends = \"nowhere.toml\"\n",
    );
    let ps = load_err(&m, &[]);
    assert_eq!((ps[0].key_path.as_str(), ps[0].line), ("extends", Some(2)));
    assert!(
        ps[0].message.contains("cannot read parent scenario")
            && ps[0].message.contains("nowhere.toml"),
        "{}",
        ps[0]
    );
    let n = write(dir.path(), "n.toml", "extends = 3\n");
    assert!(load_err(&n, &[])[0].message.contains("expected a string"));
}

#[test]
fn set_overrides_apply_after_extends() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "s.toml", GOOD);
    let sets = [
        "channel.ceiling=0.2",
        "revenue_share.rate = { 2026 = 0.2, 2029 = 0.12 }",
        "cloud.stop_paying=2026-04-27",
        "correlation.revenue_growth=0.3",
        "meta.name='over'",
    ]
    .map(String::from);
    let l = load(&f, &sets).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.scenario.channel.ceiling, Input::Const(0.2));
    assert_eq!(
        l.scenario.revenue_share.rate,
        Scheduled::Schedule(vec![(2026, 0.2), (2029, 0.12)])
    );
    assert_eq!(l.scenario.correlation.revenue_growth, 0.3);
    assert_eq!(l.scenario.meta.name, "over");
    let flat = l.raw.flatten();
    assert!(
        flat.contains(&("channel.ceiling".to_string(), "0.2".to_string())),
        "{flat:?}"
    );
    assert!(flat.contains(&("revenue_share.rate.2029".to_string(), "0.12".to_string())));
    // A bad value from --set is reported against `--set`, with the others, all at once.
    let ps = load_err(
        &f,
        &["channel.ceiling=1.5", "company.revenue0=oops", "nokey"],
    );
    assert_eq!(ps.len(), 3, "{ps:?}");
    let p = ps.iter().find(|p| p.key_path == "channel.ceiling").unwrap();
    assert_eq!((p.file.as_str(), p.line), ("--set", None));
    assert!(p.message.contains("1.5 is out of range"));
    let p = ps
        .iter()
        .find(|p| p.key_path == "company.revenue0")
        .unwrap();
    assert!(p.to_string().contains("--set company.revenue0=oops"), "{p}");
    assert!(ps.iter().any(|p| p.message.contains("expected KEY=VALUE")));
    let ps = load_err(&f, &["extends=\"other.toml\""]);
    assert!(ps[0].message.contains("cannot be set here"), "{}", ps[0]);
}

#[test]
fn effective_toml_round_trips_and_flatten_lists_differences() {
    let raw = parse_raw(&EXAMPLE, "example.toml").unwrap();
    let again = parse_str(&raw.to_toml_string(), "example.toml").unwrap();
    assert_eq!(again, parse_str(&EXAMPLE, "example.toml").unwrap());
    let other = parse_raw(
        &EXAMPLE.replace("ramp_speed = 1.2 ", "ramp_speed = 2.0 "),
        "b.toml",
    )
    .unwrap();
    let (a, b) = (raw.flatten(), other.flatten());
    let diff: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
    assert_eq!(a.len(), b.len());
    assert_eq!(diff.len(), 1);
    assert_eq!(
        diff[0].1,
        &("channel.ramp_speed".to_string(), "2.0".to_string())
    );
    assert!(a
        .iter()
        .any(|(k, v)| k == "stake.rounds[0].date" && v == "2026-06-30"));
}

#[test]
fn every_shipped_scenario_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "toml") {
            load(&p, &[]).unwrap_or_else(|e| panic!("{}:\n{e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 1);
    let base = load(&dir.join("base.toml"), &[]).unwrap().scenario;
    assert_eq!(
        (
            base.simulation.start_year,
            base.simulation.end_year,
            base.simulation.steps_per_year
        ),
        (2026, 2035, 4)
    );
    assert_eq!(base.simulation.seed, 20_261_128);
    assert_eq!(base.revenue_share.cap, Some(Input::Const(38.0)));
    assert_eq!(
        base.cloud.stop_paying.map(|d| d.to_string()).as_deref(),
        Some("2026-04-27")
    );
}

#[test]
fn the_example_validates() {
    let s = parse_str(&EXAMPLE, "example.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.stake.rounds.len(), 1);
    assert_eq!(s.discount.equity_rate, Some(Input::Const(0.13)));
}

#[test]
fn the_public_vector_validates_with_the_values_it_states() {
    let l = load(Path::new(VECTOR), &[]).unwrap_or_else(|e| panic!("{e}"));
    let s = l.scenario;
    assert_eq!(
        (
            s.simulation.start_year,
            s.simulation.end_year,
            s.simulation.steps_per_year
        ),
        (2026, 2033, 2)
    );
    assert_eq!((s.simulation.paths, s.simulation.seed), (10, 1));
    assert_eq!(s.company.revenue0, Input::Const(18.5));
    assert_eq!(
        s.stake.annual_dilution,
        Scheduled::Schedule(vec![(2026, 0.04), (2029, 0.02)])
    );
    assert_eq!(
        s.revenue_share.rate,
        Scheduled::Schedule(vec![(2026, 0.20), (2029, 0.15)])
    );
    assert_eq!(
        s.cloud.model_margin,
        Scheduled::Schedule(vec![(2026, 0.45), (2030, 0.40)])
    );
    assert_eq!(
        s.cloud.compute_spend_ratio,
        Scheduled::Schedule(vec![(2026, 1.1), (2028, 0.8), (2031, 0.6)])
    );
    assert_eq!(s.stake.rounds.len(), 1);
    assert_eq!(s.stake.rounds[0].date.to_string(), "2026-09-15");
    assert_eq!(s.stake.rounds[0].amount, Input::Const(35.0));
    assert_eq!(
        s.cloud.stop_paying.map(|d| d.to_string()).as_deref(),
        Some("2027-03-20")
    );
    assert_eq!(s.revenue_share.cap, Some(Input::Const(33.3)));
    assert_eq!(s.discount.equity_rate, Some(Input::Const(0.125)));
    assert_eq!(s.correlation.revenue_growth, 0.2);
    assert_eq!(s.correlation.growth_multiple, 0.0);
    assert!(s.uncertain_inputs().is_empty());
    assert_eq!(s.meta.name, "Public vector: semiannual, deterministic");
}
