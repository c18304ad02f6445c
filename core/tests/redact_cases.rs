//! Cases every redaction detector set must get right: card ranges, IBAN ends,
//! GUIDs, email boundaries, offsets in other languages' units, concurrent
//! vaults, streamed placeholders and several secrets in one text.

use std::thread;

use ingate::ErrorKind;
use ingate::redact::{
    HashKey, Operator, PatternConfig, RedactionConfig, Redactor, TermsConfig, Vault,
    code_point_offset, utf16_offset,
};

fn redactor() -> Redactor {
    Redactor::new(&RedactionConfig::default()).unwrap()
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

// Every key below is a random string in its vendor's format, not a credential.
const GITHUB_A: &str = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d";
const GITHUB_B: &str = "ghp_KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFR";
const OPENAI_PROJECT: &str = "sk-proj-Ynsg8OSDU5CHFVMbLXuoAVQxRuD2TBJl34CQ3Npy6ZcwK0eCsDTssLNoDJlDdyJpuuNNQxjmZbkgY1nVBQrdLQQMw7bjAcjSuQLHrrNxMfgjPIXfQJZVuqDaYBk3f";
const ANTHROPIC: &str = "sk-ant-api03-IYT7pg1z2AT6pFZ4ia5n8lwfnTgxSziMlerxl-SvPLn9LZXHzdx8rpnO_cFjjRkA4d-O0bByz4nJ8uIunYKrTLKgwH5amAA";
const AWS: &str = "AKIAQCENSCDK2K2JEKKB";
const PEM_A: &str = "-----BEGIN RSA PRIVATE KEY-----\ne6JmDzAR/DVwKRxXmQ0aAJEmiRnyXZ0GEt81nWAmokD0WJpdeR8d2Xz++nd6e08V\nJBq/V71DetSxKYQFNPPzh1wlsIvqBsKHTPqk3Rey2EKEXegqW8U5iIrHgFSiOZzP\n-----END RSA PRIVATE KEY-----";
const PEM_B: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nMbGa9Fhyzu+5/Fn0+V0UOBo6eDJWNHuf/Oac1wB66KdYzKQV1ake6GPItsAzeuMt\nb8qiVRbN8vi4ZXZmvvIVuSgr/iAHJpfnd86nJZzTmPp5qO9ZJ4yMIQUDzPi5phqG\n-----END OPENSSH PRIVATE KEY-----";

#[test]
fn mastercard_two_series_is_card() {
    let found = detect("card 2221 0000 0000 0009 on file");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "credit_card");
    assert_eq!(found[0].2, "2221 0000 0000 0009");
}

#[test]
fn unspaced_iban_before_word_is_whole() {
    let found = detect("Send it to DE44500105175407324931 please.");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "iban");
    assert_eq!(found[0].2, "DE44500105175407324931");
}

#[test]
fn guid_yields_no_phone() {
    let texts = [
        "request 6f1c2d3e-4b5a-4c6d-8046-1297901ea002 failed",
        "id=6F1C2D3E-4B5A-4C6D-8046-1297901EA002",
        "8046-1297901ea002",
    ];
    for text in texts {
        let found = detect(text);
        assert!(
            found.iter().all(|(kind, _, _)| kind != "phone"),
            "{text}: {found:?}"
        );
    }
}

#[test]
fn dotted_email_is_one_finding() {
    let found = detect("first.last@example.com");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "email");
    assert_eq!(found[0].2, "first.last@example.com");
}

#[test]
fn space_separated_emails_all_replaced() {
    let text = "a@example.com b@example.org c@example.net";
    let redaction = redactor().redact(text, &mut Vault::new()).unwrap();
    assert_eq!(redaction.findings.len(), 3);
    assert_eq!(redaction.text, "<EMAIL_1> <EMAIL_2> <EMAIL_3>");
}

#[test]
fn offsets_slice_email_in_every_unit() {
    // An emoji (two UTF-16 units, four bytes) and `e` with a combining acute
    // accent (two code points) before and after the address.
    let text = "🙂 cafe\u{301} jane@example.com 👍 e\u{301}";
    let redaction = redactor().redact(text, &mut Vault::new()).unwrap();
    assert_eq!(redaction.findings.len(), 1);
    let finding = &redaction.findings[0];

    let start = code_point_offset(text, finding.start);
    let end = code_point_offset(text, finding.end);
    let code_points: Vec<char> = text.chars().collect();
    let by_code_points: String = code_points[start..end].iter().collect();
    assert_eq!(by_code_points, "jane@example.com");

    let start = utf16_offset(text, finding.start);
    let end = utf16_offset(text, finding.end);
    let units: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(
        String::from_utf16(&units[start..end]).unwrap(),
        "jane@example.com"
    );
    assert_eq!((start, end), (9, 25));
}

#[test]
fn concurrent_vaults_restore_only_their_own() {
    let redactor = redactor();
    let handles: Vec<_> = ["a@example.com", "b@example.org"]
        .into_iter()
        .map(|address| {
            let redactor = redactor.clone();
            thread::spawn(move || {
                let mut vault = Vault::new();
                let text = format!("write to {address}");
                let redaction = redactor.redact(&text, &mut vault).unwrap();
                (vault, redaction.text, address)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let (vault_a, text_a, address_a) = &results[0];
    let (vault_b, text_b, address_b) = &results[1];
    assert_eq!(text_a, "write to <EMAIL_1>");
    assert_eq!(text_b, "write to <EMAIL_1>");
    assert_eq!(vault_a.restore(text_a), format!("write to {address_a}"));
    assert_eq!(vault_b.restore(text_b), format!("write to {address_b}"));

    // Call A has issued no <EMAIL_2>; call B's second placeholder stays as it is.
    let mut vault_b = Vault::new();
    redactor
        .redact("x@example.com y@example.com", &mut vault_b)
        .unwrap();
    assert_eq!(vault_a.restore("<EMAIL_2>"), "<EMAIL_2>");
    assert_eq!(vault_b.restore("<EMAIL_2>"), "y@example.com");
}

#[test]
fn stream_split_placeholder_is_restored() {
    let mut vault = Vault::new();
    redactor()
        .redact("mail ana@example.com", &mut vault)
        .unwrap();
    let mut restorer = vault.stream_restorer();
    let mut out = restorer.push("I wrote to <EMA");
    out.push_str(&restorer.push("IL_1> thanks"));
    out.push_str(&restorer.finish());
    assert_eq!(out, "I wrote to ana@example.com thanks");
}

#[test]
fn two_github_tokens_two_placeholders() {
    let text = format!("old {GITHUB_A}\nnew {GITHUB_B}");
    let redaction = redactor().redact(&text, &mut Vault::new()).unwrap();
    assert_eq!(redaction.findings.len(), 2);
    assert_eq!(redaction.findings[0].vendor.as_deref(), Some("github"));
    assert_eq!(redaction.findings[1].vendor.as_deref(), Some("github"));
    assert_ne!(
        redaction.findings[0].replacement,
        redaction.findings[1].replacement
    );
}

#[test]
fn two_pem_keys_two_whole_blocks() {
    let text = format!("first:\n{PEM_A}\nsecond:\n{PEM_B}\n");
    let found = detect(&text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].1.as_deref(), Some("private_key"));
    assert_eq!(found[0].2, PEM_A);
    assert_eq!(found[1].2, PEM_B);
}

#[test]
fn env_snippet_finds_three_vendors() {
    let text = format!(
        "OPENAI_API_KEY={OPENAI_PROJECT}\nANTHROPIC_API_KEY=\"{ANTHROPIC}\"\nAWS_ACCESS_KEY_ID={AWS}\n"
    );
    let found = detect(&text);
    let vendors: Vec<Option<&str>> = found.iter().map(|f| f.1.as_deref()).collect();
    assert_eq!(vendors, [Some("openai"), Some("anthropic"), Some("aws")]);
    assert_eq!(found[0].2, OPENAI_PROJECT);
    assert_eq!(found[1].2, ANTHROPIC);
    assert_eq!(found[2].2, AWS);
}

#[test]
fn new_detector_positive_cases() {
    // (text, kind, vendor, value)
    let cases: &[(&str, &str, Option<&str>, &str)] = &[
        ("call (415) 555-0132 now", "phone", None, "(415) 555-0132"),
        ("call 415-555-0132.", "phone", None, "415-555-0132"),
        ("us +1 415-555-0132", "phone", None, "+1 415-555-0132"),
        ("uk +44 20 7946 0958", "phone", None, "+44 20 7946 0958"),
        ("uk 020 7946 0958", "phone", None, "020 7946 0958"),
        ("de +49 30 1234567", "phone", None, "+49 30 1234567"),
        ("de 030 12345678", "phone", None, "030 12345678"),
        ("fr +33 1 42 68 53 00", "phone", None, "+33 1 42 68 53 00"),
        ("fr 01 42 68 53 00", "phone", None, "01 42 68 53 00"),
        ("in +91 98765 43210", "phone", None, "+91 98765 43210"),
        ("in 98765 43210", "phone", None, "98765 43210"),
        ("br +55 11 98765-4321", "phone", None, "+55 11 98765-4321"),
        ("br (11) 98765-4321", "phone", None, "(11) 98765-4321"),
        ("jp +81 3-1234-5678", "phone", None, "+81 3-1234-5678"),
        ("jp 090-1234-5678", "phone", None, "090-1234-5678"),
        (
            "iban GB82 WEST 1234 5698 7654 32.",
            "iban",
            None,
            "GB82 WEST 1234 5698 7654 32",
        ),
        ("ssn 123-45-6789", "us_ssn", None, "123-45-6789"),
        (
            "host 192.168.10.254:8080",
            "ip_address",
            None,
            "192.168.10.254",
        ),
        (
            "v6 2001:db8::8a2e:370:7334 up",
            "ip_address",
            None,
            "2001:db8::8a2e:370:7334",
        ),
        ("v6 fe80::1 up", "ip_address", None, "fe80::1"),
        (
            "db postgresql://app:s3cr3t!pw@db.example.net:5432/main.",
            "url_credentials",
            None,
            "postgresql://app:s3cr3t!pw@db.example.net:5432/main",
        ),
        (
            "SLACK=xoxb-8657975432-3194875749118-AkWvj7FAc9QeWJKY40uvSwMF",
            "secret",
            Some("slack"),
            "xoxb-8657975432-3194875749118-AkWvj7FAc9QeWJKY40uvSwMF",
        ),
        (
            "stripe sk_live_LZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsiVpzz63Ff",
            "secret",
            Some("stripe"),
            "sk_live_LZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsiVpzz63Ff",
        ),
        (
            "key=AIzav5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZYn&q=1",
            "secret",
            Some("google"),
            "AIzav5ZJr3J1TWDtkwtDDb_xHKas1VOqg6YYZYn",
        ),
        (
            "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
            "secret",
            Some("jwt"),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ),
    ];
    for &(text, kind, vendor, value) in cases {
        let found = detect(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert_eq!(found[0].0, kind, "{text}");
        assert_eq!(found[0].1.as_deref(), vendor, "{text}");
        assert_eq!(found[0].2, value, "{text}");
    }
}

#[test]
fn new_detector_negative_cases() {
    let cases: &[(&str, &str)] = &[
        ("ssn area 000", "000-12-3456"),
        ("ssn area 666", "666-12-3456"),
        ("ssn area 9xx", "912-12-3456"),
        ("ssn group 00", "123-00-4567"),
        ("ssn serial 0000", "123-45-0000"),
        ("iban bad checksum", "DE44500105175407324932"),
        ("iban wrong length", "DE4450010517540732493"),
        ("version string", "version 1.2.3.4.5"),
        ("ipv4 out of range", "256.1.1.1"),
        ("clock time", "at 12:30:45"),
        ("mac address", "00:1a:2b:3c:4d:5e"),
        ("nanp area starting 1", "123-456-7890"),
        ("date", "2024-01-15"),
        ("url without password", "https://user@example.com/x"),
        (
            "jwt header not json",
            "eyJub3Rqc29u.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        ),
        (
            "mismatched pem labels",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END EC PRIVATE KEY-----",
        ),
        ("card number groups", "4111 1111 1111 1111 is not a phone"),
    ];
    for &(name, text) in cases {
        let found = detect(text);
        let unexpected: Vec<_> = found
            .iter()
            .filter(|(kind, _, _)| name != "card number groups" || kind != "credit_card")
            .collect();
        assert!(unexpected.is_empty(), "case `{name}` found {unexpected:?}");
    }
}

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// Returns the `prompt` column of awesome-chatgpt-prompts' prompts.csv.
fn prompts() -> Vec<String> {
    let path = format!("{DATA}/prompts/awesome-chatgpt-prompts.csv");
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|name| name == "prompt")
        .expect("prompts.csv has a `prompt` column");
    reader
        .records()
        .map(|record| record.unwrap()[column].to_string())
        .collect()
}

#[test]
fn prompts_file_findings() {
    let redactor = redactor();
    let mut found = Vec::new();
    for prompt in prompts() {
        let redaction = redactor.redact(&prompt, &mut Vault::new()).unwrap();
        for finding in redaction.findings {
            found.push(format!(
                "{} {:?}",
                finding.kind,
                &prompt[finding.start..finding.end]
            ));
        }
    }
    // Every finding is a value of its kind that the prompt text really
    // contains; docs/redaction.md judges each one.
    let expected = [
        r#"email "john.doe@defensetech.com""#,
        r#"email "user@domain.ext""#,
        r#"ip_address "127.0.0.1""#,
        r#"ip_address "0.0.0.0""#,
        r#"email "john@example.com""#,
        r#"email "john@example.com""#,
        r#"ip_address "10.0.0.15""#,
    ];
    assert_eq!(found, expected);
}

fn policy(toml_text: &str) -> RedactionConfig {
    toml::from_str(toml_text).unwrap()
}

#[test]
fn per_detector_operators_apply() {
    let config = policy(
        r#"
        operator = "placeholder"
        hash_key = "test-only-key"
        [operators]
        email = "mask"
        credit_card = "partial"
        us_ssn = "hash"
        "#,
    );
    let redactor = Redactor::new(&config).unwrap();
    let text = "ana@example.com 4111 1111 1111 1111 123-45-6789 +1 415-555-0132";
    let redaction = redactor.redact(text, &mut Vault::new()).unwrap();
    let replacements: Vec<&str> = redaction
        .findings
        .iter()
        .map(|f| f.replacement.as_str())
        .collect();
    assert_eq!(replacements[0], "[EMAIL]");
    assert_eq!(replacements[1], "***************1111");
    assert!(
        replacements[2].starts_with("[US_SSN:"),
        "{}",
        replacements[2]
    );
    assert_eq!(replacements[3], "<PHONE_1>");
}

#[test]
fn hash_is_stable_across_calls() {
    let config = RedactionConfig {
        operator: Operator::Hash,
        hash_key: Some(HashKey("test-only-key".into())),
        ..RedactionConfig::default()
    };
    let redactor = Redactor::new(&config).unwrap();
    let first = redactor
        .redact("ana@example.com", &mut Vault::new())
        .unwrap();
    let second = redactor
        .redact("ana@example.com", &mut Vault::new())
        .unwrap();
    assert_eq!(first.text, second.text);
    assert_ne!(first.text, "ana@example.com");

    let other_key = RedactionConfig {
        hash_key: Some(HashKey("another-key".into())),
        ..config
    };
    let third = Redactor::new(&other_key)
        .unwrap()
        .redact("ana@example.com", &mut Vault::new())
        .unwrap();
    assert_ne!(first.text, third.text);
}

#[test]
fn hash_key_from_environment() {
    let config = RedactionConfig {
        operator: Operator::Hash,
        hash_key_env: Some("INGATE_TEST_HASH_KEY_UNSET_42".into()),
        ..RedactionConfig::default()
    };
    let error = Redactor::new(&config).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    assert!(
        error.to_string().contains("INGATE_TEST_HASH_KEY_UNSET_42"),
        "{error}"
    );

    // PATH is set in every test environment, so it serves as a key here.
    let config = RedactionConfig {
        hash_key_env: Some("PATH".into()),
        ..config
    };
    let redaction = Redactor::new(&config)
        .unwrap()
        .redact("ana@example.com", &mut Vault::new())
        .unwrap();
    assert!(redaction.text.starts_with("[EMAIL:"), "{}", redaction.text);
}

#[test]
fn hash_key_missing_is_invalid() {
    let config = RedactionConfig {
        operator: Operator::Hash,
        ..RedactionConfig::default()
    };
    let error = Redactor::new(&config).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    assert!(error.to_string().contains("hash_key"), "{error}");
}

#[test]
fn hash_key_debug_hides_key() {
    let key = HashKey("very-secret-key".into());
    assert!(!format!("{key:?}").contains("very-secret-key"));
}

#[test]
fn policy_pattern_is_found() {
    let config = policy(
        r#"
        [[patterns]]
        name = "employee_id"
        regex = 'EMP-\d{6}'
        operator = "mask"
        "#,
    );
    let redactor = Redactor::new(&config).unwrap();
    let redaction = redactor
        .redact("badge EMP-123456, mail ana@example.com", &mut Vault::new())
        .unwrap();
    assert_eq!(redaction.text, "badge [EMPLOYEE_ID], mail <EMAIL_1>");
    assert_eq!(redaction.findings[0].kind, "employee_id");
}

#[test]
fn pathological_pattern_is_rejected() {
    let config = RedactionConfig {
        patterns: vec![PatternConfig {
            name: "huge".into(),
            regex: r"(\w{100}){100}".into(),
            operator: None,
        }],
        ..RedactionConfig::default()
    };
    let error = Redactor::new(&config).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    assert!(error.to_string().contains("`huge`"), "{error}");
}

#[test]
fn invalid_pattern_names_are_rejected() {
    for name in ["email", "bad name", "1st", ""] {
        let config = RedactionConfig {
            patterns: vec![PatternConfig {
                name: name.into(),
                regex: "x".into(),
                operator: None,
            }],
            ..RedactionConfig::default()
        };
        let error = Redactor::new(&config).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidPolicy, "{name}");
    }
}

#[test]
fn term_list_options() {
    let terms = |case_insensitive, whole_word| RedactionConfig {
        terms: vec![TermsConfig {
            name: "codename".into(),
            terms: vec!["Bluebird".into(), "Orca".into()],
            case_insensitive,
            whole_word,
            operator: None,
        }],
        ..RedactionConfig::default()
    };
    let text = "bluebird and Orca, Orcas, BLUEBIRD";
    let count = |config: RedactionConfig| {
        Redactor::new(&config)
            .unwrap()
            .redact(text, &mut Vault::new())
            .unwrap()
            .findings
            .len()
    };
    assert_eq!(count(terms(false, false)), 2); // Orca, Orca(s)
    assert_eq!(count(terms(false, true)), 1); // Orca
    assert_eq!(count(terms(true, false)), 4);
    assert_eq!(count(terms(true, true)), 3);
}

#[test]
fn unknown_operator_key_is_invalid() {
    let config = policy(
        r#"
        [operators]
        emial = "mask"
        "#,
    );
    let error = Redactor::new(&config).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    assert!(error.to_string().contains("`emial`"), "{error}");
}

#[test]
fn block_per_detector_names_it() {
    let config = policy(
        r#"
        [operators]
        secrets = "block"
        "#,
    );
    let redactor = Redactor::new(&config).unwrap();
    let clean = redactor.redact("mail ana@example.com", &mut Vault::new());
    assert!(clean.is_ok());
    let error = redactor
        .redact(&format!("key {AWS} ana@example.com"), &mut Vault::new())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RedactionBlocked);
    let message = error.to_string();
    assert!(message.contains("secrets"), "{message}");
    assert!(!message.contains(AWS), "{message}");
}

const GITLEAKS_RULES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/secrets/gitleaks-b58d3f1.toml"
);

fn gitleaks_redactor() -> Redactor {
    let config = policy(&format!("[secrets]\ngitleaks = {GITLEAKS_RULES:?}\n"));
    Redactor::new(&config).unwrap()
}

#[test]
fn gitleaks_rules_all_accounted() {
    let redactor = gitleaks_redactor();
    let rejected = redactor.gitleaks_rejected();
    let report: Vec<String> = rejected
        .iter()
        .map(|rule| format!("{}: {}", rule.id, rule.reason))
        .collect();
    assert_eq!(
        redactor.gitleaks_loaded() + rejected.len(),
        222,
        "{}",
        report.join("\n")
    );
    for rule in rejected {
        assert!(!rule.id.is_empty());
        assert!(!rule.reason.is_empty(), "{}", rule.id);
    }
    // docs/redaction.md lists these rules and why they do not load.
    let ids: Vec<&str> = rejected.iter().map(|rule| rule.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "generic-api-key",
            "pkcs12-file",
            "pypi-upload-token",
            "vault-batch-token"
        ],
        "{}",
        report.join("\n")
    );
    assert_eq!(redactor.gitleaks_loaded(), 218);
}

#[test]
fn gitleaks_rule_finds_secret_group() {
    let redactor = gitleaks_redactor();
    // A random string in the npm token format, not a real token.
    let token = "npm_k3j9x0q7w2m5v8b1n4c6z0a2s5d8f1g4h7j0";
    let text = format!("//registry/:_authToken={token}\n");
    let redaction = redactor.redact(&text, &mut Vault::new()).unwrap();
    assert_eq!(redaction.findings.len(), 1, "{:?}", redaction.findings);
    let finding = &redaction.findings[0];
    assert_eq!(finding.kind, "secret");
    assert_eq!(finding.vendor.as_deref(), Some("gitleaks:npm-access-token"));
    assert_eq!(&text[finding.start..finding.end], token);
}

#[test]
fn gitleaks_missing_file_is_invalid() {
    let config = policy("[secrets]\ngitleaks = \"/nonexistent/gitleaks.toml\"\n");
    let error = Redactor::new(&config).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    assert!(error.to_string().contains("gitleaks"), "{error}");
}
