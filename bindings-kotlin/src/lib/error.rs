//! The one error type that crosses into Kotlin, built from the core's `Error`.

use ingate::Error;

use crate::records::NativeCallRecord;

/// An error from the core: its readable message, its kind with the kind's
/// fields, and for a denied `begin` the record of the denial.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum NativeError {
    /// The only variant; the Kotlin layer turns `detail` into one exception class per kind.
    #[error("{display}")]
    Failed {
        /// The core's message (its `Display` text), a readable sentence.
        display: String,
        /// The public kind and its fields.
        detail: ErrorDetail,
        /// The record of a call that `begin` denied.
        record: Option<NativeCallRecord>,
    },
}

/// The public kind of an error with the fields of that kind.
///
/// Money is a decimal string, dates are ISO 8601 (`2026-06-06`) and
/// timestamps RFC 3339, so the Kotlin layer parses them into `BigDecimal`,
/// `LocalDate` and `Instant` without loss.
#[derive(Debug, uniffi::Enum)]
pub enum ErrorDetail {
    /// The policy file or text is invalid.
    InvalidPolicy {
        /// The policy file, when the policy came from a file.
        path: Option<String>,
        /// The 1-based line, when known.
        line: Option<u64>,
        /// The 1-based column, when known.
        column: Option<u64>,
    },
    /// A model catalog entry is invalid.
    InvalidCatalog {
        /// The entry's key in the catalog.
        entry: String,
    },
    /// No catalog entry or alias matches the model name.
    UnknownModel {
        /// The requested name.
        name: String,
        /// The nearest known names, closest first.
        suggestions: Vec<String>,
    },
    /// The model was shut down, or the policy denies it as deprecated.
    ModelRetired {
        /// The requested name.
        name: String,
        /// The catalog id the name resolved to.
        model: String,
        /// `true` when the shutdown date has passed.
        retired: bool,
        /// The shutdown date, ISO 8601.
        shutdown: Option<String>,
        /// The vendor's recommended replacement.
        successor: Option<String>,
    },
    /// The request's input tokens exceed the model's input limit.
    ContextWindowExceeded {
        /// The resolved model id.
        model: String,
        /// The counted input tokens.
        tokens: u64,
        /// The model's input limit.
        limit: u64,
    },
    /// A hard budget limit would be crossed.
    BudgetExceeded {
        /// The scope whose limit would be crossed.
        scope: String,
        /// `usd`, `tokens` or `requests`.
        unit: String,
        /// The window, for example `day` or `minute`.
        window: String,
        /// The limit, a decimal string.
        limit: String,
        /// The amount spent or reserved in the window, a decimal string.
        spent: String,
        /// The amount this call would reserve, a decimal string.
        requested: String,
        /// When the window resets, RFC 3339.
        resets_at: String,
    },
    /// A detector with the `block` operator matched.
    RedactionBlocked {
        /// The detector that matched.
        detector: String,
        /// How many values it matched.
        count: u64,
    },
    /// The budget store could not be reached.
    StoreUnavailable {
        /// The store URL without credentials.
        store: String,
    },
    /// The request or usage is malformed.
    InvalidRequest,
    /// A kind the core added after this binding was written, by its stable name.
    Other {
        /// The kind's snake_case name.
        kind: String,
    },
}

impl NativeError {
    /// Returns an `InvalidRequest` error with `message`.
    pub(crate) fn invalid_request(message: impl Into<String>) -> NativeError {
        NativeError::from(Error::InvalidRequest {
            message: message.into(),
        })
    }

    /// Returns the error for a call whose lock was poisoned by a panic.
    pub(crate) fn poisoned(what: &str) -> NativeError {
        NativeError::invalid_request(format!(
            "the {what} is unusable because an earlier operation on it panicked; \
             begin a new call"
        ))
    }
}

impl From<Error> for NativeError {
    fn from(error: Error) -> NativeError {
        NativeError::Failed {
            display: error.to_string(),
            detail: detail(&error),
            record: None,
        }
    }
}

impl From<ingate::Denied> for NativeError {
    fn from(denied: ingate::Denied) -> NativeError {
        NativeError::Failed {
            display: denied.error.to_string(),
            detail: detail(&denied.error),
            record: Some(NativeCallRecord::from(*denied.record)),
        }
    }
}

fn to_u64(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

fn detail(error: &Error) -> ErrorDetail {
    match error {
        Error::InvalidPolicy {
            path, line, column, ..
        } => ErrorDetail::InvalidPolicy {
            path: path.clone(),
            line: line.map(to_u64),
            column: column.map(to_u64),
        },
        Error::InvalidCatalog { entry, .. } => ErrorDetail::InvalidCatalog {
            entry: entry.clone(),
        },
        Error::UnknownModel { name, suggestions } => ErrorDetail::UnknownModel {
            name: name.clone(),
            suggestions: suggestions.clone(),
        },
        Error::ModelRetired {
            name,
            model,
            retired,
            shutdown,
            successor,
        } => ErrorDetail::ModelRetired {
            name: name.clone(),
            model: model.clone(),
            retired: *retired,
            shutdown: shutdown.map(|date| date.to_string()),
            successor: successor.clone(),
        },
        Error::ContextWindowExceeded {
            model,
            tokens,
            limit,
        } => ErrorDetail::ContextWindowExceeded {
            model: model.clone(),
            tokens: *tokens,
            limit: *limit,
        },
        Error::BudgetExceeded {
            scope,
            unit,
            window,
            limit,
            spent,
            requested,
            resets_at,
        } => ErrorDetail::BudgetExceeded {
            scope: scope.clone(),
            unit: (*unit).to_string(),
            window: (*window).to_string(),
            limit: limit.to_string(),
            spent: spent.to_string(),
            requested: requested.to_string(),
            resets_at: resets_at.to_string(),
        },
        Error::RedactionBlocked { detector, count } => ErrorDetail::RedactionBlocked {
            detector: detector.clone(),
            count: to_u64(*count),
        },
        Error::StoreUnavailable { store, .. } => ErrorDetail::StoreUnavailable {
            store: store.clone(),
        },
        Error::InvalidRequest { .. } => ErrorDetail::InvalidRequest,
        other => ErrorDetail::Other {
            kind: other.kind().as_str().to_string(),
        },
    }
}
