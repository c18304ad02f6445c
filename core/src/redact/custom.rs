//! The policy's own detectors (regex patterns and term lists) and the
//! `partial` and `hash` operators.

use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};
use hmac::{Hmac, KeyInit, Mac};
use regex_automata::meta::Regex;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::detectors::{GROUPS, Start};
use super::scan::{Definition, Matcher};
use super::{Operator, RedactionConfig};
use crate::error::{Error, Result};

/// The compiled size a policy regex may take, in bytes, for its NFA and
/// for each of its DFAs. A pattern that needs more is rejected at load.
/// NOTE: 1 MiB is a chosen bound, not a measured one. Identifier patterns such
/// as `EMP-\d{6}` fit in it, and `(\w{100}){100}` exceeds it.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Built-in detectors win ties against policy detectors.
const CUSTOM_PRIORITY: u8 = 10;

/// A `[[redaction.patterns]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternConfig {
    /// The finding kind and placeholder label: ASCII letters, digits and `_`,
    /// starting with a letter (`employee_id` gives `<EMPLOYEE_ID_1>`).
    pub name: String,
    /// The regex, in the syntax of the Rust `regex` crate. Every match is a finding.
    pub regex: String,
    /// The operator for this pattern; `[redaction.operators]` and then
    /// `[redaction] operator` apply when it is missing.
    #[serde(default)]
    pub operator: Option<Operator>,
}

/// A `[[redaction.terms]]` entry: literal terms, such as project code names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermsConfig {
    /// The finding kind and placeholder label, as for [`PatternConfig::name`].
    pub name: String,
    /// The terms; each occurrence is a finding, the longest term winning at one position.
    pub terms: Vec<String>,
    /// Match ASCII letters regardless of case.
    #[serde(default)]
    pub case_insensitive: bool,
    /// Match only where no letter, digit or `_` touches the term on either side.
    #[serde(default)]
    pub whole_word: bool,
    /// The operator for this list, as for [`PatternConfig::operator`].
    #[serde(default)]
    pub operator: Option<Operator>,
}

/// The key of the `hash` operator. Its `Debug` output never shows the key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HashKey(pub String);

impl fmt::Debug for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashKey(<{} bytes>)", self.0.len())
    }
}

/// Compiles the policy's patterns and term lists.
pub(super) fn definitions(config: &RedactionConfig) -> Result<Vec<Definition>> {
    let mut definitions = Vec::new();
    for pattern in &config.patterns {
        check_name(&pattern.name, "[[redaction.patterns]]")?;
        let regex = Regex::builder()
            .configure(
                Regex::config()
                    .nfa_size_limit(Some(PATTERN_SIZE_LIMIT))
                    .dfa_size_limit(Some(PATTERN_SIZE_LIMIT)),
            )
            .build(&pattern.regex)
            .map_err(|error| {
                Error::invalid_policy(format!(
                    "[[redaction.patterns]] `{}` has an invalid or too large regex \
                     (limit {PATTERN_SIZE_LIMIT} bytes compiled): {error}; \
                     simplify the pattern or bound its repetitions",
                    pattern.name
                ))
            })?;
        definitions.push(custom_definition(
            config,
            &pattern.name,
            pattern.operator,
            Matcher::Regex(regex),
        ));
    }

    for list in &config.terms {
        check_name(&list.name, "[[redaction.terms]]")?;
        if list.terms.iter().any(String::is_empty) || list.terms.is_empty() {
            return Err(Error::invalid_policy(format!(
                "[[redaction.terms]] `{}` has no terms or an empty term; list at least one non-empty term",
                list.name
            )));
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(list.case_insensitive)
            .build(&list.terms)
            .map_err(|error| {
                Error::invalid_policy(format!(
                    "[[redaction.terms]] `{}` could not be compiled: {error}",
                    list.name
                ))
            })?;
        definitions.push(custom_definition(
            config,
            &list.name,
            list.operator,
            Matcher::Terms {
                automaton,
                whole_word: list.whole_word,
            },
        ));
    }
    Ok(definitions)
}

fn custom_definition(
    config: &RedactionConfig,
    name: &str,
    operator: Option<Operator>,
    matcher: Matcher,
) -> Definition {
    let operator = operator
        .or_else(|| config.operators.get(name).copied())
        .unwrap_or(config.operator);
    Definition {
        group: name.to_string(),
        kind: name.to_string(),
        vendor: None,
        operator,
        priority: CUSTOM_PRIORITY,
        min_digits: 0,
        keywords: &[],
        validator: None,
        matcher,
        start: Start::Anywhere,
    }
}

/// Checks that a pattern or term list name makes a valid placeholder label
/// and does not reuse a built-in detector name.
fn check_name(name: &str, table: &str) -> Result<()> {
    let valid = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return Err(Error::invalid_policy(format!(
            "{table} name `{name}` is invalid; use ASCII letters, digits and `_`, starting with a letter"
        )));
    }
    if GROUPS.contains(&name) {
        return Err(Error::invalid_policy(format!(
            "{table} name `{name}` is a built-in detector name; choose another name"
        )));
    }
    Ok(())
}

/// Checks that every key of `[redaction.operators]` names a built-in detector,
/// a pattern or a term list.
pub(super) fn check_operator_names(
    config: &RedactionConfig,
    definitions: &[Definition],
) -> Result<()> {
    for name in config.operators.keys() {
        let known = GROUPS.contains(&name.as_str())
            || config.patterns.iter().any(|p| &p.name == name)
            || config.terms.iter().any(|t| &t.name == name)
            || definitions.iter().any(|d| &d.group == name);
        if !known {
            return Err(Error::invalid_policy(format!(
                "[redaction.operators] names unknown detector `{name}`; use a built-in detector name \
                 ({}) or the name of a pattern or term list",
                GROUPS.join(", ")
            )));
        }
    }
    Ok(())
}

/// Returns the `hash` key from `hash_key` or the environment variable `hash_key_env`.
pub(super) fn hash_key(config: &RedactionConfig) -> Result<Vec<u8>> {
    if let Some(key) = &config.hash_key {
        if key.0.is_empty() {
            return Err(Error::invalid_policy(
                "[redaction] hash_key is empty; set a long random key".to_string(),
            ));
        }
        return Ok(key.0.as_bytes().to_vec());
    }
    let Some(variable) = &config.hash_key_env else {
        return Err(Error::invalid_policy(
            "the `hash` operator needs a key; set [redaction] hash_key or hash_key_env".to_string(),
        ));
    };
    match std::env::var(variable) {
        Ok(key) if !key.is_empty() => Ok(key.into_bytes()),
        _ => Err(Error::invalid_policy(format!(
            "environment variable `{variable}` named by [redaction] hash_key_env is missing or empty; \
             set it to the `hash` key"
        ))),
    }
}

/// Replaces every character of `value` but the last 4 with `*`.
pub(super) fn partial(value: &str) -> String {
    let count = value.chars().count();
    let hidden = if count <= 4 { count } else { count - 4 };
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i < hidden { '*' } else { c })
        .collect()
}

/// Returns `[KIND:` and the first 16 hex digits of HMAC-SHA256 over the kind,
/// a zero byte and the value, then `]`.
pub(super) fn hash(key: &[u8], kind: &str, value: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return format!("[{}]", kind.to_ascii_uppercase());
    };
    mac.update(kind.as_bytes());
    mac.update(&[0]);
    mac.update(value.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("[{}:{hex}]", kind.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_keeps_last_four() {
        assert_eq!(partial("4111111111111111"), "************1111");
        assert_eq!(partial("abcde"), "*bcde");
        assert_eq!(partial("abcd"), "****");
        assert_eq!(partial("ab"), "**");
        assert_eq!(partial("ÿéèàü"), "*éèàü");
    }

    #[test]
    fn hash_is_keyed_and_stable() {
        let first = hash(b"key-1", "email", "ana@example.com");
        assert_eq!(first, hash(b"key-1", "email", "ana@example.com"));
        assert_ne!(first, hash(b"key-2", "email", "ana@example.com"));
        assert_ne!(first, hash(b"key-1", "email", "bob@example.com"));
        assert!(first.starts_with("[EMAIL:"), "{first}");
        assert_eq!(first.len(), "[EMAIL:]".len() + 16);
    }
}
