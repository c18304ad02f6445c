//! Detectors, operators, the per-call vault and restoration of placeholders.
//!
//! INTERFACE STUB: the types and signatures below are the contract the rest of
//! the crate is written against. The implementation replaces the bodies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The `[redaction]` table of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionConfig {
    /// `false` turns redaction off.
    pub enabled: bool,
    /// Detector names: `email`, `credit_card`, `secrets`, ...
    pub detectors: Vec<String>,
    /// The default operator.
    pub operator: Operator,
}

impl Default for RedactionConfig {
    fn default() -> RedactionConfig {
        RedactionConfig {
            enabled: true,
            detectors: vec!["email".into(), "credit_card".into(), "secrets".into()],
            operator: Operator::Placeholder,
        }
    }
}

/// What replaces a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `<EMAIL_1>`, the same value gets the same placeholder within a call.
    #[default]
    Placeholder,
    /// `[EMAIL]`.
    Mask,
    /// Deny the call.
    Block,
}

/// One detected value.
#[derive(Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `email`, `credit_card`, `secret`, ...
    pub kind: String,
    /// For secrets, the vendor (`openai`, `aws`, ...).
    pub vendor: Option<String>,
    /// Byte offset of the value in the original text.
    pub start: usize,
    /// Byte offset just past the value.
    pub end: usize,
    /// The text that replaced it.
    pub replacement: String,
}

/// A redacted text and its findings.
#[derive(Clone, PartialEq, Serialize)]
pub struct Redaction {
    /// The text with every finding replaced.
    pub text: String,
    /// The findings, in text order.
    pub findings: Vec<Finding>,
}

/// The placeholders one call issued, with their original values.
#[derive(Default, Clone)]
pub struct Vault {
    _entries: BTreeMap<String, String>,
}

/// A compiled set of detectors.
#[derive(Debug, Clone)]
pub struct Redactor {}

impl Redactor {
    /// Compiles the detectors a config names.
    pub fn new(_config: &RedactionConfig) -> Result<Redactor> {
        unimplemented!("redact::Redactor::new")
    }

    /// Redacts every message text and tool-call argument of a chat request in place.
    pub fn redact_chat(
        &self,
        _request: &mut crate::request::ChatRequest,
        _vault: &mut Vault,
    ) -> Result<Vec<Finding>> {
        unimplemented!("redact::Redactor::redact_chat")
    }

    /// Redacts `text`, issuing placeholders into `vault`.
    pub fn redact(&self, _text: &str, _vault: &mut Vault) -> Result<Redaction> {
        unimplemented!("redact::Redactor::redact")
    }
}

impl Vault {
    /// Replaces the placeholders this vault issued with their originals; anything else stays.
    pub fn restore(&self, _text: &str) -> String {
        unimplemented!("redact::Vault::restore")
    }

    /// Returns the number of values redacted, by kind.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        unimplemented!("redact::Vault::counts")
    }
}
