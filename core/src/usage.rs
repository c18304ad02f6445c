//! Token usage as vendors report it, normalized, and its exact cost.
//!
//! Vendors disagree on what "input tokens" means. OpenAI's `prompt_tokens`
//! includes the cached tokens; Anthropic's `input_tokens` excludes both cache
//! reads and cache writes; Gemini's `promptTokenCount` includes the cached
//! content and reports thinking tokens apart from the candidates. [`Usage`]
//! always has the OpenAI meaning: `input_tokens` is every input token, and
//! `cached_read_tokens` and `cache_write_tokens` are parts of it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::Prices;
use crate::error::{Error, Result};

/// Normalized token usage of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Usage {
    /// Every input token, cached or not.
    pub input_tokens: u64,
    /// Every output token, reasoning included.
    pub output_tokens: u64,
    /// Input tokens read from the vendor's prompt cache (part of `input_tokens`).
    pub cached_read_tokens: u64,
    /// Input tokens written to the vendor's prompt cache (part of `input_tokens`).
    pub cache_write_tokens: u64,
    /// Reasoning tokens (part of `output_tokens`).
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Parses a usage JSON text; see [`Usage::from_vendor_json`] for the shapes accepted.
    pub fn from_json(text: &str) -> Result<Usage> {
        let value: Value = serde_json::from_str(text)
            .map_err(|error| Error::invalid_request(format!("usage is not valid JSON: {error}")))?;
        Usage::from_vendor_json(&value)
    }

    /// Reads a usage object in OpenAI, Anthropic, Gemini or ingate's own shape.
    ///
    /// The shape is recognized by its keys: `cached_read_tokens`,
    /// `cache_write_tokens` or `reasoning_tokens` (this type's own fields),
    /// `prompt_tokens` (OpenAI chat),
    /// `input_tokens` with `output_tokens` (Anthropic, or OpenAI's Responses
    /// API when `input_tokens_details` is present), `promptTokenCount`
    /// (Gemini). An explicit zero counts as zero, not as missing.
    pub fn from_vendor_json(value: &Value) -> Result<Usage> {
        let Some(object) = value.as_object() else {
            return Err(Error::invalid_request(
                "usage must be a JSON object such as {\"prompt_tokens\": 10, \"completion_tokens\": 5}",
            ));
        };

        let ingate_keys = [
            "cached_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
        ];
        if ingate_keys.iter().any(|key| object.contains_key(*key)) {
            return Ok(Usage {
                input_tokens: field(value, &["input_tokens"])?,
                output_tokens: field(value, &["output_tokens"])?,
                cached_read_tokens: field(value, &["cached_read_tokens"])?,
                cache_write_tokens: field(value, &["cache_write_tokens"])?,
                reasoning_tokens: field(value, &["reasoning_tokens"])?,
            });
        }
        if object.contains_key("prompt_tokens") || object.contains_key("completion_tokens") {
            let cached = field(value, &["prompt_tokens_details", "cached_tokens"])?;
            return Ok(Usage {
                input_tokens: field(value, &["prompt_tokens"])?,
                output_tokens: field(value, &["completion_tokens"])?,
                cached_read_tokens: cached,
                cache_write_tokens: 0,
                reasoning_tokens: field(value, &["completion_tokens_details", "reasoning_tokens"])?,
            });
        }
        // Anthropic's usage carries its cache keys (null when unused) and, in
        // newer SDKs, an `output_tokens_details` too, so its keys decide first.
        let anthropic = object.contains_key("cache_read_input_tokens")
            || object.contains_key("cache_creation_input_tokens");
        if !anthropic
            && (object.contains_key("input_tokens_details")
                || object.contains_key("output_tokens_details"))
        {
            return Ok(Usage {
                input_tokens: field(value, &["input_tokens"])?,
                output_tokens: field(value, &["output_tokens"])?,
                cached_read_tokens: field(value, &["input_tokens_details", "cached_tokens"])?,
                cache_write_tokens: 0,
                reasoning_tokens: field(value, &["output_tokens_details", "reasoning_tokens"])?,
            });
        }
        if anthropic
            || (object.contains_key("input_tokens") && object.contains_key("output_tokens"))
        {
            let uncached = field(value, &["input_tokens"])?;
            let cached_read = field(value, &["cache_read_input_tokens"])?;
            let cache_write = field(value, &["cache_creation_input_tokens"])?;
            return Ok(Usage {
                input_tokens: uncached + cached_read + cache_write,
                output_tokens: field(value, &["output_tokens"])?,
                cached_read_tokens: cached_read,
                cache_write_tokens: cache_write,
                reasoning_tokens: 0,
            });
        }
        if object.contains_key("promptTokenCount") || object.contains_key("candidatesTokenCount") {
            let thoughts = field(value, &["thoughtsTokenCount"])?;
            return Ok(Usage {
                input_tokens: field(value, &["promptTokenCount"])?,
                output_tokens: field(value, &["candidatesTokenCount"])? + thoughts,
                cached_read_tokens: field(value, &["cachedContentTokenCount"])?,
                cache_write_tokens: 0,
                reasoning_tokens: thoughts,
            });
        }
        Err(Error::invalid_request(
            "usage object has none of `prompt_tokens`, `input_tokens` or `promptTokenCount`; \
             pass the `usage` (OpenAI, Anthropic) or `usageMetadata` (Gemini) object of the response",
        ))
    }

    fn check(&self) -> Result<()> {
        if self.cached_read_tokens + self.cache_write_tokens > self.input_tokens {
            return Err(Error::invalid_request(format!(
                "usage has {} cached and {} cache-write tokens but only {} input tokens; \
                 cached tokens are part of the input tokens",
                self.cached_read_tokens, self.cache_write_tokens, self.input_tokens
            )));
        }
        if self.reasoning_tokens > self.output_tokens {
            return Err(Error::invalid_request(format!(
                "usage has {} reasoning tokens but only {} output tokens; reasoning tokens are part of the output tokens",
                self.reasoning_tokens, self.output_tokens
            )));
        }
        Ok(())
    }

    /// Prices this usage exactly.
    ///
    /// Cached reads and cache writes use their own prices where the model has
    /// them, and the input price otherwise. When the input exceeds a
    /// long-context threshold, the whole call is priced at that tier, as
    /// Anthropic and Google bill it.
    pub fn cost(&self, prices: &Prices) -> Result<Decimal> {
        self.check()?;

        let (input, output, cached_read, cache_write) = match &prices.long_context {
            Some(tier) if self.input_tokens > tier.above_input_tokens => (
                tier.input,
                tier.output,
                tier.cached_read.or(prices.cached_read),
                tier.cache_write.or(prices.cache_write),
            ),
            _ => (
                prices.input,
                prices.output,
                prices.cached_read,
                prices.cache_write,
            ),
        };

        let uncached = self.input_tokens - self.cached_read_tokens - self.cache_write_tokens;
        let cost = Decimal::from(uncached) * input
            + Decimal::from(self.cached_read_tokens) * cached_read.unwrap_or(input)
            + Decimal::from(self.cache_write_tokens) * cache_write.unwrap_or(input)
            + Decimal::from(self.output_tokens) * output;
        Ok(cost.normalize())
    }
}

/// Reads an optional non-negative integer at `path`; missing or null is zero.
fn field(value: &Value, path: &[&str]) -> Result<u64> {
    let mut current = value;
    for key in path {
        match current.get(key) {
            Some(next) => current = next,
            None => return Ok(0),
        }
    }
    if current.is_null() {
        return Ok(0);
    }
    current.as_u64().ok_or_else(|| {
        Error::invalid_request(format!(
            "usage field `{}` is {current}, expected a non-negative integer",
            path.join(".")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prices() -> Prices {
        Prices {
            input: "0.0000025".parse().unwrap(),
            output: "0.00001".parse().unwrap(),
            cached_read: Some("0.00000125".parse().unwrap()),
            cache_write: None,
            long_context: None,
        }
    }

    #[test]
    fn openai_cached_tokens_are_part_of_prompt() {
        let usage = Usage::from_vendor_json(&json!({
            "prompt_tokens": 2006,
            "completion_tokens": 300,
            "prompt_tokens_details": {"cached_tokens": 1920},
            "completion_tokens_details": {"reasoning_tokens": 0}
        }))
        .unwrap();
        assert_eq!(usage.input_tokens, 2006);
        assert_eq!(usage.cached_read_tokens, 1920);
        let expected = Decimal::from(86) * prices().input
            + Decimal::from(1920) * prices().cached_read.unwrap()
            + Decimal::from(300) * prices().output;
        assert_eq!(usage.cost(&prices()).unwrap(), expected.normalize());
        assert_eq!(expected, "0.005615".parse::<Decimal>().unwrap());
    }

    #[test]
    fn anthropic_input_excludes_cache() {
        let usage = Usage::from_vendor_json(&json!({
            "input_tokens": 10,
            "cache_read_input_tokens": 1000,
            "cache_creation_input_tokens": 200,
            "output_tokens": 50
        }))
        .unwrap();
        assert_eq!(usage.input_tokens, 1210);
        assert_eq!(usage.cached_read_tokens, 1000);
        assert_eq!(usage.cache_write_tokens, 200);
    }

    #[test]
    fn anthropic_sdk_dump_with_output_details_is_anthropic() {
        // `Usage.model_dump()` of the anthropic Python SDK 2.x: every field
        // present, `output_tokens_details` among them, unused ones null.
        let usage = Usage::from_vendor_json(&json!({
            "cache_creation": null,
            "cache_creation_input_tokens": null,
            "cache_read_input_tokens": 100,
            "inference_geo": null,
            "input_tokens": 10,
            "output_tokens": 5,
            "output_tokens_details": {"thinking_tokens": 2},
            "server_tool_use": null,
            "service_tier": null,
            "speed": null
        }))
        .unwrap();
        assert_eq!(usage.input_tokens, 110);
        assert_eq!(usage.cached_read_tokens, 100);
        assert_eq!(usage.output_tokens, 5);
    }

    #[test]
    fn anthropic_cache_write_cost() {
        let usage = Usage::from_vendor_json(&json!({
            "input_tokens": 3,
            "cache_creation_input_tokens": 12304,
            "output_tokens": 550
        }))
        .unwrap();
        let prices = Prices {
            input: "0.000003".parse().unwrap(),
            output: "0.000015".parse().unwrap(),
            cached_read: None,
            cache_write: Some("0.00000375".parse().unwrap()),
            long_context: None,
        };
        assert_eq!(
            usage.cost(&prices).unwrap(),
            "0.054399".parse::<Decimal>().unwrap()
        );
    }

    #[test]
    fn gemini_thoughts_are_output() {
        let usage = Usage::from_vendor_json(&json!({
            "promptTokenCount": 100,
            "cachedContentTokenCount": 40,
            "candidatesTokenCount": 20,
            "thoughtsTokenCount": 30
        }))
        .unwrap();
        assert_eq!(usage.input_tokens, 100);
        assert_eq!(usage.cached_read_tokens, 40);
        assert_eq!(usage.output_tokens, 50);
        assert_eq!(usage.reasoning_tokens, 30);
    }

    #[test]
    fn explicit_zero_is_zero() {
        let usage =
            Usage::from_vendor_json(&json!({"prompt_tokens": 0, "completion_tokens": 0})).unwrap();
        assert_eq!(usage, Usage::default());
        assert_eq!(usage.cost(&prices()).unwrap(), Decimal::ZERO);
    }

    #[test]
    fn negative_or_text_counts_are_rejected() {
        for bad in [json!({"prompt_tokens": -1}), json!({"prompt_tokens": "12"})] {
            let error = Usage::from_vendor_json(&bad).unwrap_err();
            assert!(error.to_string().contains("prompt_tokens"), "{error}");
        }
    }

    #[test]
    fn inconsistent_cache_counts_are_rejected() {
        let usage = Usage {
            input_tokens: 10,
            cached_read_tokens: 11,
            ..Usage::default()
        };
        assert!(usage.cost(&prices()).is_err());
    }

    #[test]
    fn long_context_tier_prices_whole_call() {
        let mut prices = prices();
        prices.long_context = Some(crate::catalog::LongContextPrices {
            above_input_tokens: 200_000,
            input: "0.000005".parse().unwrap(),
            output: "0.00002".parse().unwrap(),
            cached_read: None,
            cache_write: None,
        });
        let usage = Usage {
            input_tokens: 200_001,
            output_tokens: 1,
            ..Usage::default()
        };
        let expected = Decimal::from(200_001) * prices.long_context.as_ref().unwrap().input
            + prices.long_context.as_ref().unwrap().output;
        assert_eq!(usage.cost(&prices).unwrap(), expected.normalize());
    }
}
