//! The facade: [`Policy`], [`Call`] and the call lifecycle.
//!
//! ```text
//! policy.begin(request, options)  resolve, redact, count, reserve
//!     -> Call                     send call.request() to the vendor
//! call.restore(text)              put redacted values back into the vendor's reply
//! call.restore_json(arguments)    the same, JSON-escaped, for tool-call arguments
//! call.finish(usage)              settle the reservation, record cost, energy, carbon
//! call.abort(reason)              release the reservation (dropping the call does the same)
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::budget::{Amounts, Ledger};
use crate::catalog::{Catalog, Diagnostic, ModelRecord, ModelsConfig, Resolution};
use crate::clock::{Clock, SystemClock};
use crate::config::OnStoreError;
use crate::config::{PolicyConfig, check_scope};
use crate::energy::{self, Energy, Zone};
use crate::error::{Error, Result};
use crate::record::{CallRecord, Decision};
use crate::redact::{Redaction, Redactor, Vault};
use crate::request::{ChatRequest, Content, ContentPart};
use crate::tokens::{self, TokenCount};

pub use crate::usage::Usage;

/// A loaded policy: catalog, aliases, budgets, redaction and energy settings.
///
/// Cheap to clone and safe to share between threads; clones share budget state.
/// Reloading a policy file means building a new `Policy`.
#[derive(Clone)]
pub struct Policy {
    inner: Arc<PolicyInner>,
    clock: Arc<dyn Clock>,
}

struct PolicyInner {
    config: PolicyConfig,
    catalog: CatalogRef,
    diagnostics: Vec<Diagnostic>,
    redactor: Option<Redactor>,
    zone: Zone,
    ledger: Ledger,
}

/// The built-in catalog, or a copy extended by a policy's imports.
enum CatalogRef {
    Builtin(&'static Catalog),
    Owned(Box<Catalog>),
}

impl CatalogRef {
    fn get(&self) -> &Catalog {
        match self {
            CatalogRef::Builtin(catalog) => catalog,
            CatalogRef::Owned(catalog) => catalog,
        }
    }
}

/// Per-call options: where the call is charged and how it is labelled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// The scope path (`acme/search`); the policy's `[defaults] scope` when `None`.
    pub scope: Option<String>,
    /// Labels copied to the record.
    pub tags: BTreeMap<String, String>,
}

/// A call denied by the policy, with the record of the denial.
#[derive(Debug, Clone, PartialEq)]
pub struct Denied {
    /// The reason for the denial.
    pub error: Error,
    /// The record of the denied call.
    pub record: Box<CallRecord>,
}

impl fmt::Display for Denied {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(formatter)
    }
}

impl std::error::Error for Denied {}

impl From<Denied> for Error {
    fn from(denied: Denied) -> Error {
        denied.error
    }
}

impl Default for Policy {
    /// Returns the built-in default policy: the built-in catalog, no budgets,
    /// redaction of emails, payment cards and secrets, the world-average grid.
    fn default() -> Policy {
        // The default configuration is fixed and covered by tests, so building it cannot fail.
        Policy::from_config(PolicyConfig::default())
            .unwrap_or_else(|error| unreachable!("the default policy is invalid: {error}"))
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Policy")
            .field("budgets", &self.inner.config.budgets.len())
            .field("aliases", &self.inner.config.models.aliases.len())
            .field("zone", &self.inner.zone.code)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Loads a policy file (TOML, or JSON when the name ends in `.json`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy> {
        let path = path.as_ref();
        let config = PolicyConfig::from_file(path)?;
        Policy::from_config(config).map_err(|error| match error {
            Error::InvalidPolicy {
                path: None,
                line,
                column,
                message,
            } => Error::InvalidPolicy {
                path: Some(path.display().to_string()),
                line,
                column,
                message,
            },
            other => other,
        })
    }

    /// Parses a policy from TOML text.
    pub fn from_toml(text: &str) -> Result<Policy> {
        Policy::from_config(PolicyConfig::from_toml(text, None)?)
    }

    /// Builds a policy from a parsed configuration.
    ///
    /// Fails on fallback chains that name unknown models or loop; chains that
    /// reach a retired or retiring model only add diagnostics, so a policy
    /// that loaded yesterday still loads after a vendor's shutdown date.
    pub fn from_config(config: PolicyConfig) -> Result<Policy> {
        let catalog = match &config.catalog.litellm {
            None => CatalogRef::Builtin(Catalog::builtin()),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    Error::invalid_policy(format!(
                        "[catalog] litellm: cannot read `{}`: {error}",
                        path.display()
                    ))
                })?;
                let mut catalog = Catalog::builtin().clone();
                catalog.merge(Catalog::from_litellm_json(&text)?);
                CatalogRef::Owned(Box::new(catalog))
            }
        };

        let today = SystemClock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let diagnostics = catalog.get().validate(&config.models, today);
        if let Some(fatal) = diagnostics
            .iter()
            .find(|diagnostic| diagnostic.kind.is_structural())
        {
            return Err(Error::invalid_policy(format!(
                "[models]: {}; run `ingate lint` on the policy for every finding",
                fatal.message
            )));
        }

        let redactor = if config.redaction.enabled {
            Some(Redactor::new(&config.redaction)?)
        } else {
            None
        };
        let zone = config.energy.zone()?;
        let ledger = Ledger::from_config(&config)?;

        Ok(Policy {
            inner: Arc::new(PolicyInner {
                config,
                catalog,
                diagnostics,
                redactor,
                zone,
                ledger,
            }),
            clock: Arc::new(SystemClock),
        })
    }

    /// Returns this policy reading time from `clock` (for tests and replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Policy {
        self.clock = clock;
        self
    }

    /// Returns the parsed configuration.
    pub fn config(&self) -> &PolicyConfig {
        &self.inner.config
    }

    /// Returns the catalog this policy resolves against.
    pub fn catalog(&self) -> &Catalog {
        self.inner.catalog.get()
    }

    /// Returns the warnings and errors found when the policy loaded.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.inner.diagnostics
    }

    fn today(&self) -> Date {
        self.clock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
    }

    /// Counts the tokens of `text` for `model` (any name that resolves).
    pub fn count_tokens(&self, model: &str, text: &str) -> Result<TokenCount> {
        let record = self.model_record(model)?;
        Ok(tokens::count_text(record, text))
    }

    /// Counts a whole chat request the way its model's vendor bills the input.
    pub fn count_chat(&self, request: &ChatRequest) -> Result<TokenCount> {
        let record = self.model_record(&request.model)?;
        tokens::count_chat(record, request)
    }

    /// Resolves a model name with the policy's aliases and deprecation rules
    /// for the default scope.
    pub fn resolve_model(&self, name: &str) -> Result<Resolution> {
        let scope = self.inner.config.defaults.scope.clone();
        self.resolve_for_scope(name, &scope)
    }

    /// Redacts a text with the policy's detectors (a new vault each time).
    pub fn redact(&self, text: &str) -> Result<Redaction> {
        let mut vault = Vault::default();
        match &self.inner.redactor {
            Some(redactor) => redactor.redact(text, &mut vault),
            None => Ok(Redaction {
                text: text.to_string(),
                findings: Vec::new(),
            }),
        }
    }

    /// Returns the state of every budget limit: spend, reservations in flight and the next reset.
    pub fn budget_status(&self) -> Result<Vec<crate::budget::LimitStatus>> {
        self.inner.ledger.status(self.clock.now())
    }

    /// Estimates the energy, carbon and water of a call; `region` overrides the policy's.
    pub fn estimate_energy(
        &self,
        model: &str,
        input_tokens: u64,
        output_tokens: u64,
        region: Option<&str>,
    ) -> Result<Energy> {
        let record = self.model_record(model)?;
        let zone = match region {
            Some(region) => energy::zone(Some(region))?,
            None => self.inner.zone.clone(),
        };
        Ok(energy::estimate(
            record,
            input_tokens,
            output_tokens,
            &zone,
            self.inner.config.energy.pue,
        ))
    }

    /// Resolves a name without deprecation rules, for counting and estimates.
    ///
    /// A model that is only known as retired (it has no record to count or
    /// price with) gets the deprecation rules' result: its successor under
    /// `substitute`, else [`Error::ModelRetired`] with the date and successor.
    fn model_record(&self, name: &str) -> Result<&ModelRecord> {
        let models = &self.inner.config.models;
        let mut resolution = self.catalog().resolve(name, &models.aliases)?;
        if self.catalog().get(&resolution.model).is_none() {
            resolution = self
                .catalog()
                .check_deprecation(resolution, models, self.today())?;
        }
        self.catalog()
            .get(&resolution.model)
            .ok_or_else(|| Error::UnknownModel {
                name: name.to_string(),
                suggestions: Vec::new(),
            })
    }

    fn resolve_for_scope(&self, name: &str, scope: &str) -> Result<Resolution> {
        let models = self.models_config_for(scope);
        let catalog = self.catalog();
        let today = self.today();
        let primary = catalog
            .resolve(name, &models.aliases)
            .and_then(|resolution| catalog.check_deprecation(resolution, &models, today));

        let Err(primary_error) = primary else {
            return primary;
        };
        let Some(fallbacks) = models.fallbacks.get(name) else {
            return Err(primary_error);
        };
        for fallback in fallbacks {
            let attempt = catalog
                .resolve(fallback, &models.aliases)
                .and_then(|resolution| catalog.check_deprecation(resolution, &models, today));
            if let Ok(mut resolution) = attempt {
                tracing::debug!(requested = name, fallback = %fallback, reason = primary_error.kind().as_str(), "used a fallback model");
                resolution.warnings.insert(
                    0,
                    format!(
                        "`{name}` is unavailable ({}); used fallback `{fallback}`",
                        primary_error.kind().as_str()
                    ),
                );
                resolution.requested = name.to_string();
                resolution.chain.insert(0, name.to_string());
                return Ok(resolution);
            }
        }
        Err(primary_error)
    }

    /// Returns `[models]` with the deprecation action of the deepest `[scopes]` entry that covers `scope`.
    fn models_config_for(&self, scope: &str) -> std::borrow::Cow<'_, ModelsConfig> {
        let config = &self.inner.config;
        let deepest = config
            .scopes
            .iter()
            .filter(|(prefix, settings)| {
                settings.on_deprecated.is_some()
                    && crate::budget::is_same_or_ancestor(prefix, scope)
            })
            .max_by_key(|(prefix, _)| prefix.len());
        match deepest.and_then(|(_, settings)| settings.on_deprecated) {
            Some(action) if action != config.models.on_deprecated => {
                let mut models = config.models.clone();
                models.on_deprecated = action;
                std::borrow::Cow::Owned(models)
            }
            _ => std::borrow::Cow::Borrowed(&config.models),
        }
    }

    /// Begins a call: resolves the model, redacts the messages, counts the
    /// input and reserves budget for the worst case at every scope that applies.
    ///
    /// On denial the error comes with the record of the denied call.
    // `Call`, the Ok variant, is several times larger than `Denied`, so boxing the
    // error would not make this Result smaller.
    #[allow(clippy::result_large_err)]
    pub fn begin(&self, request: ChatRequest, options: CallOptions) -> Result<Call, Denied> {
        let started = self.clock.now();
        let scope = options
            .scope
            .clone()
            .unwrap_or_else(|| self.inner.config.defaults.scope.clone());
        let mut draft = Draft {
            id: new_call_id(started),
            started,
            scope,
            tags: options.tags,
            requested_model: request.model.clone(),
            resolution: None,
            input: None,
            warnings: Vec::new(),
            redactions: BTreeMap::new(),
        };
        match self.prepare(request, &mut draft) {
            Ok(call) => Ok(call),
            Err(error) => {
                tracing::debug!(call = %draft.id, reason = error.kind().as_str(), "denied a call");
                let record = draft.denied_record(&error);
                Err(Denied {
                    error,
                    record: Box::new(record),
                })
            }
        }
    }

    fn prepare(&self, mut request: ChatRequest, draft: &mut Draft) -> Result<Call> {
        check_scope(&draft.scope).map_err(Error::invalid_request)?;
        check_request(&request)?;

        let resolution = self.resolve_for_scope(&request.model, &draft.scope)?;
        draft.warnings.extend(resolution.warnings.iter().cloned());
        draft.resolution = Some(resolution.clone());
        let model = self
            .catalog()
            .get(&resolution.model)
            .ok_or_else(|| Error::UnknownModel {
                name: resolution.model.clone(),
                suggestions: Vec::new(),
            })?
            .clone();

        let mut vault = Vault::default();
        if let Some(redactor) = &self.inner.redactor {
            redactor.redact_chat(&mut request, &mut vault)?;
            draft.redactions = vault.counts();
        }

        let input_limit = model.max_input_tokens.unwrap_or(model.context_window);
        reject_oversized_texts(&model, &request, input_limit)?;
        let input = tokens::count_chat(&model, &request)?;
        draft.input = Some(input.clone());
        if input_limit > 0 && input.tokens > input_limit {
            return Err(Error::ContextWindowExceeded {
                model: model.id.clone(),
                tokens: input.tokens,
                limit: input_limit,
            });
        }

        let output_cap = request
            .output_cap()
            .unwrap_or(self.inner.config.defaults.max_output_tokens);
        let output_cap = match model.max_output_tokens {
            Some(max) if max > 0 => output_cap.min(max),
            _ => output_cap,
        };
        let worst_case = Usage {
            input_tokens: input.tokens,
            output_tokens: output_cap,
            ..Usage::default()
        };
        let reserved_usd = worst_case.cost(&model.prices)?;
        let reserved = self.inner.ledger.reserve(
            &draft.scope,
            Amounts {
                usd: reserved_usd,
                tokens: input.tokens + output_cap,
                requests: 1,
            },
            draft.started,
        );
        let mut store_error = None;
        let reservation = match reserved {
            Ok(reserved) => {
                draft.warnings.extend(reserved.warnings);
                reserved.id
            }
            Err(error @ Error::StoreUnavailable { .. }) => match self.inner.config.store.on_error {
                OnStoreError::Deny => return Err(error),
                OnStoreError::Allow => {
                    tracing::debug!(call = %draft.id, "budget store failed; on_error allows the call without a reservation");
                    store_error = Some(format!("{error}; allowed by on_error = \"allow\""));
                    0
                }
            },
            Err(error) => return Err(error),
        };

        request.model = api_model_name(&model);
        Ok(Call {
            policy: self.clone(),
            id: draft.id.clone(),
            started: draft.started,
            scope: draft.scope.clone(),
            tags: std::mem::take(&mut draft.tags),
            request,
            resolution,
            model,
            input,
            output_cap,
            reserved_usd,
            reservation: Some(reservation),
            store_error,
            warnings: std::mem::take(&mut draft.warnings),
            redactions: std::mem::take(&mut draft.redactions),
            vault,
        })
    }
}

/// The message roles OpenAI's chat completions API accepts.
const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// Rejects what the vendor would reject anyway: a missing model, no messages, an unknown role.
fn check_request(request: &ChatRequest) -> Result<()> {
    if request.model.trim().is_empty() {
        return Err(Error::invalid_request(
            "missing `model`; set it to a catalog id or a policy alias",
        ));
    }
    if request.messages.is_empty() {
        return Err(Error::invalid_request(
            "`messages` is empty; a chat request needs at least one message",
        ));
    }
    for (index, message) in request.messages.iter().enumerate() {
        if !ROLES.contains(&message.role.as_str()) {
            return Err(Error::invalid_request(format!(
                "message {} has role `{}`; expected one of {}",
                index + 1,
                message.role.chars().take(24).collect::<String>(),
                ROLES.join(", ")
            )));
        }
    }
    Ok(())
}

/// Rejects a request whose texts alone exceed the model's input limit, in time
/// proportional to the limit rather than to the text.
///
/// Only runs when the texts' byte length could exceed the limit: no token is
/// shorter than one byte, so fewer bytes than `limit` can never exceed it.
fn reject_oversized_texts(model: &ModelRecord, request: &ChatRequest, limit: u64) -> Result<()> {
    let Ok(limit) = usize::try_from(limit) else {
        return Ok(());
    };
    if limit == 0 {
        return Ok(());
    }
    let mut remaining = limit;
    for message in &request.messages {
        let texts: Vec<&str> = match &message.content {
            Some(Content::Text(text)) => vec![text.as_str()],
            Some(Content::Parts(parts)) => parts
                .iter()
                .filter_map(|part| match part {
                    ContentPart::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        for text in texts {
            if text.len() <= remaining {
                remaining -= text.len().min(remaining);
                continue;
            }
            match tokens::count_until(model, text, remaining) {
                Some(used) => remaining -= used.min(remaining),
                None => {
                    return Err(Error::ContextWindowExceeded {
                        model: model.id.clone(),
                        tokens: limit as u64 + 1,
                        limit: limit as u64,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Returns the name the vendor's API expects: the catalog id without a LiteLLM provider prefix.
fn api_model_name(model: &ModelRecord) -> String {
    match model.id.split_once('/') {
        Some((prefix, rest)) if prefix == model.provider || is_provider_prefix(prefix) => {
            rest.to_string()
        }
        _ => model.id.clone(),
    }
}

fn is_provider_prefix(prefix: &str) -> bool {
    matches!(
        prefix,
        "openai"
            | "anthropic"
            | "gemini"
            | "vertex_ai"
            | "mistral"
            | "bedrock"
            | "azure"
            | "bedrock_converse"
    )
}

fn new_call_id(now: Timestamp) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let sequence = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "call_{:012x}{:04x}{:06x}",
        now.as_millisecond(),
        std::process::id() & 0xffff,
        sequence & 0xff_ffff
    )
}

/// The facts `begin` collected before it allowed or denied a call.
struct Draft {
    id: String,
    started: Timestamp,
    scope: String,
    tags: BTreeMap<String, String>,
    requested_model: String,
    resolution: Option<Resolution>,
    input: Option<TokenCount>,
    warnings: Vec<String>,
    redactions: BTreeMap<String, u64>,
}

impl Draft {
    fn denied_record(&mut self, error: &Error) -> CallRecord {
        let mut record = CallRecord::new(
            self.id.clone(),
            self.started.to_string(),
            self.scope.clone(),
            std::mem::take(&mut self.tags),
            self.requested_model.clone(),
        );
        record.decision = Decision::Denied;
        record.deny_reason = Some(error.kind().as_str().to_string());
        record.deny_message = Some(error.to_string());
        if let Error::StoreUnavailable { .. } = error {
            record.store_error = Some(format!("{error}; denied by on_error = \"deny\""));
        }
        if let Some(resolution) = &self.resolution {
            record.response_model = Some(resolution.model.clone());
            record.resolution_chain = resolution.chain.clone();
        }
        if let Some(input) = &self.input {
            record.input_tokens = input.tokens;
            record.tokens_exact = input.exact;
        }
        record.redactions = std::mem::take(&mut self.redactions);
        record.warnings = std::mem::take(&mut self.warnings);
        record
    }
}

/// One call in flight: the request to send, its reservation and its vault.
///
/// Finish it with [`Call::finish`] or [`Call::abort`]; dropping it releases the reservation.
pub struct Call {
    policy: Policy,
    id: String,
    started: Timestamp,
    scope: String,
    tags: BTreeMap<String, String>,
    request: ChatRequest,
    resolution: Resolution,
    model: ModelRecord,
    input: TokenCount,
    output_cap: u64,
    reserved_usd: Decimal,
    reservation: Option<u64>,
    store_error: Option<String>,
    warnings: Vec<String>,
    redactions: BTreeMap<String, u64>,
    vault: Vault,
}

impl fmt::Debug for Call {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The request and the vault hold prompt text and redacted values; only counts appear here.
        formatter
            .debug_struct("Call")
            .field("id", &self.id)
            .field("scope", &self.scope)
            .field("model", &self.model.id)
            .field("input_tokens", &self.input.tokens)
            .field("reserved_usd", &self.reserved_usd)
            .field("open", &self.reservation.is_some())
            .finish_non_exhaustive()
    }
}

impl Call {
    /// Returns the call id, also the record's `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the scope the call is charged to.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Returns the request to send: the model resolved to the vendor's name, the messages redacted.
    pub fn request(&self) -> &ChatRequest {
        &self.request
    }

    /// Returns how the model name was resolved.
    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// Returns the catalog record of the resolved model.
    pub fn model(&self) -> &ModelRecord {
        &self.model
    }

    /// Returns the input token count of the redacted request.
    pub fn input_tokens(&self) -> &TokenCount {
        &self.input
    }

    /// Returns the output cap that was reserved for.
    pub fn output_cap(&self) -> u64 {
        self.output_cap
    }

    /// Returns the USD reserved for the worst case.
    pub fn reserved_usd(&self) -> Decimal {
        self.reserved_usd
    }

    /// Returns the warnings collected so far (deprecations, fallbacks, soft limits).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Replaces the placeholders this call issued with the original values.
    pub fn restore(&self, text: &str) -> String {
        self.vault.restore(text)
    }

    /// Replaces the placeholders this call issued with the original values
    /// escaped as JSON string content, for JSON text such as tool-call arguments.
    ///
    /// `{"to": "<EMAIL_1>"}` stays valid JSON and decodes to the original even
    /// when the original contains `"`, `\` or a control character.
    /// [`Vault::restore_json`] states the exact rules.
    pub fn restore_json(&self, text: &str) -> String {
        self.vault.restore_json(text)
    }

    /// Returns a restorer for a streamed reply: it holds back a placeholder
    /// split across chunks until the next chunk completes it.
    pub fn stream_restorer(&self) -> crate::redact::StreamRestorer<'_> {
        self.vault.stream_restorer()
    }

    /// Returns a restorer for streamed JSON text, such as tool-call argument
    /// fragments. It restores as [`Call::restore_json`] does and holds back a
    /// split placeholder as [`Call::stream_restorer`] does.
    pub fn json_stream_restorer(&self) -> crate::redact::StreamRestorer<'_> {
        self.vault.json_stream_restorer()
    }

    /// Returns a stream restorer that owns a copy of this call's vault.
    ///
    /// Bindings hand it to a language runtime whose iterator outlives any
    /// borrow of the call; it restores exactly what [`Call::stream_restorer`] does.
    pub fn owned_stream_restorer(&self) -> crate::redact::StreamRestorer<'static> {
        self.vault.clone().into_stream_restorer()
    }

    /// Returns a JSON stream restorer that owns a copy of this call's vault.
    /// It restores exactly what [`Call::json_stream_restorer`] does.
    pub fn owned_json_stream_restorer(&self) -> crate::redact::StreamRestorer<'static> {
        self.vault.clone().into_json_stream_restorer()
    }

    /// Settles the call with the vendor's usage and returns its record.
    ///
    /// Invalid usage is an error that leaves the call open, so it can be
    /// finished again with corrected usage or aborted.
    pub fn finish(&mut self, usage: Usage) -> Result<CallRecord> {
        self.settle(usage, false)
    }

    /// Settles the call as if the vendor had used the whole output cap, for
    /// replays without responses; the record carries `ingate.usage_simulated`.
    pub fn finish_simulated(&mut self) -> Result<CallRecord> {
        let usage = Usage {
            input_tokens: self.input.tokens,
            output_tokens: self.output_cap,
            ..Usage::default()
        };
        self.settle(usage, true)
    }

    fn settle(&mut self, usage: Usage, simulated: bool) -> Result<CallRecord> {
        let Some(reservation) = self.reservation else {
            return Err(Error::invalid_request(format!(
                "call `{}` is already finished or aborted",
                self.id
            )));
        };
        let cost = usage.cost(&self.model.prices)?;

        let now = self.policy.clock.now();
        let settled = self.policy.inner.ledger.settle(
            reservation,
            &self.scope,
            Amounts {
                usd: cost,
                tokens: usage.input_tokens + usage.output_tokens,
                requests: 1,
            },
            self.started,
            now,
        );
        self.reservation = None;
        if let Err(error) = settled {
            // The vendor was paid, so the call is recorded; the store misses this spend.
            tracing::debug!(call = %self.id, "budget store failed to settle a call");
            self.store_error = Some(format!(
                "{error}; the cost of this call is not in the store"
            ));
        }

        let energy = energy::estimate(
            &self.model,
            usage.input_tokens,
            usage.output_tokens,
            &self.policy.inner.zone,
            self.policy.inner.config.energy.pue,
        );
        let mut record = self.base_record();
        record.input_tokens = usage.input_tokens;
        record.output_tokens = usage.output_tokens;
        record.cached_read_tokens = usage.cached_read_tokens;
        record.cache_write_tokens = usage.cache_write_tokens;
        record.reasoning_tokens = usage.reasoning_tokens;
        record.tokens_exact = !simulated || self.input.exact;
        record.usage_simulated = simulated;
        record.cost_usd = cost;
        record.energy_wh = energy.wh;
        record.co2e_g = energy.co2e_g;
        record.water_ml = energy.water_ml;
        record.energy_parameters_assumed = energy.parameters_assumed;
        record.energy_zone = Some(energy.zone);
        record.energy_method = Some(energy.method);
        Ok(record)
    }

    /// Releases the reservation without spending and returns the record.
    pub fn abort(&mut self, reason: &str) -> CallRecord {
        if let Some(reservation) = self.reservation.take()
            && let Err(error) = self.policy.inner.ledger.release(reservation)
        {
            self.store_error = Some(format!(
                "{error}; the reservation stays until its lease expires"
            ));
        }
        let mut record = self.base_record();
        record.abort_reason = Some(reason.to_string());
        record
    }

    fn base_record(&self) -> CallRecord {
        let mut record = CallRecord::new(
            self.id.clone(),
            self.started.to_string(),
            self.scope.clone(),
            self.tags.clone(),
            self.resolution.requested.clone(),
        );
        record.response_model = Some(self.model.id.clone());
        record.input_tokens = self.input.tokens;
        record.tokens_exact = self.input.exact;
        record.reserved_usd = self.reserved_usd;
        record.redactions = self.redactions.clone();
        record.resolution_chain = self.resolution.chain.clone();
        record.warnings = self.warnings.clone();
        record.store_error = self.store_error.clone();
        record
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        // A failed release leaves the reservation until its lease expires.
        if let Some(reservation) = self.reservation.take()
            && self.policy.inner.ledger.release(reservation).is_err()
        {
            tracing::debug!(call = %self.id, "budget store failed to release a dropped call");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Policy>();
        assert_send_sync::<Call>();
        assert_send_sync::<CallRecord>();
        assert_send_sync::<Denied>();
    }

    #[test]
    fn api_name_drops_provider_prefix() {
        let mut model = Catalog::builtin().models().next().unwrap().clone();
        model.id = "gemini/gemini-2.5-pro".into();
        model.provider = "gemini".into();
        assert_eq!(api_model_name(&model), "gemini-2.5-pro");
        model.id = "gpt-4o".into();
        model.provider = "openai".into();
        assert_eq!(api_model_name(&model), "gpt-4o");
    }
}
