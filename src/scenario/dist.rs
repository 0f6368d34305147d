//! Distribution tables (MODEL.md §3): `{ dist = "...", ... }` -> a checked [`Dist`].
//!
//! Checks, in order: the `dist` name, exactly its keys (missing and unknown ones named),
//! each parameter a bounded finite number, the parameter order rules, and the support
//! rule: a distribution whose support can leave the key's range is rejected.

use super::check::{misspelt, num, Checker};
use super::inputs::{bounded, Rule};
use super::raw::{join, RawNode, RawValue};
use super::types::{Dist, Input};

/// The largest lognormal sigma (any key). Not in MODEL.md: the support rule cannot bound
/// a lognormal (its support is (0, inf) whatever sigma is, and the 1e6 money bound is
/// not a support range), so its spread is bounded instead. `exp(sigma z)` spans
/// `e^(±3.7 sigma)` between p0.01 and p99.99: at 3 that is already a factor of 5e9 (no
/// deal input is that uncertain); at 30, one path in ten thousand draws above 3e48 times
/// the median, and at 300 most draws underflow to 0 or overflow to inf.
pub const LOGNORMAL_SIGMA_MAX: f64 = 3.0;

/// The support `[lo, hi]` of a checked distribution, and whether it is open at `lo`.
pub fn support(d: &Dist) -> (f64, bool, f64) {
    match *d {
        Dist::Uniform { low, high }
        | Dist::Triangular { low, high, .. }
        | Dist::Pert { low, high, .. } => (low, false, high),
        // sd = 0 and sigma = 0 are the constants `mean` and `median`.
        Dist::Normal { mean, sd, min, max } => {
            if sd == 0.0 {
                (mean, false, mean)
            } else {
                let lo = min.unwrap_or(f64::NEG_INFINITY);
                (lo, false, max.unwrap_or(f64::INFINITY))
            }
        }
        Dist::Lognormal { median, sigma } => {
            if sigma == 0.0 {
                (median, false, median)
            } else {
                (0.0, true, f64::INFINITY)
            }
        }
    }
}

/// The largest value an input can take (for `incremental + cloud_cannibalization <= 1`).
pub fn support_max(i: &Input) -> f64 {
    match i {
        Input::Const(x) => *x,
        Input::Dist(d) => support(d).2,
    }
}

/// Distribution names with their required and optional parameters (MODEL.md §3).
const DISTS: [(&str, &[&str], &[&str]); 5] = [
    ("uniform", &["low", "high"], &[]),
    ("triangular", &["low", "mode", "high"], &[]),
    ("pert", &["low", "mode", "high"], &[]),
    ("normal", &["mean", "sd"], &["min", "max"]),
    ("lognormal", &["median", "sigma"], &[]),
];

/// A distribution table, checked for its keys, parameter order and support.
pub fn dist(ck: &mut Checker, node: &RawNode, path: &str, rule: Rule) -> Option<Dist> {
    let names: Vec<&str> = DISTS.iter().map(|d| d.0).collect();
    let Some(kind) = node.get("dist") else {
        ck.bad(
            node,
            path,
            format!(
                "a distribution needs a `dist` key (one of {}); a plain number needs no table",
                names.join(", ")
            ),
        );
        return None;
    };
    let dpath = join(path, "dist");
    let name = ck.string(kind, &dpath)?;
    let Some(&(name, required, optional)) = DISTS.iter().find(|d| d.0 == name) else {
        let hint = match super::error::suggest(&name, &names) {
            Some(s) => format!("did you mean {s}?"),
            None => format!("expected one of: {}", names.join(", ")),
        };
        ck.bad(
            kind,
            &dpath,
            format!("unknown distribution \"{name}\"; {hint}"),
        );
        return None;
    };
    let mut known = vec!["dist"];
    known.extend_from_slice(required);
    known.extend_from_slice(optional);
    let entries = node.as_table().unwrap_or(&[]);
    let before = ck.problems.len();
    ck.unknown_keys(entries, path, &known);
    let mut param = |key: &str, need: bool| -> Option<f64> {
        let sub = join(path, key);
        match node.get(key) {
            Some(v) if matches!(v.value, RawValue::Table(_)) => {
                ck.bad(v, &sub, "a distribution parameter must be a number");
                None
            }
            Some(v) => ck
                .number(v, &sub)
                .filter(|&x| bounded(ck, v, &sub, x, rule)),
            None if need && !misspelt(entries, &known, key) => {
                ck.at(
                    &node.origin,
                    &sub,
                    format!(
                        "missing key for a {name} distribution (it needs {})",
                        required.join(", ")
                    ),
                );
                None
            }
            None => None,
        }
    };
    let p: Vec<Option<f64>> = required.iter().map(|k| param(k, true)).collect();
    let opt: Vec<Option<f64>> = optional.iter().map(|k| param(k, false)).collect();
    if ck.problems.len() > before {
        return None;
    }
    let v = |i: usize| p[i].unwrap_or(0.0);
    let d = match name {
        "uniform" => Dist::Uniform {
            low: v(0),
            high: v(1),
        },
        "triangular" => Dist::Triangular {
            low: v(0),
            mode: v(1),
            high: v(2),
        },
        "pert" => Dist::Pert {
            low: v(0),
            mode: v(1),
            high: v(2),
        },
        "normal" => Dist::Normal {
            mean: v(0),
            sd: v(1),
            min: opt[0],
            max: opt[1],
        },
        _ => Dist::Lognormal {
            median: v(0),
            sigma: v(1),
        },
    };
    if let Err(msg) = order(&d) {
        ck.bad(node, path, msg);
        return None;
    }
    let (lo, lo_open, hi) = support(&d);
    if !rule.range.admits(lo, lo_open, hi) {
        let open = if lo_open { "(" } else { "[" };
        let close = if hi.is_infinite() { ")" } else { "]" };
        let mut msg = format!(
            "a {name} distribution with support {open}{}, {}{close} can leave the valid range: {}",
            num(lo),
            num(hi),
            rule.range.rule()
        );
        if name == "normal" {
            msg.push_str(" (truncate it with min and max inside the range)");
        }
        ck.bad(node, path, msg);
        return None;
    }
    Some(d)
}

/// Parameter order rules of MODEL.md §4 (Distributions).
fn order(d: &Dist) -> Result<(), String> {
    match *d {
        Dist::Uniform { low, high } if low > high => Err(format!(
            "uniform low {} > high {}: must have low <= high",
            num(low),
            num(high)
        )),
        Dist::Triangular { low, mode, high } | Dist::Pert { low, mode, high }
            if !(low <= mode && mode <= high) =>
        {
            Err(format!(
                "low {}, mode {}, high {}: must have low <= mode <= high",
                num(low),
                num(mode),
                num(high)
            ))
        }
        Dist::Normal { sd, .. } if sd < 0.0 => {
            Err(format!("normal sd {} < 0: must be >= 0", num(sd)))
        }
        Dist::Normal {
            min: Some(a),
            max: Some(b),
            ..
        } if a > b => Err(format!(
            "normal min {} > max {}: must have min <= max",
            num(a),
            num(b)
        )),
        // sd = 0 is the constant `mean`; truncating it to a window without it is empty.
        Dist::Normal { mean, sd, min, max }
            if sd == 0.0 && (min.is_some_and(|a| mean < a) || max.is_some_and(|b| mean > b)) =>
        {
            Err(format!(
                "normal with sd 0 is the constant mean {}, which lies outside [min, max]",
                num(mean)
            ))
        }
        Dist::Lognormal { median, .. } if median <= 0.0 => {
            Err(format!("lognormal median {} must be > 0", num(median)))
        }
        Dist::Lognormal { sigma, .. } if sigma < 0.0 => {
            Err(format!("lognormal sigma {} < 0: must be >= 0", num(sigma)))
        }
        Dist::Lognormal { sigma, .. } if sigma > LOGNORMAL_SIGMA_MAX => Err(format!(
            "lognormal sigma {} is too large: must be in [0, 3] (sigma is the sd of ln x: at 3 the middle 99.98 % of draws already span a factor of 5e9; at 300 most draws are 0 or infinite)",
            num(sigma)
        )),
        _ => Ok(()),
    }
}
