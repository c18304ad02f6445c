//! Read-only result objects: token counts, resolutions, redactions, energy
//! estimates, budget states and call records.
//!
//! Their `repr` shows counts, names and offsets, never prompt text or a redacted value.

use std::collections::BTreeMap;

use ingate::budget::LimitStatus;
use ingate::catalog::Diagnostic;
use ingate::energy::Estimate;
use ingate::record::Decision;
use ingate::{CallRecord, Energy, Finding, Redaction, Resolution, TokenCount};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;

/// The token count of a text or a chat request.
#[pyclass(name = "TokenCount", module = "ingate", frozen, get_all, eq)]
#[derive(PartialEq)]
pub struct PyTokenCount {
    /// The number of tokens.
    pub tokens: u64,
    /// `False` when the count is an estimate (a vendor without a public tokenizer).
    pub exact: bool,
    /// The encoding (`o200k_base`) or, for an estimate, the method's name.
    pub encoding: String,
}

impl From<TokenCount> for PyTokenCount {
    fn from(count: TokenCount) -> PyTokenCount {
        PyTokenCount {
            tokens: count.tokens,
            exact: count.exact,
            encoding: count.encoding,
        }
    }
}

#[pymethods]
impl PyTokenCount {
    fn __repr__(&self) -> String {
        format!(
            "TokenCount(tokens={}, exact={}, encoding={:?})",
            self.tokens,
            if self.exact { "True" } else { "False" },
            self.encoding
        )
    }
}

/// The resolution of a model name: the catalog id and the names that led to it.
#[pyclass(name = "Resolution", module = "ingate", frozen, get_all)]
pub struct PyResolution {
    /// The name as requested.
    pub requested: String,
    /// The catalog id the name resolved to.
    pub model: String,
    /// Every name visited, from the requested name to the catalog id.
    pub chain: Vec<String>,
    /// Deprecation notices, substitutions and fallbacks.
    pub warnings: Vec<String>,
}

impl From<Resolution> for PyResolution {
    fn from(resolution: Resolution) -> PyResolution {
        PyResolution {
            requested: resolution.requested,
            model: resolution.model,
            chain: resolution.chain,
            warnings: resolution.warnings,
        }
    }
}

#[pymethods]
impl PyResolution {
    fn __repr__(&self) -> String {
        format!(
            "Resolution(requested={:?}, model={:?}, chain={:?}, warnings={})",
            self.requested,
            self.model,
            self.chain,
            self.warnings.len()
        )
    }
}

/// One value found by redaction; `start` and `end` index the original `str`.
#[pyclass(name = "Finding", module = "ingate", frozen, get_all)]
pub struct PyFinding {
    /// The detector's kind: `email`, `credit_card`, `secret`, ...
    pub kind: String,
    /// For secrets, the vendor (`openai`, `aws`, ...).
    pub vendor: Option<String>,
    /// Code point offset of the value in the original text (a Python `str` index).
    pub start: usize,
    /// Code point offset just past the value.
    pub end: usize,
    /// The text that replaced the value.
    pub replacement: String,
}

#[pymethods]
impl PyFinding {
    fn __repr__(&self) -> String {
        format!(
            "Finding(kind={:?}, vendor={:?}, start={}, end={})",
            self.kind, self.vendor, self.start, self.end
        )
    }
}

/// A redacted text and the values found in it.
#[pyclass(name = "Redaction", module = "ingate", frozen, get_all)]
pub struct PyRedaction {
    /// The text with every finding replaced.
    pub text: String,
    /// The findings, in text order.
    pub findings: Vec<Py<PyFinding>>,
}

impl PyRedaction {
    /// Converts a core redaction of `original`, turning byte offsets into code point offsets.
    pub fn new(py: Python<'_>, original: &str, redaction: Redaction) -> PyResult<PyRedaction> {
        let mut offsets = CodePoints::new(original);
        let mut findings = Vec::with_capacity(redaction.findings.len());
        for Finding {
            kind,
            vendor,
            start,
            end,
            replacement,
        } in redaction.findings
        {
            let finding = PyFinding {
                kind,
                vendor,
                start: offsets.at(start),
                end: offsets.at(end),
                replacement,
            };
            findings.push(Py::new(py, finding)?);
        }
        Ok(PyRedaction {
            text: redaction.text,
            findings,
        })
    }
}

#[pymethods]
impl PyRedaction {
    fn __repr__(&self) -> String {
        format!(
            "Redaction(text=<{} chars>, findings={})",
            self.text.chars().count(),
            self.findings.len()
        )
    }
}

/// Converts increasing byte offsets to code point offsets in one pass over the text.
struct CodePoints<'t> {
    text: &'t str,
    byte: usize,
    code_points: usize,
}

impl<'t> CodePoints<'t> {
    fn new(text: &'t str) -> CodePoints<'t> {
        CodePoints {
            text,
            byte: 0,
            code_points: 0,
        }
    }

    fn at(&mut self, byte: usize) -> usize {
        let advances = byte >= self.byte && self.text.is_char_boundary(byte.min(self.text.len()));
        if !advances {
            return ingate::redact::code_point_offset(self.text, byte);
        }
        let byte = byte.min(self.text.len());
        self.code_points += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.code_points
    }
}

/// A figure with its uncertainty range.
#[pyclass(name = "Estimate", module = "ingate", frozen, get_all, eq)]
#[derive(PartialEq)]
pub struct PyEstimate {
    /// Lower bound.
    pub low: f64,
    /// Central value.
    pub value: f64,
    /// Upper bound.
    pub high: f64,
}

impl From<Estimate> for PyEstimate {
    fn from(estimate: Estimate) -> PyEstimate {
        PyEstimate {
            low: estimate.low,
            value: estimate.value,
            high: estimate.high,
        }
    }
}

#[pymethods]
impl PyEstimate {
    fn __repr__(&self) -> String {
        format!(
            "Estimate(low={}, value={}, high={})",
            self.low, self.value, self.high
        )
    }
}

/// The energy, carbon and water estimate of one call.
#[pyclass(name = "Energy", module = "ingate", frozen, get_all)]
pub struct PyEnergy {
    /// Energy at the facility meter (IT energy times PUE), in watt-hours.
    pub wh: Py<PyEstimate>,
    /// Location-based carbon of that energy, in grams of CO2 equivalent.
    pub co2e_g: Py<PyEstimate>,
    /// Off-site water used to generate the electricity, in millilitres.
    pub water_ml: Py<PyEstimate>,
    /// The grid zone: an ISO 3166 alpha-3 code, or `WOR` for the world average.
    pub zone: String,
    /// `True`: carbon uses the zone's average grid intensity.
    pub location_based: bool,
    /// `True` when the catalog had no parameter counts for the model.
    pub parameters_assumed: bool,
    /// The method version, for example `ingate-energy/1`.
    pub method: String,
}

impl PyEnergy {
    pub fn new(py: Python<'_>, energy: Energy) -> PyResult<PyEnergy> {
        Ok(PyEnergy {
            wh: Py::new(py, PyEstimate::from(energy.wh))?,
            co2e_g: Py::new(py, PyEstimate::from(energy.co2e_g))?,
            water_ml: Py::new(py, PyEstimate::from(energy.water_ml))?,
            zone: energy.zone,
            location_based: energy.location_based,
            parameters_assumed: energy.parameters_assumed,
            method: energy.method,
        })
    }
}

#[pymethods]
impl PyEnergy {
    fn __repr__(&self) -> String {
        format!(
            "Energy(wh={}, co2e_g={}, water_ml={}, zone={:?}, method={:?})",
            self.wh.get().__repr__(),
            self.co2e_g.get().__repr__(),
            self.water_ml.get().__repr__(),
            self.zone,
            self.method
        )
    }
}

/// A finding about the policy's aliases and fallbacks, from when it loaded.
#[pyclass(name = "Diagnostic", module = "ingate", frozen, get_all)]
pub struct PyDiagnostic {
    /// `error` (the alias or fallback cannot be used) or `warning` (it stops working after a date).
    pub severity: String,
    /// The kind of finding: `retired`, `retiring`, `smaller_context_window`, ...
    pub kind: String,
    /// A sentence naming the alias, pin or chain.
    pub message: String,
}

impl From<&Diagnostic> for PyDiagnostic {
    fn from(diagnostic: &Diagnostic) -> PyDiagnostic {
        // Both enums serialize to their snake_case names.
        let name = |value: serde_json::Result<serde_json::Value>| match value {
            Ok(serde_json::Value::String(name)) => name,
            _ => String::new(),
        };
        PyDiagnostic {
            severity: name(serde_json::to_value(diagnostic.severity)),
            kind: name(serde_json::to_value(diagnostic.kind)),
            message: diagnostic.message.clone(),
        }
    }
}

#[pymethods]
impl PyDiagnostic {
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic(severity={:?}, kind={:?}, message={:?})",
            self.severity, self.kind, self.message
        )
    }
}

/// The state of one budget limit.
#[pyclass(name = "BudgetStatus", module = "ingate", frozen)]
pub struct PyBudgetStatus {
    status: LimitStatus,
}

impl PyBudgetStatus {
    pub fn new(status: LimitStatus) -> PyBudgetStatus {
        PyBudgetStatus { status }
    }
}

#[pymethods]
impl PyBudgetStatus {
    /// The scope that sets the limit.
    #[getter]
    fn scope(&self) -> &str {
        &self.status.scope
    }

    /// The unit of the limit: `usd`, `tokens` or `requests`.
    #[getter]
    fn unit(&self) -> &'static str {
        self.status.unit.as_str()
    }

    /// The window of the limit: `minute`, `hour`, `day`, `week` or `month`.
    #[getter]
    fn window(&self) -> &'static str {
        self.status.window.as_str()
    }

    /// The limit.
    #[getter]
    fn limit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::decimal(py, self.status.limit)
    }

    /// Settled spend in the current window.
    #[getter]
    fn spent<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::decimal(py, self.status.spent)
    }

    /// Spend held by reservations in flight.
    #[getter]
    fn reserved<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::decimal(py, self.status.reserved)
    }

    /// Reservations in flight at the scope.
    #[getter]
    fn reservations(&self) -> u64 {
        self.status.reservations
    }

    /// When the window next frees spend.
    #[getter]
    fn resets_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::datetime(py, self.status.resets_at)
    }

    fn __repr__(&self) -> String {
        format!(
            "BudgetStatus(scope={:?}, unit={:?}, window={:?}, limit={}, spent={}, reserved={}, reservations={})",
            self.status.scope,
            self.status.unit.as_str(),
            self.status.window.as_str(),
            self.status.limit,
            self.status.spent,
            self.status.reserved,
            self.status.reservations
        )
    }
}

/// The record of one finished, aborted or denied call.
///
/// `to_dict()` and `to_json()` use the record's schema keys (`gen_ai.usage.input_tokens`, ...).
#[pyclass(name = "CallRecord", module = "ingate", frozen)]
pub struct PyCallRecord {
    record: CallRecord,
}

impl PyCallRecord {
    pub fn new(record: CallRecord) -> PyCallRecord {
        PyCallRecord { record }
    }
}

fn map_to_dict<'py, V: IntoPyObject<'py> + Clone>(
    py: Python<'py>,
    map: &BTreeMap<String, V>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, value.clone())?;
    }
    Ok(dict)
}

#[pymethods]
impl PyCallRecord {
    /// Parses a record from its JSON form (one line of a records file).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<PyCallRecord> {
        serde_json::from_str::<CallRecord>(text)
            .map(PyCallRecord::new)
            .map_err(|error| {
                crate::errors::invalid_request(py, format!("call record JSON is invalid: {error}"))
            })
    }

    /// A unique id for the call.
    #[getter]
    fn id(&self) -> &str {
        &self.record.id
    }

    /// When the call began.
    #[getter]
    fn ts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::datetime_from_str(py, &self.record.ts)
    }

    /// The scope the call was charged to.
    #[getter]
    fn scope(&self) -> &str {
        &self.record.scope
    }

    /// The caller's tags.
    #[getter]
    fn tags<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_dict(py, &self.record.tags)
    }

    /// `allowed` or `denied`.
    #[getter]
    fn decision(&self) -> &'static str {
        match self.record.decision {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
        }
    }

    /// The error kind that denied the call (`budget_exceeded`, ...), or `None`.
    #[getter]
    fn deny_reason(&self) -> Option<&str> {
        self.record.deny_reason.as_deref()
    }

    /// The denial's message, or `None`.
    #[getter]
    fn deny_message(&self) -> Option<&str> {
        self.record.deny_message.as_deref()
    }

    /// The model name as requested.
    #[getter]
    fn request_model(&self) -> &str {
        &self.record.request_model
    }

    /// The catalog id the name resolved to.
    #[getter]
    fn response_model(&self) -> Option<&str> {
        self.record.response_model.as_deref()
    }

    /// Every input token, cached or not.
    #[getter]
    fn input_tokens(&self) -> u64 {
        self.record.input_tokens
    }

    /// Every output token, reasoning included.
    #[getter]
    fn output_tokens(&self) -> u64 {
        self.record.output_tokens
    }

    /// Input tokens read from the vendor's prompt cache.
    #[getter]
    fn cached_read_tokens(&self) -> u64 {
        self.record.cached_read_tokens
    }

    /// Input tokens written to the vendor's prompt cache.
    #[getter]
    fn cache_write_tokens(&self) -> u64 {
        self.record.cache_write_tokens
    }

    /// Reasoning tokens, part of the output tokens.
    #[getter]
    fn reasoning_tokens(&self) -> u64 {
        self.record.reasoning_tokens
    }

    /// `False` when a token count is an estimate.
    #[getter]
    fn tokens_exact(&self) -> bool {
        self.record.tokens_exact
    }

    /// `True` when the output cap stood in for the vendor's usage.
    #[getter]
    fn usage_simulated(&self) -> bool {
        self.record.usage_simulated
    }

    /// The settled cost in USD.
    #[getter]
    fn cost_usd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::decimal(py, self.record.cost_usd)
    }

    /// The reservation taken at `begin`, in USD.
    #[getter]
    fn reserved_usd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        convert::decimal(py, self.record.reserved_usd)
    }

    /// Energy in Wh.
    #[getter]
    fn energy_wh(&self) -> PyEstimate {
        self.record.energy_wh.into()
    }

    /// Carbon in gCO2e.
    #[getter]
    fn co2e_g(&self) -> PyEstimate {
        self.record.co2e_g.into()
    }

    /// Off-site water in mL.
    #[getter]
    fn water_ml(&self) -> PyEstimate {
        self.record.water_ml.into()
    }

    /// `True` when the energy estimate assumed the model's size.
    #[getter]
    fn energy_parameters_assumed(&self) -> bool {
        self.record.energy_parameters_assumed
    }

    /// The grid zone of the energy estimate.
    #[getter]
    fn energy_zone(&self) -> Option<&str> {
        self.record.energy_zone.as_deref()
    }

    /// The energy method version.
    #[getter]
    fn energy_method(&self) -> Option<&str> {
        self.record.energy_method.as_deref()
    }

    /// Values redacted from the request, counted by kind.
    #[getter]
    fn redactions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_dict(py, &self.record.redactions)
    }

    /// The names visited while resolving the model.
    #[getter]
    fn resolution_chain(&self) -> Vec<String> {
        self.record.resolution_chain.clone()
    }

    /// Deprecation notices, substitutions and soft budget limits.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.record.warnings.clone()
    }

    /// Why an allowed call ended without usage, or `None`.
    #[getter]
    fn abort_reason(&self) -> Option<&str> {
        self.record.abort_reason.as_deref()
    }

    /// Why the budget store failed during this call and what the policy did, or `None`.
    #[getter]
    fn store_error(&self) -> Option<&str> {
        self.record.store_error.as_deref()
    }

    /// Returns the record as a dict with the schema's keys; money stays a decimal string.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::to_value(&self.record).map_err(|error| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "call record failed to serialize: {error}"
            ))
        })?;
        convert::from_json(py, &value)
    }

    /// Returns the record as one line of JSON.
    fn to_json(&self) -> String {
        self.record.to_json_line()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let from_json = slf.get_type().getattr("from_json")?;
        Ok((from_json, (slf.get().record.to_json_line(),)))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PyCallRecord>() {
            Ok(other) => self.record == other.get().record,
            Err(_) => false,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "CallRecord(id={:?}, scope={:?}, decision={:?}, model={:?}, input_tokens={}, output_tokens={}, cost_usd={})",
            self.record.id,
            self.record.scope,
            self.decision(),
            self.record
                .response_model
                .as_deref()
                .unwrap_or(&self.record.request_model),
            self.record.input_tokens,
            self.record.output_tokens,
            self.record.cost_usd
        )
    }
}
