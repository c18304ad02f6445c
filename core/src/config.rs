//! The policy file. (stub)
