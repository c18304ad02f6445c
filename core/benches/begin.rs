//! The budget step's share of `Policy::begin` on a 2 KB chat request.
//!
//! Run with `cargo bench -p ingate --bench begin`. Both cases run the whole
//! `begin` (resolve, redact, count, reserve) and then abort the call, which
//! releases the reservation. The first policy has no budgets; the second has
//! two budgeted ancestors on the `memory:` store. Their difference is the
//! budget step.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ingate::{CallOptions, ChatRequest, Policy};
use serde_json::json;

const PROMPTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/prompts/awesome-chatgpt-prompts.csv"
);

/// Returns the first real prompt of at least 2,048 bytes, cut to 2,048 bytes at a character boundary.
fn prompt_2kb() -> String {
    let mut reader = csv::Reader::from_path(PROMPTS)
        .unwrap_or_else(|error| panic!("cannot open {PROMPTS}: {error}"));
    for row in reader.records() {
        let row = row.expect("a CSV row");
        let prompt = &row[1];
        if prompt.len() >= 2048 {
            let mut end = 2048;
            while !prompt.is_char_boundary(end) {
                end -= 1;
            }
            return prompt[..end].to_string();
        }
    }
    panic!("no prompt of 2 KB in {PROMPTS}");
}

fn begin_and_abort(policy: &Policy, request: &ChatRequest, options: &CallOptions) {
    let mut call = policy
        .begin(request.clone(), options.clone())
        .expect("the limits are out of reach");
    black_box(call.abort("benchmark"));
}

fn bench_begin(criterion: &mut Criterion) {
    let request = ChatRequest::from_value(json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": prompt_2kb()}],
        "max_tokens": 512
    }))
    .expect("a valid request");
    let options = CallOptions {
        scope: Some("acme/search/rerank".into()),
        ..CallOptions::default()
    };

    let unbudgeted = Policy::default();
    let budgeted = Policy::from_toml(
        "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"1000000000\"\n\
         [[budgets]]\nscope = \"acme/search\"\nusd_per_day = \"1000000000\"\n\
         tokens_per_minute = 1000000000000\n",
    )
    .expect("the benchmark policy is valid");

    criterion.bench_function("begin+abort 2 KB, no budgets", |bencher| {
        bencher.iter(|| begin_and_abort(&unbudgeted, &request, &options))
    });
    criterion.bench_function("begin+abort 2 KB, memory budgets", |bencher| {
        bencher.iter(|| begin_and_abort(&budgeted, &request, &options))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_begin
}
criterion_main!(benches);
