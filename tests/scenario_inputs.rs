//! Distributions (MODEL.md §3) and step schedules (§4): keys, parameter order, the
//! support rule (a distribution that can leave its key's range is rejected) and the
//! schedule rules. Each case mutates one key of a known-good scenario.

mod common;

use common::scenario_edits::*;
use dealsim::scenario::{Dist, Input, Scheduled};

#[test]
fn each_distribution_kind_parses() {
    #[rustfmt::skip]
    let cases = [
        ("{ dist = \"uniform\", low = 0.1, high = 0.2 }", Dist::Uniform { low: 0.1, high: 0.2 }),
        ("{ dist = \"triangular\", low = 0.05, mode = 0.15, high = 0.35 }", Dist::Triangular { low: 0.05, mode: 0.15, high: 0.35 }),
        ("{ dist = \"pert\", low = 0, mode = 0.1, high = 1 }", Dist::Pert { low: 0.0, mode: 0.1, high: 1.0 }),
        ("{ dist = \"normal\", mean = 0.2, sd = 0.05, min = 0, max = 1 }", Dist::Normal { mean: 0.2, sd: 0.05, min: Some(0.0), max: Some(1.0) }),
        ("{ dist = \"normal\", mean = 0.2, sd = 0 }", Dist::Normal { mean: 0.2, sd: 0.0, min: None, max: None }),
        ("{ dist = \"uniform\", low = 0.3, high = 0.3 }", Dist::Uniform { low: 0.3, high: 0.3 }),
    ];
    for (text, want) in cases {
        let s = good("channel", "ceiling", text);
        assert_eq!(s.channel.ceiling, Input::Dist(want), "{text}");
        assert_eq!(
            s.uncertain_inputs(),
            vec![("channel.ceiling".to_string(), want)]
        );
    }
    let s = good(
        "company",
        "revenue0",
        "{ dist = \"lognormal\", median = 20, sigma = 0.3 }",
    );
    let want = Dist::Lognormal {
        median: 20.0,
        sigma: 0.3,
    };
    assert_eq!(s.company.revenue0, Input::Dist(want));
}

#[test]
fn distribution_keys_are_checked() {
    #[rustfmt::skip]
    let cases = [
        ("dist = \"trianglar\", low = 0, mode = 0.1, high = 0.2", "dist", "unknown distribution \"trianglar\"; did you mean triangular?"),
        ("dist = \"beta\", a = 1", "dist", "expected one of: uniform, triangular, pert, normal, lognormal"),
        ("dist = 3, low = 0", "dist", "expected a string"),
        ("dist = \"triangular\", low = 0.1, high = 0.2", "mode", "missing key for a triangular distribution"),
        ("dist = \"uniform\", low = 0.1, high = 0.2, mode = 0.15", "mode", "unknown key; expected one of: dist, low, high"),
        ("dist = \"normal\", mean = 0.1, sd = 0.01, min = 0, mx = 1", "mx", "did you mean max?"),
        ("dist = \"uniform\", low = 0.1, hgih = 0.2", "hgih", "did you mean high?"),
        ("dist = \"uniform\", low = \"0\", high = 0.2", "low", "expected a number, found a string"),
        ("dist = \"uniform\", low = { dist = \"uniform\" }, high = 0.2", "low", "must be a number"),
    ];
    let line = line_of(GOOD, "channel", "ceiling");
    for (text, sub, needle) in cases {
        let value = format!("{{ {text} }}");
        let p = bad_sub(
            "channel",
            "ceiling",
            &value,
            &format!("channel.ceiling.{sub}"),
            needle,
        );
        assert_eq!(p.line, Some(line), "{p}");
    }
    let no_dist = "{ low = 0.1, high = 0.2 }";
    bad("channel", "ceiling", no_dist, "needs a `dist` key");
}

#[test]
fn distribution_parameters_are_ordered() {
    #[rustfmt::skip]
    let cases = [
        ("channel", "ceiling", "dist = \"uniform\", low = 0.3, high = 0.2", "must have low <= high"),
        ("channel", "ceiling", "dist = \"triangular\", low = 0.1, mode = 0.5, high = 0.3", "must have low <= mode <= high"),
        ("channel", "ceiling", "dist = \"pert\", low = 0.1, mode = 0.05, high = 0.3", "must have low <= mode <= high"),
        ("channel", "ceiling", "dist = \"normal\", mean = 0.5, sd = -0.1, min = 0, max = 1", "sd -0.1 < 0"),
        ("channel", "ceiling", "dist = \"normal\", mean = 0.5, sd = 0.1, min = 0.8, max = 0.2", "must have min <= max"),
        ("channel", "ceiling", "dist = \"normal\", mean = 0.5, sd = 0, min = 0.6, max = 0.9", "outside [min, max]"),
        ("company", "revenue0", "dist = \"lognormal\", median = 0, sigma = 0.2", "median 0 must be > 0"),
        ("company", "revenue0", "dist = \"lognormal\", median = 20, sigma = -0.2", "sigma -0.2 < 0"),
    ];
    for (section, key, text, needle) in cases {
        bad(section, key, &format!("{{ {text} }}"), needle);
    }
}

#[test]
fn a_support_that_can_leave_the_range_is_rejected() {
    #[rustfmt::skip]
    let rejected = [
        // Shares in [0, 1]: unbounded, half-bounded, or partly outside.
        ("channel", "ceiling", "dist = \"normal\", mean = 0.2, sd = 0.05", "can leave the valid range: must be in [0, 1] (truncate it with min and max"),
        ("channel", "ceiling", "dist = \"normal\", mean = 0.2, sd = 0.05, min = 0", "must be in [0, 1]"),
        ("stake", "initial", "dist = \"lognormal\", median = 0.2, sigma = 0.1", "lognormal distribution with support (0, inf) can leave the valid range: must be in [0, 1]"),
        ("stake", "initial", "dist = \"triangular\", low = 0.8, mode = 0.9, high = 1.1", "support [0.8, 1.1]"),
        ("cloud", "model_margin", "dist = \"uniform\", low = -0.1, high = 0.5", "must be in [0, 1]"),
        // > 0: a uniform from 0 reaches 0.
        ("company", "growth_half_life", "dist = \"uniform\", low = 0, high = 3", "must be > 0"),
        // >= 0 and > -1.
        ("company", "growth_vol", "dist = \"normal\", mean = 0.2, sd = 0.1", "must be >= 0"),
        ("discount", "rate", "dist = \"uniform\", low = -1, high = 0.1", "must be > -1"),
    ];
    for (section, key, text, needle) in rejected {
        bad(section, key, &format!("{{ {text} }}"), needle);
    }
    #[rustfmt::skip]
    let accepted = [
        ("company", "growth_half_life", "dist = \"lognormal\", median = 2, sigma = 0.5"),
        ("company", "revenue0", "dist = \"lognormal\", median = 20, sigma = 1"),
        ("company", "growth_vol", "dist = \"normal\", mean = 0.2, sd = 0.1, min = 0"),
        ("discount", "rate", "dist = \"pert\", low = 0.07, mode = 0.09, high = 0.12"),
        // Degenerate distributions are constants: their one value must be in range.
        ("stake", "initial", "dist = \"normal\", mean = 0.3, sd = 0"),
        ("stake", "initial", "dist = \"lognormal\", median = 0.3, sigma = 0"),
        ("stake", "initial", "dist = \"normal\", mean = 5, sd = 1, min = 0.3, max = 0.3"),
        // An unbounded range takes any distribution.
        ("channel", "midpoint_year", "dist = \"normal\", mean = 2028.5, sd = 1"),
    ];
    for (section, key, text) in accepted {
        good(section, key, &format!("{{ {text} }}"));
    }
}

#[test]
fn money_distribution_parameters_are_bounded() {
    let d = "{ dist = \"uniform\", low = 100, high = 2e6 }";
    let needle = "money amounts must be <= 1e6";
    bad_sub(
        "company",
        "valuation0",
        d,
        "company.valuation0.high",
        needle,
    );
}

#[test]
fn schedules_parse_and_sort() {
    let s = good("revenue_share", "rate", "{ 2029 = 0.15, 2026 = 0.2 }");
    let want = Scheduled::Schedule(vec![(2026, 0.2), (2029, 0.15)]);
    assert_eq!(s.revenue_share.rate, want);
    assert_eq!(s.revenue_share.rate.schedule_value(2028), Some(0.2));
    let keys = [
        ("stake", "annual_dilution"),
        ("cloud", "model_margin"),
        ("cloud", "compute_spend_ratio"),
        ("cloud", "compute_margin"),
    ];
    for (section, key) in keys {
        good(section, key, "{ 2020 = 0.1, 2027 = 0.2 }");
    }
    // A distribution is still fine on a schedulable key.
    let s = good(
        "cloud",
        "compute_margin",
        "{ dist = \"uniform\", low = 0.2, high = 0.5 }",
    );
    assert!(matches!(
        s.cloud.compute_margin,
        Scheduled::Input(Input::Dist(_))
    ));
}

#[test]
fn schedule_rules() {
    let only_five = "only accepted for revenue_share.rate, stake.annual_dilution";
    bad(
        "company",
        "growth0",
        "{ 2026 = 0.5, 2028 = 0.3 }",
        only_five,
    );
    let late = "starts in 2027, after simulation.start_year 2026";
    bad("revenue_share", "rate", "{ 2027 = 0.2 }", late);
    bad("revenue_share", "rate", "{}", "empty schedule");
    #[rustfmt::skip]
    let cases = [
        ("revenue_share", "rate", "{ 2026 = 0.2, 2028 = 1.5 }", "2028", "1.5 is out of range: must be in [0, 1]"),
        ("revenue_share", "rate", "{ 2026 = 0.2, soon = 0.1 }", "soon", "schedule keys must be years"),
        ("revenue_share", "rate", "{ 2026 = 0.2, 1492 = 0.1 }", "1492", "schedule keys must be years"),
        ("revenue_share", "rate", "{ 2026 = 0.2, 2028 = \"low\" }", "2028", "expected a number"),
        ("revenue_share", "rate", "{ 2026 = { dist = \"uniform\", low = 0.1, high = 0.2 } }", "2026", "constants, not distributions"),
        ("cloud", "model_margin", "{ 2026 = nan }", "2026", "not a finite number"),
    ];
    for (section, key, value, year, needle) in cases {
        bad_sub(
            section,
            key,
            value,
            &format!("{section}.{key}.{year}"),
            needle,
        );
    }
}
