//! Start filters: for the detectors whose matches begin at or just before a
//! run of digits, the positions where a match could start.
//!
//! The scanner finds a text's digit runs once and gives each run to these
//! functions; the regex then runs anchored at the returned position. Each
//! function must return a position for every run that some match of its
//! detector's regex starts at, or the detector would miss that match. It may
//! return positions where no match starts, which only cost an anchored search.
//! Each returned position lies after the previous run's end, so the positions
//! come in text order.

use std::ops::Range;

/// Returns `true` for the bytes that `(?-u:\b)` counts as word characters.
fn word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Returns `true` when `(?-u:\b)` matches before the digit run starting at `start`.
fn boundary_before(bytes: &[u8], start: usize) -> bool {
    start == 0 || !word_byte(bytes[start - 1])
}

fn byte_after(bytes: &[u8], run: &Range<usize>) -> Option<u8> {
    bytes.get(run.end).copied()
}

/// Returns `true` when `run` is followed by one of `separators` and then a digit.
fn separator_then_digit(bytes: &[u8], run: &Range<usize>, separators: &[u8]) -> bool {
    byte_after(bytes, run).is_some_and(|b| separators.contains(&b))
        && bytes.get(run.end + 1).is_some_and(u8::is_ascii_digit)
}

/// Counts the digits from the start of `run` through the runs that follow it,
/// each after one space or `-`, stopping once `enough` are counted.
fn chained_digits(bytes: &[u8], run: &Range<usize>, enough: usize) -> usize {
    let mut count = run.len();
    let mut at = run.end;
    while count < enough && separator_then_digit(bytes, &(at..at), b" -") {
        let next = at + 1;
        let len = bytes[next..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        count += len;
        at = next + len;
    }
    count
}

/// Returns where a US phone number can start near `run`. `(415) 555-0132`
/// starts at the `(` before 3 digits closed by `)`. `415-555-0132` and
/// `415.555.0132` start at 3 digits followed by `-` or `.` and a digit.
pub(crate) fn us_phone(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    if run.len() != 3 {
        return None;
    }
    let after = byte_after(bytes, &run);
    let parenthesized = run.start > 0 && bytes[run.start - 1] == b'(' && after == Some(b')');
    if parenthesized {
        return Some(run.start - 1);
    }
    let separated = separator_then_digit(bytes, &run, b"-.");
    (separated && boundary_before(bytes, run.start)).then_some(run.start)
}

/// Returns where a national phone number with separators can start near
/// `run`: at a first group of 2 to 6 digits followed by a space, `/` or `-`
/// and a digit (`020 7946 0958`, `98765 43210`), or at the `(` of Brazil's
/// `(11)` area code.
pub(crate) fn national_phone(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    let after = byte_after(bytes, &run);
    let area_code = run.len() == 2 && run.start > 0 && bytes[run.start - 1] == b'(';
    if area_code && after == Some(b')') {
        return Some(run.start - 1);
    }
    let first_group = (2..=6).contains(&run.len()) && separator_then_digit(bytes, &run, b" /-");
    (first_group && boundary_before(bytes, run.start)).then_some(run.start)
}

/// Returns the start of `run` when it can be a national phone number without
/// separators: 10 to 12 digits.
pub(crate) fn unseparated_phone(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    ((10..=12).contains(&run.len()) && boundary_before(bytes, run.start)).then_some(run.start)
}

/// Returns the start of `run` when a US Social Security number can start
/// there: 3 digits followed by `-` and a digit.
pub(crate) fn us_ssn(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    let dash_follows = separator_then_digit(bytes, &run, b"-");
    (run.len() == 3 && dash_follows && boundary_before(bytes, run.start)).then_some(run.start)
}

/// Returns the start of `run` when a card number can start there: 12 or more
/// digits in it and the runs that follow it after single spaces or dashes.
pub(crate) fn card(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    let enough = boundary_before(bytes, run.start) && chained_digits(bytes, &run, 12) >= 12;
    enough.then_some(run.start)
}

/// Returns the start of `run` when an IPv4 address can start there: 1 to 3
/// digits followed by `.` and a digit.
pub(crate) fn ipv4(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    let dot_follows = separator_then_digit(bytes, &run, b".");
    (run.len() <= 3 && dot_follows && boundary_before(bytes, run.start)).then_some(run.start)
}

/// Returns where an IBAN can start near `run`: at the two letters of the
/// country code right before at least 2 digits (the check digits and maybe
/// the start of the account number).
pub(crate) fn iban(bytes: &[u8], run: Range<usize>) -> Option<usize> {
    let start = run.start.checked_sub(2)?;
    let country = bytes[start..run.start].iter().all(u8::is_ascii_alphabetic);
    (run.len() >= 2 && country && boundary_before(bytes, start)).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `filter` on the first digit run of `text`.
    fn first_run(filter: fn(&[u8], Range<usize>) -> Option<usize>, text: &str) -> Option<usize> {
        let bytes = text.as_bytes();
        let start = bytes.iter().position(u8::is_ascii_digit)?;
        let len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        filter(bytes, start..start + len)
    }

    #[test]
    fn start_filter_cases() {
        type Filter = fn(&[u8], Range<usize>) -> Option<usize>;
        let cases: &[(&str, Filter, &str, Option<usize>)] = &[
            ("us parenthesized", us_phone, "call (415) 555-0132", Some(5)),
            ("us dashed", us_phone, "call 415-555-0132", Some(5)),
            ("us glued to a word", us_phone, "x415-555-0132", None),
            ("us four digits", us_phone, "4155-555-0132", None),
            (
                "national grouped",
                national_phone,
                "tel 020 7946 0958",
                Some(4),
            ),
            ("national slash", national_phone, "089/1234567", Some(0)),
            (
                "national brazil",
                national_phone,
                "(11) 98765-4321",
                Some(0),
            ),
            ("national no separator", national_phone, "02079460958", None),
            ("unseparated", unseparated_phone, "tel 02079460958", Some(4)),
            (
                "unseparated short",
                unseparated_phone,
                "tel 020794609",
                None,
            ),
            ("ssn", us_ssn, "ssn 123-45-6789", Some(4)),
            ("ssn in a word", us_ssn, "a123-45-6789", None),
            ("card whole", card, "4111111111111111", Some(0)),
            ("card grouped", card, "4111 1111 1111 1111", Some(0)),
            ("card short", card, "4111 and", None),
            ("card eleven digits", card, "4111 1111 111 x", None),
            ("card twelve digits", card, "4111 1111-1111 x", Some(0)),
            ("ipv4", ipv4, "host 10.0.0.1", Some(5)),
            ("ipv4 long run", ipv4, "1000.0.0.1", None),
            ("iban", iban, "iban DE89370400440532013000", Some(5)),
            ("iban in a word", iban, "xDE89370400440532013000", None),
            ("iban one letter", iban, " E89370400440532013000", None),
        ];
        for &(name, filter, text, expected) in cases {
            assert_eq!(first_run(filter, text), expected, "{name}");
        }
    }
}
