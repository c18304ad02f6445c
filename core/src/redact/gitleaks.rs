//! Import of gitleaks rule files (<https://github.com/gitleaks/gitleaks>,
//! `config/gitleaks.toml`): each rule's regex, `secretGroup`, keywords,
//! entropy threshold, allowlist regexes and stopwords.

use std::path::Path;

use aho_corasick::AhoCorasick;
use regex_automata::Input;
use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use serde::Deserialize;

/// The compiled size a gitleaks regex may take, in bytes: the default of the
/// Rust `regex` crate's `RegexBuilder::size_limit`. Many gitleaks rules use
/// `(?i)` and Unicode classes, which exceed the 1 MiB limit of policy patterns.
const RULE_SIZE_LIMIT: usize = 10 << 20;
use crate::error::{Error, Result};

/// A gitleaks rule that could not be loaded, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRule {
    /// The rule's `id`.
    pub id: String,
    /// The reason it was not loaded, such as the regex engine's error.
    pub reason: String,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    allowlist: Option<AllowlistFile>,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleFile {
    id: String,
    regex: Option<String>,
    #[serde(default)]
    secret_group: usize,
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    path: Option<String>,
    #[serde(default)]
    allowlists: Vec<AllowlistFile>,
    allowlist: Option<AllowlistFile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllowlistFile {
    #[serde(default)]
    regexes: Vec<String>,
    regex_target: Option<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    condition: Option<String>,
}

/// One compiled gitleaks rule.
pub(crate) struct Rule {
    pub id: String,
    regex: Regex,
    secret_group: usize,
    entropy: Option<f64>,
    /// Case-insensitive keywords, as gitleaks matches them; `None` when the rule has none.
    keywords: Option<AhoCorasick>,
    allowlists: Vec<Allowlist>,
}

struct Allowlist {
    regexes: Vec<Regex>,
    /// Apply `regexes` to the whole match rather than to the secret.
    on_match: bool,
    stopwords: Vec<String>,
    /// `AND`: every kind of criterion must hold; `OR` (the default): any.
    all: bool,
}

/// Loads a gitleaks TOML file. Every rule either loads or is returned in the
/// rejected list with its reason.
pub(crate) fn load(path: &Path) -> Result<(Vec<Rule>, Vec<RejectedRule>)> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Error::invalid_policy(format!(
            "cannot read gitleaks rules `{}` named by [redaction.secrets] gitleaks: {error}",
            path.display()
        ))
    })?;
    let file: File = toml::from_str(&text).map_err(|error| {
        Error::invalid_policy(format!(
            "gitleaks rules `{}` are not a valid gitleaks TOML file: {error}",
            path.display()
        ))
    })?;

    let global = match &file.allowlist {
        Some(allowlist) => compile_allowlist(allowlist).map_err(|reason| {
            Error::invalid_policy(format!(
                "the global [allowlist] of gitleaks rules `{}` is invalid: {reason}",
                path.display()
            ))
        })?,
        None => None,
    };

    let mut rules = Vec::new();
    let mut rejected = Vec::new();
    for rule in &file.rules {
        match compile_rule(rule, global.as_ref()) {
            Ok(compiled) => rules.push(compiled),
            Err(reason) => rejected.push(RejectedRule {
                id: rule.id.clone(),
                reason,
            }),
        }
    }
    Ok((rules, rejected))
}

/// Escapes each `{` that does not start a repetition (`{n}`, `{n,}`, `{n,m}`).
/// Go's RE2 syntax, which gitleaks uses, reads such a brace as a literal,
/// while the Rust regex syntax rejects it.
fn escape_literal_braces(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut escaped = false;
    let mut in_class = false;
    for (at, c) in pattern.char_indices() {
        if escaped {
            escaped = false;
            out.push(c);
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class && !starts_repetition(&pattern[at + 1..]) => {
                out.push_str("\\{");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Returns `true` when `rest` (the text after a `{`) is `n}`, `n,}` or `n,m}`.
fn starts_repetition(rest: &str) -> bool {
    let Some(close) = rest.find('}') else {
        return false;
    };
    let inside = &rest[..close];
    let (low, high) = inside.split_once(',').unwrap_or((inside, "0"));
    !low.is_empty()
        && low.bytes().all(|b| b.is_ascii_digit())
        && high.bytes().all(|b| b.is_ascii_digit())
}

fn compile_regex(pattern: &str) -> std::result::Result<Regex, String> {
    let pattern = escape_literal_braces(pattern);
    Regex::builder()
        .configure(
            Regex::config()
                .nfa_size_limit(Some(RULE_SIZE_LIMIT))
                .dfa_size_limit(Some(RULE_SIZE_LIMIT)),
        )
        .build(&pattern)
        .map_err(|error| match error.syntax_error() {
            Some(syntax) => syntax.to_string(),
            None => match std::error::Error::source(&error) {
                Some(source) => format!("{error}: {source}"),
                None => error.to_string(),
            },
        })
}

fn compile_rule(rule: &RuleFile, global: Option<&Allowlist>) -> std::result::Result<Rule, String> {
    let Some(pattern) = &rule.regex else {
        return Err(match &rule.path {
            Some(_) => "matches file paths only and has no regex for text".to_string(),
            None => "has no regex".to_string(),
        });
    };
    let regex =
        compile_regex(pattern).map_err(|error| format!("regex does not compile: {error}"))?;
    let groups = regex.captures_len().saturating_sub(1);
    if rule.secret_group > groups {
        return Err(format!(
            "secretGroup {} is larger than the regex's {groups} capture groups",
            rule.secret_group
        ));
    }
    let keywords = if rule.keywords.is_empty() {
        None
    } else {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&rule.keywords)
            .map_err(|error| format!("keywords do not compile: {error}"))?;
        Some(automaton)
    };

    let mut allowlists = Vec::new();
    for allowlist in rule.allowlists.iter().chain(&rule.allowlist) {
        if let Some(compiled) = compile_allowlist(allowlist)? {
            allowlists.push(compiled);
        }
    }
    if let Some(global) = global {
        allowlists.push(Allowlist {
            regexes: global.regexes.clone(),
            on_match: global.on_match,
            stopwords: global.stopwords.clone(),
            all: global.all,
        });
    }

    Ok(Rule {
        id: rule.id.clone(),
        regex,
        secret_group: rule.secret_group,
        entropy: rule.entropy,
        keywords,
        allowlists,
    })
}

/// Compiles an allowlist; one that names only file paths never applies to a
/// text and gives `None`.
fn compile_allowlist(allowlist: &AllowlistFile) -> std::result::Result<Option<Allowlist>, String> {
    if allowlist.regexes.is_empty() && allowlist.stopwords.is_empty() {
        return Ok(None);
    }
    let regexes = allowlist
        .regexes
        .iter()
        .map(|pattern| {
            compile_regex(pattern)
                .map_err(|error| format!("allowlist regex does not compile: {error}"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    // With AND, a path criterion can never hold for a text, so the allowlist never applies.
    let all = allowlist.condition.as_deref() == Some("AND");
    if all && !allowlist.paths.is_empty() {
        return Ok(None);
    }
    Ok(Some(Allowlist {
        regexes,
        on_match: allowlist.regex_target.as_deref() == Some("match"),
        stopwords: allowlist
            .stopwords
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect(),
        all,
    }))
}

impl Rule {
    /// Appends the byte ranges of this rule's secrets in `text`.
    pub(crate) fn find(&self, text: &str, found: &mut Vec<(usize, usize)>) {
        if let Some(keywords) = &self.keywords
            && keywords.find(text).is_none()
        {
            return;
        }
        let mut captures: Captures = self.regex.create_captures();
        let mut at = 0;
        while at <= text.len() {
            let input = Input::new(text).span(at..text.len());
            self.regex.search_captures(&input, &mut captures);
            let Some(whole) = captures.get_match() else {
                break;
            };
            let secret = self.secret_span(&captures).unwrap_or(whole.range());
            let value = &text[secret.clone()];
            let matched = &text[whole.range()];
            let entropy_ok = self
                .entropy
                .is_none_or(|minimum| shannon_entropy(value) >= minimum);
            if !secret.is_empty() && entropy_ok && !self.allowed(value, matched) {
                found.push((secret.start, secret.end));
            }
            at = if whole.end() > whole.start() {
                whole.end()
            } else {
                let mut next = whole.start() + 1;
                while next < text.len() && !text.is_char_boundary(next) {
                    next += 1;
                }
                next
            };
        }
    }

    /// Returns the `secretGroup` span, or else the span of the first capture
    /// group that matched, as gitleaks picks the secret.
    fn secret_span(&self, captures: &Captures) -> Option<std::ops::Range<usize>> {
        if self.secret_group > 0 {
            return captures
                .get_group(self.secret_group)
                .map(|span| span.range());
        }
        (1..captures.group_len())
            .filter_map(|group| captures.get_group(group))
            .find(|span| !span.is_empty())
            .map(|span| span.range())
    }

    fn allowed(&self, secret: &str, matched: &str) -> bool {
        self.allowlists.iter().any(|allowlist| {
            let target = if allowlist.on_match { matched } else { secret };
            let regex_hit = allowlist.regexes.iter().any(|regex| regex.is_match(target));
            let lower = secret.to_ascii_lowercase();
            let stopword_hit = allowlist
                .stopwords
                .iter()
                .any(|word| lower.contains(word.as_str()));
            if allowlist.all {
                (allowlist.regexes.is_empty() || regex_hit)
                    && (allowlist.stopwords.is_empty() || stopword_hit)
            } else {
                regex_hit || stopword_hit
            }
        })
    }
}

/// Computes the Shannon entropy of `value` in bits per byte, as gitleaks does.
fn shannon_entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[usize::from(byte)] += 1;
    }
    let length = value.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / length;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_brace_cases() {
        assert_eq!(
            escape_literal_braces(r"^\${(?:[A-Z_]+)}$"),
            r"^\$\{(?:[A-Z_]+)}$"
        );
        assert_eq!(
            escape_literal_braces(r"a{2,5}b{3}c{1,}"),
            r"a{2,5}b{3}c{1,}"
        );
        assert_eq!(escape_literal_braces(r"[{]x\{"), r"[{]x\{");
    }

    #[test]
    fn entropy_cases() {
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
    }
}
