//! One bad scenario per validation rule of MODEL.md §4 (required keys, types, unknown
//! keys, ranges, bounds, finiteness): each starts from a known-good minimal file, changes
//! one key, and asserts the single problem names that key, its line and the rule. Cross-
//! key rules are in `scenario_rules.rs`, distributions and schedules in
//! `scenario_inputs.rs`, files, `extends` and `--set` in `scenario_loading.rs`.

mod common;

use common::scenario_edits::*;
use dealsim::scenario::{Input, Scheduled};
#[test]
fn the_minimal_scenario_validates_with_defaults() {
    let s = ok(GOOD);
    assert_eq!(s.simulation.paths, 10_000);
    assert_eq!(s.simulation.seed, 0);
    assert_eq!(s.meta.name, "t");
    assert_eq!(s.stake.annual_dilution, Scheduled::Input(Input::Const(0.0)));
    assert_eq!(s.stake.liquidity_discount, Input::Const(0.0));
    assert_eq!(s.stake.random_rounds_per_year, Input::Const(0.0));
    assert_eq!(s.stake.random_round_fraction, Input::Const(0.0));
    assert!(s.stake.rounds.is_empty());
    assert_eq!(s.revenue_share.cap, None);
    assert_eq!(s.cloud.stop_paying, None);
    assert_eq!(s.discount.equity_rate, None);
    assert_eq!(s.correlation, Default::default());
    assert_eq!(s.channel.ceiling, Input::Const(0.15));
}

#[test]
fn every_required_key_is_required() {
    let required = [
        (
            "simulation",
            vec!["start_year", "end_year", "steps_per_year"],
        ),
        (
            "company",
            vec![
                "revenue0",
                "growth0",
                "growth_long",
                "growth_half_life",
                "growth_vol",
                "revenue_vol",
                "valuation0",
                "multiple_long",
                "multiple_half_life",
                "multiple_vol",
            ],
        ),
        ("stake", vec!["initial"]),
        (
            "revenue_share",
            vec!["rate", "end_year", "base_includes_channel"],
        ),
        (
            "channel",
            vec![
                "addressable_share",
                "ceiling",
                "midpoint_year",
                "ramp_speed",
                "incremental",
                "cloud_cannibalization",
            ],
        ),
        (
            "cloud",
            vec![
                "model_revenue0",
                "model_margin",
                "share_to_company",
                "compute_spend_ratio",
                "compute_share0",
                "compute_share_long",
                "compute_share_half_life",
                "compute_margin",
            ],
        ),
        ("discount", vec!["rate"]),
    ];
    for (section, keys) in required {
        for key in keys {
            let text = remove(GOOD, section, key);
            let p = only(&text, &format!("{section}.{key}"), "missing required key");
            // Reported at the section header, where the key belongs.
            assert_eq!(p.line, Some(line_of(&text, section, "")), "{p}");
        }
    }
}

#[test]
fn a_missing_section_is_one_problem_listing_its_keys() {
    let p = only(
        &remove_section(GOOD, "company"),
        "company",
        "missing section [company]",
    );
    assert!(
        p.message.contains("revenue0") && p.message.contains("multiple_vol"),
        "{p}"
    );
    assert_eq!(p.line, None);
}

#[test]
fn an_empty_file_lists_every_required_section() {
    let ps = problems("");
    let keys: Vec<&str> = ps.iter().map(|p| p.key_path.as_str()).collect();
    for s in [
        "simulation",
        "company",
        "stake",
        "revenue_share",
        "channel",
        "cloud",
        "discount",
    ] {
        assert!(keys.contains(&s), "{s} not in {keys:?}");
    }
    assert_eq!(ps.len(), 7);
    assert!(ps.iter().all(|p| p.message.starts_with("missing section")));
}

#[test]
fn wrong_types_name_the_expected_type() {
    bad(
        "company",
        "revenue0",
        "\"20\"",
        "expected a number, found a string \"20\"",
    );
    bad(
        "channel",
        "ceiling",
        "true",
        "expected a number, found a boolean",
    );
    bad(
        "simulation",
        "start_year",
        "2026.0",
        "expected an integer, found a float",
    );
    bad("simulation", "paths", "\"many\"", "expected an integer");
    bad(
        "revenue_share",
        "base_includes_channel",
        "\"yes\"",
        "expected true or false",
    );
    bad("meta", "name", "3", "expected a string");
    bad(
        "stake",
        "initial",
        "[0.2]",
        "expected a number, found an array",
    );
    only(
        &format!("simulation = 3\n{}", remove_section(GOOD, "simulation")),
        "simulation",
        "expected a table",
    );
}

#[test]
fn an_integer_is_fine_where_a_float_is_expected() {
    let s = ok(&set(GOOD, "company", "revenue0", "20"));
    assert_eq!(s.company.revenue0, Input::Const(20.0));
}

#[test]
fn unknown_keys_get_a_did_you_mean_at_every_level() {
    let text = set(GOOD, "company", "grwoth0", "0.5");
    let p = only_at(
        &text,
        "company",
        "grwoth0",
        "unknown key; did you mean growth0?",
    );
    assert_eq!(
        p.to_string(),
        format!(
            "error: t.toml: company.grwoth0 (line {}): unknown key; did you mean growth0?",
            p.line.unwrap()
        )
    );
    // A misspelt required key is one problem (not also "missing growth0").
    let text = GOOD.replace("growth0 =", "grwoth0 =");
    only_at(&text, "company", "grwoth0", "did you mean growth0?");
    only(
        &format!("{GOOD}[correlaton]\nrevenue_growth = 0.1\n"),
        "correlaton",
        "did you mean correlation?",
    );
    // A misspelt required section: the typo and the missing section, both reported.
    let ps = problems(&GOOD.replace("[discount]", "[discont]"));
    let shown: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].ends_with("discont (line 44): unknown key; did you mean discount?"),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains("missing section [discount]"),
        "{shown:#?}"
    );
    only(
        &format!("paths = 5\n{GOOD}"),
        "paths",
        "did you mean simulation.paths",
    );
    bad("meta", "nmae", "\"x\"", "did you mean name?");
    let p = only(
        &set(GOOD, "stake", "zzzz", "1"),
        "stake.zzzz",
        "unknown key; expected one of:",
    );
    assert!(p.message.contains("initial"), "{p}");
    let dist = "{ dist = \"uniform\", low = 0.1, hgih = 0.2 }";
    only(
        &set(GOOD, "channel", "ceiling", dist),
        "channel.ceiling.hgih",
        "did you mean high?",
    );
    let round = "\n[[stake.rounds]]\ndate = 2027-01-01\namuont = 5.0\n";
    let ps = problems(&format!("{GOOD}{round}"));
    assert!(
        ps.iter().any(|p| p.key_path == "stake.rounds[0].amuont"
            && p.message.contains("did you mean amount?")),
        "{ps:?}"
    );
}

/// Every ranged key with a value just outside its range (MODEL.md §4, Ranges).
#[test]
fn every_range_is_enforced() {
    let unit = [
        ("stake", "initial"),
        ("stake", "liquidity_discount"),
        ("revenue_share", "rate"),
        ("channel", "addressable_share"),
        ("channel", "ceiling"),
        ("channel", "incremental"),
        ("channel", "cloud_cannibalization"),
        ("cloud", "model_margin"),
        ("cloud", "share_to_company"),
        ("cloud", "compute_share0"),
        ("cloud", "compute_share_long"),
        ("cloud", "compute_margin"),
    ];
    for (s, k) in unit {
        bad(s, k, "-0.01", "-0.01 is out of range: must be in [0, 1]");
        if k != "incremental" && k != "cloud_cannibalization" {
            bad(s, k, "1.4", "1.4 is out of range: must be in [0, 1]");
        }
    }
    let positive = [
        ("company", "revenue0"),
        ("company", "valuation0"),
        ("company", "multiple_long"),
        ("company", "growth_half_life"),
        ("company", "multiple_half_life"),
        ("cloud", "compute_share_half_life"),
    ];
    for (s, k) in positive {
        bad(s, k, "0", "0 is out of range: must be > 0");
    }
    let non_negative = [
        ("company", "growth_vol"),
        ("company", "revenue_vol"),
        ("company", "multiple_vol"),
        ("stake", "annual_dilution"),
        ("stake", "random_rounds_per_year"),
        ("stake", "random_round_fraction"),
        ("channel", "ramp_speed"),
        ("cloud", "compute_spend_ratio"),
        ("cloud", "model_revenue0"),
        ("revenue_share", "cap"),
    ];
    for (s, k) in non_negative {
        bad(s, k, "-0.5", "-0.5 is out of range: must be >= 0");
    }
    for (s, k) in [
        ("company", "growth0"),
        ("company", "growth_long"),
        ("discount", "rate"),
        ("discount", "equity_rate"),
    ] {
        bad(s, k, "-1", "-1 is out of range: must be > -1");
    }
    // Boundaries are inside.
    ok(&set(
        &set(GOOD, "stake", "initial", "1"),
        "company",
        "growth0",
        "-0.999",
    ));
}

#[test]
fn money_is_bounded_by_1e6() {
    for (s, k) in [
        ("company", "revenue0"),
        ("company", "valuation0"),
        ("revenue_share", "cap"),
        ("cloud", "model_revenue0"),
    ] {
        bad(
            s,
            k,
            "2e6",
            "2e6 is too large: money amounts must be <= 1e6",
        );
    }
    ok(&set(GOOD, "company", "valuation0", "1e6"));
}

#[test]
fn nan_inf_and_huge_numbers_are_rejected_naming_the_key() {
    for v in ["nan", "-nan", "inf", "+inf", "-inf", "1e400"] {
        bad("company", "growth_vol", v, "is not a finite number");
    }
    bad("company", "revenue0", "1e308", "too large");
    bad("channel", "midpoint_year", "1e308", "too large");
    bad("company", "growth_vol", "1e308", "1e308 is too large");
    let d = "{ dist = \"uniform\", low = 0.1, high = inf }";
    only(
        &set(GOOD, "channel", "ceiling", d),
        "channel.ceiling.high",
        "not a finite number",
    );
}
