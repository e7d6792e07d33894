//! A TrueType font as the PDF writer uses it: read with `ttf-parser` into a character map and
//! advance widths, the glyphs drawn numbered as they are first drawn (a [`GlyphRemapper`]: the
//! content streams use those numbers as CIDs), and at the end only those glyphs embedded
//! (`subsetter`), with the font's PDF dictionaries written from that.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId, name::Name, name_id};

/// One character laid out: its glyph (its CID in the font's subset), how far it advances, and
/// which of the document's fonts draws it.
#[derive(Clone, Copy)]
pub(super) struct Glyph {
    pub(super) id: u16,
    /// Advance in 1/1000 of the font size, as in the W array, so layout matches the viewer's.
    pub(super) width: u16,
    /// A break opportunity (a space, not a no-break one).
    pub(super) space: bool,
    /// The document's font (0: regular, then bold and the fallback, when there are).
    pub(super) font: u8,
}

/// What a font has for a character.
pub(super) enum Found {
    /// Its glyph, by the font's own glyph id.
    Glyph(u16),
    /// An invisible formatting character the font lacks (variation selector, joiner,
    /// direction mark): drawn as nothing.
    Invisible,
    /// Nothing: another font may have it, else the font's .notdef stands for it.
    Missing,
}

/// What the writer keeps of a font: its file (shared, to subset at the end) and maps.
pub(super) struct Font {
    data: Arc<[u8]>,
    name: String,
    /// (character, glyph id), sorted by character.
    cmap: Vec<(char, u16)>,
    /// Advance of each glyph, in 1/1000 em, by the font's glyph id.
    widths: Vec<u16>,
    /// The glyphs drawn, numbered in the order first drawn (0: .notdef).
    remapper: GlyphRemapper,
    /// The glyphs drawn, by CID: the character each stands for (for ToUnicode) and its width.
    pub(super) used: BTreeMap<u16, (char, u16)>,
    /// FontDescriptor metrics, already written out as PDF.
    metrics: String,
    /// Top of the tallest glyphs above the baseline, in 1/1000 em.
    pub(super) ascent: f32,
    /// Its objects, from this on: Type0, CIDFont, FontDescriptor, FontFile2, the file's length, ToUnicode.
    pub(super) id: u32,
}

impl Font {
    /// Reads a TrueType font (bytes that are not one, or one the subsetter cannot cut, are an
    /// error, not a panic).
    pub(super) fn parse(data: Arc<[u8]>, id: u32) -> io::Result<Font> {
        let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, format!("font: {e}"));
        let face = Face::parse(&data, 0).map_err(|e| invalid(e.to_string()))?;
        subsetter::subset(&data, 0, &GlyphRemapper::new()).map_err(|e| invalid(e.to_string()))?;
        let em = f32::from(face.units_per_em());
        let scale = |v: i16| (f32::from(v) * 1000.0 / em).round();
        let widths = (0..face.number_of_glyphs())
            .map(|g| (f32::from(face.glyph_hor_advance(GlyphId(g)).unwrap_or(0)) * 1000.0 / em).round() as u16)
            .collect();
        let mut points = Vec::new();
        for table in face.tables().cmap.iter().flat_map(|cmap| cmap.subtables).filter(|t| t.is_unicode()) {
            table.codepoints(|c| points.extend(char::from_u32(c)));
        }
        points.sort_unstable();
        points.dedup();
        let cmap = points.into_iter().filter_map(|c| Some((c, face.glyph_index(c).filter(|g| g.0 != 0)?.0))).collect();
        // The PostScript name is ASCII; fonts often have it only in a Macintosh record.
        let post_script = face.names().into_iter().filter(|n| n.name_id == name_id::POST_SCRIPT_NAME);
        let ascii = |n: Name| n.to_string().or_else(|| Some(String::from_utf8_lossy(n.name).into()));
        let mut name = post_script.filter_map(ascii).next().unwrap_or_default();
        name.retain(|c| c.is_ascii_alphanumeric() || c == '-');
        name.truncate(100);
        if name.is_empty() {
            name = format!("Font{id}");
        }
        // A subset's name starts with six capital letters and a plus (PDF 32000-1, 9.6.4).
        let tag: String = id.to_string().chars().map(|d| char::from(b'A' + (d as u8 - b'0'))).collect();
        name = format!("{tag:A>6}+{name}");
        let bbox = face.global_bounding_box();
        let (bbox, ascent) = ([bbox.x_min, bbox.y_min, bbox.x_max, bbox.y_max].map(scale), scale(face.ascender()));
        let metrics = format!(
            "/FontBBox [{} {} {} {}] /ItalicAngle {} /Ascent {ascent} /Descent {} /CapHeight {} /StemV 80",
            bbox[0],
            bbox[1],
            bbox[2],
            bbox[3],
            face.italic_angle().round(),
            scale(face.descender()),
            scale(face.capital_height().unwrap_or(face.ascender())),
        );
        Ok(Font {
            data,
            name,
            cmap,
            widths,
            remapper: GlyphRemapper::new(),
            used: BTreeMap::new(),
            metrics,
            ascent,
            id,
        })
    }

    /// What the font has for `c`.
    pub(super) fn find(&self, c: char) -> Found {
        match self.cmap.binary_search_by_key(&c, |&(k, _)| k) {
            Ok(i) => Found::Glyph(self.cmap[i].1),
            Err(_)
                if matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}')
                    || matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E0FFF}') =>
            {
                Found::Invisible
            }
            Err(_) => Found::Missing,
        }
    }

    /// Glyph `gid` of this font (0: .notdef) drawn for `c`: its CID in the subset, recorded.
    pub(super) fn take(&mut self, gid: u16, c: char, font: u8) -> Glyph {
        let width = self.widths.get(usize::from(gid)).copied().unwrap_or(0);
        let id = self.remapper.remap(gid);
        self.used.entry(id).or_insert((if gid == 0 { '\u{FFFD}' } else { c }, width));
        Glyph { id, width, space: c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}'), font }
    }

    /// The font file cut down to the glyphs drawn, numbered as drawn.
    pub(super) fn subset(&self) -> io::Result<Vec<u8>> {
        subsetter::subset(&self.data, 0, &self.remapper)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("font subset: {e}")))
    }

    /// The Type0 font dictionary, the one pages name.
    pub(super) fn type0(&self) -> String {
        let (name, cid_font, to_unicode) = (&self.name, self.id + 1, self.id + 5);
        format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H \
             /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
        )
    }

    /// The FontDescriptor dictionary: metrics and the embedded file.
    pub(super) fn descriptor(&self) -> String {
        let (name, metrics, file) = (&self.name, &self.metrics, self.id + 3);
        format!("<< /Type /FontDescriptor /FontName /{name} /Flags 32 {metrics} /FontFile2 {file} 0 R >>")
    }

    /// The CIDFont dictionary, with the widths of the glyphs used (runs of consecutive ids).
    pub(super) fn cid_font(&self) -> String {
        let mut widths = String::new();
        let mut previous: Option<u16> = None;
        for (&id, &(_, width)) in &self.used {
            if previous.is_some_and(|p| u32::from(p) + 1 == u32::from(id)) {
                widths.push_str(&format!(" {width}"));
            } else {
                widths.push_str(&format!("{}{id} [{width}", if previous.is_some() { "] " } else { "" }));
            }
            previous = Some(id);
        }
        if previous.is_some() {
            widths.push(']');
        }
        let system = "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>";
        let (name, descriptor) = (&self.name, self.id + 2);
        format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} {system} /FontDescriptor {descriptor} 0 R \
             /CIDToGIDMap /Identity /W [{widths}] >>"
        )
    }

    /// The ToUnicode CMap: for each glyph used, the character it was drawn for.
    pub(super) fn to_unicode(&self) -> String {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) \
             /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let used: Vec<(&u16, &char)> = self.used.iter().map(|(id, (c, _))| (id, c)).collect();
        for chunk in used.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", chunk.len()));
            for (id, c) in chunk {
                let utf16: String = c.encode_utf16(&mut [0; 2]).iter().map(|u| format!("{u:04X}")).collect();
                cmap.push_str(&format!("<{id:04X}> <{utf16}>\n"));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        cmap
    }
}
