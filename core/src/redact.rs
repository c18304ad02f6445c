//! Detectors, operators, the per-call vault and restoration of placeholders.
//!
//! A [`Redactor`] is compiled once from a policy's [`RedactionConfig`] and
//! shared by every call (`Send + Sync`, cheap to clone). Each call creates its
//! own [`Vault`], redacts the request into it, and restores the response from it:
//!
//! ```
//! use ingate::redact::{RedactionConfig, Redactor, Vault};
//!
//! let redactor = Redactor::new(&RedactionConfig::default()).unwrap();
//! let mut vault = Vault::new();
//! let redaction = redactor.redact("Write to ana@example.com", &mut vault).unwrap();
//! assert_eq!(redaction.text, "Write to <EMAIL_1>");
//! assert_eq!(vault.restore("Sent to <EMAIL_1>."), "Sent to ana@example.com.");
//! ```
//!
//! How a text is scanned:
//!
//! 1. A byte search per single-byte keyword (`@` for emails) and one
//!    Aho-Corasick pass for the longer ones (`sk-`, `ghp_`, `AKIA`, … for
//!    secrets) find the detectors whose keywords occur, and a digit count
//!    gates the card detector (at least 12 digits). Only those detectors'
//!    regexes run.
//! 2. Each regex match is a candidate. A validator (Luhn and brand ranges for
//!    cards, lengths for emails, a randomness test for tokens) accepts or
//!    rejects it; after a rejection, shorter matches at the same start and
//!    then matches at later starts are tried.
//! 3. Overlapping findings are resolved before any replacement: the earliest
//!    start wins, then the longest, then the detector with the higher
//!    priority (secrets, then cards, then emails).
//! 4. The operator replaces each finding, or `block` rejects the text.

mod chat;
mod custom;
mod detectors;
mod gitleaks;
mod scan;
mod vault;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::request::ChatRequest;

pub use vault::{StreamRestorer, Vault};

use detectors::{DETECTORS, GROUPS, Start};
use scan::{Candidate, Definition, Scanner};

pub use custom::{HashKey, PatternConfig, TermsConfig};
pub use gitleaks::RejectedRule;

/// The `[redaction]` table of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionConfig {
    /// `false` turns redaction off.
    pub enabled: bool,
    /// Detector names: `email`, `phone`, `credit_card`, `iban`, `us_ssn`,
    /// `ip_address`, `url_credentials`, `secrets`. The default is all of them.
    pub detectors: Vec<String>,
    /// The operator applied to every finding whose detector has none in `operators`.
    pub operator: Operator,
    /// `[redaction.operators]`: the operator per detector name (`email = "mask"`,
    /// `secrets = "block"`) or per pattern or term list name.
    pub operators: BTreeMap<String, Operator>,
    /// The HMAC-SHA256 key of the `hash` operator.
    pub hash_key: Option<HashKey>,
    /// The environment variable that contains the `hash` key, read when the
    /// redactor is built; `hash_key` wins when both are set.
    pub hash_key_env: Option<String>,
    /// `[[redaction.patterns]]`: the policy's own regexes.
    pub patterns: Vec<PatternConfig>,
    /// `[[redaction.terms]]`: the policy's own term lists.
    pub terms: Vec<TermsConfig>,
    /// `[redaction.secrets]`: secret rules imported from other tools.
    pub secrets: SecretsConfig,
}

/// The `[redaction.secrets]` table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// A gitleaks TOML rule file whose rules run with the `secrets` detector,
    /// giving findings of kind `secret` with vendor `gitleaks:<rule id>`.
    /// A relative path is relative to the policy file's folder when the policy
    /// is read with `PolicyConfig::from_file`, and to the working directory otherwise.
    pub gitleaks: Option<std::path::PathBuf>,
}

impl Default for RedactionConfig {
    fn default() -> RedactionConfig {
        RedactionConfig {
            enabled: true,
            detectors: GROUPS.iter().map(|group| group.to_string()).collect(),
            operator: Operator::Placeholder,
            operators: BTreeMap::new(),
            hash_key: None,
            hash_key_env: None,
            patterns: Vec::new(),
            terms: Vec::new(),
            secrets: SecretsConfig::default(),
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
    /// The value with every character but the last 4 replaced by `*`:
    /// `************1111`. Values of 4 characters or fewer become all `*`.
    Partial,
    /// `[EMAIL:` and the first 16 hex digits of HMAC-SHA256(key, kind, value) `]`,
    /// the same for a value in every call that uses the same key.
    Hash,
    /// Deny the call.
    Block,
}

/// One detected value.
///
/// Its `Debug` output shows the kind, vendor and offsets, and only the length
/// of the replacement.
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
///
/// Its `Debug` output shows the text's length, never the text.
#[derive(Clone, PartialEq, Serialize)]
pub struct Redaction {
    /// The text with every finding replaced.
    pub text: String,
    /// The findings, in text order.
    pub findings: Vec<Finding>,
}

/// A compiled set of detectors.
///
/// Build one per policy and share it: cloning copies a pointer.
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: bool,
    operator: Operator,
    hash_key: Option<Vec<u8>>,
    /// The gitleaks rules that did not load, with the reasons.
    gitleaks_rejected: Vec<RejectedRule>,
    gitleaks_loaded: usize,
    /// The configured detector names, deduplicated, in configuration order.
    groups: Vec<&'static str>,
    scanner: Scanner,
}

impl Redactor {
    /// The detector names a policy may list in `[redaction] detectors`.
    pub const DETECTOR_NAMES: &'static [&'static str] = GROUPS;

    /// Compiles the detectors a config names.
    ///
    /// An unknown detector name is an [`Error::InvalidPolicy`] that lists the valid names.
    pub fn new(config: &RedactionConfig) -> Result<Redactor> {
        let mut groups: Vec<&'static str> = Vec::new();
        for name in &config.detectors {
            let Some(group) = GROUPS.iter().find(|group| **group == name.as_str()) else {
                return Err(Error::invalid_policy(unknown_detector_message(name)));
            };
            if !groups.contains(group) {
                groups.push(group);
            }
        }

        let mut definitions = Vec::new();
        if config.enabled {
            for spec in DETECTORS.iter().filter(|spec| groups.contains(&spec.group)) {
                let operator = config.operators.get(spec.group).copied();
                definitions.push(Definition::built_in(
                    spec,
                    operator.unwrap_or(config.operator),
                )?);
            }
            definitions.extend(custom::definitions(config)?);
        }
        let mut gitleaks_rejected = Vec::new();
        let mut gitleaks_loaded = 0;
        if let Some(path) = config
            .secrets
            .gitleaks
            .as_deref()
            .filter(|_| config.enabled && groups.contains(&"secrets"))
        {
            let (rules, rejected) = gitleaks::load(path)?;
            gitleaks_loaded = rules.len();
            gitleaks_rejected = rejected;
            let operator = config.operators.get("secrets").copied();
            for rule in rules {
                definitions.push(Definition {
                    group: "secrets".to_string(),
                    kind: "secret".to_string(),
                    vendor: Some(format!("gitleaks:{}", rule.id)),
                    operator: operator.unwrap_or(config.operator),
                    // Built-in secret detectors (priority 0) win ties.
                    priority: 1,
                    min_digits: 0,
                    keywords: &[],
                    validator: None,
                    matcher: scan::Matcher::Gitleaks(Box::new(rule)),
                    start: Start::Anywhere,
                });
            }
        }
        custom::check_operator_names(config, &definitions)?;

        let uses_hash = definitions.iter().any(|d| d.operator == Operator::Hash);
        let hash_key = if uses_hash {
            Some(custom::hash_key(config)?)
        } else {
            None
        };
        let scanner = Scanner::new(definitions)?;

        Ok(Redactor {
            inner: Arc::new(Inner {
                enabled: config.enabled,
                operator: config.operator,
                hash_key,
                gitleaks_rejected,
                gitleaks_loaded,
                groups,
                scanner,
            }),
        })
    }

    /// Returns the gitleaks rules of `[redaction.secrets] gitleaks` that did not
    /// load, each with its id and the reason.
    pub fn gitleaks_rejected(&self) -> &[RejectedRule] {
        &self.inner.gitleaks_rejected
    }

    /// Returns how many gitleaks rules loaded.
    pub fn gitleaks_loaded(&self) -> usize {
        self.inner.gitleaks_loaded
    }

    /// Redacts `text`, issuing placeholders into `vault`.
    ///
    /// The findings' offsets are byte offsets into `text`, the input.
    /// A finding of a detector whose operator is `block` makes this return
    /// [`Error::RedactionBlocked`] and leaves the vault unchanged.
    pub fn redact(&self, text: &str, vault: &mut Vault) -> Result<Redaction> {
        if !self.inner.enabled {
            return Ok(Redaction {
                text: text.to_string(),
                findings: Vec::new(),
            });
        }

        let candidates = self.inner.scanner.scan(text);
        if candidates.is_empty() {
            return Ok(Redaction {
                text: text.to_string(),
                findings: Vec::new(),
            });
        }
        self.check_blocked(candidates.iter().copied())?;

        vault.reserve_literals(text);
        Ok(self.apply(text, &candidates, vault))
    }

    /// Redacts every text of a chat request in place, issuing placeholders into `vault`.
    ///
    /// The texts are each message's string content, each text part of a
    /// multi-part content, and each string value inside the JSON `arguments`
    /// of an assistant's tool calls. Object keys are kept, and the arguments
    /// stay valid JSON with key order and spacing unchanged. Arguments that are
    /// not valid JSON are redacted as one text. A value gets one placeholder across
    /// all messages of the request.
    ///
    /// The findings come in request order. Each finding's offsets are byte
    /// offsets into the text it was found in, before redaction: the content
    /// string, the text part, the decoded JSON string value, or the whole
    /// arguments text when those are not JSON.
    ///
    /// With the `block` operator, any finding in any text makes this return
    /// [`Error::RedactionBlocked`] counting the whole request, and neither the
    /// request nor the vault is changed.
    pub fn redact_chat(
        &self,
        request: &mut ChatRequest,
        vault: &mut Vault,
    ) -> Result<Vec<Finding>> {
        chat::redact_chat(self, request, vault)
    }

    /// Returns [`Error::RedactionBlocked`] naming the first candidate whose
    /// detector's operator is `block`, with the count of that detector's candidates.
    fn check_blocked(&self, candidates: impl Iterator<Item = Candidate> + Clone) -> Result<()> {
        let detectors = &self.inner.scanner.detectors;
        let blocked = candidates
            .clone()
            .find(|candidate| detectors[candidate.detector].operator == Operator::Block);
        let Some(first) = blocked else {
            return Ok(());
        };
        let group = &detectors[first.detector].group;
        let count = candidates
            .filter(|candidate| &detectors[candidate.detector].group == group)
            .count();
        Err(Error::RedactionBlocked {
            detector: group.clone(),
            count,
        })
    }

    /// Replaces `candidates` (sorted, not overlapping, none blocked) in `text`.
    fn apply(&self, text: &str, candidates: &[Candidate], vault: &mut Vault) -> Redaction {
        let mut redacted = String::with_capacity(text.len());
        let mut findings = Vec::with_capacity(candidates.len());
        let mut position = 0;

        for candidate in candidates {
            let detector = &self.inner.scanner.detectors[candidate.detector];
            let kind = detector.kind.as_str();
            let value = &text[candidate.start..candidate.end];
            let replacement = match detector.operator {
                Operator::Placeholder | Operator::Block => vault.placeholder(kind, value),
                Operator::Mask => format!("[{}]", kind.to_ascii_uppercase()),
                Operator::Partial => custom::partial(value),
                Operator::Hash => {
                    let key = self.inner.hash_key.as_deref().unwrap_or_default();
                    custom::hash(key, kind, value)
                }
            };
            vault.count(kind);

            redacted.push_str(&text[position..candidate.start]);
            redacted.push_str(&replacement);
            position = candidate.end;

            findings.push(Finding {
                kind: kind.to_string(),
                vendor: detector.vendor.clone(),
                start: candidate.start,
                end: candidate.end,
                replacement,
            });
        }
        redacted.push_str(&text[position..]);

        Redaction {
            text: redacted,
            findings,
        }
    }
}

fn unknown_detector_message(name: &str) -> String {
    let valid: Vec<String> = GROUPS.iter().map(|group| format!("`{group}`")).collect();
    format!(
        "unknown redaction detector `{name}` in [redaction] detectors; valid names are {}",
        valid.join(", ")
    )
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("enabled", &self.inner.enabled)
            .field("operator", &self.inner.operator)
            .field("detectors", &self.inner.groups)
            .finish()
    }
}

impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("kind", &self.kind)
            .field("vendor", &self.vendor)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("replacement_len", &self.replacement.len())
            .finish()
    }
}

impl fmt::Debug for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redaction")
            .field("text_len", &self.text.len())
            .field("findings", &self.findings)
            .finish()
    }
}

/// Converts a byte offset into `text` to a count of Unicode code points, the
/// unit of Python's `str` indexes.
///
/// An offset inside a multi-byte character counts that character as not yet
/// reached; an offset past the end counts the whole text.
pub fn code_point_offset(text: &str, byte: usize) -> usize {
    let byte = byte.min(text.len());
    text.char_indices().take_while(|(at, _)| *at < byte).count()
}

/// Converts a byte offset into `text` to a count of UTF-16 code units, the
/// unit of JavaScript, Java and Kotlin string indexes.
///
/// Offsets inside a character and past the end are treated as for
/// [`code_point_offset`].
pub fn utf16_offset(text: &str, byte: usize) -> usize {
    let byte = byte.min(text.len());
    text.char_indices()
        .take_while(|(at, _)| *at < byte)
        .map(|(_, c)| c.len_utf16())
        .sum()
}

impl Redaction {
    /// Returns the number of findings, by kind.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for finding in &self.findings {
            *counts.entry(finding.kind.clone()).or_insert(0) += 1;
        }
        counts
    }
}
