//! Fleet revocation through a real redis-server (feature `redis`).
//!
//! Run with `.ci/with-redis cargo test --features redis --test redis`. With the feature on, these
//! tests fail (they do not skip) when `TESSERA_REDIS_URL` is unset or the server does not answer,
//! so that a CI run cannot pass without exercising Redis. The restart test starts its own
//! redis-server (`TESSERA_REDIS_SERVER`, or `redis-server` on the PATH) on another free port so
//! that killing it does not disturb the other tests.
//!
//! Stated delays, all far above what an idle machine needs (milliseconds), for a loaded 2-core one:
//! a revocation made through one instance is enforced by another within `PROPAGATION` (10 s).
#![cfg(feature = "redis")]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tessera::{
    Algorithm, BloomCheck, BloomSnapshot, ErrorKind, NumericDate, RedisRevocationStore,
    RedisRevocationSync, Revocation, SigningKey, TokenFacts,
};

/// How quickly a revocation written through one instance must be enforced by another.
const PROPAGATION: Duration = Duration::from_secs(10);
/// Bound on waits for a sync to (re)load or a server to start.
const LONG_WAIT: Duration = Duration::from_secs(60);

fn redis_url() -> String {
    let url = std::env::var("TESSERA_REDIS_URL").unwrap_or_else(|_| {
        panic!(
            "the `redis` feature is on but TESSERA_REDIS_URL is not set; run these tests with \
             `.ci/with-redis cargo test --features redis --test redis`"
        )
    });
    let client = redis::Client::open(url.as_str()).expect("TESSERA_REDIS_URL is not a Redis URL");
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("no Redis server answers at TESSERA_REDIS_URL: {e}"));
    let pong: String = redis::cmd("PING").query(&mut con).expect("PING");
    assert_eq!(pong, "PONG");
    url
}

/// A prefix of its own for each test, so tests can share one server.
fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "tessera-test:{test}:{}:{}:",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn raw(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(10))
        .unwrap()
}

fn now() -> NumericDate {
    NumericDate::now()
}

fn in_secs(secs: i64) -> NumericDate {
    NumericDate::now().add_secs(secs)
}

/// Polls `cond` until it holds or `limit` passes; returns the time it took, or `None`.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if cond() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kind(r: Result<(), tessera::Error>) -> Option<ErrorKind> {
    r.err().map(|e| e.kind())
}

fn sync(url: &str, prefix: &str) -> RedisRevocationSync {
    let sync = RedisRevocationSync::builder(url)
        .prefix(prefix)
        .heartbeat_interval(Duration::from_millis(200))
        .max_staleness(Duration::from_secs(20))
        .start()
        .unwrap();
    assert!(
        sync.wait_until_fresh(LONG_WAIT),
        "sync never loaded: {:?}",
        sync.last_error()
    );
    sync
}

#[test]
fn a_revocation_through_one_instance_is_enforced_by_another() {
    let url = redis_url();
    let prefix = unique_prefix("propagation");
    // Two service instances, each with a store (to write) and a sync (to check).
    let store_a = RedisRevocationStore::new(&url)
        .unwrap()
        .with_prefix(&prefix);
    let sync_a = sync(&url, &prefix);
    let store_b = RedisRevocationStore::new(&url)
        .unwrap()
        .with_prefix(&prefix);
    let sync_b = sync(&url, &prefix);

    let exp = in_secs(600);
    let token = |jti| TokenFacts::new(now()).with_jti(jti).with_exp(exp);
    assert_eq!(kind(sync_b.check(&token("t-1"))), None);

    store_a.revoke_jti("t-1", exp).unwrap();
    let took = wait_for(PROPAGATION, || {
        kind(sync_b.check(&token("t-1"))) == Some(ErrorKind::Revoked)
    });
    assert!(
        took.is_some(),
        "instance B did not enforce within {PROPAGATION:?}"
    );
    eprintln!("jti revocation enforced by the other instance after {took:?}");
    assert_eq!(kind(sync_b.check(&token("t-2"))), None);

    // Subject cutoffs, in the other direction, for every issuer and for one issuer.
    let cutoff = NumericDate::from_secs(now().as_secs() - 100).unwrap();
    store_b.revoke_subject("alice", cutoff).unwrap();
    store_b
        .revoke_subject_for_issuer("https://a.example", "bob", cutoff)
        .unwrap();
    let old = cutoff.add_secs(-1);
    let alice_old = TokenFacts::new(now())
        .with_jti("a1")
        .with_sub("alice")
        .with_iat(old);
    let alice_new = TokenFacts::new(now())
        .with_jti("a2")
        .with_sub("alice")
        .with_iat(cutoff);
    let bob_a = TokenFacts::new(now())
        .with_jti("b1")
        .with_sub("bob")
        .with_iss("https://a.example")
        .with_iat(old);
    let bob_b = TokenFacts::new(now())
        .with_jti("b2")
        .with_sub("bob")
        .with_iss("https://b.example")
        .with_iat(old);
    assert!(
        wait_for(PROPAGATION, || {
            kind(sync_a.check(&alice_old)) == Some(ErrorKind::Revoked)
                && kind(sync_a.check(&bob_a)) == Some(ErrorKind::Revoked)
        })
        .is_some(),
        "instance A did not enforce the cutoffs within {PROPAGATION:?}"
    );
    assert_eq!(kind(sync_a.check(&alice_new)), None);
    assert_eq!(kind(sync_a.check(&bob_b)), None);

    // A token without jti is refused by default: it could not be revoked.
    let no_jti = TokenFacts::new(now()).with_sub("carol");
    assert_eq!(kind(sync_a.check(&no_jti)), Some(ErrorKind::MissingClaim));
    sync_a.shutdown();
    sync_b.shutdown();
}

#[test]
fn writes_carry_a_ttl_that_ends_with_the_token_and_keep_the_later_value() {
    let url = redis_url();
    let prefix = unique_prefix("ttl");
    let store = RedisRevocationStore::new(&url)
        .unwrap()
        .with_prefix(&prefix)
        .with_leeway(30)
        .with_max_token_lifetime(900);
    let mut con = raw(&url);

    let exp = in_secs(300);
    store.revoke_jti("j", exp).unwrap();
    let key = format!("{prefix}j:j");
    let stored: i64 = redis::cmd("GET").arg(&key).query(&mut con).unwrap();
    assert_eq!(stored, exp.as_secs());
    let ttl: i64 = redis::cmd("TTL").arg(&key).query(&mut con).unwrap();
    assert!((300 + 30 - 20..=300 + 30).contains(&ttl), "ttl {ttl}");

    // Revoking again with an earlier exp keeps the later one.
    store.revoke_jti("j", in_secs(10)).unwrap();
    let stored: i64 = redis::cmd("GET").arg(&key).query(&mut con).unwrap();
    assert_eq!(stored, exp.as_secs());

    // A token that has already expired (past the leeway) is not written at all.
    store.revoke_jti("gone", in_secs(-60)).unwrap();
    let exists: i64 = redis::cmd("EXISTS")
        .arg(format!("{prefix}j:gone"))
        .query(&mut con)
        .unwrap();
    assert_eq!(exists, 0);

    // Subject cutoffs expire after the maximum lifetime plus leeway, and keep the later cutoff.
    let at = NumericDate::from_secs(now().as_secs()).unwrap();
    store.revoke_subject("alice", at).unwrap();
    store.revoke_subject("alice", at.add_secs(-50)).unwrap();
    let skey = format!("{prefix}s:[null,\"alice\"]");
    let stored: i64 = redis::cmd("GET").arg(&skey).query(&mut con).unwrap();
    assert_eq!(stored, at.as_secs());
    let ttl: i64 = redis::cmd("TTL").arg(&skey).query(&mut con).unwrap();
    assert!((900 + 30 - 20..=900 + 30 + 1).contains(&ttl), "ttl {ttl}");
}

#[test]
fn a_write_that_redis_did_not_acknowledge_is_an_error() {
    // Fail loudly without the environment, like the other tests.
    let _ = redis_url();
    // Nothing listens on this port (it was free a moment ago).
    let port = free_port();
    let store = RedisRevocationStore::new(&format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    let err = store.revoke_jti("j", in_secs(60)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RevocationUnavailable);
    let err = store.revoke_subject("alice", now()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RevocationUnavailable);

    // A sync that never reached Redis fails closed.
    let sync = RedisRevocationSync::builder(&format!("redis://127.0.0.1:{port}/"))
        .start()
        .unwrap();
    let facts = TokenFacts::new(now()).with_jti("j");
    assert_eq!(
        kind(sync.check(&facts)),
        Some(ErrorKind::RevocationUnavailable)
    );
    assert_eq!(sync.staleness(), None);
}

#[test]
fn periodic_resync_heals_a_missed_announcement() {
    let url = redis_url();
    let prefix = unique_prefix("resync");
    let sync = RedisRevocationSync::builder(&url)
        .prefix(&prefix)
        .resync_interval(Duration::from_millis(300))
        .heartbeat_interval(Duration::from_millis(200))
        .start()
        .unwrap();
    assert!(sync.wait_until_fresh(LONG_WAIT), "{:?}", sync.last_error());

    // Written behind the sync's back: no announcement.
    let exp = in_secs(600);
    let mut con = raw(&url);
    redis::cmd("SET")
        .arg(format!("{prefix}j:silent"))
        .arg(exp.as_secs())
        .exec(&mut con)
        .unwrap();
    let facts = TokenFacts::new(now()).with_jti("silent");
    assert!(
        wait_for(PROPAGATION, || kind(sync.check(&facts))
            == Some(ErrorKind::Revoked))
        .is_some(),
        "the resync did not pick up the key"
    );
}

#[test]
fn bloom_snapshots_travel_signed_through_redis() {
    let url = redis_url();
    let prefix = unique_prefix("bloom");
    let key = SigningKey::hmac(&[0x42; 32])
        .unwrap()
        .with_key_id("bloom-key");
    let store = RedisRevocationStore::new(&url)
        .unwrap()
        .with_prefix(&prefix);
    let check = Arc::new(BloomCheck::new());
    let sync = RedisRevocationSync::builder(&url)
        .prefix(&prefix)
        .heartbeat_interval(Duration::from_millis(200))
        .load_snapshots_into(check.clone(), Algorithm::HS256.into(), key.verifying_key())
        .start()
        .unwrap();
    assert!(sync.wait_until_fresh(LONG_WAIT), "{:?}", sync.last_error());

    let t0 = NumericDate::from_secs(now().as_secs() - 10).unwrap();
    let first = BloomSnapshot::build(["r-1", "r-2"], 0.001, t0).unwrap();
    store.publish_snapshot(&first, &key).unwrap();
    assert!(
        wait_for(PROPAGATION, || check.current().is_some()).is_some(),
        "{:?}",
        sync.last_error()
    );
    let facts = |jti| TokenFacts::new(now()).with_jti(jti);
    assert_eq!(kind(check.check(&facts("r-1"))), Some(ErrorKind::Revoked));

    // A newer snapshot replaces it.
    let second = BloomSnapshot::build(["r-3"], 0.001, t0.add_secs(5)).unwrap();
    store.publish_snapshot(&second, &key).unwrap();
    assert!(
        wait_for(PROPAGATION, || check
            .current()
            .is_some_and(|s| s.issued_at() == t0.add_secs(5)))
        .is_some()
    );
    assert_eq!(kind(check.check(&facts("r-3"))), Some(ErrorKind::Revoked));

    // One signed with another key is refused, and the current one stays.
    let other = SigningKey::hmac(&[0x24; 32])
        .unwrap()
        .with_key_id("bloom-key");
    let forged = BloomSnapshot::build(Vec::<String>::new(), 0.001, t0.add_secs(9)).unwrap();
    store.publish_snapshot(&forged, &other).unwrap();
    assert!(
        wait_for(PROPAGATION, || sync
            .last_error()
            .is_some_and(|e| e.contains("invalid signature")))
        .is_some(),
        "{:?}",
        sync.last_error()
    );
    assert_eq!(check.current().map(|s| s.issued_at()), Some(t0.add_secs(5)));
    // A stand-alone service can fetch the signed form too.
    let fetched = store.fetch_snapshot().unwrap().unwrap();
    assert_eq!(
        BloomSnapshot::from_jws(&fetched, Algorithm::HS256.into(), &key.verifying_key())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidSignature
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A redis-server of this test's own, with fsync-on-every-write append-only persistence.
struct OwnServer {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl OwnServer {
    fn start() -> OwnServer {
        let binary = std::env::var_os("TESSERA_REDIS_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("redis-server"));
        let dir = std::env::temp_dir().join(format!(
            "tessera-redis-restart-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = OwnServer {
            binary,
            dir,
            port: 0,
            child: None,
        };
        // The port was free a moment ago; if another process took it meanwhile, try another.
        for _ in 0..5 {
            server.port = free_port();
            if server.spawn() {
                return server;
            }
        }
        panic!("could not start redis-server {:?}", server.binary);
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server on its port and directory; true once it answers.
    fn spawn(&mut self) -> bool {
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .args(["--daemonize", "no", "--logfile", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run redis-server {:?} ({e}); set TESSERA_REDIS_SERVER or use \
                     .ci/with-redis",
                    self.binary
                )
            });
        self.child = Some(child);
        let url = self.url();
        let up = wait_for(LONG_WAIT, || {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                return true; // exited: checked below
            }
            redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(1)))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
        });
        let exited = matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(Some(_))));
        if up.is_none() || exited {
            self.kill();
            return false;
        }
        true
    }

    /// Kills the server at once (SIGKILL: no shutdown, no final save).
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_killed_and_restarted_redis_loses_no_acknowledged_revocation() {
    // Fail loudly without the environment, like the other tests.
    let _ = redis_url();
    let mut server = OwnServer::start();
    let url = server.url();
    let staleness = Duration::from_secs(2);
    let store = RedisRevocationStore::new(&url)
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    let sync = RedisRevocationSync::builder(&url)
        .heartbeat_interval(Duration::from_millis(200))
        .max_staleness(staleness)
        .timeout(Duration::from_secs(2))
        .start()
        .unwrap();
    assert!(sync.wait_until_fresh(LONG_WAIT), "{:?}", sync.last_error());

    let exp = in_secs(3600);
    let jtis: Vec<String> = (0..200).map(|i| format!("acked-{i}")).collect();
    for jti in &jtis {
        store.revoke_jti(jti, exp).unwrap();
    }
    let cutoff = now();
    store.revoke_subject("mallory", cutoff).unwrap();
    let revoked = |s: &RedisRevocationSync, jti: &str| {
        kind(s.check(&TokenFacts::new(now()).with_jti(jti))) == Some(ErrorKind::Revoked)
    };
    assert!(wait_for(PROPAGATION, || jtis.iter().all(|j| revoked(&sync, j))).is_some());

    // Kill Redis right after the last acknowledgement: no graceful shutdown.
    assert!(sync.is_fresh());
    let staleness_at_kill = sync.staleness().unwrap();
    server.kill();
    let killed_at = Instant::now();

    // Writes now fail loudly.
    assert_eq!(
        store.revoke_jti("during-outage", exp).unwrap_err().kind(),
        ErrorKind::RevocationUnavailable
    );
    // Checks fail closed once the view is older than the bound, and not long after.
    let closed = wait_for(LONG_WAIT, || {
        kind(sync.check(&TokenFacts::new(now()).with_jti("fresh-token")))
            == Some(ErrorKind::RevocationUnavailable)
    });
    assert!(closed.is_some(), "checks never failed closed");
    // The view was `staleness_at_kill` old at the kill and could not get fresher after it, so
    // it fails closed no earlier than `staleness - staleness_at_kill` after the kill.
    assert!(
        killed_at.elapsed() + staleness_at_kill + Duration::from_millis(50) >= staleness,
        "failed closed before the staleness bound"
    );
    assert!(!sync.is_fresh());
    assert!(sync.staleness().is_some_and(|s| s > staleness));

    // Restart on the same port and directory: the sync recovers by itself...
    assert!(server.spawn(), "redis-server did not restart");
    assert!(
        sync.wait_until_fresh(LONG_WAIT),
        "sync did not recover: {:?}",
        sync.last_error()
    );
    assert_eq!(
        kind(sync.check(&TokenFacts::new(now()).with_jti("fresh-token"))),
        None
    );
    // ...and a new instance, which knows only what Redis kept, sees every acknowledged write.
    let newcomer = RedisRevocationSync::builder(&url)
        .heartbeat_interval(Duration::from_millis(200))
        .start()
        .unwrap();
    assert!(
        newcomer.wait_until_fresh(LONG_WAIT),
        "{:?}",
        newcomer.last_error()
    );
    for jti in &jtis {
        assert!(revoked(&newcomer, jti), "{jti} was lost");
    }
    let mallory = TokenFacts::new(now())
        .with_jti("m")
        .with_sub("mallory")
        .with_iat(cutoff.add_secs(-1));
    assert_eq!(kind(newcomer.check(&mallory)), Some(ErrorKind::Revoked));
    assert_eq!(newcomer.denylist().len(), jtis.len());
    newcomer.shutdown();
    sync.shutdown();
}
