//! Kotlin/JVM and Android bindings of ingate, exported with uniffi proc macros.
//!
//! The uniffi bindgen generates Kotlin for these types into the package
//! `dev.ingate.ffi`; a hand-written Kotlin layer in `dev.ingate` wraps them in
//! the idiomatic API (`Policy`, `Call`, `IngateException`, `BigDecimal`,
//! `Instant`). Every export converts its arguments, makes one call into the
//! core and converts the result: no policy logic lives here.
//!
//! uniffi catches a panic in an exported function and raises it in Kotlin as
//! an `InternalException`, so no panic unwinds into the JVM.

// uniffi lifts the error by value, and `NativeError` carries the record of a denied
// call; it is built only on the error path, so its size costs nothing on success.
#![allow(clippy::result_large_err)]

mod call;
mod error;
mod policy;
mod records;
mod summary;

pub use call::{NativeCall, NativeStreamRestorer};
pub use error::{ErrorDetail, NativeError};
pub use policy::NativePolicy;
pub use records::{
    NativeCallRecord, NativeChatRequest, NativeEnergy, NativeEstimate, NativeFinding,
    NativeMessage, NativeRedaction, NativeResolution, NativeTokenCount, NativeUsage,
};
pub use summary::{NativeGroup, NativeSummary, NativeTotals};

uniffi::setup_scaffolding!();
