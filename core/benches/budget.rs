//! Reserve-plus-settle pairs per second for each budget store.
//!
//! Run with `cargo bench -p ingate --bench budget`. The Redis cases need
//! `INGATE_BENCH_REDIS_URL` (for example `redis://127.0.0.1:6390/0`) and are
//! left out without it; criterion reports the time of one pair (one reserve
//! and one settle on a scope with two budgeted ancestors).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ingate::budget::{Amounts, Ledger, MemoryStore, RedisStore, SqliteStore, Store};
use ingate::config::PolicyConfig;
use jiff::Timestamp;
use rust_decimal::Decimal;

const POLICY: &str = "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"1000000000\"\n\
    [[budgets]]\nscope = \"acme/search\"\nusd_per_day = \"1000000000\"\nrequests_per_minute = 1000000000\n";

fn ledger(store: Arc<dyn Store>) -> Ledger {
    let config = PolicyConfig::from_toml(POLICY, None).expect("the benchmark policy is valid");
    Ledger::new(&config.budgets, 600, store)
}

fn pair(ledger: &Ledger, now: Timestamp) {
    let amounts = Amounts {
        usd: Decimal::new(5, 2),
        tokens: 1200,
        requests: 1,
    };
    let reserved = ledger
        .reserve("acme/search/rerank", amounts, now)
        .expect("the limits are out of reach");
    ledger
        .settle(reserved.id, "acme/search/rerank", amounts, now, now)
        .expect("the store is up");
    black_box(reserved);
}

fn bench_store(criterion: &mut Criterion, name: &str, store: Arc<dyn Store>) {
    let ledger = Arc::new(ledger(store));
    let now = Timestamp::now();
    criterion.bench_function(&format!("{name}: reserve+settle, 1 thread"), |bencher| {
        bencher.iter(|| pair(&ledger, now))
    });
    criterion.bench_function(&format!("{name}: reserve+settle, 2 threads"), |bencher| {
        bencher.iter_custom(|iterations| {
            let start = std::time::Instant::now();
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let ledger = ledger.clone();
                    std::thread::spawn(move || {
                        for _ in 0..iterations.div_ceil(2) {
                            pair(&ledger, now);
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().expect("a benchmark thread panicked");
            }
            start.elapsed()
        })
    });
}

fn stores(criterion: &mut Criterion) {
    bench_store(criterion, "memory", Arc::new(MemoryStore::new()));

    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = SqliteStore::open(&dir.path().join("bench.sqlite3")).expect("SQLite opens");
    bench_store(criterion, "sqlite", Arc::new(sqlite));

    if let Ok(url) = std::env::var("INGATE_BENCH_REDIS_URL") {
        let prefix = format!("ingate-bench-{}", std::process::id());
        let redis = RedisStore::with_prefix(&url, &prefix).expect("a valid Redis URL");
        bench_store(criterion, "redis", Arc::new(redis));
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
