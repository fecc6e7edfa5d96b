//! Photos are re-encoded once on upload, so what is served carries none of
//! the camera's metadata (EXIF, GPS, comments), and get a thumbnail. This is
//! CPU work for a blocking thread; the sizes are checked from the header
//! before anything is decoded, so a small file that claims a huge picture
//! (a decompression bomb) is refused for what it claims.

use app::media::{PHOTO_EDGE, PHOTO_SMALL_EDGE, THUMBNAIL_EDGE};
use image::{
    AnimationDecoder, DynamicImage, Frame, ImageDecoder, ImageFormat, ImageReader, Limits,
    codecs::{
        gif::{GifDecoder, GifEncoder, Repeat},
        jpeg::JpegEncoder,
        png::PngEncoder,
        webp::WebPEncoder,
    },
    imageops::FilterType,
};
use std::{
    io::Cursor,
    time::{Duration, Instant},
};

/// The longest side a picture may have.
const MAX_EDGE: u32 = 12_000;
/// Pixels a still picture may have.
const MAX_PIXELS: u64 = 50_000_000;
/// Pixels an animation may have, all of its frames together (each frame is
/// the whole canvas once decoded, and re-encoding costs per pixel): 100
/// frames of 480 × 270 fit, and take well under a second.
const MAX_ANIMATION_PIXELS: u64 = 16_000_000;
/// The most time an animation's decoding and re-encoding may take, whatever
/// its size says (a safety net: the pixel budget refuses first).
const ANIMATION_TIME: Duration = Duration::from_secs(3);
const JPEG_QUALITY: u8 = 88;

/// A photo as it will be served, and its thumbnail.
pub struct Processed {
    pub image: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub thumbnail_type: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the picture is larger than {MAX_EDGE} pixels a side or {MAX_PIXELS} pixels")]
    TooLarge,
    #[error("the picture cannot be read: {0}")]
    Unreadable(image::ImageError),
}

/// A decoder's limit (a side over [`MAX_EDGE`], more than [`MAX_PIXELS`]
/// to hold) is a picture too large (413), not one that cannot be read (415).
impl From<image::ImageError> for ImageError {
    fn from(error: image::ImageError) -> Self {
        match error {
            image::ImageError::Limits(_) => Self::TooLarge,
            other => Self::Unreadable(other),
        }
    }
}

/// Re-encodes `bytes` (whose type was sniffed as `content_type`) without its
/// metadata, upright, and makes its thumbnail.
pub fn process(bytes: &[u8], content_type: &str) -> Result<Processed, ImageError> {
    let format = match content_type {
        "image/png" => ImageFormat::Png,
        "image/webp" => ImageFormat::WebP,
        "image/gif" => return process_gif(bytes),
        _ => ImageFormat::Jpeg,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, 1)?;
    let orientation = decoder.orientation()?;
    let mut picture = DynamicImage::from_decoder(decoder)?;
    picture.apply_orientation(orientation);
    let mut image = Vec::new();
    match format {
        ImageFormat::Png => picture.write_with_encoder(PngEncoder::new(&mut image))?,
        ImageFormat::WebP => {
            let picture = if picture.color().has_alpha() {
                DynamicImage::ImageRgba8(picture.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(picture.to_rgb8())
            };
            picture.write_with_encoder(WebPEncoder::new_lossless(&mut image))?
        }
        _ => DynamicImage::ImageRgb8(picture.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut image, JPEG_QUALITY))?,
    }
    let (thumbnail, thumbnail_type) = thumbnail_of(&picture)?;
    Ok(Processed {
        image,
        width: picture.width(),
        height: picture.height(),
        thumbnail,
        thumbnail_type,
    })
}

/// A profile or group photo in its two sizes, both JPEG.
pub struct Portrait {
    pub large: Vec<u8>,
    pub small: Vec<u8>,
}

/// Makes a profile or group photo of `bytes`: upright, the largest centred
/// square, at most [`PHOTO_EDGE`] and exactly [`PHOTO_SMALL_EDGE`] a side
/// (never enlarged past the picture), transparency on white, no metadata.
/// An animation gives its first frame.
pub fn portrait(bytes: &[u8], content_type: &str) -> Result<Portrait, ImageError> {
    let format = match content_type {
        "image/png" => ImageFormat::Png,
        "image/webp" => ImageFormat::WebP,
        "image/gif" => ImageFormat::Gif,
        _ => ImageFormat::Jpeg,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder()?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, 1)?;
    let orientation = decoder.orientation()?;
    let mut picture = DynamicImage::from_decoder(decoder)?;
    picture.apply_orientation(orientation);
    let side = picture.width().min(picture.height());
    let square = picture.crop_imm(
        (picture.width() - side) / 2,
        (picture.height() - side) / 2,
        side,
        side,
    );
    let square = on_white(&square);
    let sized = |edge: u32| -> Result<Vec<u8>, ImageError> {
        let edge = edge.min(side);
        let resized = if edge == side {
            square.clone()
        } else {
            square.resize_exact(edge, edge, FilterType::Lanczos3)
        };
        let mut bytes = Vec::new();
        resized.write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))?;
        Ok(bytes)
    };
    Ok(Portrait {
        large: sized(PHOTO_EDGE)?,
        small: sized(PHOTO_SMALL_EDGE)?,
    })
}

/// The picture with any transparency laid on white.
fn on_white(picture: &DynamicImage) -> DynamicImage {
    if !picture.color().has_alpha() {
        return DynamicImage::ImageRgb8(picture.to_rgb8());
    }
    let rgba = picture.to_rgba8();
    let flat = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |channel: u8| {
            let (channel, a) = (u32::from(channel), u32::from(a));
            // a/255 of the colour, the rest white; at most 255.
            u8::try_from((channel * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([over(r), over(g), over(b)])
    });
    DynamicImage::ImageRgb8(flat)
}

/// An animation keeps its frames (and loops); the thumbnail is its first
/// frame. Refused (too large) as soon as its frames pass the pixel budget or
/// the work passes its time, whichever comes first.
fn process_gif(bytes: &[u8]) -> Result<Processed, ImageError> {
    let started = Instant::now();
    let mut decoder = GifDecoder::new(Cursor::new(bytes))?;
    decoder.set_limits(limits())?;
    let (width, height) = decoder.dimensions();
    check_size(width, height, 1)?;
    let canvas = u64::from(width) * u64::from(height);
    let in_budget = |frames: usize| {
        canvas * frames as u64 <= MAX_ANIMATION_PIXELS && started.elapsed() <= ANIMATION_TIME
    };
    let mut frames: Vec<Frame> = Vec::new();
    for frame in decoder.into_frames() {
        frames.push(frame?);
        if !in_budget(frames.len()) {
            return Err(ImageError::TooLarge);
        }
    }
    let first = frames
        .first()
        .map(|frame| DynamicImage::ImageRgba8(frame.buffer().clone()))
        .ok_or(ImageError::TooLarge)?;
    let mut image = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut image);
        encoder.set_repeat(Repeat::Infinite)?;
        for (encoded, frame) in frames.into_iter().enumerate() {
            encoder.encode_frame(frame)?;
            if !in_budget(encoded + 1) {
                return Err(ImageError::TooLarge);
            }
        }
    }
    let (thumbnail, thumbnail_type) = thumbnail_of(&first)?;
    Ok(Processed {
        image,
        width,
        height,
        thumbnail,
        thumbnail_type,
    })
}

/// At most [`THUMBNAIL_EDGE`] on the long side (never enlarged): a JPEG, or
/// a PNG where the picture has transparency.
fn thumbnail_of(picture: &DynamicImage) -> Result<(Vec<u8>, &'static str), ImageError> {
    let small = if picture.width().max(picture.height()) > THUMBNAIL_EDGE {
        picture.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE)
    } else {
        picture.clone()
    };
    let mut bytes = Vec::new();
    if small.color().has_alpha() {
        DynamicImage::ImageRgba8(small.to_rgba8())
            .write_with_encoder(PngEncoder::new(&mut bytes))?;
        Ok((bytes, "image/png"))
    } else {
        DynamicImage::ImageRgb8(small.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 80))?;
        Ok((bytes, "image/jpeg"))
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_PIXELS * 4);
    limits
}

fn check_size(width: u32, height: u32, frames: u64) -> Result<(), ImageError> {
    let pixels = u64::from(width) * u64::from(height) * frames;
    if width > MAX_EDGE || height > MAX_EDGE || pixels > MAX_PIXELS || pixels == 0 {
        return Err(ImageError::TooLarge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        let picture = RgbaImage::from_pixel(width, height, image::Rgba([10, 200, 30, 128]));
        PngEncoder::new(&mut bytes)
            .write_image(&picture, width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        bytes
    }

    #[test]
    fn a_photo_keeps_its_size_and_gets_a_small_thumbnail() {
        let mut jpeg = Vec::new();
        let picture = RgbImage::from_pixel(1000, 500, image::Rgb([200, 100, 50]));
        DynamicImage::ImageRgb8(picture)
            .write_with_encoder(JpegEncoder::new(&mut jpeg))
            .unwrap();
        let done = process(&jpeg, "image/jpeg").unwrap();
        assert_eq!((done.width, done.height), (1000, 500));
        assert_eq!(done.thumbnail_type, "image/jpeg");
        let thumb = image::load_from_memory(&done.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 160));
    }

    #[test]
    fn transparency_survives_and_small_pictures_are_not_enlarged() {
        let done = process(&png(40, 30), "image/png").unwrap();
        assert_eq!(done.thumbnail_type, "image/png");
        let thumb = image::load_from_memory(&done.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (40, 30));
        assert!(
            image::load_from_memory(&done.image)
                .unwrap()
                .color()
                .has_alpha()
        );
    }

    #[test]
    fn a_header_that_claims_a_huge_picture_is_refused_before_decoding() {
        // A valid PNG header claiming 60 000 × 60 000 pixels, and no pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        assert!(process(&bomb, "image/png").is_err());
    }

    #[test]
    fn a_picture_wider_than_the_cap_is_too_large_not_unreadable() {
        let wide = png(MAX_EDGE + 1, 1);
        assert!(matches!(
            process(&wide, "image/png"),
            Err(ImageError::TooLarge)
        ));
    }

    #[test]
    fn garbage_with_a_good_signature_is_unreadable() {
        let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
        fake.extend_from_slice(&[0; 64]);
        assert!(matches!(
            process(&fake, "image/png"),
            Err(ImageError::Unreadable(_))
        ));
    }

    #[test]
    fn a_portrait_is_the_centred_square_in_two_sizes() {
        // Red on the left and right thirds, blue in the middle: the centred
        // square of a wide picture is all blue.
        let picture = RgbImage::from_fn(900, 300, |x, _| {
            if (300..600).contains(&x) {
                image::Rgb([0, 0, 255])
            } else {
                image::Rgb([255, 0, 0])
            }
        });
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_with_encoder(JpegEncoder::new(&mut jpeg))
            .unwrap();
        let done = portrait(&jpeg, "image/jpeg").unwrap();
        let large = image::load_from_memory(&done.large).unwrap().to_rgb8();
        let small = image::load_from_memory(&done.small).unwrap().to_rgb8();
        assert_eq!(large.dimensions(), (300, 300), "never enlarged");
        assert_eq!(small.dimensions(), (PHOTO_SMALL_EDGE, PHOTO_SMALL_EDGE));
        for corner in [(2, 2), (297, 2), (2, 297), (297, 297)] {
            let [r, _, b] = large.get_pixel(corner.0, corner.1).0;
            assert!(b > 200 && r < 60, "{corner:?} is blue, not the red sides");
        }
    }

    #[test]
    fn a_transparent_portrait_is_laid_on_white_and_capped() {
        let done = portrait(&png(1200, 1300), "image/png").unwrap();
        let large = image::load_from_memory(&done.large).unwrap();
        assert_eq!((large.width(), large.height()), (PHOTO_EDGE, PHOTO_EDGE));
        assert!(!large.color().has_alpha());
        // Green at half strength over white.
        let [r, g, _] = large.to_rgb8().get_pixel(10, 10).0;
        assert!(r > 110 && g > 200, "laid on white: {r} {g}");
    }
}
