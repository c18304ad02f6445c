//! The facade. (stub)

/// A policy.
#[derive(Debug, Default)]
pub struct Policy {}
/// A call.
#[derive(Debug)]
pub struct Call {}
/// Options for a call.
#[derive(Debug, Default)]
pub struct CallOptions {}
/// Usage.
#[derive(Debug, Default)]
pub struct Usage {}
impl Policy {
    /// Counts.
    pub fn count_tokens(&self, _model: &str, _text: &str) -> crate::Result<crate::TokenCount> {
        unimplemented!()
    }
}
