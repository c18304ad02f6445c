//! Image input tokens by OpenAI's vision rules, and image sizes read from `data:` URL headers.
//!
//! The rules are those of the "Calculating costs" section of OpenAI's images and
//! vision guide (https://platform.openai.com/docs/guides/images-vision).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Width and height of an image in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A model's rule for turning an image into input tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VisionRule {
    /// Fit in 2048x2048, scale the shortest side down to 768, then count 512px tiles.
    /// `detail: low` costs `base` alone.
    Tiles {
        /// Tokens for every image.
        base: u64,
        /// Tokens per 512px tile.
        per_tile: u64,
    },
    /// Count 32px patches, scaling the image down to fit `max_patches`, then multiply.
    Patches {
        /// The patch budget.
        max_patches: u64,
        /// The per-model multiplier, in thousandths (1620 is 1.62).
        multiplier_milli: u64,
        /// The maximum length of the longest side before counting patches, when the model has one.
        max_dimension: Option<u32>,
    },
}

const GPT_4O_TILES: VisionRule = VisionRule::Tiles {
    base: 85,
    per_tile: 170,
};

const fn patches(
    max_patches: u64,
    multiplier_milli: u64,
    max_dimension: Option<u32>,
) -> VisionRule {
    VisionRule::Patches {
        max_patches,
        multiplier_milli,
        max_dimension,
    }
}

/// Model-name prefixes and their rules; the first match wins, so longer names come first.
const RULES: &[(&str, VisionRule)] = &[
    ("gpt-4.1-mini", patches(1536, 1620, None)),
    ("gpt-4.1-nano", patches(1536, 2460, None)),
    ("o4-mini", patches(1536, 1720, None)),
    // NOTE: OpenAI's guide lists these multipliers for gpt-5-mini and gpt-5-nano but
    // no patch budget; 1536 is an assumption carried over from the gpt-4.1-mini rule.
    ("gpt-5-mini", patches(1536, 1200, None)),
    ("gpt-5-nano", patches(1536, 1500, None)),
    ("gpt-5.2", patches(2500, 1200, Some(2048))),
    ("gpt-5.4", patches(2500, 1200, Some(2048))),
    ("gpt-5.5", patches(2500, 1200, Some(2048))),
    (
        "gpt-5",
        VisionRule::Tiles {
            base: 70,
            per_tile: 140,
        },
    ),
    (
        "gpt-4o-mini",
        VisionRule::Tiles {
            base: 2833,
            per_tile: 5667,
        },
    ),
    ("gpt-4o", GPT_4O_TILES),
    ("chatgpt-4o", GPT_4O_TILES),
    ("gpt-4.1", GPT_4O_TILES),
    ("gpt-4.5", GPT_4O_TILES),
    (
        "o1",
        VisionRule::Tiles {
            base: 75,
            per_tile: 150,
        },
    ),
    (
        "o3",
        VisionRule::Tiles {
            base: 75,
            per_tile: 150,
        },
    ),
    (
        "computer-use-preview",
        VisionRule::Tiles {
            base: 65,
            per_tile: 129,
        },
    ),
];

/// Returns the vision rule for a model id; models not listed use the gpt-4o tile rule.
///
/// A vendor prefix (`azure/`, `openai/`) is ignored.
pub fn vision_rule(model_id: &str) -> VisionRule {
    let name = model_id.rsplit('/').next().unwrap_or(model_id);
    let name = name.to_ascii_lowercase();
    RULES
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, rule)| *rule)
        .unwrap_or(GPT_4O_TILES)
}

/// Returns the input tokens of one image under `rule`.
///
/// `size` is `None` when the size cannot be read (an `https:` URL); the count is
/// then the rule's documented worst case. `detail` is the request's `detail`
/// value (`low`, `high`, `auto` or absent); only tile rules use it.
pub fn image_tokens(rule: VisionRule, size: Option<ImageSize>, detail: Option<&str>) -> u64 {
    match rule {
        VisionRule::Tiles { base, per_tile } => {
            if detail.is_some_and(|d| d.eq_ignore_ascii_case("low")) {
                return base;
            }
            // The largest tile count: after the two scaling steps the image is at
            // most 768 px on its short side (2 tiles) and 2048 px on its long side (4 tiles).
            let tiles = match size {
                Some(size) => tile_count(size),
                None => 8,
            };
            base + per_tile * tiles
        }
        VisionRule::Patches {
            max_patches,
            multiplier_milli,
            max_dimension,
        } => {
            let patches = match size {
                Some(size) => patch_count(size, max_patches, max_dimension),
                None => max_patches,
            };
            (patches * multiplier_milli).div_ceil(1000)
        }
    }
}

fn tile_count(size: ImageSize) -> u64 {
    let (mut width, mut height) = (u64::from(size.width), u64::from(size.height));
    if width == 0 || height == 0 {
        return 0;
    }

    let longest = width.max(height);
    if longest > 2048 {
        width = (width * 2048 / longest).max(1);
        height = (height * 2048 / longest).max(1);
    }

    let shortest = width.min(height);
    if shortest > 768 {
        width = (width * 768 / shortest).max(1);
        height = (height * 768 / shortest).max(1);
    }

    width.div_ceil(512) * height.div_ceil(512)
}

fn patch_count(size: ImageSize, max_patches: u64, max_dimension: Option<u32>) -> u64 {
    let (mut width, mut height) = (f64::from(size.width), f64::from(size.height));
    if width == 0.0 || height == 0.0 {
        return 0;
    }

    if let Some(limit) = max_dimension.map(f64::from) {
        let longest = width.max(height);
        if longest > limit {
            width = (width * limit / longest).floor().max(1.0);
            height = (height * limit / longest).floor().max(1.0);
        }
    }

    let count = |w: f64, h: f64| ((w / 32.0).ceil() * (h / 32.0).ceil()) as u64;
    if count(width, height) <= max_patches {
        return count(width, height);
    }

    // Shrink to the budget, then shrink a little more so that one side fills a
    // whole number of patches, as the guide's worked example does.
    let shrink = (32.0 * 32.0 * max_patches as f64 / (width * height)).sqrt();
    let (scaled_w, scaled_h) = (width * shrink / 32.0, height * shrink / 32.0);
    let adjust = (scaled_w.floor() / scaled_w).min(scaled_h.floor() / scaled_h);
    let shrink = shrink * adjust;
    let resized_w = (width * shrink + 1e-9).floor().max(1.0);
    let resized_h = (height * shrink + 1e-9).floor().max(1.0);
    count(resized_w, resized_h).min(max_patches)
}

/// Reads an image's size from a `data:image/...;base64,` URL by decoding only its header.
///
/// Supports PNG, JPEG, GIF and WebP. Returns `None` for other URLs and formats
/// and for malformed data.
pub fn image_size_from_data_url(url: &str) -> Option<ImageSize> {
    let rest = url.strip_prefix("data:")?;
    let (media, payload) = rest.split_once(',')?;
    if !media
        .split(';')
        .any(|part| part.eq_ignore_ascii_case("base64"))
    {
        return None;
    }
    let payload = payload.trim();

    // JPEG dimensions sit after the EXIF and ICC segments, which can be large, so
    // decode a growing prefix instead of the whole image.
    let mut prefix_chars = 512usize;
    loop {
        let whole = prefix_chars >= payload.len();
        let end = if whole {
            payload.len()
        } else {
            prefix_chars - prefix_chars % 4
        };
        let decoded = STANDARD.decode(&payload.as_bytes()[..end]).ok()?;
        match image_size(&decoded) {
            Header::Size(size) => return Some(size),
            Header::Invalid => return None,
            Header::Truncated if whole => return None,
            Header::Truncated => prefix_chars = prefix_chars.saturating_mul(8),
        }
    }
}

enum Header {
    Size(ImageSize),
    Truncated,
    Invalid,
}

fn image_size(bytes: &[u8]) -> Header {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_size(bytes)
    } else if bytes.starts_with(b"\xff\xd8") {
        jpeg_size(bytes)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        match (read_u16_le(bytes, 6), read_u16_le(bytes, 8)) {
            (Some(width), Some(height)) => sized(width.into(), height.into()),
            _ => Header::Truncated,
        }
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp_size(bytes)
    } else if bytes.len() < 12 {
        Header::Truncated
    } else {
        Header::Invalid
    }
}

fn sized(width: u32, height: u32) -> Header {
    Header::Size(ImageSize { width, height })
}

fn png_size(bytes: &[u8]) -> Header {
    // The IHDR chunk comes first: length, "IHDR", then width and height big-endian.
    if bytes.len() < 24 {
        return Header::Truncated;
    }
    if &bytes[12..16] != b"IHDR" {
        return Header::Invalid;
    }
    match (read_u32_be(bytes, 16), read_u32_be(bytes, 20)) {
        (Some(width), Some(height)) => sized(width, height),
        _ => Header::Truncated,
    }
}

fn jpeg_size(bytes: &[u8]) -> Header {
    let mut index = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        while index < bytes.len() && bytes[index] == 0xff && bytes.get(index + 1) == Some(&0xff) {
            index += 1;
        }
        if index + 4 > bytes.len() {
            return Header::Truncated;
        }
        if bytes[index] != 0xff {
            return Header::Invalid;
        }
        let marker = bytes[index + 1];
        if matches!(marker, 0x01 | 0xd0..=0xd8) {
            index += 2;
            continue;
        }
        let Some(length) = read_u16_be(bytes, index + 2) else {
            return Header::Truncated;
        };
        let is_start_of_frame =
            matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_start_of_frame {
            // Segment: length, sample precision, height, width.
            return match (read_u16_be(bytes, index + 5), read_u16_be(bytes, index + 7)) {
                (Some(height), Some(width)) => sized(width.into(), height.into()),
                _ => Header::Truncated,
            };
        }
        if marker == 0xda || marker == 0xd9 || length < 2 {
            return Header::Invalid;
        }
        index += 2 + usize::from(length);
    }
}

fn webp_size(bytes: &[u8]) -> Header {
    if bytes.len() < 30 {
        return Header::Truncated;
    }
    match &bytes[12..16] {
        // Lossy: a frame tag, the start code 9d 01 2a, then 14-bit width and height.
        b"VP8 " => {
            if bytes[23..26] != [0x9d, 0x01, 0x2a] {
                return Header::Invalid;
            }
            match (read_u16_le(bytes, 26), read_u16_le(bytes, 28)) {
                (Some(w), Some(h)) => sized((w & 0x3fff).into(), (h & 0x3fff).into()),
                _ => Header::Truncated,
            }
        }
        // Lossless: the signature 0x2f, then width-1 and height-1 in 14 bits each.
        b"VP8L" => {
            if bytes[20] != 0x2f {
                return Header::Invalid;
            }
            let bits = u32::from_le_bytes([bytes[21], bytes[22], bytes[23], bytes[24]]);
            sized((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
        }
        // Extended: flags, reserved bytes, then canvas width-1 and height-1 in 24 bits each.
        b"VP8X" => {
            let read_u24 = |at: usize| {
                u32::from(bytes[at])
                    | u32::from(bytes[at + 1]) << 8
                    | u32::from(bytes[at + 2]) << 16
            };
            sized(read_u24(24) + 1, read_u24(27) + 1)
        }
        _ => Header::Invalid,
    }
}

fn read_u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn read_u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(width: u32, height: u32) -> Option<ImageSize> {
        Some(ImageSize { width, height })
    }

    #[test]
    fn tile_rule_examples() {
        // The worked examples for gpt-4o in OpenAI's images and vision guide.
        assert_eq!(
            image_tokens(GPT_4O_TILES, size(1024, 1024), Some("high")),
            765
        );
        assert_eq!(
            image_tokens(GPT_4O_TILES, size(2048, 4096), Some("high")),
            1105
        );
        assert_eq!(
            image_tokens(GPT_4O_TILES, size(4096, 8192), Some("low")),
            85
        );
        assert_eq!(image_tokens(GPT_4O_TILES, None, None), 85 + 170 * 8);
    }

    #[test]
    fn patch_rule_examples() {
        // The worked examples for the patch rule: 1024 x 1024 is 1024 patches and
        // 1800 x 2400 is scaled to 1056 x 1408, 33 x 44 = 1452 patches.
        let unit = patches(1536, 1000, None);
        assert_eq!(image_tokens(unit, size(1024, 1024), None), 1024);
        assert_eq!(image_tokens(unit, size(1800, 2400), None), 1452);
        let gpt_41_mini = vision_rule("gpt-4.1-mini-2025-04-14");
        assert_eq!(image_tokens(gpt_41_mini, size(1024, 1024), None), 1659);
        assert_eq!(image_tokens(gpt_41_mini, None, None), 2489);
    }

    #[test]
    fn patch_rule_with_dimension_limit() {
        // The gpt-5.4 examples: 1024 x 1024 is ceil(1024 * 1.2) = 1229 tokens, and
        // 2048 x 2048 shrinks to 1600 x 1600, ceil(2500 * 1.2) = 3000 tokens.
        let rule = vision_rule("gpt-5.4");
        assert_eq!(image_tokens(rule, size(1024, 1024), None), 1229);
        assert_eq!(image_tokens(rule, size(2048, 2048), None), 3000);
    }

    #[test]
    fn rules_by_model() {
        assert_eq!(vision_rule("azure/gpt-4o-2024-08-06"), GPT_4O_TILES);
        assert_eq!(
            vision_rule("gpt-4o-mini"),
            VisionRule::Tiles {
                base: 2833,
                per_tile: 5667
            }
        );
        assert!(matches!(
            vision_rule("o4-mini"),
            VisionRule::Patches {
                multiplier_milli: 1720,
                ..
            }
        ));
        assert_eq!(vision_rule("some-new-model"), GPT_4O_TILES);
    }

    #[test]
    fn zero_sized_image_has_no_tiles() {
        assert_eq!(image_tokens(GPT_4O_TILES, size(0, 10), None), 85);
    }

    #[test]
    fn non_base64_data_url_is_unknown() {
        assert_eq!(image_size_from_data_url("data:image/png,abc"), None);
        assert_eq!(image_size_from_data_url("https://example.com/a.png"), None);
        assert_eq!(image_size_from_data_url("data:image/png;base64,!!!!"), None);
    }
}
