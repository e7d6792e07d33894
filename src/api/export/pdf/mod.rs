//! A streaming PDF writer for conversation exports.
//!
//! Streaming: an export may hold 100,000 messages, so nothing keeps the document. Each page's
//! content is built in one small buffer and written to `out` (deflated) when the page fills;
//! what stays until [`PdfWriter::finish`] is what the trailer needs: one offset per object
//! (8 bytes, two objects a page), one id per page, and per font the glyphs used (at most its
//! glyph count). The page tree, the fonts' width arrays and text maps come last, which PDF
//! allows, as the cross-reference table says where every object is.
//!
//! Text: each font is a Type0 font with the Identity-H encoding over a CIDFontType2 (TrueType)
//! font whose CIDs are its glyph ids (CIDToGIDMap Identity). Text is then written as 2-byte
//! glyph ids, so any character the font has works, Cyrillic as well as Latin, without the
//! 256-character limit of simple fonts; a ToUnicode CMap maps the glyphs back to characters so
//! text can be copied and extracted. No shaping: one character, one glyph, left to right.
//!
//! The fonts: only the glyphs a document draws are embedded. Each glyph is numbered when first
//! drawn (its CID, written into the page at once), and at the end `subsetter` cuts the font
//! file down to those glyphs in that order, so a streaming writer need not know them before.
//! Three messages take ~25 KB instead of DejaVu Sans's whole 760 KB (and its bold's 700 KB).
//! A character the text font lacks (an emoji) is drawn in the fallback font when there is one
//! (Debian's Symbola: monochrome emoji), else as the font's .notdef box; a line switches fonts
//! between runs. `ttf-parser` reads each font's character map and advance widths at the start
//! (`font`).

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::ZlibEncoder;

use std::sync::Arc;

use font::{Font, Found, Glyph};

mod font;
#[cfg(test)]
mod tests;

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
/// The page number's baseline, inside the bottom margin.
const FOOTER_Y: f32 = 28.0;
/// A line's height, in font sizes.
const LEADING: f32 = 1.3;
/// At most this many glyphs make one line, so that zero-width glyphs cannot grow it unbounded.
const MAX_LINE_GLYPHS: usize = 1000;
/// Fixed object ids; the fonts' six objects each follow from `FIRST_FONT_ID`. The document's
/// information (its title) is written last, once the head has named the chat.
const CATALOG_ID: u32 = 1;
const PAGES_ID: u32 = 2;
const RESOURCES_ID: u32 = 3;
const INFO_ID: u32 = 4;
const FIRST_FONT_ID: u32 = 5;

/// How a paragraph looks: the kind of line of an exported conversation it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// 14 pt, bold (the bold font, or the regular one stroked when none was given).
    Heading,
    /// 8 pt gray: author and time.
    Meta,
    /// 10 pt: message text.
    Body,
    /// 10 pt gray slanted: what stands for content not exported (a deleted message, a file).
    Placeholder,
}

/// The drawing parameters of a style.
struct Look {
    font: usize,
    size: f32,
    gray: f32,
    skew: f32,
    stroke: bool,
}

impl Style {
    fn look(self, has_bold: bool) -> Look {
        // The bold font, when there is one, is the document's second.
        let (font, size, gray, skew, stroke) = match self {
            Style::Heading => (usize::from(has_bold), 14.0, 0.0, 0.0, !has_bold),
            Style::Meta => (0, 8.0, 0.45, 0.0, false),
            Style::Body => (0, 10.0, 0.0, 0.0, false),
            Style::Placeholder => (0, 10.0, 0.5, 0.2, false),
        };
        Look { font, size, gray, skew, stroke }
    }
}

/// `out` and how many bytes went into it: the objects' offsets, whatever the caller drains.
struct Counter<W> {
    inner: W,
    pos: u64,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A PDF document being written to `out`, a page at a time (A4, text only).
///
/// Bytes go straight to `out`: when a call that filled a page returns, that page is in `out`
/// ([`PdfWriter::pages_written`] counts them), so a caller can drain `out` after each call.
/// `out` receives many small writes: give it a `Vec<u8>` or a `BufWriter`, not a bare socket.
/// After an error the document is unusable; drop the writer.
pub struct PdfWriter<W: Write> {
    out: Counter<W>,
    /// Each object's offset in the file, by id - 1.
    offsets: Vec<u64>,
    pages: Vec<u32>,
    /// Regular, then bold and the fallback when given.
    fonts: Vec<Font>,
    has_bold: bool,
    /// The fallback font's index, if any.
    fallback: Option<usize>,
    title: String,
    /// The open page's content stream, uncompressed; none is open between pages.
    content: Option<Vec<u8>>,
    /// The baseline area's top left on the open page: the next line goes below it.
    y: f32,
    /// A paragraph's current line, kept for its allocation.
    line: Vec<Glyph>,
}

impl<W: Write> PdfWriter<W> {
    /// Starts a document: writes the header, the catalog and the fonts' dictionaries to `out`
    /// (their files come at the end, cut down to the glyphs drawn). `title`: the document's,
    /// until [`PdfWriter::set_title`].
    pub fn new(out: W, fonts: PdfFonts, title: &str) -> io::Result<Self> {
        let PdfFonts { regular, bold, fallback } = fonts;
        let (has_bold, has_fallback) = (bold.is_some(), fallback.is_some());
        let datas: Vec<Arc<[u8]>> = std::iter::once(regular).chain(bold).chain(fallback).collect();
        let fonts = datas.into_iter().enumerate().map(|(i, data)| Font::parse(data, FIRST_FONT_ID + 6 * i as u32));
        let fonts = fonts.collect::<io::Result<Vec<_>>>()?;
        let offsets = vec![0; (FIRST_FONT_ID - 1) as usize + 6 * fonts.len()];
        let out = Counter { inner: out, pos: 0 };
        let fallback = has_fallback.then(|| fonts.len() - 1);
        let mut w = PdfWriter {
            out,
            offsets,
            pages: Vec::new(),
            fonts,
            has_bold,
            fallback,
            title: title.to_owned(),
            content: None,
            y: 0.0,
            line: Vec::new(),
        };
        w.out.write_all(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
        w.object(CATALOG_ID, &format!("<< /Type /Catalog /Pages {PAGES_ID} 0 R >>"))?;
        let fonts: String = w.fonts.iter().enumerate().map(|(i, f)| format!("/F{} {} 0 R ", i + 1, f.id)).collect();
        w.object(RESOURCES_ID, &format!("<< /Font << {fonts}>> /ProcSet [/PDF /Text] >>"))?;
        for i in 0..w.fonts.len() {
            let (id, type0, descriptor) = (w.fonts[i].id, w.fonts[i].type0(), w.fonts[i].descriptor());
            w.object(id, &type0)?;
            w.object(id + 2, &descriptor)?;
        }
        Ok(w)
    }

    /// The document's title (its information dictionary, written at the end).
    pub fn set_title(&mut self, title: &str) {
        title.clone_into(&mut self.title);
    }

    /// Character `c` laid out in font `font`: its glyph there, else the fallback's, else the
    /// font's .notdef; none for an invisible formatting character no font has.
    fn glyph(&mut self, font: usize, c: char) -> Option<Glyph> {
        let fallback = self.fallback.filter(|&f| f != font);
        match (self.fonts[font].find(c), fallback.map(|f| (f, self.fonts[f].find(c)))) {
            (Found::Glyph(gid), _) => Some(self.fonts[font].take(gid, c, font as u8)),
            (_, Some((f, Found::Glyph(gid)))) => Some(self.fonts[f].take(gid, c, f as u8)),
            (Found::Invisible, _) => None,
            (Found::Missing, _) => Some(self.fonts[font].take(0, c, font as u8)),
        }
    }

    /// Adds a block of text, wrapped at spaces (a word longer than a line at any character);
    /// each line break (\n, \r\n, \r, U+2028/9) starts a line, a tab is a space, other control
    /// characters are dropped.
    pub fn paragraph(&mut self, text: &str, style: Style) -> io::Result<()> {
        let look = style.look(self.has_bold);
        let limit = ((PAGE_W - 2.0 * MARGIN) * 1000.0 / look.size) as u32;
        let mut line = std::mem::take(&mut self.line);
        for source in text.lines().flat_map(|line| line.split(['\r', '\u{2028}', '\u{2029}'])) {
            line.clear();
            let (mut width, mut wrapped) = (0, false);
            'chars: for c in source.chars().map(|c| if c == '\t' { ' ' } else { c }).filter(|c| !c.is_control()) {
                let Some(glyph) = self.glyph(look.font, c) else { continue };
                if glyph.space && wrapped && line.is_empty() {
                    continue;
                }
                while !line.is_empty() && (width + u32::from(glyph.width) > limit || line.len() >= MAX_LINE_GLYPHS) {
                    wrapped = true;
                    if glyph.space {
                        self.emit(&line, &look)?;
                        line.clear();
                        width = 0;
                        continue 'chars;
                    }
                    // Break after the last space that follows a word, else (one long word) here.
                    let first_word = line.iter().position(|g| !g.space).unwrap_or(line.len());
                    match line.iter().rposition(|g| g.space).filter(|&i| i > first_word) {
                        Some(i) => {
                            self.emit(&line[..i], &look)?;
                            let rest = line[i..].iter().position(|g| !g.space).map_or(line.len(), |k| i + k);
                            line.drain(..rest);
                        }
                        None => {
                            self.emit(&line, &look)?;
                            line.clear();
                        }
                    }
                    width = line.iter().map(|g| u32::from(g.width)).sum();
                }
                width += u32::from(glyph.width);
                line.push(glyph);
            }
            self.emit(&line, &look)?;
        }
        self.line = line;
        Ok(())
    }

    /// Adds vertical space (none at the top of a page, and not past its bottom).
    pub fn gap(&mut self, points: f32) {
        if self.content.is_some() && points > 0.0 {
            self.y = (self.y - points).max(MARGIN);
        }
    }

    /// How many bytes were written to `out` so far (the caller may drain `out` meanwhile).
    pub fn bytes_written(&self) -> u64 {
        self.out.pos
    }

    /// How many pages were finished and written to `out`.
    pub fn pages_written(&self) -> usize {
        self.pages.len()
    }

    /// `out`, to take what was written so far (e.g. drain a `Vec<u8>` into a response body).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out.inner
    }

    /// Finishes the document: the last page, the page tree, the fonts' widths and text maps,
    /// the cross-reference table and the trailer. An empty document has one blank page.
    pub fn finish(mut self) -> io::Result<W> {
        if self.content.is_some() || self.pages.is_empty() {
            self.close_page()?;
        }
        for i in 0..self.fonts.len() {
            let (id, cid_font, to_unicode) = (self.fonts[i].id, self.fonts[i].cid_font(), self.fonts[i].to_unicode());
            self.object(id + 1, &cid_font)?;
            self.stream(id + 5, to_unicode.as_bytes())?;
            let file = self.fonts[i].subset()?;
            self.begin(id + 3)?;
            write!(self.out, "<< /Length {} 0 R /Length1 {} /Filter /FlateDecode >>\nstream\n", id + 4, file.len())?;
            let start = self.out.pos;
            let mut zip = ZlibEncoder::new(&mut self.out, Compression::default());
            zip.write_all(&file)?;
            zip.finish()?;
            let length = self.out.pos - start;
            self.out.write_all(b"\nendstream\nendobj\n")?;
            self.object(id + 4, &length.to_string())?;
        }
        let title: String = self.title.encode_utf16().map(|u| format!("{u:04X}")).collect();
        self.object(INFO_ID, &format!("<< /Title <FEFF{title}> /Producer (tutorchat) >>"))?;
        let kids: String = self.pages.iter().map(|id| format!("{id} 0 R ")).collect();
        self.object(PAGES_ID, &format!("<< /Type /Pages /Count {} /Kids [{kids}] >>", self.pages.len()))?;
        let xref = self.out.pos;
        write!(self.out, "xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1)?;
        for offset in &self.offsets {
            writeln!(self.out, "{offset:010} 00000 n ")?;
        }
        let size = self.offsets.len() + 1;
        write!(self.out, "trailer\n<< /Size {size} /Root {CATALOG_ID} 0 R /Info {INFO_ID} 0 R >>\n")?;
        write!(self.out, "startxref\n{xref}\n%%EOF\n")?;
        self.out.flush()?;
        Ok(self.out.inner)
    }

    /// Draws one line of a paragraph below the previous one, on a new page if it does not fit.
    fn emit(&mut self, glyphs: &[Glyph], look: &Look) -> io::Result<()> {
        let height = look.size * LEADING;
        if self.content.is_some() && self.y - height < MARGIN {
            self.close_page()?;
        }
        if self.content.is_none() {
            self.y = PAGE_H - MARGIN;
        }
        let ascent = self.fonts[look.font].ascent;
        let content = self.content.get_or_insert_with(|| Vec::with_capacity(32 * 1024));
        let end = glyphs.iter().rposition(|g| !g.space).map_or(0, |i| i + 1);
        show(content, &glyphs[..end], look, MARGIN, self.y - look.size * ascent / 1000.0)?;
        self.y -= height;
        Ok(())
    }

    /// Writes the open page (or a blank one): its number at the bottom, content, page object.
    fn close_page(&mut self) -> io::Result<()> {
        let number = self.pages.len() + 1;
        let look = Style::Meta.look(self.has_bold);
        let digits: Vec<Glyph> = number.to_string().chars().filter_map(|c| self.glyph(0, c)).collect();
        let width: f32 = digits.iter().map(|g| f32::from(g.width) * look.size / 1000.0).sum();
        let mut content = self.content.take().unwrap_or_default();
        show(&mut content, &digits, &look, (PAGE_W - width) / 2.0, FOOTER_Y)?;
        let content_id = self.offsets.len() as u32 + 1;
        self.offsets.extend([0, 0]);
        self.stream(content_id, &content)?;
        let page = format!("/Type /Page /Parent {PAGES_ID} 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}]");
        self.object(content_id + 1, &format!("<< {page} /Resources {RESOURCES_ID} 0 R /Contents {content_id} 0 R >>"))?;
        self.pages.push(content_id + 1);
        Ok(())
    }

    fn begin(&mut self, id: u32) -> io::Result<()> {
        self.offsets[id as usize - 1] = self.out.pos;
        writeln!(self.out, "{id} 0 obj")
    }

    fn object(&mut self, id: u32, body: &str) -> io::Result<()> {
        self.begin(id)?;
        write!(self.out, "{body}\nendobj\n")
    }

    /// A deflated stream object.
    fn stream(&mut self, id: u32, data: &[u8]) -> io::Result<()> {
        let mut zip = ZlibEncoder::new(Vec::with_capacity(data.len() / 3), Compression::default());
        zip.write_all(data)?;
        let data = zip.finish()?;
        self.begin(id)?;
        write!(self.out, "<< /Length {} /Filter /FlateDecode >>\nstream\n", data.len())?;
        self.out.write_all(&data)?;
        self.out.write_all(b"\nendstream\nendobj\n")
    }
}

/// Appends one line of glyphs at a baseline to a content stream: a run per font, each after
/// the last (showing text moves the text position on).
fn show(content: &mut Vec<u8>, glyphs: &[Glyph], look: &Look, x: f32, y: f32) -> io::Result<()> {
    if glyphs.is_empty() {
        return Ok(());
    }
    let (gray, size, skew) = (look.gray, look.size, look.skew);
    let mode = if look.stroke { "2 Tr 0.3 w" } else { "0 Tr" };
    write!(content, "BT {gray} g {gray} G {mode} 1 0 {skew} 1 {x:.2} {y:.2} Tm")?;
    for run in glyphs.chunk_by(|a, b| a.font == b.font) {
        write!(content, " /F{} {size} Tf <", run[0].font + 1)?;
        for glyph in run {
            write!(content, "{:04X}", glyph.id)?;
        }
        content.write_all(b"> Tj")?;
    }
    content.write_all(b" ET\n")
}

/// The fonts a document is set in, as read from their files: the text's, the headings' (else
/// the text's, stroked), and the one that draws what the text's lacks (emoji).
#[derive(Clone)]
pub struct PdfFonts {
    pub regular: Arc<[u8]>,
    pub bold: Option<Arc<[u8]>>,
    pub fallback: Option<Arc<[u8]>>,
}
