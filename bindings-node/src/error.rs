//! Core errors as JavaScript `Error` objects with a stable `code` and the kind's fields.

use ingate::{CallRecord, Error};
use napi::bindgen_prelude::{JsValue, Object};
use napi::{Env, Status};

use crate::convert;

/// Returns the stable `code` of an error kind: `INGATE_` and the kind in upper case.
pub(crate) fn code(error: &Error) -> String {
    format!("INGATE_{}", error.kind().as_str().to_ascii_uppercase())
}

/// Builds the JavaScript error for a core error; `record` is the record of a denied call.
///
/// When the environment cannot create an object (it is shutting down), the
/// result is a plain napi error with the same message and no fields.
pub(crate) fn to_js(env: &Env, error: &Error, record: Option<&CallRecord>) -> napi::Error {
    match build(env, error, record) {
        Ok(js_error) => js_error,
        Err(_) => napi::Error::new(Status::GenericFailure, error.to_string()),
    }
}

fn build(env: &Env, error: &Error, record: Option<&CallRecord>) -> napi::Result<napi::Error> {
    let mut object =
        env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set("code", code(error))?;
    object.set("kind", error.kind().as_str())?;
    set_fields(env, &mut object, error)?;
    if let Some(record) = record {
        object.set("record", convert::record(record))?;
    }
    Ok(napi::Error::from(object.to_unknown()))
}

/// Sets the kind's fields in camelCase; absent optional values are `null`.
fn set_fields(env: &Env, object: &mut Object, error: &Error) -> napi::Result<()> {
    match error {
        Error::InvalidPolicy {
            path, line, column, ..
        } => {
            object.set("path", path.clone())?;
            object.set("line", line.map(|line| line as f64))?;
            object.set("column", column.map(|column| column as f64))?;
        }
        Error::InvalidCatalog { entry, .. } => {
            object.set("entry", entry.as_str())?;
        }
        Error::UnknownModel { name, suggestions } => {
            object.set("name", name.as_str())?;
            object.set("suggestions", suggestions.clone())?;
        }
        Error::ModelRetired {
            name,
            model,
            retired,
            shutdown,
            successor,
        } => {
            object.set("name", name.as_str())?;
            object.set("model", model.as_str())?;
            object.set("retired", *retired)?;
            object.set("shutdown", shutdown.map(|date| date.to_string()))?;
            object.set("successor", successor.clone())?;
        }
        Error::ContextWindowExceeded {
            model,
            tokens,
            limit,
        } => {
            object.set("model", model.as_str())?;
            object.set("tokens", *tokens as f64)?;
            object.set("limit", *limit as f64)?;
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
            object.set("scope", scope.as_str())?;
            object.set("unit", *unit)?;
            object.set("window", *window)?;
            object.set("limit", limit.to_string())?;
            object.set("spent", spent.to_string())?;
            object.set("requested", requested.to_string())?;
            object.set(
                "resetsAt",
                env.create_date(resets_at.as_millisecond() as f64)?,
            )?;
        }
        Error::RedactionBlocked { detector, count } => {
            object.set("detector", detector.as_str())?;
            object.set("count", *count as f64)?;
        }
        Error::StoreUnavailable { store, .. } => {
            object.set("store", store.as_str())?;
        }
        Error::InvalidRequest { .. } => {}
        // A kind added to the core later still gets its code and message.
        _ => {}
    }
    Ok(())
}

/// Returns the error for a call whose lock was poisoned by a panic in another thread.
pub(crate) fn poisoned() -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        "the call's state is unusable after a panic in another thread; begin a new call",
    )
}

/// Returns an `INGATE_INVALID_REQUEST` error built without a core function.
pub(crate) fn invalid_request(env: &Env, message: impl Into<String>) -> napi::Error {
    to_js(
        env,
        &Error::InvalidRequest {
            message: message.into(),
        },
        None,
    )
}
