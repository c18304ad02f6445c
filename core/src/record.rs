//! Call records. (stub)

/// A record of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {}
