//! Redaction of whole chat requests: message texts and tool-call arguments.

use std::ops::Range;

use super::scan::Candidate;
use super::{Finding, Redactor};
use crate::error::Result;
use crate::redact::Vault;
use crate::request::{ChatRequest, Content, ContentPart};

/// The place of a text in the request.
enum Location {
    /// `messages[message].content` as a plain string.
    Content { message: usize },
    /// `messages[message].content[part].text`.
    Part { message: usize, part: usize },
    /// The whole `arguments` of a tool call, when it is not valid JSON.
    Arguments { message: usize, call: usize },
    /// One JSON string value inside a tool call's `arguments`, at this byte
    /// range of the arguments text (quotes included).
    ArgumentString {
        message: usize,
        call: usize,
        range: Range<usize>,
    },
}

/// One text to redact and what the scanner found in it.
struct Target {
    location: Location,
    text: String,
    candidates: Vec<Candidate>,
}

pub(super) fn redact_chat(
    redactor: &Redactor,
    request: &mut ChatRequest,
    vault: &mut Vault,
) -> Result<Vec<Finding>> {
    if !redactor.inner.enabled {
        return Ok(Vec::new());
    }

    // Scan everything before changing anything, so a blocked request and the
    // vault stay as they were, and the block error counts the whole request.
    let mut targets = collect_targets(request);
    for target in &mut targets {
        target.candidates = redactor.inner.scanner.scan(&target.text);
    }
    if targets.iter().all(|target| target.candidates.is_empty()) {
        return Ok(Vec::new());
    }
    let all: Vec<&Candidate> = targets.iter().flat_map(|t| &t.candidates).collect();
    redactor.check_blocked(all.into_iter().copied())?;

    for target in &targets {
        vault.reserve_literals(&target.text);
    }

    // Replace in each text, then write back. JSON string values are spliced into
    // their arguments text from the last to the first, so earlier ranges stay valid.
    let mut findings = Vec::new();
    let mut splices: Vec<(usize, usize, Range<usize>, String)> = Vec::new();
    for target in targets {
        if target.candidates.is_empty() {
            continue;
        }
        let redaction = redactor.apply(&target.text, &target.candidates, vault);
        findings.extend(redaction.findings);
        write_back(request, target.location, redaction.text, &mut splices);
    }
    splices.sort_by(|a, b| (a.0, a.1, b.2.start).cmp(&(b.0, b.1, a.2.start)));
    for (message, call, range, value) in splices {
        let arguments = &mut request.messages[message].tool_calls[call]
            .function
            .arguments;
        let encoded = serde_json::to_string(&value).unwrap_or_else(|_| "\"\"".to_string());
        arguments.replace_range(range, &encoded);
    }
    Ok(findings)
}

fn collect_targets(request: &ChatRequest) -> Vec<Target> {
    let mut targets = Vec::new();
    let mut push = |location, text: &str| {
        targets.push(Target {
            location,
            text: text.to_string(),
            candidates: Vec::new(),
        })
    };

    for (message, entry) in request.messages.iter().enumerate() {
        match &entry.content {
            Some(Content::Text(text)) => push(Location::Content { message }, text),
            Some(Content::Parts(parts)) => {
                for (part, content) in parts.iter().enumerate() {
                    if let ContentPart::Text { text } = content {
                        push(Location::Part { message, part }, text);
                    }
                }
            }
            None => {}
        }

        for (call, tool_call) in entry.tool_calls.iter().enumerate() {
            let arguments = &tool_call.function.arguments;
            match json_string_values(arguments) {
                Some(values) => {
                    for (range, value) in values {
                        push(
                            Location::ArgumentString {
                                message,
                                call,
                                range,
                            },
                            &value,
                        );
                    }
                }
                None => push(Location::Arguments { message, call }, arguments),
            }
        }
    }
    targets
}

fn write_back(
    request: &mut ChatRequest,
    location: Location,
    text: String,
    splices: &mut Vec<(usize, usize, Range<usize>, String)>,
) {
    match location {
        Location::Content { message } => {
            request.messages[message].content = Some(Content::Text(text));
        }
        Location::Part { message, part } => {
            if let Some(Content::Parts(parts)) = &mut request.messages[message].content {
                parts[part] = ContentPart::Text { text };
            }
        }
        Location::Arguments { message, call } => {
            request.messages[message].tool_calls[call]
                .function
                .arguments = text;
        }
        Location::ArgumentString {
            message,
            call,
            range,
        } => splices.push((message, call, range, text)),
    }
}

/// Returns every string value (not object key) of a JSON text with its byte
/// range, quotes included, and its decoded content. Returns `None` when the
/// text is not valid JSON.
///
/// Working on the text instead of re-serializing a parsed value keeps key
/// order, whitespace and number spellings exactly as the model wrote them.
pub(super) fn json_string_values(json: &str) -> Option<Vec<(Range<usize>, String)>> {
    serde_json::from_str::<serde::de::IgnoredAny>(json).ok()?;

    // The text is valid JSON, so a quote outside a string always opens one and
    // a backslash inside a string always escapes the next byte.
    let bytes = json.as_bytes();
    let mut values = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] != b'"' {
            index += 1;
            continue;
        }
        let start = index;
        index += 1;
        while index < bytes.len() && bytes[index] != b'"' {
            index += if bytes[index] == b'\\' { 2 } else { 1 };
        }
        let end = (index + 1).min(bytes.len());
        index = end;

        let next = bytes[end..].iter().find(|b| !b.is_ascii_whitespace());
        if next == Some(&b':') {
            continue;
        }
        let decoded: String = serde_json::from_str(json.get(start..end)?).ok()?;
        values.push((start..end, decoded));
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_values_skip_keys() {
        let json = r#"{"to": "a@example.com", "cc": ["b\"@x"], "n": 3, "nested": {"k": "v"}}"#;
        let values = json_string_values(json).unwrap();
        let decoded: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(decoded, ["a@example.com", "b\"@x", "v"]);
        assert_eq!(&json[values[0].0.clone()], "\"a@example.com\"");
    }

    #[test]
    fn invalid_json_has_no_values() {
        assert!(json_string_values("{\"to\": ").is_none());
        assert!(json_string_values("to: a@example.com").is_none());
    }
}
