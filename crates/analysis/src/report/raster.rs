//! SVG to PNG with resvg (pure Rust, no system libraries). Text needs a font: the system
//! fonts are loaded once (Debian: `fonts-dejavu-core`). Without any font the PNG is still
//! written, without its text, and the report says so; the SVG always keeps its text.

use resvg::{tiny_skia, usvg};

use crate::error::AnalysisError;

pub struct Rasterizer {
    options: usvg::Options<'static>,
    pub font_faces: usize,
}

impl Rasterizer {
    pub fn new() -> Rasterizer {
        let mut options = usvg::Options::default();
        options.fontdb_mut().load_system_fonts();
        let font_faces = options.fontdb.len();
        // Prefer the font the SVG names first; fall back to whatever sans face exists.
        let family = {
            let db = &options.fontdb;
            let names: Vec<String> = db
                .faces()
                .flat_map(|f| f.families.iter().map(|(n, _)| n.clone()))
                .collect();
            names
                .iter()
                .find(|n| n.as_str() == "DejaVu Sans")
                .or_else(|| names.iter().find(|n| n.contains("Sans")))
                .or_else(|| names.first())
                .cloned()
        };
        if let Some(f) = family {
            options.fontdb_mut().set_sans_serif_family(f.clone());
            options.font_family = f;
        }
        Rasterizer {
            options,
            font_faces,
        }
    }

    /// Renders at `scale` (2.0 gives crisp PNGs for screens).
    pub fn png(&self, svg: &str, scale: f32) -> Result<Vec<u8>, AnalysisError> {
        let tree = usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| AnalysisError::Render(format!("SVG: {e}")))?;
        let size = tree.size().to_int_size();
        let w = (size.width() as f32 * scale).ceil() as u32;
        let h = (size.height() as f32 * scale).ceil() as u32;
        let mut pixmap = tiny_skia::Pixmap::new(w, h)
            .ok_or_else(|| AnalysisError::Render(format!("cannot allocate {w}x{h} image")))?;
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap
            .encode_png()
            .map_err(|e| AnalysisError::Render(format!("PNG: {e}")))
    }
}

impl Default for Rasterizer {
    fn default() -> Self {
        Rasterizer::new()
    }
}
