//! Tokenizers by encoding, and counting of texts and whole chat requests.
//!
//! Models with a public vocabulary (`ModelRecord::encoding` is `Some`) are
//! counted exactly. Text that looks like a special token, such as
//! `<|endoftext|>`, counts as ordinary text, the way vendors count user content.
//! Models without one get an estimate flagged `exact: false` whose `encoding`
//! names the method, for example `estimate:o200k_base*1.25`. docs/tokens.md
//! describes the chat, tool and image rules and the estimation factors.
//!
//! ```
//! use ingate::tokens::{count_encoding, count_encoding_until, Encoding};
//!
//! assert_eq!(count_encoding(Encoding::O200kBase, "Hello, world!"), 4);
//! assert_eq!(count_encoding_until(Encoding::O200kBase, "Hello, world!", 3), None);
//! ```

mod bpe;
mod chat;
mod image;
mod split;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalog::ModelRecord;
use crate::error::{Error, Result};
use crate::request::ChatRequest;

pub use image::{ImageSize, VisionRule, image_size_from_data_url, image_tokens, vision_rule};

/// A public BPE vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, GPT-5, o-series.
    O200kBase,
    /// gpt-oss.
    O200kHarmony,
    /// GPT-4, GPT-3.5-turbo, text-embedding-3.
    Cl100kBase,
    /// Codex and text-davinci-002/003.
    P50kBase,
    /// GPT-3.
    R50kBase,
}

impl Encoding {
    /// Every encoding, in declaration order.
    pub const ALL: [Encoding; 5] = [
        Encoding::O200kBase,
        Encoding::O200kHarmony,
        Encoding::Cl100kBase,
        Encoding::P50kBase,
        Encoding::R50kBase,
    ];

    /// Returns the encoding's name as tiktoken spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
            Encoding::P50kBase => "p50k_base",
            Encoding::R50kBase => "r50k_base",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Encoding {
    type Err = Error;

    /// Parses a tiktoken encoding name such as `o200k_base`.
    fn from_str(name: &str) -> Result<Encoding> {
        encoding_for_name(name).ok_or_else(|| {
            let known: Vec<&str> = Encoding::ALL.iter().map(|e| e.as_str()).collect();
            Error::invalid_request(format!(
                "unknown encoding `{name}`; expected one of {}",
                known.join(", ")
            ))
        })
    }
}

/// Returns the encoding with this tiktoken name (`o200k_base`, `cl100k_base`, ...), if any.
///
/// Matching ignores ASCII case and surrounding whitespace.
pub fn encoding_for_name(name: &str) -> Option<Encoding> {
    let name = name.trim();
    Encoding::ALL
        .into_iter()
        .find(|encoding| encoding.as_str().eq_ignore_ascii_case(name))
}

/// OpenAI model names and their encodings, as tiktoken 0.14.0's `model.py` maps them.
const MODEL_ENCODINGS: &[(&str, Encoding)] = &[
    ("o1", Encoding::O200kBase),
    ("o3", Encoding::O200kBase),
    ("o4-mini", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-4.1", Encoding::O200kBase),
    ("gpt-4o", Encoding::O200kBase),
    ("gpt-4", Encoding::Cl100kBase),
    ("gpt-3.5-turbo", Encoding::Cl100kBase),
    ("gpt-3.5", Encoding::Cl100kBase),
    ("gpt-35-turbo", Encoding::Cl100kBase),
    ("davinci-002", Encoding::Cl100kBase),
    ("babbage-002", Encoding::Cl100kBase),
    ("text-embedding-ada-002", Encoding::Cl100kBase),
    ("text-embedding-3-small", Encoding::Cl100kBase),
    ("text-embedding-3-large", Encoding::Cl100kBase),
    ("text-davinci-003", Encoding::P50kBase),
    ("text-davinci-002", Encoding::P50kBase),
    ("text-davinci-001", Encoding::R50kBase),
    ("text-curie-001", Encoding::R50kBase),
    ("text-babbage-001", Encoding::R50kBase),
    ("text-ada-001", Encoding::R50kBase),
    ("davinci", Encoding::R50kBase),
    ("curie", Encoding::R50kBase),
    ("babbage", Encoding::R50kBase),
    ("ada", Encoding::R50kBase),
    ("code-davinci-002", Encoding::P50kBase),
    ("code-davinci-001", Encoding::P50kBase),
    ("code-cushman-002", Encoding::P50kBase),
    ("code-cushman-001", Encoding::P50kBase),
    ("davinci-codex", Encoding::P50kBase),
    ("cushman-codex", Encoding::P50kBase),
    ("text-similarity-davinci-001", Encoding::R50kBase),
    ("text-similarity-curie-001", Encoding::R50kBase),
    ("text-similarity-babbage-001", Encoding::R50kBase),
    ("text-similarity-ada-001", Encoding::R50kBase),
    ("text-search-davinci-doc-001", Encoding::R50kBase),
    ("text-search-curie-doc-001", Encoding::R50kBase),
    ("text-search-babbage-doc-001", Encoding::R50kBase),
    ("text-search-ada-doc-001", Encoding::R50kBase),
    ("code-search-babbage-code-001", Encoding::R50kBase),
    ("code-search-ada-code-001", Encoding::R50kBase),
];

/// Prefixes of OpenAI model names and their encodings, as tiktoken 0.14.0's `model.py` maps them.
const MODEL_PREFIX_ENCODINGS: &[(&str, Encoding)] = &[
    ("o1-", Encoding::O200kBase),
    ("o3-", Encoding::O200kBase),
    ("o4-mini-", Encoding::O200kBase),
    ("gpt-5", Encoding::O200kBase),
    ("gpt-4.5-", Encoding::O200kBase),
    ("gpt-4.1-", Encoding::O200kBase),
    ("chatgpt-4o-", Encoding::O200kBase),
    ("gpt-4o-", Encoding::O200kBase),
    ("gpt-4-", Encoding::Cl100kBase),
    ("gpt-3.5-turbo-", Encoding::Cl100kBase),
    ("gpt-35-turbo-", Encoding::Cl100kBase),
    ("gpt-oss-", Encoding::O200kHarmony),
    ("ft:gpt-4o", Encoding::O200kBase),
    ("ft:gpt-4", Encoding::Cl100kBase),
    ("ft:gpt-3.5-turbo", Encoding::Cl100kBase),
    ("ft:davinci-002", Encoding::Cl100kBase),
    ("ft:babbage-002", Encoding::Cl100kBase),
];

/// Returns the encoding of an OpenAI model name the way tiktoken's `encoding_for_model` does.
///
/// An exact name is looked up first, then the prefixes in tiktoken's order. A
/// vendor prefix such as `openai/` or `azure/` is ignored. Returns `None` for
/// names tiktoken does not know (the gpt2 encoding is not supported).
pub fn encoding_for_model(model: &str) -> Option<Encoding> {
    let name = model.rsplit('/').next().unwrap_or(model);
    if let Some((_, encoding)) = MODEL_ENCODINGS.iter().find(|(id, _)| *id == name) {
        return Some(*encoding);
    }
    MODEL_PREFIX_ENCODINGS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, encoding)| *encoding)
}

/// A token count and whether it is exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenCount {
    /// The number of tokens.
    pub tokens: u64,
    /// `false` for estimates (no public tokenizer, images, ...).
    pub exact: bool,
    /// The encoding used, or the estimation method's name.
    pub encoding: String,
}

/// Counts the tokens of `text` with `encoding`, special-token look-alikes counted as text.
pub fn count_encoding(encoding: Encoding, text: &str) -> usize {
    bpe::count(encoding, text)
}

/// Encodes `text` to token ids with `encoding`, special-token look-alikes encoded as text.
pub fn encode(encoding: Encoding, text: &str) -> Vec<u32> {
    bpe::encode(encoding, text)
}

/// Counts up to `limit` tokens of `text` with `encoding`.
///
/// Returns `Some(count)` when the text has at most `limit` tokens and `None` as soon
/// as it is known to have more, after work proportional to `limit` rather than to
/// the length of the text.
pub fn count_encoding_until(encoding: Encoding, text: &str, limit: usize) -> Option<usize> {
    bpe::count_until(encoding, text, limit)
}

/// The token estimation method for a model without a public tokenizer.
///
/// The estimate is the o200k_base count times `factor_percent / 100`, rounded up.
/// `low_percent` and `high_percent` bound the expected ratio of the vendor's real
/// count to the o200k_base count. docs/tokens.md gives the source of each value
/// or marks it as an assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EstimateMethod {
    /// The vendor the factors apply to, or `other`.
    pub vendor: &'static str,
    /// The multiplier applied to the o200k_base count, in percent.
    pub factor_percent: u64,
    /// The lower end of the error band, in percent of the o200k_base count.
    pub low_percent: u64,
    /// The upper end of the error band, in percent of the o200k_base count.
    pub high_percent: u64,
}

impl EstimateMethod {
    /// Returns the method's name as stored in [`TokenCount::encoding`], for example `estimate:o200k_base*1.25`.
    pub fn name(&self) -> String {
        format!(
            "estimate:o200k_base*{}.{:02}",
            self.factor_percent / 100,
            self.factor_percent % 100
        )
    }

    /// Scales an o200k_base count by the factor, rounding up.
    pub fn scale(&self, o200k_tokens: u64) -> u64 {
        (o200k_tokens * self.factor_percent).div_ceil(100)
    }

    /// Returns the estimate's error band `(low, high)` for an o200k_base count.
    pub fn band(&self, o200k_tokens: u64) -> (u64, u64) {
        (
            o200k_tokens * self.low_percent / 100,
            (o200k_tokens * self.high_percent).div_ceil(100),
        )
    }
}

// NOTE: the factors are assumptions, not measurements: no vendor below publishes a
// tokenizer to measure against offline. docs/tokens.md states what each rests on.
const ESTIMATES: [EstimateMethod; 4] = [
    EstimateMethod {
        vendor: "anthropic",
        factor_percent: 125,
        low_percent: 100,
        high_percent: 190,
    },
    EstimateMethod {
        vendor: "google",
        factor_percent: 110,
        low_percent: 90,
        high_percent: 130,
    },
    EstimateMethod {
        vendor: "mistral",
        factor_percent: 115,
        low_percent: 95,
        high_percent: 140,
    },
    EstimateMethod {
        vendor: "other",
        factor_percent: 120,
        low_percent: 90,
        high_percent: 150,
    },
];

/// Returns the estimation method for a model without a public tokenizer, or `None` when its count is exact.
///
/// Bedrock and Azure records are matched by the model family in their id
/// (`bedrock/anthropic.claude-...` uses the Anthropic factor).
pub fn estimate_method(model: &ModelRecord) -> Option<EstimateMethod> {
    if model.encoding.is_some() {
        return None;
    }
    let id = model.id.to_ascii_lowercase();
    let vendor = model.vendor.to_ascii_lowercase();
    let family = if vendor == "anthropic" || id.contains("claude") {
        "anthropic"
    } else if vendor == "google" || id.contains("gemini") || id.contains("gemma") {
        "google"
    } else if vendor == "mistral" || id.contains("mistral") || id.contains("mixtral") {
        "mistral"
    } else {
        "other"
    };
    ESTIMATES.iter().copied().find(|m| m.vendor == family)
}

/// Counts the tokens of `text` for a model: exact with its encoding, else an estimate.
pub fn count_text(model: &ModelRecord, text: &str) -> TokenCount {
    match model.encoding {
        Some(encoding) => TokenCount {
            tokens: count_encoding(encoding, text) as u64,
            exact: true,
            encoding: encoding.as_str().to_string(),
        },
        None => {
            let method = estimate_method(model).unwrap_or(ESTIMATES[3]);
            let base = count_encoding(Encoding::O200kBase, text) as u64;
            TokenCount {
                tokens: method.scale(base),
                exact: false,
                encoding: method.name(),
            }
        }
    }
}

/// Counts a whole chat request the way the model's vendor bills its input.
///
/// Messages, names, reply priming and tool definitions follow OpenAI's published
/// formulas; images are counted by OpenAI's vision rules from their size. The
/// count is `exact: false` when any part has no published formula (images, tool
/// calls, tool results, audio or file parts, nested tool schemas) or when the
/// model has no public tokenizer.
pub fn count_chat(model: &ModelRecord, request: &ChatRequest) -> Result<TokenCount> {
    Ok(chat::count_chat(model, request))
}

/// Counts up to `limit` tokens: `Some(count)` when the text fits, `None` as soon as it does not.
///
/// For a model without a public tokenizer the count is the estimate of
/// [`count_text`], and the early stop applies to the o200k_base count it scales.
pub fn count_until(model: &ModelRecord, text: &str, limit: usize) -> Option<usize> {
    match model.encoding {
        Some(encoding) => count_encoding_until(encoding, text, limit),
        None => {
            let method = estimate_method(model).unwrap_or(ESTIMATES[3]);
            let base_limit = (limit as u128 * 100 / method.factor_percent as u128) as usize;
            let base = count_encoding_until(Encoding::O200kBase, text, base_limit)?;
            let scaled = method.scale(base as u64) as usize;
            (scaled <= limit).then_some(scaled)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_names_round_trip() {
        for encoding in Encoding::ALL {
            assert_eq!(encoding_for_name(encoding.as_str()), Some(encoding));
            assert_eq!(encoding.as_str().parse::<Encoding>().ok(), Some(encoding));
        }
        assert_eq!(encoding_for_name(" O200K_BASE "), Some(Encoding::O200kBase));
        assert_eq!(encoding_for_name("gpt2"), None);
    }

    #[test]
    fn unknown_encoding_error_lists_names() {
        let error = "o100k".parse::<Encoding>().unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`o100k`"), "{message}");
        assert!(message.contains("cl100k_base"), "{message}");
    }

    #[test]
    fn estimate_name_and_scale() {
        let method = ESTIMATES[3];
        assert_eq!(method.name(), "estimate:o200k_base*1.20");
        assert_eq!(method.scale(10), 12);
        assert_eq!(method.scale(11), 14);
        assert_eq!(method.band(100), (90, 150));
    }
}
