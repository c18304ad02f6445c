//! Validators for token-shaped secrets whose shape alone is not enough:
//! Google API keys, JSON Web Tokens and PEM private key blocks.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Returns `true` when the byte at `end` continues a run of URL-safe base64
/// characters, so a fixed-length pattern matched only a prefix of it.
fn cut_short(text: &str, end: usize) -> bool {
    text.as_bytes()
        .get(end)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Counts the distinct ASCII bytes of `body`.
fn distinct_bytes(body: &str) -> usize {
    let mut seen = [false; 128];
    body.bytes()
        .filter(u8::is_ascii)
        .filter(|&b| !std::mem::replace(&mut seen[usize::from(b)], true))
        .count()
}

/// Accepts a Google API key (`AIza` and 35 URL-safe base64 characters) that
/// is not cut from a longer run and whose body uses at least 10 distinct characters.
pub(crate) fn valid_google_key(text: &str, span: Range<usize>) -> bool {
    !cut_short(text, span.end) && distinct_bytes(&text[span.start + 4..span.end]) >= 10
}

/// Characters of standard base64, the alphabet of AWS secret access keys.
fn base64_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'/' || byte == b'+'
}

/// Accepts an AWS secret access key: 40 base64 characters that are not cut
/// from a longer run, look random and are not AWS's documentation example
/// (which ends in `EXAMPLEKEY`). The value must be assigned to a name that
/// ends in "secret access key" in any case and spelling, as in
/// `aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY="…"` or
/// `"SecretAccessKey": "…"`, or follow an option such as
/// `--aws-secret-access-key` and a space.
pub(crate) fn valid_aws_secret_key(text: &str, span: Range<usize>) -> bool {
    let bytes = text.as_bytes();
    let glued_before = span.start > 0 && base64_byte(bytes[span.start - 1]);
    // `=` after the value would be base64 padding of a longer value; before
    // it, `=` is the assignment.
    let glued_after = bytes
        .get(span.end)
        .is_some_and(|&b| base64_byte(b) || b == b'=');
    let candidate = &text[span.clone()];
    !glued_before
        && !glued_after
        && !candidate.ends_with("EXAMPLEKEY")
        && super::random_looking(text, span.clone())
        && assigned_to_secret_access_key(&text[..span.start])
}

/// Returns `true` when `before` ends with a name like `aws_secret_access_key`,
/// then `=`, `:` or `:=` with optional spaces and quotes around it, or with a
/// command-line option like `--secret-access-key` and a space.
fn assigned_to_secret_access_key(before: &str) -> bool {
    let quotes = |c: char| matches!(c, '"' | '\'' | '`');
    let unquoted = before.trim_end_matches(quotes);
    let spaced = unquoted.trim_end_matches([' ', '\t']);
    let (rest, option) = match spaced.strip_suffix(['=', ':']) {
        Some(rest) => (rest.strip_suffix(':').unwrap_or(rest), false),
        None if spaced.len() < unquoted.len() => (spaced, true),
        None => return false,
    };
    let rest = rest.trim_end_matches([' ', '\t']).trim_end_matches(quotes);

    // The name: the last run of letters, digits, `_`, `-` and `.`, compared
    // without case, `_` and `-`. A value after a space needs a `--` option.
    let name_start = rest
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |i| i + 1);
    let raw_name = &rest[name_start..];
    if option && !raw_name.starts_with("--") {
        return false;
    }
    let name: String = raw_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    name.ends_with("secretaccesskey")
}

/// Accepts a JSON Web Token whose header decodes, as unpadded base64url, to a
/// JSON object with an `alg` or `typ` member (RFC 7519 and RFC 7515).
pub(crate) fn valid_jwt(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    if cut_short(text, span.end) {
        return false;
    }
    let Some(header) = candidate.split('.').next() else {
        return false;
    };
    let Ok(decoded) = URL_SAFE_NO_PAD.decode(header) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&decoded) {
        Ok(serde_json::Value::Object(members)) => {
            members.contains_key("alg") || members.contains_key("typ")
        }
        _ => false,
    }
}

/// Accepts a PEM block whose `BEGIN` and `END` lines name the same label.
pub(crate) fn valid_pem_block(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span];
    let label = |marker: &str| {
        let start = candidate.find(marker)? + marker.len();
        let end = candidate[start..].find("-----")? + start;
        Some(candidate[start..end].to_string())
    };
    match (label("-----BEGIN "), candidate.rfind("-----END ")) {
        (Some(begin), Some(end_at)) => {
            let end_label = &candidate[end_at + "-----END ".len()..];
            end_label.strip_suffix("-----") == Some(begin.as_str())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(validator: fn(&str, Range<usize>) -> bool, text: &str) -> bool {
        validator(text, 0..text.len())
    }

    #[test]
    fn jwt_header_cases() {
        // {"alg":"HS256","typ":"JWT"}
        assert!(whole(
            valid_jwt,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2ln"
        ));
        // {"sub":"1"} has neither member.
        assert!(!whole(valid_jwt, "eyJzdWIiOiIxIn0.eyJzdWIiOiIxIn0.c2ln"));
        // Not base64 JSON at all.
        assert!(!whole(valid_jwt, "eyJnotjson.eyJzdWIiOiIxIn0.c2ln"));
    }

    #[test]
    fn pem_label_cases() {
        let same = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\n-----END EC PRIVATE KEY-----";
        let different = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\n-----END RSA PRIVATE KEY-----";
        assert!(whole(valid_pem_block, same));
        assert!(!whole(valid_pem_block, different));
    }
}
