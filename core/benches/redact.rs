//! Redaction throughput on real prompts and on a dense labeled corpus.
//!
//! Run with `cargo bench -p ingate --bench redact`; criterion reports MB/s
//! (bytes of input text per second, one `redact` call per text).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use ingate::redact::{RedactionConfig, Redactor, Vault};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// Returns the `prompt` column of awesome-chatgpt-prompts' prompts.csv.
fn prompts() -> Vec<String> {
    let path = format!("{DATA}/prompts/awesome-chatgpt-prompts.csv");
    let csv = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let rows = parse_csv(&csv);
    let column = rows[0]
        .iter()
        .position(|name| name == "prompt")
        .expect("prompts.csv has a `prompt` column");
    rows[1..]
        .iter()
        .filter_map(|row| row.get(column).cloned())
        .collect()
}

/// Parses RFC 4180 CSV: quoted fields may hold commas, newlines and `""`.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Returns the texts of the labeled redaction corpus, where most texts hold PII.
/// The environment variable `INGATE_BENCH_REDACT_CORPUS` names another JSON
/// lines file with a `text` field per line.
fn labeled_texts() -> Vec<String> {
    let path = std::env::var("INGATE_BENCH_REDACT_CORPUS")
        .unwrap_or_else(|_| format!("{DATA}/redaction/dev.jsonl"));
    let jsonl =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    jsonl
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            row["text"].as_str().expect("a `text` field").to_string()
        })
        .collect()
}

fn bench_texts(c: &mut Criterion, name: &str, texts: &[String], detectors: &[&str]) {
    let config = RedactionConfig {
        detectors: detectors.iter().map(|name| name.to_string()).collect(),
        ..RedactionConfig::default()
    };
    let redactor = Redactor::new(&config).expect("the detector names are valid");
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("redact");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            for text in texts {
                let mut vault = Vault::new();
                black_box(
                    redactor
                        .redact(black_box(text), &mut vault)
                        .expect("no block operator"),
                );
            }
        })
    });
    group.finish();
}

fn redact_prompts(c: &mut Criterion) {
    let prompts = prompts();
    assert!(
        prompts.len() > 1000,
        "expected the full prompt file, got {} prompts",
        prompts.len()
    );
    let defaults = RedactionConfig::default().detectors;
    let all: Vec<&str> = defaults.iter().map(String::as_str).collect();
    bench_texts(c, "awesome_chatgpt_prompts", &prompts, &all);

    // One detector at a time, to show which one costs what; `none` is the copy
    // of the text that every call makes.
    for (name, detectors) in [
        ("prompts_none", &[][..]),
        ("prompts_email", &["email"][..]),
        ("prompts_credit_card", &["credit_card"][..]),
        ("prompts_secrets", &["secrets"][..]),
    ] {
        bench_texts(c, name, &prompts, detectors);
    }
}

fn redact_labeled(c: &mut Criterion) {
    let defaults = RedactionConfig::default().detectors;
    let all: Vec<&str> = defaults.iter().map(String::as_str).collect();
    let texts = labeled_texts();
    bench_texts(c, "labeled_pii_corpus", &texts, &all);
    for detector in all {
        bench_texts(c, &format!("labeled_{detector}"), &texts, &[detector]);
    }
}

/// Redacts the labeled corpus `passes` times with all default detectors, or
/// with the comma-separated detector names of `INGATE_BENCH_REDACT_DETECTORS`
/// (which attributes instruction counts to detectors under callgrind).
/// scripts/bench_redact.py runs this twice, with
/// 0 passes and with many, and takes the difference of the process CPU times,
/// which other load on the machine disturbs less than wall time.
fn run_passes(passes: usize) {
    let texts = labeled_texts();
    let mut config = RedactionConfig::default();
    if let Ok(names) = std::env::var("INGATE_BENCH_REDACT_DETECTORS") {
        config.detectors = names
            .split(',')
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
    }
    let redactor =
        Redactor::new(&config).expect("INGATE_BENCH_REDACT_DETECTORS names valid detectors");
    let mut findings = 0;
    for _ in 0..passes {
        for text in &texts {
            let mut vault = Vault::new();
            let redaction = redactor
                .redact(black_box(text), &mut vault)
                .expect("no block operator");
            findings += black_box(redaction).findings.len();
        }
    }
    black_box(findings);
}

criterion_group!(benches, redact_prompts, redact_labeled);

/// Runs the criterion benches, or only [`run_passes`] when the environment
/// variable `INGATE_BENCH_REDACT_PASSES` sets a number of passes.
fn main() {
    if let Ok(passes) = std::env::var("INGATE_BENCH_REDACT_PASSES") {
        let passes = passes
            .parse()
            .expect("INGATE_BENCH_REDACT_PASSES must be a whole number");
        run_passes(passes);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
