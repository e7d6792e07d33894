//! Tests of the PDF writer, read back by poppler (Debian's poppler-utils): pdfinfo, pdftoppm, pdftotext.

use std::process::Command;

use anyhow::{Context, ensure};

use super::*;

const REGULAR: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
const EMOJI: &str = "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf";

fn font(path: &str) -> anyhow::Result<Arc<[u8]>> {
    let data =
        std::fs::read(path).with_context(|| format!("{path}: apt-get install fonts-dejavu-core fonts-symbola"))?;
    Ok(data.into())
}

/// The text font alone (headings stroked, nothing to fall back on).
fn regular() -> anyhow::Result<PdfFonts> {
    Ok(PdfFonts { regular: font(REGULAR)?, bold: None, fallback: None })
}

/// Runs a poppler tool: it must succeed and complain of nothing on stderr.
fn poppler(tool: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(tool)
        .args(args)
        .output()
        .with_context(|| format!("{tool} could not run: apt-get install poppler-utils"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(out.status.success() && stderr.is_empty(), "{tool} {args:?} failed: {stderr}");
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// How many pixels of a grayscale (P5) image are darker than light gray.
fn ink(pgm: &[u8]) -> anyhow::Result<usize> {
    let header = String::from_utf8_lossy(&pgm[..pgm.len().min(32)]).into_owned();
    let mut fields = header.split_ascii_whitespace().skip(1).map(str::parse::<usize>);
    let (width, height) = (fields.next().context("no width")??, fields.next().context("no height")??);
    let pixels = pgm.get(pgm.len().saturating_sub(width * height)..).context("short image")?;
    Ok(pixels.iter().filter(|&&p| p < 200).count())
}

/// Checks a PDF as a reader sees it: poppler reads it without complaint, renders its first and
/// last page to PNGs, and to gray images with at least `min_ink` dark pixels; returns its page
/// count and its text.
fn check(pdf: &[u8], name: &str, min_ink: usize) -> anyhow::Result<(usize, String)> {
    ensure!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF\n"), "not a PDF's start and end");
    let base = std::env::temp_dir().join(format!("tutorchat-pdf-{}-{name}", std::process::id()));
    let path = format!("{}.pdf", base.display());
    std::fs::write(&path, pdf)?;
    let info = poppler("pdfinfo", &[&path])?;
    let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).context("no page count")?.trim().parse()?;
    for page in std::collections::BTreeSet::from([1, pages]).iter().map(usize::to_string) {
        let png = format!("{}-{page}", base.display());
        poppler("pdftoppm", &["-png", "-r", "50", "-f", &page, "-l", &page, "-singlefile", &path, &png])?;
        let size = std::fs::metadata(format!("{png}.png"))?.len();
        std::fs::remove_file(format!("{png}.png"))?;
        ensure!(size > 1000, "page {page} of {name} renders to a PNG of only {size} bytes");
        poppler("pdftoppm", &["-gray", "-r", "50", "-f", &page, "-l", &page, "-singlefile", &path, &png])?;
        let dark = ink(&std::fs::read(format!("{png}.pgm"))?)?;
        std::fs::remove_file(format!("{png}.pgm"))?;
        ensure!(dark >= min_ink, "page {page} of {name} renders {dark} dark pixels, not {min_ink}");
    }
    let text = poppler("pdftotext", &[&path, "-"])?;
    std::fs::remove_file(&path)?;
    Ok((pages, text))
}

fn conversation<W: Write>(w: &mut PdfWriter<W>, messages: usize) -> io::Result<()> {
    w.paragraph("Беседа: Physics / Физика", Style::Heading)?;
    for i in 0..messages {
        w.gap(6.0);
        w.paragraph(&format!("Анна Петрова · 2024-05-{:02} 10:{:02}", i % 28 + 1, i % 60), Style::Meta)?;
        let body = "Привет! Съешь же ещё этих мягких французских булок, да выпей чаю. \
                    Hello, the quick brown fox jumps over the lazy dog.";
        w.paragraph(&format!("{i}: {}\nВторая строка / second line", body.repeat(i % 4 + 1)), Style::Body)?;
        if i % 7 == 0 {
            w.paragraph("[вложение удалено — attachment removed]", Style::Placeholder)?;
        }
    }
    Ok(())
}

#[test]
fn russian_and_english_render_and_extract() -> anyhow::Result<()> {
    let fonts = PdfFonts { regular: font(REGULAR)?, bold: Some(font(BOLD)?), fallback: Some(font(EMOJI)?) };
    let mut w = PdfWriter::new(Vec::new(), fonts, "Беседа «Физика»")?;
    conversation(&mut w, 60)?;
    let (pages, text) = check(&w.finish()?, "mixed", 5000)?;
    ensure!(pages >= 3, "{pages} pages");
    for word in ["Беседа", "Физика", "Привет", "французских", "булок", "Hello", "quick", "вложение", "attachment"]
    {
        ensure!(text.contains(word), "{word:?} not in the extracted text");
    }
    ensure!(text.contains("59: Привет"), "the last message is missing");
    Ok(())
}

#[test]
fn pages_leave_as_they_fill() -> anyhow::Result<()> {
    let mut w = PdfWriter::new(Vec::new(), regular()?, "stream")?;
    let mut all = std::mem::take(w.get_mut());
    ensure!(all.len() < 4_000, "only the fonts' dictionaries at the start: {} bytes", all.len());
    for i in 0..600 {
        let before = w.pages_written();
        conversation(&mut w, 1)?;
        let chunk = std::mem::take(w.get_mut());
        // Whole pages go out as they fill, and nothing of a page before.
        let filled = w.pages_written() > before;
        ensure!(filled != chunk.is_empty(), "message {i}: {} bytes out, page filled: {filled}", chunk.len());
        all.extend_from_slice(&chunk);
        ensure!(all.len() as u64 == w.bytes_written(), "message {i}: bytes_written");
        let content = w.content.as_ref().map_or(0, Vec::capacity);
        ensure!(content <= 64 * 1024 && w.line.capacity() <= MAX_LINE_GLYPHS, "buffers grow: {content}");
    }
    let pages = w.pages_written();
    ensure!(pages >= 20, "{pages} pages");
    ensure!(w.offsets.len() == 2 * pages + 10 && w.fonts[0].used.len() < 200, "per-document state grows");
    all.extend_from_slice(&w.finish()?);
    let (read, text) = check(&all, "stream", 500)?;
    ensure!(read == pages + 1 && text.matches("Беседа").count() == 600, "{read} pages read of {pages} + 1");
    Ok(())
}

#[test]
fn empty_document_is_one_page() -> anyhow::Result<()> {
    let w = PdfWriter::new(Vec::new(), regular()?, "")?;
    let (pages, text) = check(&w.finish()?, "empty", 1)?;
    ensure!(pages == 1 && text.trim() == "1", "{pages} pages, text {text:?}");
    Ok(())
}

#[test]
fn long_words_emoji_and_control_characters() -> anyhow::Result<()> {
    let mut w = PdfWriter::new(Vec::new(), regular()?, "\u{0}\u{1F600}")?;
    w.paragraph(&"ж".repeat(20_000), Style::Body)?;
    w.paragraph("Emoji 😀 👍🏽 ❤️ 👨‍👩‍👧 end\u{7}\u{1b}[0m\ttab\r\nnext\rline\u{200B}", Style::Heading)?;
    w.paragraph(&format!("{}{}", "    indented ".repeat(50), "\u{301}".repeat(5000)), Style::Placeholder)?;
    for text in ["", "\n\n\n", " ", "\u{FFFF}\u{10FFFF}", &"a ".repeat(10_000)] {
        w.paragraph(text, Style::Meta)?;
    }
    w.gap(f32::NAN);
    w.gap(f32::INFINITY);
    w.gap(-5.0);
    let (pages, text) = check(&w.finish()?, "edge", 50)?;
    ensure!(pages >= 2 && text.matches('ж').count() == 20_000, "the long word lost characters");
    ensure!(text.contains("Emoji") && text.contains("\u{FFFD}") && text.contains("end[0m tab"), "{text}");
    ensure!(text.contains("next\nline") && text.contains("indented"), "{text}");
    Ok(())
}

#[test]
fn a_bad_font_is_an_error() {
    let fonts = |data: &[u8]| PdfFonts { regular: data.into(), bold: None, fallback: None };
    assert!(PdfWriter::new(Vec::new(), fonts(b"not a font"), "t").is_err());
    assert!(PdfWriter::new(Vec::new(), fonts(&[]), "t").is_err());
}

#[test]
fn lines_hold_whole_words_and_as_many_as_fit() -> anyhow::Result<()> {
    let mut w = PdfWriter::new(Vec::new(), regular()?, "")?;
    let words: Vec<usize> = (0..400).map(|i| i * 7 % 13 + 1).collect();
    let text: Vec<String> = words.iter().map(|&n| "n".repeat(n)).collect();
    w.paragraph(&text.join(" "), Style::Body)?;
    let (n, space) = (w.glyph(0, 'n').context("n")?.width, w.glyph(0, ' ').context("space")?.width);
    let limit = ((PAGE_W - 2.0 * MARGIN) * 1000.0 / 10.0) as usize;
    let content = String::from_utf8(w.content.clone().context("no page open")?)?;
    let mut words = words.into_iter().peekable();
    for line in content.split("Tf <").skip(1).filter_map(|l| l.split_once('>')).map(|(hex, _)| hex.len() / 4) {
        let (mut glyphs, mut width) = (0, 0);
        while let Some(&next) = words.peek().filter(|&&next| glyphs + next <= line) {
            (glyphs, width) = (glyphs + next + 1, width + next * usize::from(n) + usize::from(space));
            words.next();
        }
        ensure!(glyphs == line + 1, "a line of {line} glyphs does not end at a word's end");
        let next = words.peek().map_or(usize::MAX, |&next| width + next * usize::from(n));
        ensure!(next > limit, "a line of {line} glyphs has room for the next word ({next} of {limit})");
    }
    ensure!(words.next().is_none(), "words are missing");
    Ok(())
}

#[test]
fn emoji_are_drawn_in_the_fallback_font_and_only_the_glyphs_drawn_are_embedded() -> anyhow::Result<()> {
    let text = "Спасибо, Иван Петрович! Сделаю 👍 📣 😀";
    let mut fonts = PdfFonts { regular: font(REGULAR)?, bold: Some(font(BOLD)?), fallback: Some(font(EMOJI)?) };
    let mut w = PdfWriter::new(Vec::new(), fonts, "")?;
    w.paragraph("Чат — Иван Петров, Мария Иванова", Style::Heading)?;
    w.paragraph(text, Style::Body)?;
    let pdf = w.finish()?;
    // Three fonts' subsets: a few kilobytes each, not the files' 4.6 MB.
    ensure!(pdf.len() < 60_000, "{} bytes", pdf.len());
    let (_, extracted) = check(&pdf, "emoji", 50)?;
    ensure!(extracted.contains("👍 📣 😀") && !extracted.contains('\u{FFFD}'), "{extracted}");

    // Without the fallback, the emoji the text font lacks are its empty box, and say so when
    // copied (DejaVu Sans has 😀 itself).
    fonts = regular()?;
    let mut w = PdfWriter::new(Vec::new(), fonts, "")?;
    w.paragraph(text, Style::Body)?;
    let (_, extracted) = check(&w.finish()?, "boxes", 50)?;
    ensure!(extracted.contains("Сделаю \u{FFFD} \u{FFFD} 😀"), "{extracted}");
    Ok(())
}
