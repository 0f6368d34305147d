//! Charts inlined into the report: the SVGs a command saved (kept in memory by
//! `report::Outputs`, the same bytes as the files), each wrapped in a `<figure>` with a
//! `<title>`, an `aria-label` and a one-line caption on how to read it.
//!
//! The chart set is the one saved, not hard-coded: known charts come in the order of
//! [`RunChart::ALL`], any others (comparison overlays) after them by name.

use super::markup::esc;
use crate::report::charts::{ChartFile, RunChart};

/// One chart: its file name without `.svg` and its SVG text.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub stem: String,
    pub svg: String,
}

/// The SVGs among `files` (none with `--charts none|png`), in report order.
pub fn svg_charts<'a>(files: impl IntoIterator<Item = &'a ChartFile>) -> Vec<Chart> {
    let mut charts: Vec<Chart> = files
        .into_iter()
        .filter_map(|f| {
            f.svg().map(|svg| Chart {
                stem: f.stem.clone(),
                svg: svg.to_string(),
            })
        })
        .collect();
    charts.sort_by(|a, b| (rank(&a.stem), &a.stem).cmp(&(rank(&b.stem), &b.stem)));
    charts
}

/// Where a chart comes in the report: a run's charts in [`RunChart::ALL`] order, then a
/// comparison's by family (distributions, components, medians over time), then the rest.
fn rank(stem: &str) -> usize {
    if let Some(i) = RunChart::ALL.iter().position(|c| c.file_stem() == stem) {
        return i;
    }
    const FAMILIES: [&str; 4] = [
        "compare_npv_total_cdf",
        "compare_npv_delta",
        "compare_components",
        "compare_median_",
    ];
    let base = RunChart::ALL.len();
    FAMILIES
        .iter()
        .position(|f| stem.starts_with(f))
        .map_or(base + FAMILIES.len(), |i| base + i)
}
/// How to read a chart, by file name; unknown charts get a general line (for `overlay`,
/// the comparison's charts of several scenarios on one set of axes).
pub fn caption(stem: &str, overlay: bool) -> &'static str {
    match stem {
        s if s.starts_with("fan_") && !s.contains("overlay") => {
            "Each period: the dark band holds the middle 50 % of paths (p25–p75), the light \
             band 90 % (p5–p95); the solid line is the median, the dashed line the mean."
        }
        "npv_total_histogram" => {
            "Each bar counts the paths whose total NPV falls in its range; tall bars are the \
             likely outcomes, a long right tail means rare large gains."
        }
        "npv_total_cdf" => {
            "Pick a value on the x axis: the curve gives the share of paths whose total NPV \
             is at or below it; read p5, p50 and p95 where it crosses 5 %, 50 % and 95 %."
        }
        "npv_components" => {
            "Bars are each component's mean NPV across paths, whiskers its p5–p95 range; the \
             components add up to the total at the bottom."
        }
        "cap_timing" => {
            "Bars: the probability that the revenue-share cap is first reached in that year; \
             line: the probability it has been reached by the end of the year."
        }
        "annual_cash_flows" => {
            "Stacked bars are the mean cash flow of each component in each year (costs below \
             zero); the line is their sum, the net cash flow (stake value not included)."
        }
        "convergence" => {
            "The mean total NPV over the first 1,000, 2,000, 4,000, … paths (log scale) and \
             over all of them, with a ± 2 standard error band: a flat line in a narrowing band \
             means more paths would not move the answer much."
        }
        "compare_npv_total_cdf" => {
            "One curve per scenario: the share of paths whose total NPV is at or below the \
             value on the x axis; a curve further right is the better scenario."
        }
        s if s.starts_with("compare_npv_delta") => {
            "Paths counted by their paired difference in total NPV against the baseline \
             (same random numbers); bars right of zero are paths where the scenario does better."
        }
        "compare_components" => {
            "For each component, one bar per scenario: the mean NPV, whiskers p5–p95; \
             compare the bars of one component to see where the scenarios differ."
        }
        s if s.starts_with("compare_median_") => {
            "The median path of each scenario over time on one axis (the baseline with its \
             p25–p75 band); lines apart show when the assumptions start to matter."
        }
        "variance_contribution" => {
            "Each bar: the share of the variance of total NPV that goes away when that source \
             is frozen on the same paths (an input at its median, a group of market shocks \
             switched off); the longest bar moves the result most."
        }
        "tornado_rank_correlation" => {
            "Bars: how consistently a higher value of the input goes with a higher (blue) or \
             lower (orange) total NPV across paths; whiskers: the 95 % interval. The axis is \
             scaled to the data, not to ±1."
        }
        "tornado_one_at_a_time" => {
            "Each bar: the change in mean total NPV with the input at its low and at its high \
             value, all else as in the base run; the labels at the ends give those values."
        }
        "heatmap_by_year" => {
            "Each cell: the rank correlation of an uncertain input with the investor's cash \
             flow in that year; the colour key on the right reads the colours back."
        }
        s if s.contains("waterfall") => {
            "Each bar is one step's mean change, starting from the first total and ending at \
             the last; bars below the line are losses."
        }
        _ if overlay => {
            "The compared scenarios on identical axes, one colour each as the legend names \
             them; the title and subtitle say what is plotted."
        }
        _ => "The title and subtitle say what is plotted; the legend names each series.",
    }
}

/// The chart's own title: the text of its first `<text>` element (already XML-escaped,
/// which is valid HTML), or the file name.
fn svg_title(svg: &str) -> String {
    let found = svg.find("<text").and_then(|i| {
        let open_end = i + svg[i..].find('>')? + 1;
        let close = open_end + svg[open_end..].find("</text>")?;
        Some(svg[open_end..close].trim().to_string())
    });
    found.filter(|t| !t.is_empty()).unwrap_or_default()
}

/// The SVG ready to sit inside HTML: no XML prolog, no namespace declarations (the HTML
/// parser puts `<svg>` in the SVG namespace by itself; this keeps the report free of any
/// URL), and `role`, `aria-labelledby`, `aria-label` and a `<title>` on the root.
fn inline_svg(svg: &str, id: &str, label: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    let Some(tag_end) = body.find('>') else {
        return String::new();
    };
    let tag = &body[..tag_end];
    let self_closing = tag.ends_with('/');
    let tag = tag.trim_end_matches('/');
    let mut root = String::new();
    let mut rest = tag;
    // Drop every `xmlns` / `xmlns:*` attribute, keep the others as written.
    while let Some(pos) = rest.find(" xmlns") {
        root.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let skip = after
            .find('"')
            .and_then(|q| after[q + 1..].find('"').map(|q2| q + 1 + q2 + 1))
            .unwrap_or(after.len());
        rest = &after[skip..];
    }
    root.push_str(rest);
    let attrs = format!(
        " role=\"img\" aria-labelledby=\"{id}\" aria-label=\"{}\" focusable=\"false\"",
        esc(label)
    );
    let title = format!("<title id=\"{id}\">{}</title>", esc(label));
    if self_closing {
        format!("{root}{attrs}>{title}</svg>")
    } else {
        format!("{root}{attrs}>{title}{}", &body[tag_end + 1..])
    }
}

/// A `<figure>` for `chart`, numbered `n` within the page (for unique ids).
pub fn figure(chart: &Chart, n: usize, id_prefix: &str, overlay: bool) -> String {
    let how = caption(&chart.stem, overlay);
    let title = svg_title(&chart.svg);
    let heading = if title.is_empty() {
        esc(&chart.stem)
    } else {
        title
    };
    // The label is plain text: unescape the few entities an SVG title can carry.
    let plain = heading
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let label = format!("{plain}. {how}");
    let id = format!("{id_prefix}chart-{n}");
    format!(
        "<figure class=\"chart\" id=\"{id}-fig\">\n{}\n<figcaption><strong>Figure {n}.</strong> {} \
         <span class=\"file\">(charts/{}.svg)</span></figcaption>\n</figure>\n",
        inline_svg(&chart.svg, &format!("{id}-title"), &label),
        esc(how),
        esc(&chart.stem)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_gets_title_and_loses_namespace() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" \
                   xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n\
                   <text x=\"1\">\nA &amp; B\n</text></svg>";
        let c = Chart {
            stem: "cap_timing".into(),
            svg: svg.into(),
        };
        let f = figure(&c, 3, "", false);
        assert!(!f.contains("http"), "{f}");
        assert!(!f.contains("<?xml"));
        assert!(f.contains("<svg width=\"10\" height=\"5\" viewBox=\"0 0 10 5\" role=\"img\""));
        assert!(f.contains("aria-label=\"A &amp; B. Bars:"), "{f}");
        assert!(f.contains("<title id=\"chart-3-title\">A &amp; B. Bars:"));
    }

    #[test]
    fn only_svgs_are_embedded_in_report_order() {
        use crate::report::charts::ImageFormat;
        let file = |stem: &str, format| ChartFile {
            stem: stem.into(),
            format,
            bytes: format!("<svg>{stem}</svg>").into_bytes(),
        };
        // Saved in another order than RunChart::ALL's (fan first, ..., cap_timing before
        // annual_cash_flows), and an unknown chart, which comes after the known ones.
        let files = [
            file("zz_other", ImageFormat::Svg),
            file("cap_timing", ImageFormat::Png),
            file("annual_cash_flows", ImageFormat::Svg),
            file("cap_timing", ImageFormat::Svg),
            file("fan_company_revenue", ImageFormat::Svg),
        ];
        let stems: Vec<String> = svg_charts(&files).into_iter().map(|c| c.stem).collect();
        assert_eq!(
            stems,
            [
                "fan_company_revenue",
                "cap_timing",
                "annual_cash_flows",
                "zz_other"
            ]
        );
        assert_eq!(svg_charts(&files)[1].svg, "<svg>cap_timing</svg>");
    }
}
