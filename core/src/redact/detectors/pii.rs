//! Validators for the personal data detectors: phone numbers, IBANs, US
//! Social Security numbers, IP addresses and URLs with credentials.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// Returns `true` when the byte before `start` could continue a number or a
/// word (a letter, digit, `_` or `+`, or a `-`, `.` or `/` after a letter or digit), so a
/// match there is a fragment of a longer token such as a GUID, a date or a
/// version string.
fn glued_before(text: &str, start: usize) -> bool {
    let bytes = text.as_bytes();
    let Some(&previous) = start.checked_sub(1).and_then(|i| bytes.get(i)) else {
        return false;
    };
    if previous.is_ascii_alphanumeric() || previous == b'_' || previous == b'+' {
        return true;
    }
    let before_that = start.checked_sub(2).and_then(|i| bytes.get(i));
    matches!(previous, b'-' | b'.' | b'/') && before_that.is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Returns `true` when the bytes after `end` continue the token: a letter,
/// digit or `_`, or a `-`, `.`, `/` or `:` followed by a letter or digit.
fn glued_after(text: &str, end: usize) -> bool {
    let bytes = text.as_bytes();
    let Some(&next) = bytes.get(end) else {
        return false;
    };
    if next.is_ascii_alphanumeric() || next == b'_' {
        return true;
    }
    matches!(next, b'-' | b'.' | b'/' | b':')
        && bytes
            .get(end + 1)
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Returns `true` when `start` follows one space or dash after a group of
/// digits and upper-case letters that holds a digit, so the candidate
/// continues a grouped number such as a printed IBAN (`DE78 4488 0290 …`) or
/// card number. A country label such as `DE 030 …` has no digit and does not count.
fn continues_grouped_number(text: &str, start: usize) -> bool {
    let bytes = &text.as_bytes()[..start];
    let Some((&separator, before)) = bytes.split_last() else {
        return false;
    };
    if separator != b' ' && separator != b'-' {
        return false;
    }
    let group_len = before
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        .count();
    before[before.len() - group_len..]
        .iter()
        .any(u8::is_ascii_digit)
}

/// Returns `true` for the `ddd-dd-dddd` shape of a US Social Security number.
fn ssn_shaped(candidate: &str) -> bool {
    let groups: Vec<usize> = candidate.split('-').map(str::len).collect();
    groups == [3, 2, 4]
}

fn digits_of(candidate: &str) -> Vec<u8> {
    candidate
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// Returns `true` when every non-digit between two digits is the same
/// separator, ignoring one pair of parentheses around an area code and the
/// space that may follow it.
fn one_separator(candidate: &str) -> bool {
    let body = match candidate.find(')') {
        Some(close) => candidate[close + 1..].trim_start(),
        None => candidate,
    };
    let mut separators = body.bytes().filter(|b| !b.is_ascii_digit());
    match separators.next() {
        Some(first) => separators.all(|b| b == first),
        None => true,
    }
}

/// Accepts an international number with a country calling code of one of the
/// supported countries when its national significant number has that
/// country's length (ITU-T E.164 national numbering plans).
pub(crate) fn valid_international_phone(text: &str, span: Range<usize>) -> bool {
    if glued_before(text, span.start) || glued_after(text, span.end) {
        return false;
    }
    let candidate = &text[span];
    let digits = digits_of(candidate);
    let (code, national): (&[u8], &[u8]) = match digits.as_slice() {
        [1, rest @ ..] => (&[1], rest),
        [4, 4, rest @ ..] => (&[4, 4], rest),
        [4, 9, rest @ ..] => (&[4, 9], rest),
        [3, 3, rest @ ..] => (&[3, 3], rest),
        [9, 1, rest @ ..] => (&[9, 1], rest),
        [5, 5, rest @ ..] => (&[5, 5], rest),
        [8, 1, rest @ ..] => (&[8, 1], rest),
        _ => return false,
    };
    // A national trunk `0` written after the country code, as in `+44 (0)20`,
    // is not part of the number.
    let national = match national {
        [0, rest @ ..] if code != [1] => rest,
        other => other,
    };
    let lengths = match code {
        [1] => 10..=10,
        [4, 4] => 9..=10,
        [4, 9] => 6..=13,
        [3, 3] => 9..=9,
        [9, 1] => 10..=10,
        [5, 5] => 10..=11,
        _ => 9..=10,
    };
    if code == [1] && !nanp_valid(national) {
        return false;
    }
    lengths.contains(&national.len())
}

/// Checks the North American Numbering Plan: area code and exchange start with 2 to 9.
fn nanp_valid(national: &[u8]) -> bool {
    national.len() == 10 && national[0] >= 2 && national[3] >= 2
}

/// Accepts a US or Canadian number written nationally: `(415) 555-0132`,
/// `415-555-0132` or `415.555.0132`.
pub(crate) fn valid_us_phone(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    let digits = digits_of(candidate);
    !glued_before(text, span.start)
        && !glued_after(text, span.end)
        && !continues_grouped_number(text, span.start)
        && one_separator(candidate)
        && nanp_valid(&digits)
}

/// Accepts a national number of the UK, Germany, France, India, Brazil or
/// Japan: a trunk `0` and 10 or 11 digits in all, or an Indian or Brazilian
/// mobile number without the trunk `0`.
pub(crate) fn valid_national_phone(text: &str, span: Range<usize>) -> bool {
    if glued_before(text, span.start)
        || glued_after(text, span.end)
        || continues_grouped_number(text, span.start)
    {
        return false;
    }
    let candidate = &text[span];
    if ssn_shaped(candidate) {
        return false;
    }
    let digits = digits_of(candidate);
    if candidate.starts_with('(') {
        // Brazil: `(11) 98765-4321` or `(11) 3456-7890`.
        return (10..=11).contains(&digits.len()) && digits[0] != 0;
    }
    match digits.first() {
        // UK, France, Japan and Germany: a trunk 0, then a non-zero digit.
        Some(0) => digits.get(1).is_some_and(|&d| d != 0) && (9..=12).contains(&digits.len()),
        // India: a 10-digit mobile number starting with 6 to 9, printed 5-5.
        Some(6..=9) => digits.len() == 10,
        _ => false,
    }
}

/// Words that, right before a run of digits, make it a phone number. They are
/// compared lower-cased, as whole words; `_` separates words, so
/// `phone_number` is `phone` and `number`.
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "mobile",
    "mob",
    "cell",
    "cellphone",
    "fax",
    "whatsapp",
    "phonenumber",
    "mobilephone",
    "handy",
    "handynummer",
    "mobil",
    "mobilnummer",
    "telefon",
    "telefonnummer",
    "téléphone",
    "tél",
    "portable",
    "teléfono",
    "telefone",
    "celular",
    "電話",
    "電話番号",
    "携帯",
    "携帯電話",
    "携帯番号",
];

/// Words that may stand between a phone word and the number: `phone no.`,
/// `tel. nr`, `mobile number`.
const NUMBER_WORDS: &[&str] = &["no", "nr", "num", "number", "nummer", "numéro", "número"];

/// Returns `true` when the text before `start` ends with a phone word
/// (optionally followed by a number word) and then only spaces and
/// punctuation such as `:`, `.`, `#`, `=` or quotes.
fn after_phone_word(text: &str, start: usize) -> bool {
    // 48 bytes hold `"mobile_phone_number": "` and a few spaces.
    let mut window_start = start.saturating_sub(48);
    while !text.is_char_boundary(window_start) {
        window_start += 1;
    }
    let window = &text[window_start..start];

    let gap = window.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ':' | '.' | '#' | '=' | '"' | '\'' | '(' | '-' | '>')
    });
    let mut words = gap
        .rsplit(|c: char| !c.is_alphanumeric())
        .take(2)
        .map(str::to_lowercase);
    let Some(last) = words.next() else {
        return false;
    };
    if PHONE_WORDS.contains(&last.as_str()) {
        return true;
    }
    // Between the phone word and a number word only one separator may stand.
    let number_word = NUMBER_WORDS.contains(&last.as_str());
    number_word
        && words
            .next()
            .is_some_and(|word| PHONE_WORDS.contains(&word.as_str()))
}

/// Accepts a national number written without separators when a phone word
/// such as `phone`, `tel` or `mobile` comes right before it. The number is a
/// trunk `0` and 10 to 12 digits in all (UK, Germany, France, Japan), 10 digits
/// of the North American Numbering Plan with an optional leading `1`, or an
/// Indian mobile number (10 digits starting with 6 to 9).
pub(crate) fn valid_keyword_phone(text: &str, span: Range<usize>) -> bool {
    if glued_before(text, span.start) || glued_after(text, span.end) {
        return false;
    }
    let digits = digits_of(&text[span.clone()]);
    let shape_ok = match digits.as_slice() {
        [0, second, ..] => *second != 0 && (10..=12).contains(&digits.len()),
        [1, rest @ ..] => rest.len() == 10 && nanp_valid(rest),
        [first, ..] => digits.len() == 10 && (nanp_valid(&digits) || *first >= 6),
        [] => false,
    };
    shape_ok && after_phone_word(text, span.start)
}

/// IBAN lengths by country code, as ISO 13616 registers them.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// Accepts an IBAN of its country's length whose check digits pass ISO 7064
/// mod 97-10, written without spaces or in groups of 4, with its letters all
/// in upper case or all in lower case.
pub(crate) fn valid_iban(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span];
    let has_upper = candidate.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = candidate.bytes().any(|b| b.is_ascii_lowercase());
    if has_upper && has_lower {
        return false;
    }
    let groups: Vec<&str> = candidate.split(' ').collect();
    if groups.len() > 1 && groups[..groups.len() - 1].iter().any(|g| g.len() != 4) {
        return false;
    }
    let compact: String = groups.concat().to_ascii_uppercase();
    let country = &compact[..2];
    let Some(&(_, length)) = IBAN_LENGTHS.iter().find(|(code, _)| *code == country) else {
        return false;
    };
    compact.len() == length && iban_checksum_valid(&compact)
}

/// Computes ISO 7064 mod 97-10 over the IBAN with its first 4 characters moved
/// to the end and letters as 10 to 35; a valid IBAN leaves 1.
pub(crate) fn iban_checksum_valid(compact: &str) -> bool {
    let rotated = compact[4..].bytes().chain(compact[..4].bytes());
    let mut remainder: u32 = 0;
    for byte in rotated {
        let value = match byte {
            b'0'..=b'9' => u32::from(byte - b'0'),
            b'A'..=b'Z' => u32::from(byte - b'A') + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// Accepts a US Social Security number that the SSA could issue: area not
/// 000, 666 or 900 to 999, group not 00, serial not 0000.
pub(crate) fn valid_us_ssn(text: &str, span: Range<usize>) -> bool {
    if glued_before(text, span.start) || glued_after(text, span.end) {
        return false;
    }
    let digits = digits_of(&text[span]);
    if digits.len() != 9 {
        return false;
    }
    let area = u32::from(digits[0]) * 100 + u32::from(digits[1]) * 10 + u32::from(digits[2]);
    area != 0 && area != 666 && area < 900 && digits[3..5] != [0, 0] && digits[5..] != [0, 0, 0, 0]
}

/// Accepts a dotted IPv4 address that is not part of a longer dotted number
/// such as a version string (`1.2.3.4.5`) or an OID. A `:port` may follow.
pub(crate) fn valid_ipv4(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    let port_follows = text[span.end..].starts_with(':');
    !glued_before(text, span.start)
        && (port_follows || !glued_after(text, span.end))
        && candidate.parse::<Ipv4Addr>().is_ok()
}

/// Accepts a candidate that parses as an IPv6 address and is not glued to
/// more hex digits or colons.
pub(crate) fn valid_ipv6(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    let next = text.as_bytes().get(span.end);
    let continues = next.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b':' || *b == b'_');
    !continues
        && !glued_before(text, span.start)
        && candidate.contains(':')
        && candidate.parse::<Ipv6Addr>().is_ok()
}

/// Accepts an address that starts with `::`, such as `::1` or
/// `::ffff:192.0.2.1`, when it parses as IPv6 and contains a digit. A letter,
/// digit, `_` or `:` right before the `::` makes it part of a path such as
/// `std::f64` or `Foo::bar`, which is rejected.
pub(crate) fn valid_ipv6_compressed(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    let previous = span.start.checked_sub(1).map(|i| text.as_bytes()[i]);
    let in_path = previous.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
    !in_path && candidate.bytes().any(|b| b.is_ascii_digit()) && valid_ipv6(text, span)
}

/// Accepts a URL with a user and password that does not end in sentence
/// punctuation, which belongs to the text around it.
pub(crate) fn valid_url_credentials(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span];
    !candidate.ends_with(['.', ',', ';', ':', '!', '?', ')', ']', '}'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(validator: fn(&str, Range<usize>) -> bool, text: &str) -> bool {
        validator(text, 0..text.len())
    }

    #[test]
    fn iban_checksum_cases() {
        let cases: &[(&str, bool)] = &[
            ("DE89370400440532013000", true),
            ("DE89370400440532013001", false),
            ("GB82WEST12345698765432", true),
            ("FR1420041010050500013M02606", true),
            ("NO9386011117947", true),
        ];
        for &(iban, expected) in cases {
            assert_eq!(iban_checksum_valid(iban), expected, "{iban}");
        }
    }

    #[test]
    fn iban_grouping_and_length_cases() {
        let cases: &[(&str, bool)] = &[
            ("DE89 3704 0044 0532 0130 00", true),
            ("DE89370400440532013000", true),
            ("DE89 370 4004 4053 2013 000", false),
            ("DE893704004405320130", false),
            ("ZZ89370400440532013000", false),
        ];
        for &(iban, expected) in cases {
            assert_eq!(whole(valid_iban, iban), expected, "{iban}");
        }
    }

    #[test]
    fn ssn_rule_cases() {
        let cases: &[(&str, bool)] = &[
            ("123-45-6789", true),
            ("856-45-6789", true),
            ("000-45-6789", false),
            ("666-45-6789", false),
            ("900-45-6789", false),
            ("123-00-6789", false),
            ("123-45-0000", false),
        ];
        for &(ssn, expected) in cases {
            assert_eq!(whole(valid_us_ssn, ssn), expected, "{ssn}");
        }
    }

    #[test]
    fn international_phone_cases() {
        let cases: &[(&str, bool)] = &[
            ("+1 415-555-0132", true),
            ("+1 115-555-0132", false),
            ("+44 20 7946 0958", true),
            ("+49 30 573270", true),
            ("+33 1 42 68 53 00", true),
            ("+33 1 42 68 53", false),
            ("+91 98765 43210", true),
            ("+55 11 98765-4321", true),
            ("+81 3-1234-5678", true),
            ("+7 495 123 45 67", false),
        ];
        for &(phone, expected) in cases {
            assert_eq!(whole(valid_international_phone, phone), expected, "{phone}");
        }
    }

    #[test]
    fn glued_context_cases() {
        assert!(glued_before("4c6d-8046", 5));
        assert!(glued_before("v1.2", 3));
        assert!(!glued_before("call 555", 5));
        assert!(!glued_before("(555", 1));
        assert!(glued_after("8046-1297901ea002", 4));
        assert!(!glued_after("8046. Then", 4));
    }
}
