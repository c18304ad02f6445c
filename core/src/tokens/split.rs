//! A pre-tokenizer for cl100k_base and o200k_base that matches ASCII text without a regex.
//!
//! tiktoken splits a text into pieces with a regular expression before BPE.
//! `bpe-openai` (src/lib.rs of bpe-openai 0.3.2) rewrites tiktoken's patterns
//! without the look-ahead and splits with them. A test checks that its pieces
//! give tiktoken's token ids on every prompt. [`Pieces`] matches each piece of
//! ASCII text by hand, following that rewrite's alternatives in order, and hands
//! the piece to the `bpe-openai` split whenever the match would depend on a
//! non-ASCII character. That split matches anchored at the start of the rest of
//! the text, so it resumes from any piece boundary with the pieces it would have
//! produced on the whole text. Tests compare both on every suffix of random texts
//! and on the prompt set.
//!
//! The patterns, with `L` for letters, `N` for numbers and `\s` for whitespace:
//!
//! - cl100k_base: `'(?i:s|t|re|ve|m|ll|d)|[^\r\nLN]?L+|N{1,3}| ?[^\sLN]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//! - o200k_base: `[^\r\nLN]?U*W+C?|[^\r\nLN]?U+W*C?|N{1,3}| ?[^\sLN]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
//!   where in ASCII `U` is an upper case and `W` a lower case letter, and `C` is
//!   the contraction `'(?i:s|t|re|ve|m|ll|d)`.

/// The pre-tokenizer pattern of an encoding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Pattern {
    Cl100k,
    O200k,
}

/// The pieces of a text, in order, as the `bpe-openai` pre-tokenizer splits it.
pub(super) struct Pieces<'a> {
    tokenizer: &'static bpe_openai::Tokenizer,
    pattern: Pattern,
    text: &'a str,
    position: usize,
}

impl<'a> Pieces<'a> {
    pub(super) fn new(
        tokenizer: &'static bpe_openai::Tokenizer,
        pattern: Pattern,
        text: &'a str,
    ) -> Pieces<'a> {
        Pieces {
            tokenizer,
            pattern,
            text,
            position: 0,
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.position..)?;
        if rest.is_empty() {
            return None;
        }
        let length = match ascii_piece(self.pattern, rest.as_bytes()) {
            Some(length) => length,
            None => self.tokenizer.split(rest).next()?.len(),
        };
        let piece = rest.get(..length)?;
        self.position += length;
        Some(piece)
    }
}

fn is_space(byte: u8) -> bool {
    byte == b' ' || (0x09..=0x0d).contains(&byte)
}

fn is_newline(byte: u8) -> bool {
    byte == b'\r' || byte == b'\n'
}

/// Tells whether `byte` is an ASCII character that is neither whitespace, a letter nor a digit.
fn is_other(byte: u8) -> bool {
    byte.is_ascii() && !is_space(byte) && !byte.is_ascii_alphanumeric()
}

/// Returns the byte at `index` if it is ASCII, `Ok(None)` past the end and `Err(())` for a non-ASCII byte.
fn ascii_at(bytes: &[u8], index: usize) -> Result<Option<u8>, ()> {
    match bytes.get(index) {
        Some(&byte) if !byte.is_ascii() => Err(()),
        other => Ok(other.copied()),
    }
}

/// Returns the length of the first piece of `bytes` (not empty), or `None` when it depends on non-ASCII text.
pub(super) fn ascii_piece(pattern: Pattern, bytes: &[u8]) -> Option<usize> {
    let first = ascii_at(bytes, 0).ok()??;

    if pattern == Pattern::Cl100k && first == b'\'' {
        let length = contraction(bytes, 0)?;
        if length > 0 {
            return Some(length);
        }
    }

    // A letter run, after at most one character that is not a newline, letter or digit.
    let word_start = if first.is_ascii_alphabetic() {
        Some(0)
    } else if !is_newline(first) && !first.is_ascii_digit() {
        match ascii_at(bytes, 1).ok()? {
            Some(next) if next.is_ascii_alphabetic() => Some(1),
            _ => None,
        }
    } else {
        None
    };
    if let Some(start) = word_start {
        return match pattern {
            Pattern::Cl100k => {
                let end = run_end(bytes, start, |byte| byte.is_ascii_alphabetic())?;
                Some(end)
            }
            Pattern::O200k => {
                // Upper case letters then lower case ones; an all upper case run
                // matches the second alternative and ends at the same place.
                let upper_end = run_end(bytes, start, |byte| byte.is_ascii_uppercase())?;
                let end = run_end(bytes, upper_end, |byte| byte.is_ascii_lowercase())?;
                Some(end + contraction(bytes, end)?)
            }
        };
    }

    if first.is_ascii_digit() {
        let mut end = 1;
        while end < 3 {
            match ascii_at(bytes, end).ok()? {
                Some(byte) if byte.is_ascii_digit() => end += 1,
                _ => break,
            }
        }
        return Some(end);
    }

    let other_start = if is_other(first) {
        Some(0)
    } else if first == b' ' && ascii_at(bytes, 1).ok()?.is_some_and(is_other) {
        Some(1)
    } else {
        None
    };
    if let Some(start) = other_start {
        let mut end = run_end(bytes, start, is_other)?;
        while bytes
            .get(end)
            .is_some_and(|&byte| is_newline(byte) || (pattern == Pattern::O200k && byte == b'/'))
        {
            end += 1;
        }
        return Some(end);
    }

    // A whitespace run: up to its last newline (`\s*[\r\n]+`), whole at the end
    // of the text (`\s+$`), else without its last character when that is
    // followed by other text (`\s+(?!\S)`), else its one character (`\s+`).
    let mut end = 0;
    let mut last_newline = None;
    while let Some(byte) = ascii_at(bytes, end).ok()? {
        if !is_space(byte) {
            break;
        }
        if is_newline(byte) {
            last_newline = Some(end);
        }
        end += 1;
    }
    Some(match last_newline {
        Some(index) => index + 1,
        None if end == bytes.len() => end,
        None => (end - 1).max(1),
    })
}

/// Returns the end of the run of bytes from `start` that satisfy `in_run`, or `None` when a non-ASCII byte ends it.
fn run_end(bytes: &[u8], start: usize, in_run: impl Fn(u8) -> bool) -> Option<usize> {
    let mut end = start;
    while let Some(byte) = ascii_at(bytes, end).ok()? {
        if !in_run(byte) {
            break;
        }
        end += 1;
    }
    Some(end)
}

/// Returns the length of the contraction `'(?i:s|t|re|ve|m|ll|d)` at `index`: 0 when there is none.
///
/// Under Unicode case folding `s` also matches `ſ` (U+017F), so a non-ASCII
/// character where a contraction letter would be gives `None`.
fn contraction(bytes: &[u8], index: usize) -> Option<usize> {
    if bytes.get(index) != Some(&b'\'') {
        return Some(0);
    }
    let Some(letter) = ascii_at(bytes, index + 1).ok()? else {
        return Some(0);
    };
    let second = match letter.to_ascii_lowercase() {
        b's' | b't' | b'm' | b'd' => return Some(2),
        b'r' | b'v' => b'e',
        b'l' => b'l',
        _ => return Some(0),
    };
    match ascii_at(bytes, index + 2).ok()? {
        Some(byte) if byte.to_ascii_lowercase() == second => Some(3),
        _ => Some(0),
    }
}
