//! The one colour palette of every chart: Okabe & Ito's eight colours, which stay
//! distinguishable under the common forms of colour blindness
//! (Okabe, M. & Ito, K., "Color Universal Design", 2002; jfly.uni-koeln.de/color/).
//!
//! Each quantity keeps its colour across charts (revenue share is always blue, the stake
//! always purple), so a reader who learned it once can compare charts side by side.

use plotters::style::RGBColor;

pub const BLACK: RGBColor = RGBColor(0, 0, 0);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);

/// Neutral greys for grid lines, annotations and secondary text (not data).
pub const GRID: RGBColor = RGBColor(225, 225, 225);
pub const AXIS: RGBColor = RGBColor(90, 90, 90);
pub const MUTED_TEXT: RGBColor = RGBColor(90, 90, 90);

/// Scenario series in overlays, in order (the first scenario is blue, like single runs).
pub const SERIES: [RGBColor; 6] = [
    BLUE,
    ORANGE,
    BLUISH_GREEN,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
];

/// Component colours, shared by the NPV-components and the annual-cash-flow charts.
pub const REVENUE_SHARE: RGBColor = BLUE;
pub const CLOUD_MODELS: RGBColor = SKY_BLUE;
pub const REVERSE_SHARE: RGBColor = VERMILLION;
pub const COMPUTE: RGBColor = BLUISH_GREEN;
pub const STAKE: RGBColor = REDDISH_PURPLE;
/// The licence's own-product value (MODEL.md §6.1).
pub const LICENCE: RGBColor = ORANGE;
/// Renegotiations of the revenue share (MODEL.md §6.3), on the cap-timing chart.
pub const RENEGOTIATION: RGBColor = VERMILLION;
/// Totals and nets (NPV total, net cash flow, cumulative probability).
pub const TOTAL: RGBColor = BLACK;

/// Statistic markers on distributions: the median and the tails.
pub const MEDIAN: RGBColor = BLACK;
pub const MEAN: RGBColor = ORANGE;
pub const TAIL: RGBColor = VERMILLION;

/// Opacity of the outer (p5–p95) and inner (p25–p75) fan bands; the inner band is drawn
/// over the outer one, so it reads darker.
pub const BAND_OUTER_ALPHA: f64 = 0.18;
pub const BAND_INNER_ALPHA: f64 = 0.30;

/// The dash pattern (dash, gap in pixels) of overlaid series `i`: the first solid, the
/// others dashed in patterns of their own, so lines that coincide stay distinguishable
/// (a dashed line over a solid one shows both) and charts read in black and white.
pub fn dash(i: usize) -> Option<(u32, u32)> {
    const PATTERNS: [(u32, u32); 5] = [(14, 7), (4, 5), (24, 6), (9, 4), (2, 8)];
    (i > 0).then(|| PATTERNS[(i - 1) % PATTERNS.len()])
}
