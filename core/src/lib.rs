//! ingate: an LLM gateway that lives inside the calling process.
//!
//! Every call to a model vendor passes through one [`Policy`] before and after
//! it leaves the process: the policy resolves the model name, redacts secrets
//! and PII, counts the request's tokens, reserves budget for the worst case,
//! settles it with the real usage and records cost, energy and carbon.
//!
//! ```
//! use ingate::{Policy, ChatRequest};
//!
//! let policy = Policy::default();
//! let count = policy.count_tokens("gpt-4o", "Hello, world!").unwrap();
//! assert_eq!(count.tokens, 4);
//! assert!(count.exact);
//! ```
#![warn(missing_docs)]
// `Error` is about 150 bytes because `BudgetExceeded` carries the limit, the
// spend and the reset time. Errors are returned once per denied call, so
// boxing them would add an allocation without saving anything measurable.
#![allow(clippy::result_large_err)]

pub mod budget;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod energy;
pub mod error;
pub mod policy;
pub mod record;
pub mod redact;
pub mod request;
pub mod tokens;
pub mod usage;

pub use catalog::{Catalog, ModelRecord, Resolution};
pub use clock::{Clock, ManualClock, SystemClock};
pub use energy::{Energy, Estimate};
pub use error::{Error, ErrorKind, Result};
pub use policy::{Call, CallOptions, Denied, Policy};
pub use record::CallRecord;
pub use redact::{Finding, Redaction};
pub use request::ChatRequest;
pub use tokens::{Encoding, TokenCount};
pub use usage::Usage;
