//! Node.js binding of ingate, built with napi-rs.
//!
//! The native module exports the classes `Policy`, `Call` and
//! `StreamRestorer`. The package's hand-written `index.js` adds
//! `Call.prototype.restoreStream`, `wrapOpenAI` and the `ErrorCode` table,
//! and `index.d.ts` declares the whole public API.
//!
//! Conversions at the boundary:
//! - requests and usage objects cross as JSON text made by the caller's own
//!   `JSON.stringify`, so `undefined` fields drop out and large integers keep
//!   their value exactly as the vendor SDK would send them;
//! - offsets are UTF-16 code units, the unit of JavaScript string indexes;
//! - money is a decimal string, never a float;
//! - every core error becomes an `Error` whose `code` is `INGATE_` plus the
//!   upper-case kind, with the kind's fields as properties.

mod call;
mod convert;
mod error;
mod policy;

pub use call::{Call, StreamRestorer};
pub use policy::Policy;
