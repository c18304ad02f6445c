//! The policy file: parsing, positions in errors, defaults and cross-checks.
//!
//! A policy is TOML (JSON is accepted for files ending in `.json`). Every
//! table rejects unknown keys, and every error names the file, line and column
//! of the offending key together with the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::budget::BudgetConfig;
use crate::catalog::{DeprecationAction, ModelsConfig};
use crate::energy::EnergyConfig;
use crate::error::{Error, Result};
use crate::redact::RedactionConfig;

/// A whole policy file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// `[catalog]`: catalog imports.
    pub catalog: CatalogConfig,
    /// `[models]`: aliases, fallbacks and deprecation handling.
    pub models: ModelsConfig,
    /// `[scopes."acme/search"]`: settings that differ per scope.
    pub scopes: BTreeMap<String, ScopeConfig>,
    /// `[[budgets]]`: limits per scope.
    pub budgets: Vec<BudgetConfig>,
    /// `[store]`: where budget state lives.
    pub store: StoreConfig,
    /// `[redaction]`: detectors and operators.
    pub redaction: RedactionConfig,
    /// `[energy]`: region and data center efficiency.
    pub energy: EnergyConfig,
    /// `[defaults]`: values used when a call does not give them.
    pub defaults: DefaultsConfig,
}

/// The `[catalog]` table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// A LiteLLM-format `model_prices_and_context_window.json` whose entries
    /// are added to the built-in catalog or replace its entries of the same id.
    /// A relative path is relative to the policy file's folder.
    pub litellm: Option<PathBuf>,
}

/// Settings of one scope and, unless a deeper scope sets them again, of its descendants.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScopeConfig {
    /// Overrides `[models] on_deprecated` for calls in this scope.
    pub on_deprecated: Option<DeprecationAction>,
}

/// The `[store]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `memory:` (this process only), `sqlite:PATH` (every process on one
    /// host) or `redis://HOST:PORT/DB` (every host).
    pub url: String,
    /// Seconds after which a reservation that was neither settled nor released expires.
    pub lease_seconds: u64,
    /// The action when the store is unreachable: `deny` or `allow`.
    pub on_error: OnStoreError,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            url: "memory:".to_string(),
            lease_seconds: 600,
            on_error: OnStoreError::Deny,
        }
    }
}

/// The action taken on a call when the budget store is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnStoreError {
    /// Deny the call.
    #[default]
    Deny,
    /// Allow the call without a reservation, and mark that on the record.
    Allow,
}

/// The `[defaults]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefaultsConfig {
    /// The scope of a call that names none.
    pub scope: String,
    /// The output cap reserved for a request without `max_tokens` or
    /// `max_completion_tokens`, capped at the model's maximum output.
    pub max_output_tokens: u64,
}

impl Default for DefaultsConfig {
    fn default() -> DefaultsConfig {
        DefaultsConfig {
            scope: "default".to_string(),
            max_output_tokens: 4096,
        }
    }
}

impl PolicyConfig {
    /// Parses a policy from TOML text; `path` only labels errors.
    pub fn from_toml(text: &str, path: Option<&Path>) -> Result<PolicyConfig> {
        let config: PolicyConfig = toml::from_str(text).map_err(|error| {
            let (line, column) = match error.span() {
                Some(span) => line_and_column(text, span.start),
                None => (None, None),
            };
            Error::InvalidPolicy {
                path: path.map(|p| p.display().to_string()),
                line,
                column,
                message: error.message().trim_end().to_string(),
            }
        })?;
        config.check().map_err(|error| with_path(error, path))?;
        Ok(config)
    }

    /// Parses a policy from JSON text; `path` only labels errors.
    pub fn from_json(text: &str, path: Option<&Path>) -> Result<PolicyConfig> {
        let config: PolicyConfig =
            serde_json::from_str(text).map_err(|error| Error::InvalidPolicy {
                path: path.map(|p| p.display().to_string()),
                line: Some(error.line()),
                column: Some(error.column()),
                message: error.to_string(),
            })?;
        config.check().map_err(|error| with_path(error, path))?;
        Ok(config)
    }

    /// Reads a policy file: JSON when the name ends in `.json`, TOML otherwise.
    ///
    /// Relative paths inside the policy are made relative to the file's folder.
    pub fn from_file(path: &Path) -> Result<PolicyConfig> {
        let text = std::fs::read_to_string(path).map_err(|error| Error::InvalidPolicy {
            path: Some(path.display().to_string()),
            line: None,
            column: None,
            message: format!("cannot read the policy file: {error}"),
        })?;
        let is_json = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        let mut config = if is_json {
            PolicyConfig::from_json(&text, Some(path))?
        } else {
            PolicyConfig::from_toml(&text, Some(path))?
        };

        let folder = path.parent().unwrap_or(Path::new(""));
        if let Some(litellm) = &config.catalog.litellm
            && litellm.is_relative()
        {
            config.catalog.litellm = Some(folder.join(litellm));
        }
        if let Some(gitleaks) = &config.redaction.secrets.gitleaks
            && gitleaks.is_relative()
        {
            config.redaction.secrets.gitleaks = Some(folder.join(gitleaks));
        }
        Ok(config)
    }

    /// Checks what serde cannot: values in range, scopes well formed, no duplicate budgets.
    fn check(&self) -> Result<()> {
        let mut seen = BTreeMap::new();
        for (index, budget) in self.budgets.iter().enumerate() {
            budget.check().map_err(|message| {
                Error::invalid_policy(format!("[[budgets]] entry {}: {message}", index + 1))
            })?;
            if let Some(first) = seen.insert(budget.scope.as_str(), index) {
                return Err(Error::invalid_policy(format!(
                    "[[budgets]] entries {} and {} both set scope `{}`; merge them into one entry",
                    first + 1,
                    index + 1,
                    budget.scope
                )));
            }
        }
        for scope in self.scopes.keys() {
            check_scope(scope).map_err(|message| {
                Error::invalid_policy(format!("[scopes.\"{scope}\"]: {message}"))
            })?;
        }
        check_scope(&self.defaults.scope)
            .map_err(|message| Error::invalid_policy(format!("[defaults] scope: {message}")))?;
        let url = self.store.url.as_str();
        if !(url == "memory:"
            || url
                .strip_prefix("sqlite:")
                .is_some_and(|path| !path.is_empty())
            || url.starts_with("redis://"))
        {
            return Err(Error::invalid_policy(format!(
                "[store] url `{}` names no known store; use \"memory:\", \"sqlite:PATH\" or \"redis://HOST:PORT/DB\"",
                redact_url_credentials(url)
            )));
        }
        if self.store.lease_seconds == 0 {
            return Err(Error::invalid_policy(
                "[store] lease_seconds must be at least 1; the default is 600",
            ));
        }
        crate::energy::validate_pue(self.energy.pue)?;
        Ok(())
    }
}

/// Checks that a scope is a `/`-separated path of non-empty segments.
pub(crate) fn check_scope(scope: &str) -> std::result::Result<(), String> {
    if scope.is_empty() {
        return Err("a scope must not be empty; use a path such as `acme/search`".into());
    }
    if scope.split('/').any(|segment| segment.trim().is_empty()) {
        return Err(format!(
            "scope `{scope}` has an empty segment; use a path such as `acme/search` without leading, trailing or double slashes"
        ));
    }
    Ok(())
}

/// Deserializes money from a decimal string or an integer; floats are rejected
/// because a binary float cannot hold most decimal amounts exactly.
pub(crate) fn deserialize_money<'de, D>(
    deserializer: D,
) -> std::result::Result<Option<Decimal>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Money {
        Text(String),
        Integer(i64),
        Float(f64),
    }

    let Some(money) = Option::<Money>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let amount = match money {
        Money::Text(text) => text.trim().parse::<Decimal>().map_err(|_| {
            serde::de::Error::custom(format!(
                "invalid amount `{text}`; write money as a decimal string such as \"12.50\""
            ))
        })?,
        Money::Integer(whole) => Decimal::from(whole),
        Money::Float(float) => {
            return Err(serde::de::Error::custom(format!(
                "amount {float} is a float; write money as a decimal string such as \"{float}\" so it stays exact"
            )));
        }
    };
    if amount.is_sign_negative() {
        return Err(serde::de::Error::custom(format!(
            "amount {amount} is negative; a limit must be zero or more"
        )));
    }
    Ok(Some(amount))
}

fn with_path(error: Error, path: Option<&Path>) -> Error {
    match error {
        Error::InvalidPolicy {
            path: None,
            line,
            column,
            message,
        } => Error::InvalidPolicy {
            path: path.map(|p| p.display().to_string()),
            line,
            column,
            message,
        },
        other => other,
    }
}

/// Converts a byte offset into a 1-based line and column (in characters).
fn line_and_column(text: &str, offset: usize) -> (Option<usize>, Option<usize>) {
    let offset = offset.min(text.len());
    let Some(before) = text.get(..offset) else {
        return (None, None);
    };
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (Some(line), Some(column))
}

/// Removes the user and password of a URL before it appears in a message.
pub(crate) fn redact_url_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_has_defaults() {
        let config = PolicyConfig::from_toml("", None).unwrap();
        assert_eq!(config.store.url, "memory:");
        assert_eq!(config.defaults.scope, "default");
        assert_eq!(config.models.warning_days, 90);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let text = "[models]\nwarning_days = 30\n\n[budget]\nscope = \"acme\"\n";
        let error = PolicyConfig::from_toml(text, Some(Path::new("p.toml"))).unwrap_err();
        let Error::InvalidPolicy {
            path,
            line,
            column,
            message,
        } = &error
        else {
            panic!("expected InvalidPolicy, got {error:?}");
        };
        assert_eq!(path.as_deref(), Some("p.toml"));
        assert_eq!(*line, Some(4));
        assert_eq!(*column, Some(2));
        assert!(message.contains("unknown field `budget`"), "{message}");
        assert!(
            message.contains("budgets"),
            "the message lists valid keys: {message}"
        );
    }

    #[test]
    fn float_money_is_rejected() {
        let text = "[[budgets]]\nscope = \"acme\"\nusd_per_month = 10.5\n";
        let error = PolicyConfig::from_toml(text, None).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("decimal string"), "{message}");
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn string_and_integer_money_are_exact() {
        let text = "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"0.10\"\n[[budgets]]\nscope = \"acme/x\"\nusd_per_day = 3\n";
        let config = PolicyConfig::from_toml(text, None).unwrap();
        assert_eq!(config.budgets[0].usd_per_month, Some(Decimal::new(10, 2)));
        assert_eq!(config.budgets[1].usd_per_day, Some(Decimal::from(3)));
    }

    #[test]
    fn duplicate_budget_scope_is_rejected() {
        let text = "[[budgets]]\nscope = \"acme\"\nusd_per_day = 1\n[[budgets]]\nscope = \"acme\"\nusd_per_month = 9\n";
        let error = PolicyConfig::from_toml(text, None).unwrap_err();
        assert!(
            error.to_string().contains("both set scope `acme`"),
            "{error}"
        );
    }

    #[test]
    fn malformed_scope_is_rejected() {
        for scope in ["", "/acme", "acme/", "acme//search"] {
            let text = format!("[[budgets]]\nscope = \"{scope}\"\nusd_per_day = 1\n");
            let error = PolicyConfig::from_toml(&text, None).unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidPolicy, "{scope}");
        }
    }

    #[test]
    fn store_credentials_never_reach_messages() {
        let text = "[store]\nurl = \"rediss://user:hunter2@127.0.0.1:6379\"\n";
        let error = PolicyConfig::from_toml(text, None).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn json_policy_parses() {
        let text = r#"{"models": {"aliases": {"fast": "gpt-4o-mini"}}}"#;
        let config = PolicyConfig::from_json(text, None).unwrap();
        assert_eq!(config.models.aliases["fast"], "gpt-4o-mini");
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_and_column("ab\ncé=x", 6), (Some(2), Some(3)));
        assert_eq!(line_and_column("", 0), (Some(1), Some(1)));
    }
}
