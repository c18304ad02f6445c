//! The README's first Rust call: resolve, redact, reserve, restore, settle.
//!
//! Run from the repository root: `cargo run -p ingate --example first_call`.

// The library denies printing; this program's output is its record.
#![allow(clippy::print_stdout)]

use ingate::{CallOptions, ChatRequest, Policy, Usage};

fn main() -> ingate::Result<()> {
    let policy = Policy::from_file("examples/policy.toml")?;
    let request = ChatRequest::from_json(
        r#"{"model": "fast", "messages": [
            {"role": "user", "content": "Write to jane@example.com"}]}"#,
    )?;

    let mut call = policy.begin(
        request,
        CallOptions {
            scope: Some("acme/text".into()),
            ..CallOptions::default()
        },
    )?;
    // Send call.request().to_value() to the vendor: model resolved, email replaced by <EMAIL_1>.
    let answer = call.restore("I wrote to <EMAIL_1>.");
    assert_eq!(answer, "I wrote to jane@example.com.");

    // The `usage` object of the vendor's response, as JSON text.
    let usage = Usage::from_json(r#"{"prompt_tokens": 14, "completion_tokens": 9}"#)?;
    let record = call.finish(usage)?;
    println!("{}", record.to_json_line());
    Ok(())
}
