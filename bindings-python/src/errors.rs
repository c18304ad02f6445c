//! Maps the core's errors to the exception classes defined in `ingate.errors`.
//!
//! The classes are pure Python, so they carry typed attributes, docstrings
//! and pickling support; this module only fills in each kind's fields.

use ingate::{CallRecord, Error};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

use crate::convert;
use crate::types::PyCallRecord;

/// Converts a core error to its exception, with the denied call's record when there is one.
pub fn to_py_err(py: Python<'_>, error: Error, record: Option<CallRecord>) -> PyErr {
    match build(py, &error, record) {
        Ok(exception) => exception,
        Err(failure) => failure,
    }
}

/// Builds an `InvalidRequest` for input the binding rejects before it reaches the core.
pub fn invalid_request(py: Python<'_>, message: String) -> PyErr {
    to_py_err(py, Error::InvalidRequest { message }, None)
}

/// Converts a poisoned lock (a panic in an earlier call on the same object) to an exception.
pub fn poisoned(what: &str) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(format!(
        "the {what} is unusable after an internal panic in an earlier call; create a new one"
    ))
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("ingate.errors")?.unbind()))
        .map(|module| module.bind(py))
}

fn build(py: Python<'_>, error: &Error, record: Option<CallRecord>) -> PyResult<PyErr> {
    let fields = PyDict::new(py);
    let class_name = match error {
        Error::InvalidPolicy {
            path, line, column, ..
        } => {
            fields.set_item("path", path)?;
            fields.set_item("line", line)?;
            fields.set_item("column", column)?;
            "InvalidPolicy"
        }
        Error::InvalidCatalog { entry, .. } => {
            fields.set_item("entry", entry)?;
            "InvalidCatalog"
        }
        Error::UnknownModel { name, suggestions } => {
            fields.set_item("name", name)?;
            fields.set_item("suggestions", suggestions)?;
            "UnknownModel"
        }
        Error::ModelRetired {
            name,
            model,
            retired,
            shutdown,
            successor,
        } => {
            fields.set_item("name", name)?;
            fields.set_item("model", model)?;
            fields.set_item("retired", retired)?;
            let shutdown = match shutdown {
                Some(date) => Some(convert::date(py, *date)?),
                None => None,
            };
            fields.set_item("shutdown", shutdown)?;
            fields.set_item("successor", successor)?;
            "ModelRetired"
        }
        Error::ContextWindowExceeded {
            model,
            tokens,
            limit,
        } => {
            fields.set_item("model", model)?;
            fields.set_item("tokens", tokens)?;
            fields.set_item("limit", limit)?;
            "ContextWindowExceeded"
        }
        Error::BudgetExceeded {
            scope,
            unit,
            window,
            limit,
            spent,
            requested,
            resets_at,
        } => {
            fields.set_item("scope", scope)?;
            fields.set_item("unit", unit)?;
            fields.set_item("window", window)?;
            fields.set_item("limit", convert::decimal(py, *limit)?)?;
            fields.set_item("spent", convert::decimal(py, *spent)?)?;
            fields.set_item("requested", convert::decimal(py, *requested)?)?;
            fields.set_item("resets_at", convert::datetime(py, *resets_at)?)?;
            "BudgetExceeded"
        }
        Error::RedactionBlocked { detector, count } => {
            fields.set_item("detector", detector)?;
            fields.set_item("count", count)?;
            "RedactionBlocked"
        }
        Error::StoreUnavailable { store, .. } => {
            fields.set_item("store", store)?;
            "StoreUnavailable"
        }
        Error::InvalidRequest { .. } => "InvalidRequest",
        // A kind added to the core after this binding: the base class, with the kind's name.
        _ => "IngateError",
    };

    let class = errors_module(py)?.getattr(class_name)?;
    let exception = class.call((error.to_string(),), Some(&fields))?;
    if class_name == "IngateError" {
        exception.setattr("kind", error.kind().as_str())?;
    }
    if let Some(record) = record {
        exception.setattr("record", Py::new(py, PyCallRecord::new(record))?)?;
    }
    Ok(PyErr::from_value(exception))
}
