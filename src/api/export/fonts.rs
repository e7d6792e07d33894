//! The fonts PDF exports are set in, read from their files once per process (not for every
//! export).

use std::path::PathBuf;

use super::pdf::PdfFonts;
use crate::config::GovernanceConfig;
use crate::{AppError, Result};

/// The fonts read so far, by their paths (`EXPORT_FONT`, `EXPORT_FALLBACK_FONT`): each is read
/// from its file once per process, not for every export. A font that could not be read is not
/// kept, so the next export tries again; one replaced on disk is read after a restart.
static FONTS: std::sync::Mutex<Vec<((PathBuf, PathBuf), PdfFonts)>> = std::sync::Mutex::new(Vec::new());

/// The fonts of `EXPORT_FONT` (and its bold sibling, when there is one) and of
/// `EXPORT_FALLBACK_FONT`, read once; 503 naming the variable when the font cannot be read.
pub(super) async fn read(config: &GovernanceConfig) -> Result<PdfFonts> {
    let key = (config.export_font.clone(), config.export_fallback_font.clone());
    let kept =
        |fonts: &Vec<((PathBuf, PathBuf), PdfFonts)>| fonts.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone());
    if let Some(fonts) = kept(&FONTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)) {
        return Ok(fonts);
    }
    let path = &config.export_font;
    let regular = tokio::fs::read(path)
        .await
        .map_err(|e| AppError::Unavailable(anyhow::anyhow!("EXPORT_FONT: cannot read {}: {e}", path.display())))?;
    let bold_path = path.to_str().map(|p| p.replace(".ttf", "-Bold.ttf"));
    let bold = match bold_path {
        Some(bold) if bold != path.to_string_lossy() => tokio::fs::read(bold).await.ok(),
        _ => None,
    };
    let fallback = tokio::fs::read(&config.export_fallback_font).await.ok();
    let fonts = PdfFonts { regular: regular.into(), bold: bold.map(Into::into), fallback: fallback.map(Into::into) };
    let mut all = FONTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if kept(&all).is_none() {
        all.push((key, fonts.clone()));
    }
    Ok(fonts)
}
