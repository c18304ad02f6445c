//! Conversions between core values and the plain objects returned to JavaScript.

use std::collections::HashMap;

use napi::bindgen_prelude::{JsObjectValue, Unknown};
use napi::{Env, JSON, ValueType};
use napi_derive::napi;

use crate::error;

/// A token count and whether it is exact.
#[napi(object)]
pub struct TokenCount {
    /// The number of tokens.
    pub tokens: f64,
    /// `false` for estimates (no public tokenizer, images, ...).
    pub exact: bool,
    /// The encoding used (`o200k_base`, ...) or the estimation method's name.
    pub encoding: String,
}

impl From<ingate::TokenCount> for TokenCount {
    fn from(count: ingate::TokenCount) -> TokenCount {
        TokenCount {
            tokens: count.tokens as f64,
            exact: count.exact,
            encoding: count.encoding,
        }
    }
}

/// The result of resolving a model name.
#[napi(object)]
pub struct Resolution {
    /// The name as requested.
    pub requested: String,
    /// The catalog id it resolved to.
    pub model: String,
    /// Each name visited, from the requested name to the id.
    pub chain: Vec<String>,
    /// Deprecation and substitution notices.
    pub warnings: Vec<String>,
}

impl From<ingate::Resolution> for Resolution {
    fn from(resolution: ingate::Resolution) -> Resolution {
        Resolution {
            requested: resolution.requested,
            model: resolution.model,
            chain: resolution.chain,
            warnings: resolution.warnings,
        }
    }
}

/// One detected value; offsets are UTF-16 code units of the original text.
#[napi(object, use_nullable = true)]
pub struct Finding {
    /// `email`, `credit_card`, `secret`, ...
    pub kind: String,
    /// For secrets, the vendor (`openai`, `aws`, ...); `null` otherwise.
    pub vendor: Option<String>,
    /// Offset of the value in the original text.
    pub start: f64,
    /// Offset just past the value.
    pub end: f64,
    /// The text that replaced the value.
    pub replacement: String,
}

/// A redacted text and its findings.
#[napi(object)]
pub struct Redaction {
    /// The text with every finding replaced.
    pub text: String,
    /// The findings, in text order.
    pub findings: Vec<Finding>,
}

/// Converts a redaction, turning byte offsets into `original` into UTF-16 offsets.
pub(crate) fn redaction(original: &str, redaction: ingate::Redaction) -> Redaction {
    // Findings come in text order, so one forward walk converts every offset.
    let mut converter = Utf16Offsets::new(original);
    let findings = redaction
        .findings
        .into_iter()
        .map(|finding| Finding {
            start: converter.offset(finding.start) as f64,
            end: converter.offset(finding.end) as f64,
            kind: finding.kind,
            vendor: finding.vendor,
            replacement: finding.replacement,
        })
        .collect();
    Redaction {
        text: redaction.text,
        findings,
    }
}

/// Converts ascending byte offsets of one text into UTF-16 code unit offsets.
struct Utf16Offsets<'t> {
    text: &'t str,
    byte: usize,
    utf16: usize,
}

impl<'t> Utf16Offsets<'t> {
    fn new(text: &'t str) -> Self {
        Utf16Offsets {
            text,
            byte: 0,
            utf16: 0,
        }
    }

    /// Returns the UTF-16 offset of `byte`; a smaller offset than the last one restarts the walk.
    fn offset(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte < self.byte {
            self.byte = 0;
            self.utf16 = 0;
        }
        for (at, character) in self.text[self.byte..].char_indices() {
            if self.byte + at >= byte {
                break;
            }
            self.utf16 += character.len_utf16();
        }
        self.byte = byte;
        self.utf16
    }
}

/// A figure with its uncertainty range.
#[napi(object)]
pub struct Estimate {
    /// Lower bound.
    pub low: f64,
    /// Central value.
    pub value: f64,
    /// Upper bound.
    pub high: f64,
}

impl From<ingate::Estimate> for Estimate {
    fn from(estimate: ingate::Estimate) -> Estimate {
        Estimate {
            low: estimate.low,
            value: estimate.value,
            high: estimate.high,
        }
    }
}

/// The energy, carbon and water estimate of one call.
#[napi(object)]
pub struct Energy {
    /// Energy at the facility meter, in watt-hours.
    pub wh: Estimate,
    /// Location-based carbon of that energy, in grams of CO2 equivalent.
    #[napi(js_name = "co2eG")]
    pub co2e_g: Estimate,
    /// Off-site water used to generate the electricity, in millilitres.
    pub water_ml: Estimate,
    /// The grid zone: an ISO 3166 alpha-3 code, or `WOR` for the world average.
    pub zone: String,
    /// `true`: carbon uses the zone's average grid intensity.
    pub location_based: bool,
    /// `true` when the model's parameter count was assumed from its size class.
    pub parameters_assumed: bool,
    /// The method version, such as `ingate-energy/1`.
    pub method: String,
}

impl From<ingate::Energy> for Energy {
    fn from(energy: ingate::Energy) -> Energy {
        Energy {
            wh: energy.wh.into(),
            co2e_g: energy.co2e_g.into(),
            water_ml: energy.water_ml.into(),
            zone: energy.zone,
            location_based: energy.location_based,
            parameters_assumed: energy.parameters_assumed,
            method: energy.method,
        }
    }
}

/// The scope a call is charged to and the labels of its record.
#[napi(object)]
pub struct CallOptions {
    /// The scope path (`acme/search`); the policy's `[defaults] scope` when absent.
    pub scope: Option<String>,
    /// Labels copied to the call's record.
    pub tags: Option<HashMap<String, String>>,
}

/// Converts the options of `begin`; absent options mean the policy's defaults.
pub(crate) fn call_options(options: Option<CallOptions>) -> ingate::CallOptions {
    let Some(options) = options else {
        return ingate::CallOptions::default();
    };
    ingate::CallOptions {
        scope: options.scope,
        tags: options.tags.unwrap_or_default().into_iter().collect(),
    }
}

/// The record of one finished, aborted or denied call.
#[napi(object, use_nullable = true)]
pub struct CallRecord {
    /// A unique id for the call.
    pub id: String,
    /// When the call began, an RFC 3339 timestamp in UTC.
    pub ts: String,
    /// The scope path the call was charged to.
    pub scope: String,
    /// The caller's tags.
    pub tags: HashMap<String, String>,
    /// `allowed` or `denied`.
    pub decision: String,
    /// The kind that denied the call (`budget_exceeded`, ...), or `null`.
    pub deny_reason: Option<String>,
    /// The denial's message, or `null`.
    pub deny_message: Option<String>,
    /// The model name as requested.
    pub request_model: String,
    /// The catalog id the name resolved to.
    pub response_model: Option<String>,
    /// Every input token, cached or not.
    pub input_tokens: f64,
    /// Every output token, reasoning included.
    pub output_tokens: f64,
    /// `false` when a token count is an estimate.
    pub tokens_exact: bool,
    /// `true` when the output cap stood in for vendor usage.
    pub usage_simulated: bool,
    /// The settled cost in USD, an exact decimal string.
    pub cost_usd: String,
    /// The USD reserved when the call began, an exact decimal string.
    pub reserved_usd: String,
    /// Input tokens read from the vendor's prompt cache.
    pub cached_read_tokens: f64,
    /// Input tokens written to the vendor's prompt cache.
    pub cache_write_tokens: f64,
    /// Reasoning tokens, part of the output tokens.
    pub reasoning_tokens: f64,
    /// Energy in Wh.
    pub energy_wh: Estimate,
    /// Carbon in gCO2e.
    #[napi(js_name = "co2eG")]
    pub co2e_g: Estimate,
    /// Off-site water in mL.
    pub water_ml: Estimate,
    /// `true` when the energy estimate assumed the model's size class.
    pub energy_parameters_assumed: bool,
    /// The grid zone of the energy estimate.
    pub energy_zone: Option<String>,
    /// The energy method version.
    pub energy_method: Option<String>,
    /// Values redacted from the request, counted by kind.
    pub redactions: HashMap<String, f64>,
    /// The names visited while resolving the model.
    pub resolution_chain: Vec<String>,
    /// Deprecation notices, substitutions and soft budget limits.
    pub warnings: Vec<String>,
    /// The reason an allowed call ended without usage, or `null`.
    pub abort_reason: Option<String>,
    /// The budget store's failure during the call and the policy's action, or `null`.
    pub store_error: Option<String>,
    /// The record as one JSON object with the core's keys (`gen_ai.usage.input_tokens`, ...),
    /// the form written to call logs.
    pub json: String,
}

/// Converts a call record; its `json` field is the core's serialization.
pub(crate) fn record(record: &ingate::CallRecord) -> CallRecord {
    // serde_json cannot fail on a record: its map keys are strings, and it writes non-finite floats as null.
    let json = serde_json::to_string(record).unwrap_or_default();
    let decision = match record.decision {
        ingate::record::Decision::Allowed => "allowed",
        ingate::record::Decision::Denied => "denied",
    };
    CallRecord {
        id: record.id.clone(),
        ts: record.ts.clone(),
        scope: record.scope.clone(),
        tags: record.tags.clone().into_iter().collect(),
        decision: decision.to_string(),
        deny_reason: record.deny_reason.clone(),
        deny_message: record.deny_message.clone(),
        request_model: record.request_model.clone(),
        response_model: record.response_model.clone(),
        input_tokens: record.input_tokens as f64,
        output_tokens: record.output_tokens as f64,
        tokens_exact: record.tokens_exact,
        usage_simulated: record.usage_simulated,
        cost_usd: record.cost_usd.to_string(),
        reserved_usd: record.reserved_usd.to_string(),
        cached_read_tokens: record.cached_read_tokens as f64,
        cache_write_tokens: record.cache_write_tokens as f64,
        reasoning_tokens: record.reasoning_tokens as f64,
        energy_wh: record.energy_wh.into(),
        co2e_g: record.co2e_g.into(),
        water_ml: record.water_ml.into(),
        energy_parameters_assumed: record.energy_parameters_assumed,
        energy_zone: record.energy_zone.clone(),
        energy_method: record.energy_method.clone(),
        redactions: record
            .redactions
            .iter()
            .map(|(kind, count)| (kind.clone(), *count as f64))
            .collect(),
        resolution_chain: record.resolution_chain.clone(),
        warnings: record.warnings.clone(),
        abort_reason: record.abort_reason.clone(),
        store_error: record.store_error.clone(),
        json,
    }
}

/// Serializes a JavaScript object with the runtime's own `JSON.stringify`.
///
/// `what` names the argument in the error when the value is not an object.
pub(crate) fn stringify(env: &Env, value: Unknown, what: &str) -> napi::Result<String> {
    if value.get_type()? != ValueType::Object {
        return Err(error::invalid_request(
            env,
            format!(
                "{what} must be an object, got {}",
                type_name(value.get_type()?)
            ),
        ));
    }
    let json: JSON = env.get_global()?.get_named_property_unchecked("JSON")?;
    json.stringify(value)
}

/// Parses JSON text with the runtime's own `JSON.parse`.
pub(crate) fn parse<'env>(env: &'env Env, text: &str) -> napi::Result<Unknown<'env>> {
    let json: JSON = env.get_global()?.get_named_property_unchecked("JSON")?;
    let parse: napi::bindgen_prelude::Function<String, Unknown> =
        json.get_named_property_unchecked("parse")?;
    parse.call(text.to_string())
}

fn type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::Function => "a function",
        ValueType::BigInt => "a bigint",
        _ => "a value of another type",
    }
}

/// Converts a JavaScript number of tokens to `u64`, rejecting fractions, negatives and NaN.
pub(crate) fn token_count(env: &Env, name: &str, value: f64) -> napi::Result<u64> {
    // 2^53 - 1: above it a double cannot represent every integer.
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_SAFE_INTEGER {
        Ok(value as u64)
    } else {
        Err(error::invalid_request(
            env,
            format!("`{name}` is {value}; pass a non-negative integer"),
        ))
    }
}
