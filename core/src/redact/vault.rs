//! The per-call vault of placeholders and the restoration of responses.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Bound;

/// The placeholders one call issued, with their original values.
///
/// A vault belongs to one call: create it before redacting the request, use it
/// to restore the response, then drop it. It is never shared between calls, so a
/// placeholder in one response can only ever restore a value from the same call.
/// Its `Debug` output shows counts only.
#[derive(Default, Clone)]
pub struct Vault {
    /// Placeholder to original value. Ordered, so the stream restorer can ask
    /// whether a partial placeholder is the prefix of an issued one.
    originals: BTreeMap<String, String>,
    /// The placeholders issued per kind. A call redacts a few kinds, so a
    /// linear search finds one faster than hashing its name.
    kinds: Vec<KindPlaceholders>,
    /// Placeholder-shaped strings that occurred in redacted input; never issued,
    /// so a literal `<EMAIL_1>` typed by the user is never restored to a value.
    reserved: HashSet<String>,
    /// Values redacted, by kind, counting every occurrence.
    counts: BTreeMap<String, u64>,
    /// The byte length of the longest issued placeholder.
    max_placeholder_len: usize,
}

/// The placeholders issued for one kind.
#[derive(Clone)]
struct KindPlaceholders {
    kind: String,
    /// The kind in upper case, as placeholders spell it.
    label: String,
    /// The last number issued.
    last_number: u64,
    /// Original value to placeholder. foldhash with a per-process random seed
    /// hashes faster than the default SipHash and still keeps a prompt from
    /// choosing values that collide.
    by_value: HashMap<String, String, foldhash::fast::RandomState>,
}

/// The form in which a restored value is written into the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Escape {
    /// As it is, for plain text.
    None,
    /// Escaped as the content of a JSON string, for placeholders inside JSON strings.
    JsonString,
}

/// The kind of issued placeholder found at the start of a text.
enum PlaceholderMatch<'v> {
    /// An issued placeholder of this byte length, with its original value.
    Issued(usize, &'v str),
    /// The text is shorter than a placeholder and is the start of an issued one.
    Partial,
    /// No issued placeholder starts here.
    None,
}

impl Vault {
    /// Creates an empty vault.
    pub fn new() -> Vault {
        Vault::default()
    }

    /// Replaces the placeholders this vault issued with their originals; anything else stays.
    ///
    /// Text that only looks like a placeholder (`<EMAIL_9>` when this vault
    /// issued no such placeholder, or one the user typed) is left as it is.
    pub fn restore(&self, text: &str) -> String {
        self.restore_escaped(text, Escape::None)
    }

    /// Replaces the placeholders this vault issued with their originals,
    /// escaped as JSON string content; anything else stays.
    ///
    /// Use it for JSON text such as a tool call's `arguments`, where every
    /// placeholder sits inside a JSON string (`{"to": "<EMAIL_1>"}`): an
    /// original value containing `"`, `\` or a control character then keeps
    /// the JSON valid and decodes to the original. Non-ASCII characters are
    /// written as they are. The vendor's own text, including its formatting and
    /// escapes, is copied unchanged. A placeholder that the vendor wrote with
    /// JSON escapes (`\u003cEMAIL_1\u003e`) is not recognized and stays as written.
    pub fn restore_json(&self, text: &str) -> String {
        self.restore_escaped(text, Escape::JsonString)
    }

    fn restore_escaped(&self, text: &str, escape: Escape) -> String {
        let mut restored = String::with_capacity(text.len());
        let consumed = self.restore_into(text, &mut restored, true, escape);
        debug_assert_eq!(consumed, text.len());
        restored
    }

    /// Returns the number of values redacted, by kind.
    ///
    /// Every occurrence counts, whatever the operator: a value redacted twice
    /// counts twice although it shares one placeholder.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.clone()
    }

    /// Returns the number of placeholders issued.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// Returns `true` when the vault has issued no placeholder.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// Creates a restorer for a response that arrives in chunks, borrowing the vault.
    pub fn stream_restorer(&self) -> StreamRestorer<'_> {
        StreamRestorer::new(Cow::Borrowed(self), Escape::None)
    }

    /// Creates a restorer that owns the vault, for a stream that outlives the call's borrow.
    pub fn into_stream_restorer(self) -> StreamRestorer<'static> {
        StreamRestorer::new(Cow::Owned(self), Escape::None)
    }

    /// Creates a restorer for JSON text that arrives in chunks, such as
    /// streamed tool-call arguments, borrowing the vault. It writes each
    /// original as [`Vault::restore_json`] does.
    pub fn json_stream_restorer(&self) -> StreamRestorer<'_> {
        StreamRestorer::new(Cow::Borrowed(self), Escape::JsonString)
    }

    /// Creates a restorer for JSON text that arrives in chunks and owns the vault,
    /// for a stream that outlives the call's borrow.
    pub fn into_json_stream_restorer(self) -> StreamRestorer<'static> {
        StreamRestorer::new(Cow::Owned(self), Escape::JsonString)
    }

    /// Returns the placeholder for `value` of `kind`, issuing a new one the
    /// first time the value is seen. Placeholders are `<KIND_N>` with the kind
    /// in upper case and `N` counting from 1 per kind.
    pub(crate) fn placeholder(&mut self, kind: &str, value: &str) -> String {
        let position = match self.kinds.iter().position(|issued| issued.kind == kind) {
            Some(position) => position,
            None => {
                self.kinds.push(KindPlaceholders {
                    kind: kind.to_string(),
                    label: kind.to_ascii_uppercase(),
                    last_number: 0,
                    by_value: HashMap::default(),
                });
                self.kinds.len() - 1
            }
        };
        let issued = &mut self.kinds[position];
        if let Some(placeholder) = issued.by_value.get(value) {
            return placeholder.clone();
        }

        let mut placeholder = String::with_capacity(issued.label.len() + 8);
        loop {
            issued.last_number += 1;
            placeholder.clear();
            placeholder.push('<');
            placeholder.push_str(&issued.label);
            placeholder.push('_');
            push_decimal(&mut placeholder, issued.last_number);
            placeholder.push('>');
            if !self.reserved.contains(&placeholder) {
                break;
            }
        }

        self.max_placeholder_len = self.max_placeholder_len.max(placeholder.len());
        self.originals
            .insert(placeholder.clone(), value.to_string());
        issued
            .by_value
            .insert(value.to_string(), placeholder.clone());
        placeholder
    }

    /// Counts one redacted value of `kind`.
    pub(crate) fn count(&mut self, kind: &str) {
        match self.counts.get_mut(kind) {
            Some(count) => *count += 1,
            None => {
                self.counts.insert(kind.to_string(), 1);
            }
        }
    }

    /// Reserves every placeholder-shaped string (`<LABEL_N>`) in `text` that this
    /// vault has not issued, so it is never issued later in the call.
    pub(crate) fn reserve_literals(&mut self, text: &str) {
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            rest = &rest[open..];
            let length = placeholder_shape_len(rest);
            if length > 0 {
                let literal = &rest[..length];
                if !self.originals.contains_key(literal) {
                    self.reserved.insert(literal.to_string());
                }
            }
            rest = &rest[length.max(1)..];
        }
    }

    /// Appends the restored form of `text` to `out` and returns how many bytes it
    /// consumed. Unless `finished`, a trailing partial placeholder is not consumed.
    fn restore_into(&self, text: &str, out: &mut String, finished: bool, escape: Escape) -> usize {
        if self.originals.is_empty() {
            out.push_str(text);
            return text.len();
        }

        let mut position = 0;
        while let Some(offset) = text[position..].find('<') {
            let open = position + offset;
            out.push_str(&text[position..open]);
            match self.match_at(&text[open..]) {
                PlaceholderMatch::Issued(length, original) => {
                    match escape {
                        Escape::None => out.push_str(original),
                        Escape::JsonString => push_json_string_content(out, original),
                    }
                    position = open + length;
                }
                PlaceholderMatch::Partial if !finished => return open,
                PlaceholderMatch::Partial | PlaceholderMatch::None => {
                    out.push('<');
                    position = open + 1;
                }
            }
        }
        out.push_str(&text[position..]);
        text.len()
    }

    /// Classifies the issued placeholder, if any, at the start of `text`, which starts with `<`.
    fn match_at(&self, text: &str) -> PlaceholderMatch<'_> {
        let window = text.len().min(self.max_placeholder_len);
        let bytes = text.as_bytes();

        // Placeholders contain exactly one `>`, at their end.
        if let Some(close) = bytes[1..window].iter().position(|&b| b == b'>') {
            let candidate = &text[..close + 2];
            return match self.originals.get(candidate) {
                Some(original) => PlaceholderMatch::Issued(candidate.len(), original),
                None => PlaceholderMatch::None,
            };
        }
        if text.len() >= self.max_placeholder_len {
            return PlaceholderMatch::None;
        }

        let next_key = self
            .originals
            .range::<str, _>((Bound::Included(text), Bound::Unbounded))
            .next();
        match next_key {
            Some((key, _)) if key.starts_with(text) => PlaceholderMatch::Partial,
            _ => PlaceholderMatch::None,
        }
    }
}

/// Appends `value` to `out` escaped as the content of a JSON string (RFC 8259,
/// section 7): `"` and `\` get a backslash, control characters (U+0000 to
/// U+001F) their two-character escape or `\u00XX`, and everything else is copied.
fn push_json_string_content(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";

    // Every byte that needs an escape is ASCII, so `index` is always a character boundary.
    let mut copied = 0;
    for (index, byte) in value.bytes().enumerate() {
        let short_escape = match byte {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x08 => Some("\\b"),
            0x0c => Some("\\f"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.push_str(&value[copied..index]);
        match short_escape {
            Some(short_escape) => out.push_str(short_escape),
            None => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
        copied = index + 1;
    }
    out.push_str(&value[copied..]);
}

/// Returns the byte length of a `<LABEL_N>` string at the start of `text`, or 0.
/// LABEL is upper-case ASCII letters, digits and underscores starting with a
/// letter; N is a decimal number.
fn placeholder_shape_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.len() < 4 || bytes[0] != b'<' || !bytes[1].is_ascii_uppercase() {
        return 0;
    }
    let Some(close) = bytes.iter().take(128).position(|&b| b == b'>') else {
        return 0;
    };
    let inner = &text[1..close];
    let Some((label, number)) = inner.rsplit_once('_') else {
        return 0;
    };
    let label_ok = label
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let number_ok = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    if label_ok && number_ok { close + 1 } else { 0 }
}

/// Appends `number` in decimal. It replaces `write!`, whose formatting
/// machinery showed up in callgrind profiles of issuing a placeholder.
fn push_decimal(out: &mut String, number: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = number;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[start..] {
        out.push(char::from(digit));
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("placeholders", &self.originals.len())
            .field("reserved", &self.reserved.len())
            .field("counts", &self.counts)
            .finish()
    }
}

/// Restores placeholders in a response that arrives in chunks.
///
/// [`push`](StreamRestorer::push) returns the restored text that is final so
/// far. A chunk that ends inside a possible placeholder (`…<EMA`) keeps that
/// tail back until the next chunk shows whether it completes an issued
/// placeholder; text that cannot start one is returned at once. Call
/// [`finish`](StreamRestorer::finish) after the last chunk to release what is
/// held back. The concatenated outputs equal [`Vault::restore`] of the
/// concatenated chunks, wherever the chunks were split; for a restorer from
/// [`Vault::json_stream_restorer`] they equal [`Vault::restore_json`].
pub struct StreamRestorer<'v> {
    vault: Cow<'v, Vault>,
    escape: Escape,
    /// The held-back tail: the start of a possible placeholder, not yet restored or escaped.
    pending: String,
}

impl StreamRestorer<'_> {
    fn new(vault: Cow<'_, Vault>, escape: Escape) -> StreamRestorer<'_> {
        StreamRestorer {
            vault,
            escape,
            pending: String::new(),
        }
    }

    /// Returns `true` when the restorer writes originals escaped as JSON string content.
    pub fn is_json(&self) -> bool {
        self.escape == Escape::JsonString
    }

    /// Feeds the next chunk and returns the text that is final so far.
    pub fn push(&mut self, chunk: &str) -> String {
        let mut out = String::with_capacity(self.pending.len() + chunk.len());
        if self.pending.is_empty() {
            let consumed = self.vault.restore_into(chunk, &mut out, false, self.escape);
            self.pending.push_str(&chunk[consumed..]);
        } else {
            let mut buffer = std::mem::take(&mut self.pending);
            buffer.push_str(chunk);
            let consumed = self
                .vault
                .restore_into(&buffer, &mut out, false, self.escape);
            self.pending.push_str(&buffer[consumed..]);
        }
        out
    }

    /// Returns the held-back tail, which the stream ended before it could complete a placeholder.
    pub fn finish(self) -> String {
        self.pending
    }
}

impl fmt::Debug for StreamRestorer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRestorer")
            .field("vault", &*self.vault)
            .field("json", &self.is_json())
            .field("pending_len", &self.pending.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_shape_cases() {
        let cases: &[(&str, usize)] = &[
            ("<EMAIL_1>", 9),
            ("<CREDIT_CARD_12> rest", 16),
            ("<EMAIL_>", 0),
            ("<email_1>", 0),
            ("<EMAIL_1", 0),
            ("<b>", 0),
        ];
        for &(text, expected) in cases {
            assert_eq!(placeholder_shape_len(text), expected, "{text}");
        }
    }

    /// Returns a vault whose originals need JSON escaping.
    fn json_vault() -> Vault {
        let mut vault = Vault::new();
        let originals = [
            ("secret", "pa\"ss"),
            ("secret", "C:\\Users\\ana"),
            ("secret", "line 1\nline 2\r\n\ttab"),
            (
                "secret",
                "nul \u{0} bell \u{7} esc \u{1b} us \u{1f} bs \u{8} ff \u{c} del \u{7f}",
            ),
            ("name", "Zoë 日本 🙂 \u{2028}"),
            ("email", "ana@example.com"),
        ];
        for (kind, original) in originals {
            vault.placeholder(kind, original);
        }
        vault
    }

    #[test]
    fn json_string_content_cases() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("a\"b", "a\\\"b"),
            ("a\\b", "a\\\\b"),
            ("\n\r\t\u{8}\u{c}", "\\n\\r\\t\\b\\f"),
            ("\u{0}\u{1}\u{1f}", "\\u0000\\u0001\\u001f"),
            ("\u{7f} é 🙂 \u{2028}", "\u{7f} é 🙂 \u{2028}"),
            ("/ and '", "/ and '"),
            ("", ""),
        ];
        for &(value, expected) in cases {
            let mut out = String::new();
            push_json_string_content(&mut out, value);
            assert_eq!(out, expected, "{value:?}");
            assert_eq!(
                serde_json::from_str::<String>(&format!("\"{out}\"")).unwrap(),
                value,
                "{value:?} does not round-trip"
            );
        }
    }

    #[test]
    fn restore_json_decodes_to_originals() {
        let vault = json_vault();
        let arguments = r#"{"a": "<SECRET_1>", "b": ["<SECRET_2>", "x <SECRET_3> y"], "c": "<SECRET_4>", "<NAME_1>": "<EMAIL_1>", "n": 3}"#;
        let restored = vault.restore_json(arguments);
        let parsed: serde_json::Value = serde_json::from_str(&restored).unwrap();
        assert_eq!(parsed["a"], "pa\"ss");
        assert_eq!(parsed["b"][0], "C:\\Users\\ana");
        assert_eq!(parsed["b"][1], "x line 1\nline 2\r\n\ttab y");
        assert_eq!(
            parsed["c"],
            "nul \u{0} bell \u{7} esc \u{1b} us \u{1f} bs \u{8} ff \u{c} del \u{7f}"
        );
        assert_eq!(parsed["Zoë 日本 🙂 \u{2028}"], "ana@example.com");
        assert_eq!(parsed["n"], 3);
    }

    #[test]
    fn restore_json_keeps_vendor_text() {
        let vault = json_vault();
        let cases: &[(&str, &str)] = &[
            // The vendor's escapes and spacing stay as written.
            (
                "{ \"q\" : \"say \\\"<EMAIL_1>\\\"\\n\" }",
                "{ \"q\" : \"say \\\"ana@example.com\\\"\\n\" }",
            ),
            // Placeholders this vault did not issue, and partial ones, stay.
            (r#"{"to": "<EMAIL_2>"}"#, r#"{"to": "<EMAIL_2>"}"#),
            (r#"{"to": "<SECRET_9>"}"#, r#"{"to": "<SECRET_9>"}"#),
            (r#"{"to": "<SECRET_1"}"#, r#"{"to": "<SECRET_1"}"#),
            // A placeholder written with JSON escapes is not recognized.
            (
                r#"{"to": "\u003cSECRET_1\u003e"}"#,
                r#"{"to": "\u003cSECRET_1\u003e"}"#,
            ),
            (r#"{"to": "<SECRET_1>"}"#, r#"{"to": "pa\"ss"}"#),
            ("", ""),
        ];
        for &(text, expected) in cases {
            assert_eq!(
                vault.restore_json(text),
                expected,
                "restore_json of {text:?}"
            );
        }
    }

    #[test]
    fn restore_json_only_adds_escapes() {
        let vault = json_vault();
        let text = r#"{"a": "<SECRET_1>", "b": "<NAME_1>"}"#;
        assert_eq!(
            vault.restore(text),
            "{\"a\": \"pa\"ss\", \"b\": \"Zoë 日本 🙂 \u{2028}\"}"
        );
        assert_eq!(
            vault.restore_json(text),
            "{\"a\": \"pa\\\"ss\", \"b\": \"Zoë 日本 🙂 \u{2028}\"}"
        );
    }

    /// Restores `chunks` through a JSON stream restorer and returns each output and the concatenation.
    fn json_stream(vault: &Vault, chunks: &[&str]) -> (Vec<String>, String) {
        let mut restorer = vault.json_stream_restorer();
        assert!(restorer.is_json());
        let mut outputs: Vec<String> = chunks.iter().map(|chunk| restorer.push(chunk)).collect();
        outputs.push(restorer.finish());
        let joined = outputs.concat();
        (outputs, joined)
    }

    #[test]
    fn json_stream_every_split_point() {
        let vault = json_vault();
        let arguments = r#"{"a":"<SECRET_1>","b":"<SECRET_2><SECRET_3>","c":"<SECRET_4> <NAME_1>","d":"<EMAIL_2> <SECRET_1"}"#;
        let expected = vault.restore_json(arguments);
        let boundaries: Vec<usize> = (0..=arguments.len())
            .filter(|&i| arguments.is_char_boundary(i))
            .collect();

        for (i, &first) in boundaries.iter().enumerate() {
            for &second in &boundaries[i..] {
                let chunks = [
                    &arguments[..first],
                    &arguments[first..second],
                    &arguments[second..],
                ];
                let (_, joined) = json_stream(&vault, &chunks);
                assert_eq!(joined, expected, "split at bytes {first} and {second}");
            }
        }

        let characters: Vec<String> = arguments.chars().map(String::from).collect();
        let chunks: Vec<&str> = characters.iter().map(String::as_str).collect();
        assert_eq!(json_stream(&vault, &chunks).1, expected, "by character");
    }

    #[test]
    fn json_stream_escapes_decided_placeholders() {
        let vault = json_vault();
        let (outputs, _) = json_stream(
            &vault,
            &["{\"a\": \"<SEC", "RET_", "1>\", \"b\": \"<SECRET_", "9\"}"],
        );
        assert_eq!(
            outputs,
            [
                "{\"a\": \"",
                "",
                "pa\\\"ss\", \"b\": \"",
                "<SECRET_9\"}",
                ""
            ]
        );

        // A stream that ends inside a placeholder releases the raw tail, unescaped.
        let (outputs, _) = json_stream(&vault, &["{\"a\": \"<SECRET_"]);
        assert_eq!(outputs, ["{\"a\": \"", "<SECRET_"]);
    }

    #[test]
    fn plain_stream_is_not_json() {
        let vault = json_vault();
        assert!(!vault.stream_restorer().is_json());
        assert!(vault.clone().into_json_stream_restorer().is_json());
        let mut restorer = vault.into_json_stream_restorer();
        assert_eq!(restorer.push("<SECRET_2>"), "C:\\\\Users\\\\ana");
    }

    #[test]
    fn reserved_literal_is_skipped() {
        let mut vault = Vault::new();
        vault.reserve_literals("I typed <EMAIL_1> myself");
        assert_eq!(vault.placeholder("email", "a@example.com"), "<EMAIL_2>");
        assert_eq!(
            vault.restore("<EMAIL_1> <EMAIL_2>"),
            "<EMAIL_1> a@example.com"
        );
    }
}
