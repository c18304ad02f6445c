//! The call record: one JSON object per call, and aggregation for reports.
//!
//! Keys follow the OpenTelemetry GenAI semantic conventions where one exists
//! (`gen_ai.request.model`, `gen_ai.usage.input_tokens`, ...) and carry an
//! `ingate.` prefix otherwise. Keys are only ever added, never renamed.
//! A record contains counts, ids and names, never prompt text or redacted values.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::energy::Estimate;

/// Whether a call was allowed to reach the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The call passed the policy.
    Allowed,
    /// The policy denied the call, and `deny_reason` names the kind.
    Denied,
}

/// The record of one finished, aborted or denied call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// A unique id for the call.
    pub id: String,
    /// When the call began (RFC 3339, UTC).
    pub ts: String,
    /// The scope path the call was charged to.
    pub scope: String,
    /// The caller's tags.
    pub tags: BTreeMap<String, String>,
    /// `allowed` or `denied`.
    pub decision: Decision,
    /// The public error kind that denied the call (`budget_exceeded`, `model_retired`, ...).
    pub deny_reason: Option<String>,
    /// The model name as requested.
    #[serde(rename = "gen_ai.request.model")]
    pub request_model: String,
    /// The catalog id the name resolved to.
    #[serde(rename = "gen_ai.response.model")]
    pub response_model: Option<String>,
    /// Every input token, cached or not.
    #[serde(rename = "gen_ai.usage.input_tokens")]
    pub input_tokens: u64,
    /// Every output token, reasoning included.
    #[serde(rename = "gen_ai.usage.output_tokens")]
    pub output_tokens: u64,
    /// `false` when a token count is an estimate.
    #[serde(rename = "ingate.tokens_exact")]
    pub tokens_exact: bool,
    /// `true` when no vendor usage settled the call and the output cap stood in for it.
    #[serde(rename = "ingate.usage_simulated")]
    pub usage_simulated: bool,
    /// The settled cost in USD, an exact decimal string.
    #[serde(rename = "ingate.cost_usd", with = "rust_decimal::serde::str")]
    pub cost_usd: Decimal,
    /// The reservation taken at `begin`, in USD.
    #[serde(rename = "ingate.reserved_usd", with = "rust_decimal::serde::str")]
    pub reserved_usd: Decimal,
    /// Input tokens read from the vendor's cache.
    #[serde(rename = "ingate.usage.cached_read_tokens")]
    pub cached_read_tokens: u64,
    /// Input tokens written to the vendor's cache.
    #[serde(rename = "ingate.usage.cache_write_tokens")]
    pub cache_write_tokens: u64,
    /// Reasoning tokens, part of the output tokens.
    #[serde(rename = "ingate.usage.reasoning_tokens")]
    pub reasoning_tokens: u64,
    /// Energy in Wh.
    #[serde(rename = "ingate.energy_wh")]
    pub energy_wh: Estimate,
    /// Carbon in gCO2e.
    #[serde(rename = "ingate.co2e_g")]
    pub co2e_g: Estimate,
    /// Water in mL (off-site, for generating the electricity).
    #[serde(rename = "ingate.water_ml")]
    pub water_ml: Estimate,
    /// `true` when the catalog had no parameter counts and the energy estimate assumed a size class.
    #[serde(rename = "ingate.energy_parameters_assumed")]
    pub energy_parameters_assumed: bool,
    /// The grid zone of the energy estimate.
    #[serde(rename = "ingate.energy_zone")]
    pub energy_zone: Option<String>,
    /// The energy method version.
    #[serde(rename = "ingate.energy_method")]
    pub energy_method: Option<String>,
    /// Values redacted from the request, counted by kind.
    #[serde(rename = "ingate.redactions")]
    pub redactions: BTreeMap<String, u64>,
    /// The names visited while resolving the model.
    #[serde(rename = "ingate.resolution_chain")]
    pub resolution_chain: Vec<String>,
    /// Deprecation notices, substitutions and soft budget limits.
    #[serde(rename = "ingate.warnings")]
    pub warnings: Vec<String>,
    /// The denial's message (names, limits and dates; never prompt text).
    #[serde(
        rename = "ingate.deny_message",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub deny_message: Option<String>,
    /// Why an allowed call ended without usage: `aborted`, `dropped`, or the caller's reason.
    #[serde(
        rename = "ingate.abort_reason",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub abort_reason: Option<String>,
    /// Why the budget store failed during this call, and what the policy did:
    /// the call was denied (`on_error = "deny"`) or went ahead without a
    /// reservation (`on_error = "allow"`).
    #[serde(
        rename = "ingate.store_error",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub store_error: Option<String>,
}

impl CallRecord {
    /// Creates an allowed record with no usage, cost, energy, redactions or warnings yet.
    pub fn new(
        id: String,
        ts: String,
        scope: String,
        tags: BTreeMap<String, String>,
        request_model: String,
    ) -> CallRecord {
        CallRecord {
            id,
            ts,
            scope,
            tags,
            decision: Decision::Allowed,
            deny_reason: None,
            request_model,
            response_model: None,
            input_tokens: 0,
            output_tokens: 0,
            tokens_exact: true,
            usage_simulated: false,
            cost_usd: Decimal::ZERO,
            reserved_usd: Decimal::ZERO,
            cached_read_tokens: 0,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
            energy_wh: Estimate::default(),
            co2e_g: Estimate::default(),
            water_ml: Estimate::default(),
            energy_parameters_assumed: false,
            energy_zone: None,
            energy_method: None,
            redactions: BTreeMap::new(),
            resolution_chain: Vec::new(),
            warnings: Vec::new(),
            deny_message: None,
            abort_reason: None,
            store_error: None,
        }
    }

    /// Serializes the record as one line of JSON (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Totals of one group of records.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Totals {
    /// Calls in the group, allowed and denied.
    pub calls: u64,
    /// Denied calls by public error kind.
    pub denied: BTreeMap<String, u64>,
    /// Input tokens of allowed calls.
    pub input_tokens: u64,
    /// Output tokens of allowed calls.
    pub output_tokens: u64,
    /// Calls whose tokens were estimated.
    pub inexact_calls: u64,
    /// Calls settled without vendor usage.
    pub simulated_calls: u64,
    /// Settled cost in USD.
    pub cost_usd: Decimal,
    /// Energy in Wh, summed per bound.
    pub energy_wh: Estimate,
    /// Carbon in gCO2e, summed per bound.
    pub co2e_g: Estimate,
}

impl Totals {
    /// Adds one record to the totals.
    pub fn add(&mut self, record: &CallRecord) {
        self.calls += 1;
        if record.decision == Decision::Denied {
            let reason = record
                .deny_reason
                .clone()
                .unwrap_or_else(|| "unknown".into());
            *self.denied.entry(reason).or_default() += 1;
            return;
        }
        self.input_tokens += record.input_tokens;
        self.output_tokens += record.output_tokens;
        self.inexact_calls += u64::from(!record.tokens_exact);
        self.simulated_calls += u64::from(record.usage_simulated);
        self.cost_usd += record.cost_usd;
        add_estimate(&mut self.energy_wh, &record.energy_wh);
        add_estimate(&mut self.co2e_g, &record.co2e_g);
    }

    /// Returns kgCO2e per 1,000 calls (allowed and denied calls alike), as `{low, value, high}`.
    pub fn kg_co2e_per_1000_calls(&self) -> Estimate {
        if self.calls == 0 {
            return Estimate::default();
        }
        // g per call x 1,000 calls / 1,000 g per kg: the per-call mean in grams.
        let per_call = |grams: f64| grams / self.calls as f64;
        Estimate {
            low: per_call(self.co2e_g.low),
            value: per_call(self.co2e_g.value),
            high: per_call(self.co2e_g.high),
        }
    }
}

fn add_estimate(sum: &mut Estimate, add: &Estimate) {
    sum.low += add.low;
    sum.value += add.value;
    sum.high += add.high;
}

/// Totals by scope and resolved model, plus a grand total.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Summary {
    /// Totals per (scope, model); denied calls that never resolved use the requested name.
    pub groups: BTreeMap<(String, String), Totals>,
    /// Totals over every record.
    pub total: Totals,
}

impl Summary {
    /// Adds one record.
    pub fn add(&mut self, record: &CallRecord) {
        let model = record
            .response_model
            .clone()
            .unwrap_or_else(|| record.request_model.clone());
        self.groups
            .entry((record.scope.clone(), model))
            .or_default()
            .add(record);
        self.total.add(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(decision: Decision, cost: &str, co2: f64) -> CallRecord {
        let mut record = CallRecord::new(
            "c1".into(),
            "2026-12-04T12:00:00Z".into(),
            "acme".into(),
            BTreeMap::new(),
            "fast".into(),
        );
        record.decision = decision;
        record.deny_reason = (decision == Decision::Denied).then(|| "budget_exceeded".into());
        record.response_model = Some("gpt-4o-mini".into());
        record.input_tokens = 10;
        record.output_tokens = 5;
        record.cost_usd = cost.parse().unwrap();
        record.co2e_g = Estimate {
            low: co2,
            value: co2,
            high: co2,
        };
        record
    }

    #[test]
    fn record_keys_are_stable() {
        let value = serde_json::to_value(record(Decision::Allowed, "0.1", 0.0)).unwrap();
        for key in [
            "id",
            "ts",
            "scope",
            "tags",
            "decision",
            "deny_reason",
            "gen_ai.request.model",
            "gen_ai.response.model",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "ingate.tokens_exact",
            "ingate.usage_simulated",
            "ingate.cost_usd",
            "ingate.energy_wh",
            "ingate.co2e_g",
            "ingate.redactions",
            "ingate.warnings",
        ] {
            assert!(value.get(key).is_some(), "missing key {key}");
        }
        assert_eq!(value["ingate.cost_usd"], "0.1");
        assert_eq!(value["decision"], "allowed");
    }

    #[test]
    fn summary_sums_cost_exactly_and_counts_denials() {
        let mut summary = Summary::default();
        for _ in 0..10 {
            summary.add(&record(Decision::Allowed, "0.1", 2.0));
        }
        summary.add(&record(Decision::Denied, "0", 0.0));
        assert_eq!(summary.total.cost_usd, Decimal::ONE);
        assert_eq!(summary.total.calls, 11);
        assert_eq!(summary.total.denied["budget_exceeded"], 1);
        let per_1000 = summary.total.kg_co2e_per_1000_calls();
        assert!((per_1000.value - 20.0 / 11.0).abs() < 1e-12);
    }
}
