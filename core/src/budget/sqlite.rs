//! The `sqlite:PATH` store: budget state in one SQLite file, shared by every
//! process on the host and kept across restarts.
//!
//! The file is in WAL mode. Each reserve and each settle is one transaction
//! opened with `BEGIN IMMEDIATE`, which takes the write lock before the first
//! read, so two processes never check the same spend. Money is stored as
//! decimal strings and summed as [`Decimal`], never as SQLite reals.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;

use super::{
    Amounts, Check, Counted, Period, Post, ReserveOutcome, ReserveRequest, Store, Transaction,
    Unit, Usage,
};
use crate::error::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ingate_counters (
    scope TEXT NOT NULL,
    unit TEXT NOT NULL,
    period TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (scope, unit, period, start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingate_reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    expires_ms INTEGER NOT NULL,
    usd TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    requests INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ingate_reservations_expiry ON ingate_reservations (expires_ms);
CREATE TABLE IF NOT EXISTS ingate_holds (
    scope TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (scope, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ingate_holds_id ON ingate_holds (id);
";

/// Budget state in an SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (and creates when missing) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let open = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(path)?;
            // Other processes hold the write lock for one short transaction at a time.
            connection.busy_timeout(Duration::from_secs(10))?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            connection.execute_batch(SCHEMA)?;
            Ok(connection)
        };
        let connection = open().map_err(|error| unavailable(path, &error))?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A transaction that did not commit rolls back when it is dropped, so
        // a panic while the lock was held leaves the database unchanged.
        self.connection
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction and commits it.
    fn write<T>(&self, work: impl FnOnce(&mut SqliteTransaction<'_>) -> Result<T>) -> Result<T> {
        let mut connection = self.lock();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| unavailable(&self.path, &error))?;
        let mut tx = SqliteTransaction {
            transaction: &transaction,
            path: &self.path,
        };
        let value = work(&mut tx)?;
        transaction
            .commit()
            .map_err(|error| unavailable(&self.path, &error))?;
        Ok(value)
    }
}

fn unavailable(path: &Path, error: &rusqlite::Error) -> Error {
    Error::StoreUnavailable {
        store: format!("sqlite:{}", path.display()),
        message: error.to_string(),
    }
}

struct SqliteTransaction<'a> {
    transaction: &'a rusqlite::Transaction<'a>,
    path: &'a Path,
}

impl SqliteTransaction<'_> {
    fn fail(&self, error: rusqlite::Error) -> Error {
        unavailable(self.path, &error)
    }

    fn decimal(&self, text: &str) -> Result<Decimal> {
        text.parse().map_err(|_| Error::StoreUnavailable {
            store: format!("sqlite:{}", self.path.display()),
            message: format!(
                "the database holds `{text}` where an amount belongs; it was not written by ingate"
            ),
        })
    }
}

fn period_key(period: &Period) -> (&'static str, i64) {
    match period {
        Period::Calendar { window, start_ms } => (window.as_str(), *start_ms),
        Period::Second(ms) => ("second", *ms),
    }
}

impl Store for SqliteStore {
    fn reserve(&self, request: &ReserveRequest) -> Result<ReserveOutcome> {
        self.write(|tx| super::reserve_in(tx, request))
    }

    fn settle(&self, id: u64, posts: &[Post], now_ms: i64) -> Result<()> {
        self.write(|tx| {
            super::settle_in(tx, id, posts)?;
            // Rolling buckets older than the longest rolling window (an hour) count nowhere.
            tx.transaction
                .execute(
                    "DELETE FROM ingate_counters WHERE period = 'second' AND start_ms <= ?1",
                    params![now_ms - 3_600_000],
                )
                .map_err(|error| tx.fail(error))?;
            Ok(())
        })
    }

    fn release(&self, id: u64) -> Result<()> {
        self.write(|tx| tx.remove_reservation(id))
    }

    fn status(&self, checks: &[Check], now_ms: i64) -> Result<Vec<Usage>> {
        self.write(|tx| super::status_in(tx, checks, now_ms))
    }
}

impl Transaction for SqliteTransaction<'_> {
    fn expire(&mut self, now_ms: i64) -> Result<()> {
        self.transaction
            .execute(
                "DELETE FROM ingate_holds WHERE id IN \
                 (SELECT id FROM ingate_reservations WHERE expires_ms <= ?1)",
                params![now_ms],
            )
            .and_then(|_| {
                self.transaction.execute(
                    "DELETE FROM ingate_reservations WHERE expires_ms <= ?1",
                    params![now_ms],
                )
            })
            .map_err(|error| self.fail(error))?;
        Ok(())
    }

    fn committed(
        &mut self,
        scope: &str,
        unit: Unit,
        counted: Counted,
    ) -> Result<(Decimal, Option<i64>)> {
        match counted {
            Counted::Calendar { window, start_ms } => {
                let amount: Option<String> = self
                    .transaction
                    .query_row(
                        "SELECT amount FROM ingate_counters \
                         WHERE scope = ?1 AND unit = ?2 AND period = ?3 AND start_ms = ?4",
                        params![scope, unit.as_str(), window.as_str(), start_ms],
                        |row| row.get(0),
                    )
                    .optional()
                    .map_err(|error| self.fail(error))?;
                match amount {
                    Some(text) => Ok((self.decimal(&text)?, None)),
                    None => Ok((Decimal::ZERO, None)),
                }
            }
            Counted::RollingAfter(after_ms) => {
                let mut statement = self
                    .transaction
                    .prepare_cached(
                        "SELECT start_ms, amount FROM ingate_counters \
                         WHERE scope = ?1 AND unit = ?2 AND period = 'second' AND start_ms > ?3 \
                         ORDER BY start_ms",
                    )
                    .map_err(|error| self.fail(error))?;
                let rows = statement
                    .query_map(params![scope, unit.as_str(), after_ms], |row| {
                        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                    })
                    .map_err(|error| self.fail(error))?;
                let mut total = Decimal::ZERO;
                let mut oldest = None;
                for row in rows {
                    let (ms, text) = row.map_err(|error| self.fail(error))?;
                    oldest.get_or_insert(ms);
                    total += self.decimal(&text)?;
                }
                Ok((total, oldest))
            }
        }
    }

    fn reserved(&mut self, scope: &str, unit: Unit) -> Result<(Decimal, u64)> {
        let column = match unit {
            Unit::Usd => "r.usd",
            Unit::Tokens => "r.tokens",
            Unit::Requests => "r.requests",
        };
        let sql = format!(
            "SELECT CAST({column} AS TEXT) FROM ingate_holds h \
             JOIN ingate_reservations r ON r.id = h.id WHERE h.scope = ?1"
        );
        let mut statement = self
            .transaction
            .prepare_cached(&sql)
            .map_err(|error| self.fail(error))?;
        let rows = statement
            .query_map(params![scope], |row| row.get::<_, String>(0))
            .map_err(|error| self.fail(error))?;
        let mut total = Decimal::ZERO;
        let mut count = 0;
        for row in rows {
            let text = row.map_err(|error| self.fail(error))?;
            total += self.decimal(&text)?;
            count += 1;
        }
        Ok((total, count))
    }

    fn insert_reservation(
        &mut self,
        scopes: &[String],
        amounts: Amounts,
        expires_ms: i64,
    ) -> Result<u64> {
        let tokens = i64::try_from(amounts.tokens).unwrap_or(i64::MAX);
        let requests = i64::try_from(amounts.requests).unwrap_or(i64::MAX);
        self.transaction
            .execute(
                "INSERT INTO ingate_reservations (expires_ms, usd, tokens, requests) VALUES (?1, ?2, ?3, ?4)",
                params![expires_ms, amounts.usd.to_string(), tokens, requests],
            )
            .map_err(|error| self.fail(error))?;
        let id = self.transaction.last_insert_rowid();
        for scope in scopes {
            self.transaction
                .execute(
                    "INSERT INTO ingate_holds (scope, id) VALUES (?1, ?2)",
                    params![scope, id],
                )
                .map_err(|error| self.fail(error))?;
        }
        Ok(u64::try_from(id).unwrap_or(0))
    }

    fn remove_reservation(&mut self, id: u64) -> Result<()> {
        let id = i64::try_from(id).unwrap_or(i64::MAX);
        self.transaction
            .execute("DELETE FROM ingate_holds WHERE id = ?1", params![id])
            .and_then(|_| {
                self.transaction
                    .execute("DELETE FROM ingate_reservations WHERE id = ?1", params![id])
            })
            .map_err(|error| self.fail(error))?;
        Ok(())
    }

    fn post(&mut self, post: &Post) -> Result<()> {
        let (period, start_ms) = period_key(&post.period);
        let existing: Option<String> = self
            .transaction
            .query_row(
                "SELECT amount FROM ingate_counters \
                 WHERE scope = ?1 AND unit = ?2 AND period = ?3 AND start_ms = ?4",
                params![post.scope, post.unit.as_str(), period, start_ms],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.fail(error))?;
        let total = match existing {
            Some(text) => self.decimal(&text)? + post.amount,
            None => post.amount,
        };
        self.transaction
            .execute(
                "INSERT INTO ingate_counters (scope, unit, period, start_ms, amount) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (scope, unit, period, start_ms) DO UPDATE SET amount = excluded.amount",
                params![post.scope, post.unit.as_str(), period, start_ms, total.to_string()],
            )
            .map_err(|error| self.fail(error))?;
        Ok(())
    }
}
