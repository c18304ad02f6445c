//! `NativeCall`: one call in flight, and its stream restorer.

use std::sync::{Mutex, MutexGuard};

use ingate::redact::StreamRestorer;
use ingate::{Call, Usage};

use crate::error::NativeError;
use crate::records::{NativeCallRecord, NativeTokenCount, NativeUsage};

/// One call in flight. Dropping it without `finish` or `abort` releases the reservation.
#[derive(uniffi::Object)]
pub struct NativeCall {
    // `Call::finish` and `Call::abort` take `&mut self`, and uniffi shares objects by `Arc`.
    inner: Mutex<Call>,
}

impl NativeCall {
    pub(crate) fn new(call: Call) -> NativeCall {
        NativeCall {
            inner: Mutex::new(call),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Call>, NativeError> {
        self.inner.lock().map_err(|_| NativeError::poisoned("call"))
    }
}

#[uniffi::export]
impl NativeCall {
    /// Returns the call id, also the record's `id`.
    pub fn id(&self) -> Result<String, NativeError> {
        Ok(self.lock()?.id().to_string())
    }

    /// Returns the scope the call is charged to.
    pub fn scope(&self) -> Result<String, NativeError> {
        Ok(self.lock()?.scope().to_string())
    }

    /// Returns the catalog id of the resolved model.
    pub fn model(&self) -> Result<String, NativeError> {
        Ok(self.lock()?.model().id.clone())
    }

    /// Returns the request to send as JSON: the model resolved, the messages redacted.
    pub fn request_json(&self) -> Result<String, NativeError> {
        Ok(self.lock()?.request().to_value().to_string())
    }

    /// Returns the input token count of the redacted request.
    pub fn input_tokens(&self) -> Result<NativeTokenCount, NativeError> {
        Ok(self.lock()?.input_tokens().into())
    }

    /// Returns the output cap that was reserved for.
    pub fn output_cap(&self) -> Result<u64, NativeError> {
        Ok(self.lock()?.output_cap())
    }

    /// Returns the USD reserved for the worst case, a decimal string.
    pub fn reserved_usd(&self) -> Result<String, NativeError> {
        Ok(self.lock()?.reserved_usd().to_string())
    }

    /// Returns the warnings collected so far.
    pub fn warnings(&self) -> Result<Vec<String>, NativeError> {
        Ok(self.lock()?.warnings().to_vec())
    }

    /// Replaces the placeholders this call issued with the original values.
    pub fn restore(&self, text: String) -> Result<String, NativeError> {
        Ok(self.lock()?.restore(&text))
    }

    /// Replaces the placeholders this call issued with the original values
    /// escaped as JSON string content, for JSON text such as tool-call arguments.
    pub fn restore_json(&self, text: String) -> Result<String, NativeError> {
        Ok(self.lock()?.restore_json(&text))
    }

    /// Returns a restorer for a streamed reply.
    pub fn stream_restorer(&self) -> Result<std::sync::Arc<NativeStreamRestorer>, NativeError> {
        let restorer = self.lock()?.owned_stream_restorer();
        Ok(std::sync::Arc::new(NativeStreamRestorer {
            inner: Mutex::new(Some(restorer)),
        }))
    }

    /// Returns a restorer for streamed JSON text, such as tool-call argument fragments.
    pub fn json_stream_restorer(
        &self,
    ) -> Result<std::sync::Arc<NativeStreamRestorer>, NativeError> {
        let restorer = self.lock()?.owned_json_stream_restorer();
        Ok(std::sync::Arc::new(NativeStreamRestorer {
            inner: Mutex::new(Some(restorer)),
        }))
    }

    /// Settles the call with vendor usage JSON and returns its record.
    pub fn finish_json(&self, usage_json: String) -> Result<NativeCallRecord, NativeError> {
        let usage = Usage::from_json(&usage_json)?;
        Ok(self.lock()?.finish(usage)?.into())
    }

    /// Settles the call with typed usage and returns its record.
    pub fn finish(&self, usage: NativeUsage) -> Result<NativeCallRecord, NativeError> {
        Ok(self.lock()?.finish(usage.into())?.into())
    }

    /// Settles the call as if the vendor used the whole output cap, for replays without responses.
    pub fn finish_simulated(&self) -> Result<NativeCallRecord, NativeError> {
        Ok(self.lock()?.finish_simulated()?.into())
    }

    /// Releases the reservation without spending and returns the record.
    pub fn abort(&self, reason: String) -> Result<NativeCallRecord, NativeError> {
        Ok(self.lock()?.abort(&reason).into())
    }
}

/// Restores placeholders in a streamed reply, holding back a placeholder split across chunks.
#[derive(uniffi::Object)]
pub struct NativeStreamRestorer {
    inner: Mutex<Option<StreamRestorer<'static>>>,
}

#[uniffi::export]
impl NativeStreamRestorer {
    /// Restores one chunk; returns the text that is safe to emit so far.
    pub fn push(&self, chunk: String) -> Result<String, NativeError> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| NativeError::poisoned("stream restorer"))?;
        match guard.as_mut() {
            Some(restorer) => Ok(restorer.push(&chunk)),
            None => Err(finished_error()),
        }
    }

    /// Returns the text held back at the end of the stream; the restorer is spent afterwards.
    pub fn finish(&self) -> Result<String, NativeError> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| NativeError::poisoned("stream restorer"))?;
        match guard.take() {
            Some(restorer) => Ok(restorer.finish()),
            None => Err(finished_error()),
        }
    }
}

fn finished_error() -> NativeError {
    NativeError::invalid_request(
        "the stream restorer is already finished; get a new one from call.restoreStream()",
    )
}
