//! Photos residents attach to reports: the type is decided by sniffing the content (never
//! the file name or the declared type), the image is decoded, turned upright by its EXIF
//! orientation and re-encoded from pixels only, so no metadata (EXIF, XMP, GPS, maker
//! notes, ICC profiles, comments) survives; a thumbnail is made beside it.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 320;
/// Largest accepted width or height of an uploaded image, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// JPEG quality of re-encoded photos and thumbnails.
const JPEG_QUALITY: u8 = 85;
/// Most memory the decoder may allocate for one image.
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// The media types accepted, for messages.
pub const ACCEPTED_TYPES: &str = "image/jpeg, image/png and image/webp";

/// What an upload's content is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SniffedType {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (the 8-byte signature).
    Png,
    /// WebP (`RIFF....WEBP`).
    Webp,
    /// HEIC/HEIF (an ISO-BMFF `ftyp` box with a HEIF brand): recognised, not decodable here.
    Heic,
    /// Anything else.
    Unknown,
}

/// Decides the type of `bytes` from their content alone.
pub fn sniff(bytes: &[u8]) -> SniffedType {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        SniffedType::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        SniffedType::Png
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        SniffedType::Webp
    } else if bytes.get(4..8) == Some(b"ftyp".as_slice())
        && bytes.get(8..12).is_some_and(|brand| {
            [b"heic".as_slice(), b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif"].contains(&brand)
        })
    {
        SniffedType::Heic
    } else {
        SniffedType::Unknown
    }
}

/// The stored encoding of a processed photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredFormat {
    /// JPEG (photos sent as JPEG or WebP).
    Jpeg,
    /// PNG (photos sent as PNG, which may be screenshots or have transparency).
    Png,
}

impl StoredFormat {
    /// The media type it is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The format for a stored media type.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// A photo ready to store: re-encoded, upright, without metadata.
#[derive(Debug, Clone)]
pub struct ProcessedPhoto {
    /// Encoding of both images.
    pub format: StoredFormat,
    /// The photo.
    pub image: Vec<u8>,
    /// Its width after orientation, in pixels.
    pub width: u32,
    /// Its height after orientation, in pixels.
    pub height: u32,
    /// The thumbnail (longest side at most [`THUMBNAIL_MAX_SIDE`]).
    pub thumbnail: Vec<u8>,
}

/// Why an upload is not an acceptable photo.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The content is not a supported image type.
    #[error("{0}")]
    UnsupportedType(String),
    /// The content claims a supported type but cannot be decoded, or is too large.
    #[error("{0}")]
    Undecodable(String),
    /// Re-encoding failed (a bug).
    #[error("re-encoding failed: {0}")]
    Encoding(String),
}

/// Sniffs, decodes, orients, strips and re-encodes an upload.
pub fn process(bytes: &[u8]) -> Result<ProcessedPhoto, PhotoError> {
    let (format, stored) = match sniff(bytes) {
        SniffedType::Jpeg => (ImageFormat::Jpeg, StoredFormat::Jpeg),
        SniffedType::Png => (ImageFormat::Png, StoredFormat::Png),
        SniffedType::Webp => (ImageFormat::WebP, StoredFormat::Jpeg),
        SniffedType::Heic => {
            return Err(PhotoError::UnsupportedType(format!(
                "HEIC/HEIF images cannot be processed here; accepted are {ACCEPTED_TYPES} \
                 (phones can be set to take photos as JPEG, or convert when sharing)"
            )));
        }
        SniffedType::Unknown => {
            return Err(PhotoError::UnsupportedType(format!(
                "the content is not an image of an accepted type; accepted are {ACCEPTED_TYPES} \
                 (the type is recognised from the content, not the file name)"
            )));
        }
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut picture = reader.decode().map_err(|e| {
        PhotoError::Undecodable(format!(
            "the image cannot be decoded ({e}); send an intact JPEG, PNG or WebP of at most {MAX_SIDE} pixels a side"
        ))
    })?;
    if let Some(orientation) = exif_orientation(bytes) {
        picture.apply_orientation(orientation);
    }
    let image = encode(&picture, stored)?;
    let thumbnail = encode(&picture.thumbnail(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE), stored)?;
    Ok(ProcessedPhoto { format: stored, image, width: picture.width(), height: picture.height(), thumbnail })
}

/// The EXIF orientation of an image, if it has a valid one.
fn exif_orientation(bytes: &[u8]) -> Option<Orientation> {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = field.value.get_uint(0)?;
    Orientation::from_exif(u8::try_from(value).ok()?)
}

/// Encodes pixels only: the encoders write no metadata unless given some.
fn encode(picture: &DynamicImage, format: StoredFormat) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    match format {
        StoredFormat::Jpeg => {
            let rgb = picture.to_rgb8();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&rgb)
                .map_err(|e| PhotoError::Encoding(e.to_string()))?;
        }
        StoredFormat::Png => {
            picture
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
                .map_err(|e| PhotoError::Encoding(e.to_string()))?;
        }
    }
    Ok(out)
}

/// A stored photo's description (the bytes are in the photo store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    /// Photo id.
    pub id: uuid::Uuid,
    /// The report it belongs to.
    pub report_id: uuid::Uuid,
    /// 0 for the first photo of the report, then 1, 2, ...
    pub position: i32,
    /// Encoding of the photo and its thumbnail.
    pub format: StoredFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// SHA-256 (hex) of the photo's bytes: its ETag.
    pub sha256: String,
    /// SHA-256 (hex) of the thumbnail's bytes: its ETag.
    pub thumbnail_sha256: String,
    /// When it was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Whether photos of reports in `category` are shown to the public: only in public,
/// non-sensitive categories. A photo says as much as a description, so it is withheld
/// wherever the description is (non-public categories show nothing; sensitive ones, such
/// as nuisance, no text).
pub fn shown_publicly(category: &crate::domain::category::Category) -> bool {
    category.is_public && !category.is_sensitive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_recognised_by_content_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), SniffedType::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), SniffedType::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), SniffedType::Webp);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), SniffedType::Heic);
        assert_eq!(sniff(b"GIF89a"), SniffedType::Unknown);
        assert_eq!(sniff(b""), SniffedType::Unknown);
    }

    #[test]
    fn a_png_stays_a_png_and_gets_a_small_thumbnail() {
        let picture = DynamicImage::new_rgba8(800, 400);
        let mut png = Vec::new();
        picture.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap_or_else(|e| panic!("{e}"));
        let processed = process(&png).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(processed.format, StoredFormat::Png);
        assert_eq!((processed.width, processed.height), (800, 400));
        let thumb = image::load_from_memory(&processed.thumbnail).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn a_truncated_jpeg_is_refused_as_undecodable() {
        let error = process(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).err();
        assert!(matches!(error, Some(PhotoError::Undecodable(_))), "{error:?}");
    }
}
