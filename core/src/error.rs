//! The public error kinds.
//!
//! Every fallible entry point of the crate returns [`Error`]. Bindings map
//! [`Error::kind`] to one exception class (Python), one `code` (Node) or one
//! exception subclass (Kotlin), so adding a variant means adding a kind.
//!
//! Messages name the value that failed and the fix. They never contain prompt
//! text, matched PII or secrets: only names, ids, counts and limits.

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// A result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors returned by ingate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The policy file or text is invalid.
    #[error("{}", invalid_policy_message(.path.as_deref(), *.line, *.column, .message))]
    InvalidPolicy {
        /// The policy file, when the policy came from a file.
        path: Option<String>,
        /// The 1-based line of the offending key or value, when known.
        line: Option<usize>,
        /// The 1-based column of the offending key or value, when known.
        column: Option<usize>,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// A model catalog (built-in or imported) has an invalid entry.
    #[error("invalid catalog entry `{entry}`: {message}")]
    InvalidCatalog {
        /// The entry's key in the catalog.
        entry: String,
        /// What is wrong and how to fix it.
        message: String,
    },

    /// No catalog entry or alias matches the requested model name.
    #[error("{}", unknown_model_message(.name, .suggestions))]
    UnknownModel {
        /// The requested name.
        name: String,
        /// The nearest known names, closest first.
        suggestions: Vec<String>,
    },

    /// The model was shut down by its vendor, or the policy denies it as deprecated.
    #[error("{}", retired_message(.name, .model, *.retired, .shutdown, .successor.as_deref()))]
    ModelRetired {
        /// The requested name.
        name: String,
        /// The catalog id the name resolved to.
        model: String,
        /// `true` when the shutdown date has passed; `false` when the policy
        /// denies a model that is deprecated or retires within the warning window.
        retired: bool,
        /// The vendor's shutdown date, when known.
        shutdown: Option<Date>,
        /// The vendor's recommended replacement, when known.
        successor: Option<String>,
    },

    /// The request's input tokens exceed the model's input limit.
    #[error(
        "request has {tokens} input tokens, over the {limit}-token input limit of `{model}`; \
         shorten the messages or choose a model with a larger context window"
    )]
    ContextWindowExceeded {
        /// The resolved model id.
        model: String,
        /// The counted input tokens (the limit plus one when counting stopped early).
        tokens: u64,
        /// The model's input limit.
        limit: u64,
    },

    /// A hard budget limit would be crossed by this call.
    #[error(
        "budget exceeded for scope `{scope}`: limit {limit} {unit} per {window}, \
         {spent} {unit} spent or reserved, this call needs {requested} {unit}; \
         the window resets at {resets_at}"
    )]
    BudgetExceeded {
        /// The scope whose limit would be crossed.
        scope: String,
        /// The unit of the limit: `usd`, `tokens` or `requests`.
        unit: &'static str,
        /// The window of the limit, for example `month` or `minute`.
        window: &'static str,
        /// The limit.
        limit: Decimal,
        /// The amount already spent or reserved in the window.
        spent: Decimal,
        /// The amount this call would reserve.
        requested: Decimal,
        /// When the window resets.
        resets_at: Timestamp,
    },

    /// A redaction detector with the `block` operator matched.
    #[error(
        "request blocked: detector `{detector}` matched {count} time(s); \
         remove the value from the request or change the detector's operator in [redaction]"
    )]
    RedactionBlocked {
        /// The detector that matched.
        detector: String,
        /// How many values it matched.
        count: usize,
    },

    /// The budget store could not be reached and the policy sets `on_error = "deny"`.
    #[error("budget store `{store}` is unavailable: {message}")]
    StoreUnavailable {
        /// The store URL without credentials.
        store: String,
        /// What failed.
        message: String,
    },

    /// The request or usage given to the library is malformed.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// The stable, public kind of an [`Error`], one per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::InvalidPolicy`].
    InvalidPolicy,
    /// See [`Error::InvalidCatalog`].
    InvalidCatalog,
    /// See [`Error::UnknownModel`].
    UnknownModel,
    /// See [`Error::ModelRetired`].
    ModelRetired,
    /// See [`Error::ContextWindowExceeded`].
    ContextWindowExceeded,
    /// See [`Error::BudgetExceeded`].
    BudgetExceeded,
    /// See [`Error::RedactionBlocked`].
    RedactionBlocked,
    /// See [`Error::StoreUnavailable`].
    StoreUnavailable,
    /// See [`Error::InvalidRequest`].
    InvalidRequest,
}

impl ErrorKind {
    /// Returns the kind's stable snake_case name, as used in call records and bindings.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidPolicy => "invalid_policy",
            ErrorKind::InvalidCatalog => "invalid_catalog",
            ErrorKind::UnknownModel => "unknown_model",
            ErrorKind::ModelRetired => "model_retired",
            ErrorKind::ContextWindowExceeded => "context_window_exceeded",
            ErrorKind::BudgetExceeded => "budget_exceeded",
            ErrorKind::RedactionBlocked => "redaction_blocked",
            ErrorKind::StoreUnavailable => "store_unavailable",
            ErrorKind::InvalidRequest => "invalid_request",
        }
    }
}

impl Error {
    /// Returns the public kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidPolicy { .. } => ErrorKind::InvalidPolicy,
            Error::InvalidCatalog { .. } => ErrorKind::InvalidCatalog,
            Error::UnknownModel { .. } => ErrorKind::UnknownModel,
            Error::ModelRetired { .. } => ErrorKind::ModelRetired,
            Error::ContextWindowExceeded { .. } => ErrorKind::ContextWindowExceeded,
            Error::BudgetExceeded { .. } => ErrorKind::BudgetExceeded,
            Error::RedactionBlocked { .. } => ErrorKind::RedactionBlocked,
            Error::StoreUnavailable { .. } => ErrorKind::StoreUnavailable,
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
        }
    }

    /// Builds an [`Error::InvalidRequest`].
    pub(crate) fn invalid_request(message: impl Into<String>) -> Error {
        Error::InvalidRequest {
            message: message.into(),
        }
    }

    /// Builds an [`Error::InvalidPolicy`] without a position.
    pub(crate) fn invalid_policy(message: impl Into<String>) -> Error {
        Error::InvalidPolicy {
            path: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

fn invalid_policy_message(
    path: Option<&str>,
    line: Option<usize>,
    column: Option<usize>,
    message: &str,
) -> String {
    let location = match (path, line, column) {
        (Some(path), Some(line), Some(column)) => format!("{path}:{line}:{column}: "),
        (Some(path), Some(line), None) => format!("{path}:{line}: "),
        (Some(path), None, _) => format!("{path}: "),
        (None, Some(line), Some(column)) => format!("line {line}, column {column}: "),
        (None, Some(line), None) => format!("line {line}: "),
        (None, None, _) => String::new(),
    };
    format!("invalid policy: {location}{message}")
}

fn unknown_model_message(name: &str, suggestions: &[String]) -> String {
    let mut message = format!("unknown model `{name}`");
    if !suggestions.is_empty() {
        let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        message.push_str("; did you mean ");
        message.push_str(&quoted.join(", "));
        message.push('?');
    } else {
        message.push('.');
    }
    message.push_str(
        " Run `ingate models` to list the catalog, or add an alias under [models.aliases].",
    );
    message
}

fn retired_message(
    name: &str,
    model: &str,
    retired: bool,
    shutdown: &Option<Date>,
    successor: Option<&str>,
) -> String {
    let target = if name == model {
        format!("model `{model}`")
    } else {
        format!("model `{name}` (resolved to `{model}`)")
    };
    let when = match (retired, shutdown) {
        (true, Some(date)) => format!("retired on {date}"),
        (true, None) => "retired".to_string(),
        (false, Some(date)) => {
            format!("is denied because it retires on {date} (on_deprecated = \"deny\")")
        }
        (false, None) => {
            "is denied because it is deprecated (on_deprecated = \"deny\")".to_string()
        }
    };
    match successor {
        Some(successor) => format!("{target} {when}, successor `{successor}`"),
        None => format!("{target} {when}, no successor announced"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_message_names_date_and_successor() {
        let error = Error::ModelRetired {
            name: "gpt-4-32k".into(),
            model: "gpt-4-32k".into(),
            retired: true,
            shutdown: Some(Date::constant(2025, 6, 6)),
            successor: Some("gpt-4o".into()),
        };
        assert_eq!(
            error.to_string(),
            "model `gpt-4-32k` retired on 2025-06-06, successor `gpt-4o`"
        );
        assert_eq!(error.kind(), ErrorKind::ModelRetired);
    }

    #[test]
    fn denied_retiring_model_says_retires() {
        let error = Error::ModelRetired {
            name: "fast".into(),
            model: "gpt-5".into(),
            retired: false,
            shutdown: Some(Date::constant(2026, 12, 11)),
            successor: Some("gpt-5.6-sol".into()),
        };
        assert_eq!(
            error.to_string(),
            "model `fast` (resolved to `gpt-5`) is denied because it retires on 2026-12-11 \
             (on_deprecated = \"deny\"), successor `gpt-5.6-sol`"
        );
    }

    #[test]
    fn unknown_model_lists_suggestions() {
        let error = Error::UnknownModel {
            name: "gtp-4o".into(),
            suggestions: vec!["gpt-4o".into(), "gpt-4".into()],
        };
        let message = error.to_string();
        assert!(message.starts_with("unknown model `gtp-4o`; did you mean `gpt-4o`, `gpt-4`?"));
    }

    #[test]
    fn invalid_policy_message_has_position() {
        let error = Error::InvalidPolicy {
            path: Some("policy.toml".into()),
            line: Some(3),
            column: Some(1),
            message: "unknown key `budget`".into(),
        };
        assert_eq!(
            error.to_string(),
            "invalid policy: policy.toml:3:1: unknown key `budget`"
        );
    }
}
