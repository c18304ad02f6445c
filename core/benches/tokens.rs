//! Token counting throughput on real prompts and on adversarial inputs.
//!
//! Groups:
//! - `prompts`: every prompt of the awesome-chatgpt-prompts CSV counted one by one,
//!   with ingate and, for comparison, with tiktoken-rs;
//! - `adversarial`: one punctuation character repeated and runs of spaces, at two
//!   sizes each so that linear scaling shows;
//! - `count_until`: all prompts joined, stopped at a 1,000-token limit.
//!
//! With `INGATE_BENCH_COUNTS=PATH` set, the token counts of every case are written
//! to PATH as JSON, so that scripts/bench_tokens.py can check that Python tiktoken
//! returns the same counts for the same texts.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ingate::tokens::{Encoding, count_encoding, count_encoding_until};
use serde_json::{Map, Value, json};

const PROMPTS_CSV: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/prompts/awesome-chatgpt-prompts.csv"
);

const ENCODINGS: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

fn prompts() -> Vec<String> {
    let mut reader = csv::Reader::from_path(Path::new(PROMPTS_CSV)).expect("prompts CSV");
    let column = reader
        .headers()
        .expect("header row")
        .iter()
        .position(|name| name == "prompt")
        .expect("a `prompt` column");
    reader
        .records()
        .map(|record| record.expect("CSV record")[column].to_string())
        .collect()
}

/// Builds the adversarial cases as (name, text); scripts/bench_tokens.py builds the same texts.
fn adversarial() -> Vec<(&'static str, String)> {
    vec![
        ("punct_100kb", "!".repeat(100_000)),
        ("punct_10kb", "!".repeat(10_000)),
        ("spaces_1mb", " ".repeat(1_000_000)),
        ("spaces_100kb", " ".repeat(100_000)),
    ]
}

fn tiktoken_rs(encoding: Encoding) -> &'static tiktoken_rs::CoreBPE {
    match encoding {
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        _ => tiktoken_rs::o200k_base_singleton(),
    }
}

fn write_counts(prompts: &[String]) {
    let Ok(path) = std::env::var("INGATE_BENCH_COUNTS") else {
        return;
    };
    let mut cases = Map::new();
    for encoding in ENCODINGS {
        let counts: Vec<usize> = prompts
            .iter()
            .map(|prompt| count_encoding(encoding, prompt))
            .collect();
        cases.insert(format!("prompts/{encoding}"), json!(counts));
        for (name, text) in adversarial() {
            cases.insert(
                format!("adversarial/{name}/{encoding}"),
                json!([count_encoding(encoding, &text)]),
            );
        }
    }
    std::fs::write(&path, Value::Object(cases).to_string()).expect("write INGATE_BENCH_COUNTS");
}

fn bench_tokens(c: &mut Criterion) {
    let prompts = prompts();
    let prompt_bytes: usize = prompts.iter().map(String::len).sum();
    write_counts(&prompts);

    // Warm the lazily built tokenizers outside the measurements.
    for encoding in ENCODINGS {
        count_encoding(encoding, "warm up");
        tiktoken_rs(encoding).encode_ordinary("warm up");
    }

    let mut group = c.benchmark_group("prompts");
    group.throughput(Throughput::Bytes(prompt_bytes as u64));
    for encoding in ENCODINGS {
        group.bench_function(format!("ingate/{encoding}"), |b| {
            b.iter(|| {
                prompts
                    .iter()
                    .map(|prompt| count_encoding(encoding, black_box(prompt)))
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("tiktoken-rs/{encoding}"), |b| {
            b.iter(|| {
                prompts
                    .iter()
                    .map(|prompt| {
                        tiktoken_rs(encoding)
                            .encode_ordinary(black_box(prompt))
                            .len()
                    })
                    .sum::<usize>()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("adversarial");
    for (name, text) in adversarial() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        for encoding in ENCODINGS {
            group.bench_function(format!("{name}/{encoding}"), |b| {
                b.iter(|| count_encoding(encoding, black_box(&text)))
            });
        }
    }
    group.finish();

    let joined = prompts.join("\n\n");
    let mut group = c.benchmark_group("count_until");
    for encoding in ENCODINGS {
        group.bench_function(format!("limit_1000/{encoding}"), |b| {
            b.iter(|| count_encoding_until(encoding, black_box(&joined), 1_000))
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_tokens
}
criterion_main!(benches);
