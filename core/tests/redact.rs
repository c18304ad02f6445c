//! Redaction: detectors, operators, the vault, streaming restore and chat requests.

use std::collections::BTreeMap;

use ingate::redact::{Operator, RedactionConfig, Redactor, Vault};
use ingate::request::{Content, ContentPart};
use ingate::{ChatRequest, ErrorKind};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn redactor() -> Redactor {
    Redactor::new(&RedactionConfig::default()).unwrap()
}

fn redactor_with(operator: Operator) -> Redactor {
    let config = RedactionConfig {
        operator,
        ..RedactionConfig::default()
    };
    Redactor::new(&config).unwrap()
}

/// Returns the (kind, vendor, value) of every finding in `text`.
fn detect(text: &str) -> Vec<(String, Option<String>, String)> {
    let redaction = redactor().redact(text, &mut Vault::new()).unwrap();
    redaction
        .findings
        .iter()
        .map(|f| {
            (
                f.kind.clone(),
                f.vendor.clone(),
                text[f.start..f.end].to_string(),
            )
        })
        .collect()
}

// Test values: card numbers are the brands' published test numbers or were made
// Luhn-valid by hand; keys are random strings in each vendor's format.
const OPENAI_PROJECT: &str = "sk-proj-Ynsg8OSDU5CHFVMbLXuoAVQxRuD2TBJl34CQ3Npy6ZcwK0eCsDTssLNoDJlDdyJpuuNNQxjmZbkgY1nVBQrdLQQMw7bjAcjSuQLHrrNxMfgjPIXfQJZVuqDaYBk3f";
const OPENAI_LEGACY: &str = "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";
const ANTHROPIC: &str = "sk-ant-api03-IYT7pg1z2AT6pFZ4ia5n8lwfnTgxSziMlerxl-SvPLn9LZXHzdx8rpnO_cFjjRkA4d-O0bByz4nJ8uIunYKrTLKgwH5amAA";
const AWS: &str = "AKIAQCENSCDK2K2JEKKB";
const GITHUB: &str = "ghp_ERMlmWELdsdIqCADwN42GX54CGy4ckHHpMvf";
const GITHUB_PAT: &str =
    "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";

#[test]
fn detector_positive_cases() {
    // (name, text, kind, vendor, value)
    let cases: &[(&str, &str, &str, Option<&str>, &str)] = &[
        (
            "plain email",
            "mail ana@example.com now",
            "email",
            None,
            "ana@example.com",
        ),
        (
            "email in parens",
            "(ana.b+tag@mail.example.org)",
            "email",
            None,
            "ana.b+tag@mail.example.org",
        ),
        (
            "email before period",
            "Write to ana@example.com.",
            "email",
            None,
            "ana@example.com",
        ),
        (
            "email in angle brackets",
            "Ana <ana@example.co.uk>",
            "email",
            None,
            "ana@example.co.uk",
        ),
        (
            "email after invalid local part",
            "a..b@example.com",
            "email",
            None,
            "b@example.com",
        ),
        (
            "email in URL query",
            "https://x.example/?to=ana@example.com",
            "email",
            None,
            "ana@example.com",
        ),
        (
            "email in quotes",
            "\"owner\": \"x_y@example.test\",",
            "email",
            None,
            "x_y@example.test",
        ),
        (
            "email after accent",
            "café:ana@example.com",
            "email",
            None,
            "ana@example.com",
        ),
        (
            "email after CJK",
            "連絡先ana@example.jpです",
            "email",
            None,
            "ana@example.jp",
        ),
        (
            "visa plain",
            "card 4111111111111111 ok",
            "credit_card",
            None,
            "4111111111111111",
        ),
        (
            "visa spaces",
            "card 4111 1111 1111 1111.",
            "credit_card",
            None,
            "4111 1111 1111 1111",
        ),
        (
            "visa dashes",
            "card: 4111-1111-1111-1111",
            "credit_card",
            None,
            "4111-1111-1111-1111",
        ),
        (
            "visa 13 digits",
            "old visa 4222222222222",
            "credit_card",
            None,
            "4222222222222",
        ),
        (
            "mastercard 2221",
            "mc 2221000000000009",
            "credit_card",
            None,
            "2221000000000009",
        ),
        (
            "mastercard 55",
            "mc 5555 5555 5555 4444",
            "credit_card",
            None,
            "5555 5555 5555 4444",
        ),
        (
            "amex 4-6-5",
            "amex 3782 822463 10005",
            "credit_card",
            None,
            "3782 822463 10005",
        ),
        (
            "discover",
            "disc 6011111111111117",
            "credit_card",
            None,
            "6011111111111117",
        ),
        (
            "jcb",
            "jcb 3530111333300000",
            "credit_card",
            None,
            "3530111333300000",
        ),
        (
            "diners 14",
            "diners 3056 930902 5904",
            "credit_card",
            None,
            "3056 930902 5904",
        ),
        (
            "unionpay 19",
            "cup 6212345678901234569 end",
            "credit_card",
            None,
            "6212345678901234569",
        ),
        (
            "maestro 12",
            "maestro 501800000009",
            "credit_card",
            None,
            "501800000009",
        ),
        (
            "card after CJK",
            "カード4111111111111111です",
            "credit_card",
            None,
            "4111111111111111",
        ),
        (
            "card then expiry",
            "4111 1111 1111 1111 12/28",
            "credit_card",
            None,
            "4111 1111 1111 1111",
        ),
        (
            "openai project",
            &format!("key={OPENAI_PROJECT}\n"),
            "secret",
            Some("openai"),
            OPENAI_PROJECT,
        ),
        (
            "openai legacy",
            &format!("OPENAI_API_KEY=\"{OPENAI_LEGACY}\""),
            "secret",
            Some("openai"),
            OPENAI_LEGACY,
        ),
        (
            "anthropic",
            &format!("x-api-key: {ANTHROPIC}"),
            "secret",
            Some("anthropic"),
            ANTHROPIC,
        ),
        (
            "aws",
            &format!("aws_access_key_id = {AWS}"),
            "secret",
            Some("aws"),
            AWS,
        ),
        (
            "github classic",
            &format!("token {GITHUB}."),
            "secret",
            Some("github"),
            GITHUB,
        ),
        (
            "github fine-grained",
            &format!("GH_TOKEN={GITHUB_PAT}"),
            "secret",
            Some("github"),
            GITHUB_PAT,
        ),
    ];
    for &(name, text, kind, vendor, value) in cases {
        let found = detect(text);
        let expected = vec![(
            kind.to_string(),
            vendor.map(str::to_string),
            value.to_string(),
        )];
        assert_eq!(found, expected, "case `{name}`");
    }
}

#[test]
fn detector_negative_cases() {
    let cases: &[(&str, &str)] = &[
        ("luhn-invalid visa", "card 4111111111111112"),
        ("luhn-invalid spaced", "card 4111 1111 1111 1112"),
        ("no brand starts with 1", "order 1234567812345670"),
        ("mastercard past 2720", "mc 2721000000000004"),
        ("amex with 16 digits", "3782822463100053"),
        ("mixed separators", "4111 1111-1111 1111"),
        ("digits inside a longer run", "id 41111111111111110"),
        ("card glued to a letter", "x4111111111111111"),
        ("phone number", "+1 393-269-5328"),
        ("isbn", "ISBN 978-3-16-148410-0"),
        ("epoch millis", "ts=1712345678901"),
        ("uuid", "id 123e4567-e89b-12d3-a456-426614174000"),
        ("email without tld", "root@localhost"),
        ("at sign alone", "meet @ noon, @handle"),
        (
            "url password",
            "postgresql://root:kGJugpFXN5dI@db.example.net:5432/app",
        ),
        ("iban groups", "iban=DE85 4649 0816 2052 8041 64"),
        (
            "iban groups after letter group",
            "IT27 J712 3004 5913 8005 7133 761",
        ),
        (
            "openai placeholder",
            "OPENAI_API_KEY=sk-XXXXXXXXXXXXXXXXXXXX",
        ),
        ("openai ellipsis", "use sk-... here"),
        (
            "github placeholder",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ),
        ("aws prefix alone", "keys start with AKIA"),
        ("aws documented example", "AKIAIOSFODNN7EXAMPLE"),
        ("aws lower case", "akiaqcenscdk2k2jekkb"),
        (
            "prose",
            "The quick brown fox jumps over the lazy dog in Asia.",
        ),
    ];
    // The phone, URL and IBAN cases are values of other detectors, so these
    // cases run with the email, card and secret detectors only.
    let config = RedactionConfig {
        detectors: vec!["email".into(), "credit_card".into(), "secrets".into()],
        ..RedactionConfig::default()
    };
    let redactor = Redactor::new(&config).unwrap();
    for &(name, text) in cases {
        let found = redactor.redact(text, &mut Vault::new()).unwrap().findings;
        assert!(
            found.is_empty(),
            "case `{name}` found {} value(s)",
            found.len()
        );
    }
}

#[test]
fn overlap_prefers_earliest_then_longest() {
    // The card regex can also match the digits at the start of an email's local
    // part; the email starts at the same position and is longer, so it wins.
    let text = "4111111111111111@example.com";
    let found = detect(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "email");
    assert_eq!(found[0].2, text);
}

#[test]
fn large_inputs_finish() {
    // 200 kB of grouped card numbers: every four groups are one finding.
    let cards = "4111 1111 1111 1111 ".repeat(10_000);
    let redaction = redactor_with(Operator::Mask)
        .redact(&cards, &mut Vault::new())
        .unwrap();
    assert_eq!(redaction.findings.len(), 10_000);

    // 200 kB of token characters after a key prefix, which the validator
    // rejects: the shorter-candidate retries are capped, so this stays linear.
    let token = format!("sk-proj-{}", "a".repeat(200_000));
    let redaction = redactor().redact(&token, &mut Vault::new()).unwrap();
    assert!(redaction.findings.is_empty());

    // 200 kB of addresses separated only by commas: the look-back for a URL
    // scheme before each one is bounded, so this stays linear.
    let emails = "a@b.example,".repeat(16_000);
    let redaction = redactor().redact(&emails, &mut Vault::new()).unwrap();
    assert_eq!(redaction.findings.len(), 16_000);

    // 200 kB of digits without separators matches no card.
    let digits = "1234567890".repeat(20_000);
    let redaction = redactor().redact(&digits, &mut Vault::new()).unwrap();
    assert!(redaction.findings.is_empty());
}

#[test]
fn placeholder_is_stable_per_value() {
    let mut vault = Vault::new();
    let redactor = redactor();
    let first = redactor
        .redact("a@example.com, b@example.com, a@example.com", &mut vault)
        .unwrap();
    assert_eq!(first.text, "<EMAIL_1>, <EMAIL_2>, <EMAIL_1>");

    let second = redactor
        .redact("b@example.com paid with 4111 1111 1111 1111", &mut vault)
        .unwrap();
    assert_eq!(second.text, "<EMAIL_2> paid with <CREDIT_CARD_1>");

    let counts: BTreeMap<String, u64> =
        [("credit_card".to_string(), 1), ("email".to_string(), 4)].into();
    assert_eq!(vault.counts(), counts);
    assert_eq!(vault.len(), 3);
}

#[test]
fn new_vault_restarts_numbering() {
    let redactor = redactor();
    let one = redactor.redact("b@example.com", &mut Vault::new()).unwrap();
    let two = redactor.redact("c@example.com", &mut Vault::new()).unwrap();
    assert_eq!(one.text, "<EMAIL_1>");
    assert_eq!(two.text, "<EMAIL_1>");
}

#[test]
fn findings_have_byte_offsets_and_replacements() {
    let text = "é ana@example.com";
    let redaction = redactor().redact(text, &mut Vault::new()).unwrap();
    let finding = &redaction.findings[0];
    assert_eq!((finding.start, finding.end), (3, 18));
    assert_eq!(finding.replacement, "<EMAIL_1>");
    assert_eq!(finding.vendor, None);
}

#[test]
fn mask_operator_replaces_with_kind() {
    let mut vault = Vault::new();
    let text = format!("ana@example.com 4111111111111111 {GITHUB}");
    let redaction = redactor_with(Operator::Mask)
        .redact(&text, &mut vault)
        .unwrap();
    assert_eq!(redaction.text, "[EMAIL] [CREDIT_CARD] [SECRET]");
    assert!(vault.is_empty(), "mask issues no placeholders");
    assert_eq!(vault.counts().values().sum::<u64>(), 3);
}

#[test]
fn block_operator_names_detector_not_value() {
    let mut vault = Vault::new();
    let text = format!("keys {AWS} and {GITHUB}, mail ana@example.com");
    let error = redactor_with(Operator::Block)
        .redact(&text, &mut vault)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RedactionBlocked);
    let message = error.to_string();
    assert!(message.contains("`secrets`"), "{message}");
    assert!(message.contains("matched 2 time(s)"), "{message}");
    assert!(!message.contains(AWS), "{message}");
    assert!(!message.contains(GITHUB), "{message}");
    assert!(!message.contains("ana@example.com"), "{message}");
    assert!(vault.counts().is_empty());
}

#[test]
fn block_operator_passes_clean_text() {
    let redaction = redactor_with(Operator::Block)
        .redact("nothing to see", &mut Vault::new())
        .unwrap();
    assert_eq!(redaction.text, "nothing to see");
    assert!(redaction.findings.is_empty());
}

#[test]
fn unknown_detector_is_invalid_policy() {
    let config = RedactionConfig {
        detectors: vec!["email".into(), "fax".into()],
        ..RedactionConfig::default()
    };
    let error = Redactor::new(&config).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    let message = error.to_string();
    assert!(message.contains("`fax`"), "{message}");
    assert!(
        message.contains("`email`, `phone`, `credit_card`, `iban`, `us_ssn`, `ip_address`, `url_credentials`, `secrets`"),
        "{message}"
    );
}

#[test]
fn detectors_run_only_when_configured() {
    let config = RedactionConfig {
        detectors: vec!["secrets".into()],
        ..RedactionConfig::default()
    };
    let redactor = Redactor::new(&config).unwrap();
    let text = format!("ana@example.com 4111111111111111 {AWS}");
    let redaction = redactor.redact(&text, &mut Vault::new()).unwrap();
    assert_eq!(
        redaction.text,
        "ana@example.com 4111111111111111 <SECRET_1>"
    );
}

#[test]
fn disabled_config_changes_nothing() {
    let config = RedactionConfig {
        enabled: false,
        ..RedactionConfig::default()
    };
    let redactor = Redactor::new(&config).unwrap();
    let redaction = redactor
        .redact("ana@example.com", &mut Vault::new())
        .unwrap();
    assert_eq!(redaction.text, "ana@example.com");
    assert!(redaction.findings.is_empty());
}

#[test]
fn restore_replaces_only_issued_placeholders() {
    let mut vault = Vault::new();
    redactor()
        .redact("ana@example.com and 4111111111111111", &mut vault)
        .unwrap();
    let cases: &[(&str, &str)] = &[
        ("Hi <EMAIL_1>!", "Hi ana@example.com!"),
        (
            "<CREDIT_CARD_1><EMAIL_1>",
            "4111111111111111ana@example.com",
        ),
        ("<EMAIL_9> was never issued", "<EMAIL_9> was never issued"),
        ("<SECRET_1> was never issued", "<SECRET_1> was never issued"),
        ("<EMAIL_1 unclosed", "<EMAIL_1 unclosed"),
        ("<<EMAIL_1>>", "<ana@example.com>"),
        ("<email_1> is case-sensitive", "<email_1> is case-sensitive"),
        (
            "no placeholders, <b>tags</b>",
            "no placeholders, <b>tags</b>",
        ),
        ("ends with <", "ends with <"),
    ];
    for &(text, expected) in cases {
        assert_eq!(vault.restore(text), expected, "restore of {text:?}");
    }
}

#[test]
fn typed_placeholder_is_not_restored() {
    let mut vault = Vault::new();
    let redaction = redactor()
        .redact(
            "my template says <EMAIL_1>; real one is ana@example.com",
            &mut vault,
        )
        .unwrap();
    assert_eq!(
        redaction.text,
        "my template says <EMAIL_1>; real one is <EMAIL_2>"
    );
    assert_eq!(
        vault.restore("<EMAIL_1> <EMAIL_2>"),
        "<EMAIL_1> ana@example.com"
    );
}

/// Restores `chunks` through a stream restorer and returns the concatenation.
fn stream(vault: &Vault, chunks: &[&str]) -> String {
    let mut restorer = vault.stream_restorer();
    let mut out = String::new();
    for chunk in chunks {
        out.push_str(&restorer.push(chunk));
    }
    out.push_str(&restorer.finish());
    out
}

#[test]
fn stream_restore_every_split_point() {
    let mut vault = Vault::new();
    redactor()
        .redact(
            "ana@example.com, bo@example.com, 4111111111111111",
            &mut vault,
        )
        .unwrap();
    let answers = [
        "Dear <EMAIL_1>, ünïcödé 🙂 <CREDIT_CARD_1>é<EMAIL_2>",
        "<EMAIL_1><EMAIL_2><EMAIL_9><EMAIL_1",
        "<<EMAIL_1>> <EMA <EMAIL_10> 🙂<",
        "日本語<EMAIL_2>日本語",
        "",
    ];
    for answer in answers {
        let expected = vault.restore(answer);
        let boundaries: Vec<usize> = (0..=answer.len())
            .filter(|&i| answer.is_char_boundary(i))
            .collect();

        // Every single split point.
        for &split in &boundaries {
            let (left, right) = answer.split_at(split);
            assert_eq!(
                stream(&vault, &[left, right]),
                expected,
                "answer {answer:?} split at byte {split}"
            );
        }

        // Every pair of split points, so a placeholder can arrive in three pieces.
        for (i, &first) in boundaries.iter().enumerate() {
            for &second in &boundaries[i..] {
                let chunks = [&answer[..first], &answer[first..second], &answer[second..]];
                assert_eq!(
                    stream(&vault, &chunks),
                    expected,
                    "answer {answer:?} split at bytes {first} and {second}"
                );
            }
        }

        // One character at a time.
        let characters: Vec<String> = answer.chars().map(String::from).collect();
        let chunks: Vec<&str> = characters.iter().map(String::as_str).collect();
        assert_eq!(
            stream(&vault, &chunks),
            expected,
            "answer {answer:?} by character"
        );
    }
}

#[test]
fn stream_restore_holds_only_possible_placeholders() {
    let mut vault = Vault::new();
    redactor().redact("ana@example.com", &mut vault).unwrap();
    let mut restorer = vault.stream_restorer();
    assert_eq!(restorer.push("Hello <EMA"), "Hello ");
    assert_eq!(restorer.push("IL_1> and <b"), "ana@example.com and <b");
    assert_eq!(restorer.push(">x</b>"), ">x</b>");
    assert_eq!(restorer.push(" <EMAIL_1"), " ");
    assert_eq!(restorer.finish(), "<EMAIL_1");
}

#[test]
fn stream_restore_with_empty_vault_passes_through() {
    let vault = Vault::new();
    let mut restorer = vault.into_stream_restorer();
    assert_eq!(restorer.push("<EMA"), "<EMA");
    assert_eq!(restorer.push("IL_1>"), "IL_1>");
    assert_eq!(restorer.finish(), "");
}

fn chat_request() -> ChatRequest {
    let json = serde_json::json!({
        "model": "gpt-4o",
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": "Support bot. Escalate to ops@example.com."},
            {"role": "user", "content": [
                {"type": "text", "text": "I am ana@example.com, card 4111 1111 1111 1111"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {
                    "name": "send_mail",
                    "arguments": "{\"to\": \"ana@example.com\", \"cc\": [\"ops@example.com\"], \"n\": 12345678901234567890, \"body\": \"key \\\"AKIAQCENSCDK2K2JEKKB\\\"\"}"
                }},
                {"id": "call_2", "type": "function", "function": {
                    "name": "broken",
                    "arguments": "to: ana@example.com"
                }}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sent to ana@example.com"}
        ]
    });
    ChatRequest::from_value(json).unwrap()
}

#[test]
fn redact_chat_shares_placeholders() {
    let mut request = chat_request();
    let mut vault = Vault::new();
    let findings = redactor().redact_chat(&mut request, &mut vault).unwrap();

    let messages = &request.messages;
    assert_eq!(
        messages[0].content,
        Some(Content::Text("Support bot. Escalate to <EMAIL_1>.".into()))
    );
    let Some(Content::Parts(parts)) = &messages[1].content else {
        panic!("the user message lost its parts");
    };
    assert_eq!(
        parts[0],
        ContentPart::Text {
            text: "I am <EMAIL_2>, card <CREDIT_CARD_1>".into()
        }
    );
    assert!(matches!(parts[1], ContentPart::ImageUrl { .. }));
    assert_eq!(
        messages[3].content,
        Some(Content::Text("sent to <EMAIL_2>".into()))
    );
    assert_eq!(
        messages[2].tool_calls[1].function.arguments,
        "to: <EMAIL_2>"
    );

    let kinds: Vec<&str> = findings.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "email",
            "email",
            "credit_card",
            "email",
            "email",
            "secret",
            "email",
            "email"
        ]
    );
    assert_eq!(vault.len(), 4);
}

#[test]
fn redact_chat_keeps_arguments_json_valid() {
    let mut request = chat_request();
    redactor()
        .redact_chat(&mut request, &mut Vault::new())
        .unwrap();

    let arguments = &request.messages[2].tool_calls[0].function.arguments;
    let parsed: serde_json::Value = serde_json::from_str(arguments).unwrap();
    assert_eq!(parsed["to"], "<EMAIL_2>");
    assert_eq!(parsed["cc"][0], "<EMAIL_1>");
    assert_eq!(parsed["body"], "key \"<SECRET_1>\"");
    // Key order and the big integer are kept as written.
    assert!(
        arguments.starts_with("{\"to\": \"<EMAIL_2>\", \"cc\""),
        "{arguments}"
    );
    assert!(
        arguments.contains("\"n\": 12345678901234567890,"),
        "{arguments}"
    );
    assert_eq!(request.to_value()["temperature"], 0.2);
}

#[test]
fn redact_chat_block_changes_nothing() {
    let mut request = chat_request();
    let original = request.clone();
    let mut vault = Vault::new();
    let error = redactor_with(Operator::Block)
        .redact_chat(&mut request, &mut vault)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RedactionBlocked);
    // The first finding is the system message's email; there are 6 emails in all.
    assert!(
        error.to_string().contains("`email` matched 6 time(s)"),
        "{error}"
    );
    assert_eq!(request, original);
    assert!(vault.is_empty());
}

#[test]
fn debug_output_has_no_values() {
    let mut vault = Vault::new();
    let text = format!("ana@example.com 4111111111111111 {AWS}");
    let redaction = redactor().redact(&text, &mut vault).unwrap();
    let mut restorer = vault.stream_restorer();
    restorer.push("see <EMAIL_1> and <CRED");

    let outputs = [
        format!("{vault:?}"),
        format!("{redaction:?}"),
        format!("{:?}", redaction.findings[0]),
        format!("{restorer:?}"),
        format!("{:?}", redactor()),
    ];
    for output in &outputs {
        for secret in [
            "ana@example.com",
            "4111111111111111",
            AWS,
            "<EMAIL_1>",
            "<CRED",
        ] {
            assert!(
                !output.contains(secret),
                "Debug output {output} contains a value"
            );
        }
    }
    assert!(outputs[0].contains("placeholders: 3"), "{}", outputs[0]);
    assert!(outputs[1].contains("text_len: 36"), "{}", outputs[1]);
}

#[test]
fn redactor_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Redactor>();
    assert_send_sync::<Vault>();
    assert_send_sync::<ingate::redact::StreamRestorer<'static>>();
}

/// One labeled entity of the dev corpus, with byte offsets.
struct Label {
    kind: String,
    vendor: Option<String>,
    start: usize,
    end: usize,
}

/// Converts a code point offset to a byte offset in `text`.
fn byte_offset(text: &str, code_points: usize) -> usize {
    text.char_indices()
        .nth(code_points)
        .map_or(text.len(), |(byte, _)| byte)
}

/// Returns the nearest char boundary at or before `index`.
fn floor_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Precision and recall counters for one kind.
#[derive(Default, Debug)]
struct Score {
    labels: usize,
    labels_found: usize,
    findings: usize,
    findings_matched: usize,
}

impl Score {
    fn recall(&self) -> f64 {
        self.labels_found as f64 / self.labels.max(1) as f64
    }
    fn precision(&self) -> f64 {
        self.findings_matched as f64 / self.findings.max(1) as f64
    }
}

/// The kinds the corpus labels, all of which the built-in detectors cover.
const KINDS: &[&str] = &[
    "email",
    "phone",
    "credit_card",
    "iban",
    "us_ssn",
    "ip_address",
    "url_credentials",
    "secret",
];

#[test]
fn dev_corpus_precision_and_recall() {
    let path = format!("{DATA}/redaction/dev.jsonl");
    let corpus = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    let redactor = redactor();
    let mut scores: BTreeMap<&str, Score> = BTreeMap::new();
    // Each miss and false alarm with the 20 bytes before it, for the failure message.
    let mut mistakes: Vec<String> = Vec::new();

    for line in corpus.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = row["text"].as_str().unwrap();
        let labels: Vec<Label> = row["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entity| Label {
                kind: entity["kind"].as_str().unwrap().to_string(),
                vendor: entity["vendor"].as_str().map(str::to_string),
                start: byte_offset(text, entity["start"].as_u64().unwrap() as usize),
                end: byte_offset(text, entity["end"].as_u64().unwrap() as usize),
            })
            .collect();
        let findings = redactor.redact(text, &mut Vault::new()).unwrap().findings;

        // The corpus's rule: a finding matches a label of the same kind when it
        // covers at least half of the label.
        let covers = |kind: &str, start: usize, end: usize, label: &Label| {
            let overlap = end.min(label.end).saturating_sub(start.max(label.start));
            label.kind == kind && 2 * overlap >= label.end - label.start
        };

        for &kind in KINDS {
            let score = scores.entry(kind).or_default();
            for label in labels.iter().filter(|l| l.kind == kind) {
                score.labels += 1;
                if findings.iter().any(|f| covers(kind, f.start, f.end, label)) {
                    score.labels_found += 1;
                } else {
                    let context =
                        &text[floor_boundary(text, label.start.saturating_sub(20))..label.end];
                    mistakes.push(format!("missed {kind} {:?}: {context:?}", label.vendor));
                }
            }
            for finding in findings.iter().filter(|f| f.kind == kind) {
                score.findings += 1;
                if labels
                    .iter()
                    .any(|l| covers(kind, finding.start, finding.end, l))
                {
                    score.findings_matched += 1;
                } else {
                    let context =
                        &text[floor_boundary(text, finding.start.saturating_sub(20))..finding.end];
                    mistakes.push(format!("false {kind}: {context:?}"));
                }
            }
        }
    }

    let report: Vec<String> = scores
        .iter()
        .map(|(kind, s)| {
            format!(
                "{kind}: recall {:.4} ({}/{}), precision {:.4} ({}/{})",
                s.recall(),
                s.labels_found,
                s.labels,
                s.precision(),
                s.findings_matched,
                s.findings
            )
        })
        .collect();
    let report = format!("{}\n{}", report.join("; "), mistakes.join("\n"));

    // Floors: every email, card and covered key in the corpus has a format these
    // detectors are built for, and all three kinds measured 1.0 for both
    // figures when the floors were set. 0.99 leaves room for a handful of
    // label changes in the corpus but fails on any systematic miss or false alarm.
    for &kind in KINDS {
        let score = &scores[kind];
        assert!(score.labels > 200, "too few {kind} labels: {report}");
        assert!(score.recall() >= 0.99, "{kind} recall below 0.99: {report}");
        assert!(
            score.precision() >= 0.99,
            "{kind} precision below 0.99: {report}"
        );
    }
}
