//! Plain records that cross into Kotlin, converted from and to the core's types.
//!
//! Money crosses as decimal strings and offsets as UTF-16 code units, the
//! unit of Kotlin and Java string indexes.

use std::collections::HashMap;

use ingate::record::{CallRecord, Decision};
use ingate::redact::utf16_offset;
use ingate::{ChatRequest, Energy, Estimate, Redaction, Resolution, TokenCount, Usage};
use serde_json::{Map, Value};

use crate::error::NativeError;

/// A token count and whether it is exact.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeTokenCount {
    /// The number of tokens.
    pub tokens: u64,
    /// `false` when the count is an estimate (vendors without a public tokenizer).
    pub exact: bool,
    /// The encoding, or the estimation method when `exact` is `false`.
    pub encoding: String,
}

impl From<TokenCount> for NativeTokenCount {
    fn from(count: TokenCount) -> NativeTokenCount {
        NativeTokenCount {
            tokens: count.tokens,
            exact: count.exact,
            encoding: count.encoding,
        }
    }
}

impl From<&TokenCount> for NativeTokenCount {
    fn from(count: &TokenCount) -> NativeTokenCount {
        NativeTokenCount::from(count.clone())
    }
}

/// The resolution of a model name.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeResolution {
    /// The name as requested.
    pub requested: String,
    /// The catalog id it resolved to.
    pub model: String,
    /// Each name visited, from the requested name to the id.
    pub chain: Vec<String>,
    /// Deprecation and substitution notices.
    pub warnings: Vec<String>,
}

impl From<Resolution> for NativeResolution {
    fn from(resolution: Resolution) -> NativeResolution {
        NativeResolution {
            requested: resolution.requested,
            model: resolution.model,
            chain: resolution.chain,
            warnings: resolution.warnings,
        }
    }
}

/// One detected value, with offsets in UTF-16 code units of the original text.
#[derive(Clone, uniffi::Record)]
pub struct NativeFinding {
    /// `email`, `credit_card`, `secret`, ...
    pub kind: String,
    /// For secrets, the vendor (`openai`, `aws`, ...).
    pub vendor: Option<String>,
    /// UTF-16 offset of the value.
    pub start: u64,
    /// UTF-16 offset just past the value.
    pub end: u64,
    /// The text that replaced the value.
    pub replacement: String,
}

/// A redacted text and its findings.
#[derive(Clone, uniffi::Record)]
pub struct NativeRedaction {
    /// The text with every finding replaced.
    pub text: String,
    /// The findings, in text order.
    pub findings: Vec<NativeFinding>,
}

impl NativeRedaction {
    /// Converts a core redaction of `original`, turning byte offsets into UTF-16 offsets.
    pub(crate) fn new(original: &str, redaction: Redaction) -> NativeRedaction {
        let to_utf16 = |byte: usize| u64::try_from(utf16_offset(original, byte)).unwrap_or(0);
        let findings = redaction
            .findings
            .into_iter()
            .map(|finding| NativeFinding {
                start: to_utf16(finding.start),
                end: to_utf16(finding.end),
                kind: finding.kind,
                vendor: finding.vendor,
                replacement: finding.replacement,
            })
            .collect();
        NativeRedaction {
            text: redaction.text,
            findings,
        }
    }
}

/// A figure with its uncertainty range.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct NativeEstimate {
    /// Lower bound.
    pub low: f64,
    /// Central value.
    pub value: f64,
    /// Upper bound.
    pub high: f64,
}

impl From<Estimate> for NativeEstimate {
    fn from(estimate: Estimate) -> NativeEstimate {
        NativeEstimate {
            low: estimate.low,
            value: estimate.value,
            high: estimate.high,
        }
    }
}

/// The energy, carbon and water estimate of one call.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeEnergy {
    /// Energy at the facility meter, in Wh.
    pub wh: NativeEstimate,
    /// Location-based carbon, in gCO2e.
    pub co2e_g: NativeEstimate,
    /// Off-site water, in mL.
    pub water_ml: NativeEstimate,
    /// The grid zone: ISO 3166 alpha-3, or `WOR` for the world average.
    pub zone: String,
    /// `true`: carbon uses the zone's average grid intensity.
    pub location_based: bool,
    /// `true` when the catalog had no parameter counts for the model.
    pub parameters_assumed: bool,
    /// The method version.
    pub method: String,
}

impl From<Energy> for NativeEnergy {
    fn from(energy: Energy) -> NativeEnergy {
        NativeEnergy {
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

/// Normalized token usage of one call, the core's `Usage`.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct NativeUsage {
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

impl From<Usage> for NativeUsage {
    fn from(usage: Usage) -> NativeUsage {
        NativeUsage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_read_tokens: usage.cached_read_tokens,
            cache_write_tokens: usage.cache_write_tokens,
            reasoning_tokens: usage.reasoning_tokens,
        }
    }
}

impl From<NativeUsage> for Usage {
    fn from(usage: NativeUsage) -> Usage {
        Usage {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            cached_read_tokens: usage.cached_read_tokens,
            cache_write_tokens: usage.cache_write_tokens,
            reasoning_tokens: usage.reasoning_tokens,
        }
    }
}

/// One chat message with plain text content.
#[derive(Clone, uniffi::Record)]
pub struct NativeMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text; `None` for an assistant message that only calls tools.
    pub content: Option<String>,
    /// The participant name, counted by OpenAI's tokenizer rules.
    pub name: Option<String>,
}

/// A chat completion request with plain text messages.
///
/// Requests with images, tools or other vendor keys cross as JSON text instead.
#[derive(Clone, uniffi::Record)]
pub struct NativeChatRequest {
    /// The model name (an alias, a catalog id or a vendor name).
    pub model: String,
    /// The messages, in order.
    pub messages: Vec<NativeMessage>,
    /// The output cap (`max_tokens`).
    pub max_tokens: Option<u64>,
}

impl TryFrom<NativeChatRequest> for ChatRequest {
    type Error = NativeError;

    fn try_from(request: NativeChatRequest) -> Result<ChatRequest, NativeError> {
        let messages = request
            .messages
            .into_iter()
            .map(|message| {
                let mut object = Map::new();
                object.insert("role".into(), Value::String(message.role));
                if let Some(content) = message.content {
                    object.insert("content".into(), Value::String(content));
                }
                if let Some(name) = message.name {
                    object.insert("name".into(), Value::String(name));
                }
                Value::Object(object)
            })
            .collect();
        let mut body = Map::new();
        body.insert("model".into(), Value::String(request.model));
        body.insert("messages".into(), Value::Array(messages));
        if let Some(max_tokens) = request.max_tokens {
            body.insert("max_tokens".into(), Value::from(max_tokens));
        }
        Ok(ChatRequest::from_value(Value::Object(body))?)
    }
}

/// The record of one finished, aborted or denied call.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeCallRecord {
    /// A unique id for the call.
    pub id: String,
    /// When the call began, RFC 3339.
    pub ts: String,
    /// The scope the call was charged to.
    pub scope: String,
    /// The caller's tags.
    pub tags: HashMap<String, String>,
    /// `allowed` or `denied`.
    pub decision: String,
    /// The public error kind that denied the call.
    pub deny_reason: Option<String>,
    /// The model name as requested.
    pub request_model: String,
    /// The catalog id the name resolved to.
    pub response_model: Option<String>,
    /// Every input token, cached or not.
    pub input_tokens: u64,
    /// Every output token, reasoning included.
    pub output_tokens: u64,
    /// `false` when a token count is an estimate.
    pub tokens_exact: bool,
    /// `true` when the output cap stood in for vendor usage.
    pub usage_simulated: bool,
    /// The settled cost in USD, a decimal string.
    pub cost_usd: String,
    /// The reservation taken at `begin`, in USD, a decimal string.
    pub reserved_usd: String,
    /// Input tokens read from the vendor's cache.
    pub cached_read_tokens: u64,
    /// Input tokens written to the vendor's cache.
    pub cache_write_tokens: u64,
    /// Reasoning tokens, part of the output tokens.
    pub reasoning_tokens: u64,
    /// Energy in Wh.
    pub energy_wh: NativeEstimate,
    /// Carbon in gCO2e.
    pub co2e_g: NativeEstimate,
    /// Off-site water in mL.
    pub water_ml: NativeEstimate,
    /// `true` when the energy estimate assumed a model size.
    pub energy_parameters_assumed: bool,
    /// The grid zone of the energy estimate.
    pub energy_zone: Option<String>,
    /// The energy method version.
    pub energy_method: Option<String>,
    /// Values redacted from the request, counted by kind.
    pub redactions: HashMap<String, u64>,
    /// The names visited while resolving the model.
    pub resolution_chain: Vec<String>,
    /// Deprecation notices, substitutions and soft budget limits.
    pub warnings: Vec<String>,
    /// The denial's message.
    pub deny_message: Option<String>,
    /// The reason an allowed call ended without usage.
    pub abort_reason: Option<String>,
    /// The budget store failure during this call, when one happened.
    pub store_error: Option<String>,
    /// The record as one line of JSON, with OpenTelemetry GenAI key names.
    pub json: String,
}

impl From<CallRecord> for NativeCallRecord {
    fn from(record: CallRecord) -> NativeCallRecord {
        let json = record.to_json_line();
        let decision = match record.decision {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
        };
        NativeCallRecord {
            json,
            id: record.id,
            ts: record.ts,
            scope: record.scope,
            tags: record.tags.into_iter().collect(),
            decision: decision.to_string(),
            deny_reason: record.deny_reason,
            request_model: record.request_model,
            response_model: record.response_model,
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            tokens_exact: record.tokens_exact,
            usage_simulated: record.usage_simulated,
            cost_usd: record.cost_usd.to_string(),
            reserved_usd: record.reserved_usd.to_string(),
            cached_read_tokens: record.cached_read_tokens,
            cache_write_tokens: record.cache_write_tokens,
            reasoning_tokens: record.reasoning_tokens,
            energy_wh: record.energy_wh.into(),
            co2e_g: record.co2e_g.into(),
            water_ml: record.water_ml.into(),
            energy_parameters_assumed: record.energy_parameters_assumed,
            energy_zone: record.energy_zone,
            energy_method: record.energy_method,
            redactions: record.redactions.into_iter().collect(),
            resolution_chain: record.resolution_chain,
            warnings: record.warnings,
            deny_message: record.deny_message,
            abort_reason: record.abort_reason,
            store_error: record.store_error,
        }
    }
}
