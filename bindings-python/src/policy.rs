//! `Policy`: the loaded policy and its standalone helpers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ingate::{CallOptions, CallRecord, ChatRequest, Error, ManualClock, Policy, Usage};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyCFunction;

use crate::aio;
use crate::call::PyCall;
use crate::convert;
use crate::errors::to_py_err;
use crate::types::{
    PyBudgetStatus, PyDiagnostic, PyEnergy, PyRedaction, PyResolution, PyTokenCount,
};

/// A loaded policy: catalog, aliases, budgets, redaction and energy settings.
///
/// Immutable and safe to share between threads; copies made by
/// `with_fixed_time` share its budget state.
#[pyclass(name = "Policy", module = "ingate", frozen)]
pub struct PyPolicy {
    policy: Policy,
}

impl PyPolicy {
    fn wrap(py: Python<'_>, loaded: ingate::Result<Policy>) -> PyResult<PyPolicy> {
        loaded
            .map(|policy| PyPolicy { policy })
            .map_err(|error| to_py_err(py, error, None))
    }
}

/// Why `begin` returned no call: the error, and the denied call's record when the policy denied it.
type Refusal = (Error, Option<CallRecord>);

fn call_options(scope: Option<String>, tags: Option<BTreeMap<String, String>>) -> CallOptions {
    CallOptions {
        scope,
        tags: tags.unwrap_or_default(),
    }
}

/// Begins a call on a request already converted from Python, with the GIL released.
fn begin_call(
    py: Python<'_>,
    policy: &Policy,
    request: serde_json::Value,
    options: CallOptions,
) -> PyResult<PyCall> {
    let begun = py.detach(|| -> Result<ingate::Call, Box<Refusal>> {
        let request = ChatRequest::from_value(request).map_err(|error| Box::new((error, None)))?;
        policy
            .begin(request, options)
            .map_err(|denied| Box::new((denied.error, Some(*denied.record))))
    });
    match begun {
        Ok(call) => Ok(PyCall::new(call)),
        Err(refusal) => {
            let (error, record) = *refusal;
            Err(to_py_err(py, error, record))
        }
    }
}

/// Converts an error raised with the GIL released.
fn raise<T>(py: Python<'_>, result: ingate::Result<T>) -> PyResult<T> {
    result.map_err(|error| to_py_err(py, error, None))
}

#[pymethods]
impl PyPolicy {
    /// Loads a policy file (TOML, or JSON when the name ends in `.json`).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<PyPolicy> {
        let loaded = py.detach(|| Policy::from_file(&path));
        PyPolicy::wrap(py, loaded)
    }

    /// Parses a policy from TOML text.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<PyPolicy> {
        let loaded = py.detach(|| Policy::from_toml(text));
        PyPolicy::wrap(py, loaded)
    }

    /// Returns the built-in default policy: the built-in catalog, no budgets,
    /// redaction of emails, payment cards and secrets, the world-average grid.
    #[staticmethod]
    fn default(py: Python<'_>) -> PyPolicy {
        PyPolicy {
            policy: py.detach(Policy::default),
        }
    }

    /// Returns a copy of this policy whose clock stays at `now` (an aware
    /// datetime), for tests and replays; the copy shares the budget state.
    fn with_fixed_time(&self, now: &Bound<'_, PyAny>) -> PyResult<PyPolicy> {
        let now = convert::timestamp_from(now)?;
        Ok(PyPolicy {
            policy: self
                .policy
                .clone()
                .with_clock(Arc::new(ManualClock::new(now))),
        })
    }

    /// Counts the tokens of `text` for `model` (any name that resolves).
    fn count_tokens(&self, py: Python<'_>, model: &str, text: &str) -> PyResult<PyTokenCount> {
        let counted = py.detach(|| self.policy.count_tokens(model, text));
        raise(py, counted).map(PyTokenCount::from)
    }

    /// Counts an OpenAI chat request (a dict) the way its model's vendor bills the input.
    fn count_chat(&self, py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<PyTokenCount> {
        let value = convert::to_json(request, "request")?;
        let counted = py.detach(|| {
            let request = ChatRequest::from_value(value)?;
            self.policy.count_chat(&request)
        });
        raise(py, counted).map(PyTokenCount::from)
    }

    /// Resolves a model name with the policy's aliases, deprecation rules and fallbacks.
    fn resolve_model(&self, py: Python<'_>, name: &str) -> PyResult<PyResolution> {
        let resolved = py.detach(|| self.policy.resolve_model(name));
        raise(py, resolved).map(PyResolution::from)
    }

    /// Redacts a text with the policy's detectors; finding offsets index the given `str`.
    fn redact(&self, py: Python<'_>, text: &str) -> PyResult<PyRedaction> {
        let redacted = py.detach(|| self.policy.redact(text));
        PyRedaction::new(py, text, raise(py, redacted)?)
    }

    /// Estimates the energy, carbon and water of a call; `region` overrides the policy's.
    #[pyo3(signature = (model, input_tokens, output_tokens, region = None))]
    fn estimate_energy(
        &self,
        py: Python<'_>,
        model: &str,
        input_tokens: u64,
        output_tokens: u64,
        region: Option<&str>,
    ) -> PyResult<PyEnergy> {
        let estimated = py.detach(|| {
            self.policy
                .estimate_energy(model, input_tokens, output_tokens, region)
        });
        PyEnergy::new(py, raise(py, estimated)?)
    }

    /// Prices a vendor usage object (dict or SDK model) at the list prices of `model`.
    fn cost<'py>(
        &self,
        py: Python<'py>,
        model: &str,
        usage: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let usage = convert::to_json(usage, "usage")?;
        let priced = py.detach(|| {
            let resolution = self.policy.resolve_model(model)?;
            let record = self
                .policy
                .catalog()
                .get(&resolution.model)
                .ok_or_else(|| Error::UnknownModel {
                    name: model.to_string(),
                    suggestions: Vec::new(),
                })?;
            Usage::from_vendor_json(&usage)?.cost(&record.prices)
        });
        convert::decimal(py, raise(py, priced)?)
    }

    /// Returns the warnings and errors about aliases and fallbacks found when the policy loaded.
    fn diagnostics(&self) -> Vec<PyDiagnostic> {
        self.policy
            .diagnostics()
            .iter()
            .map(PyDiagnostic::from)
            .collect()
    }

    /// Returns the state of every budget limit: spend, reservations in flight and the next reset.
    fn budget_status(&self, py: Python<'_>) -> PyResult<Vec<PyBudgetStatus>> {
        let status = py.detach(|| self.policy.budget_status());
        Ok(raise(py, status)?
            .into_iter()
            .map(PyBudgetStatus::new)
            .collect())
    }

    /// Begins a call: resolves the model, redacts the messages, counts the
    /// input and reserves budget for the worst case.
    ///
    /// Raises the denial's exception, with the denied call's record as its
    /// `record` attribute.
    #[pyo3(signature = (request, *, scope = None, tags = None))]
    fn begin(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        scope: Option<String>,
        tags: Option<BTreeMap<String, String>>,
    ) -> PyResult<PyCall> {
        let request = convert::to_json(request, "request")?;
        begin_call(py, &self.policy, request, call_options(scope, tags))
    }

    /// Begins a call like `begin`, in a worker thread of the running event
    /// loop (`asyncio.to_thread`), and returns an awaitable of the `Call`.
    ///
    /// The request is read before this method returns, so the caller may
    /// change it while the call begins. The worker thread waits for the
    /// budget store (a SQLite transaction, a Redis round trip) instead of the
    /// event loop.
    #[pyo3(signature = (request, *, scope = None, tags = None))]
    fn begin_async<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        scope: Option<String>,
        tags: Option<BTreeMap<String, String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = convert::to_json(request, "request")?;
        let policy = self.policy.clone();
        let pending = Mutex::new(Some((request, call_options(scope, tags))));
        let work = PyCFunction::new_closure(py, Some(c"begin"), None, move |args, _kwargs| {
            let py = args.py();
            let converted = pending.lock().ok().and_then(|mut pending| pending.take());
            let Some((request, options)) = converted else {
                return Err(PyRuntimeError::new_err(
                    "ingate: this begin_async awaitable already ran",
                ));
            };
            begin_call(py, &policy, request, options)
        })?;
        aio::to_thread(py, work.as_any())
    }

    fn __repr__(&self) -> String {
        let config = self.policy.config();
        format!(
            "Policy(budgets={}, aliases={}, store={:?})",
            config.budgets.len(),
            config.models.aliases.len(),
            store_kind(&config.store.url)
        )
    }
}

/// Returns the store's scheme (`memory`, `sqlite`, `redis`), never its credentials.
fn store_kind(url: &str) -> &str {
    url.split(':').next().unwrap_or("memory")
}
