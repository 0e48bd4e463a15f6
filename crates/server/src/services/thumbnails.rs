//! Thumbnails of PNG, JPEG, GIF and WebP images: made on the first request for one (never
//! while uploading), at most 256 pixels on the longer side, and kept as derived content
//! keyed by the source's SHA-256, so identical images share one and it goes when the
//! last copy of its source is reclaimed. An image whose header declares more pixels than
//! we are willing to decode (a decompression bomb) is refused before any decoding.

use super::files::Files;
use super::{FileRef, Principal};
use crate::domain::Timestamp;
use crate::error::{Error, Result};
use crate::meta::{MetaStore, ThumbnailRecord};
use futures_util::StreamExt;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The longer side of a thumbnail, in pixels.
pub const THUMBNAIL_SIZE: u32 = 256;
/// Sources larger than this are not read into memory to be decoded.
pub const MAX_SOURCE_BYTES: i64 = 64 << 20;
/// Pixels a source may declare (40 megapixels: any camera's photo; a 50,000 × 50,000
/// bomb declares 2.5 gigapixels).
pub const MAX_SOURCE_PIXELS: u64 = 40_000_000;
/// Memory the decoder may allocate for one image.
const MAX_DECODE_ALLOC: u64 = 512 << 20;
/// Decodes at once: they are CPU-bound and must not starve request handling.
const PARALLEL_DECODES: usize = 2;

#[derive(Clone)]
pub struct Thumbnails {
    meta: Arc<dyn MetaStore>,
    files: Files,
    decoders: Arc<Semaphore>,
}

impl Thumbnails {
    pub fn new(meta: Arc<dyn MetaStore>, files: Files) -> Self {
        Thumbnails { meta, files, decoders: Arc::new(Semaphore::new(PARALLEL_DECODES)) }
    }

    /// The thumbnail of a file the caller may read, with the SHA-256 of its source (an
    /// ETag for it).
    pub async fn get(&self, who: &Principal, id: &str) -> Result<(String, ThumbnailRecord)> {
        let (file, _) = self.files.stat(who, FileRef::Id(id)).await?;
        let sha256 = file.sha256.clone();
        Ok((sha256, self.of(file).await?))
    }

    async fn of(&self, file: crate::meta::FileRecord) -> Result<ThumbnailRecord> {
        let format = thumbnailable(&file.content_type).ok_or(Error::UnsupportedMediaType)?;
        if let Some(t) = self.meta.thumbnail(&file.sha256).await? {
            return Ok(t);
        }
        if file.size > MAX_SOURCE_BYTES {
            return Err(Error::ImageTooLarge(format!("larger than {} MiB", MAX_SOURCE_BYTES >> 20)));
        }
        let _permit = self.decoders.acquire().await.map_err(|e| Error::Internal(e.into()))?;
        // Another request may have made it while this one waited.
        if let Some(t) = self.meta.thumbnail(&file.sha256).await? {
            return Ok(t);
        }
        let mut source = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
        let mut stream = self.files.read_for_derivation(&file).await?;
        while let Some(chunk) = stream.next().await {
            source.extend_from_slice(&chunk.map_err(|e| Error::Internal(e.into()))?);
        }
        let thumb = tokio::task::spawn_blocking(move || make_thumbnail(&source, format))
            .await
            .map_err(|e| Error::Internal(e.into()))??;
        self.meta.put_thumbnail(&file.sha256, &thumb, Timestamp::now()).await?;
        Ok(thumb)
    }
}

/// The decoder for a stored content type, if we make thumbnails of it.
pub fn thumbnailable(content_type: &str) -> Option<ImageFormat> {
    match content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" | "image/jpg" => Some(ImageFormat::Jpeg),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes (after checking the declared dimensions) and scales down; JPEG for opaque
/// images, PNG where there is transparency.
pub fn make_thumbnail(source: &[u8], declared: ImageFormat) -> Result<ThumbnailRecord> {
    let unreadable = |e: &dyn std::fmt::Display| Error::BadRequest(format!("the image cannot be read: {e}"));
    let reader = || {
        // The stored type is what the uploader said; the bytes say what they are.
        let r = ImageReader::new(Cursor::new(source)).with_guessed_format().map_err(|e| unreadable(&e))?;
        Ok::<_, Error>(if r.format().is_some() { r } else { ImageReader::with_format(Cursor::new(source), declared) })
    };
    let (w, h) = reader()?.into_dimensions().map_err(|e| unreadable(&e))?;
    if u64::from(w) * u64::from(h) > MAX_SOURCE_PIXELS {
        return Err(Error::ImageTooLarge(format!("{w} × {h} pixels")));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut r = reader()?;
    r.limits(limits);
    let img = r.decode().map_err(|e| unreadable(&e))?;
    // (`thumbnail` would also scale a small image up.)
    let small =
        if w > THUMBNAIL_SIZE || h > THUMBNAIL_SIZE { img.thumbnail(THUMBNAIL_SIZE, THUMBNAIL_SIZE) } else { img };
    let mut out = Cursor::new(Vec::new());
    let content_type = if small.color().has_alpha() {
        small.write_to(&mut out, ImageFormat::Png).map_err(|e| Error::Internal(e.into()))?;
        "image/png"
    } else {
        let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
        rgb.write_with_encoder(encoder).map_err(|e| Error::Internal(e.into()))?;
        "image/jpeg"
    };
    Ok(ThumbnailRecord { content_type: content_type.into(), data: out.into_inner() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let img = if alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(w, h, image::Rgba([200, 10, 10, 128])))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
            }))
        };
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn scales_down_keeping_the_aspect_ratio() {
        let t = make_thumbnail(&png(1024, 512, false), ImageFormat::Png).unwrap();
        assert_eq!(t.content_type, "image/jpeg");
        let back = image::load_from_memory(&t.data).unwrap();
        assert_eq!((back.width(), back.height()), (256, 128));
        let t = make_thumbnail(&png(40, 30, true), ImageFormat::Png).unwrap();
        assert_eq!(t.content_type, "image/png", "transparency is kept");
        let back = image::load_from_memory(&t.data).unwrap();
        assert_eq!((back.width(), back.height()), (40, 30), "never scaled up");
    }

    /// A 50,000 × 50,000 PNG whose header is honest but whose pixels would need 7.5 GB:
    /// refused from the header, before anything is decoded.
    #[test]
    fn a_decompression_bomb_is_refused_unread() {
        let mut bomb = png(1, 1, false);
        // IHDR: width and height at bytes 16..24, then the chunk's CRC at 29..33.
        bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32fast::hash(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        let started = std::time::Instant::now();
        match make_thumbnail(&bomb, ImageFormat::Png) {
            Err(Error::ImageTooLarge(m)) => assert!(m.contains("50000 × 50000"), "{m}"),
            other => panic!("expected ImageTooLarge, got {:?}", other.map(|t| t.content_type)),
        }
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn garbage_is_a_clear_refusal() {
        assert!(matches!(make_thumbnail(b"not an image at all", ImageFormat::Png), Err(Error::BadRequest(_))));
    }
}
