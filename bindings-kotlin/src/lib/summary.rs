//! `NativeSummary`: the core's report aggregation (`ingate::record::Summary`).

use std::collections::HashMap;
use std::sync::Mutex;

use ingate::record::{CallRecord, Summary, Totals};

use crate::error::NativeError;
use crate::records::NativeEstimate;

/// Totals of one group of records.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeTotals {
    /// Calls, allowed and denied.
    pub calls: u64,
    /// Denied calls by public error kind.
    pub denied: HashMap<String, u64>,
    /// Input tokens of allowed calls.
    pub input_tokens: u64,
    /// Output tokens of allowed calls.
    pub output_tokens: u64,
    /// Calls whose tokens were estimated.
    pub inexact_calls: u64,
    /// Calls settled without vendor usage.
    pub simulated_calls: u64,
    /// Settled cost in USD, an exact decimal string.
    pub cost_usd: String,
    /// Energy in Wh, summed per bound.
    pub energy_wh: NativeEstimate,
    /// Carbon in gCO2e, summed per bound.
    pub co2e_g: NativeEstimate,
    /// kgCO2e per 1,000 calls.
    pub kg_co2e_per_1000_calls: NativeEstimate,
}

impl From<&Totals> for NativeTotals {
    fn from(totals: &Totals) -> NativeTotals {
        NativeTotals {
            calls: totals.calls,
            denied: totals
                .denied
                .iter()
                .map(|(kind, count)| (kind.clone(), *count))
                .collect(),
            input_tokens: totals.input_tokens,
            output_tokens: totals.output_tokens,
            inexact_calls: totals.inexact_calls,
            simulated_calls: totals.simulated_calls,
            cost_usd: totals.cost_usd.to_string(),
            energy_wh: totals.energy_wh.into(),
            co2e_g: totals.co2e_g.into(),
            kg_co2e_per_1000_calls: totals.kg_co2e_per_1000_calls().into(),
        }
    }
}

/// The totals of one (scope, model) group.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeGroup {
    /// The scope path.
    pub scope: String,
    /// The resolved model, or the requested name for a call denied before resolving.
    pub model: String,
    /// The group's totals.
    pub totals: NativeTotals,
}

/// Totals by scope and model plus a grand total, as `ingate report` and `ingate replay` print.
#[derive(uniffi::Object)]
pub struct NativeSummary {
    inner: Mutex<Summary>,
}

#[uniffi::export]
impl NativeSummary {
    /// Creates an empty summary.
    #[uniffi::constructor]
    pub fn new() -> std::sync::Arc<NativeSummary> {
        std::sync::Arc::new(NativeSummary {
            inner: Mutex::new(Summary::default()),
        })
    }

    /// Adds one call record, given as its JSON line.
    pub fn add(&self, record_json: String) -> Result<(), NativeError> {
        let record: CallRecord = serde_json::from_str(&record_json).map_err(|error| {
            NativeError::invalid_request(format!(
                "the call record is not a record's JSON line: {error}; pass `CallRecord.json`"
            ))
        })?;
        self.lock()?.add(&record);
        Ok(())
    }

    /// Returns the totals over every record added.
    pub fn total(&self) -> Result<NativeTotals, NativeError> {
        Ok(NativeTotals::from(&self.lock()?.total))
    }

    /// Returns the totals per (scope, model), sorted by scope then model.
    pub fn groups(&self) -> Result<Vec<NativeGroup>, NativeError> {
        let summary = self.lock()?;
        Ok(summary
            .groups
            .iter()
            .map(|((scope, model), totals)| NativeGroup {
                scope: scope.clone(),
                model: model.clone(),
                totals: totals.into(),
            })
            .collect())
    }
}

impl NativeSummary {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Summary>, NativeError> {
        self.inner
            .lock()
            .map_err(|_| NativeError::poisoned("summary"))
    }
}
