//! Chat request counting by OpenAI's published formulas.
//!
//! Messages follow the OpenAI cookbook "How to count tokens with tiktoken"
//! (https://github.com/openai/openai-cookbook/blob/main/examples/How_to_count_tokens_with_tiktoken.ipynb).
//! It counts 3 tokens per message plus the tokens of every value (role,
//! content, name), 1 more per `name`, and 3 for the reply priming
//! `<|start|>assistant<|message|>`. gpt-3.5-turbo-0301 uses 4 per message and
//! -1 per name. Tool definitions use the same notebook's `num_tokens_for_tools`.

use serde_json::Value;

use super::image::{image_size_from_data_url, image_tokens, vision_rule};
use super::{Encoding, TokenCount, count_encoding, estimate_method};
use crate::catalog::ModelRecord;
use crate::request::{ChatRequest, Content, ContentPart, Tool};

/// Per-message constants of a chat format.
struct MessageFormat {
    per_message: i64,
    per_name: i64,
    reply_priming: i64,
}

const CURRENT_FORMAT: MessageFormat = MessageFormat {
    per_message: 3,
    per_name: 1,
    reply_priming: 3,
};

const GPT_35_0301_FORMAT: MessageFormat = MessageFormat {
    per_message: 4,
    per_name: -1,
    reply_priming: 3,
};

/// The cookbook's constants for tool definitions.
struct ToolFormat {
    func_init: i64,
    prop_init: i64,
    prop_key: i64,
    enum_init: i64,
    enum_item: i64,
    func_end: i64,
}

/// gpt-4o and gpt-4o-mini (o200k_base).
const O200K_TOOLS: ToolFormat = ToolFormat {
    func_init: 7,
    prop_init: 3,
    prop_key: 3,
    enum_init: -3,
    enum_item: 3,
    func_end: 12,
};

/// gpt-3.5-turbo and gpt-4 (cl100k_base).
const CL100K_TOOLS: ToolFormat = ToolFormat {
    func_init: 10,
    ..O200K_TOOLS
};

/// A running count and whether every part of it followed a published formula.
struct Tally {
    encoding: Encoding,
    tokens: i64,
    exact: bool,
}

impl Tally {
    fn text(&mut self, text: &str) {
        self.tokens += count_encoding(self.encoding, text) as i64;
    }
}

pub(super) fn count_chat(model: &ModelRecord, request: &ChatRequest) -> TokenCount {
    let estimate = estimate_method(model);
    let encoding = model.encoding.unwrap_or(Encoding::O200kBase);
    let mut tally = Tally {
        encoding,
        tokens: 0,
        exact: true,
    };

    let id = model.id.to_ascii_lowercase();
    let format = if id.contains("gpt-3.5-turbo-0301") {
        &GPT_35_0301_FORMAT
    } else {
        &CURRENT_FORMAT
    };

    // NOTE: the published formulas were checked against API counts only for the
    // cl100k_base and o200k_base chat models. gpt-oss (o200k_harmony) is rendered by
    // its host with an added system message, and p50k/r50k models have no chat format.
    if matches!(
        encoding,
        Encoding::O200kHarmony | Encoding::P50kBase | Encoding::R50kBase
    ) {
        tally.exact = false;
    }

    let image_rule = vision_rule(&model.id);
    for message in &request.messages {
        tally.tokens += format.per_message;
        tally.text(&message.role);
        if let Some(name) = &message.name {
            tally.text(name);
            tally.tokens += format.per_name;
        }

        match &message.content {
            Some(Content::Text(text)) => tally.text(text),
            Some(Content::Parts(parts)) => {
                let text_parts = parts
                    .iter()
                    .filter(|part| matches!(part, ContentPart::Text { .. }))
                    .count();
                // How OpenAI joins several text parts is not published.
                if text_parts > 1 {
                    tally.exact = false;
                }
                for part in parts {
                    match part {
                        ContentPart::Text { text } => tally.text(text),
                        ContentPart::ImageUrl { image_url } => {
                            let size = image_size_from_data_url(&image_url.url);
                            tally.tokens +=
                                image_tokens(image_rule, size, image_url.detail.as_deref()) as i64;
                            tally.exact = false;
                        }
                        // Audio and file parts are counted as zero tokens.
                        ContentPart::Other(_) => tally.exact = false,
                    }
                }
            }
            None => {}
        }

        // Tool calls and tool results are billed as text inside a framing that
        // OpenAI does not publish, so only their text is counted.
        for call in &message.tool_calls {
            tally.text(&call.function.name);
            tally.text(&call.function.arguments);
            tally.exact = false;
        }
        if message.role == "tool" {
            tally.exact = false;
        }
    }
    tally.tokens += format.reply_priming;

    if !request.tools.is_empty() {
        let tools_format = if encoding == Encoding::Cl100kBase {
            &CL100K_TOOLS
        } else {
            &O200K_TOOLS
        };
        count_tools(&mut tally, tools_format, &request.tools);
    }

    let tokens = tally.tokens.max(0) as u64;
    match estimate {
        None => TokenCount {
            tokens,
            exact: tally.exact,
            encoding: encoding.as_str().to_string(),
        },
        Some(method) => TokenCount {
            tokens: method.scale(tokens),
            exact: false,
            encoding: method.name(),
        },
    }
}

/// Adds the tool definitions by the cookbook's `num_tokens_for_tools`.
///
/// The formula covers flat parameter objects whose properties have a string
/// `type`, a `description` and an optional `enum`. Anything else (nested objects,
/// arrays, `anyOf`, non-object parameters) is counted as its JSON text and makes
/// the count inexact.
fn count_tools(tally: &mut Tally, format: &ToolFormat, tools: &[Tool]) {
    for tool in tools {
        let function = &tool.function;
        tally.tokens += format.func_init;

        let description = function.description.as_deref().unwrap_or("");
        let description = description.strip_suffix('.').unwrap_or(description);
        tally.text(&format!("{}:{}", function.name, description));

        let Some(parameters) = &function.parameters else {
            continue;
        };
        let Some(properties) = parameters.get("properties").and_then(Value::as_object) else {
            // `{}` and `{"type": "object"}` declare no arguments; other shapes are outside the formula.
            let declares_nothing = parameters.as_object().is_some_and(|object| {
                object.keys().all(|key| key == "type")
                    && object.get("type").is_none_or(|t| t == "object")
            });
            if !declares_nothing {
                tally.text(&parameters.to_string());
                tally.exact = false;
            }
            continue;
        };
        if properties.is_empty() {
            continue;
        }

        tally.tokens += format.prop_init;
        for (key, property) in properties {
            tally.tokens += format.prop_key;
            if !is_flat_property(property) {
                tally.exact = false;
            }

            let property_type = match property.get("type") {
                Some(Value::String(name)) => name.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            if let Some(items) = property.get("enum").and_then(Value::as_array) {
                tally.tokens += format.enum_init;
                for item in items {
                    tally.tokens += format.enum_item;
                    match item {
                        Value::String(text) => tally.text(text),
                        other => tally.text(&other.to_string()),
                    }
                }
            }
            let description = property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            let description = description.strip_suffix('.').unwrap_or(description);
            tally.text(&format!("{key}:{property_type}:{description}"));
        }
    }
    tally.tokens += format.func_end;
}

fn is_flat_property(property: &Value) -> bool {
    let Some(object) = property.as_object() else {
        return false;
    };
    let has_string_type = object.get("type").is_some_and(Value::is_string);
    let known_keys = object
        .keys()
        .all(|key| matches!(key.as_str(), "type" | "description" | "enum"));
    has_string_type && known_keys
}
