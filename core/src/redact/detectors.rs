//! The table of built-in detectors and their validators.
//!
//! Each detector is one named regex with the keywords that must occur in a text
//! before the regex runs, and an optional validator that accepts or rejects a
//! candidate the regex matched. Patterns use ASCII word boundaries
//! (`(?-u:\b)`), so a value glued to a non-ASCII letter (`カード4111…`) is
//! still found and the lazy DFA never has to give up on non-ASCII text.

use std::ops::Range;

mod pii;
mod starts;
mod tokens;

use pii::{
    valid_iban, valid_international_phone, valid_ipv4, valid_ipv6, valid_ipv6_compressed,
    valid_keyword_phone, valid_national_phone, valid_url_credentials, valid_us_phone, valid_us_ssn,
};
use tokens::{valid_aws_secret_key, valid_google_key, valid_jwt, valid_pem_block};

/// One built-in detector.
#[derive(Debug)]
pub(crate) struct DetectorSpec {
    /// The name a policy uses in `[redaction] detectors`.
    pub group: &'static str,
    /// The finding kind (`email`, `credit_card`, `secret`).
    pub kind: &'static str,
    /// For secrets, the vendor that issues the value.
    pub vendor: Option<&'static str>,
    /// The regex; every match is a candidate.
    pub pattern: &'static str,
    /// The regex runs only on texts that contain one of these (case-sensitive).
    /// An empty list means the regex runs on every text that passes `min_digits`.
    pub keywords: &'static [&'static str],
    /// The regex runs only on texts with at least this many ASCII digits.
    pub min_digits: usize,
    /// Accepts or rejects the candidate at a byte range of a text; `None`
    /// accepts every match. It gets the whole text so it can look at the
    /// context, such as the `scheme://user:` before a password that looks like
    /// an email's local part.
    pub validator: Option<fn(&str, Range<usize>) -> bool>,
    /// Breaks ties between overlapping findings of equal start and length; lower wins.
    pub priority: u8,
    /// The positions a match can start at.
    pub start: Start,
}

/// The positions a detector's matches can start at. A pattern that starts with any digit
/// or hex digit gives the regex engine no literal to skip ahead to, so it
/// would stop at every digit of a text, or scan every byte. The scanner
/// instead finds the possible starts itself and runs the regex anchored there.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    /// Anywhere: the regex searches the text with its own literal prefilter.
    Anywhere,
    /// At the position this function returns for a maximal run of ASCII
    /// digits, if any (see the `starts` module).
    DigitRun(fn(&[u8], Range<usize>) -> Option<usize>),
    /// At a run of 1 to 4 hex digits that follows a non-word byte and ends at a `:`.
    HexGroupBeforeColon,
}

/// The detector names a policy may list, in the order they are documented.
pub(crate) const GROUPS: &[&str] = &[
    "email",
    "phone",
    "credit_card",
    "iban",
    "us_ssn",
    "ip_address",
    "url_credentials",
    "secrets",
];

/// The built-in detectors. Secrets win ties over URLs with credentials, those
/// over cards, IBANs and SSNs, those over emails, and emails over IP addresses
/// and phone numbers, because a leaked credential does the most harm and a
/// phone-shaped digit run is the least specific.
pub(crate) const DETECTORS: &[DetectorSpec] = &[
    DetectorSpec {
        group: "email",
        kind: "email",
        vendor: None,
        // The local part and the domain are bounded (64 and 10 labels of 63) so that
        // one search never scans further than the longest valid address.
        pattern: r"(?-u:\b)[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,10}[A-Za-z]{2,63}(?-u:\b)",
        keywords: &["@"],
        min_digits: 0,
        validator: Some(valid_email),
        priority: 3,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "phone",
        kind: "phone",
        vendor: None,
        // `+` and a country calling code of the US, UK, Germany, France, India,
        // Brazil or Japan, then digit groups with single separators, or the
        // whole number without separators (E.164, `+442079460958`); the
        // validator checks the national number's length per country.
        pattern: r"\+(?:1|44|49|33|91|55|81)[ .\-]?(?:\(0\)[ ]?)?(?:\([0-9]{1,4}\)[ ]?)?(?:[0-9]{1,5}(?:[ .\-][0-9]{1,8}){0,4}|[0-9]{6,13})(?-u:\b)",
        keywords: &["+1", "+44", "+49", "+33", "+91", "+55", "+81"],
        min_digits: 7,
        validator: Some(valid_international_phone),
        priority: 4,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "phone",
        kind: "phone",
        vendor: None,
        // US and Canada: `(415) 555-0132`, `415-555-0132`, `415.555.0132`.
        pattern: r"(?:\([0-9]{3}\)[ ]?|(?-u:\b)[0-9]{3}[.\-])[0-9]{3}[.\-][0-9]{4}(?-u:\b)",
        keywords: &[],
        min_digits: 10,
        validator: Some(valid_us_phone),
        priority: 4,
        start: Start::DigitRun(starts::us_phone),
    },
    DetectorSpec {
        group: "phone",
        kind: "phone",
        vendor: None,
        // National forms with a trunk 0: UK `020 7946 0958`, Germany
        // `030 1234567` and `089/1234567`, France `01 42 68 53 00`, Japan
        // `03-1234-5678` and `090-1234-5678`; India's `98765 43210`; Brazil's
        // `(11) 98765-4321`. Separators are required, so a bare run of digits
        // is never a phone number.
        pattern: r"(?-u:\b)0[1-9][0-9]{0,4}(?:[ /\-][0-9]{2,8}){1,4}(?-u:\b)|(?-u:\b)[6-9][0-9]{4}[ \-][0-9]{5}(?-u:\b)|\([1-9][0-9]\)[ ]?9?[0-9]{4}-[0-9]{4}(?-u:\b)",
        keywords: &[],
        min_digits: 9,
        validator: Some(valid_national_phone),
        priority: 4,
        start: Start::DigitRun(starts::national_phone),
    },
    DetectorSpec {
        group: "phone",
        kind: "phone",
        vendor: None,
        // National numbers without separators (`02079460958`, `4155550132`).
        // A bare run of digits is more often an order number, an id or a
        // timestamp, so the validator requires a word such as `phone` or
        // `tel` right before it. Those words are not prefilter keywords:
        // `tel` and `cell` occur inside `tell` and `excellent`, and each
        // keyword hit costs a restart of the keyword search.
        pattern: r"(?-u:\b)(?:0[1-9][0-9]{8,10}|1?[2-9][0-9]{9})(?-u:\b)",
        keywords: &[],
        min_digits: 10,
        validator: Some(valid_keyword_phone),
        priority: 4,
        start: Start::DigitRun(starts::unseparated_phone),
    },
    DetectorSpec {
        group: "iban",
        kind: "iban",
        vendor: None,
        // A country code, 2 check digits and up to 30 letters or digits, without
        // spaces or in groups of 4, in upper or lower case; the validator checks
        // the case, the length and mod 97.
        pattern: r"(?-u:\b)[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?(?-u:\b)",
        keywords: &[],
        min_digits: 4,
        validator: Some(valid_iban),
        priority: 2,
        start: Start::DigitRun(starts::iban),
    },
    DetectorSpec {
        group: "us_ssn",
        kind: "us_ssn",
        vendor: None,
        pattern: r"(?-u:\b)[0-9]{3}-[0-9]{2}-[0-9]{4}(?-u:\b)",
        keywords: &[],
        min_digits: 9,
        validator: Some(valid_us_ssn),
        priority: 2,
        start: Start::DigitRun(starts::us_ssn),
    },
    DetectorSpec {
        group: "ip_address",
        kind: "ip_address",
        vendor: None,
        pattern: r"(?-u:\b)(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?-u:\b)",
        keywords: &["."],
        min_digits: 4,
        validator: Some(valid_ipv4),
        priority: 3,
        start: Start::DigitRun(starts::ipv4),
    },
    DetectorSpec {
        group: "ip_address",
        kind: "ip_address",
        vendor: None,
        // Hex groups joined by `:` or `::`, optionally ending in a dotted IPv4
        // part (`64:ff9b::192.0.2.1`, `0:0:0:0:0:ffff:10.0.0.1`). The first
        // alternative matches that form, and the validator parses the candidate.
        pattern: r"(?-u:\b)[0-9A-Fa-f]{1,4}(?::{1,2}[0-9A-Fa-f]{1,4}){0,5}::?(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?-u:\b)|(?-u:\b)[0-9A-Fa-f]{1,4}(?::{1,2}[0-9A-Fa-f]{1,4}){1,7}(?:::)?",
        keywords: &[":"],
        min_digits: 0,
        validator: Some(valid_ipv6),
        priority: 3,
        start: Start::HexGroupBeforeColon,
    },
    DetectorSpec {
        group: "ip_address",
        kind: "ip_address",
        vendor: None,
        // Addresses that start with `::`: loopback `::1`, IPv4-mapped
        // `::ffff:192.0.2.1` and other compressed forms.
        pattern: r"::(?:[0-9A-Fa-f]{1,4}:){0,6}(?:(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])|[0-9A-Fa-f]{1,4})(?-u:\b)",
        keywords: &["::"],
        min_digits: 1,
        validator: Some(valid_ipv6_compressed),
        priority: 3,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "url_credentials",
        kind: "url_credentials",
        vendor: None,
        // `scheme://user:password@host` and the rest of the URL up to whitespace
        // or a quote; the whole URL is the finding. The parts are unbounded:
        // bounded repetitions of the Unicode classes made the lazy DFA slow.
        pattern: r#"(?-u:\b)[A-Za-z][A-Za-z0-9+.\-]{1,19}://[A-Za-z0-9._~%!$&*+,;=\-]+:[^\s/?#@"'<>`]+@[A-Za-z0-9._~%\-]+(?::[0-9]{1,5})?(?:[/?#][^\s"'<>`]*)?"#,
        keywords: &["://"],
        min_digits: 0,
        validator: Some(valid_url_credentials),
        priority: 1,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "credit_card",
        kind: "credit_card",
        vendor: None,
        // 12 to 19 digits with at most one space or dash between two digits;
        // the validator checks grouping, brand and Luhn. Digits as keywords
        // would make every digit of a number table a prefilter hit, so a
        // digit count gates this regex instead.
        pattern: r"(?-u:\b)[0-9](?:[ \-]?[0-9]){11,18}(?-u:\b)",
        keywords: &[],
        min_digits: 12,
        validator: Some(valid_card),
        priority: 2,
        start: Start::DigitRun(starts::card),
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("openai"),
        // Project, service account and admin keys; their bodies are about 80 to
        // 160 characters of the URL-safe base64 alphabet. The bound keeps one
        // search short on a hostile run of such characters.
        pattern: r"(?-u:\b)sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,400}",
        keywords: &["sk-proj-", "sk-svcacct-", "sk-admin-"],
        min_digits: 0,
        validator: Some(whole_random_token),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("openai"),
        // Legacy user keys: `sk-` and 48 alphanumerics.
        pattern: r"(?-u:\b)sk-[A-Za-z0-9]{48}(?-u:\b)",
        keywords: &["sk-"],
        min_digits: 0,
        validator: Some(random_looking),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("anthropic"),
        // API and admin keys: 93 characters and a final `AA` after the prefix.
        pattern: r"(?-u:\b)sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{40,400}",
        keywords: &["sk-ant-"],
        min_digits: 0,
        validator: Some(whole_random_token),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("aws"),
        // Access key ids: a 4-letter type prefix and 16 base32 characters.
        pattern: r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?-u:\b)",
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA"],
        min_digits: 0,
        validator: Some(not_aws_example),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("aws"),
        // Secret access keys: 40 base64 characters with no prefix of their own,
        // so only the name they are assigned to marks them
        // (`aws_secret_access_key = …`, `AWS_SECRET_ACCESS_KEY=…`,
        // `"SecretAccessKey": "…"`, `--secret-access-key …`); the validator
        // checks that name.
        pattern: r"[A-Za-z0-9/+]{40}",
        keywords: &[
            "secret_access_key",
            "SECRET_ACCESS_KEY",
            "SecretAccessKey",
            "secretAccessKey",
            "secret-access-key",
        ],
        min_digits: 0,
        validator: Some(valid_aws_secret_key),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("github"),
        // Personal, OAuth, user-to-server, server-to-server and refresh tokens.
        pattern: r"(?-u:\b)gh[pousr]_[A-Za-z0-9]{36}(?-u:\b)",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        min_digits: 0,
        validator: Some(random_looking),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("github"),
        // Fine-grained personal access tokens.
        pattern: r"(?-u:\b)github_pat_[A-Za-z0-9_]{82}(?-u:\b)",
        keywords: &["github_pat_"],
        min_digits: 0,
        validator: Some(random_looking),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("slack"),
        // Bot, user, app and refresh tokens: `xox?-`, 1 to 3 numeric ids and a
        // random tail.
        pattern: r"(?-u:\b)xox[abeoprs]-(?:[0-9]{8,14}-){1,3}[A-Za-z0-9]{24,64}(?-u:\b)",
        keywords: &["xox"],
        min_digits: 0,
        validator: Some(random_looking),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("slack"),
        // Incoming webhook URLs.
        pattern: r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}(?-u:\b)",
        keywords: &["hooks.slack.com"],
        min_digits: 0,
        validator: None,
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("stripe"),
        // Secret and restricted keys, live and test; publishable `pk_` keys are public.
        pattern: r"(?-u:\b)(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,247}(?-u:\b)",
        keywords: &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        min_digits: 0,
        validator: Some(random_looking),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("google"),
        // API keys: `AIza` and 35 URL-safe base64 characters.
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_\-]{35}",
        keywords: &["AIza"],
        min_digits: 0,
        validator: Some(valid_google_key),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("jwt"),
        // Header, payload and signature in base64url; a JSON header starts `eyJ`.
        // The validator decodes the header.
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_\-]{8,4096}\.[A-Za-z0-9_\-]{2,16384}\.[A-Za-z0-9_\-]{0,4096}",
        keywords: &["eyJ"],
        min_digits: 0,
        validator: Some(valid_jwt),
        priority: 0,
        start: Start::Anywhere,
    },
    DetectorSpec {
        group: "secrets",
        kind: "secret",
        vendor: Some("private_key"),
        // A whole PEM private key block, from `-----BEGIN … PRIVATE KEY-----`
        // to the nearest matching `-----END … PRIVATE KEY-----`. The body may
        // carry RFC 1421 headers and `\n` escapes when the key sits in a JSON
        // or shell string.
        pattern: r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s:,.\-\\]*?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----",
        keywords: &["-----BEGIN "],
        min_digits: 0,
        validator: Some(valid_pem_block),
        priority: 0,
        start: Start::Anywhere,
    },
];

/// Checks the lengths that RFC 5321 sets (local part at most 64 octets, path at
/// most 254), that no dot starts, ends or doubles in the local part, and that
/// the candidate is not the `password@host` of a URL's authority.
fn valid_email(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    let Some((local, domain)) = candidate.rsplit_once('@') else {
        return false;
    };
    !in_url_authority(&text[..span.start])
        && local.len() <= 64
        && candidate.len() <= 254
        && domain.len() <= 253
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

/// Returns `true` when `before` ends inside the authority of a URL
/// (`scheme://user:pass`): its last word, up to whitespace, a quote or a
/// bracket, contains `://` and no `/`, `?` or `#` after it.
fn in_url_authority(before: &str) -> bool {
    // Looking back at most 256 bytes keeps a text of many addresses without
    // whitespace linear; a scheme and user name are far shorter.
    let mut window_start = before.len().saturating_sub(256);
    while !before.is_char_boundary(window_start) {
        window_start += 1;
    }
    let before = &before[window_start..];
    let word_start = before
        .rfind(|c: char| c.is_whitespace() || "\"'`<>()[]{}".contains(c))
        .map_or(0, |i| i + 1);
    let word = &before[word_start..];
    match word.rfind("://") {
        Some(scheme_end) => !word[scheme_end + 3..].contains(['/', '?', '#']),
        None => false,
    }
}

/// A card brand: the IIN prefix ranges it owns and the lengths it issues.
struct Brand {
    /// Inclusive prefix ranges, compared on the first digits of the number.
    ranges: &'static [(u32, u32)],
    lengths: std::ops::RangeInclusive<usize>,
    /// Visa issues only 13, 16 and 19 digits inside its range.
    only: &'static [usize],
}

/// IIN ranges and lengths as listed in Wikipedia's "Payment card number" article
/// (<https://en.wikipedia.org/wiki/Payment_card_number>).
const BRANDS: &[Brand] = &[
    // Visa
    Brand {
        ranges: &[(4, 4)],
        lengths: 13..=19,
        only: &[13, 16, 19],
    },
    // Mastercard, including the 2-series
    Brand {
        ranges: &[(51, 55), (2221, 2720)],
        lengths: 16..=16,
        only: &[],
    },
    // American Express
    Brand {
        ranges: &[(34, 34), (37, 37)],
        lengths: 15..=15,
        only: &[],
    },
    // Discover, including cards co-branded with UnionPay
    Brand {
        ranges: &[(6011, 6011), (644, 649), (65, 65), (622126, 622925)],
        lengths: 16..=19,
        only: &[],
    },
    // JCB
    Brand {
        ranges: &[(3528, 3589)],
        lengths: 16..=19,
        only: &[],
    },
    // Diners Club International
    Brand {
        ranges: &[(300, 305), (3095, 3095), (36, 36), (38, 39)],
        lengths: 14..=19,
        only: &[],
    },
    // UnionPay
    Brand {
        ranges: &[(62, 62)],
        lengths: 16..=19,
        only: &[],
    },
    // Maestro and Maestro UK
    Brand {
        ranges: &[
            (5018, 5018),
            (5020, 5020),
            (5038, 5038),
            (5893, 5893),
            (6304, 6304),
            (6759, 6759),
            (6761, 6763),
        ],
        lengths: 12..=19,
        only: &[],
    },
];

/// Accepts a card number when its separators are consistent, it does not
/// continue an IBAN, a known brand issues numbers of its prefix and length,
/// and the Luhn check passes.
pub(crate) fn valid_card(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span.clone()];
    if !well_grouped(candidate) || continues_iban(&text[..span.start]) {
        return false;
    }

    // The pattern matches at most 19 digits; a stack buffer avoids an
    // allocation per candidate on digit-dense texts.
    let mut buffer = [0u8; 19];
    let mut len = 0;
    for b in candidate.bytes().filter(u8::is_ascii_digit) {
        if len == buffer.len() {
            return false;
        }
        buffer[len] = b - b'0';
        len += 1;
    }
    let digits = &buffer[..len];
    known_brand(digits) && luhn_valid(digits)
}

/// Returns `true` when `before` ends with the start of a printed IBAN, as in
/// `DE85 4649 0816 …`. It walks back over groups of 4 letters or digits, each
/// followed by one separator, until it reaches a group of 2 upper-case letters
/// and 2 digits (the country code and check digits).
fn continues_iban(before: &str) -> bool {
    let Some(separator) = before
        .chars()
        .next_back()
        .filter(|c| *c == ' ' || *c == '-')
    else {
        return false;
    };
    let mut rest = &before[..before.len() - 1];
    // An IBAN has at most 34 characters, so at most 8 groups precede a card-shaped run.
    for _ in 0..8 {
        if rest.len() < 4 || !rest.is_char_boundary(rest.len() - 4) {
            return false;
        }
        let group = &rest.as_bytes()[rest.len() - 4..];
        if !group.iter().all(u8::is_ascii_alphanumeric) {
            return false;
        }
        let country = group[..2].iter().all(u8::is_ascii_uppercase)
            && group[2..].iter().all(u8::is_ascii_digit);
        let group_start = rest.len() - 4;
        let starts_word =
            group_start == 0 || !rest.as_bytes()[group_start - 1].is_ascii_alphanumeric();
        if country && starts_word {
            return true;
        }
        if group_start == 0 || !rest[..group_start].ends_with(separator) {
            return false;
        }
        rest = &rest[..group_start - 1];
    }
    false
}

/// Separated numbers are printed in groups: one separator character throughout,
/// a first group of 4 and later groups of 3 to 6 (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3).
fn well_grouped(candidate: &str) -> bool {
    let separator = candidate.bytes().find(|b| !b.is_ascii_digit());
    let Some(separator) = separator else {
        return true;
    };
    if candidate
        .bytes()
        .any(|b| !b.is_ascii_digit() && b != separator)
    {
        return false;
    }
    let mut groups = candidate.split(separator as char);
    let first_ok = groups.next().is_some_and(|group| group.len() == 4);
    first_ok && groups.all(|group| (3..=6).contains(&group.len()))
}

fn known_brand(digits: &[u8]) -> bool {
    BRANDS.iter().any(|brand| {
        let length_ok = brand.lengths.contains(&digits.len())
            && (brand.only.is_empty() || brand.only.contains(&digits.len()));
        length_ok
            && brand
                .ranges
                .iter()
                .any(|&(low, high)| prefix_in_range(digits, low, high))
    })
}

/// Compares the number's first digits, as many as `low` has, with the range.
fn prefix_in_range(digits: &[u8], low: u32, high: u32) -> bool {
    let width = low.to_string().len();
    if digits.len() < width {
        return false;
    }
    let prefix = digits[..width]
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d));
    (low..=high).contains(&prefix)
}

/// Checks the Luhn (mod 10) check digit of ISO/IEC 7812-1.
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Rejects documentation placeholders such as `ghp_xxxx…` or `sk-proj-XXXX…`.
/// The vendor prefix ends at the last dash or underscore among the first 16
/// characters. After it, the value must use at least 10 distinct characters
/// and mix at least two of upper case, lower case and digits.
fn random_looking(text: &str, span: Range<usize>) -> bool {
    let candidate = &text[span];
    let head = &candidate.as_bytes()[..candidate.len().min(16)];
    let prefix_end = head
        .iter()
        .rposition(|&b| b == b'-' || b == b'_')
        .map_or(0, |i| i + 1);
    let body = &candidate[prefix_end..];
    let mut seen = [false; 128];
    let mut distinct = 0;
    for b in body.bytes().filter(u8::is_ascii) {
        if !seen[usize::from(b)] {
            seen[usize::from(b)] = true;
            distinct += 1;
        }
    }
    let classes = [
        body.bytes().any(|b| b.is_ascii_uppercase()),
        body.bytes().any(|b| b.is_ascii_lowercase()),
        body.bytes().any(|b| b.is_ascii_digit()),
    ];
    distinct >= 10 && classes.iter().filter(|&&present| present).count() >= 2
}

/// Accepts a [`random_looking`] token that is not the start of a longer run
/// of URL-safe base64 characters (which the bounded pattern cut short).
fn whole_random_token(text: &str, span: Range<usize>) -> bool {
    let cut_short = text
        .as_bytes()
        .get(span.end)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    !cut_short && random_looking(text, span)
}

/// Rejects AWS's documented example key ids, which end in `EXAMPLE`.
fn not_aws_example(text: &str, span: Range<usize>) -> bool {
    !text[span].ends_with("EXAMPLE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_cases() {
        let cases: &[(&str, bool)] = &[
            ("4111111111111111", true),
            ("4111111111111112", false),
            ("378282246310005", true),
            ("79927398713", true),
            ("79927398710", false),
            ("", false),
        ];
        for &(number, expected) in cases {
            let digits: Vec<u8> = number.bytes().map(|b| b - b'0').collect();
            assert_eq!(luhn_valid(&digits), expected, "luhn({number})");
        }
    }

    #[test]
    fn card_grouping_cases() {
        let cases: &[(&str, bool)] = &[
            ("4111111111111111", true),
            ("4111 1111 1111 1111", true),
            ("4111-1111-1111-1111", true),
            ("3782 822463 10005", true),
            ("4111 1111-1111 1111", false),
            ("41 11 11 11 11 11 11 11", false),
            ("411 1111 1111 11111", false),
        ];
        for &(candidate, expected) in cases {
            assert_eq!(well_grouped(candidate), expected, "grouping of {candidate}");
        }
    }

    #[test]
    fn brand_prefix_cases() {
        let cases: &[(&str, bool)] = &[
            ("4111111111111", true),     // Visa 13
            ("41111111111111", false),   // Visa issues 13, 16 or 19 digits
            ("2221000000000009", true),  // Mastercard 2-series low end
            ("2720990000000000", true),  // Mastercard 2-series high end
            ("2721000000000000", false), // past the 2-series
            ("6221260000000000", true),  // Discover co-branded UnionPay
            ("1234567812345678", false), // no brand starts with 1
            ("501800000000", true),      // Maestro, 12 digits
            ("3530111333300000", true),  // JCB
            ("30569309025904", true),    // Diners 14
            ("371449635398431", true),   // Amex 15
            ("3714496353984312", false), // Amex issues 15 digits
        ];
        for &(number, expected) in cases {
            let digits: Vec<u8> = number.bytes().map(|b| b - b'0').collect();
            assert_eq!(known_brand(&digits), expected, "brand of {number}");
        }
    }

    #[test]
    fn iban_context_cases() {
        let cases: &[(&str, bool)] = &[
            ("iban=DE85 ", true),
            ("FR93 9924 ", true),
            ("IT27 J712 ", true),
            ("CH10-4009-", true),
            ("card ", false),
            ("ref AB12 ", true),
            ("XDE85 ", false),
            ("DE85 4649-", false),
            ("", false),
        ];
        for &(before, expected) in cases {
            assert_eq!(continues_iban(before), expected, "{before:?}");
        }
    }

    #[test]
    fn url_authority_cases() {
        let cases: &[(&str, bool)] = &[
            ("postgresql://root:", true),
            ("url: https://bcampos:5U8!", true),
            ("\"https://root:m1YO585C!", true),
            ("https://example.com/?email=", false),
            ("https://example.com/contact ", false),
            ("mailto:", false),
            ("write to ", false),
        ];
        for &(before, expected) in cases {
            assert_eq!(in_url_authority(before), expected, "{before:?}");
        }
    }

    #[test]
    fn random_looking_cases() {
        let cases: &[(&str, bool)] = &[
            ("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false),
            ("ghp_ERMlmWELdsdIqCADwN42GX54CGy4ckHHpMvf", true),
            (
                "sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
                false,
            ),
            ("sk-abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh", false),
        ];
        for &(candidate, expected) in cases {
            let span = 0..candidate.len();
            assert_eq!(random_looking(candidate, span), expected, "{candidate}");
        }
    }

    #[test]
    fn every_detector_names_a_known_group() {
        for detector in DETECTORS {
            assert!(GROUPS.contains(&detector.group), "{}", detector.group);
        }
    }
}
