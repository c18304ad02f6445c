//! The `redis://HOST:PORT/DB` store: budget state in a Redis server, shared
//! by every process on every host that points at it.
//!
//! Each reserve, settle, release and status is one Lua script run with
//! `EVALSHA`, so it is atomic on the server and costs one round trip (two the
//! first time a server sees the script, when the client loads it).
//!
//! Lua numbers are doubles, so amounts cross into Redis as integers: USD in
//! nano-dollars (10^-9 USD), exact up to 2^53 nano-dollars (about
//! 9 million USD per counter). Reserved and settled amounts round up to the
//! next nano-dollar and limits round down, so rounding never lets spend past
//! a limit.
//!
//! Keys are `{prefix}:c:{scope}:{unit}:{window}:{start_ms}` (calendar
//! counters), `{prefix}:r:{scope}:{unit}` (rolling one-second buckets),
//! `{prefix}:res:{id}` (one reservation), `{prefix}:held:{scope}` (the
//! reservations held at a scope), `{prefix}:exp` (reservations by expiry)
//! and `{prefix}:next` (the last id). The default prefix is `ingate`.
// NOTE: the scripts build key names from their arguments, so they run on a
// single Redis server, not on a Redis Cluster.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use redis::{Client, Connection, Script};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{Check, Counted, Period, Post, ReserveOutcome, ReserveRequest, Store, Unit, Usage};
use crate::error::{Error, Result};

const COMMON: &str = r#"
local prefix = KEYS[1]
local function expire(now)
  local ids = redis.call('ZRANGEBYSCORE', prefix .. ':exp', '-inf', now)
  for _, id in ipairs(ids) do
    local scopes = redis.call('HGET', prefix .. ':res:' .. id, 'scopes')
    if scopes then
      for scope in string.gmatch(scopes, '[^\n]+') do
        redis.call('SREM', prefix .. ':held:' .. scope, id)
      end
    end
    redis.call('DEL', prefix .. ':res:' .. id)
    redis.call('ZREM', prefix .. ':exp', id)
  end
end
local function remove(id)
  local scopes = redis.call('HGET', prefix .. ':res:' .. id, 'scopes')
  if scopes then
    for scope in string.gmatch(scopes, '[^\n]+') do
      redis.call('SREM', prefix .. ':held:' .. scope, id)
    end
  end
  redis.call('DEL', prefix .. ':res:' .. id)
  redis.call('ZREM', prefix .. ':exp', id)
end
local function committed(scope, unit, kind, window, bound)
  if kind == 'cal' then
    local value = redis.call('GET', prefix .. ':c:' .. scope .. ':' .. unit .. ':' .. window .. ':' .. bound)
    return tonumber(value or '0'), -1
  end
  local fields = redis.call('HGETALL', prefix .. ':r:' .. scope .. ':' .. unit)
  local total, oldest = 0, -1
  local after = tonumber(bound)
  for i = 1, #fields, 2 do
    local bucket = tonumber(fields[i])
    if bucket > after then
      total = total + tonumber(fields[i + 1])
      if oldest < 0 or bucket < oldest then oldest = bucket end
    end
  end
  return total, oldest
end
local function reserved(scope, unit)
  local ids = redis.call('SMEMBERS', prefix .. ':held:' .. scope)
  local total = 0
  for _, id in ipairs(ids) do
    total = total + tonumber(redis.call('HGET', prefix .. ':res:' .. id, unit) or '0')
  end
  return total, #ids
end
"#;

const RESERVE: &str = r#"
local now = tonumber(ARGV[1])
expire(now)
local n = 4
local nscopes = tonumber(ARGV[n]); n = n + 1
local scopes = {}
for i = 1, nscopes do scopes[i] = ARGV[n]; n = n + 1 end
local amounts = {usd = ARGV[n], tokens = ARGV[n + 1], requests = ARGV[n + 2]}; n = n + 3
local nchecks = tonumber(ARGV[n]); n = n + 1
local result = {1, 0}
for i = 1, nchecks do
  local scope, unit, kind, window, bound = ARGV[n], ARGV[n + 1], ARGV[n + 2], ARGV[n + 3], ARGV[n + 4]
  local limit, requested = tonumber(ARGV[n + 5]), tonumber(ARGV[n + 6])
  n = n + 7
  local spent, oldest = committed(scope, unit, kind, window, bound)
  local held = reserved(scope, unit)
  local used = spent + held
  if used + requested > limit then
    return {0, i - 1, used, oldest}
  end
  result[#result + 1] = used
end
local id = redis.call('INCR', prefix .. ':next')
redis.call('HSET', prefix .. ':res:' .. id, 'usd', amounts.usd, 'tokens', amounts.tokens,
  'requests', amounts.requests, 'scopes', table.concat(scopes, '\n'))
redis.call('ZADD', prefix .. ':exp', ARGV[2], id)
for _, scope in ipairs(scopes) do redis.call('SADD', prefix .. ':held:' .. scope, id) end
result[2] = id
return result
"#;

const SETTLE: &str = r#"
local now = tonumber(ARGV[1])
remove(ARGV[2])
local n = 4
local nposts = tonumber(ARGV[3])
local pruned = {}
for i = 1, nposts do
  local scope, unit, kind, window, start, amount = ARGV[n], ARGV[n + 1], ARGV[n + 2], ARGV[n + 3], ARGV[n + 4], ARGV[n + 5]
  n = n + 6
  if kind == 'cal' then
    redis.call('INCRBY', prefix .. ':c:' .. scope .. ':' .. unit .. ':' .. window .. ':' .. start, amount)
  else
    local key = prefix .. ':r:' .. scope .. ':' .. unit
    redis.call('HINCRBY', key, start, amount)
    if not pruned[key] then
      pruned[key] = true
      local buckets = redis.call('HKEYS', key)
      for _, bucket in ipairs(buckets) do
        if tonumber(bucket) <= now - 3600000 then redis.call('HDEL', key, bucket) end
      end
    end
  end
end
return 1
"#;

const RELEASE: &str = r#"
remove(ARGV[1])
return 1
"#;

const STATUS: &str = r#"
local now = tonumber(ARGV[1])
expire(now)
local n = 3
local result = {}
for i = 1, tonumber(ARGV[2]) do
  local scope, unit, kind, window, bound = ARGV[n], ARGV[n + 1], ARGV[n + 2], ARGV[n + 3], ARGV[n + 4]
  n = n + 5
  local spent, oldest = committed(scope, unit, kind, window, bound)
  local held, count = reserved(scope, unit)
  result[#result + 1] = spent
  result[#result + 1] = held
  result[#result + 1] = count
  result[#result + 1] = oldest
end
return result
"#;

/// Budget state in a Redis server.
pub struct RedisStore {
    client: Client,
    shown_url: String,
    prefix: String,
    connection: Mutex<Option<Connection>>,
    reserve: Script,
    settle: Script,
    release: Script,
    status: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RedisStore")
            .field("url", &self.shown_url)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

const TIMEOUT: Duration = Duration::from_secs(2);

impl RedisStore {
    /// Creates a store for the server at `url` with the key prefix `ingate`.
    ///
    /// The connection opens on first use and reopens after a failure, so a
    /// server that is down now does not stop the policy from loading.
    pub fn open(url: &str) -> Result<RedisStore> {
        RedisStore::with_prefix(url, "ingate")
    }

    /// Creates a store whose keys start with `prefix`, so several ledgers can share one database.
    pub fn with_prefix(url: &str, prefix: &str) -> Result<RedisStore> {
        let shown_url = crate::config::redact_url_credentials(url);
        let client = Client::open(url).map_err(|_| {
            Error::invalid_policy(format!(
                "[store] url `{shown_url}` is not a valid Redis URL; use redis://HOST:PORT/DB"
            ))
        })?;
        let script = |body: &str| Script::new(&format!("{COMMON}{body}"));
        Ok(RedisStore {
            client,
            shown_url,
            prefix: prefix.to_string(),
            connection: Mutex::new(None),
            reserve: script(RESERVE),
            settle: script(SETTLE),
            release: script(RELEASE),
            status: script(STATUS),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        self.connection
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn unavailable(&self, message: String) -> Error {
        Error::StoreUnavailable {
            store: self.shown_url.clone(),
            message,
        }
    }

    /// Runs one script invocation, reconnecting first when the last call failed.
    fn run<T: redis::FromRedisValue>(&self, invocation: &redis::ScriptInvocation<'_>) -> Result<T> {
        let mut slot = self.lock();
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(TIMEOUT)
                .and_then(|connection| {
                    connection.set_read_timeout(Some(TIMEOUT))?;
                    connection.set_write_timeout(Some(TIMEOUT))?;
                    Ok(connection)
                })
                .map_err(|error| self.unavailable(format!("cannot connect: {error}")))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(self.unavailable("no connection".into()));
        };
        match invocation.invoke(connection) {
            Ok(value) => Ok(value),
            Err(error) => {
                // Drop the connection: after an I/O error its state is unknown.
                *slot = None;
                Err(self.unavailable(error.to_string()))
            }
        }
    }

    /// Converts `amount` to the integer Redis keeps: amounts round up, limits
    /// round down and a limit past 2^53 - 1 becomes that maximum.
    fn nanos(&self, amount: Decimal, unit: Unit, round_up: bool) -> Result<i64> {
        const MAX: i64 = (1 << 53) - 1;
        let scaled = match unit {
            Unit::Usd => amount * Decimal::from(1_000_000_000),
            Unit::Tokens | Unit::Requests => amount,
        };
        if round_up {
            scaled
                .ceil()
                .to_i64()
                .filter(|value| value.unsigned_abs() <= MAX as u64)
                .ok_or_else(|| {
                    self.unavailable(format!(
                        "amount {amount} {} is too large for the Redis store, which holds at most \
                         9007199254740991 nano-dollars or tokens per counter",
                        unit.as_str()
                    ))
                })
        } else {
            Ok(scaled.floor().to_i64().unwrap_or(MAX).min(MAX))
        }
    }
}

fn from_nanos(value: i64, unit: Unit) -> Decimal {
    match unit {
        Unit::Usd => Decimal::new(value, 9).normalize(),
        Unit::Tokens | Unit::Requests => Decimal::from(value),
    }
}

fn counted_args(counted: Counted) -> (&'static str, &'static str, i64) {
    match counted {
        Counted::Calendar { window, start_ms } => ("cal", window.as_str(), start_ms),
        Counted::RollingAfter(after_ms) => ("roll", "second", after_ms),
    }
}

impl Store for RedisStore {
    fn reserve(&self, request: &ReserveRequest) -> Result<ReserveOutcome> {
        let mut invocation = self.reserve.prepare_invoke();
        invocation
            .key(&self.prefix)
            .arg(request.now_ms)
            .arg(request.expires_ms)
            .arg(0)
            .arg(request.scopes.len());
        for scope in &request.scopes {
            invocation.arg(scope);
        }
        invocation
            .arg(self.nanos(request.amounts.usd, Unit::Usd, true)?)
            .arg(request.amounts.tokens)
            .arg(request.amounts.requests)
            .arg(request.checks.len());
        for check in &request.checks {
            let (kind, window, bound) = counted_args(check.counted);
            invocation
                .arg(&check.scope)
                .arg(check.unit.as_str())
                .arg(kind)
                .arg(window)
                .arg(bound)
                .arg(self.nanos(check.limit, check.unit, false)?)
                .arg(self.nanos(check.requested, check.unit, true)?);
        }
        let reply: Vec<i64> = self.run(&invocation)?;
        match reply.as_slice() {
            [1, id, used @ ..] => Ok(ReserveOutcome::Reserved {
                id: u64::try_from(*id).unwrap_or(0),
                used: used
                    .iter()
                    .zip(&request.checks)
                    .map(|(used, check)| from_nanos(*used, check.unit))
                    .collect(),
            }),
            [0, index, used, oldest] => {
                let index = usize::try_from(*index).unwrap_or(usize::MAX);
                let unit = request
                    .checks
                    .get(index)
                    .map(|check| check.unit)
                    .unwrap_or(Unit::Usd);
                Ok(ReserveOutcome::Denied {
                    check: index,
                    used: from_nanos(*used, unit),
                    oldest_ms: (*oldest >= 0).then_some(*oldest),
                })
            }
            _ => Err(self.unavailable("the reserve script returned an unexpected reply".into())),
        }
    }

    fn settle(&self, id: u64, posts: &[Post], now_ms: i64) -> Result<()> {
        let mut invocation = self.settle.prepare_invoke();
        invocation
            .key(&self.prefix)
            .arg(now_ms)
            .arg(id)
            .arg(posts.len());
        for post in posts {
            let (kind, window, start) = match &post.period {
                Period::Calendar { window, start_ms } => ("cal", window.as_str(), *start_ms),
                Period::Second(ms) => ("roll", "second", *ms),
            };
            invocation
                .arg(&post.scope)
                .arg(post.unit.as_str())
                .arg(kind)
                .arg(window)
                .arg(start)
                .arg(self.nanos(post.amount, post.unit, true)?);
        }
        let _: i64 = self.run(&invocation)?;
        Ok(())
    }

    fn release(&self, id: u64) -> Result<()> {
        let mut invocation = self.release.prepare_invoke();
        invocation.key(&self.prefix).arg(id);
        let _: i64 = self.run(&invocation)?;
        Ok(())
    }

    fn status(&self, checks: &[Check], now_ms: i64) -> Result<Vec<Usage>> {
        let mut invocation = self.status.prepare_invoke();
        invocation.key(&self.prefix).arg(now_ms).arg(checks.len());
        for check in checks {
            let (kind, window, bound) = counted_args(check.counted);
            invocation
                .arg(&check.scope)
                .arg(check.unit.as_str())
                .arg(kind)
                .arg(window)
                .arg(bound);
        }
        let reply: Vec<i64> = self.run(&invocation)?;
        if reply.len() != checks.len() * 4 {
            return Err(self.unavailable("the status script returned an unexpected reply".into()));
        }
        Ok(reply
            .chunks(4)
            .zip(checks)
            .map(|(values, check)| Usage {
                committed: from_nanos(values[0], check.unit),
                reserved: from_nanos(values[1], check.unit),
                reservations: u64::try_from(values[2]).unwrap_or(0),
                oldest_ms: (values[3] >= 0).then_some(values[3]),
            })
            .collect())
    }
}
