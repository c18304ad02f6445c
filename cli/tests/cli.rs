//! End-to-end tests of the `ingate` binary on real and malformed inputs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn ingate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ingate"))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(command: &mut Command) -> Output {
    command.output().expect("the ingate binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Returns the first `count` lines of the example traffic file.
fn example_traffic(count: usize) -> String {
    let text = std::fs::read_to_string(repo_root().join("examples/traffic.jsonl")).unwrap();
    text.lines()
        .take(count)
        .map(|line| format!("{line}\n"))
        .collect()
}

#[test]
fn replay_example_prints_summary_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records.jsonl");
    let output = run(ingate()
        .arg("replay")
        .arg(repo_root().join("examples/traffic.jsonl"))
        .arg("--policy")
        .arg(repo_root().join("examples/policy.toml"))
        .arg("--records")
        .arg(&records));
    assert!(output.status.success(), "{}", stderr(&output));

    let summary = stdout(&output);
    assert!(summary.contains("acme/text"), "{summary}");
    assert!(summary.contains("acme/structured"), "{summary}");
    assert!(summary.contains("kgCO2e/1k calls"), "{summary}");
    assert!(
        summary.lines().any(|line| line.starts_with("TOTAL")),
        "{summary}"
    );

    let records = read_records(&records);
    assert_eq!(records.len(), 1486);
    let allowed = records
        .iter()
        .filter(|r| r["decision"] == "allowed")
        .count();
    assert!(allowed > 1000, "only {allowed} calls allowed");
    for record in &records {
        assert!(record["ingate.cost_usd"].is_string());
        if record["decision"] == "allowed" {
            assert_eq!(record["ingate.usage_simulated"], true);
            let wh = &record["ingate.energy_wh"];
            assert!(wh["low"].as_f64().unwrap() <= wh["value"].as_f64().unwrap());
            assert!(wh["value"].as_f64().unwrap() <= wh["high"].as_f64().unwrap());
            assert!(wh["value"].as_f64().unwrap() > 0.0);
        }
    }

    // The retired `smart` pin falls back, and the structured team's day budget denies some calls.
    let structured: Vec<&Value> = records
        .iter()
        .filter(|r| r["scope"] == "acme/structured")
        .collect();
    assert!(
        structured
            .iter()
            .any(|r| r["deny_reason"] == "budget_exceeded")
    );
    let fallback = structured
        .iter()
        .find(|r| r["decision"] == "allowed")
        .expect("an allowed structured call");
    assert_eq!(fallback["gen_ai.request.model"], "smart");
    let warnings = fallback["ingate.warnings"].to_string();
    assert!(warnings.contains("fallback"), "{warnings}");
}

#[test]
fn replay_settles_real_usage_from_responses() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let responses = dir.path().join("out.jsonl");
    let records = dir.path().join("records.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"Hello"}],"max_tokens":1000}}"#,
            "\n",
            r#"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"max_tokens":1000}}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &responses,
        concat!(
            r#"{"id":"r1","custom_id":"a","response":{"status_code":200,"body":{"usage":{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920}}}},"error":null}"#,
            "\n",
            r#"{"id":"r2","custom_id":"b","response":null,"error":{"code":"server_error","message":"boom"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let output = run(ingate()
        .arg("replay")
        .arg(&input)
        .arg("--responses")
        .arg(&responses)
        .arg("--records")
        .arg(&records));
    assert!(output.status.success(), "{}", stderr(&output));

    let records = read_records(&records);
    assert_eq!(records[0]["ingate.usage_simulated"], false);
    assert_eq!(records[0]["gen_ai.usage.input_tokens"], 2006);
    assert_eq!(records[0]["ingate.usage.cached_read_tokens"], 1920);
    // 86 x $2.50/M + 1,920 x $1.25/M + 300 x $10/M, gpt-4o's list prices.
    assert_eq!(records[0]["ingate.cost_usd"], "0.005615");
    assert_eq!(records[1]["ingate.abort_reason"], "vendor_error");
    assert_eq!(records[1]["ingate.cost_usd"], "0");
}

#[test]
fn replay_reports_malformed_lines_and_continues() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let records = dir.path().join("records.jsonl");
    let mut bytes = example_traffic(2).into_bytes();
    bytes.extend_from_slice(b"{\"model\": \"gpt-4o\", \"messages\": [\n");
    bytes.extend_from_slice(
        b"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}\n",
    );
    bytes.extend_from_slice(
        b"{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n",
    );
    // A truncated last line without a newline.
    bytes.extend_from_slice(b"{\"custom_id\":\"x\",\"body\":{\"model\":\"gpt-4o\",\"mess");
    std::fs::write(&input, bytes).unwrap();

    let output = run(ingate()
        .arg("replay")
        .arg(&input)
        .arg("--records")
        .arg(&records));
    assert!(output.status.success(), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("line 3: not valid JSON"), "{errors}");
    assert!(errors.contains("line 4: not valid UTF-8"), "{errors}");
    assert!(errors.contains("line 6: not valid JSON"), "{errors}");
    assert!(errors.contains("3 malformed line(s) skipped"), "{errors}");

    let records = read_records(&records);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["decision"], "denied");
    assert_eq!(records[2]["deny_reason"], "unknown_model");
}

#[test]
fn replay_strict_stops_at_first_malformed_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let mut text = example_traffic(1);
    text.push_str("not json\n");
    text.push_str(&example_traffic(1));
    std::fs::write(&input, text).unwrap();

    let output = run(ingate().arg("replay").arg(&input).arg("--strict"));
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("line 2: not valid JSON"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn replay_denies_huge_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("huge.jsonl");
    let mut file = std::fs::File::create(&input).unwrap();
    file.write_all(br#"{"model":"gpt-4o","messages":[{"role":"user","content":""#)
        .unwrap();
    let chunk = "lorem ipsum dolor sit amet ".repeat(4096);
    let mut written = 0;
    while written < 100 * 1024 * 1024 {
        file.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len();
    }
    file.write_all(b"\"}]}\n").unwrap();
    drop(file);

    let records = dir.path().join("records.jsonl");
    let output = run(ingate()
        .arg("replay")
        .arg(&input)
        .arg("--records")
        .arg(&records));
    assert!(output.status.success(), "{}", stderr(&output));
    let records = read_records(&records);
    assert_eq!(records[0]["deny_reason"], "context_window_exceeded");
    assert!(!records[0].to_string().contains("lorem"));
}

#[test]
fn count_prints_exact_count() {
    let mut child = ingate()
        .args(["count", "--model", "gpt-4o"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Hello, world!")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.starts_with("4 tokens (exact, o200k_base"), "{text}");
}

#[test]
fn count_rejects_invalid_utf8_with_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, b"valid\xc3(").unwrap();
    let output = run(ingate().args(["count", "--model", "gpt-4o"]).arg(&path));
    assert!(!output.status.success());
    let errors = stderr(&output);
    assert!(errors.contains("not valid UTF-8"), "{errors}");
    assert!(errors.contains("offset 5"), "{errors}");
}

#[test]
fn count_unknown_model_suggests_names() {
    let output = run(ingate().args(["count", "--model", "gpt-4o-minii", "/dev/null"]));
    assert!(!output.status.success());
    let errors = stderr(&output);
    assert!(errors.contains("unknown model `gpt-4o-minii`"), "{errors}");
    assert!(errors.contains("gpt-4o-mini"), "{errors}");
}

#[test]
fn models_lists_vendor_and_deprecations() {
    let output = run(ingate().args([
        "models",
        "--vendor",
        "anthropic",
        "--deprecated",
        "--at",
        "2026-12-04",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("claude-sonnet-4-5-20250929"), "{text}");
    assert!(text.contains("retired"), "{text}");
    assert!(!text.contains("openai"), "{text}");
    // Models known only from deprecation notices are listed too.
    assert!(text.contains("claude-3-opus-20240229"), "{text}");
}

#[test]
fn lint_flags_sunset_before_date() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[models.aliases]\nfast = \"gpt-4o-mini\"\n[models.fallbacks]\nfast = [\"gpt-4.1\"]\n",
    )
    .unwrap();
    let clean = run(ingate()
        .arg("lint")
        .arg(&policy)
        .args(["--at", "2026-12-05"]));
    let later = run(ingate()
        .arg("lint")
        .arg(&policy)
        .args(["--at", "2027-03-01"]));
    assert!(later.status.code() == Some(1), "{}", stdout(&later));
    let report = stdout(&later);
    assert!(report.contains("gpt-4o-mini"), "{report}");
    assert!(report.contains("2027-01-14"), "{report}");
    assert!(stdout(&clean).contains("0 error(s)"), "{}", stdout(&clean));
}

#[test]
fn invalid_policy_names_file_line_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[models]\nwarning_dayz = 30\n").unwrap();
    let output = run(ingate()
        .arg("replay")
        .arg(repo_root().join("examples/traffic.jsonl"))
        .arg("--policy")
        .arg(&policy));
    assert!(!output.status.success());
    let errors = stderr(&output);
    assert!(errors.contains("policy.toml:2:1"), "{errors}");
    assert!(errors.contains("warning_dayz"), "{errors}");
    assert!(errors.contains("warning_days"), "{errors}");
}

#[test]
fn replays_share_sqlite_budget_and_status_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let traffic = dir.path().join("traffic.jsonl");
    std::fs::write(&traffic, example_traffic(20)).unwrap();
    // The example policy (its aliases and budgets) with a SQLite store.
    let example = std::fs::read_to_string(repo_root().join("examples/policy.toml")).unwrap();
    let store = format!(
        "url = \"sqlite:{}\"",
        dir.path().join("budget.sqlite3").display()
    );
    assert!(example.contains("url = \"memory:\""));
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, example.replace("url = \"memory:\"", &store)).unwrap();

    let mut total = rust_decimal::Decimal::ZERO;
    for run_index in 0..2 {
        let records = dir.path().join(format!("records-{run_index}.jsonl"));
        let output = run(ingate()
            .arg("replay")
            .arg(&traffic)
            .arg("--policy")
            .arg(&policy)
            .arg("--records")
            .arg(&records));
        assert!(output.status.success(), "{}", stderr(&output));
        for record in read_records(&records) {
            if record["decision"] == "allowed"
                && record["scope"].as_str().unwrap().starts_with("acme")
            {
                total += record["ingate.cost_usd"]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap();
            }
        }
    }
    assert!(total > rust_decimal::Decimal::ZERO);

    let output = run(ingate().args(["budget", "status", "--policy"]).arg(&policy));
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    let row = table
        .lines()
        .find(|line| line.starts_with("acme "))
        .unwrap_or_else(|| panic!("no row for acme: {table}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert!(row.contains("25 USD per month"), "{row}");
    assert!(
        cells.contains(&total.normalize().to_string().as_str()),
        "{row} lacks {total}"
    );
}
