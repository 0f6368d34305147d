//! Fonts, text sizes, number formats and tick placement shared by every chart.
//!
//! The font is DejaVu Sans, embedded in the binary and registered with plotters'
//! `ab_glyph` backend under the family name `sans-serif`, so rendering never looks up
//! system fonts (no fontconfig, no freetype): charts come out the same on a bare server.

use std::ops::Range;
use std::sync::OnceLock;

use anyhow::anyhow;
use plotters::style::{register_font, FontStyle, IntoFont, RGBColor, TextStyle};

use super::palette;
use crate::report::precision::{percent, trim_zeros, Gap};
use crate::scenario::Meta;
use crate::summary::RunSummary;

/// The family name the embedded font is registered under and every text style uses.
pub const FONT_FAMILY: &str = "sans-serif";

pub(super) static REGULAR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));
pub(super) static BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans-Bold.ttf"
));

/// Registers the embedded fonts once per process. plotters keeps fonts in a global
/// table; registering again would only re-parse the same bytes, but a failure (corrupt
/// font data) must be reported on every call, so the outcome is cached.
pub fn ensure_fonts() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // `InvalidFont` implements neither Debug nor Display: name the file instead.
            register_font(FONT_FAMILY, FontStyle::Normal, REGULAR)
                .map_err(|_| "embedded font DejaVuSans.ttf is not a valid font".to_string())?;
            register_font(FONT_FAMILY, FontStyle::Bold, BOLD)
                .map_err(|_| "embedded font DejaVuSans-Bold.ttf is not a valid font".to_string())
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

/// Pixel sizes of the text roles, chosen for 1200x700 images viewed at 100%.
pub const TITLE_SIZE: f64 = 26.0;
pub const SUBTITLE_SIZE: f64 = 16.0;
pub const AXIS_DESC_SIZE: f64 = 18.0;
pub const TICK_SIZE: f64 = 16.0;
pub const LEGEND_SIZE: f64 = 16.0;
pub const NOTE_SIZE: f64 = 15.0;

pub fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&color)
}

pub fn bold(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FONT_FAMILY, size, FontStyle::Bold)
        .into_font()
        .color(&color)
}

pub fn title_style() -> TextStyle<'static> {
    bold(TITLE_SIZE, palette::BLACK)
}

pub fn subtitle_style() -> TextStyle<'static> {
    text(SUBTITLE_SIZE, palette::MUTED_TEXT)
}

/// How the numbers on an axis are written.
#[derive(Debug, Clone, PartialEq)]
pub enum TickFormat {
    /// Calendar years: `2030` (never `2030.0`).
    Year,
    /// USD billions: `$120bn`, `-$3.5bn`, `$1,200bn`.
    Money,
    /// USD billions written in trillions, for axes that reach past $10,000bn:
    /// `$30tn`, `$2.5tn` (five-digit billions are hard to read at a glance).
    MoneyTn,
    /// A probability written as a percentage: `40%`.
    Percent,
    /// Category names at the integer positions 0, 1, 2, ...
    Category(Vec<String>),
}

impl TickFormat {
    /// Label for the tick at `v`; `step` is the tick spacing, which sets the decimals.
    pub fn label(&self, v: f64, step: f64) -> String {
        match self {
            TickFormat::Year => format!("{}", v.round() as i64),
            TickFormat::Money => trim_zeros(&money(v, decimals_for(step)), 0),
            TickFormat::MoneyTn => {
                trim_zeros(&money(v / 1000.0, decimals_for(step / 1000.0)), 0).replace("bn", "tn")
            }
            TickFormat::Percent => {
                trim_zeros(&percent(v, decimals_for(step * 100.0), Gap::Tight), 0)
            }
            TickFormat::Category(names) => {
                let i = v.round();
                if (v - i).abs() > 1e-9 || i < 0.0 {
                    return String::new();
                }
                names.get(i as usize).cloned().unwrap_or_default()
            }
        }
    }
}

/// Decimals needed so that ticks `step` apart print exactly: the fewest `d` with
/// `step * 10^d` a whole number (0.25 -> 2, 5 -> 0).
fn decimals_for(step: f64) -> usize {
    (0..6)
        .find(|&d| {
            let x = step * 10f64.powi(d as i32);
            (x - x.round()).abs() < 1e-6 * x.abs().max(1.0)
        })
        .unwrap_or(6)
}

/// Past this many USD bn, money axes switch to trillions.
pub const TN_FROM: f64 = 10_000.0;

pub use crate::report::precision::{money, thousands};

/// "10,000 paths, seed 42": how a chart's numbers were made, for subtitles.
pub fn run_note(paths: u64, seed: u64) -> String {
    format!("{} paths, seed {seed}", thousands(paths))
}

/// `with revenue_share.cap=50; channel.ceiling=0.3`: the command-line edits behind a
/// run, or `None` for the file as written. Shown wherever a result is titled, so a chart
/// pasted into a deck cannot pass for the plain scenario's.
pub fn overrides_note(meta: &Meta) -> Option<String> {
    (!meta.overrides.is_empty()).then(|| format!("with {}", meta.overrides.join("; ")))
}

/// The subtitle note of a run's own charts: its edits (if any), paths and seed.
pub fn summary_note(s: &RunSummary) -> String {
    let run = run_note(s.paths, s.seed);
    match overrides_note(&s.meta) {
        Some(o) => format!("{o} · {run}"),
        None => run,
    }
}

/// A money amount for annotations: at most 3 significant digits, `$38bn`, `$2.4bn`.
pub fn money_short(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    trim_zeros(&money(v, decimals), 0)
}

/// The largest magnitude an axis end may have: an eighth of f64's range, so that spans,
/// paddings and the mapping to pixels never overflow, whatever the data.
pub const AXIS_MAX: f64 = f64::MAX / 8.0;

/// No axis carries more ticks than this, whatever its range and step: tick loops are
/// bounded by construction, never by the data.
pub const MAX_TICKS: usize = 64;

/// `range` made drawable: finite ends within ±`AXIS_MAX`, start below end, and a span
/// of at least a millionth of its magnitude (so ticks and pixels resolve it in f64).
/// NaN or missing ends fall back to 0..1. Every axis goes through this.
pub fn safe_range(range: &Range<f64>) -> Range<f64> {
    let clamp = |v: f64| v.clamp(-AXIS_MAX, AXIS_MAX);
    let (mut lo, mut hi) = (range.start.min(range.end), range.start.max(range.end));
    if lo.is_nan() || hi.is_nan() {
        return 0.0..1.0;
    }
    lo = clamp(lo);
    hi = clamp(hi);
    let mid = lo / 2.0 + hi / 2.0;
    let min_half = (mid.abs() * 1e-6).max(1e-9);
    if (hi - lo) / 2.0 < min_half {
        lo = clamp(mid - min_half);
        hi = clamp(mid + min_half);
    }
    lo..hi
}

/// Tick positions at "nice" multiples (1, 2, 2.5, 5 x 10^k) inside `range`, at most
/// `max_ticks` of them, and their spacing.
pub fn nice_ticks(range: &Range<f64>, max_ticks: usize) -> (Vec<f64>, f64) {
    let span = range.end - range.start;
    if span.is_nan() || span <= 0.0 || span.is_infinite() || max_ticks < 2 {
        return (vec![range.start], 1.0);
    }
    let max_ticks = max_ticks.min(MAX_TICKS);
    let raw = span / (max_ticks - 1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= (max_ticks - 1) as f64 + 1e-9)
        .unwrap_or(10.0 * mag);
    (ticks_at_step(range, step), step)
}

/// The multiples of `step` inside `range`; none if there would be more than
/// `MAX_TICKS` (a step too fine for the range, or a range beyond f64's integers).
pub fn ticks_at_step(range: &Range<f64>, step: f64) -> Vec<f64> {
    let first = (range.start / step - 1e-9).ceil();
    let last = (range.end / step + 1e-9).floor();
    let count = last - first;
    if !(0.0..MAX_TICKS as f64).contains(&count) || first.abs() > 1e15 || last.abs() > 1e15 {
        return Vec::new();
    }
    // Multiplying an integer by the step (rather than adding steps) keeps 0 exact.
    (first as i64..=last as i64)
        .map(|i| i as f64 * step)
        .collect()
}

/// `range` widened to the nearest multiples of `step`, so both ends carry a tick label,
/// unless that would add more than half a step of empty space at that end.
pub fn extend_to_step(range: &Range<f64>, step: f64) -> Range<f64> {
    if step.is_nan() || step <= 0.0 {
        return range.clone();
    }
    // The epsilons keep a bound that already is a multiple (up to rounding) in place.
    let lo = (range.start / step + 1e-9).floor() * step;
    let hi = (range.end / step - 1e-9).ceil() * step;
    let lo = if range.start - lo <= step / 2.0 {
        lo
    } else {
        range.start
    };
    let hi = if hi - range.end <= step / 2.0 {
        hi
    } else {
        range.end
    };
    safe_range(&(lo..hi))
}

/// Ticks for calendar years: whole years, every 1, 2, 5, 10... years so at most
/// `max_ticks` fit.
pub fn year_ticks(range: &Range<f64>, max_ticks: usize) -> (Vec<f64>, f64) {
    let (ticks, step) = nice_ticks(range, max_ticks);
    if step >= 1.0 && step.fract() == 0.0 {
        return (ticks, step);
    }
    let first = range.start.ceil();
    let last = range.end.floor();
    if !(0.0..MAX_TICKS as f64).contains(&(last - first)) {
        return (ticks, step);
    }
    (
        (first as i64..=last as i64).map(|y| y as f64).collect(),
        1.0,
    )
}

/// The value range covering `values` with `pad` (a fraction of the span) on each side;
/// `include_zero` extends it to 0 so bars and flows keep their baseline.
pub fn padded_range(
    values: impl IntoIterator<Item = f64>,
    pad: f64,
    include_zero: bool,
) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return 0.0..1.0;
    }
    if hi - lo < 1e-12 {
        // A constant series: give it a visible band around the value.
        let half = if lo.abs() > 0.0 { lo.abs() * 0.1 } else { 1.0 };
        return safe_range(&((lo - half)..(hi + half)));
    }
    // Halves first: the span of ±1e308 would overflow.
    let p = (hi / 2.0 - lo / 2.0) * 2.0 * pad;
    let lo = if include_zero && lo == 0.0 {
        0.0
    } else {
        lo - p
    };
    let hi = if include_zero && hi == 0.0 {
        0.0
    } else {
        hi + p
    };
    safe_range(&(lo..hi))
}

/// The union of ranges, for drawing several charts on identical axes.
pub fn union_range(ranges: impl IntoIterator<Item = Range<f64>>) -> Option<Range<f64>> {
    ranges
        .into_iter()
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
}

/// Words for the length of one period of the time grid.
pub fn period_word(steps_per_year: u32) -> &'static str {
    match steps_per_year {
        1 => "year",
        2 => "half-year",
        4 => "quarter",
        12 => "month",
        _ => "period",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trillion_ticks() {
        let f = TickFormat::MoneyTn;
        assert_eq!(f.label(30_000.0, 5_000.0), "$30tn");
        assert_eq!(f.label(2_500.0, 2_500.0), "$2.5tn");
        assert_eq!(f.label(0.0, 5_000.0), "$0");
        assert_eq!(f.label(-10_000.0, 5_000.0), "-$10tn");
    }

    #[test]
    fn money_formats() {
        assert_eq!(money(120.0, 0), "$120bn");
        assert_eq!(money(-3.5, 1), "-$3.5bn");
        assert_eq!(money(1234.5, 1), "$1,234.5bn");
        assert_eq!(money(-0.001, 0), "$0");
        assert_eq!(money(0.0, 2), "$0");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(money_short(38.0), "$38bn");
        assert_eq!(money_short(2.4), "$2.4bn");
        assert_eq!(money_short(-0.126), "-$0.13bn");
    }

    #[test]
    fn ticks_are_nice_and_bounded() {
        let (t, step) = nice_ticks(&(-3.2..118.0), 8);
        assert_eq!(step, 20.0);
        assert_eq!(t, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (t, step) = year_ticks(&(2026.0..2036.0), 12);
        assert_eq!(step, 1.0);
        assert_eq!(t.len(), 11);
        let (t, _) = year_ticks(&(2026.0..2056.0), 12);
        assert!(t.len() <= 12 && t.iter().all(|y| y.fract() == 0.0));
        assert_eq!(TickFormat::Percent.label(0.25, 0.25), "25%");
        assert_eq!(extend_to_step(&(0.0..0.226), 0.05), 0.0..0.25);
        assert_eq!(extend_to_step(&(-3.4..16.0), 5.0), -5.0..16.0);
        assert_eq!(extend_to_step(&(-20.0..660.0), 100.0), -20.0..700.0);
        assert_eq!(TickFormat::Money.label(0.5, 0.25), "$0.5bn");
        assert_eq!(TickFormat::Money.label(15.0, 2.5), "$15bn");
        assert_eq!(TickFormat::Money.label(12.5, 2.5), "$12.5bn");
        assert_eq!(TickFormat::Percent.label(0.4, 0.2), "40%");
    }
}
