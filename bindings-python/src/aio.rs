//! The asyncio side of the package: helpers in `ingate._aio` and worker threads.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;

/// Returns the function `name` of the package's `ingate._aio` module.
pub(crate) fn helper<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("ingate._aio")?.unbind()))?
        .bind(py)
        .getattr(name)
}

/// Returns `asyncio.to_thread(work)`: awaiting it runs `work()` in the running
/// loop's default executor and returns its result.
pub(crate) fn to_thread<'py>(
    py: Python<'py>,
    work: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    static TO_THREAD: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    TO_THREAD
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("asyncio")?.getattr("to_thread")?.unbind())
        })?
        .bind(py)
        .call1((work,))
}
