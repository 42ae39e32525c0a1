//! PDF rendering with `pdf-writer`: A4 pages, an institution header, a
//! title and sections, in DejaVu Sans embedded as a subset (`subsetter`)
//! with a ToUnicode map so the text layer extracts back exactly.
//! Deterministic: no dates, no random ids; the subset tag is a hash of the
//! glyph set.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use thiserror::Error;

use super::layout::{Line, Style, wrap};

/// Where the font is looked for unless `ATZINUMS_FONT` says otherwise.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
pub const FONT_ENV: &str = "ATZINUMS_FONT";

#[derive(Debug, Error)]
pub enum PdfError {
    #[error(
        "font {path}: {source}; install the Debian package fonts-dejavu-core or point {FONT_ENV} at a TrueType font covering Latvian"
    )]
    FontMissing {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("font {0}: not a usable TrueType font")]
    FontInvalid(PathBuf),
    #[error("font {path} lacks glyphs for Latvian letters ({missing})")]
    FontCoverage { path: PathBuf, missing: String },
    #[error("font subsetting failed: {0}")]
    Subset(String),
}

/// Glyph ids and advances are looked up in a table for this many code points.
const TABLE: usize = 0x3000;

/// A loaded font with what layout and embedding need.
#[derive(Debug)]
pub struct PdfFont {
    data: Vec<u8>,
    units_per_em: f64,
    ascender: f64,
    descender: f64,
    cap_height: f64,
    bbox: [f64; 4],
    /// (glyph id, advance) per code point below TABLE; gid 0 = missing.
    glyphs: Vec<(u16, u16)>,
    base_name: String,
}

impl PdfFont {
    /// Loads `path`, or `ATZINUMS_FONT`, or [`DEFAULT_FONT`].
    pub fn load(path: Option<&Path>) -> Result<Arc<PdfFont>, PdfError> {
        let path: PathBuf = match path {
            Some(p) => p.to_owned(),
            None => std::env::var_os(FONT_ENV)
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_FONT)),
        };
        let data = std::fs::read(&path).map_err(|source| PdfError::FontMissing {
            path: path.clone(),
            source,
        })?;
        let face =
            ttf_parser::Face::parse(&data, 0).map_err(|_| PdfError::FontInvalid(path.clone()))?;
        let mut glyphs = vec![(0u16, 0u16); TABLE];
        for (cp, slot) in glyphs.iter_mut().enumerate() {
            if let Some(c) = char::from_u32(cp as u32)
                && let Some(g) = face.glyph_index(c)
            {
                *slot = (g.0, face.glyph_hor_advance(g).unwrap_or(0));
            }
        }
        let missing: String = "āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ"
            .chars()
            .filter(|c| glyphs[*c as usize].0 == 0)
            .collect();
        if !missing.is_empty() {
            return Err(PdfError::FontCoverage { path, missing });
        }
        let bb = face.global_bounding_box();
        let upem = f64::from(face.units_per_em());
        let name = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME && n.is_unicode())
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "Font".to_owned());
        let base_name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        Ok(Arc::new(PdfFont {
            units_per_em: upem,
            ascender: f64::from(face.ascender()),
            descender: f64::from(face.descender()),
            cap_height: f64::from(face.capital_height().unwrap_or(face.ascender())),
            bbox: [
                f64::from(bb.x_min),
                f64::from(bb.y_min),
                f64::from(bb.x_max),
                f64::from(bb.y_max),
            ],
            glyphs,
            base_name,
            data,
        }))
    }

    fn glyph(&self, c: char) -> Option<(u16, u16)> {
        self.glyphs.get(c as usize).copied().filter(|g| g.0 != 0)
    }

    /// Whether the font can show `c`.
    pub fn supports(&self, c: char) -> bool {
        c == ' ' || self.glyph(c).is_some()
    }

    /// Width of `s` at `size` points.
    pub fn width(&self, s: &str, size: f64) -> f64 {
        let units: u32 = s
            .chars()
            .map(|c| u32::from(self.glyph(c).map(|g| g.1).unwrap_or(0)))
            .sum();
        f64::from(units) * size / self.units_per_em
    }

    fn to_pdf_units(&self, v: f64) -> f32 {
        (v * 1000.0 / self.units_per_em) as f32
    }
}

const PAGE_W: f64 = 595.0;
const PAGE_H: f64 = 842.0;
const MARGIN_L: f64 = 62.0;
const MARGIN_R: f64 = 56.0;
const TOP: f64 = 790.0;
const BOTTOM: f64 = 70.0;

fn size(style: Style) -> f64 {
    match style {
        Style::Header => 9.0,
        Style::Title => 13.0,
        Style::Heading => 10.5,
        Style::Body => 10.0,
        Style::Footer => 9.5,
    }
}

fn leading(style: Style) -> f64 {
    size(style) * 1.38
}

/// Replaces characters the font cannot show (before the text is recorded).
pub fn sanitize(lines: &[Line], font: &PdfFont) -> Vec<Line> {
    lines
        .iter()
        .map(|l| Line {
            style: l.style,
            text: l
                .text
                .chars()
                .map(|c| if font.supports(c) { c } else { '?' })
                .collect(),
        })
        .collect()
}

/// Renders the lines; returns the PDF bytes and the text of each page.
pub fn render(
    lines: &[Line],
    font: &PdfFont,
    hyphenate: bool,
) -> Result<(Vec<u8>, Vec<String>), PdfError> {
    let lines = sanitize(lines, font);
    let width = PAGE_W - MARGIN_L - MARGIN_R;
    let measure = |st: Style, s: &str| font.width(s, size(st));
    let wrapped = wrap(&lines, width, &measure, hyphenate);

    // Paginate.
    let mut pages: Vec<Vec<(f64, f64, Line)>> = vec![Vec::new()];
    let mut y = TOP;
    for l in wrapped {
        let lead = leading(l.style);
        if y - lead < BOTTOM {
            pages.push(Vec::new());
            y = TOP;
            if l.text.is_empty() {
                continue;
            }
        }
        y -= lead;
        let x = if l.style == Style::Title {
            ((PAGE_W - font.width(&l.text, size(l.style))) / 2.0).max(MARGIN_L)
        } else {
            MARGIN_L
        };
        if let Some(p) = pages.last_mut() {
            p.push((x, y, l));
        }
    }
    let n = pages.len();
    if n > 1 {
        for (i, p) in pages.iter_mut().enumerate() {
            p.push((
                PAGE_W - MARGIN_R - 60.0,
                40.0,
                Line {
                    style: Style::Footer,
                    text: format!("{}. lapa no {n}", i + 1),
                },
            ));
        }
    }

    // Glyph subset, in order of first use (deterministic).
    let mut remapper = subsetter::GlyphRemapper::new();
    remapper.remap(0);
    let mut uses: Vec<(u16, char)> = Vec::new();
    for p in &pages {
        for (_, _, l) in p {
            for c in l.text.chars() {
                let gid = font.glyph(c).map(|g| g.0).unwrap_or(0);
                let new = remapper.remap(gid);
                if uses.iter().all(|(g, _)| *g != new) {
                    uses.push((new, c));
                }
            }
        }
    }
    let subset = subsetter::subset(&font.data, 0, &remapper)
        .map_err(|e| PdfError::Subset(format!("{e:?}")))?;

    let tag = subset_tag(&uses);
    let base = format!("{tag}+{}", font.base_name);

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let type0 = Ref::new(3);
    let cid = Ref::new(4);
    let descriptor = Ref::new(5);
    let cmap_ref = Ref::new(6);
    let font_file = Ref::new(7);
    let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(8 + 2 * i as i32)).collect();
    let content_ids: Vec<Ref> = (0..n).map(|i| Ref::new(9 + 2 * i as i32)).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(n as i32);

    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap_ref);
    let mut widths: Vec<(u16, f32)> = uses
        .iter()
        .map(|(g, c)| {
            (
                *g,
                font.to_pdf_units(f64::from(font.glyph(*c).map(|x| x.1).unwrap_or(0))),
            )
        })
        .collect();
    widths.sort_by_key(|(g, _)| *g);
    {
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut w = c.widths();
        for (g, width) in &widths {
            w.consecutive(*g, [*width]);
        }
        w.finish();
    }
    pdf.font_descriptor(descriptor)
        .name(Name(base.as_bytes()))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            font.to_pdf_units(font.bbox[0]),
            font.to_pdf_units(font.bbox[1]),
            font.to_pdf_units(font.bbox[2]),
            font.to_pdf_units(font.bbox[3]),
        ))
        .italic_angle(0.0)
        .ascent(font.to_pdf_units(font.ascender))
        .descent(font.to_pdf_units(font.descender))
        .cap_height(font.to_pdf_units(font.cap_height))
        .stem_v(80.0)
        .font_file2(font_file);

    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system_info);
    for (g, c) in &uses {
        cmap.pair(*g, *c);
    }
    let cmap_bytes = cmap.finish();
    pdf.cmap(cmap_ref, &cmap_bytes);

    let packed_font = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
    pdf.stream(font_file, &packed_font)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset.len() as i32);

    let mut texts = Vec::with_capacity(n);
    for (i, p) in pages.iter().enumerate() {
        let mut content = Content::new();
        let mut page_text = Vec::with_capacity(p.len());
        for (x, y, l) in p {
            page_text.push(l.text.clone());
            if l.text.is_empty() {
                continue;
            }
            let mut glyph_bytes = Vec::with_capacity(l.text.len() * 2);
            for c in l.text.chars() {
                let gid = font.glyph(c).map(|g| g.0).unwrap_or(0);
                let new = remapper.get(gid).unwrap_or(0);
                glyph_bytes.extend_from_slice(&new.to_be_bytes());
            }
            content.begin_text();
            content.set_font(Name(b"F1"), size(l.style) as f32);
            content.next_line(*x as f32, *y as f32);
            content.show(Str(&glyph_bytes));
            content.end_text();
            if l.style == Style::Title {
                // A rule under the title, as printed forms have.
                content.move_to(MARGIN_L as f32, (*y - 6.0) as f32);
                content.line_to((PAGE_W - MARGIN_R) as f32, (*y - 6.0) as f32);
                content.stroke();
            }
        }
        let raw = content.finish();
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6);
        pdf.stream(content_ids[i], &packed)
            .filter(Filter::FlateDecode);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W as f32, PAGE_H as f32))
            .parent(tree)
            .contents(content_ids[i]);
        page.resources().fonts().pair(Name(b"F1"), type0);
        page.finish();
        texts.push(page_text.join("\n"));
    }
    Ok((pdf.finish(), texts))
}

/// Six capital letters from a hash of the glyph set (PDF subset tag).
fn subset_tag(uses: &[(u16, char)]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (g, c) in uses {
        for b in g.to_le_bytes().into_iter().chain((*c as u32).to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect()
}
