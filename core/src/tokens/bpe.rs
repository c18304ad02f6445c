//! The BPE backends behind [`Encoding`](super::Encoding), built once and shared.
//!
//! cl100k_base, o200k_base and o200k_harmony count with the `bpe-openai` crate,
//! which counted this project's prompt set faster than `tiktoken-rs`
//! (docs/BENCHMARKS.md) and stays linear on long runs of one character, where
//! the regex engine of `tiktoken-rs` can fail.
//! o200k_harmony differs from o200k_base only in its special tokens, which
//! ordinary text never produces, so both share one tokenizer. p50k_base and
//! r50k_base, which `bpe-openai` does not ship, count with `tiktoken-rs`.
//! Tests check that both crates give identical token ids.

use std::hash::Hasher;
use std::sync::LazyLock;

use bpe_openai::byte_pair_encoding::BytePairEncoding;
use hashbrown::HashTable;
use rustc_hash::FxHasher;
use tiktoken_rs::CoreBPE;

use super::Encoding;
use super::split::{Pattern, Pieces};

/// The tiktoken-rs tokenizer of an encoding and the length in bytes of its longest token.
struct Tiktoken {
    bpe: &'static CoreBPE,
    max_token_bytes: usize,
}

impl Tiktoken {
    fn new(bpe: &'static CoreBPE, vocabulary_size: u32) -> Tiktoken {
        let max_token_bytes = (0..vocabulary_size)
            .filter_map(|rank| bpe.decode_bytes(&[rank]).ok())
            .map(|bytes| bytes.len())
            .max()
            .unwrap_or(1);
        Tiktoken {
            bpe,
            max_token_bytes,
        }
    }
}

static P50K: LazyLock<Tiktoken> =
    LazyLock::new(|| Tiktoken::new(tiktoken_rs::p50k_base_singleton(), 50_281));
static R50K: LazyLock<Tiktoken> =
    LazyLock::new(|| Tiktoken::new(tiktoken_rs::r50k_base_singleton(), 50_257));

/// A `bpe-openai` tokenizer with the ranks of its tokens.
///
/// Most pieces of ordinary text (a word with its leading space) are one token.
/// A hash lookup counts those without building a BPE encoder for the piece, as
/// tiktoken does before it runs its merge loop. Short pieces of several tokens
/// go through tiktoken's merge loop ([`Ranks::merge_count`]), which on pieces of
/// a few bytes is faster than the `bpe` crate's backtracking encoder. Longer
/// pieces go to that encoder, which stays linear where the merge loop is
/// quadratic. The token ids of `bpe-openai` are tiktoken's ranks (a test checks
/// that both give identical token ids), so both paths give tiktoken's count.
struct BpeOpenai {
    tokenizer: &'static bpe_openai::Tokenizer,
    pattern: Pattern,
    ranks: Ranks,
    max_token_bytes: usize,
}

impl BpeOpenai {
    fn new(tokenizer: &'static bpe_openai::Tokenizer, pattern: Pattern) -> BpeOpenai {
        let ranks = Ranks::new(&tokenizer.bpe);
        BpeOpenai {
            tokenizer,
            pattern,
            max_token_bytes: ranks.max_token_bytes,
            ranks,
        }
    }

    fn count_piece(&self, piece: &str) -> usize {
        let bytes = piece.as_bytes();
        if bytes.len() <= MERGE_MAX_BYTES {
            if self.ranks.get(bytes).is_some() {
                1
            } else {
                self.ranks.merge_count(bytes)
            }
        } else if bytes.len() <= self.max_token_bytes && self.ranks.get(bytes).is_some() {
            1
        } else {
            self.tokenizer.bpe.count(bytes)
        }
    }

    /// Splits `text` into the pieces of the encoding's pre-tokenizer.
    fn split<'a>(&self, text: &'a str) -> Pieces<'a> {
        Pieces::new(self.tokenizer, self.pattern, text)
    }

    fn count(&self, text: &str) -> usize {
        self.split(text).map(|piece| self.count_piece(piece)).sum()
    }
}

/// The longest piece, in bytes, that [`Ranks::merge_count`] counts.
///
/// The merge loop scans all parts once per merge, so its cost grows with the
/// square of the piece length; pieces of ordinary text are far shorter.
const MERGE_MAX_BYTES: usize = 64;

/// The rank of every token, looked up by its bytes.
///
/// The hash table stores only the 4-byte rank of each token and compares a
/// candidate's bytes with the token's bytes in the `bpe` crate's token list, so
/// the o200k_base table takes about 1.3 MiB. Its control bytes hold 7 bits of
/// each hash, so a lookup reads the token list only for a probable match. The
/// two-byte tokens, which the merge loop looks up most often, also sit in a
/// 256 KiB array indexed by their bytes. The earlier table keyed each token by
/// its packed bytes in 32-byte entries: it took 8.5 MiB more resident memory
/// and counted the awesome-chatgpt-prompts set in about 5 % less CPU time.
struct Ranks {
    table: HashTable<u32>,
    pairs: Box<[u32]>,
    bpe: &'static BytePairEncoding,
    max_token_bytes: usize,
}

impl Ranks {
    fn new(bpe: &'static BytePairEncoding) -> Ranks {
        let mut table = HashTable::with_capacity(bpe.num_tokens());
        let mut pairs = vec![u32::MAX; 1 << 16].into_boxed_slice();
        let mut max_token_bytes = 1;
        for rank in 0..bpe.num_tokens() as u32 {
            let bytes = bpe.token_bytes(rank);
            max_token_bytes = max_token_bytes.max(bytes.len());
            if let &[first, second] = bytes {
                pairs[pair_index(first, second)] = rank;
            }
            table.insert_unique(hash(bytes), rank, |&rank| hash(bpe.token_bytes(rank)));
        }
        Ranks {
            table,
            pairs,
            bpe,
            max_token_bytes,
        }
    }

    #[inline]
    fn get(&self, bytes: &[u8]) -> Option<u32> {
        if let &[first, second] = bytes {
            return self.pair_rank(first, second);
        }
        self.table
            .find(hash(bytes), |&rank| self.bpe.token_bytes(rank) == bytes)
            .copied()
    }

    /// Returns the rank of the two-byte token `[first, second]`.
    #[inline]
    fn pair_rank(&self, first: u8, second: u8) -> Option<u32> {
        let rank = self.pairs[pair_index(first, second)];
        (rank != u32::MAX).then_some(rank)
    }

    /// Counts the tokens of a piece of at most [`MERGE_MAX_BYTES`] bytes with tiktoken's merge loop.
    ///
    /// This is tiktoken's `_byte_pair_merge`, as vendored in tiktoken-rs 0.12.1
    /// (src/vendor_tiktoken.rs): start from single bytes, then merge
    /// the adjacent pair whose joined bytes have the lowest rank, the leftmost
    /// one on a tie, until no adjacent pair is a token. `parts[i]` holds the
    /// start of part `i` and the rank of parts `i` and `i + 1` joined.
    fn merge_count(&self, piece: &[u8]) -> usize {
        debug_assert!(piece.len() <= MERGE_MAX_BYTES);
        if piece.len() < 2 {
            return piece.len();
        }
        let mut parts = [(0u8, u32::MAX); MERGE_MAX_BYTES + 1];
        let mut len = piece.len() + 1;
        let mut min = (u32::MAX, usize::MAX);
        for i in 0..piece.len() - 1 {
            let rank = self.pairs[pair_index(piece[i], piece[i + 1])];
            if rank < min.0 {
                min = (rank, i);
            }
            parts[i] = (i as u8, rank);
        }
        parts[piece.len() - 1] = ((piece.len() - 1) as u8, u32::MAX);
        parts[piece.len()] = (piece.len() as u8, u32::MAX);

        let rank_at = |parts: &[(u8, u32)], len: usize, i: usize| {
            if i + 3 < len {
                let start = usize::from(parts[i].0);
                let end = usize::from(parts[i + 3].0);
                self.get(&piece[start..end]).unwrap_or(u32::MAX)
            } else {
                u32::MAX
            }
        };
        while min.0 != u32::MAX {
            let i = min.1;
            if i > 0 {
                parts[i - 1].1 = rank_at(&parts, len, i - 1);
            }
            parts[i].1 = rank_at(&parts, len, i);
            parts.copy_within(i + 2..len, i + 1);
            len -= 1;
            min = (u32::MAX, usize::MAX);
            for (i, &(_, rank)) in parts[..len - 1].iter().enumerate() {
                if rank < min.0 {
                    min = (rank, i);
                }
            }
        }
        len - 1
    }
}

#[inline]
fn pair_index(first: u8, second: u8) -> usize {
    usize::from(u16::from_le_bytes([first, second]))
}

/// Hashes a token's bytes: pieces of up to 16 bytes, the most common, as one `u128`.
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    if bytes.len() <= 16 {
        let mut buffer = [0u8; 16];
        buffer[..bytes.len()].copy_from_slice(bytes);
        hasher.write_u128(u128::from_le_bytes(buffer));
        hasher.write_u8(bytes.len() as u8);
    } else {
        hasher.write(bytes);
    }
    hasher.finish()
}

static CL100K: LazyLock<BpeOpenai> =
    LazyLock::new(|| BpeOpenai::new(bpe_openai::cl100k_base(), Pattern::Cl100k));
static O200K: LazyLock<BpeOpenai> =
    LazyLock::new(|| BpeOpenai::new(bpe_openai::o200k_base(), Pattern::O200k));

enum Backend {
    BpeOpenai(&'static BpeOpenai),
    Tiktoken(&'static Tiktoken),
}

fn backend(encoding: Encoding) -> Backend {
    match encoding {
        Encoding::Cl100kBase => Backend::BpeOpenai(&CL100K),
        Encoding::O200kBase | Encoding::O200kHarmony => Backend::BpeOpenai(&O200K),
        Encoding::P50kBase => Backend::Tiktoken(&P50K),
        Encoding::R50kBase => Backend::Tiktoken(&R50K),
    }
}

/// Counts the tokens of `text`, every character sequence counted as ordinary text.
pub(crate) fn count(encoding: Encoding, text: &str) -> usize {
    match backend(encoding) {
        Backend::BpeOpenai(bpe) => bpe.count(text),
        Backend::Tiktoken(tiktoken) => WhitespaceRuns::new(text)
            .map(|segment| tiktoken.bpe.count_ordinary(segment))
            .sum(),
    }
}

/// Encodes `text` to token ids, every character sequence encoded as ordinary text.
pub(crate) fn encode(encoding: Encoding, text: &str) -> Vec<u32> {
    match backend(encoding) {
        Backend::BpeOpenai(bpe) => bpe.tokenizer.encode(text),
        Backend::Tiktoken(tiktoken) => WhitespaceRuns::new(text)
            .flat_map(|segment| tiktoken.bpe.encode_ordinary(segment))
            .collect(),
    }
}

/// Returns the length in bytes of the encoding's longest token.
#[cfg(test)]
fn max_token_bytes(encoding: Encoding) -> usize {
    match backend(encoding) {
        Backend::BpeOpenai(bpe) => bpe.max_token_bytes,
        Backend::Tiktoken(tiktoken) => tiktoken.max_token_bytes,
    }
}

/// Counts `text` up to `limit` tokens: `Some(count)` when it fits, `None` once it cannot.
///
/// Every token covers at most `max_token_bytes` bytes, so a text (or piece) longer
/// than `limit * max_token_bytes` bytes has more than `limit` tokens and is rejected
/// without encoding it. Together with the early stop between pieces this bounds the
/// work by the limit, not by the length of the text.
pub(crate) fn count_until(encoding: Encoding, text: &str, limit: usize) -> Option<usize> {
    match backend(encoding) {
        Backend::BpeOpenai(bpe) => {
            count_until_pieces(bpe.split(text), limit, bpe.max_token_bytes, |piece| {
                bpe.count_piece(piece)
            })
        }
        Backend::Tiktoken(tiktoken) => count_until_pieces(
            SafeChunks::new(text, limit, tiktoken.max_token_bytes).flat_map(WhitespaceRuns::new),
            limit,
            tiktoken.max_token_bytes,
            |chunk| tiktoken.bpe.count_ordinary(chunk),
        ),
    }
}

fn count_until_pieces<'a>(
    pieces: impl Iterator<Item = &'a str>,
    limit: usize,
    max_token_bytes: usize,
    count_piece: impl Fn(&str) -> usize,
) -> Option<usize> {
    let mut consumed = 0usize;
    for piece in pieces {
        let remaining = limit - consumed;
        if piece.len().div_ceil(max_token_bytes) > remaining {
            return None;
        }
        consumed += count_piece(piece);
        if consumed > limit {
            return None;
        }
    }
    Some(consumed)
}

/// Splits a text into chunks whose token counts add up to the count of the whole text.
///
/// The r50k/p50k pre-tokenizer pattern (`'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++|
/// ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`) never puts a space after a non-space
/// character in the same piece, and a piece that starts with a space takes it only
/// as its first character. So a cut just before a space that has a non-space
/// character on each side falls on a piece boundary, and the regex matches the
/// same pieces on both sides of it. Chunks aim at a few bytes per remaining token
/// so that a text over the limit stops after about one chunk.
struct SafeChunks<'a> {
    rest: &'a str,
    limit: usize,
    max_token_bytes: usize,
    consumed_bytes: usize,
}

impl<'a> SafeChunks<'a> {
    fn new(text: &'a str, limit: usize, max_token_bytes: usize) -> SafeChunks<'a> {
        SafeChunks {
            rest: text,
            limit,
            max_token_bytes,
            consumed_bytes: 0,
        }
    }
}

const MIN_CHUNK_BYTES: usize = 4 * 1024;

impl<'a> Iterator for SafeChunks<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }

        // A chunk longer than this cannot fit the limit anyway, so the scan for a cut
        // stops there and the caller rejects the chunk by its length alone.
        // The extra bytes keep the chunk over that length after it is moved back to a
        // character boundary.
        let hard_end = self
            .limit
            .saturating_mul(self.max_token_bytes)
            .saturating_add(4)
            .min(self.rest.len());
        let target = self
            .limit
            .saturating_mul(4)
            .saturating_sub(self.consumed_bytes)
            .max(MIN_CHUNK_BYTES);
        let end = if self.rest.len() <= target {
            self.rest.len()
        } else {
            find_safe_cut(self.rest, target, hard_end.max(target)).unwrap_or(hard_end)
        };
        let end = floor_char_boundary(self.rest, end);
        let end = if end == 0 { self.rest.len() } else { end };

        let (chunk, rest) = self.rest.split_at(end);
        self.rest = rest;
        self.consumed_bytes += chunk.len();
        Some(chunk)
    }
}

/// The length in characters above which a whitespace run is cut out before tiktoken-rs encodes the text.
const LONG_WHITESPACE_CHARS: usize = 4096;

/// Splits a text so that no segment has a long whitespace run followed by other text.
///
/// tiktoken's pattern matches such a run with `\s+(?!\S)`, and the backtracking
/// regex engine of `tiktoken-rs` (fancy-regex) fails with a backtrack-limit error
/// on runs of several hundred thousand characters (tiktoken 0.14.0 fails the same
/// way on o200k_base). The pattern never joins a whitespace run to the text
/// before it, and it splits a run followed by other text before the run's last
/// character, so cuts at those two places leave the token count unchanged. A run
/// at the end of a segment is matched by `\s++$`, which does not backtrack.
struct WhitespaceRuns<'a> {
    rest: &'a str,
}

impl<'a> WhitespaceRuns<'a> {
    fn new(text: &'a str) -> WhitespaceRuns<'a> {
        WhitespaceRuns { rest: text }
    }
}

impl<'a> Iterator for WhitespaceRuns<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }

        let mut run_start = 0;
        let mut run_chars = 0;
        let mut last_whitespace = 0;
        let mut cut = self.rest.len();
        for (index, c) in self.rest.char_indices() {
            if c.is_whitespace() {
                if run_chars == 0 {
                    run_start = index;
                }
                run_chars += 1;
                last_whitespace = index;
                continue;
            }
            if run_chars > LONG_WHITESPACE_CHARS {
                cut = if run_start > 0 {
                    run_start
                } else {
                    last_whitespace
                };
                break;
            }
            run_chars = 0;
        }

        let (segment, rest) = self.rest.split_at(cut);
        self.rest = rest;
        Some(segment)
    }
}

/// Finds the first byte index in `from..to` that is a space with a non-space character on each side.
fn find_safe_cut(text: &str, from: usize, to: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let to = to.min(bytes.len().saturating_sub(1));
    (from.max(1)..to).find(|&index| {
        bytes[index] == b' '
            && text[..index]
                .chars()
                .next_back()
                .is_some_and(|c| !c.is_whitespace())
            && text[index + 1..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace())
    })
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_chunks_sum_to_whole_count() {
        let text = "Hello  world, it's 2024!\n\n  Ünïcödé\u{a0} text with\ttabs ".repeat(600);
        let whole = count(Encoding::R50kBase, &text);
        let chunks: Vec<&str> = SafeChunks::new(&text, 1_000, 128).collect();
        assert!(
            chunks.len() > 1,
            "expected several chunks, got {}",
            chunks.len()
        );
        assert_eq!(chunks.concat(), text);
        let chunked: usize = chunks
            .iter()
            .map(|chunk| count(Encoding::R50kBase, chunk))
            .sum();
        assert_eq!(chunked, whole);
    }

    #[test]
    fn whitespace_runs_keep_counts() {
        let long = " ".repeat(LONG_WHITESPACE_CHARS + 10);
        let text = format!("a{long}b{long}\n{long}c{long}");
        let segments: Vec<&str> = WhitespaceRuns::new(&text).collect();
        assert_eq!(segments.concat(), text);
        assert_eq!(
            segments.len(),
            5,
            "segment lengths {:?}",
            segments.iter().map(|s| s.len()).collect::<Vec<_>>()
        );
        for encoding in [Encoding::P50kBase, Encoding::R50kBase] {
            let reference = match encoding {
                Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
                _ => tiktoken_rs::r50k_base_singleton(),
            };
            assert_eq!(count(encoding, &text), reference.count_ordinary(&text));
        }
    }

    const PROMPTS_CSV: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/prompts/awesome-chatgpt-prompts.csv"
    );

    fn prompts() -> Vec<String> {
        let mut reader = csv::Reader::from_path(PROMPTS_CSV).expect("prompts CSV");
        let column = reader
            .headers()
            .expect("header row")
            .iter()
            .position(|name| name == "prompt")
            .expect("a `prompt` column");
        reader
            .records()
            .map(|record| record.expect("CSV record")[column].to_string())
            .collect()
    }

    fn bpe_openai_backends() -> [(&'static str, &'static BpeOpenai); 2] {
        [("o200k_base", &*O200K), ("cl100k_base", &*CL100K)]
    }

    /// Checks every piece of `text` against the `bpe` crate's own count.
    fn assert_pieces_match(text: &str) {
        for (name, backend) in bpe_openai_backends() {
            for piece in backend.tokenizer.split(text) {
                assert_eq!(
                    backend.count_piece(piece),
                    backend.tokenizer.bpe.count(piece.as_bytes()),
                    "{name}, piece of {} bytes",
                    piece.len()
                );
            }
        }
    }

    /// Checks that the hand-written split gives the `bpe-openai` regex split's pieces.
    fn assert_split_matches(text: &str) {
        for (name, backend) in bpe_openai_backends() {
            let expected: Vec<&str> = backend.tokenizer.split(text).collect();
            let actual: Vec<&str> = backend.split(text).collect();
            assert_eq!(actual, expected, "{name}");
        }
    }

    #[test]
    fn split_matches_regex_on_prompts() {
        let prompts = prompts();
        assert!(prompts.len() > 1_000, "{} prompts", prompts.len());
        for prompt in &prompts {
            assert_split_matches(prompt);
        }
        assert_split_matches(&prompts.join("\n\n"));
    }

    #[test]
    fn piece_counts_match_bpe_on_prompts() {
        let prompts = prompts();
        assert!(prompts.len() > 1_000, "{} prompts", prompts.len());
        for prompt in &prompts {
            assert_pieces_match(prompt);
        }
    }

    #[test]
    fn merge_count_matches_bpe_up_to_its_limit() {
        // Pieces the pre-tokenizer rarely produces but `count_piece` accepts.
        let samples = [
            "=".repeat(MERGE_MAX_BYTES),
            "ab".repeat(MERGE_MAX_BYTES / 2),
            "é".repeat(MERGE_MAX_BYTES / 2),
            "😀".repeat(MERGE_MAX_BYTES / 4),
            " unbelievably-long_identifier.with.dots/and/slashes1234567".to_string(),
        ];
        for sample in &samples {
            for end in 0..=sample.len() {
                let Some(piece) = sample.get(..end) else {
                    continue;
                };
                for (name, backend) in bpe_openai_backends() {
                    assert_eq!(
                        backend.count_piece(piece),
                        backend.tokenizer.bpe.count(piece.as_bytes()),
                        "{name}, {end} bytes of sample {sample:?}"
                    );
                }
            }
        }
    }

    mod properties {
        use super::super::super::split::ascii_piece;
        use super::*;
        use proptest::prelude::*;

        /// Text from the classes the pre-tokenizer patterns treat differently:
        /// ASCII and other whitespace, digits, contractions in both cases, upper
        /// and lower case letters, punctuation runs, control characters, accented,
        /// title case, modifier and CJK letters, letters that case-fold to ASCII
        /// (`ſ`, the Kelvin sign), combining marks, Arabic digits and emoji.
        fn tricky_text() -> impl Strategy<Value = String> {
            proptest::string::string_regex(
                "([a-z]{1,6}|[A-Z]{1,4}|[A-Za-z]{1,10}|[0-9]{1,7}|[ \\t\\n\\r\u{b}\u{c}\u{85}\u{a0}\u{2028}\u{3000}]{1,5}|[!?.,;:()/\\-_=*#\"'`]{1,6}|'s|'S|'ll|'LL|'re|'ve|'d|'m|'t|\u{1}|\u{7f}|\u{301}|é|É|ß|ſ|\u{212a}|ǅ|ʰ|中文|😀|👍🏽|١٢٣){0,48}",
            )
            .expect("valid strategy regex")
        }

        /// Text over a small alphabet, so that short sequences of the classes
        /// above, such as punctuation, a newline and a slash, occur often.
        fn dense_text() -> impl Strategy<Value = String> {
            proptest::string::string_regex(
                "[aAsSlLeEvV01 \\t\\n\\r'/!\u{85}\u{a0}éſ\u{212a}\u{301}😀]{0,32}",
            )
            .expect("valid strategy regex")
        }

        fn any_text() -> impl Strategy<Value = String> {
            prop_oneof![tricky_text(), dense_text()]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            /// The first piece of every suffix is the regex's or left to it, so
            /// the split agrees from any piece boundary on.
            #[test]
            fn first_piece_matches_regex_on_every_suffix(text in any_text()) {
                for (name, backend) in bpe_openai_backends() {
                    for (start, _) in text.char_indices() {
                        let rest = &text[start..];
                        let expected = backend.tokenizer.split(rest).next().map(str::len);
                        if let Some(length) = ascii_piece(backend.pattern, rest.as_bytes()) {
                            prop_assert_eq!(Some(length), expected, "{} at byte {}", name, start);
                        }
                    }
                }
            }

            #[test]
            fn split_matches_regex(text in any_text()) {
                for (name, backend) in bpe_openai_backends() {
                    let expected: Vec<&str> = backend.tokenizer.split(&text).collect();
                    let actual: Vec<&str> = backend.split(&text).collect();
                    prop_assert_eq!(actual, expected, "{}", name);
                }
            }

            #[test]
            fn piece_counts_match_bpe(text in any_text()) {
                for (name, backend) in bpe_openai_backends() {
                    for piece in backend.tokenizer.split(&text) {
                        prop_assert_eq!(
                            backend.count_piece(piece),
                            backend.tokenizer.bpe.count(piece.as_bytes()),
                            "{}", name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn max_token_bytes_is_positive() {
        for encoding in Encoding::ALL {
            assert!(max_token_bytes(encoding) >= 16, "{}", encoding.as_str());
        }
    }
}
