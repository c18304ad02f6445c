//! Imports of LiteLLM's `model_prices_and_context_window.json` format.
//!
//! The format is a JSON object from model key to entry; the key `sample_spec`
//! documents the fields. Prices are USD per token. Numbers are converted to
//! decimals from their shortest round-trip text, never through float
//! arithmetic, so `2.5e-06` becomes exactly `0.0000025`.

use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Number, Value};

use super::{DatedFact, LongContextPrices, ModelRecord, Prices};
use crate::error::{Error, Result};
use crate::tokens::Encoding;

/// The highest accepted price: 1,000 USD per million tokens.
const MAX_PRICE_PER_TOKEN: Decimal = Decimal::from_parts(1, 0, 0, false, 3);

/// The smallest accepted context window.
const MIN_CONTEXT_WINDOW: u64 = 1_000;

/// The key LiteLLM uses to document its own fields.
const SAMPLE_SPEC: &str = "sample_spec";

/// Parses the whole file into records, failing on the first invalid entry.
pub(super) fn parse(json: &str) -> Result<Vec<ModelRecord>> {
    let root: Value = serde_json::from_str(json).map_err(|error| Error::InvalidCatalog {
        entry: "(file)".to_string(),
        message: format!("not valid JSON: {error}; a LiteLLM catalog is one JSON object"),
    })?;
    let Value::Object(entries) = root else {
        return Err(Error::InvalidCatalog {
            entry: "(file)".to_string(),
            message: "expected a JSON object from model name to entry".to_string(),
        });
    };

    let mut records = Vec::new();
    for (key, entry) in &entries {
        if key == SAMPLE_SPEC {
            continue;
        }
        let Value::Object(entry) = entry else {
            return Err(invalid(
                key,
                "expected a JSON object with the model's fields",
            ));
        };
        let mode = entry.get("mode").and_then(Value::as_str).unwrap_or("chat");
        if mode != "chat" {
            continue;
        }
        records.push(parse_entry(key, entry)?);
    }
    Ok(records)
}

fn parse_entry(key: &str, entry: &Map<String, Value>) -> Result<ModelRecord> {
    let provider = entry
        .get("litellm_provider")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(key, "missing `litellm_provider` (for example \"openai\")"))?;

    let prices = parse_prices(key, entry)?;

    let max_input_tokens = optional_count(key, entry, "max_input_tokens")?;
    let max_output_tokens = optional_count(key, entry, "max_output_tokens")?;
    let context_window = match max_input_tokens {
        Some(tokens) => tokens,
        None => optional_count(key, entry, "max_tokens")?.ok_or_else(|| {
            invalid(
                key,
                "missing `max_input_tokens`: set the model's context window in tokens",
            )
        })?,
    };
    if context_window < MIN_CONTEXT_WINDOW {
        return Err(invalid(
            key,
            &format!(
                "context window of {context_window} tokens is below {MIN_CONTEXT_WINDOW}; \
                 `max_input_tokens` is a number of tokens, for example 128000"
            ),
        ));
    }

    let shutdown = match entry.get("deprecation_date") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let text = value
                .as_str()
                .ok_or_else(|| invalid(key, "`deprecation_date` must be a YYYY-MM-DD string"))?;
            let date = Date::from_str(text).map_err(|_| {
                invalid(
                    key,
                    &format!("`deprecation_date` `{text}` is not a YYYY-MM-DD date"),
                )
            })?;
            let source = entry
                .get("deprecation_source")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| "LiteLLM-format import (`deprecation_date`)".to_string());
            Some(DatedFact { date, source })
        }
    };
    let successor = entry
        .get("successor_model")
        .and_then(Value::as_str)
        .map(str::to_string);

    Ok(ModelRecord {
        id: key.to_string(),
        vendor: vendor_of(provider),
        provider: provider.to_string(),
        aliases: Vec::new(),
        encoding: encoding_of(key),
        context_window,
        max_input_tokens,
        max_output_tokens,
        prices,
        deprecated: None,
        shutdown,
        successor,
        parameters: None,
    })
}

fn parse_prices(key: &str, entry: &Map<String, Value>) -> Result<Prices> {
    let input = required_price(key, entry, "input_cost_per_token")?;
    let output = required_price(key, entry, "output_cost_per_token")?;
    let cached_read = optional_price(key, entry, "cache_read_input_token_cost")?;
    let cache_write = optional_price(key, entry, "cache_creation_input_token_cost")?;

    // LiteLLM names tiers `..._above_<N>k_tokens`; the lowest N is the first tier a prompt enters.
    let lowest_tier = entry
        .keys()
        .filter_map(|name| {
            name.strip_prefix("input_cost_per_token_above_")?
                .strip_suffix("k_tokens")?
                .parse::<u64>()
                .ok()
        })
        .min();
    let long_context = match lowest_tier {
        None => None,
        Some(thousands) => {
            let suffix = format!("_above_{thousands}k_tokens");
            Some(LongContextPrices {
                above_input_tokens: thousands * 1_000,
                input: required_price(key, entry, &format!("input_cost_per_token{suffix}"))?,
                output: optional_price(key, entry, &format!("output_cost_per_token{suffix}"))?
                    .unwrap_or(output),
                cached_read: optional_price(
                    key,
                    entry,
                    &format!("cache_read_input_token_cost{suffix}"),
                )?,
                cache_write: optional_price(
                    key,
                    entry,
                    &format!("cache_creation_input_token_cost{suffix}"),
                )?,
            })
        }
    };

    Ok(Prices {
        input,
        output,
        cached_read,
        cache_write,
        long_context,
    })
}

fn required_price(key: &str, entry: &Map<String, Value>, field: &str) -> Result<Decimal> {
    optional_price(key, entry, field)?
        .ok_or_else(|| invalid(key, &format!("missing `{field}` (USD per token)")))
}

fn optional_price(key: &str, entry: &Map<String, Value>, field: &str) -> Result<Option<Decimal>> {
    let number = match entry.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(number)) => number,
        Some(_) => {
            return Err(invalid(
                key,
                &format!("`{field}` must be a number of USD per token"),
            ));
        }
    };
    let price = decimal_from_number(number).ok_or_else(|| {
        invalid(
            key,
            &format!("`{field}` = {number} is not a decimal number"),
        )
    })?;

    if price.is_sign_negative() && !price.is_zero() {
        return Err(invalid(
            key,
            &format!("`{field}` = {price} is negative; prices are USD per token and at least 0"),
        ));
    }
    if price > MAX_PRICE_PER_TOKEN {
        let per_token = price / Decimal::from(1_000_000);
        return Err(invalid(
            key,
            &format!(
                "`{field}` = {price} USD per token is above 0.001 (1,000 USD per million tokens); \
                 hint: if {price} is the price per million tokens, write {} per token",
                per_token.normalize()
            ),
        ));
    }
    Ok(Some(price.normalize()))
}

fn optional_count(key: &str, entry: &Map<String, Value>, field: &str) -> Result<Option<u64>> {
    match entry.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| {
            invalid(
                key,
                &format!("`{field}` must be a whole number of tokens, got {value}"),
            )
        }),
    }
}

/// Converts a JSON number to a decimal through its shortest round-trip text.
pub(super) fn decimal_from_number(number: &Number) -> Option<Decimal> {
    let text = number.to_string();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text).ok()
    } else {
        Decimal::from_str(&text).ok()
    }
}

fn invalid(key: &str, message: &str) -> Error {
    Error::InvalidCatalog {
        entry: key.to_string(),
        message: message.to_string(),
    }
}

/// Maps LiteLLM's `litellm_provider` to the vendor; providers of other vendors keep their name.
pub(super) fn vendor_of(provider: &str) -> String {
    let vendor = match provider {
        "openai" | "text-completion-openai" => "openai",
        "anthropic" => "anthropic",
        "gemini" => "google",
        "mistral" => "mistral",
        "bedrock" | "bedrock_converse" | "bedrock_mantle" => "bedrock",
        "azure" => "azure",
        other if other.starts_with("vertex_ai") => "google",
        other => other,
    };
    vendor.to_string()
}

/// Returns the public encoding of an OpenAI model id (also on Azure), or of gpt-oss anywhere.
///
/// Mirrors `encoding_for` in scripts/gen_catalog.py.
pub(super) fn encoding_of(id: &str) -> Option<Encoding> {
    let last = id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
    let name = last.strip_prefix("ft:").unwrap_or(&last);
    if name.contains("gpt-oss") {
        return Some(Encoding::O200kHarmony);
    }
    let openai_family = !id.contains('/') || id.starts_with("azure/") || id.starts_with("openai/");
    if !openai_family {
        return None;
    }

    // The first matching prefix wins, so the GPT-4o family comes before plain gpt-4.
    const PREFIXES: &[(&str, Encoding)] = &[
        ("gpt-4o", Encoding::O200kBase),
        ("chatgpt-4o", Encoding::O200kBase),
        ("gpt-4.1", Encoding::O200kBase),
        ("gpt-4.5", Encoding::O200kBase),
        ("gpt-5", Encoding::O200kBase),
        ("o1", Encoding::O200kBase),
        ("o3", Encoding::O200kBase),
        ("o4", Encoding::O200kBase),
        ("gpt-4", Encoding::Cl100kBase),
        ("gpt-3.5-turbo", Encoding::Cl100kBase),
        ("gpt-35-turbo", Encoding::Cl100kBase),
        ("text-davinci-003", Encoding::P50kBase),
        ("text-davinci-002", Encoding::P50kBase),
        ("davinci-002", Encoding::Cl100kBase),
        ("babbage-002", Encoding::Cl100kBase),
        ("text-davinci-001", Encoding::R50kBase),
        ("text-curie-001", Encoding::R50kBase),
        ("text-babbage-001", Encoding::R50kBase),
        ("text-ada-001", Encoding::R50kBase),
        ("davinci", Encoding::R50kBase),
        ("curie", Encoding::R50kBase),
        ("babbage", Encoding::R50kBase),
        ("ada", Encoding::R50kBase),
    ];
    PREFIXES.iter().find_map(|(prefix, encoding)| {
        let matches = name == *prefix
            || name
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('-') || matches!(*prefix, "gpt-4o" | "gpt-5"));
        matches.then_some(*encoding)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_from_shortest_text() {
        let cases = [
            ("2.5e-06", "0.0000025"),
            ("1e-05", "0.00001"),
            ("1.25e-07", "0.000000125"),
            ("0.0", "0"),
            ("3", "3"),
        ];
        for (json, expected) in cases {
            let number: Number = serde_json::from_str(json).unwrap();
            let decimal = decimal_from_number(&number).unwrap().normalize();
            assert_eq!(decimal.to_string(), expected, "{json}");
        }
    }

    #[test]
    fn encoding_by_model_family() {
        let cases = [
            ("gpt-4o-2024-08-06", Some(Encoding::O200kBase)),
            ("gpt-4o", Some(Encoding::O200kBase)),
            ("azure/eu/gpt-4.1", Some(Encoding::O200kBase)),
            ("gpt-5.1-chat-latest", Some(Encoding::O200kBase)),
            ("o3-mini", Some(Encoding::O200kBase)),
            ("ft:gpt-4o-mini-2024-07-18", Some(Encoding::O200kBase)),
            ("gpt-4-0613", Some(Encoding::Cl100kBase)),
            ("gpt-4", Some(Encoding::Cl100kBase)),
            ("azure/gpt-35-turbo", Some(Encoding::Cl100kBase)),
            ("gpt-3.5-turbo-0125", Some(Encoding::Cl100kBase)),
            ("openai.gpt-oss-120b-1:0", Some(Encoding::O200kHarmony)),
            (
                "bedrock_mantle/openai.gpt-oss-20b",
                Some(Encoding::O200kHarmony),
            ),
            ("text-davinci-003", Some(Encoding::P50kBase)),
            ("davinci-002", Some(Encoding::Cl100kBase)),
            ("davinci", Some(Encoding::R50kBase)),
            ("text-curie-001", Some(Encoding::R50kBase)),
            ("claude-sonnet-4-5", None),
            ("gemini/gemini-2.5-pro", None),
            ("mistral/mistral-large-latest", None),
            ("omni-moderation-latest", None),
            ("o1x", None),
        ];
        for (id, expected) in cases {
            assert_eq!(encoding_of(id), expected, "{id}");
        }
    }
}
