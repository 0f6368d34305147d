//! Typed edits of a checked scenario: one scalar input set to a constant, as
//! `dealsim sensitivity` swings and freezes inputs and `run --attribute channel` switches
//! the channel off. The value goes through the input's table row (or its round) and is
//! checked with the same rule a file's constant gets, then the cross-key rule that
//! involves numbers (`incremental + cloud_cannibalization <= 1`); no text is formatted
//! and re-parsed. `[[input_correlation]]` pairs are kept: an input held at a constant
//! still draws its normal score from its stream (docs/model.md §7).

use super::sections::{channel_sum_problem, ROUND_AMOUNT, ROUND_PROBABILITY};
use super::table;
use super::types::{Input, Scenario};

impl Scenario {
    /// This scenario with the scalar input `key` (a key path of [`Scenario::inputs`]:
    /// `channel.ceiling`, `stake.rounds[0].amount`) set to the constant `value`; the
    /// problem, if the value or the key is not allowed.
    pub fn with_input(&self, key: &str, value: f64) -> Result<Scenario, String> {
        let mut sc = self.clone();
        let (slot, rule) = match table::find(key) {
            Some(d) => (d.input_mut(&mut sc), d.rule),
            None => round_input(&mut sc, key).ok_or_else(|| format!("{key}: no such input"))?,
        };
        let slot = slot.ok_or_else(|| format!("{key}: not a scalar input of this scenario"))?;
        if let Some(msg) = rule.constant_problem(value) {
            return Err(format!("{key}: {msg}"));
        }
        *slot = Input::Const(value);
        match channel_sum_problem(&sc.channel) {
            Some(msg) => Err(msg),
            None => Ok(sc),
        }
    }
}

/// `stake.rounds[i].amount` or `.probability` (by position in the file) and its rule.
fn round_input<'a>(
    sc: &'a mut Scenario,
    key: &str,
) -> Option<(Option<&'a mut Input>, super::inputs::Rule)> {
    let rest = key.strip_prefix("stake.rounds[")?;
    let (index, field) = rest.split_once("].")?;
    let index: usize = index.parse().ok()?;
    let round = sc.stake.rounds.iter_mut().find(|r| r.index == index);
    match field {
        "amount" => Some((round.map(|r| &mut r.amount), ROUND_AMOUNT)),
        "probability" => Some((
            round.and_then(|r| r.probability.as_mut()),
            ROUND_PROBABILITY,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{parse_str, EXAMPLE};

    fn example() -> Scenario {
        parse_str(&EXAMPLE, "example.toml").unwrap()
    }

    /// The value lands in the named field only; everything else is as it was.
    #[test]
    fn sets_the_named_input() {
        let sc = example();
        let s = sc.with_input("company.growth_half_life", 3.5).unwrap();
        assert_eq!(s.company.growth_half_life, Input::Const(3.5));
        let mut back = s.clone();
        back.company.growth_half_life = sc.company.growth_half_life;
        assert_eq!(back, sc);
        // A distribution becomes a constant.
        let s = sc.with_input("channel.ceiling", 0.0).unwrap();
        assert_eq!(s.channel.ceiling, Input::Const(0.0));
        // A round, named by its position in the file; an optional key that is set.
        let s = sc.with_input("stake.rounds[0].amount", 7.0).unwrap();
        assert_eq!(s.stake.rounds[0].amount, Input::Const(7.0));
        let s = sc.with_input("discount.equity_rate", 0.2).unwrap();
        assert_eq!(s.discount.equity_rate, Some(Input::Const(0.2)));
    }

    /// The rules of MODEL.md §4 hold as for a file: range, bounds, the channel sum; keys
    /// that are not scalar inputs are refused.
    #[test]
    fn refuses_what_a_file_may_not_hold() {
        let sc = example();
        // Ranges: a share above 1, a half-life of 0, a volatility above 5, money > 1e6.
        assert!(sc.with_input("stake.initial", 1.2).is_err());
        assert!(sc.with_input("company.growth_half_life", 0.0).is_err());
        assert!(sc.with_input("company.growth_vol", 6.0).is_err());
        assert!(sc.with_input("company.revenue0", 2e6).is_err());
        assert!(sc.with_input("stake.rounds[0].probability", 1.5).is_err());
        // incremental 0.4 + cloud_cannibalization 0.7 > 1.
        let e = sc
            .with_input("channel.cloud_cannibalization", 0.7)
            .unwrap_err();
        assert!(e.contains("must be <= 1"), "{e}");
        assert!(sc.with_input("channel.cloud_cannibalization", 0.6).is_ok());
        // A schedule is not a scalar input; nor is a year, an unknown key or round.
        assert!(sc.with_input("revenue_share.rate", 0.1).is_err());
        assert!(sc.with_input("revenue_share.end_year", 2031.0).is_err());
        assert!(sc.with_input("channel.nope", 0.1).is_err());
        assert!(sc.with_input("stake.rounds[3].amount", 1.0).is_err());
    }

    /// The typed route agrees with the written one: for every scalar input of the
    /// example and values inside and outside its range, setting it typed gives exactly
    /// the scenario (or the refusal) that `--set key=value` and validation give.
    #[test]
    fn agrees_with_set_and_validate() {
        let text: &str = &EXAMPLE;
        let raw = crate::scenario::parse_raw(text, "example.toml").unwrap();
        let sc = example();
        for (key, _) in sc.inputs() {
            for v in [0.0, 0.25, 0.75, 1.0, 1.5, 3.0, 7.0, -0.5, -2.0, 2e6, 2028.0] {
                let typed = sc.with_input(&key, v).ok();
                let mut r = raw.clone();
                crate::scenario::apply_set(&mut r, &format!("{key}={v}")).unwrap();
                let written = crate::scenario::validate(&r, "example.toml").ok();
                assert_eq!(typed, written, "{key} = {v}");
            }
        }
    }
}
