//! End-to-end tests of `ingate redact`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn ingate_redact(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ingate"))
        .arg("redact")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ingate binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn text_format_redacts_whole_input() {
    let output = ingate_redact(&[], "mail ana@example.com\ncall +1 415-555-0132\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "mail <EMAIL_1>\ncall <PHONE_1>\n");
}

#[test]
fn jsonl_offsets_are_code_points() {
    let input = concat!(
        r#"{"text": "🙂 é jane@example.com, ssn 123-45-6789"}"#,
        "\n",
        r#"{"text": "nothing here"}"#,
        "\n"
    );
    let output = ingate_redact(&["--format", "jsonl"], input);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);

    let first = &lines[0];
    assert_eq!(first["text"], "🙂 é <EMAIL_1>, ssn <US_SSN_1>");
    let findings = first["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["kind"], "email");
    assert_eq!(findings[0]["start"], 4);
    assert_eq!(findings[0]["end"], 20);
    assert_eq!(findings[1]["kind"], "us_ssn");
    assert_eq!(findings[1]["start"], 26);
    assert_eq!(findings[1]["end"], 37);

    assert_eq!(lines[1]["text"], "nothing here");
    assert_eq!(lines[1]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn jsonl_secret_has_vendor() {
    let input = r#"{"text": "AWS_ACCESS_KEY_ID=AKIAQCENSCDK2K2JEKKB"}"#;
    let output = ingate_redact(&["--format", "jsonl"], input);
    assert!(output.status.success(), "{}", stderr(&output));
    let line: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(line["findings"][0]["kind"], "secret");
    assert_eq!(line["findings"][0]["vendor"], "aws");
    assert_eq!(line["findings"][0]["start"], 18);
}

#[test]
fn policy_pattern_and_operator_apply() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        r#"
[redaction]
detectors = ["email"]
operator = "mask"
[[redaction.patterns]]
name = "employee_id"
regex = 'EMP-\d{6}'
"#,
    )
    .unwrap();
    let output = ingate_redact(
        &["--policy", policy.to_str().unwrap()],
        "EMP-123456 ana@example.com +1 415-555-0132",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "[EMPLOYEE_ID] [EMAIL] +1 415-555-0132");
}

#[test]
fn invalid_jsonl_line_names_line_not_content() {
    let input = "{\"text\": \"ok\"}\n{\"text\": \"ana@example.com\n";
    let output = ingate_redact(&["--format", "jsonl"], input);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("line 2"), "{message}");
    assert!(!message.contains("ana@example.com"), "{message}");
}

#[test]
fn jsonl_offsets_between_findings_count_code_points() {
    let input = r#"{"text": "a@example.com ü🙂 b@example.com é c@example.com"}"#;
    let output = ingate_redact(&["--format", "jsonl"], input);
    assert!(output.status.success(), "{}", stderr(&output));
    let line: Value = serde_json::from_str(stdout(&output).trim_end()).unwrap();
    let findings = line["findings"].as_array().unwrap();
    let spans: Vec<(u64, u64)> = findings
        .iter()
        .map(|f| (f["start"].as_u64().unwrap(), f["end"].as_u64().unwrap()))
        .collect();
    assert_eq!(spans, [(0, 13), (17, 30), (33, 46)]);
}

#[test]
fn jsonl_lines_before_an_error_are_written() {
    let input = "{\"text\": \"a@example.com\"}\n{\"text\": \"b\"}\nnot json\n";
    let output = ingate_redact(&["--format", "jsonl"], input);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 3"), "{}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["text"], "<EMAIL_1>");
    assert_eq!(lines[1]["text"], "b");
}

#[test]
fn missing_text_field_is_an_error() {
    let output = ingate_redact(&["--format", "jsonl"], "{\"body\": \"x\"}\n");
    assert!(!output.status.success());
    assert!(stderr(&output).contains("`text`"), "{}", stderr(&output));
}

#[test]
fn blocked_finding_fails_without_value() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[redaction]\noperator = \"block\"\n").unwrap();
    let output = ingate_redact(
        &["--policy", policy.to_str().unwrap()],
        "key AKIAQCENSCDK2K2JEKKB",
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("secrets"), "{message}");
    assert!(!message.contains("AKIAQCENSCDK2K2JEKKB"), "{message}");
}
