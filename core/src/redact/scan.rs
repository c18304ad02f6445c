//! Finding candidates: the keyword prefilter, the regex search with validator
//! retries, and the overlap rule.

use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

use super::Operator;
use super::detectors::{DetectorSpec, Start};
use crate::error::{Error, Result};

/// How many shorter candidates one start position may try after its longest
/// match was rejected. Real values need few: a grouped card number can end at
/// one of at most 4 group boundaries, an email at one of its 10 domain labels.
/// The cap bounds the work on a hostile run of token characters to this many
/// passes over it.
const MAX_SHORTER_TRIES: usize = 16;

/// A value accepted by its detector's validator, before the overlap rule.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Index into [`Scanner::detectors`].
    pub detector: usize,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
}

/// The enabled detectors, compiled once.
pub(crate) struct Scanner {
    pub detectors: Vec<Compiled>,
    /// The keywords of more than one byte, in one automaton, when there are any.
    /// A single-byte keyword such as `@` in the same automaton as `sk-` would
    /// force the automaton onto a one-byte fingerprint, and then every `s` of
    /// the text becomes a candidate to verify.
    prefilters: Vec<KeywordSet>,
    /// The single-byte keywords (`@`, `.`, `:`), each with the detectors it
    /// triggers. Each is one byte search over the text that stops at the first
    /// occurrence. In an automaton, a frequent byte such as `.` would restart
    /// the search at every occurrence until the rare `@` was found.
    single_bytes: Vec<(u8, Vec<usize>)>,
    /// Detectors without keywords, which run on every text that has their `min_digits`.
    unfiltered: Vec<usize>,
}

/// Keywords compiled into one automaton.
struct KeywordSet {
    automaton: AhoCorasick,
    /// For each pattern id, the detectors that listed that keyword or a keyword
    /// that is a prefix of it.
    owners: Vec<Vec<usize>>,
    /// Every detector in `owners`, once.
    detectors: Vec<usize>,
}

/// One enabled detector: a built-in one or a policy's pattern or term list.
pub(crate) struct Compiled {
    /// The name that `[redaction.operators]` and block errors use: the
    /// built-in group (`email`, `secrets`) or the policy's pattern name.
    pub group: String,
    /// The finding kind and placeholder label.
    pub kind: String,
    /// For secrets, the vendor.
    pub vendor: Option<String>,
    /// The operator for this detector's findings.
    pub operator: Operator,
    /// Breaks ties in the overlap rule; lower wins.
    pub priority: u8,
    min_digits: usize,
    validator: Option<fn(&str, std::ops::Range<usize>) -> bool>,
    matcher: Matcher,
    /// The positions a match can start at. Anything but [`Start::Anywhere`]
    /// needs a [`Matcher::Regex`].
    start: Start,
}

/// How a detector finds candidates.
pub(crate) enum Matcher {
    /// Every match of the regex is a candidate.
    Regex(Regex),
    /// Every occurrence of a term is a candidate; with `whole_word`, only
    /// occurrences not glued to a letter, digit or `_` on either side.
    Terms {
        automaton: AhoCorasick,
        whole_word: bool,
    },
    /// A gitleaks rule, which runs its own keyword check, entropy threshold and allowlists.
    Gitleaks(Box<super::gitleaks::Rule>),
}

/// A detector to compile: its metadata, its matcher and its prefilter keywords.
pub(crate) struct Definition {
    pub group: String,
    pub kind: String,
    pub vendor: Option<String>,
    pub operator: Operator,
    pub priority: u8,
    pub min_digits: usize,
    pub keywords: &'static [&'static str],
    pub validator: Option<fn(&str, std::ops::Range<usize>) -> bool>,
    pub matcher: Matcher,
    pub start: Start,
}

impl Definition {
    /// Compiles a built-in detector with the operator the policy chose for it.
    pub fn built_in(spec: &'static DetectorSpec, operator: Operator) -> Result<Definition> {
        let regex = Regex::new(spec.pattern).map_err(|error| {
            Error::invalid_policy(format!(
                "built-in detector `{}` has an invalid regex: {error}",
                spec.group
            ))
        })?;
        Ok(Definition {
            group: spec.group.to_string(),
            kind: spec.kind.to_string(),
            vendor: spec.vendor.map(str::to_string),
            operator,
            priority: spec.priority,
            min_digits: spec.min_digits,
            keywords: spec.keywords,
            validator: spec.validator,
            matcher: Matcher::Regex(regex),
            start: spec.start,
        })
    }
}

impl Scanner {
    /// Builds the keyword automata over compiled detector `definitions`.
    pub fn new(definitions: Vec<Definition>) -> Result<Scanner> {
        let mut detectors = Vec::with_capacity(definitions.len());
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_owners: Vec<Vec<usize>> = Vec::new();
        let mut unfiltered = Vec::new();

        for (index, definition) in definitions.into_iter().enumerate() {
            let spec_keywords = definition.keywords;
            detectors.push(Compiled {
                group: definition.group,
                kind: definition.kind,
                vendor: definition.vendor,
                operator: definition.operator,
                priority: definition.priority,
                min_digits: definition.min_digits,
                validator: definition.validator,
                matcher: definition.matcher,
                start: definition.start,
            });

            if spec_keywords.is_empty() {
                unfiltered.push(index);
            }
            // Keywords shared by several detectors become one automaton pattern.
            for keyword in spec_keywords {
                match keywords.iter().position(|k| k == keyword) {
                    Some(id) => keyword_owners[id].push(index),
                    None => {
                        keywords.push(keyword.to_string());
                        keyword_owners.push(vec![index]);
                    }
                }
            }
        }

        // A keyword that occurs at a position implies that its prefixes occur
        // there too, so a hit on `sk-ant-` also runs the detectors keyed on `sk-`.
        let direct_owners = keyword_owners.clone();
        for (id, keyword) in keywords.iter().enumerate() {
            for (other, prefix) in keywords.iter().enumerate() {
                if other != id && keyword.starts_with(prefix.as_str()) {
                    keyword_owners[id].extend(&direct_owners[other]);
                }
            }
            keyword_owners[id].sort_unstable();
            keyword_owners[id].dedup();
        }

        let mut prefilters = Vec::new();
        let single_bytes: Vec<(u8, Vec<usize>)> = keywords
            .iter()
            .zip(&keyword_owners)
            .filter(|(keyword, _)| keyword.len() == 1)
            .map(|(keyword, owners)| (keyword.as_bytes()[0], owners.clone()))
            .collect();
        if keywords.iter().any(|keyword| keyword.len() > 1) {
            let (subset, owners): (Vec<&String>, Vec<Vec<usize>>) = keywords
                .iter()
                .zip(&keyword_owners)
                .filter(|(keyword, _)| keyword.len() > 1)
                .map(|(keyword, owners)| (keyword, owners.clone()))
                .unzip();

            // Leftmost-longest, so that the hit at a position is the longest
            // keyword there and the owner lists above cover all the others.
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&subset)
                .map_err(|error| {
                    Error::invalid_policy(format!(
                        "redaction keywords could not be compiled: {error}"
                    ))
                })?;
            let mut detectors: Vec<usize> = owners.iter().flatten().copied().collect();
            detectors.sort_unstable();
            detectors.dedup();
            prefilters.push(KeywordSet {
                automaton,
                owners,
                detectors,
            });
        }

        Ok(Scanner {
            detectors,
            prefilters,
            single_bytes,
            unfiltered,
        })
    }

    /// Returns the findings in `text` after the overlap rule, in text order.
    pub fn scan(&self, text: &str) -> Vec<Candidate> {
        let triggered = self.triggered(text);
        // Texts with findings mostly have a few; starting at 16 spares the first regrowths.
        let mut found = Vec::with_capacity(16);
        let mut digits: Option<DigitRuns> = None;
        for (index, run) in triggered.iter().enumerate() {
            if !*run {
                continue;
            }
            let detector = &self.detectors[index];
            let needs_runs =
                detector.min_digits > 0 || matches!(detector.start, Start::DigitRun(_));
            if needs_runs {
                let runs = digits.get_or_insert_with(|| DigitRuns::new(text));
                if runs.count < detector.min_digits {
                    continue;
                }
            }
            self.search(index, text, digits.as_ref(), &mut found);
        }
        resolve_overlaps(&self.detectors, found)
    }

    /// Marks the detectors whose keywords occur in `text`, stopping the scans
    /// once every detector is marked.
    ///
    /// Each search restarts one byte after the start of the previous hit
    /// rather than after its end, so no keyword occurrence is skipped, and it
    /// keeps the automaton's fast prefilter, which overlapping search cannot use.
    fn triggered(&self, text: &str) -> Vec<bool> {
        let mut triggered = vec![false; self.detectors.len()];
        for &index in &self.unfiltered {
            triggered[index] = true;
        }
        for (byte, owners) in &self.single_bytes {
            if owners.iter().any(|&index| !triggered[index]) && text.as_bytes().contains(byte) {
                for &index in owners {
                    triggered[index] = true;
                }
            }
        }

        for prefilter in &self.prefilters {
            // Only this automaton's own detectors count, so the search stops
            // once they are all marked.
            let mut remaining = prefilter
                .detectors
                .iter()
                .filter(|&&index| !triggered[index])
                .count();
            let mut at = 0;
            while remaining > 0 && at < text.len() {
                let input = aho_corasick::Input::new(text).span(at..text.len());
                let Some(hit) = prefilter.automaton.find(input) else {
                    break;
                };
                for &index in &prefilter.owners[hit.pattern().as_usize()] {
                    if !triggered[index] {
                        triggered[index] = true;
                        remaining -= 1;
                    }
                }
                at = hit.start() + 1;
            }
        }
        triggered
    }

    /// Appends the validated, non-overlapping matches of one detector.
    ///
    /// When the validator rejects a match, shorter matches at the same start are
    /// tried, longest first, and then the search resumes one character later, so
    /// a valid value inside a rejected one is still found.
    fn search(
        &self,
        index: usize,
        text: &str,
        digits: Option<&DigitRuns>,
        found: &mut Vec<Candidate>,
    ) {
        let detector = &self.detectors[index];
        let regex = match &detector.matcher {
            Matcher::Regex(regex) => regex,
            Matcher::Terms {
                automaton,
                whole_word,
            } => {
                for hit in automaton.find_iter(text) {
                    if !*whole_word || is_whole_word(text, hit.start(), hit.end()) {
                        found.push(Candidate {
                            detector: index,
                            start: hit.start(),
                            end: hit.end(),
                        });
                    }
                }
                return;
            }
            Matcher::Gitleaks(rule) => {
                let mut spans = Vec::new();
                rule.find(text, &mut spans);
                found.extend(spans.into_iter().map(|(start, end)| Candidate {
                    detector: index,
                    start,
                    end,
                }));
                return;
            }
        };

        let bytes = text.as_bytes();
        match detector.start {
            Start::Anywhere => {}
            Start::DigitRun(filter) => {
                let runs = digits.map_or(&[][..], |digits| digits.runs.as_slice());
                let starts = runs.iter().filter_map(|run| filter(bytes, run.clone()));
                self.search_anchored(index, regex, text, starts, found);
                return;
            }
            Start::HexGroupBeforeColon => {
                let starts = text
                    .match_indices(':')
                    .filter_map(|(colon, _)| hex_group_start(bytes, colon));
                self.search_anchored(index, regex, text, starts, found);
                return;
            }
        }

        let mut at = 0;
        while at <= text.len() {
            let input = Input::new(text).span(at..text.len());
            let Some(matched) = regex.search(&input) else {
                break;
            };
            at = self.push_valid(index, text, matched.start(), matched.end(), found);
        }
    }

    /// Validates the match of one detector at `start..matched_end`, appends
    /// its longest valid prefix, and returns where the search resumes.
    fn push_valid(
        &self,
        index: usize,
        text: &str,
        start: usize,
        matched_end: usize,
        found: &mut Vec<Candidate>,
    ) -> usize {
        match self.detectors[index].longest_valid(text, start, matched_end) {
            Some(end) => {
                found.push(Candidate {
                    detector: index,
                    start,
                    end,
                });
                if end > start {
                    end
                } else {
                    next_char_boundary(text, start)
                }
            }
            None => next_char_boundary(text, start),
        }
    }

    /// Appends the validated, non-overlapping matches of one detector that
    /// start at one of `starts` (in ascending order). It finds the same
    /// matches as the unanchored search in [`Scanner::search`] when `starts`
    /// contains every position where a match can start.
    fn search_anchored(
        &self,
        index: usize,
        regex: &Regex,
        text: &str,
        starts: impl Iterator<Item = usize>,
        found: &mut Vec<Candidate>,
    ) {
        let mut at = 0;
        for start in starts {
            if start < at {
                continue;
            }
            // The span starts at `start`, but look-behind assertions still
            // see the byte before it, so `\b` keeps its meaning.
            let input = Input::new(text)
                .span(start..text.len())
                .anchored(Anchored::Yes);
            let Some(matched) = regex.search(&input) else {
                continue;
            };
            at = self.push_valid(index, text, start, matched.end(), found);
        }
    }
}

impl Compiled {
    /// Returns the end of the longest match starting at `start` that the
    /// validator accepts, trying at most [`MAX_SHORTER_TRIES`] shorter ones.
    fn longest_valid(&self, text: &str, start: usize, end: usize) -> Option<usize> {
        let Some(validator) = self.validator else {
            return Some(end);
        };
        let regex = match &self.matcher {
            Matcher::Regex(regex) => regex,
            _ => return Some(end),
        };
        let mut end = end;
        for _ in 0..=MAX_SHORTER_TRIES {
            if validator(text, start..end) {
                return Some(end);
            }
            if end <= start {
                return None;
            }

            // The span ends one character earlier, but look-around assertions
            // still see the bytes after it, so `\b` keeps its meaning.
            let shorter = Input::new(text)
                .span(start..previous_char_boundary(text, end))
                .anchored(Anchored::Yes);
            match regex.search(&shorter) {
                Some(matched) if matched.end() > start && matched.end() < end => {
                    end = matched.end();
                }
                _ => return None,
            }
        }
        None
    }
}

/// Keeps one finding per region. Candidates are sorted by earliest start, then
/// longest, then detector priority (lower first), then table order. A walk over
/// that list drops every candidate that starts before the end of the last one kept.
pub(crate) fn resolve_overlaps(
    detectors: &[Compiled],
    mut found: Vec<Candidate>,
) -> Vec<Candidate> {
    if found.len() < 2 {
        return found;
    }
    found.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(
                detectors[a.detector]
                    .priority
                    .cmp(&detectors[b.detector].priority),
            )
            .then(a.detector.cmp(&b.detector))
    });

    // Keep a candidate unless it starts before the end of the last one kept.
    let mut kept_end = None;
    found.retain(|candidate| {
        let overlaps = kept_end.is_some_and(|end| candidate.start < end);
        if !overlaps {
            kept_end = Some(candidate.end);
        }
        !overlaps
    });
    found
}

/// Returns `true` when the characters on both sides of `start..end` are not
/// letters, digits or `_`.
fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..start].chars().next_back().is_some_and(word);
    let after = text[end..].chars().next().is_some_and(word);
    !before && !after
}

/// The maximal runs of ASCII digits in a text, and their total length.
pub(crate) struct DigitRuns {
    runs: Vec<Range<usize>>,
    count: usize,
}

impl DigitRuns {
    /// Finds the digit runs of `text`, 64 bytes at a time.
    ///
    /// Each block becomes a bit mask of its digit bytes, which the compiler
    /// builds with vector instructions. Comparing the mask with itself shifted
    /// by one byte marks where runs start and end, so the work per block is one
    /// step per run boundary, not one per byte.
    fn new(text: &str) -> DigitRuns {
        const BLOCK: usize = 64;
        let bytes = text.as_bytes();
        // DigitRuns is built only for texts that contain a digit keyword, which
        // usually hold several runs (a phone number alone has up to four).
        let mut runs = Vec::with_capacity(32);
        let mut count = 0;
        let mut run_start = None;

        for (block_index, block) in bytes.chunks(BLOCK).enumerate() {
            let offset = block_index * BLOCK;
            let digits = digit_mask(block);
            // Bit i of `before` is set when the byte before byte i is a digit.
            let before = (digits << 1) | u64::from(run_start.is_some());
            let mut starts = digits & !before;
            // A run that reaches the end of a short last block ends at bit
            // `block.len()`, which is the end of the text.
            let mut ends = !digits & before;
            if block.len() < BLOCK {
                ends &= u64::MAX >> (BLOCK - 1 - block.len());
            }
            while starts | ends != 0 {
                let bit = (starts | ends).trailing_zeros() as usize;
                let position = offset + bit;
                if ends & (1 << bit) != 0 {
                    let start: usize = run_start.take().unwrap_or(position);
                    count += position - start;
                    runs.push(start..position);
                    ends &= ends - 1;
                } else {
                    run_start = Some(position);
                    starts &= starts - 1;
                }
            }
        }
        if let Some(start) = run_start {
            count += bytes.len() - start;
            runs.push(start..bytes.len());
        }
        DigitRuns { runs, count }
    }
}

/// Returns a mask with bit i set when `block[i]` is an ASCII digit, for a
/// block of at most 64 bytes.
fn digit_mask(block: &[u8]) -> u64 {
    let mut mask = 0;
    let mut words = block.chunks_exact(8);
    for (i, word) in words.by_ref().enumerate() {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        mask |= u64::from(digit_bits(word)) << (8 * i);
    }
    let tail = words.remainder();
    let done = block.len() - tail.len();
    for (i, &b) in tail.iter().enumerate() {
        mask |= u64::from(is_digit(b)) << (done + i);
    }
    mask
}

/// Returns a byte with bit i set when byte i of `word` (little-endian) is an
/// ASCII digit, with a few integer operations for all eight bytes.
fn digit_bits(word: u64) -> u8 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // With the top bit of each byte cleared, adding 0x50 sets it for bytes of
    // at least `0` (0x30) and adding 0x46 for bytes of at least `:` (0x3a),
    // and no sum carries into the next byte.
    let low = word & LOW7;
    let at_least_zero = low + 0x5050_5050_5050_5050;
    let past_nine = low + 0x4646_4646_4646_4646;
    let digits = at_least_zero & !past_nine & !word & HIGH;
    // Gather the eight top bits into one byte.
    ((digits >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

fn is_digit(byte: u8) -> bool {
    byte.wrapping_sub(b'0') < 10
}

/// Returns the start of the 1 to 4 hex digits that end at the `:` at
/// `colon`, when a non-word byte (or the start of the text) precedes them.
fn hex_group_start(bytes: &[u8], colon: usize) -> Option<usize> {
    let group = bytes[..colon]
        .iter()
        .rev()
        .take(5)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    let start = colon - group;
    let boundary =
        start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
    ((1..=4).contains(&group) && boundary).then_some(start)
}

fn next_char_boundary(text: &str, index: usize) -> usize {
    let mut next = index + 1;
    while next < text.len() && !text.is_char_boundary(next) {
        next += 1;
    }
    next
}

fn previous_char_boundary(text: &str, index: usize) -> usize {
    let mut previous = index.saturating_sub(1);
    while previous > 0 && !text.is_char_boundary(previous) {
        previous -= 1;
    }
    previous
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Finds digit runs one byte at a time, as the reference for [`DigitRuns::new`].
    fn digit_runs_bytewise(text: &str) -> Vec<Range<usize>> {
        let mut runs = Vec::new();
        let mut run_start = None;
        for (i, &b) in text.as_bytes().iter().enumerate() {
            match (b.is_ascii_digit(), run_start) {
                (true, None) => run_start = Some(i),
                (false, Some(start)) => {
                    runs.push(start..i);
                    run_start = None;
                }
                _ => {}
            }
        }
        if let Some(start) = run_start {
            runs.push(start..text.len());
        }
        runs
    }

    proptest! {
        #[test]
        fn digit_runs_match_bytewise_scan(text in "[0-9a :/é😀ٳ]{0,200}") {
            let runs = DigitRuns::new(&text);
            let expected = digit_runs_bytewise(&text);
            prop_assert_eq!(runs.count, expected.iter().map(|run| run.len()).sum::<usize>());
            prop_assert_eq!(runs.runs, expected);
        }
    }

    #[test]
    fn digit_runs_cross_block_boundaries() {
        for length in [63, 64, 65, 127, 128, 129] {
            for split in [0, 1, 62, 63, 64, 65] {
                let text: String = (0..length)
                    .map(|i| if i < split || i % 7 == 3 { 'x' } else { '5' })
                    .collect();
                let runs = DigitRuns::new(&text);
                assert_eq!(
                    runs.runs,
                    digit_runs_bytewise(&text),
                    "length {length}, split {split}"
                );
            }
        }
    }

    const fn spec(
        pattern: &'static str,
        keywords: &'static [&'static str],
        priority: u8,
    ) -> DetectorSpec {
        DetectorSpec {
            group: "test",
            kind: "test",
            vendor: None,
            pattern,
            keywords,
            min_digits: 0,
            validator: None,
            priority,
            start: Start::Anywhere,
        }
    }

    static SHORT: DetectorSpec = spec("ab", &["ab"], 1);
    static LONG: DetectorSpec = spec("abc", &["abc"], 1);
    static TAIL: DetectorSpec = spec("cde", &["cde"], 0);
    static ALWAYS: DetectorSpec = spec("zz", &[], 0);

    fn scanner(specs: &[&'static DetectorSpec]) -> Scanner {
        let definitions = specs
            .iter()
            .map(|spec| Definition::built_in(spec, Operator::Placeholder).unwrap())
            .collect();
        Scanner::new(definitions).unwrap()
    }

    #[test]
    fn prefix_keyword_triggers_under_longer_hit() {
        let scanner = scanner(&[&SHORT, &LONG]);
        assert_eq!(scanner.triggered("xabcx"), [true, true]);
        assert_eq!(scanner.triggered("xabx"), [true, false]);
    }

    #[test]
    fn overlapping_keywords_both_trigger() {
        let scanner = scanner(&[&LONG, &TAIL]);
        assert_eq!(scanner.triggered("abcde"), [true, true]);
        assert_eq!(scanner.triggered("abxde"), [false, false]);
    }

    static AT: DetectorSpec = spec("@", &["@"], 0);

    #[test]
    fn single_byte_keywords_trigger() {
        let scanner = scanner(&[&AT, &LONG]);
        assert_eq!(scanner.prefilters.len(), 1);
        assert_eq!(scanner.single_bytes.len(), 1);
        assert_eq!(scanner.triggered("x@y abc"), [true, true]);
        assert_eq!(scanner.triggered("x@y"), [true, false]);
        assert_eq!(scanner.triggered("abc"), [false, true]);
    }

    #[test]
    fn detector_without_keywords_always_runs() {
        let scanner = scanner(&[&LONG, &ALWAYS]);
        assert_eq!(scanner.triggered("nothing"), [false, true]);
    }

    #[test]
    fn overlap_rule_earliest_then_longest_then_priority() {
        let scanner = scanner(&[&SHORT, &LONG, &TAIL]);
        let found = |start, end, detector| Candidate {
            detector,
            start,
            end,
        };

        // `abc` and `ab` start together: the longer wins; `cde` starts inside it.
        let kept = resolve_overlaps(
            &scanner.detectors,
            vec![found(2, 5, 2), found(0, 2, 0), found(0, 3, 1)],
        );
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].start, kept[0].end, kept[0].detector), (0, 3, 1));

        // Same start and length: the lower priority value wins over table order.
        let kept = resolve_overlaps(&scanner.detectors, vec![found(0, 3, 0), found(0, 3, 2)]);
        assert_eq!(kept[0].detector, 2);

        // Adjacent findings do not overlap.
        let kept = resolve_overlaps(&scanner.detectors, vec![found(3, 5, 0), found(0, 3, 1)]);
        assert_eq!(kept.len(), 2);
    }

    /// Scans `text` with one built-in detector, starting as its table entry
    /// sets or, with `anywhere`, with the unanchored search.
    fn scan_one(spec: &'static DetectorSpec, anywhere: bool, text: &str) -> Vec<(usize, usize)> {
        let mut definition = Definition::built_in(spec, Operator::Placeholder).unwrap();
        if anywhere {
            definition.start = Start::Anywhere;
        }
        let scanner = Scanner::new(vec![definition]).unwrap();
        scanner
            .scan(text)
            .iter()
            .map(|found| (found.start, found.end))
            .collect()
    }

    #[test]
    fn anchored_starts_find_what_search_finds() {
        let mut texts: Vec<String> = [
            "call (415) 555-0132 or 415-555-0132, fax 415.555.0132",
            "020 7946 0958, 089/1234567, (11) 98765-4321, 98765 43210",
            "tel 02079460958; phone: 4155550132; 1-415-555-0132",
            "ssn 123-45-6789 and 0123-45-6789 and x123-45-6789",
            "cards 4111 1111 1111 1111, 4111111111111111, 3782 822463 10005",
            "2221 0000 0000 0009 then 12 34 56 78 90 12 34",
            "iban DE89370400440532013000 please. GB82 WEST 1234 5698 7654 32",
            "hosts 10.0.0.1:8080 and 192.168.1.300 and 1.2.3.4.5",
            "v6 2001:db8::1, fe80::1%eth0, add:beef:: and a:b:c:d:e:f:0:1",
            "std::fmt, Foo::bar, 12:30:45, dead:beef, 8046-1297901ea002",
            "ａ1２3 カード4111111111111111 und 030 1234567.",
        ]
        .iter()
        .map(|text| text.to_string())
        .collect();
        let corpus = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/redaction/dev.jsonl"
        );
        let jsonl = std::fs::read_to_string(corpus).expect("the labeled corpus is readable");
        for line in jsonl.lines() {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            texts.push(row["text"].as_str().unwrap().to_string());
        }

        let anchored = super::super::detectors::DETECTORS
            .iter()
            .filter(|spec| !matches!(spec.start, Start::Anywhere));
        let mut checked = 0;
        for spec in anchored {
            for text in &texts {
                let expected = scan_one(spec, true, text);
                assert_eq!(
                    scan_one(spec, false, text),
                    expected,
                    "{} on a text of {} bytes",
                    spec.pattern,
                    text.len()
                );
                checked += expected.len();
            }
        }
        assert!(checked > 20, "only {checked} findings were compared");
    }
}
