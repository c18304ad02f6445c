//! Runs the language-neutral vectors in tests/vectors/*.json.
//!
//! Each file is `{"description": ..., "cases": [...]}`; each case has a `name`,
//! an `op`, its `input`, and either `expect` or `expect_error`. The Python,
//! Node and Kotlin suites run the same files through their bindings, so an
//! `op` here is one public call of the API every binding mirrors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ingate::{ChatRequest, ManualClock, Policy, Usage};
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Builds the case's policy: its `policy` TOML (or the default) at its `today` (or 2026-12-04).
fn policy_for(input: &Value) -> Policy {
    let policy = match input.get("policy").and_then(Value::as_str) {
        Some(toml) => Policy::from_toml(toml).expect("the vector's policy parses"),
        None => Policy::default(),
    };
    let today = input
        .get("today")
        .and_then(Value::as_str)
        .unwrap_or("2026-12-04");
    let now: jiff::Timestamp = format!("{today}T12:00:00Z").parse().expect("a valid date");
    policy.with_clock(Arc::new(ManualClock::new(now)))
}

fn text(input: &Value, key: &str) -> String {
    input[key]
        .as_str()
        .unwrap_or_else(|| panic!("input.{key} is a string"))
        .to_string()
}

fn number(input: &Value, key: &str) -> u64 {
    input[key]
        .as_u64()
        .unwrap_or_else(|| panic!("input.{key} is an integer"))
}

/// Runs one case and returns its result as JSON, or the error's kind and fields.
fn run_case(op: &str, input: &Value) -> Result<Value, Value> {
    let policy = policy_for(input);
    let error_json = |error: ingate::Error| {
        let mut value = json!({"kind": error.kind().as_str(), "message": error.to_string()});
        match error {
            ingate::Error::ModelRetired {
                successor,
                shutdown,
                ..
            } => {
                value["successor"] = json!(successor);
                value["shutdown"] = json!(shutdown.map(|date| date.to_string()));
            }
            ingate::Error::UnknownModel { suggestions, .. } => {
                value["suggestions"] = json!(suggestions);
            }
            ingate::Error::RedactionBlocked { detector, .. } => {
                value["detector"] = json!(detector);
            }
            _ => {}
        }
        value
    };

    match op {
        "count_tokens" => policy
            .count_tokens(&text(input, "model"), &text(input, "text"))
            .map(|count| serde_json::to_value(count).unwrap())
            .map_err(error_json),
        "count_chat" => {
            let request = ChatRequest::from_value(input["request"].clone()).map_err(error_json)?;
            policy
                .count_chat(&request)
                .map(|count| serde_json::to_value(count).unwrap())
                .map_err(error_json)
        }
        "resolve_model" => policy
            .resolve_model(&text(input, "name"))
            .map(|resolution| json!({"model": resolution.model, "chain": resolution.chain}))
            .map_err(error_json),
        "redact" => {
            let original = text(input, "text");
            let redaction = policy.redact(&original).map_err(error_json)?;
            let findings: Vec<Value> = redaction
                .findings
                .iter()
                .map(|finding| {
                    json!({
                        "kind": finding.kind,
                        "vendor": finding.vendor,
                        "start": finding.start,
                        "end": finding.end,
                        "start_code_points": original[..finding.start].chars().count(),
                        "end_code_points": original[..finding.end].chars().count(),
                        "start_utf16": original[..finding.start].encode_utf16().count(),
                        "end_utf16": original[..finding.end].encode_utf16().count(),
                        "replacement": finding.replacement,
                    })
                })
                .collect();
            Ok(json!({"text": redaction.text, "findings": findings}))
        }
        "cost" => {
            let resolution = policy
                .resolve_model(&text(input, "model"))
                .map_err(error_json)?;
            let model = policy
                .catalog()
                .get(&resolution.model)
                .expect("a resolved model is in the catalog");
            let usage = Usage::from_vendor_json(&input["usage"]).map_err(error_json)?;
            let cost = usage.cost(&model.prices).map_err(error_json)?;
            Ok(json!({"cost_usd": cost.to_string()}))
        }
        "estimate_energy" => policy
            .estimate_energy(
                &text(input, "model"),
                number(input, "input_tokens"),
                number(input, "output_tokens"),
                input.get("region").and_then(Value::as_str),
            )
            .map(|energy| serde_json::to_value(energy).unwrap())
            .map_err(error_json),
        other => panic!("unknown op `{other}`"),
    }
}

/// Checks that every key of `expected` matches `actual`; floats compare with a relative tolerance.
fn assert_matches(case: &str, path: &str, expected: &Value, actual: &Value) {
    match (expected, actual) {
        (Value::Object(expected), _) => {
            for (key, value) in expected {
                let child = actual.get(key).unwrap_or(&Value::Null);
                assert_matches(case, &format!("{path}.{key}"), value, child);
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            assert_eq!(
                expected.len(),
                actual.len(),
                "{case}: {path} has {} items, expected {}: {actual:?}",
                actual.len(),
                expected.len()
            );
            for (index, (e, a)) in expected.iter().zip(actual).enumerate() {
                assert_matches(case, &format!("{path}[{index}]"), e, a);
            }
        }
        (Value::Number(e), Value::Number(a)) if e.is_f64() || a.is_f64() => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            let tolerance = 1e-9 * e.abs().max(1e-12);
            assert!(
                (e - a).abs() <= tolerance,
                "{case}: {path} is {a}, expected {e}"
            );
        }
        _ => assert_eq!(expected, actual, "{case}: {path}"),
    }
}

#[test]
fn vectors_give_expected_results() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {:?}", vectors_dir());

    let mut cases = 0;
    for file in files {
        let document: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        for case in document["cases"].as_array().expect("`cases` is an array") {
            let name = format!(
                "{}: {}",
                file.file_name().unwrap().to_string_lossy(),
                case["name"].as_str().expect("every case has a name")
            );
            let op = case["op"].as_str().expect("every case has an op");
            let result = run_case(op, &case["input"]);
            match (case.get("expect"), case.get("expect_error"), result) {
                (Some(expected), None, Ok(actual)) => assert_matches(&name, "", expected, &actual),
                (None, Some(expected), Err(actual)) => {
                    assert_matches(&name, "error", expected, &actual)
                }
                (_, _, Ok(actual)) => panic!("{name}: expected an error, got {actual}"),
                (_, _, Err(actual)) => panic!("{name}: unexpected error {actual}"),
            }
            cases += 1;
        }
    }
    assert!(cases >= 20, "only {cases} vector cases ran");
}
