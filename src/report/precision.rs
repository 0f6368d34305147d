//! The one number formatter for display: terminal, report.html and charts all format
//! through [`fixed`] (a value to a number of decimals, thousands separators, no `-0`),
//! and the shapes built on it: [`by_error`] for estimates, [`rounded`] for report cells,
//! [`money`] for chart amounts and axes, [`thousands`] for counts; [`short_value`] writes
//! an input's value as a scenario would (no separators) on tornado bars and tables;
//! [`plain`], [`signed`], [`percent`] and [`seconds`] write the numbers that are not
//! amounts (correlations, shares, wall time) the way Rust's `{:.N}` does, without
//! separators, so the labels they replaced read byte for byte the same. The CSV files keep
//! full precision in their own writer (`csv::num`), not for the eye.
//!
//! Headline numbers are rounded to what their error supports.
//!
//! Rule (the Particle Data Group's, *Review of Particle Physics*, "Rounding" in the
//! introduction): the error is rounded to two significant digits when its first two
//! digits are 10–29 (1.3, 0.27, 14), otherwise to one (7, 0.4, 300); the value is rounded
//! to the same decimal place. So 628.45 ± 7.22 reads `628 ± 7`, 628.45 ± 1.34 reads
//! `628.4 ± 1.3`, 62,845 ± 340 reads `62,800 ± 300`. The error of a mean is its standard
//! error; of a percentile or probability, its 95 % interval's half-width / 1.96 (the
//! standard error a normal interval of that width would have). A zero or non-finite
//! error leaves the value at the display's usual precision.

/// Decimal places supported by error `err` (negative: round to tens, hundreds, ...);
/// `None` when `err` is zero or not finite.
pub fn decimals_for(err: f64) -> Option<i32> {
    if !(err.is_finite() && err > 0.0) {
        return None;
    }
    let mut e = err.log10().floor() as i32;
    // log10 can land a hair off at exact powers of ten.
    if err / 10f64.powi(e) >= 10.0 {
        e += 1;
    } else if err / 10f64.powi(e) < 1.0 {
        e -= 1;
    }
    let lead2 = err / 10f64.powi(e - 1); // first two digits, 10 ≤ lead2 < 100
    let sig = if lead2.round() < 30.0 { 2 } else { 1 };
    Some(sig - 1 - e)
}

/// The standard error equivalent of a 95 % interval: its half-width / 1.96.
pub fn interval_error(low: f64, high: f64) -> f64 {
    (high - low) / 2.0 / crate::engine::intervals::Z95
}

/// `v` rounded to `d` decimal places (`d < 0`: to a multiple of `10^-d`), as plain digits
/// with thousands separators and no `-0`.
pub fn fixed(v: f64, d: i32) -> String {
    if !v.is_finite() {
        return String::from("–");
    }
    let (v, dec) = if d >= 0 {
        (v, d as usize)
    } else {
        let unit = 10f64.powi(-d);
        ((v / unit).round() * unit, 0)
    };
    let s = format!("{:.*}", dec, v.abs());
    let zero = s.chars().all(|c| c == '0' || c == '.');
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let grouped = group_digits(int);
    let sign = if v < 0.0 && !zero { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// A comma between every three digits of a run of digits, counted from the right.
pub fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An integer with thousands separators: `10,000`.
pub fn thousands(n: u64) -> String {
    group_digits(&n.to_string())
}

/// `v` to at least `min_dec` decimals and about 3 significant digits below 1 (at most 6
/// decimals), with thousands separators: the report's table cells. `-0.00` reads
/// `0.00`; non-finite values read `–`.
pub fn rounded(v: f64, min_dec: usize) -> String {
    let a = v.abs();
    let dec = if a > 0.0 && a < 1.0 && a.is_finite() {
        (2 - a.log10().floor() as i64).clamp(min_dec as i64, 6) as usize
    } else {
        min_dec
    };
    fixed(v, dec as i32)
}

/// USD billions for charts: `$1,234.5bn` with `decimals` after the point, `$0` for
/// anything that rounds to zero (no `-$0.00bn` reading as a loss).
pub fn money(v: f64, decimals: usize) -> String {
    // Beyond 1e15 (more digits than anyone reads, and a 300-digit label for 1e300):
    // exponent form. Valid runs never get there (see `engine::guard`).
    if v.abs() >= 1e15 || !v.is_finite() {
        let sign = if v < 0.0 { "-" } else { "" };
        return format!("{sign}${:.2e}bn", v.abs());
    }
    let digits = fixed(v, decimals as i32);
    if digits.chars().all(|c| matches!(c, '0' | '.' | '-' | ',')) {
        return "$0".to_string();
    }
    money_text(&digits)
}

/// `v` rounded by its error `err`, or with `default` decimals if the error gives none.
pub fn by_error(v: f64, err: f64, default: i32) -> String {
    fixed(v, decimals_for(err).unwrap_or(default))
}

/// `(value, error)` as rounded strings: `("628", "7")` for 628.45 ± 7.22.
pub fn value_and_error(v: f64, err: f64, default: i32) -> (String, String) {
    match decimals_for(err) {
        Some(d) => (fixed(v, d), fixed(err, d)),
        None => (fixed(v, default), fixed(err, default)),
    }
}

/// Money with its error: `$628bn ± 7bn`, `-$3.1bn ± 0.4bn`.
pub fn money_pm(v: f64, err: f64) -> String {
    let (a, e) = value_and_error(v, err, 2);
    format!("{} ± {e}bn", money_text(&a))
}

/// Money rounded by an error that is not shown: `$628bn`.
pub fn money_by(v: f64, err: f64) -> String {
    money_text(&by_error(v, err, 2))
}

/// `$` in front of a rounded number (after its sign) and `bn` after it.
fn money_text(digits: &str) -> String {
    match digits.strip_prefix('-') {
        Some(rest) => format!("-${rest}bn"),
        None => format!("${digits}bn"),
    }
}

/// A short input value for the ends of tornado bars and their table: about 3 significant
/// digits, trailing zeros dropped, no separators (`0.225`, `2027`, `2026.5`, `1200`).
pub fn short_value(v: f64) -> String {
    if v.abs() >= 100.0 {
        let t = format!("{v:.1}");
        t.strip_suffix(".0").map(str::to_string).unwrap_or(t)
    } else if v == 0.0 {
        String::from("0")
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
        let t = format!("{v:.digits$}");
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    }
}

/// A probability as a percentage rounded by its error: `43 %`, `0.8 %`.
pub fn percent_by(p: f64, err: f64) -> String {
    Gap::NoBreak.percent(&by_error(p * 100.0, err * 100.0, 1))
}

/// `v` to `d` decimals exactly as Rust's `{:.d}` writes it: no thousands separators and
/// `-0.0` kept (unlike [`fixed`]). For numbers that are not amounts: correlations in a
/// terminal column, years on an axis, a mean beside its unit.
pub fn plain(v: f64, d: usize) -> String {
    format!("{v:.d$}")
}

/// `v` to `d` decimals with its sign always written: `+0.42`, `-1.30`, `+0.000`. Paired
/// deltas and correlations, where the direction is the point.
pub fn signed(v: f64, d: usize) -> String {
    format!("{v:+.d$}")
}

/// What stands between a percentage's digits and its `%`. Three styles are in use today;
/// each medium keeps its own so no label changes (a candidate for unification).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// `12.3%`: chart titles, notes and axis ticks.
    Tight,
    /// `12 %`: variance shares in the terminal, on tornado bars and in their table.
    Space,
    /// `12.3 %` with a no-break space: report.html cells and headline probabilities.
    NoBreak,
}

impl Gap {
    /// `digits` (already a number) followed by this gap and `%`.
    pub fn percent(self, digits: &str) -> String {
        let gap = match self {
            Gap::Tight => "",
            Gap::Space => " ",
            Gap::NoBreak => "\u{a0}",
        };
        format!("{digits}{gap}%")
    }
}

/// A fraction `p` shown as a percentage with `d` decimals: `percent(0.123, 1, Gap::Tight)`
/// reads `12.3%`. Digits as [`plain`] writes them.
pub fn percent(p: f64, d: usize, gap: Gap) -> String {
    gap.percent(&plain(100.0 * p, d))
}

/// `v` in Rust's shortest exact form after rounding away float noise below `1e-9`: an
/// axis step of 0.1 lands on `0.30000000000000004`, which reads `0.3`; `50`, `2.5`.
pub fn shortest(v: f64) -> String {
    format!("{}", (v * 1e9).round() / 1e9)
}

/// A wall time: `1.23 s` (two decimals, no separators).
pub fn seconds(v: f64) -> String {
    format!("{} s", plain(v, 2))
}

/// Zeros after the decimal point dropped down to `keep` decimals, and the point too when
/// none are kept; any unit after the digits stays: with `keep = 0`, `$15.0bn` reads
/// `$15bn` and `2.50%` reads `2.5%` (chart ticks); with `keep = 1`, `98.00` reads `98.0`
/// so a table column keeps its point (report cells).
pub fn trim_zeros(s: &str, keep: usize) -> String {
    let Some(dot) = s.find('.') else {
        return s.to_string();
    };
    let digits_end = s[dot + 1..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(s.len(), |i| dot + 1 + i);
    let frac = &s[dot + 1..digits_end];
    let kept = frac.trim_end_matches('0');
    let kept = &frac[..kept.len().max(keep.min(frac.len()))];
    let point = if kept.is_empty() { "" } else { "." };
    format!("{}{point}{kept}{}", &s[..dot], &s[digits_end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_rule() {
        // One significant digit of the error when it starts with 3–9, two with 10–29.
        assert_eq!(value_and_error(628.45, 7.22, 2), ("628".into(), "7".into()));
        assert_eq!(
            value_and_error(628.45, 1.34, 2),
            ("628.5".into(), "1.3".into())
        );
        assert_eq!(value_and_error(628.45, 2.96, 2), ("628".into(), "3".into()));
        assert_eq!(
            value_and_error(0.43217, 0.0049, 2),
            ("0.432".into(), "0.005".into())
        );
        assert_eq!(
            value_and_error(0.43217, 0.0012, 2),
            ("0.4322".into(), "0.0012".into())
        );
        assert_eq!(
            value_and_error(62_845.0, 340.0, 2),
            ("62,800".into(), "300".into())
        );
        assert_eq!(
            value_and_error(62_845.0, 14.0, 2),
            ("62,845".into(), "14".into())
        );
        assert_eq!(
            value_and_error(-0.004, 0.3, 2),
            ("0.0".into(), "0.3".into())
        );
        // Exact powers of ten: 1 starts with 10, two digits.
        assert_eq!(decimals_for(1.0), Some(1));
        assert_eq!(decimals_for(0.01), Some(3));
        assert_eq!(decimals_for(100.0), Some(-1));
        assert_eq!(decimals_for(0.0), None);
        assert_eq!(decimals_for(f64::NAN), None);
        assert_eq!(money_pm(628.45, 7.22), "$628bn ± 7bn");
        assert_eq!(money_pm(-3.17, 0.41), "-$3.2bn ± 0.4bn");
        assert_eq!(money_pm(12.0, 0.0), "$12.00bn ± 0.00bn");
        assert_eq!(percent_by(0.4321, 0.0049), "43.2\u{a0}%");
    }

    #[test]
    fn one_formatter_for_cells_money_and_counts() {
        assert_eq!(rounded(1234.5678, 2), "1,234.57");
        assert_eq!(rounded(0.0012345, 2), "0.00123");
        assert_eq!(rounded(-0.0001, 2), "-0.000100");
        assert_eq!(rounded(-0.001, 0), "-0.00100");
        assert_eq!(rounded(-0.004, 2), "-0.00400");
        assert_eq!(rounded(f64::NAN, 2), "–");
        assert_eq!(money(1234.5, 1), "$1,234.5bn");
        assert_eq!(money(-3.256, 2), "-$3.26bn");
        assert_eq!(money(-0.001, 2), "$0");
        assert_eq!(money(1e16, 0), "$1.00e16bn");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(group_digits("1000"), "1,000");
        assert_eq!(short_value(0.225), "0.225");
        assert_eq!(short_value(2026.5), "2026.5");
        assert_eq!(short_value(1200.0), "1200");
        assert_eq!(short_value(0.0), "0");
        assert_eq!(short_value(12.345), "12.3");
    }

    #[test]
    fn plain_signed_percent_and_seconds() {
        // No separators and `-0` kept, as the labels these replaced printed them.
        assert_eq!(plain(1234.567, 2), "1234.57");
        assert_eq!(plain(-0.0001, 3), "-0.000");
        assert_eq!(plain(2026.0, 0), "2026");
        assert_eq!(signed(0.4213, 2), "+0.42");
        assert_eq!(signed(-1.3, 2), "-1.30");
        assert_eq!(signed(0.0, 3), "+0.000");
        assert_eq!(signed(-0.25, 3), "-0.250");
        assert_eq!(percent(0.123, 1, Gap::Tight), "12.3%");
        assert_eq!(percent(0.4, 0, Gap::Tight), "40%");
        assert_eq!(percent(0.79, 0, Gap::Space), "79 %");
        assert_eq!(percent(0.9908, 2, Gap::NoBreak), "99.08\u{a0}%");
        assert_eq!(percent(1.5, 0, Gap::Space), "150 %");
        assert_eq!(Gap::NoBreak.percent("1,234"), "1,234\u{a0}%");
        assert_eq!(seconds(0.1), "0.10 s");
        assert_eq!(seconds(1234.5), "1234.50 s");
        assert_eq!(shortest(0.1 + 0.2), "0.3");
        assert_eq!(shortest(50.0), "50");
        assert_eq!(shortest(2.5), "2.5");
        // Noise around zero keeps its sign, as the label it replaced did.
        assert_eq!(shortest(-1e-12), "-0");
    }

    #[test]
    fn trailing_zeros() {
        assert_eq!(trim_zeros("$15.0bn", 0), "$15bn");
        assert_eq!(trim_zeros("$2.50bn", 0), "$2.5bn");
        assert_eq!(trim_zeros("2.50%", 0), "2.5%");
        assert_eq!(trim_zeros("40%", 0), "40%");
        assert_eq!(trim_zeros("98.00", 1), "98.0");
        assert_eq!(trim_zeros("98.0", 1), "98.0");
        assert_eq!(trim_zeros("0.0400", 1), "0.04");
        assert_eq!(trim_zeros("1,234.50", 1), "1,234.5");
        assert_eq!(trim_zeros("12", 1), "12");
    }
}
