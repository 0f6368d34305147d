//! The legend strip under every plot: entries laid out in centred rows at the bottom of
//! the page, so a legend never covers data whatever the data's shape.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette;
use super::style;

/// What a legend entry shows next to its label.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line {
        color: RGBColor,
        width: u32,
        dashed: bool,
    },
    Fill {
        color: RGBColor,
        alpha: f64,
    },
    LineWithMarker {
        color: RGBColor,
    },
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub label: String,
    pub swatch: Swatch,
}

impl LegendItem {
    pub fn new(label: impl Into<String>, swatch: Swatch) -> LegendItem {
        LegendItem {
            label: label.into(),
            swatch,
        }
    }
}

const SWATCH_W: i32 = 30;
const LEGEND_ROW: i32 = 26;

/// Draws `legend` in rows at most `max_w` wide at the bottom of `root`; returns the
/// height it took (a small gap when there is no legend).
pub fn draw_legend<DB>(
    root: &DrawingArea<DB, Shift>,
    legend: &[LegendItem],
    max_w: i32,
) -> Result<i32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (w, h) = root.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let rows = legend_rows(root, legend, max_w)?;
    let legend_h = if rows.is_empty() {
        12
    } else {
        rows.len() as i32 * LEGEND_ROW + 14
    };
    let legend_top = h - legend_h;
    for (r, row) in rows.iter().enumerate() {
        let row_w: i32 = row.iter().map(|(_, width)| width).sum();
        let mut x = (w - row_w) / 2;
        let y = legend_top + 4 + r as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        for (item, width) in row {
            draw_legend_item(root, &legend[*item], x, y)?;
            x += width;
        }
    }
    Ok(legend_h)
}

/// Splits the legend into centred rows that fit `max_w`; each entry is (index, width).
fn legend_rows<DB>(
    root: &DrawingArea<DB, Shift>,
    legend: &[LegendItem],
    max_w: i32,
) -> Result<Vec<Vec<(usize, i32)>>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let font = style::text(style::LEGEND_SIZE, palette::BLACK);
    let mut rows: Vec<Vec<(usize, i32)>> = Vec::new();
    let mut used = 0;
    for (i, item) in legend.iter().enumerate() {
        let text_w = root.estimate_text_size(&item.label, &font)?.0 as i32;
        let width = SWATCH_W + 8 + text_w + 28;
        match rows.last_mut() {
            Some(row) if used + width <= max_w => row.push((i, width)),
            _ => {
                rows.push(vec![(i, width)]);
                used = 0;
            }
        }
        used += width;
    }
    Ok(rows)
}

fn draw_legend_item<DB>(
    root: &DrawingArea<DB, Shift>,
    item: &LegendItem,
    x: i32,
    y: i32,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    match item.swatch {
        Swatch::Line {
            color,
            width,
            dashed: false,
        } => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + SWATCH_W, y)],
                color.stroke_width(width),
            ))?;
        }
        Swatch::Line {
            color,
            width,
            dashed: true,
        } => {
            for (a, b) in [(0, 9), (13, 21), (25, SWATCH_W)] {
                root.draw(&PathElement::new(
                    vec![(x + a, y), (x + b, y)],
                    color.stroke_width(width),
                ))?;
            }
        }
        Swatch::Fill { color, alpha } => {
            root.draw(&Rectangle::new(
                [(x, y - 8), (x + SWATCH_W, y + 8)],
                color.mix(alpha).filled(),
            ))?;
        }
        Swatch::LineWithMarker { color } => {
            root.draw(&PathElement::new(
                vec![(x, y), (x + SWATCH_W, y)],
                color.stroke_width(2),
            ))?;
            root.draw(&Circle::new((x + SWATCH_W / 2, y), 4, color.filled()))?;
        }
    }
    root.draw(&Text::new(
        item.label.clone(),
        (x + SWATCH_W + 8, y),
        style::text(style::LEGEND_SIZE, palette::BLACK).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(())
}
