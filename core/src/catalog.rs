//! Model records, the built-in catalog, LiteLLM imports, and name resolution.
//!
//! INTERFACE STUB: the types and signatures below are the contract the rest of
//! the crate is written against. The implementation replaces the bodies.

use std::collections::BTreeMap;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::tokens::Encoding;

/// A model catalog: records by id, and the aliases that point at them.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    models: BTreeMap<String, ModelRecord>,
}

/// Everything ingate knows about one model id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// The catalog id, for example `gpt-4o-2024-08-06` or `bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0`.
    pub id: String,
    /// The vendor: `openai`, `anthropic`, `google`, `mistral`, `bedrock` or `azure`.
    pub vendor: String,
    /// LiteLLM's `litellm_provider` value, kept for imports and reports.
    pub provider: String,
    /// Other names that resolve to this record.
    pub aliases: Vec<String>,
    /// The tokenizer encoding, when the vendor publishes one.
    pub encoding: Option<Encoding>,
    /// The context window in tokens (input plus output).
    pub context_window: u64,
    /// The maximum input tokens, when the vendor states it.
    pub max_input_tokens: Option<u64>,
    /// The maximum output tokens, when the vendor states it.
    pub max_output_tokens: Option<u64>,
    /// Prices in USD per token.
    pub prices: Prices,
    /// When the vendor announced the deprecation.
    pub deprecated: Option<DatedFact>,
    /// When the vendor shuts (or shut) the model down.
    pub shutdown: Option<DatedFact>,
    /// The vendor's recommended replacement, as a catalog id when it is one.
    pub successor: Option<String>,
    /// Parameter counts, for energy estimates.
    pub parameters: Option<Parameters>,
}

/// Prices in USD per token, exact decimals.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Prices {
    /// Input tokens that are neither cache reads nor cache writes.
    pub input: Decimal,
    /// Output tokens, reasoning included.
    pub output: Decimal,
    /// Input tokens read from the vendor's prompt cache.
    pub cached_read: Option<Decimal>,
    /// Input tokens written to the vendor's prompt cache.
    pub cache_write: Option<Decimal>,
    /// Higher prices that apply when the prompt exceeds a size.
    pub long_context: Option<LongContextPrices>,
}

/// A long-context price tier (for example Gemini above 200k input tokens).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LongContextPrices {
    /// The tier applies when the input exceeds this many tokens.
    pub above_input_tokens: u64,
    /// Input price in the tier.
    pub input: Decimal,
    /// Output price in the tier.
    pub output: Decimal,
    /// Cache read price in the tier.
    pub cached_read: Option<Decimal>,
    /// Cache write price in the tier.
    pub cache_write: Option<Decimal>,
}

/// A date with the source it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatedFact {
    /// The date.
    pub date: Date,
    /// Where the date came from (a vendor page or a data file).
    pub source: String,
}

/// Total and active parameter counts in billions; equal bounds when known exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// Total parameters, in billions.
    pub total_billions: ParamRange,
    /// Parameters active per token (equal to total for dense models), in billions.
    pub active_billions: ParamRange,
    /// Where the counts came from.
    pub source: String,
}

/// A closed range of parameter counts, in billions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParamRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// The result of resolving a model name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    /// The name as requested.
    pub requested: String,
    /// The catalog id it resolved to.
    pub model: String,
    /// Each name visited, from the requested name to the id.
    pub chain: Vec<String>,
    /// Deprecation and substitution notices for the record.
    pub warnings: Vec<String>,
}

/// What happens when a call uses a deprecated or retired model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeprecationAction {
    /// Allow the call and add a warning to the record (a shut-down model is still denied).
    #[default]
    Warn,
    /// Deny the call.
    Deny,
    /// Use the successor instead, and say so in the record.
    Substitute,
}

/// The `[models]` table of a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelsConfig {
    /// What happens inside the warning window and after shutdown.
    pub on_deprecated: DeprecationAction,
    /// How many days before a shutdown date a model counts as retiring.
    pub warning_days: u32,
    /// Policy aliases: name to model name (which may itself be an alias).
    pub aliases: BTreeMap<String, String>,
    /// Fallback chains: primary name to the ordered fallbacks.
    pub fallbacks: BTreeMap<String, Vec<String>>,
}

impl Default for ModelsConfig {
    fn default() -> ModelsConfig {
        ModelsConfig {
            on_deprecated: DeprecationAction::Warn,
            warning_days: 90,
            aliases: BTreeMap::new(),
            fallbacks: BTreeMap::new(),
        }
    }
}

/// A finding of the policy linter or the fallback validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// A sentence naming the alias, pin or chain, with the whole chain printed.
    pub message: String,
}

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The policy must be fixed.
    Error,
    /// The policy works today but will not after a date.
    Warning,
}

impl Catalog {
    /// Returns the built-in catalog, parsed once from the embedded data file.
    pub fn builtin() -> &'static Catalog {
        unimplemented!("catalog::Catalog::builtin")
    }

    /// Parses a LiteLLM `model_prices_and_context_window.json` text.
    ///
    /// Entries that fail the sanity checks are errors naming the entry.
    pub fn from_litellm_json(_json: &str) -> Result<Catalog> {
        Err(Error::invalid_policy("LiteLLM import is not built yet"))
    }

    /// Adds or replaces records from `other`, entry by entry.
    pub fn merge(&mut self, other: Catalog) {
        self.models.extend(other.models);
    }

    /// Returns the record with this exact id.
    pub fn get(&self, id: &str) -> Option<&ModelRecord> {
        self.models.get(id)
    }

    /// Iterates over all records in id order.
    pub fn models(&self) -> impl Iterator<Item = &ModelRecord> {
        self.models.values()
    }

    /// Resolves a name through the policy aliases, catalog aliases, ids and `vendor/model` forms.
    ///
    /// Does not apply deprecation rules; see [`Catalog::check_deprecation`].
    pub fn resolve(&self, name: &str, _aliases: &BTreeMap<String, String>) -> Result<Resolution> {
        Err(Error::UnknownModel {
            name: name.to_string(),
            suggestions: Vec::new(),
        })
    }

    /// Applies the deprecation rules of `config` to a resolution, as of `today`.
    ///
    /// Returns the (possibly substituted) resolution with warnings added, or
    /// [`Error::ModelRetired`] when the model is shut down or the action is `deny`.
    pub fn check_deprecation(
        &self,
        resolution: Resolution,
        _config: &ModelsConfig,
        _today: Date,
    ) -> Result<Resolution> {
        Ok(resolution)
    }

    /// Reports every alias, pin and fallback that is shut down by `at`.
    pub fn lint(&self, _config: &ModelsConfig, _at: Date) -> Vec<Diagnostic> {
        Vec::new()
    }

    /// Validates aliases and fallback chains as of `today`.
    pub fn validate(&self, _config: &ModelsConfig, _today: Date) -> Vec<Diagnostic> {
        Vec::new()
    }
}
