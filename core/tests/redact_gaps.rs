//! Formats that need context or a second spelling. AWS secret access keys are
//! found by the name they are assigned to. IPv6 addresses may start with `::`,
//! IBANs may be in lower case, and phone numbers may lack separators. A
//! gitleaks rule file may be named relative to the policy file.

use ingate::config::PolicyConfig;
use ingate::redact::{RedactionConfig, Redactor, Vault};

/// Returns the (kind, vendor, value) of every finding of the default redactor in `text`.
fn detect(text: &str) -> Vec<(String, Option<String>, String)> {
    let redactor = Redactor::new(&RedactionConfig::default()).unwrap();
    let redaction = redactor.redact(text, &mut Vault::new()).unwrap();
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

/// Asserts that `text` yields exactly one finding, of `kind`, covering `value`.
fn assert_one(text: &str, kind: &str, vendor: Option<&str>, value: &str) {
    let found = detect(text);
    assert_eq!(found.len(), 1, "{text:?}: {found:?}");
    assert_eq!(found[0].0, kind, "{text:?}");
    assert_eq!(found[0].1.as_deref(), vendor, "{text:?}");
    assert_eq!(found[0].2, value, "{text:?}");
}

/// Asserts that `text` yields no finding of `kind`.
fn assert_none_of(text: &str, kind: &str) {
    let found = detect(text);
    let of_kind: Vec<_> = found.iter().filter(|(k, _, _)| k == kind).collect();
    assert!(of_kind.is_empty(), "{text:?}: {of_kind:?}");
}

// Random strings in the format of an AWS secret access key, not credentials.
const AWS_SECRET: &str = "Fvp1hc8cOeziteTW8znjq0Eb5n1F6byqxF4t8829";
const AWS_SECRET_SLASHES: &str = "yLDHtm8A+tCE1q7sj4kvZt+B00hlHZTQJZD9u42n";

#[test]
fn aws_secret_key_by_name() {
    let cases = [
        format!("[default]\naws_secret_access_key = {AWS_SECRET}\n"),
        format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET}"),
        format!("export AWS_SECRET_ACCESS_KEY=\"{AWS_SECRET}\""),
        format!("{{\"SecretAccessKey\": \"{AWS_SECRET}\"}}"),
        format!("secretAccessKey: '{AWS_SECRET}',"),
        format!("aws-secret-access-key:{AWS_SECRET}"),
        format!("AWS_SECRET_ACCESS_KEY := {AWS_SECRET}"),
    ];
    for text in &cases {
        assert_one(text, "secret", Some("aws"), AWS_SECRET);
    }
    let with_slashes = format!("aws_secret_access_key={AWS_SECRET_SLASHES}");
    assert_one(&with_slashes, "secret", Some("aws"), AWS_SECRET_SLASHES);
}

#[test]
fn aws_secret_key_as_cli_argument() {
    let cases = [
        format!("aws configure set --secret-access-key {AWS_SECRET} --profile x"),
        format!("tool --aws-secret-access-key {AWS_SECRET}"),
        format!("tool --aws-secret-access-key \"{AWS_SECRET}\""),
        format!("tool --secret-access-key={AWS_SECRET}"),
    ];
    for text in &cases {
        assert_one(text, "secret", Some("aws"), AWS_SECRET);
    }
}

#[test]
fn aws_secret_key_needs_name() {
    let cases = [
        // The same value without the name is one of many 40-character strings.
        format!("checksum {AWS_SECRET}"),
        format!("aws_access_key_id = {AWS_SECRET}"),
        format!("secret_access_key_file = {AWS_SECRET}"),
        // A value after a space needs a `--` option before it.
        format!("the secret-access-key {AWS_SECRET}"),
        format!("set -secret-access-key {AWS_SECRET}"),
        // 41 characters are a longer value, not a key.
        format!("aws_secret_access_key = {AWS_SECRET}x"),
        // AWS's documentation example.
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string(),
        // A placeholder, not random.
        "AWS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
    ];
    for text in &cases {
        assert_none_of(text, "secret");
    }
}

#[test]
fn ipv6_starting_with_colons() {
    assert_one("listen on ::1 only", "ip_address", None, "::1");
    assert_one("bind [::1]:8080", "ip_address", None, "::1");
    assert_one(
        "client ::ffff:192.0.2.44 connected",
        "ip_address",
        None,
        "::ffff:192.0.2.44",
    );
    assert_one(
        "route ::ffff:a00:1, done",
        "ip_address",
        None,
        "::ffff:a00:1",
    );
}

#[test]
fn ipv6_with_embedded_ipv4() {
    let cases = [
        ("nat64 prefix 64:ff9b::192.0.2.1 here", "64:ff9b::192.0.2.1"),
        ("mapped ::ffff:10.0.0.1 here", "::ffff:10.0.0.1"),
        ("full 0:0:0:0:0:ffff:10.0.0.1.", "0:0:0:0:0:ffff:10.0.0.1"),
        (
            "six groups 2001:db8:1:2:3:4:198.51.100.7",
            "2001:db8:1:2:3:4:198.51.100.7",
        ),
        (
            "compressed 2001:db8::ffff:203.0.113.9,",
            "2001:db8::ffff:203.0.113.9",
        ),
    ];
    for (text, address) in cases {
        assert_one(text, "ip_address", None, address);
    }
}

#[test]
fn ipv6_colons_in_code_are_not_addresses() {
    for text in [
        "use std::f64::consts;",
        "x = Self::add(a, b)",
        "Foo::bar and Baz::cafe",
        "value :: 1",
        "Ruby ::Dead constant",
        "the :: operator",
    ] {
        assert_none_of(text, "ip_address");
    }
}

#[test]
fn lower_case_iban() {
    assert_one(
        "iban gb82west12345698765432 please",
        "iban",
        None,
        "gb82west12345698765432",
    );
    assert_one(
        "iban de89 3704 0044 0532 0130 00.",
        "iban",
        None,
        "de89 3704 0044 0532 0130 00",
    );
}

#[test]
fn lower_case_iban_still_checked() {
    // Wrong check digits, mixed case, and a git-hash-like string.
    for text in [
        "iban gb83west12345698765432",
        "iban Gb82west12345698765432",
        "iban GB82west12345698765432",
        "commit de89370400440532013001",
    ] {
        assert_none_of(text, "iban");
    }
}

#[test]
fn unseparated_international_phone() {
    assert_one("call +442079460958 now", "phone", None, "+442079460958");
    assert_one("call +14155550132.", "phone", None, "+14155550132");
    assert_one("de +4915112345678", "phone", None, "+4915112345678");
    assert_one("in +919876543210", "phone", None, "+919876543210");
    // A country code of a supported country with the wrong national length.
    assert_none_of("score +4420794", "phone");
    assert_none_of("code +10000000000", "phone");
}

#[test]
fn unseparated_national_phone_after_word() {
    let cases = [
        ("Phone: 02079460958", "02079460958"),
        ("tel. 0142685300", "0142685300"),
        ("Tel.: 03012345678", "03012345678"),
        ("mobile 09012345678", "09012345678"),
        ("\"phone_number\": \"4155550132\"", "4155550132"),
        ("phone no. 9876543210", "9876543210"),
        ("Mobile number: 14155550132", "14155550132"),
        ("Telefon 030123456789", "030123456789"),
        ("電話: 0312345678", "0312345678"),
        ("cell=+14155550132", "+14155550132"),
    ];
    for (text, value) in cases {
        assert_one(text, "phone", None, value);
    }
}

#[test]
fn unseparated_digits_without_phone_word() {
    for text in [
        // Order numbers, ids and timestamps are not phone numbers.
        "order 02079460958",
        "Order #4155550132 shipped",
        "invoice 9876543210",
        "id: 0142685300",
        "tracking number 4155550132",
        "created 1733356800 (epoch)",
        "hotel 0301234567",
        "Intel 4155550132",
        // A phone word, but not right before the number.
        "phone 2 of 3: 4155550132",
        "phone (home): 4155550132",
        // A phone word, but not a phone number's shape.
        "phone: 1234567890",
        "tel: 0012345678",
        "phone: 415555013",
        "phone: 4155550132999",
        "phone: x4155550132",
    ] {
        assert_none_of(text, "phone");
    }
}

#[test]
fn gitleaks_path_relative_to_policy_file() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::create_dir(folder.path().join("rules")).unwrap();
    std::fs::write(
        folder.path().join("rules/gitleaks.toml"),
        "[[rules]]\nid = \"demo-token\"\nregex = '''demo_[a-z0-9]{16}'''\nkeywords = [\"demo_\"]\n",
    )
    .unwrap();
    let policy_path = folder.path().join("policy.toml");
    std::fs::write(
        &policy_path,
        "[redaction.secrets]\ngitleaks = \"rules/gitleaks.toml\"\n",
    )
    .unwrap();

    // The tests run in the crate's folder, where `rules/gitleaks.toml` does not exist.
    assert!(!std::path::Path::new("rules/gitleaks.toml").exists());
    let config = PolicyConfig::from_file(&policy_path).unwrap();
    let redactor = Redactor::new(&config.redaction).unwrap();
    assert_eq!(redactor.gitleaks_loaded(), 1);

    let text = "token demo_k3j9x0q7w2m5v8b1 here";
    let findings = redactor.redact(text, &mut Vault::new()).unwrap().findings;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].vendor.as_deref(), Some("gitleaks:demo-token"));
}

#[test]
fn gitleaks_path_in_text_policy_uses_cwd() {
    // A policy parsed from text has no file, so its relative path stays as
    // written and is opened from the working directory.
    let config = PolicyConfig::from_toml(
        "[redaction.secrets]\ngitleaks = \"rules/gitleaks.toml\"\n",
        None,
    )
    .unwrap();
    assert_eq!(
        config.redaction.secrets.gitleaks.as_deref(),
        Some(std::path::Path::new("rules/gitleaks.toml"))
    );
    assert!(Redactor::new(&config.redaction).is_err());
}
