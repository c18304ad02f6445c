//! The native module of the `ingate` Python package: thin wrappers that
//! convert Python values and delegate to the `ingate` crate.
//!
//! The package's pure-Python parts (exception classes, async helpers and the
//! SDK integrations) live in `python/ingate/`.
#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

mod aio;
mod call;
mod convert;
mod errors;
mod policy;
mod types;

use pyo3::prelude::*;

/// The compiled part of `ingate`; import the classes from `ingate` itself.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<policy::PyPolicy>()?;
    module.add_class::<call::PyCall>()?;
    module.add_class::<call::PyStreamRestorer>()?;
    module.add_class::<call::RestoredStream>()?;
    module.add_class::<types::PyTokenCount>()?;
    module.add_class::<types::PyResolution>()?;
    module.add_class::<types::PyFinding>()?;
    module.add_class::<types::PyRedaction>()?;
    module.add_class::<types::PyEstimate>()?;
    module.add_class::<types::PyEnergy>()?;
    module.add_class::<types::PyBudgetStatus>()?;
    module.add_class::<types::PyDiagnostic>()?;
    module.add_class::<types::PyCallRecord>()?;
    Ok(())
}
