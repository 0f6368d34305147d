//! PNG charts rasterised from the SVG with resvg, which shapes text with real glyph
//! advances and kerning (plotters' bitmap text spaces glyphs unevenly: "cloud" read
//! "doud"). The PNG is thus the SVG, pixel for pixel in layout: one drawing, two formats.
//!
//! Fonts: only DejaVu Sans (regular and bold), embedded in the binary; the SVG's
//! `sans-serif` resolves to it. No system font is read, so PNGs are the same everywhere.

use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, Context, Result};
use resvg::{tiny_skia, usvg};

use super::style;

/// The parse options with the embedded fonts, built once per process.
fn options() -> &'static usvg::Options<'static> {
    static OPTS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTS.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(style::REGULAR.to_vec());
        db.load_font_data(style::BOLD.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        usvg::Options {
            font_family: "DejaVu Sans".to_string(),
            fontdb: Arc::new(db),
            ..usvg::Options::default()
        }
    })
}

/// An SVG document (as drawn by [`super::render_svg`]) as RGB PNG bytes on white.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let tree = usvg::Tree::from_str(svg, options()).context("cannot read back the chart SVG")?;
    let size = tree.size().to_int_size();
    let (w, h) = (size.width(), size.height());
    let mut pixmap =
        tiny_skia::Pixmap::new(w, h).ok_or_else(|| anyhow!("chart size {w}x{h} is empty"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    // Opaque on white: premultiplied RGBA is plain RGB; drop alpha.
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&rgb)?;
    }
    Ok(out)
}
