//! ingate: an LLM gateway that lives inside the calling process.
//!
//! Every call to a model vendor passes through one [`Policy`] before and after
//! it leaves the process: the policy resolves the model name, redacts secrets
//! and PII, counts the request's tokens, reserves budget for the worst case,
//! settles it with the real usage and records cost, energy and carbon.
//!
//! ```
//! use ingate::{CallOptions, ChatRequest, Policy, Usage};
//!
//! # fn main() -> ingate::Result<()> {
//! let policy = Policy::from_toml(
//!     r#"
//!     [models.aliases]
//!     fast = "gpt-4o-mini"
//!     [[budgets]]
//!     scope = "acme/search"
//!     usd_per_day = "100"
//!     "#,
//! )?;
//!
//! // Exact counts where the vendor publishes its tokenizer.
//! let count = policy.count_tokens("gpt-4o", "Hello, world!")?;
//! assert_eq!((count.tokens, count.exact), (4, true));
//!
//! // One call: resolve, redact, count and reserve; then send `call.request()`.
//! let request = ChatRequest::from_json(
//!     r#"{"model": "fast", "messages": [
//!         {"role": "user", "content": "Write to jane@example.com"}]}"#,
//! )?;
//! let options = CallOptions {
//!     scope: Some("acme/search".into()),
//!     ..CallOptions::default()
//! };
//! let mut call = policy.begin(request, options)?;
//! let sent = call.request().to_value();
//! assert_eq!(sent["messages"][0]["content"], "Write to <EMAIL_1>");
//!
//! // Put the redacted values back into the vendor's reply, then settle with its usage.
//! assert_eq!(call.restore("Wrote to <EMAIL_1>."), "Wrote to jane@example.com.");
//! let usage = Usage::from_json(r#"{"prompt_tokens": 12, "completion_tokens": 7}"#)?;
//! let record = call.finish(usage)?;
//! assert_eq!(record.cost_usd.to_string(), "0.000006"); // 12 x $0.15/M + 7 x $0.60/M
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

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
