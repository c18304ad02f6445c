//! The `redis://HOST:PORT/DB` store.

use super::{Check, Post, ReserveOutcome, ReserveRequest, Store, Usage};
use crate::error::{Error, Result};

/// Budget state in a Redis server.
#[derive(Debug)]
pub struct RedisStore {
    url: String,
}

impl RedisStore {
    /// Connects to the server at `url`.
    pub fn open(url: &str) -> Result<RedisStore> {
        Err(Error::invalid_policy(format!(
            "[store] url `{}`: the Redis store is not built yet",
            crate::config::redact_url_credentials(url)
        )))
    }

    fn unsupported(&self) -> Error {
        Error::StoreUnavailable {
            store: crate::config::redact_url_credentials(&self.url),
            message: "the Redis store is not built yet".into(),
        }
    }
}

impl Store for RedisStore {
    fn reserve(&self, _request: &ReserveRequest) -> Result<ReserveOutcome> {
        Err(self.unsupported())
    }
    fn settle(&self, _id: u64, _posts: &[Post], _now_ms: i64) -> Result<()> {
        Err(self.unsupported())
    }
    fn release(&self, _id: u64) -> Result<()> {
        Err(self.unsupported())
    }
    fn status(&self, _checks: &[Check], _now_ms: i64) -> Result<Vec<Usage>> {
        Err(self.unsupported())
    }
}
