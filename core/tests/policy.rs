//! The call lifecycle through the public facade: begin, restore, finish, abort, drop.

use std::collections::BTreeMap;
use std::sync::Arc;

use ingate::{CallOptions, ChatRequest, Error, ErrorKind, ManualClock, Policy, Usage};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde_json::json;

fn at(text: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(text.parse::<Timestamp>().unwrap()))
}

fn policy(toml: &str) -> Policy {
    Policy::from_toml(toml)
        .unwrap()
        .with_clock(at("2026-12-04T12:00:00Z"))
}

fn request(model: &str, content: &str, max_tokens: u64) -> ChatRequest {
    ChatRequest::from_value(json!({
        "model": model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "temperature": 0.3
    }))
    .unwrap()
}

fn scope(name: &str) -> CallOptions {
    CallOptions {
        scope: Some(name.to_string()),
        tags: BTreeMap::from([("feature".to_string(), "search".to_string())]),
    }
}

fn usd(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[test]
fn begin_redacts_resolves_and_reserves() {
    let policy = policy("[models.aliases]\nfast = \"gpt-4o\"\n");
    let call = policy
        .begin(
            request("fast", "Mail jane.doe@example.com about it", 100),
            scope("acme/search"),
        )
        .unwrap();

    let sent = call.request().to_value();
    assert_eq!(sent["model"], "gpt-4o");
    assert_eq!(sent["temperature"], 0.3);
    let content = sent["messages"][0]["content"].as_str().unwrap();
    assert!(!content.contains("jane.doe"), "{content}");
    assert!(content.contains("<EMAIL_1>"), "{content}");

    assert!(call.input_tokens().exact);
    assert_eq!(call.output_cap(), 100);
    // Input at $2.50/M plus 100 output tokens at $10/M.
    let expected = Decimal::from(call.input_tokens().tokens) * usd("0.0000025")
        + Decimal::from(100) * usd("0.00001");
    assert_eq!(call.reserved_usd(), expected);
    assert_eq!(call.resolution().chain, vec!["fast", "gpt-4o"]);
}

#[test]
fn restore_puts_values_back() {
    let policy = Policy::default();
    let call = policy
        .begin(
            request("gpt-4o", "Reply to jane.doe@example.com", 50),
            CallOptions::default(),
        )
        .unwrap();
    assert_eq!(
        call.restore("Sent to <EMAIL_1>, not <EMAIL_2>."),
        "Sent to jane.doe@example.com, not <EMAIL_2>."
    );

    let mut restorer = call.stream_restorer();
    let mut streamed = restorer.push("Sent to <EMA");
    streamed.push_str(&restorer.push("IL_1>."));
    streamed.push_str(&restorer.finish());
    assert_eq!(streamed, "Sent to jane.doe@example.com.");

    // The owned restorer outlives the call, as a binding's iterator does.
    let mut owned = call.owned_stream_restorer();
    drop(call);
    let mut streamed = owned.push("To <EMAIL_1");
    streamed.push_str(&owned.push("> and <EMAIL_2>"));
    streamed.push_str(&owned.finish());
    assert_eq!(streamed, "To jane.doe@example.com and <EMAIL_2>");
}

#[test]
fn restore_json_round_trips_arguments() {
    // The policy's own pattern matches values with a quote, a backslash and a newline.
    let policy = policy(
        r#"
        [[redaction.patterns]]
        name = "account"
        regex = 'ACCT-[^ ,]+'
        "#,
    );
    let originals = ["ACCT-\"7\\x", "ACCT-a\nb\u{1}ü"];
    let arguments = json!({"to": originals[0], "cc": [originals[1], "jane@example.com"]});
    let request = ChatRequest::from_value(json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "Pay it"},
            {"role": "assistant", "content": null, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "pay", "arguments": arguments.to_string()}
            }]}
        ]
    }))
    .unwrap();
    let call = policy.begin(request, CallOptions::default()).unwrap();

    // The model repeats the redacted arguments it was sent.
    let sent = call.request().to_value();
    let redacted = sent["messages"][1]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(redacted.contains("<ACCOUNT_1>"), "{redacted}");
    assert!(redacted.contains("<EMAIL_1>"), "{redacted}");

    let restored = call.restore_json(&redacted);
    let parsed: serde_json::Value = serde_json::from_str(&restored).unwrap();
    assert_eq!(parsed, arguments);

    // Plain restore writes the quote unescaped, so the JSON breaks.
    assert!(serde_json::from_str::<serde_json::Value>(&call.restore(&redacted)).is_err());

    // Streamed in small pieces through the owned restorer, after the call is gone.
    let mut restorer = call.owned_json_stream_restorer();
    drop(call);
    let characters: Vec<char> = redacted.chars().collect();
    let mut streamed = String::new();
    for piece in characters.chunks(3) {
        streamed.push_str(&restorer.push(&piece.iter().collect::<String>()));
    }
    streamed.push_str(&restorer.finish());
    assert_eq!(streamed, restored);
}

#[test]
fn finish_settles_real_usage_and_records_it() {
    let policy = policy("[[budgets]]\nscope = \"acme\"\nusd_per_month = \"1\"\n");
    let mut call = policy
        .begin(request("gpt-4o", "Hello", 1000), scope("acme/search"))
        .unwrap();
    let usage = Usage::from_vendor_json(&json!({
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 1920}
    }))
    .unwrap();
    let record = call.finish(usage).unwrap();

    assert_eq!(record.cost_usd, usd("0.005615"));
    assert_eq!(record.scope, "acme/search");
    assert_eq!(record.tags["feature"], "search");
    assert_eq!(record.ts, "2026-12-04T12:00:00Z");
    assert!(!record.usage_simulated);
    assert!(record.energy_wh.value > 0.0);
    assert!(record.co2e_g.low <= record.co2e_g.high);

    let again = call.finish(usage).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvalidRequest);
}

#[test]
fn invalid_usage_leaves_call_open() {
    let policy = policy("[[budgets]]\nscope = \"acme\"\nusd_per_month = \"0.02\"\n");
    let mut call = policy
        .begin(request("gpt-4o", "Hello", 1000), scope("acme"))
        .unwrap();
    let bad = Usage {
        input_tokens: 5,
        cached_read_tokens: 9,
        ..Usage::default()
    };
    assert_eq!(
        call.finish(bad).unwrap_err().kind(),
        ErrorKind::InvalidRequest
    );
    let good = Usage {
        input_tokens: 5,
        output_tokens: 5,
        ..Usage::default()
    };
    assert!(call.finish(good).is_ok());
}

#[test]
fn abort_and_drop_release_the_reservation() {
    // Each call reserves about $0.01 (1,000 output tokens at $10/M); the limit fits one.
    let policy = policy("[[budgets]]\nscope = \"acme\"\nusd_per_day = \"0.015\"\n");
    let mut first = policy
        .begin(request("gpt-4o", "Hi", 1000), scope("acme"))
        .unwrap();
    let denied = policy
        .begin(request("gpt-4o", "Hi", 1000), scope("acme"))
        .unwrap_err();
    assert_eq!(denied.error.kind(), ErrorKind::BudgetExceeded);

    let record = first.abort("user cancelled");
    assert_eq!(record.abort_reason.as_deref(), Some("user cancelled"));
    assert_eq!(record.cost_usd, Decimal::ZERO);

    let second = policy
        .begin(request("gpt-4o", "Hi", 1000), scope("acme"))
        .unwrap();
    drop(second);
    assert!(
        policy
            .begin(request("gpt-4o", "Hi", 1000), scope("acme"))
            .is_ok()
    );
}

#[test]
fn denied_call_comes_with_a_record() {
    let policy = policy("[[budgets]]\nscope = \"acme/search\"\nusd_per_day = \"0.000001\"\n");
    let denied = policy
        .begin(request("gpt-4o", "Hello", 10), scope("acme/search/rerank"))
        .unwrap_err();
    let Error::BudgetExceeded {
        scope, resets_at, ..
    } = &denied.error
    else {
        panic!("expected BudgetExceeded, got {:?}", denied.error);
    };
    assert_eq!(scope, "acme/search");
    assert_eq!(resets_at.to_string(), "2026-12-05T00:00:00Z");
    let record = &denied.record;
    assert_eq!(record.deny_reason.as_deref(), Some("budget_exceeded"));
    assert_eq!(record.scope, "acme/search/rerank");
    assert_eq!(record.cost_usd, Decimal::ZERO);
    assert!(
        record
            .deny_message
            .as_ref()
            .unwrap()
            .contains("acme/search")
    );
}

#[test]
fn deprecation_action_follows_the_deepest_scope() {
    let toml = "[models]\non_deprecated = \"warn\"\n\
                [scopes.\"acme/strict\"]\non_deprecated = \"deny\"\n\
                [scopes.\"acme/auto\"]\non_deprecated = \"substitute\"\n";
    let policy = policy(toml);

    let warned = policy
        .begin(request("gpt-4o", "Hi", 10), scope("acme/other"))
        .unwrap();
    assert!(warned.warnings().iter().any(|w| w.contains("2027-01-14")));

    let denied = policy
        .begin(request("gpt-4o", "Hi", 10), scope("acme/strict/x"))
        .unwrap_err();
    assert_eq!(denied.error.kind(), ErrorKind::ModelRetired);
    assert!(
        denied.error.to_string().contains("retires on 2027-01-14"),
        "{}",
        denied.error
    );

    let substituted = policy
        .begin(request("gpt-4o", "Hi", 10), scope("acme/auto"))
        .unwrap();
    assert_ne!(substituted.model().id, "gpt-4o");
    assert!(
        substituted
            .warnings()
            .iter()
            .any(|w| w.contains("substituted"))
    );
}

#[test]
fn injected_clock_decides_retirement() {
    let before = Policy::default().with_clock(at("2026-11-01T00:00:00Z"));
    assert!(before.resolve_model("claude-sonnet-4-5").is_ok());
    let after = Policy::default().with_clock(at("2026-12-01T00:00:00Z"));
    let error = after.resolve_model("claude-sonnet-4-5").unwrap_err();
    assert_eq!(
        error.to_string(),
        "model `claude-sonnet-4-5` (resolved to `claude-sonnet-4-5-20250929`) retired on 2026-11-30, successor `claude-sonnet-5-5`"
    );
}

#[test]
fn oversized_prompt_is_denied_early() {
    let policy = Policy::default();
    let text = "word ".repeat(200_000);
    let denied = policy
        .begin(request("gpt-4o", &text, 10), CallOptions::default())
        .unwrap_err();
    assert_eq!(denied.error.kind(), ErrorKind::ContextWindowExceeded);
    assert!(!denied.record.to_json_line().contains("word word"));
}

#[test]
fn litellm_import_overrides_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"gpt-4o": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002,
            "max_input_tokens": 128000, "max_output_tokens": 16384}}"#,
    )
    .unwrap();
    let policy_path = dir.path().join("policy.toml");
    std::fs::write(&policy_path, "[catalog]\nlitellm = \"prices.json\"\n").unwrap();

    let policy = Policy::from_file(&policy_path).unwrap();
    let model = policy.catalog().get("gpt-4o").unwrap();
    assert_eq!(model.prices.input, usd("0.000001"));
    let untouched = policy.catalog().get("gpt-4.1").unwrap();
    assert_eq!(untouched.prices.input, usd("0.000002"));
}

#[test]
fn litellm_import_sanity_check_names_entry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("prices.json"),
        r#"{"my-model": {"litellm_provider": "openai", "mode": "chat",
            "input_cost_per_token": 2.5, "output_cost_per_token": 10,
            "max_input_tokens": 128000}}"#,
    )
    .unwrap();
    let policy_path = dir.path().join("policy.toml");
    std::fs::write(&policy_path, "[catalog]\nlitellm = \"prices.json\"\n").unwrap();
    let error = Policy::from_file(&policy_path).unwrap_err();
    assert!(error.to_string().contains("my-model"), "{error}");
}

#[test]
fn unknown_fallback_fails_the_load() {
    let error =
        Policy::from_toml("[models.fallbacks]\nsmart = [\"gpt-4o\", \"gpt-9-imaginary\"]\n")
            .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidPolicy);
    assert!(error.to_string().contains("gpt-9-imaginary"), "{error}");
}

#[test]
fn blocked_secret_names_detector_not_value() {
    let policy =
        Policy::from_toml("[redaction]\ndetectors = [\"secrets\"]\noperator = \"block\"\n")
            .unwrap();
    let key = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
    let denied = policy
        .begin(
            request("gpt-4o", &format!("my token is {key}"), 10),
            CallOptions::default(),
        )
        .unwrap_err();
    assert_eq!(denied.error.kind(), ErrorKind::RedactionBlocked);
    let message = denied.error.to_string();
    assert!(!message.contains(&key), "{message}");
    assert!(!denied.record.to_json_line().contains(&key));
}

#[test]
fn debug_output_hides_prompt_text() {
    let policy = Policy::default();
    let call = policy
        .begin(
            request("gpt-4o", "secret plan: jane.doe@example.com", 10),
            CallOptions::default(),
        )
        .unwrap();
    let debug = format!("{call:?} {policy:?}");
    assert!(!debug.contains("secret plan"), "{debug}");
    assert!(!debug.contains("jane.doe"), "{debug}");
}

#[test]
fn estimated_tokens_are_flagged() {
    let policy = Policy::default();
    let call = policy
        .begin(
            request("claude-sonnet-4-6", "Hello there", 10),
            CallOptions::default(),
        )
        .unwrap();
    assert!(!call.input_tokens().exact);
    let mut call = call;
    let record = call.finish_simulated().unwrap();
    assert!(!record.tokens_exact);
    assert!(record.usage_simulated);
}

#[test]
fn counting_a_retired_only_model_names_successor() {
    let policy = Policy::default().with_clock(at("2026-12-04T12:00:00Z"));
    let error = policy.count_tokens("gpt-4-32k", "Hello").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ModelRetired);
    assert!(error.to_string().contains("successor `gpt-4o`"), "{error}");

    let substitute = Policy::from_toml("[models]\non_deprecated = \"substitute\"\n")
        .unwrap()
        .with_clock(at("2026-12-04T12:00:00Z"));
    // The successor chain ends at a model without a published encoding, so this is an estimate.
    let count = substitute
        .count_tokens("gpt-4-32k", "Hello, world!")
        .unwrap();
    assert!(count.tokens >= 4, "{count:?}");
}

#[test]
fn malformed_requests_are_invalid() {
    let policy = Policy::default();
    let cases = [
        (
            json!({"messages": [{"role": "user", "content": "hi"}]}),
            "missing `model`",
        ),
        (
            json!({"model": "gpt-4o", "messages": []}),
            "`messages` is empty",
        ),
        (
            json!({"model": "gpt-4o", "messages": [{"role": "usr", "content": "hi"}]}),
            "message 1 has role `usr`",
        ),
    ];
    for (body, expected) in cases {
        let request = ChatRequest::from_value(body).unwrap();
        let denied = policy.begin(request, CallOptions::default()).unwrap_err();
        assert_eq!(denied.error.kind(), ErrorKind::InvalidRequest, "{expected}");
        assert!(
            denied.error.to_string().contains(expected),
            "{}",
            denied.error
        );
    }
}

#[test]
fn record_carries_water_and_assumption_flag() {
    let policy = Policy::default();
    let mut call = policy
        .begin(request("gpt-4o", "Hello", 10), CallOptions::default())
        .unwrap();
    let record = call.finish_simulated().unwrap();
    let value = serde_json::to_value(&record).unwrap();
    assert!(value["ingate.water_ml"]["value"].as_f64().unwrap() > 0.0);
    assert_eq!(value["ingate.energy_parameters_assumed"], false);
}
