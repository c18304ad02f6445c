//! `Call`: one call in flight, its context-manager protocol and streaming restore.

use std::sync::{Mutex, MutexGuard};

use ingate::redact::StreamRestorer;
use ingate::{Call, CallRecord, Usage};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyIterator, PyString, PyType};

use crate::aio;
use crate::convert;
use crate::errors::{invalid_request, poisoned, to_py_err};
use crate::types::{PyCallRecord, PyResolution, PyTokenCount};

/// One call in flight: the request to send, its reservation and its vault.
///
/// Use it as a context manager (`with` or `async with`): leaving the block
/// without `finish` aborts the call and releases its reservation.
#[pyclass(name = "Call", module = "ingate", frozen)]
pub struct PyCall {
    id: String,
    scope: String,
    state: Mutex<CallState>,
}

struct CallState {
    call: Call,
    /// The final record, once the call is finished or aborted.
    record: Option<CallRecord>,
}

impl PyCall {
    pub fn new(call: Call) -> PyCall {
        PyCall {
            id: call.id().to_string(),
            scope: call.scope().to_string(),
            state: Mutex::new(CallState { call, record: None }),
        }
    }

    /// Runs `work` on the call state with the GIL released, so a thread
    /// waiting for the lock never holds the GIL that the lock's owner needs.
    fn with_state<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&mut CallState) -> T + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut state: MutexGuard<'_, CallState> =
                self.state.lock().map_err(|_| poisoned("call"))?;
            Ok(work(&mut state))
        })
    }

    fn close(&self, py: Python<'_>, reason: &str) -> PyResult<CallRecord> {
        self.with_state(py, |state| match &state.record {
            Some(record) => record.clone(),
            None => {
                let record = state.call.abort(reason);
                state.record = Some(record.clone());
                record
            }
        })
    }

    fn exit(&self, py: Python<'_>, exc_type: &Bound<'_, PyAny>) -> PyResult<()> {
        self.close(py, &exit_reason(exc_type))?;
        Ok(())
    }

    /// Settles the call with usage already converted from Python.
    fn finish_usage(&self, py: Python<'_>, usage: serde_json::Value) -> PyResult<PyCallRecord> {
        let settled = self.with_state(py, |state| -> ingate::Result<CallRecord> {
            let usage = Usage::from_vendor_json(&usage)?;
            let record = state.call.finish(usage)?;
            state.record = Some(record.clone());
            Ok(record)
        })?;
        settled
            .map(PyCallRecord::new)
            .map_err(|error| to_py_err(py, error, None))
    }
}

/// Returns the abort reason for leaving a `with` block: the exception's class name, if any.
fn exit_reason(exc_type: &Bound<'_, PyAny>) -> String {
    if exc_type.is_none() {
        return "not finished".to_string();
    }
    let name = exc_type
        .cast::<PyType>()
        .ok()
        .and_then(|class| class.name().ok())
        .map(|name| name.to_string())
        .unwrap_or_else(|| "exception".to_string());
    format!("exception: {name}")
}

#[pymethods]
impl PyCall {
    /// The call id, also the record's `id`.
    #[getter]
    fn id(&self) -> &str {
        &self.id
    }

    /// The scope the call is charged to.
    #[getter]
    fn scope(&self) -> &str {
        &self.scope
    }

    /// The request to send, as a new dict: the model resolved to the vendor's name, the messages redacted.
    #[getter]
    fn request<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = self.with_state(py, |state| state.call.request().to_value())?;
        convert::from_json(py, &value)
    }

    /// The resolution of the requested model name.
    #[getter]
    fn resolution(&self, py: Python<'_>) -> PyResult<PyResolution> {
        let resolution = self.with_state(py, |state| state.call.resolution().clone())?;
        Ok(resolution.into())
    }

    /// The catalog id of the resolved model.
    #[getter]
    fn model(&self, py: Python<'_>) -> PyResult<String> {
        self.with_state(py, |state| state.call.model().id.clone())
    }

    /// The input token count of the redacted request.
    #[getter]
    fn input_tokens(&self, py: Python<'_>) -> PyResult<PyTokenCount> {
        let count = self.with_state(py, |state| state.call.input_tokens().clone())?;
        Ok(count.into())
    }

    /// The output token cap that was reserved for.
    #[getter]
    fn output_cap(&self, py: Python<'_>) -> PyResult<u64> {
        self.with_state(py, |state| state.call.output_cap())
    }

    /// The USD reserved for the worst case, as a `Decimal`.
    #[getter]
    fn reserved_usd<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let reserved = self.with_state(py, |state| state.call.reserved_usd())?;
        convert::decimal(py, reserved)
    }

    /// Warnings collected at `begin`: deprecations, fallbacks, soft budget limits.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with_state(py, |state| state.call.warnings().to_vec())
    }

    /// The final record once the call is finished or aborted, else `None`.
    #[getter]
    fn record(&self, py: Python<'_>) -> PyResult<Option<PyCallRecord>> {
        let record = self.with_state(py, |state| state.record.clone())?;
        Ok(record.map(PyCallRecord::new))
    }

    /// `True` once the call is finished or aborted.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        self.with_state(py, |state| state.record.is_some())
    }

    /// Replaces the placeholders this call issued with the original values.
    fn restore(&self, py: Python<'_>, text: &str) -> PyResult<String> {
        self.with_state(py, |state| state.call.restore(text))
    }

    /// Replaces the placeholders this call issued with the original values
    /// escaped as JSON string content, for JSON text such as tool-call
    /// arguments. The result stays valid JSON and decodes to the originals.
    fn restore_json(&self, py: Python<'_>, text: &str) -> PyResult<String> {
        self.with_state(py, |state| state.call.restore_json(text))
    }

    /// Returns a restorer for streamed text: `push(chunk)` returns the text
    /// that is final so far, holding back a placeholder split across chunks.
    fn stream_restorer(&self, py: Python<'_>) -> PyResult<PyStreamRestorer> {
        let restorer = self.with_state(py, |state| state.call.owned_stream_restorer())?;
        Ok(PyStreamRestorer::new(restorer))
    }

    /// Returns a restorer for streamed JSON text, such as tool-call argument
    /// fragments. It restores as `restore_json` does and holds back a split
    /// placeholder as `stream_restorer` does.
    fn json_stream_restorer(&self, py: Python<'_>) -> PyResult<PyStreamRestorer> {
        let restorer = self.with_state(py, |state| state.call.owned_json_stream_restorer())?;
        Ok(PyStreamRestorer::new(restorer))
    }

    /// Wraps an iterable of text chunks (or an async iterable) in one that
    /// yields the restored text; empty pieces are skipped.
    fn restore_stream<'py>(
        &self,
        py: Python<'py>,
        chunks: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let restorer = self.stream_restorer(py)?;
        if chunks.hasattr("__aiter__")? {
            return aio::helper(py, "restore_async")?.call1((restorer, chunks));
        }
        let stream = RestoredStream {
            source: chunks.try_iter()?.unbind(),
            restorer: Mutex::new(Some(restorer.into_inner())),
        };
        Ok(Bound::new(py, stream)?.into_any())
    }

    /// Settles the call with the vendor's usage and returns its record.
    ///
    /// `usage` is the `usage` of an OpenAI or Anthropic SDK response (a
    /// pydantic model) or a dict in either vendor's shape. Invalid usage
    /// raises `InvalidRequest` and leaves the call open.
    fn finish(&self, py: Python<'_>, usage: &Bound<'_, PyAny>) -> PyResult<PyCallRecord> {
        let usage = convert::to_json(usage, "usage")?;
        self.finish_usage(py, usage)
    }

    /// Settles the call like `finish`, in a worker thread of the running event
    /// loop (`asyncio.to_thread`), and returns an awaitable of the record.
    ///
    /// The usage is read before this method returns; the worker thread waits
    /// for the budget store instead of the event loop.
    fn finish_async<'py>(
        slf: &Bound<'py, Self>,
        usage: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let usage = Mutex::new(Some(convert::to_json(usage, "usage")?));
        let call = slf.clone().unbind();
        let work = PyCFunction::new_closure(py, Some(c"finish"), None, move |args, _kwargs| {
            let py = args.py();
            let converted = usage.lock().ok().and_then(|mut usage| usage.take());
            let Some(usage) = converted else {
                return Err(PyRuntimeError::new_err(
                    "ingate: this finish_async awaitable already ran",
                ));
            };
            call.get().finish_usage(py, usage)
        })?;
        aio::to_thread(py, work.as_any())
    }

    /// Settles the call as if the vendor had used the whole output cap, for
    /// replays without responses.
    fn finish_simulated(&self, py: Python<'_>) -> PyResult<PyCallRecord> {
        let settled = self.with_state(py, |state| -> ingate::Result<CallRecord> {
            let record = state.call.finish_simulated()?;
            state.record = Some(record.clone());
            Ok(record)
        })?;
        settled
            .map(PyCallRecord::new)
            .map_err(|error| to_py_err(py, error, None))
    }

    /// Releases the reservation without spending and returns the record;
    /// on a closed call it returns the final record unchanged.
    #[pyo3(signature = (reason = "aborted"))]
    fn abort(&self, py: Python<'_>, reason: &str) -> PyResult<PyCallRecord> {
        self.close(py, reason).map(PyCallRecord::new)
    }

    /// Aborts the call like `abort`, in a worker thread of the running event
    /// loop, and returns an awaitable of the record.
    #[pyo3(signature = (reason = "aborted"))]
    fn abort_async<'py>(slf: &Bound<'py, Self>, reason: &str) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let reason = reason.to_string();
        let call = slf.clone().unbind();
        let work = PyCFunction::new_closure(py, Some(c"abort"), None, move |args, _kwargs| {
            call.get().close(args.py(), &reason).map(PyCallRecord::new)
        })?;
        aio::to_thread(py, work.as_any())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        exc_value: &Bound<'_, PyAny>,
        traceback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        // Returning None lets the exception, if any, propagate.
        let _ = (exc_value, traceback);
        self.exit(py, exc_type)
    }

    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        aio::helper(slf.py(), "ready")?.call1((slf,))
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __aexit__<'py>(
        slf: &Bound<'py, Self>,
        exc_type: &Bound<'py, PyAny>,
        exc_value: &Bound<'py, PyAny>,
        traceback: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let _ = (exc_value, traceback);
        if slf.get().closed(py)? {
            return aio::helper(py, "ready")?.call1((py.None(),));
        }

        // Aborting releases the reservation in the budget store, so it runs in a
        // worker thread; the closure returns None, which lets an exception propagate.
        let reason = exit_reason(exc_type);
        let call = slf.clone().unbind();
        let work = PyCFunction::new_closure(py, Some(c"abort"), None, move |args, _kwargs| {
            call.get().close(args.py(), &reason).map(|_| ())
        })?;
        aio::to_thread(py, work.as_any())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let closed = self
            .with_state(py, |state| state.record.is_some())
            .unwrap_or(true);
        format!(
            "Call(id={:?}, scope={:?}, closed={})",
            self.id,
            self.scope,
            if closed { "True" } else { "False" }
        )
    }
}

/// Restores placeholders in streamed text, holding back one split across chunks.
#[pyclass(name = "StreamRestorer", module = "ingate", frozen)]
pub struct PyStreamRestorer {
    restorer: Mutex<Option<StreamRestorer<'static>>>,
}

impl PyStreamRestorer {
    fn new(restorer: StreamRestorer<'static>) -> PyStreamRestorer {
        PyStreamRestorer {
            restorer: Mutex::new(Some(restorer)),
        }
    }

    fn into_inner(self) -> StreamRestorer<'static> {
        // A restorer built a moment ago is neither finished nor poisoned.
        match self.restorer.into_inner() {
            Ok(Some(restorer)) => restorer,
            Ok(None) | Err(_) => ingate::redact::Vault::default().into_stream_restorer(),
        }
    }
}

#[pymethods]
impl PyStreamRestorer {
    /// Feeds the next chunk and returns the text that is final so far.
    fn push(&self, py: Python<'_>, chunk: &str) -> PyResult<String> {
        let mut restorer = self
            .restorer
            .lock()
            .map_err(|_| poisoned("stream restorer"))?;
        match restorer.as_mut() {
            Some(restorer) => Ok(restorer.push(chunk)),
            None => Err(invalid_request(
                py,
                "the stream restorer is finished; get a new one from call.stream_restorer()"
                    .to_string(),
            )),
        }
    }

    /// Returns the held-back tail when the stream ends; later pushes raise `InvalidRequest`.
    fn finish(&self) -> PyResult<String> {
        let mut restorer = self
            .restorer
            .lock()
            .map_err(|_| poisoned("stream restorer"))?;
        Ok(restorer
            .take()
            .map(StreamRestorer::finish)
            .unwrap_or_default())
    }
}

/// An iterator over restored text, wrapping an iterator of text chunks.
#[pyclass(name = "RestoredStream", module = "ingate", frozen)]
pub struct RestoredStream {
    source: Py<PyIterator>,
    restorer: Mutex<Option<StreamRestorer<'static>>>,
}

#[pymethods]
impl RestoredStream {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let mut source = self.source.bind(py).clone();
        loop {
            match source.next() {
                Some(Ok(chunk)) => {
                    let Ok(chunk) = chunk.cast::<PyString>() else {
                        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                            "restore_stream expects str chunks, got `{}`; pass the text deltas",
                            chunk.get_type().name()?
                        )));
                    };
                    let chunk = chunk.to_str()?;
                    let mut restorer = self.restorer.lock().map_err(|_| poisoned("stream"))?;
                    let Some(restorer) = restorer.as_mut() else {
                        return Ok(None);
                    };
                    let restored = restorer.push(chunk);
                    if !restored.is_empty() {
                        return Ok(Some(restored));
                    }
                }
                Some(Err(error)) => return Err(error),
                None => {
                    let tail = self
                        .restorer
                        .lock()
                        .map_err(|_| poisoned("stream"))?
                        .take()
                        .map(StreamRestorer::finish)
                        .unwrap_or_default();
                    return Ok(if tail.is_empty() { None } else { Some(tail) });
                }
            }
        }
    }
}
