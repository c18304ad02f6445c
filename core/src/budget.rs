//! Budgets. (stub)
