//! The `Policy` class and its Promise-returning tasks.

use std::sync::Arc;

use ingate::{ChatRequest, ManualClock};
use napi::bindgen_prelude::{AsyncTask, JsValue, Unknown};
use napi::{Env, Task, ValueType};
use napi_derive::napi;

use crate::call::Call;
use crate::convert::{self, CallOptions, Energy, Redaction, Resolution, TokenCount};
use crate::error;

/// A loaded policy: catalog, aliases, budgets, redaction and energy settings.
///
/// Safe to share: every call begun from one policy (or its `withClock`
/// copies) shares its budget state.
#[napi]
pub struct Policy {
    inner: ingate::Policy,
}

#[napi]
impl Policy {
    /// Reads a policy file: JSON when the name ends in `.json`, TOML otherwise.
    #[napi(factory)]
    pub fn from_file(env: Env, path: String) -> napi::Result<Policy> {
        ingate::Policy::from_file(&path)
            .map(|inner| Policy { inner })
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Parses a policy from TOML text.
    #[napi(factory)]
    pub fn from_toml(env: Env, text: String) -> napi::Result<Policy> {
        ingate::Policy::from_toml(&text)
            .map(|inner| Policy { inner })
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Returns the built-in default policy: the built-in catalog, no budgets,
    /// redaction with every built-in detector, the world-average grid.
    #[napi(factory, js_name = "default")]
    pub fn default_policy() -> Policy {
        Policy {
            inner: ingate::Policy::default(),
        }
    }

    /// Returns a copy of this policy whose clock is fixed at `now`, for tests
    /// and replays. The copy shares this policy's budget state.
    #[napi(ts_args_type = "now: Date | string")]
    pub fn with_clock(&self, env: Env, now: Unknown) -> napi::Result<Policy> {
        let instant = timestamp(&env, now)?;
        Ok(Policy {
            inner: self
                .inner
                .clone()
                .with_clock(Arc::new(ManualClock::new(instant))),
        })
    }

    /// Counts the tokens of `text` for `model` (any name that resolves).
    #[napi]
    pub fn count_tokens(&self, env: Env, model: String, text: String) -> napi::Result<TokenCount> {
        self.inner
            .count_tokens(&model, &text)
            .map(TokenCount::from)
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Counts the tokens of `text` on the libuv thread pool.
    #[napi(ts_return_type = "Promise<TokenCount>")]
    pub fn count_tokens_async(&self, model: String, text: String) -> AsyncTask<CountTokensTask> {
        AsyncTask::new(CountTokensTask {
            policy: self.inner.clone(),
            model,
            text,
        })
    }

    /// Counts a whole chat request the way its model's vendor bills the input.
    #[napi(ts_args_type = "request: ChatRequest")]
    pub fn count_chat(&self, env: Env, request: Unknown) -> napi::Result<TokenCount> {
        let text = convert::stringify(&env, request, "request")?;
        ChatRequest::from_json(&text)
            .and_then(|request| self.inner.count_chat(&request))
            .map(TokenCount::from)
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Resolves a model name with the policy's aliases and deprecation rules.
    #[napi]
    pub fn resolve_model(&self, env: Env, name: String) -> napi::Result<Resolution> {
        self.inner
            .resolve_model(&name)
            .map(Resolution::from)
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Redacts a text with the policy's detectors; offsets are UTF-16 code units.
    #[napi]
    pub fn redact(&self, env: Env, text: String) -> napi::Result<Redaction> {
        self.inner
            .redact(&text)
            .map(|redaction| convert::redaction(&text, redaction))
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Redacts a text on the libuv thread pool.
    #[napi(ts_return_type = "Promise<Redaction>")]
    pub fn redact_async(&self, text: String) -> AsyncTask<RedactTask> {
        AsyncTask::new(RedactTask {
            policy: self.inner.clone(),
            text,
        })
    }

    /// Estimates the energy, carbon and water of a call; `region` overrides the policy's.
    #[napi]
    pub fn estimate_energy(
        &self,
        env: Env,
        model: String,
        input_tokens: f64,
        output_tokens: f64,
        region: Option<String>,
    ) -> napi::Result<Energy> {
        let input = convert::token_count(&env, "inputTokens", input_tokens)?;
        let output = convert::token_count(&env, "outputTokens", output_tokens)?;
        self.inner
            .estimate_energy(&model, input, output, region.as_deref())
            .map(Energy::from)
            .map_err(|error| error::to_js(&env, &error, None))
    }

    /// Begins a call: resolves the model, redacts the messages, counts the
    /// input and reserves budget. A denial throws an error with the denied
    /// call's `record`.
    #[napi(ts_args_type = "request: ChatRequest, options?: CallOptions")]
    pub fn begin(
        &self,
        env: Env,
        request: Unknown,
        options: Option<CallOptions>,
    ) -> napi::Result<Call> {
        let text = convert::stringify(&env, request, "request")?;
        let request =
            ChatRequest::from_json(&text).map_err(|error| error::to_js(&env, &error, None))?;
        match self.inner.begin(request, convert::call_options(options)) {
            Ok(call) => Ok(Call::new(call)),
            Err(denied) => Err(error::to_js(&env, &denied.error, Some(&denied.record))),
        }
    }

    /// Begins a call on the libuv thread pool, for a budget store that may be slow.
    #[napi(
        ts_args_type = "request: ChatRequest, options?: CallOptions",
        ts_return_type = "Promise<Call>"
    )]
    pub fn begin_async(
        &self,
        env: Env,
        request: Unknown,
        options: Option<CallOptions>,
    ) -> napi::Result<AsyncTask<BeginTask>> {
        let request = convert::stringify(&env, request, "request")?;
        Ok(AsyncTask::new(BeginTask {
            policy: self.inner.clone(),
            request,
            options: Some(convert::call_options(options)),
        }))
    }
}

/// Reads a `Date` or an RFC 3339 string.
fn timestamp(env: &Env, value: Unknown) -> napi::Result<jiff::Timestamp> {
    let milliseconds = if value.is_date()? {
        let date: napi::JsDate = unsafe { value.cast()? };
        date.value_of()?
    } else if value.get_type()? == ValueType::String {
        let text: String = unsafe { value.cast()? };
        return text.parse().map_err(|_| {
            error::invalid_request(
                env,
                format!("`now` is `{text}`, not an RFC 3339 timestamp; pass a Date or a string such as `2026-12-04T12:00:00Z`"),
            )
        });
    } else {
        f64::NAN
    };
    if !milliseconds.is_finite() {
        return Err(error::invalid_request(
            env,
            "`now` is not a valid date; pass a Date or an RFC 3339 string",
        ));
    }
    jiff::Timestamp::from_millisecond(milliseconds as i64).map_err(|_| {
        error::invalid_request(
            env,
            "`now` is outside the supported range of years -9999 to 9999",
        )
    })
}

/// Counts tokens off the main thread.
pub struct CountTokensTask {
    policy: ingate::Policy,
    model: String,
    text: String,
}

impl Task for CountTokensTask {
    type Output = ingate::Result<ingate::TokenCount>;
    type JsValue = TokenCount;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self.policy.count_tokens(&self.model, &self.text))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<TokenCount> {
        output
            .map(TokenCount::from)
            .map_err(|error| error::to_js(&env, &error, None))
    }
}

/// Redacts a text off the main thread.
pub struct RedactTask {
    policy: ingate::Policy,
    text: String,
}

impl Task for RedactTask {
    type Output = ingate::Result<Redaction>;
    type JsValue = Redaction;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(self
            .policy
            .redact(&self.text)
            .map(|redaction| convert::redaction(&self.text, redaction)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Redaction> {
        output.map_err(|error| error::to_js(&env, &error, None))
    }
}

/// Begins a call off the main thread.
pub struct BeginTask {
    policy: ingate::Policy,
    request: String,
    options: Option<ingate::CallOptions>,
}

/// The outcome of a begin: the call, or the error with the denied call's record.
type Begun = Result<ingate::Call, (ingate::Error, Option<Box<ingate::CallRecord>>)>;

impl Task for BeginTask {
    type Output = Begun;
    type JsValue = Call;

    fn compute(&mut self) -> napi::Result<Begun> {
        let request = match ChatRequest::from_json(&self.request) {
            Ok(request) => request,
            Err(error) => return Ok(Err((error, None))),
        };
        let options = self.options.take().unwrap_or_default();
        Ok(self
            .policy
            .begin(request, options)
            .map_err(|denied| (denied.error, Some(denied.record))))
    }

    fn resolve(&mut self, env: Env, output: Begun) -> napi::Result<Call> {
        match output {
            Ok(call) => Ok(Call::new(call)),
            Err((error, record)) => Err(error::to_js(&env, &error, record.as_deref())),
        }
    }
}
