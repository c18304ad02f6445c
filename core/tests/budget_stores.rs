//! Budget behaviour run against every store: `memory:`, `sqlite:PATH` and
//! `redis://`.
//!
//! The Redis cases need `INGATE_TEST_REDIS_URL` (a server to share) and
//! `INGATE_TEST_REDIS_SERVER` (the `redis-server` binary, for the restart
//! case); `scripts/test.sh` sets both and starts the server.
//!
//! Cases that need several processes re-run this test binary: the parent
//! runs an ignored child test with `--ignored --exact` and passes its
//! parameters in `INGATE_TEST_CHILD_*` environment variables. The child
//! reports to the parent on standard output.
#![allow(clippy::print_stdout)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;

use ingate::budget::{Amounts, Ledger, MemoryStore, RedisStore, SqliteStore, Store};
use ingate::config::PolicyConfig;
use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn usd(text: &str) -> Amounts {
    Amounts {
        usd: text.parse().unwrap(),
        tokens: 0,
        requests: 1,
    }
}

fn config(text: &str) -> PolicyConfig {
    PolicyConfig::from_toml(text, None).unwrap()
}

/// A store under test, with the directory that holds its files.
struct Subject {
    name: &'static str,
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

fn redis_url() -> String {
    std::env::var("INGATE_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "INGATE_TEST_REDIS_URL is not set; run `bash scripts/test.sh`, which starts \
             redis-server on 127.0.0.1, or set it to redis://127.0.0.1:PORT/0 of a server you started"
        )
    })
}

/// Returns a key prefix no other test uses, so tests can share one Redis database.
fn unique_prefix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "ingate-test-{}-{}-{count}",
        std::process::id(),
        Timestamp::now().as_nanosecond()
    )
}

fn subjects() -> Vec<Subject> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("budget.sqlite3")).unwrap();
    let redis = RedisStore::with_prefix(&redis_url(), &unique_prefix()).unwrap();
    vec![
        Subject {
            name: "redis",
            store: Arc::new(redis),
            _dir: None,
        },
        Subject {
            name: "memory",
            store: Arc::new(MemoryStore::new()),
            _dir: None,
        },
        Subject {
            name: "sqlite",
            store: Arc::new(sqlite),
            _dir: Some(dir),
        },
    ]
}

fn ledger(subject: &Subject, policy: &str) -> Ledger {
    let config = config(policy);
    Ledger::new(
        &config.budgets,
        config.store.lease_seconds,
        subject.store.clone(),
    )
}

fn spent(ledger: &Ledger, scope: &str, now: Timestamp) -> (Decimal, Decimal, u64) {
    let status = ledger.status(now).unwrap();
    let limit = status
        .iter()
        .find(|status| status.scope == scope && status.unit == ingate::budget::Unit::Usd)
        .unwrap();
    (limit.spent, limit.reserved, limit.reservations)
}

const ACME_SEARCH: &str = "[[budgets]]\nscope = \"acme/search\"\nusd_per_month = \"1.00\"\n";

/// Reserves and settles $0.05 on `threads` threads and returns how many were allowed.
fn run_calls(ledger: &Arc<Ledger>, threads: usize, now: Timestamp) -> usize {
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let ledger = ledger.clone();
            thread::spawn(
                move || match ledger.reserve("acme/search", usd("0.05"), now) {
                    Ok(reserved) => {
                        ledger
                            .settle(reserved.id, "acme/search", usd("0.05"), now, now)
                            .unwrap();
                        true
                    }
                    Err(error) => {
                        assert_eq!(error.kind(), ingate::ErrorKind::BudgetExceeded);
                        false
                    }
                },
            )
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .filter(|allowed| *allowed)
        .count()
}

#[test]
fn concurrent_threads_stop_at_limit() {
    let now = at("2026-12-04T12:00:00Z");
    for subject in subjects() {
        let ledger = Arc::new(ledger(&subject, ACME_SEARCH));
        let allowed = run_calls(&ledger, 64, now);
        assert_eq!(allowed, 20, "{}", subject.name);
        let (settled, reserved, _) = spent(&ledger, "acme/search", now);
        assert_eq!(settled, Decimal::ONE, "{}", subject.name);
        assert_eq!(reserved, Decimal::ZERO, "{}", subject.name);
    }
}

/// Runs the child side of the multi-process cases, set up by the `INGATE_TEST_CHILD_*` variables.
#[test]
#[ignore = "run by the multi-process tests in a child process"]
fn child_process() {
    let target = std::env::var("INGATE_TEST_CHILD_STORE").expect("INGATE_TEST_CHILD_STORE");
    let mode = std::env::var("INGATE_TEST_CHILD_MODE").expect("INGATE_TEST_CHILD_MODE");
    let now = at(&std::env::var("INGATE_TEST_CHILD_NOW").expect("INGATE_TEST_CHILD_NOW"));
    let store = open_target(&target);
    let config = config(ACME_SEARCH);
    let ledger = Arc::new(Ledger::new(&config.budgets, 10, store));
    match mode.as_str() {
        "calls" => {
            let allowed = run_calls(&ledger, 16, now);
            println!("allowed={allowed}");
        }
        "hold" => {
            let reserved = ledger.reserve("acme/search", usd("0.40"), now).unwrap();
            println!("reserved={}", reserved.id);
            // Wait to be killed.
            thread::sleep(std::time::Duration::from_secs(120));
        }
        other => panic!("unknown INGATE_TEST_CHILD_MODE `{other}`"),
    }
}

/// Opens `sqlite:PATH` or `PREFIX@redis://...`, the stores that several processes share.
fn open_target(target: &str) -> Arc<dyn Store> {
    if let Some(path) = target.strip_prefix("sqlite:") {
        return Arc::new(SqliteStore::open(path.as_ref()).unwrap());
    }
    let (prefix, url) = target.split_once('@').unwrap();
    Arc::new(RedisStore::with_prefix(url, prefix).unwrap())
}

fn child(target: &str, mode: &str, now: Timestamp) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--ignored",
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("INGATE_TEST_CHILD_STORE", target)
        .env("INGATE_TEST_CHILD_MODE", mode)
        .env("INGATE_TEST_CHILD_NOW", now.to_string())
        .stdout(Stdio::piped());
    command
}

/// Returns the shared-store targets for the multi-process cases, with the directory that holds the SQLite file.
fn targets() -> (Vec<String>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budget.sqlite3");
    // Create the schema once, so the children do not race to create it.
    SqliteStore::open(&path).unwrap();
    let sqlite = format!("sqlite:{}", path.display());
    let redis = format!("{}@{}", unique_prefix(), redis_url());
    (vec![sqlite, redis], dir)
}

#[test]
fn processes_stop_at_limit() {
    let now = at("2026-12-04T12:00:00Z");
    let (targets, _dir) = targets();
    for target in targets {
        let children: Vec<_> = (0..4)
            .map(|_| child(&target, "calls", now).spawn().unwrap())
            .collect();
        let mut allowed = 0;
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{target}: child failed: {:?}",
                output.status
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            let line = stdout
                .lines()
                .find_map(|line| line.split("allowed=").nth(1))
                .unwrap_or_else(|| panic!("no allowed= line in child output: {stdout}"));
            let digits: String = line.chars().take_while(char::is_ascii_digit).collect();
            allowed += digits.parse::<usize>().unwrap();
        }
        assert_eq!(allowed, 20, "{target}");

        let config = config(ACME_SEARCH);
        let ledger = Ledger::new(&config.budgets, 10, open_target(&target));
        let (settled, reserved, _) = spent(&ledger, "acme/search", now);
        assert_eq!(settled, Decimal::ONE, "{target}");
        assert_eq!(reserved, Decimal::ZERO, "{target}");
    }
}

#[test]
fn killed_process_reservation_expires() {
    let now = at("2026-12-04T12:00:00Z");
    let (targets, _dir) = targets();
    for target in targets {
        let mut holder = child(&target, "hold", now).spawn().unwrap();
        let mut stdout = std::io::BufReader::new(holder.stdout.take().unwrap());
        let mut line = String::new();
        // The test harness prints the child's output after its own `test child_process ... ` prefix.
        while !line.contains("reserved=") {
            line.clear();
            let read = std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
            assert!(read > 0, "{target}: the child exited before it reserved");
        }
        // Child::kill sends SIGKILL on Unix.
        holder.kill().unwrap();
        holder.wait().unwrap();

        let config = config(ACME_SEARCH);
        let ledger = Ledger::new(&config.budgets, 10, open_target(&target));
        let (settled, reserved, count) = spent(&ledger, "acme/search", now);
        assert_eq!(settled, Decimal::ZERO, "{target}");
        assert_eq!(reserved, "0.40".parse::<Decimal>().unwrap(), "{target}");
        assert_eq!(count, 1, "{target}");

        // The children use a 10-second lease.
        let later = now + SignedDuration::from_secs(10);
        let (settled, reserved, count) = spent(&ledger, "acme/search", later);
        assert_eq!(settled, Decimal::ZERO, "{target}");
        assert_eq!(reserved, Decimal::ZERO, "{target}");
        assert_eq!(count, 0, "{target}");
        assert!(
            ledger.reserve("acme/search", usd("1.00"), later).is_ok(),
            "{target}"
        );
    }
}

#[test]
fn unseen_scope_first_calls_allow_one() {
    let now = at("2026-12-04T12:00:00Z");
    for subject in subjects() {
        let ledger = Arc::new(ledger(
            &subject,
            "[[budgets]]\nscope = \"fresh\"\nusd_per_day = \"0.000001\"\n",
        ));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let ledger = ledger.clone();
                thread::spawn(move || ledger.reserve("fresh", usd("0.000001"), now).is_ok())
            })
            .collect();
        let allowed = handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .filter(|allowed| *allowed)
            .count();
        assert_eq!(allowed, 1, "{}", subject.name);
    }
}

#[test]
fn settled_calls_free_their_reservation() {
    let now = at("2026-12-04T12:00:00Z");
    for subject in subjects() {
        let ledger = ledger(
            &subject,
            "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"0.30\"\n",
        );
        for call in 1..=5 {
            let reserved = ledger
                .reserve("acme/search", usd("0.10"), now)
                .unwrap_or_else(|error| panic!("{}: call {call} denied: {error}", subject.name));
            ledger
                .settle(reserved.id, "acme/search", usd("0.0003"), now, now)
                .unwrap();
        }
        let (settled, reserved, _) = spent(&ledger, "acme", now);
        assert_eq!(
            settled,
            "0.0015".parse::<Decimal>().unwrap(),
            "{}",
            subject.name
        );
        assert_eq!(reserved, Decimal::ZERO, "{}", subject.name);
    }
}

#[test]
fn added_window_counts_from_its_start() {
    let november = at("2026-11-15T12:00:00Z");
    let today = at("2026-12-04T12:00:00Z");
    for subject in subjects() {
        let before = ledger(
            &subject,
            "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"10\"\n",
        );
        for (when, amount) in [
            (november, "2"),
            (at("2026-12-02T12:00:00Z"), "3"),
            (today, "1"),
        ] {
            let reserved = before.reserve("acme", usd(amount), when).unwrap();
            before
                .settle(reserved.id, "acme", usd(amount), when, when)
                .unwrap();
        }

        // The same store under a policy that adds a daily limit.
        let after = ledger(
            &subject,
            "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"10\"\nusd_per_day = \"1.50\"\n",
        );
        let denied = after.reserve("acme", usd("0.60"), today).unwrap_err();
        assert!(
            denied.to_string().contains("per day"),
            "{}: {denied}",
            subject.name
        );
        assert!(
            after.reserve("acme", usd("0.50"), today).is_ok(),
            "{}",
            subject.name
        );

        let status = after.status(today).unwrap();
        let month = status
            .iter()
            .find(|s| {
                s.window == ingate::budget::Window::Month && s.unit == ingate::budget::Unit::Usd
            })
            .unwrap();
        let day = status
            .iter()
            .find(|s| {
                s.window == ingate::budget::Window::Day && s.unit == ingate::budget::Unit::Usd
            })
            .unwrap();
        assert_eq!(month.spent, Decimal::from(4), "{}", subject.name);
        assert_eq!(day.spent, Decimal::ONE, "{}", subject.name);
    }
}

#[test]
fn berlin_month_starts_in_berlin() {
    let policy =
        "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"1\"\ntime_zone = \"Europe/Berlin\"\n";
    // 23:30 UTC on 30 November is 00:30 on 1 December in Berlin (UTC+1).
    let late = at("2026-11-30T23:30:00Z");
    for subject in subjects() {
        let ledger = ledger(&subject, policy);
        let reserved = ledger.reserve("acme", usd("1"), late).unwrap();
        ledger
            .settle(reserved.id, "acme", usd("1"), late, late)
            .unwrap();

        // Earlier on 30 November in Berlin, November's budget is untouched.
        let november = at("2026-11-30T22:00:00Z");
        assert!(
            ledger.reserve("acme", usd("1"), november).is_ok(),
            "{}",
            subject.name
        );

        let december = at("2026-12-01T10:00:00Z");
        let denied = ledger.reserve("acme", usd("0.01"), december).unwrap_err();
        let ingate::Error::BudgetExceeded {
            resets_at, spent, ..
        } = denied
        else {
            panic!("{}: expected BudgetExceeded", subject.name);
        };
        assert_eq!(spent, Decimal::ONE, "{}", subject.name);
        assert_eq!(resets_at, at("2026-12-31T23:00:00Z"), "{}", subject.name);
    }
}

#[test]
fn unknown_time_zone_is_rejected() {
    let error = PolicyConfig::from_toml(
        "[[budgets]]\nscope = \"acme\"\nusd_per_month = \"1\"\ntime_zone = \"Mars/Olympus\"\n",
        None,
    )
    .unwrap_err();
    assert!(error.to_string().contains("Mars/Olympus"), "{error}");
}

#[test]
fn sqlite_state_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("budget.sqlite3");
    let now = at("2026-12-04T12:00:00Z");
    let config = config(ACME_SEARCH);
    {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
        let ledger = Ledger::new(&config.budgets, 600, store);
        let reserved = ledger.reserve("acme/search", usd("0.25"), now).unwrap();
        ledger
            .settle(reserved.id, "acme/search", usd("0.125"), now, now)
            .unwrap();
        ledger.reserve("acme/search", usd("0.5"), now).unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let ledger = Ledger::new(&config.budgets, 600, store);
    let (settled, reserved, count) = spent(&ledger, "acme/search", now);
    assert_eq!(settled, "0.125".parse::<Decimal>().unwrap());
    assert_eq!(reserved, "0.5".parse::<Decimal>().unwrap());
    assert_eq!(count, 1);
}

#[test]
fn unreadable_sqlite_path_is_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = SqliteStore::open(&dir.path().join("missing/dir/budget.sqlite3")).unwrap_err();
    assert_eq!(error.kind(), ingate::ErrorKind::StoreUnavailable);
}

/// A `redis-server` that this test starts on 127.0.0.1 with append-only persistence.
struct RedisServer {
    process: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl RedisServer {
    fn start(dir: &std::path::Path, port: u16) -> RedisServer {
        let binary = std::env::var("INGATE_TEST_REDIS_SERVER").unwrap_or_else(|_| {
            panic!(
                "INGATE_TEST_REDIS_SERVER is not set; run `bash scripts/test.sh`, or set it to \
                 the path of redis-server"
            )
        });
        let process = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = RedisServer {
            process,
            port,
            dir: dir.to_path_buf(),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not start on 127.0.0.1:{port}");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(mut self) -> (std::path::PathBuf, u16) {
        self.process.kill().unwrap();
        self.process.wait().unwrap();
        (self.dir.clone(), self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[test]
fn redis_restart_keeps_spend() {
    use ingate::{CallOptions, ChatRequest, Clock, ManualClock, Policy, Usage};

    let dir = tempfile::tempdir().unwrap();
    // The shared test server listens on INGATE_TEST_REDIS_URL's port; this one uses the next port.
    let shared_port: u16 = redis_url()
        .rsplit(':')
        .next()
        .and_then(|tail| tail.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or(6390);
    let server = RedisServer::start(dir.path(), shared_port + 1);
    let policy_text = format!(
        "[store]\nurl = \"{}\"\non_error = \"deny\"\n[[budgets]]\nscope = \"acme\"\nusd_per_day = \"100\"\n",
        server.url()
    );
    let clock = Arc::new(ManualClock::new(at("2026-12-04T12:00:00Z")));
    let policy = Policy::from_toml(&policy_text)
        .unwrap()
        .with_clock(clock.clone());
    let request = || {
        ChatRequest::from_value(serde_json::json!({
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Summarize the report."}],
            "max_tokens": 100
        }))
        .unwrap()
    };
    let options = || CallOptions {
        scope: Some("acme".into()),
        tags: Default::default(),
    };
    let usage = Usage {
        input_tokens: 1000,
        output_tokens: 100,
        ..Usage::default()
    };

    let mut before = Decimal::ZERO;
    for _ in 0..3 {
        let mut call = policy.begin(request(), options()).unwrap();
        let record = call.finish(usage).unwrap();
        assert_eq!(record.store_error, None);
        before += record.cost_usd;
    }
    assert!(before > Decimal::ZERO);

    // Stop the server in the middle of the run: calls are denied and the records say why.
    let (dir_path, port) = server.stop();
    let denied = policy.begin(request(), options()).unwrap_err();
    assert_eq!(denied.error.kind(), ingate::ErrorKind::StoreUnavailable);
    let store_error = denied.record.store_error.clone().unwrap();
    assert!(store_error.contains("on_error = \"deny\""), "{store_error}");
    assert_eq!(
        denied.record.deny_reason.as_deref(),
        Some("store_unavailable")
    );

    // After a restart from the append-only file, the spend from before the stop is intact.
    let _server = RedisServer::start(&dir_path, port);
    let status_ledger = {
        let config = config(&policy_text);
        Ledger::new(
            &config.budgets,
            config.store.lease_seconds,
            Arc::new(RedisStore::open(&config.store.url).unwrap()),
        )
    };
    let (settled, reserved, count) = spent(&status_ledger, "acme", clock.now());
    assert_eq!(settled, before);
    assert_eq!(reserved, Decimal::ZERO);
    assert_eq!(count, 0);

    let mut call = policy.begin(request(), options()).unwrap();
    let record = call.finish(usage).unwrap();
    assert_eq!(record.store_error, None);
    let (settled, _, _) = spent(&status_ledger, "acme", clock.now());
    assert_eq!(settled, before + record.cost_usd);
}

#[test]
fn on_error_allow_records_store_error() {
    use ingate::{CallOptions, ChatRequest, Policy};

    // Nothing listens on port 9 of 127.0.0.1 (the discard port), so every connection fails.
    let policy = Policy::from_toml(
        "[store]\nurl = \"redis://127.0.0.1:9/0\"\non_error = \"allow\"\n\
         [[budgets]]\nscope = \"acme\"\nusd_per_day = \"1\"\n",
    )
    .unwrap();
    let request = ChatRequest::from_value(serde_json::json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hello"}],
        "max_tokens": 10
    }))
    .unwrap();
    let mut call = policy
        .begin(
            request,
            CallOptions {
                scope: Some("acme".into()),
                tags: Default::default(),
            },
        )
        .unwrap();
    let record = call.abort("test");
    let store_error = record.store_error.unwrap();
    assert!(
        store_error.contains("on_error = \"allow\""),
        "{store_error}"
    );
}
