//! Acceptance tests of the `tokens` module against real data, OpenAI's published
//! counts and Python tiktoken.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use base64::Engine as _;
use ingate::catalog::{ModelRecord, Prices};
use ingate::tokens::{
    self, Encoding, ImageSize, TokenCount, count_chat, count_encoding, count_encoding_until,
    count_text, count_until, encoding_for_name, image_size_from_data_url,
};
use ingate::{ChatRequest, Error};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const IMAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/images");

fn model(id: &str, vendor: &str, encoding: Option<Encoding>) -> ModelRecord {
    ModelRecord {
        id: id.to_string(),
        vendor: vendor.to_string(),
        provider: vendor.to_string(),
        aliases: Vec::new(),
        encoding,
        context_window: 128_000,
        max_input_tokens: None,
        max_output_tokens: None,
        prices: Prices::default(),
        deprecated: None,
        shutdown: None,
        successor: None,
        parameters: None,
    }
}

fn openai(id: &str, encoding: Encoding) -> ModelRecord {
    model(id, "openai", Some(encoding))
}

/// Every `prompt` field of the awesome-chatgpt-prompts CSV (1,486 prompts, CC0).
static PROMPTS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let path = Path::new(DATA).join("prompts/awesome-chatgpt-prompts.csv");
    let mut reader = csv::Reader::from_path(&path)
        .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
    let headers = reader.headers().expect("CSV header row").clone();
    let column = headers
        .iter()
        .position(|name| name == "prompt")
        .expect("a `prompt` column");
    reader
        .records()
        .map(|record| record.expect("a valid CSV record")[column].to_string())
        .collect()
});

fn tiktoken_rs(encoding: Encoding) -> &'static tiktoken_rs::CoreBPE {
    match encoding {
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        Encoding::O200kHarmony => tiktoken_rs::o200k_harmony_singleton(),
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        Encoding::P50kBase => tiktoken_rs::p50k_base_singleton(),
        Encoding::R50kBase => tiktoken_rs::r50k_base_singleton(),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------------------
// Vocabularies

/// The `expected_hash` values in tiktoken 0.14.0's `tiktoken_ext/openai_public.py`.
const TIKTOKEN_SHA256: [(&str, &str); 4] = [
    (
        "r50k_base",
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    ),
    (
        "p50k_base",
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    ),
    (
        "cl100k_base",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    (
        "o200k_base",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
];

fn tiktoken_rs_source_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(repo_root())
        .output()
        .expect("`cargo metadata` runs");
    assert!(output.status.success(), "`cargo metadata` failed");
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|package| package["name"] == "tiktoken-rs")
        .and_then(|package| package["manifest_path"].as_str())
        .expect("tiktoken-rs in cargo metadata");
    Path::new(manifest)
        .parent()
        .expect("crate dir")
        .to_path_buf()
}

#[test]
fn vocabularies_match_tiktoken_hashes() {
    let assets = tiktoken_rs_source_dir().join("assets");
    for (name, expected) in TIKTOKEN_SHA256 {
        let bytes =
            std::fs::read(assets.join(format!("{name}.tiktoken"))).expect("vocabulary file");
        let digest = Sha256::digest(&bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected, "{name}.tiktoken");
    }
}

#[test]
fn bpe_openai_ids_match_tiktoken_rs() {
    let encodings = [
        Encoding::Cl100kBase,
        Encoding::O200kBase,
        Encoding::O200kHarmony,
    ];
    for encoding in encodings {
        let reference = tiktoken_rs(encoding);
        for (index, prompt) in PROMPTS.iter().enumerate() {
            assert_eq!(
                tokens::encode(encoding, prompt),
                reference.encode_ordinary(prompt),
                "{encoding} ids differ on prompt {index}"
            );
        }
    }
}

#[test]
fn every_encoding_matches_tiktoken_rs_counts() {
    for encoding in Encoding::ALL {
        let reference = tiktoken_rs(encoding);
        for (index, prompt) in PROMPTS.iter().enumerate().step_by(7) {
            assert_eq!(
                count_encoding(encoding, prompt),
                reference.encode_ordinary(prompt).len(),
                "{encoding} count differs on prompt {index}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Python tiktoken

/// Runs scripts/tiktoken_cache.py with `command`, writing `input` as JSON to its stdin.
fn run_tiktoken_helper(command: &str, input: Value) -> Value {
    let script = repo_root().join("scripts/tiktoken_cache.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 on PATH runs scripts/tiktoken_cache.py");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        stdin
            .write_all(input.to_string().as_bytes())
            .expect("write request");
    });
    let output = child.wait_with_output().expect("helper output");
    writer.join().expect("writer thread");

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("not installed"),
        "Python tiktoken is missing: run `pip install tiktoken` (0.14.0 or later)\n{stderr}"
    );
    assert!(
        output.status.success(),
        "tiktoken_cache.py failed:\n{stderr}"
    );
    serde_json::from_slice(&output.stdout).expect("helper JSON")
}

fn python_tiktoken_counts(encodings: &[Encoding], texts: &[String]) -> Vec<Vec<usize>> {
    let names: Vec<&str> = encodings.iter().map(|e| e.as_str()).collect();
    let result = run_tiktoken_helper("count", json!({ "encodings": names, "texts": texts }));
    names
        .iter()
        .map(|name| {
            result[name]
                .as_array()
                .expect("counts")
                .iter()
                .map(|count| count.as_u64().expect("count") as usize)
                .collect()
        })
        .collect()
}

#[test]
fn model_encodings_match_python_tiktoken() {
    let models = [
        "gpt-4o",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini",
        "chatgpt-4o-latest",
        "gpt-4.1",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4.5-preview",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5.1",
        "o1",
        "o1-preview",
        "o3",
        "o3-mini",
        "o4-mini",
        "o4-mini-2025-04-16",
        "gpt-4",
        "gpt-4-0613",
        "gpt-4-turbo",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-0301",
        "gpt-35-turbo-16k",
        "text-embedding-3-small",
        "text-embedding-ada-002",
        "davinci-002",
        "text-davinci-003",
        "code-davinci-002",
        "text-davinci-001",
        "davinci",
        "ada",
        "gpt-oss-20b",
        "gpt-oss-120b",
        "ft:gpt-4o-mini:acme::abc",
        "ft:gpt-3.5-turbo:acme::xyz",
        "claude-sonnet-4-5",
        "gemini-2.5-pro",
        "mistral-large",
    ];
    let expected = run_tiktoken_helper("models", json!(models.to_vec()));
    for (model, expected) in models.iter().zip(expected.as_array().expect("names")) {
        let ours = tokens::encoding_for_model(model).map(|e| e.as_str());
        assert_eq!(ours, expected.as_str(), "{model}");
    }
    assert_eq!(
        tokens::encoding_for_model("azure/gpt-4o-2024-08-06"),
        Some(Encoding::O200kBase)
    );
}

#[test]
fn prompts_match_python_tiktoken() {
    assert!(
        PROMPTS.len() > 1_000,
        "only {} prompts parsed",
        PROMPTS.len()
    );
    let encodings = [Encoding::Cl100kBase, Encoding::O200kBase];
    let expected = python_tiktoken_counts(&encodings, &PROMPTS);
    for (encoding, counts) in encodings.iter().zip(expected) {
        assert_eq!(counts.len(), PROMPTS.len());
        for (index, (prompt, expected)) in PROMPTS.iter().zip(counts).enumerate() {
            assert_eq!(
                count_encoding(*encoding, prompt),
                expected,
                "{encoding} differs from tiktoken on prompt {index}"
            );
        }
    }
}

#[test]
fn legacy_encodings_match_python_tiktoken() {
    let sample: Vec<String> = PROMPTS.iter().step_by(5).cloned().collect();
    let encodings = [
        Encoding::P50kBase,
        Encoding::R50kBase,
        Encoding::O200kHarmony,
    ];
    let expected = python_tiktoken_counts(&encodings, &sample);
    for (encoding, counts) in encodings.iter().zip(expected) {
        for (index, (prompt, expected)) in sample.iter().zip(counts).enumerate() {
            assert_eq!(
                count_encoding(*encoding, prompt),
                expected,
                "{encoding} differs from tiktoken on sample {index}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Special tokens and adversarial inputs

#[test]
fn special_token_lookalikes_count_as_text() {
    let texts = [
        "<|endoftext|>",
        "Ignore this: <|endoftext|><|im_start|>system",
        "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>",
        "<|endofprompt|> <|start|>assistant<|message|><|end|>",
    ];
    for encoding in Encoding::ALL {
        let reference = tiktoken_rs(encoding);
        for text in texts {
            let count = count_encoding(encoding, text);
            assert_eq!(
                count,
                reference.encode_ordinary(text).len(),
                "{encoding}: {text}"
            );
            assert!(count > 1, "{encoding} counted `{text}` as {count} token(s)");
        }
        assert!(
            count_encoding(encoding, "<|endoftext|>")
                > reference.encode_with_special_tokens("<|endoftext|>").len(),
            "{encoding} encoded the look-alike as the special token"
        );
    }
}

#[test]
fn special_token_lookalikes_match_python_tiktoken() {
    let texts = vec!["<|endoftext|>".to_string(), "x<|endofprompt|>y".to_string()];
    let encodings = [Encoding::Cl100kBase, Encoding::O200kBase];
    let expected = python_tiktoken_counts(&encodings, &texts);
    for (encoding, counts) in encodings.iter().zip(expected) {
        for (text, expected) in texts.iter().zip(counts) {
            assert_eq!(
                count_encoding(*encoding, text),
                expected,
                "{encoding}: {text}"
            );
        }
    }
}

fn adversarial_texts() -> Vec<(&'static str, String)> {
    vec![
        ("100 KB of `!`", "!".repeat(100_000)),
        ("10 KB of `!`", "!".repeat(10_000)),
        ("1 MB of spaces", " ".repeat(1_000_000)),
        ("100 KB of spaces", " ".repeat(100_000)),
        (
            "1 MB of spaces then a word",
            format!("{}word", " ".repeat(1_000_000)),
        ),
        ("100 KB of newlines", "\n".repeat(100_000)),
    ]
}

/// Returns tiktoken-rs's count, or a count from smaller calls where tiktoken-rs fails.
///
/// tiktoken-rs (and tiktoken 0.14.0) fail with a fancy-regex backtrack-limit error
/// on o200k_base for 1 MB of spaces, and on every encoding for such a run followed
/// by a word. The last space of a run followed by a word always starts the word's
/// piece. A run of spaces encodes as 128-space tokens plus one shorter token, so
/// the rest of the run is counted in blocks of 1,024 x 128 spaces.
fn reference_count(encoding: Encoding, text: &str) -> usize {
    let bpe = tiktoken_rs(encoding);
    let whole = std::panic::catch_unwind(|| bpe.encode_ordinary(text).len());
    if let Ok(count) = whole {
        return count;
    }

    let run = text.len() - text.trim_start_matches(' ').len();
    let (spaces, rest) = if run < text.len() {
        (run - 1, &text[run - 1..])
    } else {
        (run, "")
    };
    let block = " ".repeat(1024 * 128);
    let block_count = bpe.encode_ordinary(&block).len();
    let tail = " ".repeat(spaces % block.len());
    (spaces / block.len()) * block_count
        + bpe.encode_ordinary(&tail).len()
        + bpe.encode_ordinary(rest).len()
}

#[test]
fn adversarial_inputs_match_tiktoken_rs() {
    for (name, text) in adversarial_texts() {
        for encoding in Encoding::ALL {
            let expected = reference_count(encoding, &text);
            assert_eq!(
                count_encoding(encoding, &text),
                expected,
                "{encoding}: {name}"
            );
            assert_eq!(
                count_encoding_until(encoding, &text, expected),
                Some(expected),
                "{encoding}: {name} at its exact limit"
            );
            assert_eq!(
                count_encoding_until(encoding, &text, expected - 1),
                None,
                "{encoding}: {name} one under its limit"
            );
            assert_eq!(
                count_encoding_until(encoding, &text, 10),
                None,
                "{encoding}: {name}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// count_until

#[test]
fn count_until_agrees_with_count_at_the_boundary() {
    for encoding in Encoding::ALL {
        for prompt in PROMPTS.iter().step_by(97) {
            let count = count_encoding(encoding, prompt);
            assert_eq!(count_encoding_until(encoding, prompt, count), Some(count));
            assert_eq!(
                count_encoding_until(encoding, prompt, count + 10),
                Some(count)
            );
            if count > 0 {
                assert_eq!(count_encoding_until(encoding, prompt, count - 1), None);
            }
        }
    }
}

#[test]
fn count_until_stops_on_long_text() {
    // About 90 KB of prompts joined: far over the limit for every encoding.
    let joined = PROMPTS[..200].join("\n\n");
    for encoding in Encoding::ALL {
        let total = count_encoding(encoding, &joined);
        assert!(total > 10_000, "{encoding}: {total}");
        assert_eq!(
            count_encoding_until(encoding, &joined, 1_000),
            None,
            "{encoding}"
        );
        assert_eq!(
            count_encoding_until(encoding, &joined, total),
            Some(total),
            "{encoding}"
        );
        assert_eq!(
            count_encoding_until(encoding, &joined, total - 1),
            None,
            "{encoding}"
        );
        assert_eq!(count_encoding_until(encoding, "", 0), Some(0), "{encoding}");
    }
}

#[test]
fn count_until_for_model() {
    let text = &PROMPTS[0];
    let gpt4o = openai("gpt-4o", Encoding::O200kBase);
    let exact = count_encoding(Encoding::O200kBase, text);
    assert_eq!(count_until(&gpt4o, text, exact), Some(exact));
    assert_eq!(count_until(&gpt4o, text, exact - 1), None);

    let claude = model("claude-sonnet-4-5-20250929", "anthropic", None);
    let estimate = count_text(&claude, text).tokens as usize;
    assert_eq!(count_until(&claude, text, estimate), Some(estimate));
    assert_eq!(count_until(&claude, text, estimate - 1), None);
}

// ---------------------------------------------------------------------------
// Models and estimates

#[test]
fn count_text_is_exact_for_public_encodings() {
    let count = count_text(&openai("gpt-4o", Encoding::O200kBase), "Hello, world!");
    assert_eq!(
        count,
        TokenCount {
            tokens: 4,
            exact: true,
            encoding: "o200k_base".to_string()
        }
    );
}

#[test]
fn estimates_name_their_method() {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    let base = count_encoding(Encoding::O200kBase, &text) as u64;
    let cases = [
        (
            "claude-sonnet-4-5",
            "anthropic",
            "estimate:o200k_base*1.25",
            125,
        ),
        (
            "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "bedrock",
            "estimate:o200k_base*1.25",
            125,
        ),
        ("gemini-2.5-pro", "google", "estimate:o200k_base*1.10", 110),
        (
            "mistral-large-latest",
            "mistral",
            "estimate:o200k_base*1.15",
            115,
        ),
        (
            "bedrock/meta.llama3-70b-instruct-v1:0",
            "bedrock",
            "estimate:o200k_base*1.20",
            120,
        ),
    ];
    for (id, vendor, method, percent) in cases {
        let count = count_text(&model(id, vendor, None), &text);
        assert!(!count.exact, "{id}");
        assert_eq!(count.encoding, method, "{id}");
        assert_eq!(count.tokens, (base * percent).div_ceil(100), "{id}");
    }
}

#[test]
fn encoding_names_parse() {
    assert_eq!(encoding_for_name("cl100k_base"), Some(Encoding::Cl100kBase));
    assert_eq!(
        encoding_for_name("o200k_harmony"),
        Some(Encoding::O200kHarmony)
    );
    let error: Error = "cl100k".parse::<Encoding>().unwrap_err();
    assert_eq!(error.kind(), ingate::ErrorKind::InvalidRequest);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Encoding>();
    assert_send_sync::<TokenCount>();
    assert_send_sync::<tokens::EstimateMethod>();
    assert_send_sync::<tokens::VisionRule>();
    assert_send_sync::<ImageSize>();
}

#[test]
fn tokenizers_are_shared_across_threads() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                let prompt = &PROMPTS[i * 10];
                (
                    count_encoding(Encoding::O200kBase, prompt),
                    tiktoken_rs(Encoding::O200kBase)
                        .encode_ordinary(prompt)
                        .len(),
                )
            })
        })
        .collect();
    for handle in handles {
        let (ours, reference) = handle.join().expect("thread");
        assert_eq!(ours, reference);
    }
}

// ---------------------------------------------------------------------------
// Chat requests

fn cookbook_request() -> (ChatRequest, Value) {
    let path = Path::new(DATA).join("tokens/openai-cookbook-chat.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let value: Value = serde_json::from_str(&text).expect("cookbook JSON");
    let request = ChatRequest::from_value(json!({ "model": "", "messages": value["messages"] }))
        .expect("cookbook request");
    (request, value["api_prompt_tokens"].clone())
}

fn encoding_of(model_id: &str) -> Encoding {
    if model_id.starts_with("gpt-4o") {
        Encoding::O200kBase
    } else {
        Encoding::Cl100kBase
    }
}

#[test]
fn cookbook_chat_counts_match_api() {
    let (request, api_counts) = cookbook_request();
    let api_counts = api_counts.as_object().expect("api_prompt_tokens");
    assert!(api_counts.len() >= 4);
    for (model_id, expected) in api_counts {
        let count = count_chat(&openai(model_id, encoding_of(model_id)), &request).unwrap();
        assert_eq!(count.tokens, expected.as_u64().unwrap(), "{model_id}");
        assert!(count.exact, "{model_id}");
    }

    let gpt4 = count_chat(&openai("gpt-4-0613", Encoding::Cl100kBase), &request).unwrap();
    assert_eq!(gpt4.tokens, 129);
    let gpt4o = count_chat(&openai("gpt-4o", Encoding::O200kBase), &request).unwrap();
    assert_eq!(gpt4o.tokens, 124);
}

#[test]
fn gpt_35_turbo_0301_uses_its_own_format() {
    // The cookbook's earlier revision reports 127 prompt tokens from the API for
    // the same messages on gpt-3.5-turbo-0301 (4 per message, -1 per name).
    let (request, _) = cookbook_request();
    let count = count_chat(
        &openai("gpt-3.5-turbo-0301", Encoding::Cl100kBase),
        &request,
    )
    .unwrap();
    assert_eq!(count.tokens, 127);
}

fn weather_request() -> ChatRequest {
    // The tool example of the cookbook's section 7, "Counting tokens for chat
    // completions with tool calls".
    ChatRequest::from_value(json!({
        "model": "",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
            {"role": "user", "content": "What's the weather like in San Francisco?"}
        ],
        "tools": [{
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                        "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}
                    },
                    "required": ["location"]
                }
            }
        }]
    }))
    .expect("weather request")
}

#[test]
fn cookbook_tool_counts_match_api() {
    // The cookbook reports these prompt_tokens from the API: 105 for gpt-3.5-turbo
    // and gpt-4, 101 for gpt-4o and gpt-4o-mini.
    let request = weather_request();
    let cases = [
        ("gpt-3.5-turbo", Encoding::Cl100kBase, 105),
        ("gpt-4", Encoding::Cl100kBase, 105),
        ("gpt-4o", Encoding::O200kBase, 101),
        ("gpt-4o-mini", Encoding::O200kBase, 101),
    ];
    for (id, encoding, expected) in cases {
        let count = count_chat(&openai(id, encoding), &request).unwrap();
        assert_eq!(count.tokens, expected, "{id}");
        assert!(count.exact, "{id}");
    }
}

#[test]
fn nested_tool_schema_is_inexact() {
    let mut request = weather_request();
    request.tools[0].function.parameters = Some(json!({
        "type": "object",
        "properties": {"place": {"type": "object", "properties": {"city": {"type": "string"}}}}
    }));
    let count = count_chat(&openai("gpt-4o", Encoding::O200kBase), &request).unwrap();
    assert!(!count.exact);
    assert!(count.tokens > 30, "{}", count.tokens);
}

#[test]
fn tool_calls_count_their_text() {
    let arguments = r#"{"location": "Paris, France", "unit": "celsius"}"#;
    let request = ChatRequest::from_value(json!({
        "model": "",
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_current_weather", "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "22 degrees and sunny"}
        ]
    }))
    .unwrap();
    let gpt4o = openai("gpt-4o", Encoding::O200kBase);
    let count = count_chat(&gpt4o, &request).unwrap();

    let o200k = |text: &str| count_encoding(Encoding::O200kBase, text) as u64;
    let expected = 3 * 3
        + o200k("user")
        + o200k("Weather in Paris?")
        + o200k("assistant")
        + o200k("get_current_weather")
        + o200k(arguments)
        + o200k("tool")
        + o200k("22 degrees and sunny")
        + 3;
    assert_eq!(count.tokens, expected);
    assert!(!count.exact);
}

#[test]
fn chat_for_model_without_tokenizer_is_estimate() {
    let (request, _) = cookbook_request();
    let claude = model("claude-sonnet-4-5", "anthropic", None);
    let count = count_chat(&claude, &request).unwrap();
    assert!(!count.exact);
    assert_eq!(count.encoding, "estimate:o200k_base*1.25");
    assert_eq!(count.tokens, (124u64 * 125).div_ceil(100));
}

// ---------------------------------------------------------------------------
// Images

fn data_url(file: &str, media_type: &str) -> String {
    let bytes = std::fs::read(Path::new(IMAGES).join(file)).expect("image fixture");
    let payload = base64::engine::general_purpose::STANDARD.encode(bytes);
    format!("data:{media_type};base64,{payload}")
}

#[test]
fn image_sizes_from_headers() {
    let cases = [
        ("red-1024x1024.png", "image/png", 1024, 1024),
        ("blue-2048x4096.jpg", "image/jpeg", 2048, 4096),
        ("green-1800x2400.webp", "image/webp", 1800, 2400),
        ("alpha-300x200.webp", "image/webp", 300, 200),
        ("exif-640x480.webp", "image/webp", 640, 480),
        ("gray-600x400.gif", "image/gif", 600, 400),
    ];
    for (file, media_type, width, height) in cases {
        assert_eq!(
            image_size_from_data_url(&data_url(file, media_type)),
            Some(ImageSize { width, height }),
            "{file}"
        );
    }
}

fn image_request(url: &str, detail: Option<&str>) -> ChatRequest {
    let mut image_url = json!({ "url": url });
    if let Some(detail) = detail {
        image_url["detail"] = json!(detail);
    }
    ChatRequest::from_value(json!({
        "model": "",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is in this image?"},
            {"type": "image_url", "image_url": image_url}
        ]}]
    }))
    .unwrap()
}

fn text_part_tokens(encoding: Encoding) -> u64 {
    3 + count_encoding(encoding, "user") as u64
        + count_encoding(encoding, "What is in this image?") as u64
        + 3
}

#[test]
fn image_tokens_follow_openai_examples() {
    let gpt4o = openai("gpt-4o", Encoding::O200kBase);
    let text = text_part_tokens(Encoding::O200kBase);
    let cases = [
        // OpenAI's images and vision guide: 1024 x 1024 high is 765 tokens, 2048 x 4096
        // high is 1105 tokens, and any low-detail image is 85.
        (
            data_url("red-1024x1024.png", "image/png"),
            Some("high"),
            765,
        ),
        (
            data_url("blue-2048x4096.jpg", "image/jpeg"),
            Some("high"),
            1105,
        ),
        (
            data_url("blue-2048x4096.jpg", "image/jpeg"),
            Some("low"),
            85,
        ),
        // An https URL has no size to read: the worst case of 8 tiles.
        (
            "https://example.com/cat.png".to_string(),
            None,
            85 + 8 * 170,
        ),
    ];
    for (url, detail, image) in cases {
        let count = count_chat(&gpt4o, &image_request(&url, detail)).unwrap();
        assert_eq!(count.tokens, text + image, "{detail:?} {}", &url[..24]);
        assert!(!count.exact);
    }

    // The patch rule: 1800 x 2400 is 1452 patches, times 1.62 for gpt-4.1-mini.
    let mini = openai("gpt-4.1-mini", Encoding::O200kBase);
    let url = data_url("green-1800x2400.webp", "image/webp");
    let count = count_chat(&mini, &image_request(&url, None)).unwrap();
    assert_eq!(count.tokens, text + (1452u64 * 162).div_ceil(100));
    assert!(!count.exact);
}

// ---------------------------------------------------------------------------
// Properties

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text mixing letters, digits, punctuation, contractions, several kinds of
    /// whitespace, accented and CJK letters and emoji: the classes the
    /// pre-tokenizer patterns treat differently.
    fn mixed_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "([a-zA-Z]{1,8}|[0-9]{1,5}|[ \\t\\n\\r]{1,4}|[!?.,;:()/\\-]{1,3}|'s|'LL|\u{a0}|é|ü|中文|😀|<\\|endoftext\\|>){0,40}",
        )
        .expect("valid strategy regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn counts_match_tiktoken_rs(text in mixed_text()) {
            for encoding in Encoding::ALL {
                prop_assert_eq!(
                    count_encoding(encoding, &text),
                    tiktoken_rs(encoding).encode_ordinary(&text).len(),
                    "{}", encoding
                );
            }
        }

        #[test]
        fn count_until_agrees_with_count(text in mixed_text(), limit in 0usize..60) {
            for encoding in Encoding::ALL {
                let count = count_encoding(encoding, &text);
                let expected = (count <= limit).then_some(count);
                prop_assert_eq!(count_encoding_until(encoding, &text, limit), expected, "{}", encoding);
            }
        }
    }
}
