//! Validation of MODEL.md §6's keys: `[licence]`, `probability` on `[[stake.rounds]]` and
//! `[renegotiation]`: required keys, ranges, dates, distributions and "did you mean", one
//! problem per mutation, each naming the key and its line.

mod common;

use common::scenario_edits::*;
use dealsim::scenario::Input;

const LICENCE: &str = "
[licence]
end = 2028-12-31
renewal_probability = 0.5
retention = 0.3
product_value0 = 8.0
product_growth = 0.25
";

const RENEGOTIATION: &str = "
[renegotiation]
rate = 0.15
from = 2026-07-01
haircut = 0.5
";

const ROUND: &str = "
[[stake.rounds]]
date = 2027-06-30
amount = 35.0
probability = 0.6
";

fn v2() -> String {
    // The round table must sit under [stake]: insert it before [revenue_share].
    let base = GOOD.replace(
        "[revenue_share]",
        &format!("{}\n[revenue_share]", ROUND.trim()),
    );
    format!("{base}{LICENCE}{RENEGOTIATION}")
}

#[test]
fn the_v2_keys_validate_and_default() {
    let s = ok(&v2());
    let l = s.licence.as_ref().expect("licence");
    assert_eq!(l.end.to_string(), "2028-12-31");
    assert_eq!(l.renewal_probability, Input::Const(0.5));
    assert_eq!(l.product_value0, Input::Const(8.0));
    assert_eq!(s.stake.rounds[0].probability, Some(Input::Const(0.6)));
    let r = s.renegotiation.as_ref().expect("renegotiation");
    assert_eq!(r.from.map(|d| d.to_string()).as_deref(), Some("2026-07-01"));
    // `from` is optional; without the sections nothing is set.
    let s = ok(&remove(&v2(), "renegotiation", "from"));
    assert_eq!(s.renegotiation.unwrap().from, None);
    let s = ok(GOOD);
    assert!(s.licence.is_none() && s.renegotiation.is_none());
    // A licence ending after the horizon is fine (it then covers every period).
    ok(&set(&v2(), "licence", "end", "2040-06-30"));
    // The new keys are inputs, listed once each (for paths.csv, sensitivity, streams).
    let keys: Vec<String> = ok(&v2()).inputs().into_iter().map(|(k, _)| k).collect();
    for k in [
        "stake.rounds[0].probability",
        "licence.renewal_probability",
        "licence.retention",
        "licence.product_value0",
        "licence.product_growth",
        "renegotiation.rate",
        "renegotiation.haircut",
    ] {
        assert_eq!(
            keys.iter().filter(|x| *x == k).count(),
            1,
            "{k} in {keys:?}"
        );
    }
}

#[test]
fn every_required_v2_key_is_required() {
    for key in [
        "end",
        "renewal_probability",
        "retention",
        "product_value0",
        "product_growth",
    ] {
        only(
            &remove(&v2(), "licence", key),
            &format!("licence.{key}"),
            "missing required key",
        );
    }
    for key in ["rate", "haircut"] {
        only(
            &remove(&v2(), "renegotiation", key),
            &format!("renegotiation.{key}"),
            "missing required key",
        );
    }
}

#[test]
fn v2_ranges_are_enforced_at_the_key_and_line() {
    let cases = [
        ("licence", "renewal_probability", "1.5", "must be in [0, 1]"),
        (
            "licence",
            "renewal_probability",
            "-0.1",
            "must be in [0, 1]",
        ),
        ("licence", "retention", "1.01", "must be in [0, 1]"),
        ("licence", "product_value0", "-1.0", "must be >= 0"),
        (
            "licence",
            "product_value0",
            "2e6",
            "money amounts must be <= 1e6",
        ),
        ("licence", "product_growth", "-1.0", "must be > -1"),
        ("licence", "product_growth", "nan", "not a finite number"),
        ("renegotiation", "rate", "-0.1", "must be >= 0"),
        ("renegotiation", "haircut", "1.2", "must be in [0, 1]"),
        ("renegotiation", "haircut", "-0.5", "must be in [0, 1]"),
        (
            "licence",
            "renewal_probability",
            "{ dist = \"normal\", mean = 0.5, sd = 0.1 }",
            "[0, 1]",
        ),
        (
            "renegotiation",
            "rate",
            "{ dist = \"uniform\", low = -0.1, high = 0.3 }",
            ">= 0",
        ),
    ];
    for (section, key, value, needle) in cases {
        bad_in(&v2(), section, key, value, needle);
    }
    // Distributions inside the range are fine.
    let s = ok(&set(
        &v2(),
        "renegotiation",
        "haircut",
        "{ dist = \"uniform\", low = 0.3, high = 1.0 }",
    ));
    assert!(matches!(s.renegotiation.unwrap().haircut, Input::Dist(_)));
}

#[test]
fn v2_dates_are_checked() {
    bad_in(
        &v2(),
        "licence",
        "end",
        "2025-12-31",
        "before the simulation starts",
    );
    bad_in(&v2(), "licence", "end", "\"2032-12-31\"", "bare TOML date");
    bad_in(&v2(), "licence", "end", "2032", "expected a date");
    bad_in(
        &v2(),
        "renegotiation",
        "from",
        "2031-01-01",
        "outside the simulation horizon",
    );
    bad_in(
        &v2(),
        "renegotiation",
        "from",
        "2025-06-30",
        "outside the simulation horizon",
    );
}

#[test]
fn round_probability_is_checked() {
    let text = v2().replace("probability = 0.6", "probability = 1.5");
    let p = only(&text, "stake.rounds[0].probability", "must be in [0, 1]");
    assert!(p.line.is_some());
    let text = v2().replace(
        "probability = 0.6",
        "probability = { dist = \"uniform\", low = 0.4, high = 0.8 }",
    );
    assert!(matches!(
        ok(&text).stake.rounds[0].probability,
        Some(Input::Dist(_))
    ));
    let text = v2().replace("probability = 0.6", "probability = \"high\"");
    only(&text, "stake.rounds[0].probability", "expected a number");
}

#[test]
fn misspelt_v2_keys_get_a_did_you_mean() {
    let text = v2().replace("haircut = 0.5", "haircat = 0.5");
    let ps = problems(&text);
    assert!(
        ps.iter().any(|p| p.key_path == "renegotiation.haircat"
            && p.message.contains("did you mean haircut?")),
        "{ps:?}"
    );
    // A misspelt required key is reported once, as the misspelling.
    assert_eq!(ps.len(), 1, "{ps:?}");
    let text = v2().replace("probability = 0.6", "probabilty = 0.6");
    only(
        &text,
        "stake.rounds[0].probabilty",
        "did you mean probability?",
    );
    let text = v2().replace("[licence]", "[license]");
    let ps = problems(&text);
    assert!(
        ps.iter()
            .any(|p| p.key_path == "license" && p.message.contains("did you mean licence?")),
        "{ps:?}"
    );
    let text = v2().replace("retention = 0.3", "retension = 0.3");
    only(&text, "licence.retension", "did you mean retention?");
}
