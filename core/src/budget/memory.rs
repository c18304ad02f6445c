//! The `memory:` store: budget state of this process only, lost when it exits.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use rust_decimal::Decimal;

use super::{
    Amounts, Check, Counted, Period, Post, ReserveOutcome, ReserveRequest, Store, Transaction,
    Unit, Usage,
};
use crate::error::Result;

#[derive(Debug, Clone)]
struct Held {
    scopes: Vec<String>,
    amounts: Amounts,
    expires_ms: i64,
}

#[derive(Debug, Default)]
struct State {
    counters: HashMap<(String, Unit), BTreeMap<Period, Decimal>>,
    reservations: HashMap<u64, Held>,
    next_id: u64,
}

/// Budget state in process memory, shared by every clone of one policy.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// Creates an empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A reserve writes only after all its checks pass. A settle could panic
        // between two posts only on a Decimal overflow (near 7.9e28), which
        // would leave part of its spend unposted, never counted twice.
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Store for MemoryStore {
    fn reserve(&self, request: &ReserveRequest) -> Result<ReserveOutcome> {
        super::reserve_in(&mut *self.lock(), request)
    }

    fn settle(&self, id: u64, posts: &[Post], _now_ms: i64) -> Result<()> {
        super::settle_in(&mut *self.lock(), id, posts)
    }

    fn release(&self, id: u64) -> Result<()> {
        self.lock().reservations.remove(&id);
        Ok(())
    }

    fn status(&self, checks: &[Check], now_ms: i64) -> Result<Vec<Usage>> {
        super::status_in(&mut *self.lock(), checks, now_ms)
    }
}

impl Transaction for State {
    fn expire(&mut self, now_ms: i64) -> Result<()> {
        self.reservations.retain(|_, held| held.expires_ms > now_ms);
        Ok(())
    }

    fn committed(
        &mut self,
        scope: &str,
        unit: Unit,
        counted: Counted,
    ) -> Result<(Decimal, Option<i64>)> {
        let Some(periods) = self.counters.get_mut(&(scope.to_string(), unit)) else {
            return Ok((Decimal::ZERO, None));
        };
        match counted {
            Counted::Calendar { window, start_ms } => Ok((
                periods
                    .get(&Period::Calendar { window, start_ms })
                    .copied()
                    .unwrap_or_default(),
                None,
            )),
            Counted::RollingAfter(after_ms) => {
                let mut total = Decimal::ZERO;
                let mut oldest = None;
                for (period, amount) in periods.range(Period::Second(after_ms + 1)..) {
                    if let Period::Second(ms) = period {
                        oldest.get_or_insert(*ms);
                        total += *amount;
                    }
                }
                Ok((total, oldest))
            }
        }
    }

    fn reserved(&mut self, scope: &str, unit: Unit) -> Result<(Decimal, u64)> {
        let mut total = Decimal::ZERO;
        let mut count = 0;
        for held in self.reservations.values() {
            if held.scopes.iter().any(|held_scope| held_scope == scope) {
                total += held.amounts.get(unit);
                count += 1;
            }
        }
        Ok((total, count))
    }

    fn insert_reservation(
        &mut self,
        scopes: &[String],
        amounts: Amounts,
        expires_ms: i64,
    ) -> Result<u64> {
        self.next_id += 1;
        let id = self.next_id;
        self.reservations.insert(
            id,
            Held {
                scopes: scopes.to_vec(),
                amounts,
                expires_ms,
            },
        );
        Ok(id)
    }

    fn remove_reservation(&mut self, id: u64) -> Result<()> {
        self.reservations.remove(&id);
        Ok(())
    }

    fn post(&mut self, post: &Post) -> Result<()> {
        let periods = self
            .counters
            .entry((post.scope.clone(), post.unit))
            .or_default();
        *periods.entry(post.period.clone()).or_default() += post.amount;

        // Rolling buckets older than the longest rolling window (an hour) count nowhere.
        if let Period::Second(ms) = post.period {
            let horizon = Period::Second(ms - 3_600_000);
            let recent = periods.split_off(&horizon);
            periods.retain(|period, _| matches!(period, Period::Calendar { .. }));
            periods.extend(recent);
        }
        Ok(())
    }
}
