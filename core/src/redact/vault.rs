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
    /// Kind to (original value to placeholder).
    placeholders: HashMap<String, HashMap<String, String>>,
    /// The last number issued per kind.
    last_number: HashMap<String, u64>,
    /// Placeholder-shaped strings that occurred in redacted input; never issued,
    /// so a literal `<EMAIL_1>` typed by the user is never restored to a value.
    reserved: HashSet<String>,
    /// Values redacted, by kind, counting every occurrence.
    counts: BTreeMap<String, u64>,
    /// The byte length of the longest issued placeholder.
    max_placeholder_len: usize,
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
        let mut restored = String::with_capacity(text.len());
        let consumed = self.restore_into(text, &mut restored, true);
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
        StreamRestorer {
            vault: Cow::Borrowed(self),
            pending: String::new(),
        }
    }

    /// Creates a restorer that owns the vault, for a stream that outlives the call's borrow.
    pub fn into_stream_restorer(self) -> StreamRestorer<'static> {
        StreamRestorer {
            vault: Cow::Owned(self),
            pending: String::new(),
        }
    }

    /// Returns the placeholder for `value` of `kind`, issuing a new one the
    /// first time the value is seen. Placeholders are `<KIND_N>` with the kind
    /// in upper case and `N` counting from 1 per kind.
    pub(crate) fn placeholder(&mut self, kind: &str, value: &str) -> String {
        if let Some(placeholder) = self.placeholders.get(kind).and_then(|m| m.get(value)) {
            return placeholder.clone();
        }

        let label = kind.to_ascii_uppercase();
        let number = self.last_number.entry(kind.to_string()).or_insert(0);
        let placeholder = loop {
            *number += 1;
            let candidate = format!("<{label}_{number}>");
            if !self.reserved.contains(&candidate) {
                break candidate;
            }
        };

        self.max_placeholder_len = self.max_placeholder_len.max(placeholder.len());
        self.originals
            .insert(placeholder.clone(), value.to_string());
        self.placeholders
            .entry(kind.to_string())
            .or_default()
            .insert(value.to_string(), placeholder.clone());
        placeholder
    }

    /// Counts one redacted value of `kind`.
    pub(crate) fn count(&mut self, kind: &str) {
        *self.counts.entry(kind.to_string()).or_insert(0) += 1;
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
    fn restore_into(&self, text: &str, out: &mut String, finished: bool) -> usize {
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
                    out.push_str(original);
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
/// concatenated chunks, wherever the chunks were split.
pub struct StreamRestorer<'v> {
    vault: Cow<'v, Vault>,
    /// The held-back tail: the start of a possible placeholder.
    pending: String,
}

impl StreamRestorer<'_> {
    /// Feeds the next chunk and returns the text that is final so far.
    pub fn push(&mut self, chunk: &str) -> String {
        let mut out = String::with_capacity(self.pending.len() + chunk.len());
        if self.pending.is_empty() {
            let consumed = self.vault.restore_into(chunk, &mut out, false);
            self.pending.push_str(&chunk[consumed..]);
        } else {
            let mut buffer = std::mem::take(&mut self.pending);
            buffer.push_str(chunk);
            let consumed = self.vault.restore_into(&buffer, &mut out, false);
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
