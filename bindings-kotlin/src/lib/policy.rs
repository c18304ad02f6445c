//! `NativePolicy`: the core's `Policy` and its standalone helpers.

use std::collections::HashMap;
use std::sync::Arc;

use ingate::{CallOptions, ChatRequest, ManualClock, Policy, Usage};
use jiff::Timestamp;

use crate::call::NativeCall;
use crate::error::NativeError;
use crate::records::{
    NativeChatRequest, NativeEnergy, NativeRedaction, NativeResolution, NativeTokenCount,
    NativeUsage,
};

/// A loaded policy; immutable and safe to share between threads.
#[derive(uniffi::Object)]
pub struct NativePolicy {
    inner: Policy,
}

#[uniffi::export]
impl NativePolicy {
    /// Loads a policy file (TOML, or JSON when the name ends in `.json`).
    #[uniffi::constructor]
    pub fn from_file(path: String) -> Result<Arc<NativePolicy>, NativeError> {
        Ok(Arc::new(NativePolicy {
            inner: Policy::from_file(path)?,
        }))
    }

    /// Parses a policy from TOML text.
    #[uniffi::constructor]
    pub fn from_toml(text: String) -> Result<Arc<NativePolicy>, NativeError> {
        Ok(Arc::new(NativePolicy {
            inner: Policy::from_toml(&text)?,
        }))
    }

    /// Returns the built-in default policy.
    #[uniffi::constructor]
    pub fn default_policy() -> Arc<NativePolicy> {
        Arc::new(NativePolicy {
            inner: Policy::default(),
        })
    }

    /// Returns a copy of this policy whose clock is fixed at `now` (RFC 3339).
    ///
    /// Deprecation dates, budget windows and record timestamps then use `now`;
    /// tests and what-if replays use it. The copy shares the budget store.
    pub fn with_clock(&self, now: String) -> Result<Arc<NativePolicy>, NativeError> {
        let now: Timestamp = now.parse().map_err(|error| {
            NativeError::invalid_request(format!(
                "`{now}` is not an RFC 3339 timestamp ({error}); pass one such as 2026-12-04T12:00:00Z"
            ))
        })?;
        let clock = Arc::new(ManualClock::new(now));
        Ok(Arc::new(NativePolicy {
            inner: self.inner.clone().with_clock(clock),
        }))
    }

    /// Returns the messages of the checks run when the policy loaded
    /// (aliases, pins and fallbacks that hit a sunset).
    pub fn diagnostics(&self) -> Vec<String> {
        self.inner
            .diagnostics()
            .iter()
            .map(|diagnostic| diagnostic.message.clone())
            .collect()
    }

    /// Counts the tokens of `text` for `model`.
    pub fn count_tokens(
        &self,
        model: String,
        text: String,
    ) -> Result<NativeTokenCount, NativeError> {
        Ok(self.inner.count_tokens(&model, &text)?.into())
    }

    /// Counts a chat request given as JSON (an OpenAI chat completion body).
    pub fn count_chat_json(&self, request_json: String) -> Result<NativeTokenCount, NativeError> {
        let request = ChatRequest::from_json(&request_json)?;
        Ok(self.inner.count_chat(&request)?.into())
    }

    /// Counts a typed chat request.
    pub fn count_chat(&self, request: NativeChatRequest) -> Result<NativeTokenCount, NativeError> {
        let request = ChatRequest::try_from(request)?;
        Ok(self.inner.count_chat(&request)?.into())
    }

    /// Resolves a model name with the policy's aliases and deprecation rules.
    pub fn resolve_model(&self, name: String) -> Result<NativeResolution, NativeError> {
        Ok(self.inner.resolve_model(&name)?.into())
    }

    /// Redacts `text`; finding offsets are UTF-16 code units of `text`.
    pub fn redact(&self, text: String) -> Result<NativeRedaction, NativeError> {
        let redaction = self.inner.redact(&text)?;
        Ok(NativeRedaction::new(&text, redaction))
    }

    /// Estimates energy, carbon and water; `region` overrides the policy's.
    pub fn estimate_energy(
        &self,
        model: String,
        input_tokens: u64,
        output_tokens: u64,
        region: Option<String>,
    ) -> Result<NativeEnergy, NativeError> {
        let energy =
            self.inner
                .estimate_energy(&model, input_tokens, output_tokens, region.as_deref())?;
        Ok(energy.into())
    }

    /// Parses vendor usage JSON (OpenAI, Anthropic, Gemini or ingate's own shape).
    ///
    /// A method rather than a free function because the Kotlin build marks the generated
    /// top-level declarations `internal`, which a generated top-level function would escape.
    pub fn parse_usage(&self, usage_json: String) -> Result<NativeUsage, NativeError> {
        Ok(Usage::from_json(&usage_json)?.into())
    }

    /// Begins a call from a JSON chat completion body.
    pub fn begin_json(
        &self,
        request_json: String,
        scope: Option<String>,
        tags: HashMap<String, String>,
    ) -> Result<Arc<NativeCall>, NativeError> {
        let request = ChatRequest::from_json(&request_json)?;
        self.begin_request(request, scope, tags)
    }

    /// Begins a call from a typed request.
    pub fn begin(
        &self,
        request: NativeChatRequest,
        scope: Option<String>,
        tags: HashMap<String, String>,
    ) -> Result<Arc<NativeCall>, NativeError> {
        let request = ChatRequest::try_from(request)?;
        self.begin_request(request, scope, tags)
    }
}

impl NativePolicy {
    fn begin_request(
        &self,
        request: ChatRequest,
        scope: Option<String>,
        tags: HashMap<String, String>,
    ) -> Result<Arc<NativeCall>, NativeError> {
        let options = CallOptions {
            scope,
            tags: tags.into_iter().collect(),
        };
        let call = self.inner.begin(request, options)?;
        Ok(Arc::new(NativeCall::new(call)))
    }
}
