//! `--grid KEY=VALUES`: one swept key and its values, and the cartesian product of
//! several. Values are text, applied exactly as `--set KEY=VALUE` would apply them and
//! written to sweep.csv as they are applied, so what a reader sees is what ran.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::report::csv::num;
use crate::scenario::split_top_level;

/// One `--grid` flag: a key path and its values, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// Keys a sweep may not vary: every point runs on the same seed and paths.
const FIXED_KEYS: [&str; 2] = ["simulation.seed", "simulation.paths"];

/// Parse one `--grid` argument: `key=v1,v2,...` or `key=lo..hi:n` (n evenly spaced
/// values, both ends included). Errors name the flag, the key, the value and the problem.
pub fn parse(arg: &str) -> Result<Axis, String> {
    let fail = |key: &str, msg: String| {
        if key.is_empty() {
            format!("--grid '{arg}': {msg}")
        } else {
            format!("--grid '{arg}': key {key}: {msg}")
        }
    };
    let Some((key, spec)) = arg.split_once('=') else {
        return Err(fail(
            "",
            "expected KEY=VALUES, e.g. revenue_share.cap=25,38,50 or channel.ceiling=0.05..0.4:8"
                .into(),
        ));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(fail("", "the key is empty".into()));
    }
    if FIXED_KEYS.contains(&key) {
        return Err(fail(
            key,
            "cannot be swept: every point runs on the same seed and paths (use --seed / --paths)"
                .into(),
        ));
    }
    let spec = spec.trim();
    let values = match range_parts(spec) {
        Some((lo, hi, n)) => range(lo, hi, n).map_err(|m| fail(key, m))?,
        None => list(spec).map_err(|m| fail(key, m))?,
    };
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(fail(key, format!("value {v} is listed twice")));
        }
    }
    Ok(Axis {
        key: key.to_string(),
        values,
    })
}

/// `lo..hi:n` split into its three texts, if `spec` has that shape.
fn range_parts(spec: &str) -> Option<(&str, &str, &str)> {
    let (lo, rest) = spec.split_once("..")?;
    let (hi, n) = rest.rsplit_once(':')?;
    Some((lo.trim(), hi.trim(), n.trim()))
}

/// A number as written in the grid: plain decimal or with an exponent (`1e3`).
fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
}

/// `n` evenly spaced values from `lo` to `hi`, computed in decimal (so 0.05..0.4:8 gives
/// 0.1, not 0.1 plus a binary rounding error), then written as the shortest decimal that
/// reads back to the same f64, the value `--set` applies.
fn range(lo: &str, hi: &str, n: &str) -> Result<Vec<String>, String> {
    let bad = |what: &str, v: &str| format!("{what} {v:?} in lo..hi:n is not a number");
    let a = decimal(lo).ok_or_else(|| bad("lo", lo))?;
    let b = decimal(hi).ok_or_else(|| bad("hi", hi))?;
    let n: u32 = n
        .parse()
        .map_err(|_| format!("n {n:?} in lo..hi:n is not a whole number"))?;
    if n < 2 {
        return Err(format!(
            "n = {n} in lo..hi:n: need at least 2 points (list a single value instead)"
        ));
    }
    if n > 100_000 {
        return Err(format!(
            "n = {n} in lo..hi:n: at most 100000 points per key"
        ));
    }
    if a == b {
        return Err(format!("lo and hi are both {lo}: nothing to sweep"));
    }
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        // Multiply before dividing: exact whenever the step is a finite decimal.
        let d = (b - a)
            .checked_mul(Decimal::from(i))
            .and_then(|x| x.checked_div(Decimal::from(n - 1)))
            .and_then(|x| x.checked_add(a))
            .ok_or_else(|| format!("{lo}..{hi}:{n}: values out of range"))?;
        let v: f64 = d
            .normalize()
            .to_string()
            .parse()
            .map_err(|_| format!("{d} is not a number"))?;
        out.push(num(v));
    }
    Ok(out)
}

/// A comma-separated list, split at top-level commas only (an inline table or array
/// value keeps its commas). Numbers are written in the CSV's form (`1e3` -> `1000`).
fn list(spec: &str) -> Result<Vec<String>, String> {
    split_top_level(spec, ',')
        .into_iter()
        .map(|t| {
            let t = t.trim();
            if t.is_empty() {
                return Err(format!("empty value in list {spec:?}"));
            }
            Ok(match plain_number(t) {
                Some(v) => num(v),
                None => t.to_string(),
            })
        })
        .collect()
}

/// `t` as a finite number if it is written as one (digits, sign, point, exponent).
fn plain_number(t: &str) -> Option<f64> {
    let looks = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    let v: f64 = t.parse().ok().filter(|_| looks)?;
    v.is_finite().then_some(v)
}

/// Every combination of the axes' values, the first axis varying slowest.
pub fn points(axes: &[Axis]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for a in axes {
        out = out
            .into_iter()
            .flat_map(|p| {
                a.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(v.clone());
                    q
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_decimal_and_inclusive() {
        let a = parse("channel.ceiling=0.05..0.40:8").unwrap();
        assert_eq!(a.key, "channel.ceiling");
        assert_eq!(
            a.values,
            ["0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.35", "0.4"]
        );
        assert_eq!(parse("x=0..1:3").unwrap().values, ["0", "0.5", "1"]);
        assert_eq!(parse("x=10..-10:3").unwrap().values, ["10", "0", "-10"]);
        // A step that is not a finite decimal: shortest round-trip text of the f64.
        let third = parse("x=0..1:4").unwrap().values;
        assert_eq!(third[1].parse::<f64>().unwrap(), 1.0 / 3.0);
        assert_eq!(third[1], "0.3333333333333333");
    }

    #[test]
    fn lists_keep_inline_tables_and_normalise_numbers() {
        let a = parse("revenue_share.cap=25, 38,50,8e1").unwrap();
        assert_eq!(a.values, ["25", "38", "50", "80"]);
        let d = parse("channel.ceiling={dist=\"uniform\",low=0.1,high=0.2},0.3").unwrap();
        assert_eq!(d.values, ["{dist=\"uniform\",low=0.1,high=0.2}", "0.3"]);
    }

    #[test]
    fn bad_grids_name_flag_key_value_and_problem() {
        for (arg, want) in [
            ("channel.ceiling", "expected KEY=VALUES"),
            ("x=0..1:1", "at least 2 points"),
            ("x=0..abc:3", "hi \"abc\""),
            ("x=0..1:z", "n \"z\""),
            ("x=1,,2", "empty value"),
            ("x=1,2,1", "value 1 is listed twice"),
            ("simulation.seed=1,2", "cannot be swept"),
            ("x=2..2:3", "nothing to sweep"),
        ] {
            let e = parse(arg).unwrap_err();
            assert!(e.starts_with(&format!("--grid '{arg}'")), "{e}");
            assert!(e.contains(want), "{arg}: {e}");
        }
    }

    #[test]
    fn product_first_axis_slowest() {
        let a = parse("a=1,2").unwrap();
        let b = parse("b=x,y,z").unwrap();
        let p = points(&[a, b]);
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], ["1", "x"]);
        assert_eq!(p[1], ["1", "y"]);
        assert_eq!(p[3], ["2", "x"]);
        assert_eq!(points(&[]), vec![Vec::<String>::new()]);
    }
}
