//! Tokenizers by encoding, and counting of texts and whole chat requests.
//!
//! INTERFACE STUB: the types and signatures below are the contract the rest of
//! the crate is written against. The implementation replaces the bodies.

use serde::{Deserialize, Serialize};

use crate::catalog::ModelRecord;
use crate::error::Result;
use crate::request::ChatRequest;

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
pub fn count_encoding(_encoding: Encoding, _text: &str) -> usize {
    unimplemented!("tokens::count_encoding")
}

/// Counts the tokens of `text` for a model: exact with its encoding, else an estimate.
pub fn count_text(_model: &ModelRecord, _text: &str) -> TokenCount {
    unimplemented!("tokens::count_text")
}

/// Counts a whole chat request the way the model's vendor bills its input.
pub fn count_chat(_model: &ModelRecord, _request: &ChatRequest) -> Result<TokenCount> {
    unimplemented!("tokens::count_chat")
}

/// Counts up to `limit` tokens: `Some(count)` when the text fits, `None` as soon as it does not.
pub fn count_until(_model: &ModelRecord, _text: &str, _limit: usize) -> Option<usize> {
    unimplemented!("tokens::count_until")
}
