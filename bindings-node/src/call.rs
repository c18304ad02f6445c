//! The `Call` class, its stream restorer and the Promise-returning finish.

use std::sync::{Arc, Mutex};

use ingate::Usage;
use napi::bindgen_prelude::{AsyncTask, Unknown};
use napi::{Env, Task};
use napi_derive::napi;

use crate::convert::{self, CallRecord, TokenCount};
use crate::error;

/// One call in flight: the request to send, its reservation and its vault.
///
/// Finish it with `finish(usage)` or `abort()`. A call that is garbage
/// collected unfinished releases its reservation.
#[napi]
pub struct Call {
    inner: Arc<Mutex<ingate::Call>>,
    id: String,
    scope: String,
    model: String,
    request_json: String,
    input_tokens: ingate::TokenCount,
    output_cap: u64,
    reserved_usd: String,
    warnings: Vec<String>,
}

impl Call {
    pub(crate) fn new(call: ingate::Call) -> Call {
        // A serde_json::Value always serializes, because its map keys are strings.
        let request_json = serde_json::to_string(&call.request().to_value()).unwrap_or_default();
        Call {
            id: call.id().to_string(),
            scope: call.scope().to_string(),
            model: call.model().id.clone(),
            request_json,
            input_tokens: call.input_tokens().clone(),
            output_cap: call.output_cap(),
            reserved_usd: call.reserved_usd().to_string(),
            warnings: call.warnings().to_vec(),
            inner: Arc::new(Mutex::new(call)),
        }
    }
}

#[napi]
impl Call {
    /// The call id, also the record's `id`.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.id.clone()
    }

    /// The scope the call is charged to.
    #[napi(getter)]
    pub fn scope(&self) -> String {
        self.scope.clone()
    }

    /// The catalog id of the resolved model.
    #[napi(getter)]
    pub fn model(&self) -> String {
        self.model.clone()
    }

    /// The request to send: the model resolved to the vendor's name and the
    /// messages redacted. Each read returns a new plain object.
    #[napi(getter, ts_return_type = "ChatRequest")]
    pub fn request<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        convert::parse(env, &self.request_json)
    }

    /// The input token count of the redacted request.
    #[napi(getter)]
    pub fn input_tokens(&self) -> TokenCount {
        self.input_tokens.clone().into()
    }

    /// The output cap that was reserved for.
    #[napi(getter)]
    pub fn output_cap(&self) -> f64 {
        self.output_cap as f64
    }

    /// The USD reserved for the worst case, an exact decimal string.
    #[napi(getter)]
    pub fn reserved_usd(&self) -> String {
        self.reserved_usd.clone()
    }

    /// Deprecation notices, substitutions and soft budget limits met when the call began.
    #[napi(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// Replaces the placeholders this call issued with the original values.
    #[napi]
    pub fn restore(&self, text: String) -> napi::Result<String> {
        let call = self.inner.lock().map_err(|_| error::poisoned())?;
        Ok(call.restore(&text))
    }

    /// Replaces the placeholders this call issued with the original values
    /// escaped as JSON string content, for JSON text such as tool-call
    /// arguments. The result stays valid JSON and `JSON.parse` returns the originals.
    #[napi]
    pub fn restore_json(&self, text: String) -> napi::Result<String> {
        let call = self.inner.lock().map_err(|_| error::poisoned())?;
        Ok(call.restore_json(&text))
    }

    /// Returns a restorer for a reply that arrives in chunks: it holds back
    /// a placeholder split across chunks until the next chunk completes it.
    #[napi]
    pub fn stream_restorer(&self) -> napi::Result<StreamRestorer> {
        let call = self.inner.lock().map_err(|_| error::poisoned())?;
        Ok(StreamRestorer {
            inner: Mutex::new(Some(call.owned_stream_restorer())),
        })
    }

    /// Returns a restorer for JSON text that arrives in chunks, such as
    /// tool-call argument fragments. It restores as `restoreJson` does and
    /// holds back a split placeholder as `streamRestorer` does.
    #[napi]
    pub fn json_stream_restorer(&self) -> napi::Result<StreamRestorer> {
        let call = self.inner.lock().map_err(|_| error::poisoned())?;
        Ok(StreamRestorer {
            inner: Mutex::new(Some(call.owned_json_stream_restorer())),
        })
    }

    /// Settles the call with the vendor's usage object (OpenAI, Anthropic or
    /// Gemini shape) and returns its record. Invalid usage throws and leaves
    /// the call open.
    #[napi(ts_args_type = "usage: Usage")]
    pub fn finish(&self, env: Env, usage: Unknown) -> napi::Result<CallRecord> {
        let usage = convert::stringify(&env, usage, "usage")?;
        let mut call = self.inner.lock().map_err(|_| error::poisoned())?;
        finish(&mut call, &usage).map_err(|error| error::to_js(&env, &error, None))
    }

    /// Settles the call on the libuv thread pool, for a budget store that may be slow.
    #[napi(ts_args_type = "usage: Usage", ts_return_type = "Promise<CallRecord>")]
    pub fn finish_async(&self, env: Env, usage: Unknown) -> napi::Result<AsyncTask<FinishTask>> {
        let usage = convert::stringify(&env, usage, "usage")?;
        Ok(AsyncTask::new(FinishTask {
            call: Arc::clone(&self.inner),
            usage,
        }))
    }

    /// Releases the reservation without spending and returns the record;
    /// `reason` (default `aborted`) goes to its `abortReason`.
    #[napi]
    pub fn abort(&self, reason: Option<String>) -> napi::Result<CallRecord> {
        let mut call = self.inner.lock().map_err(|_| error::poisoned())?;
        let record = call.abort(reason.as_deref().unwrap_or("aborted"));
        Ok(convert::record(&record))
    }
}

fn finish(call: &mut ingate::Call, usage: &str) -> ingate::Result<CallRecord> {
    let usage = Usage::from_json(usage)?;
    call.finish(usage).map(|record| convert::record(&record))
}

/// Settles a call off the main thread.
pub struct FinishTask {
    call: Arc<Mutex<ingate::Call>>,
    usage: String,
}

impl Task for FinishTask {
    type Output = Option<ingate::Result<CallRecord>>;
    type JsValue = CallRecord;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        // `None` marks a poisoned lock; the error is built on the main thread.
        Ok(self
            .call
            .lock()
            .ok()
            .map(|mut call| finish(&mut call, &self.usage)))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<CallRecord> {
        match output {
            Some(result) => result.map_err(|error| error::to_js(&env, &error, None)),
            None => Err(error::poisoned()),
        }
    }
}

/// Restores placeholders in a reply that arrives in chunks.
///
/// The concatenated outputs of `push` and `finish` equal `call.restore` of
/// the concatenated chunks, wherever the chunks were split.
#[napi]
pub struct StreamRestorer {
    inner: Mutex<Option<ingate::redact::StreamRestorer<'static>>>,
}

#[napi]
impl StreamRestorer {
    /// Feeds the next chunk and returns the restored text that is final so far.
    #[napi]
    pub fn push(&self, env: Env, chunk: String) -> napi::Result<String> {
        let mut restorer = self.inner.lock().map_err(|_| error::poisoned())?;
        match restorer.as_mut() {
            Some(restorer) => Ok(restorer.push(&chunk)),
            None => Err(error::invalid_request(
                &env,
                "the stream restorer is finished; get a new one from call.streamRestorer()",
            )),
        }
    }

    /// Returns the held-back tail after the last chunk; later calls return `""`.
    #[napi]
    pub fn finish(&self) -> napi::Result<String> {
        let mut restorer = self.inner.lock().map_err(|_| error::poisoned())?;
        Ok(restorer
            .take()
            .map(|restorer| restorer.finish())
            .unwrap_or_default())
    }
}
