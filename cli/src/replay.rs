//! `ingate replay`: run a traffic file through a policy, as if each line were a live call.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ingate::catalog::Severity;
use ingate::record::{CallRecord, Summary, Totals};
use ingate::{CallOptions, ChatRequest, Policy, Usage};
use serde_json::{Map, Value};

use crate::table::Table;

/// Arguments of `ingate replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Traffic as JSON Lines: OpenAI Batch API requests (`custom_id`, `method`,
    /// `url`, `body`) or plain chat completion bodies; a line may add `scope`
    /// and `tags`. `-` reads standard input.
    input: PathBuf,
    /// OpenAI Batch API output (JSON Lines) whose `usage` settles each call by
    /// `custom_id`; without it, calls settle at their output cap and records
    /// say `ingate.usage_simulated`.
    #[arg(long, value_name = "OUTPUT.jsonl")]
    responses: Option<PathBuf>,
    /// The policy file; the built-in default policy applies without it.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Write one call record per line to this file.
    #[arg(long, value_name = "RECORDS.jsonl")]
    records: Option<PathBuf>,
    /// Stop at the first malformed line instead of reporting and skipping it.
    #[arg(long)]
    strict: bool,
}

/// Vendor usage by `custom_id`; `None` for a request the vendor failed.
type Responses = HashMap<String, Option<Usage>>;

/// Runs `ingate replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let policy = match &args.policy {
        Some(path) => Policy::from_file(path)?,
        None => Policy::default(),
    };
    for diagnostic in policy.diagnostics() {
        let label = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        eprintln!("policy {label}: {}", diagnostic.message);
    }
    let responses = match &args.responses {
        Some(path) => Some(read_responses(path, args.strict)?),
        None => None,
    };
    let mut records_out = match &args.records {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?,
        )),
        None => None,
    };

    let progress = progress_bar(&args.input);
    let reader = crate::open_input(Some(&args.input))?;
    let mut summary = Summary::default();
    let mut malformed = 0_u64;
    let mut missing_responses = 0_u64;

    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("cannot read line {number}"))?;
        progress.inc(line.len() as u64 + 1);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }

        let traffic = match parse_line(&line) {
            Ok(traffic) => traffic,
            Err(error) => {
                malformed += 1;
                let message = format!("line {number}: {error:#}");
                if args.strict {
                    progress.finish_and_clear();
                    bail!("{message} (stopped by --strict)");
                }
                progress.suspend(|| eprintln!("{message}; skipped"));
                continue;
            }
        };

        let record = replay_one(&policy, traffic, responses.as_ref(), &mut missing_responses);
        summary.add(&record);
        if let Some(out) = records_out.as_mut() {
            writeln!(out, "{}", record.to_json_line()).context("cannot write a record")?;
        }
    }
    progress.finish_and_clear();
    if let Some(mut out) = records_out {
        out.flush().context("cannot write the records file")?;
    }

    crate::emit(&render_summary(&summary))?;
    if malformed > 0 {
        eprintln!("{malformed} malformed line(s) skipped");
    }
    if missing_responses > 0 {
        eprintln!(
            "{missing_responses} call(s) had no matching `custom_id` in --responses and were settled at their output cap"
        );
    }
    if responses.is_none() && summary.total.simulated_calls > 0 {
        eprintln!(
            "usage simulated: output tokens are each request's max_tokens (or the policy's default); pass --responses for real usage"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of traffic.
struct Traffic {
    custom_id: Option<String>,
    request: ChatRequest,
    options: CallOptions,
}

fn parse_line(line: &[u8]) -> anyhow::Result<Traffic> {
    let text = std::str::from_utf8(line)
        .map_err(|error| anyhow::anyhow!("not valid UTF-8 at byte {}", error.valid_up_to()))?;
    let value: Value = serde_json::from_str(text).map_err(|error| {
        // serde_json appends "at line 1 column N"; inside one JSONL line only the column matters.
        let message = error.to_string();
        let reason = message.split(" at line ").next().unwrap_or(&message);
        anyhow::anyhow!("not valid JSON at column {}: {reason}", error.column())
    })?;
    let Value::Object(mut object) = value else {
        bail!("expected a JSON object");
    };

    let scope = match object.remove("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(scope)) => Some(scope),
        Some(other) => bail!("`scope` must be a string, found {}", json_type(&other)),
    };
    let tags = match object.remove("tags") {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Object(tags)) => tags_to_strings(tags),
        Some(other) => bail!("`tags` must be an object, found {}", json_type(&other)),
    };

    let (custom_id, body) = if let Some(body) = object.remove("body") {
        if let Some(url) = object.get("url").and_then(Value::as_str)
            && url != "/v1/chat/completions"
        {
            bail!("url `{url}` is not supported; only /v1/chat/completions requests replay");
        }
        let custom_id = object
            .get("custom_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        (custom_id, body)
    } else {
        (None, Value::Object(object))
    };

    let request = ChatRequest::from_value(body)?;
    Ok(Traffic {
        custom_id,
        request,
        options: CallOptions { scope, tags },
    })
}

fn replay_one(
    policy: &Policy,
    traffic: Traffic,
    responses: Option<&Responses>,
    missing_responses: &mut u64,
) -> CallRecord {
    let mut call = match policy.begin(traffic.request, traffic.options) {
        Ok(call) => call,
        Err(denied) => return *denied.record,
    };

    let Some(responses) = responses else {
        return call
            .finish_simulated()
            .unwrap_or_else(|error| call.abort(error.kind().as_str()));
    };
    match traffic
        .custom_id
        .as_ref()
        .and_then(|custom_id| responses.get(custom_id))
    {
        Some(Some(usage)) => match call.finish(*usage) {
            Ok(record) => record,
            Err(error) => call.abort(error.kind().as_str()),
        },
        Some(None) => call.abort("vendor_error"),
        None => {
            *missing_responses += 1;
            call.finish_simulated()
                .unwrap_or_else(|error| call.abort(error.kind().as_str()))
        }
    }
}

/// Reads OpenAI Batch API output: `custom_id` and `response.body.usage`, or `error`.
fn read_responses(path: &PathBuf, strict: bool) -> anyhow::Result<Responses> {
    let reader = crate::open_input(Some(path))?;
    let mut responses = Responses::new();
    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("cannot read line {number} of --responses"))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_response(&line) {
            Ok((custom_id, usage)) => {
                responses.insert(custom_id, usage);
            }
            Err(error) if strict => {
                bail!("--responses line {number}: {error:#} (stopped by --strict)")
            }
            Err(error) => eprintln!("--responses line {number}: {error:#}; skipped"),
        }
    }
    Ok(responses)
}

fn parse_response(line: &[u8]) -> anyhow::Result<(String, Option<Usage>)> {
    let value: Value = serde_json::from_slice(line).context("not valid JSON")?;
    let custom_id = value
        .get("custom_id")
        .and_then(Value::as_str)
        .context("missing `custom_id`")?
        .to_string();
    let failed = !value.get("error").is_none_or(Value::is_null)
        || value
            .pointer("/response/status_code")
            .and_then(Value::as_u64)
            .is_some_and(|status| status != 200);
    if failed {
        return Ok((custom_id, None));
    }
    let usage = value
        .pointer("/response/body/usage")
        .context("missing `response.body.usage`")?;
    Ok((custom_id, Some(Usage::from_vendor_json(usage)?)))
}

fn tags_to_strings(tags: Map<String, Value>) -> std::collections::BTreeMap<String, String> {
    tags.into_iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (key, text)
        })
        .collect()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn progress_bar(input: &PathBuf) -> ProgressBar {
    let size = std::fs::metadata(input).map(|meta| meta.len()).unwrap_or(0);
    // Short inputs finish before a bar would be readable.
    if size < 1 << 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn render_summary(summary: &Summary) -> String {
    let mut table = Table::new(&[
        "scope",
        "model",
        ">calls",
        "denied",
        ">input tok",
        ">output tok",
        ">cost USD",
        ">Wh",
        ">Wh range",
        ">gCO2e",
        ">kgCO2e/1k calls",
    ]);
    for ((scope, model), totals) in &summary.groups {
        table.push(row(scope, model, totals));
    }
    table.push(row("TOTAL", "", &summary.total));
    table.render()
}

fn row(scope: &str, model: &str, totals: &Totals) -> Vec<String> {
    let denied = if totals.denied.is_empty() {
        "-".to_string()
    } else {
        totals
            .denied
            .iter()
            .map(|(reason, count)| format!("{reason}:{count}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let per_1000 = totals.kg_co2e_per_1000_calls();
    vec![
        scope.to_string(),
        model.to_string(),
        totals.calls.to_string(),
        denied,
        totals.input_tokens.to_string(),
        totals.output_tokens.to_string(),
        totals.cost_usd.round_dp(4).to_string(),
        format!("{:.2}", totals.energy_wh.value),
        format!("{:.2}-{:.2}", totals.energy_wh.low, totals.energy_wh.high),
        format!("{:.2}", totals.co2e_g.value),
        format!("{:.4}", per_1000.value),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_line_parses_scope_and_tags() {
        let line = br#"{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[]},"scope":"acme/text","tags":{"n":1}}"#;
        let traffic = parse_line(line).unwrap();
        assert_eq!(traffic.custom_id.as_deref(), Some("r1"));
        assert_eq!(traffic.options.scope.as_deref(), Some("acme/text"));
        assert_eq!(traffic.options.tags["n"], "1");
        assert_eq!(traffic.request.model, "gpt-4o");
    }

    #[test]
    fn plain_body_keeps_scope_out_of_request() {
        let line = br#"{"model":"gpt-4o","messages":[],"scope":"acme"}"#;
        let traffic = parse_line(line).unwrap();
        assert!(traffic.custom_id.is_none());
        assert!(!traffic.request.extra.contains_key("scope"));
    }

    #[test]
    fn malformed_lines_name_the_problem() {
        let cases: [(&[u8], &str); 5] = [
            (b"{not json", "not valid JSON"),
            (b"[1,2]", "expected a JSON object"),
            (
                b"{\"model\":\"x\",\"messages\":[],\"scope\":3}",
                "`scope` must be a string",
            ),
            (b"{\"url\":\"/v1/embeddings\",\"body\":{}}", "not supported"),
            (b"{\"model\":\"\xff\"}", "not valid UTF-8 at byte 10"),
        ];
        for (line, expected) in cases {
            let error = format!("{:#}", parse_line(line).err().unwrap());
            assert!(
                error.contains(expected),
                "{error} should contain {expected}"
            );
        }
    }

    #[test]
    fn failed_batch_response_has_no_usage() {
        let line = br#"{"custom_id":"r1","response":{"status_code":500,"body":{}},"error":null}"#;
        assert_eq!(parse_response(line).unwrap(), ("r1".to_string(), None));
        let ok = br#"{"custom_id":"r2","response":{"status_code":200,"body":{"usage":{"prompt_tokens":5,"completion_tokens":2}}},"error":null}"#;
        let (_, usage) = parse_response(ok).unwrap();
        assert_eq!(usage.unwrap().output_tokens, 2);
    }
}
