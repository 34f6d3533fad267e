//! Fleet-wide revocation through Redis (feature `redis`): a writer that returns only once Redis
//! acknowledged a revocation, and a background sync that mirrors the shared state into local
//! structures so that checks never touch the network.
//!
//! # Layout in Redis
//! Every name starts with a prefix (`tessera:revocation:` by default):
//!
//! | name | content |
//! |---|---|
//! | `{prefix}j:{jti}` | string: the token's `exp` in seconds; expires at `exp + leeway` |
//! | `{prefix}s:{["iss","sub"]}` | string: the cutoff (a JSON number, seconds); the key is the JSON array `[iss, sub]` with `iss` `null` for every issuer; expires at `cutoff + max token lifetime + leeway` when a lifetime is configured |
//! | `{prefix}bloom` | string: the latest signed [`BloomSnapshot`](crate::BloomSnapshot) |
//! | `{prefix}events` | pub/sub channel: one JSON announcement per change |
//!
//! Writes keep the later expiry or cutoff, run as one script together with their announcement,
//! and need Redis 6.2 or later (`SET … EXAT`).

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis::{Client, Connection, RedisError, RedisResult};
use serde::{Deserialize, Serialize};

use super::denylist::DEFAULT_LEEWAY_SECS;
use super::{Revocation, TokenFacts};
use crate::{
    AlgorithmSet, BloomCheck, BloomSnapshot, Clock, Denylist, Error, KeyProvider, NumericDate,
    Signer, SubjectCutoff, SystemClock,
};

const DEFAULT_PREFIX: &str = "tessera:revocation:";
const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(5);
const SCAN_BATCH: usize = 1000;

/// Stores a `jti` revocation, keeping the later expiry, and announces it.
/// KEYS[1] = key; ARGV = exp, expire-at, channel, announcement.
const JTI_SCRIPT: &str = r"
local cur = redis.call('GET', KEYS[1])
local c = cur and tonumber(cur)
if (not c) or c < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
";

/// Stores a subject cutoff, keeping the later one, and announces it.
/// KEYS[1] = key; ARGV = cutoff, expire-at or '', channel, announcement.
const SUBJECT_SCRIPT: &str = r"
local cur = redis.call('GET', KEYS[1])
local c = cur and tonumber(cur)
if (not c) or c < tonumber(ARGV[1]) then
  if ARGV[2] == '' then
    redis.call('SET', KEYS[1], ARGV[1])
  else
    redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
  end
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
";

/// Stores the signed Bloom snapshot and announces it. KEYS[1] = key; ARGV = jws, channel,
/// announcement.
const BLOOM_SCRIPT: &str = r"
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
";

/// One change, as published on the channel.
#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Announcement<'a> {
    Jti {
        #[serde(borrow)]
        jti: Cow<'a, str>,
        exp: i64,
    },
    Subject {
        #[serde(borrow)]
        iss: Option<Cow<'a, str>>,
        #[serde(borrow)]
        sub: Cow<'a, str>,
        at: NumericDate,
    },
    Bloom,
}

/// Key and channel names under one prefix.
#[derive(Clone)]
struct Names {
    prefix: String,
    channel: String,
    bloom: String,
    scan_pattern: String,
}

impl Names {
    fn new(prefix: &str) -> Self {
        let mut scan_pattern = String::with_capacity(prefix.len() + 1);
        for c in prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                scan_pattern.push('\\');
            }
            scan_pattern.push(c);
        }
        scan_pattern.push('*');
        Names {
            prefix: prefix.to_owned(),
            channel: format!("{prefix}events"),
            bloom: format!("{prefix}bloom"),
            scan_pattern,
        }
    }

    fn jti(&self, jti: &str) -> String {
        format!("{}j:{jti}", self.prefix)
    }

    fn subject(&self, iss: Option<&str>, sub: &str) -> Result<String, Error> {
        let scope = serde_json::to_string(&(iss, sub))
            .map_err(|_| unavailable("cannot encode a subject key", None))?;
        Ok(format!("{}s:{scope}", self.prefix))
    }
}

fn unavailable(detail: &'static str, source: Option<RedisError>) -> Error {
    Error::RevocationUnavailable {
        detail: detail.into(),
        source: source.map(|e| Box::new(e) as crate::BoxError),
    }
}

fn open_client(url: &str) -> Result<Client, Error> {
    // The URL may hold a password: it never goes into an error.
    Client::open(url).map_err(|_| unavailable("invalid Redis URL", None))
}

fn connect(client: &Client, timeout: Duration) -> RedisResult<Connection> {
    let con = client.get_connection_with_timeout(timeout)?;
    con.set_read_timeout(Some(timeout))?;
    con.set_write_timeout(Some(timeout))?;
    Ok(con)
}

/// Writes revocations to Redis for a fleet of services.
///
/// Each write returns only once Redis acknowledged it (with `appendonly yes` and `appendfsync
/// always`, once it is on disk); any failure is an [`Error::RevocationUnavailable`], never a lost
/// write. Writes are idempotent, so a failed one can be retried; a connection that failed is
/// replaced and the write retried once before the error is returned. Each write also announces the
/// change on the channel that [`RedisRevocationSync`] listens to.
///
/// ```no_run
/// use tessera::{NumericDate, RedisRevocationStore};
/// let store = RedisRevocationStore::new("redis://127.0.0.1:6379/")?;
/// store.revoke_jti("7f3c…", NumericDate::from_secs(1_700_000_900)?)?;
/// store.revoke_subject("alice", NumericDate::now())?;
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct RedisRevocationStore {
    client: Client,
    con: Mutex<Option<Connection>>,
    names: Names,
    leeway: i64,
    max_lifetime: Option<i64>,
    timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl RedisRevocationStore {
    /// A store for the Redis server at `url` (`redis://[user:password@]host:port/[db]`). No
    /// connection is made until the first write.
    ///
    /// # Errors
    /// [`Error::RevocationUnavailable`] if the URL cannot be parsed.
    pub fn new(url: &str) -> Result<Self, Error> {
        Ok(RedisRevocationStore {
            client: open_client(url)?,
            con: Mutex::new(None),
            names: Names::new(DEFAULT_PREFIX),
            leeway: DEFAULT_LEEWAY_SECS,
            max_lifetime: None,
            timeout: DEFAULT_IO_TIMEOUT,
            clock: Arc::new(SystemClock),
        })
    }

    /// Sets the prefix of every key and of the channel (default `tessera:revocation:`); stores and
    /// syncs of one fleet must use the same.
    #[must_use]
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.names = Names::new(prefix);
        self
    }

    /// Sets the leeway in seconds added to every expiry (default 30; negative counts as zero).
    #[must_use]
    pub fn with_leeway(mut self, secs: i64) -> Self {
        self.leeway = secs.max(0);
        self
    }

    /// Lets subject cutoffs expire `secs` (plus the leeway) after the cutoff; see
    /// [`SubjectCutoff::with_max_token_lifetime`] for when this is sound. Without it they are
    /// kept until deleted by hand.
    #[must_use]
    pub fn with_max_token_lifetime(mut self, secs: i64) -> Self {
        self.max_lifetime = Some(secs.max(0));
        self
    }

    /// Sets the connect, read and write timeout of each Redis call (default 5 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the clock used to skip revocations of tokens that have already expired.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Revokes the token `jti` expiring at `exp`: stored until `exp + leeway`, then dropped by
    /// Redis. A token already past that needs no revocation and nothing is written.
    ///
    /// # Errors
    /// [`Error::RevocationUnavailable`] unless Redis acknowledged the write.
    pub fn revoke_jti(&self, jti: &str, exp: NumericDate) -> Result<(), Error> {
        let expire_at = exp.as_secs().saturating_add(self.leeway);
        if expire_at < self.clock.now().as_secs() {
            return Ok(());
        }
        let announcement = encode(&Announcement::Jti {
            jti: jti.into(),
            exp: exp.as_secs(),
        })?;
        let key = self.names.jti(jti);
        self.run(|con| {
            redis::cmd("EVAL")
                .arg(JTI_SCRIPT)
                .arg(1)
                .arg(&key)
                .arg(exp.as_secs())
                .arg(expire_at)
                .arg(&self.names.channel)
                .arg(&announcement)
                .query::<i64>(con)
        })
        .map(drop)
    }

    /// Revokes every token of `sub`, from any issuer, issued before `at` (see [`SubjectCutoff`]).
    ///
    /// # Errors
    /// [`Error::RevocationUnavailable`] unless Redis acknowledged the write.
    pub fn revoke_subject(&self, sub: &str, at: NumericDate) -> Result<(), Error> {
        self.write_cutoff(None, sub, at)
    }

    /// Revokes every token of `sub` issued by `iss` before `at`.
    ///
    /// # Errors
    /// [`Error::RevocationUnavailable`] unless Redis acknowledged the write.
    pub fn revoke_subject_for_issuer(
        &self,
        iss: &str,
        sub: &str,
        at: NumericDate,
    ) -> Result<(), Error> {
        self.write_cutoff(Some(iss), sub, at)
    }

    fn write_cutoff(&self, iss: Option<&str>, sub: &str, at: NumericDate) -> Result<(), Error> {
        let expire_at = self.max_lifetime.map(|life| {
            at.as_secs()
                .saturating_add(life)
                .saturating_add(self.leeway)
                .saturating_add(i64::from(at.subsec_nanos() > 0))
        });
        if expire_at.is_some_and(|t| t < self.clock.now().as_secs()) {
            return Ok(());
        }
        let value = encode(&at)?;
        let announcement = encode(&Announcement::Subject {
            iss: iss.map(Cow::Borrowed),
            sub: sub.into(),
            at,
        })?;
        let key = self.names.subject(iss, sub)?;
        let expire_at = expire_at.map_or_else(String::new, |t| t.to_string());
        self.run(|con| {
            redis::cmd("EVAL")
                .arg(SUBJECT_SCRIPT)
                .arg(1)
                .arg(&key)
                .arg(&value)
                .arg(&expire_at)
                .arg(&self.names.channel)
                .arg(&announcement)
                .query::<i64>(con)
        })
        .map(drop)
    }

    /// Signs `snapshot` with `signer` and publishes it for every [`RedisRevocationSync`] that
    /// loads snapshots.
    ///
    /// # Errors
    /// The signer's errors; [`Error::RevocationUnavailable`] unless Redis acknowledged the write.
    pub fn publish_snapshot<S: Signer + ?Sized>(
        &self,
        snapshot: &BloomSnapshot,
        signer: &S,
    ) -> Result<(), Error> {
        let jws = snapshot.sign(signer)?;
        let announcement = encode(&Announcement::Bloom)?;
        self.run(|con| {
            redis::cmd("EVAL")
                .arg(BLOOM_SCRIPT)
                .arg(1)
                .arg(&self.names.bloom)
                .arg(&jws)
                .arg(&self.names.channel)
                .arg(&announcement)
                .query::<i64>(con)
        })
        .map(drop)
    }

    /// The signed snapshot last published, if any (verify it with [`BloomSnapshot::from_jws`]).
    ///
    /// # Errors
    /// [`Error::RevocationUnavailable`] if Redis cannot answer.
    pub fn fetch_snapshot(&self) -> Result<Option<String>, Error> {
        self.run(|con| redis::cmd("GET").arg(&self.names.bloom).query(con))
    }

    /// Runs `op` on the shared connection, replacing a failed connection and retrying once.
    fn run<T>(&self, op: impl Fn(&mut Connection) -> RedisResult<T>) -> Result<T, Error> {
        let mut slot = self.con.lock().unwrap_or_else(PoisonError::into_inner);
        let mut last = None;
        for _ in 0..2 {
            let mut con = match slot.take() {
                Some(con) => con,
                None => match connect(&self.client, self.timeout) {
                    Ok(con) => con,
                    Err(e) => {
                        last = Some(e);
                        continue;
                    }
                },
            };
            match op(&mut con) {
                Ok(value) => {
                    *slot = Some(con);
                    return Ok(value);
                }
                // A reply from Redis itself (a script error, a wrong type): retrying cannot help.
                Err(e) if !(e.is_io_error() || e.is_connection_dropped() || e.is_timeout()) => {
                    return Err(unavailable("Redis refused the write", Some(e)));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(unavailable("Redis did not acknowledge the write", last))
    }
}

impl fmt::Debug for RedisRevocationStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No URL: it may hold a password.
        f.debug_struct("RedisRevocationStore")
            .field("prefix", &self.names.prefix)
            .field("leeway", &self.leeway)
            .field("max_lifetime", &self.max_lifetime)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// 64 bits that differ between processes and calls (std's per-map random keys, hashed).
fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(std::process::id())
}

fn encode<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|_| unavailable("cannot encode a revocation", None))
}

type SnapshotLoader = Box<dyn Fn(&str) -> Result<bool, Error> + Send + Sync>;

/// Configures and starts a [`RedisRevocationSync`].
pub struct RedisSyncBuilder {
    url: String,
    names: Names,
    max_staleness: Duration,
    resync_interval: Duration,
    heartbeat: Duration,
    timeout: Duration,
    leeway: i64,
    max_lifetime: Option<i64>,
    require_jti: bool,
    snapshots: Option<SnapshotLoader>,
}

impl RedisSyncBuilder {
    /// Sets the prefix of keys and channel (default `tessera:revocation:`), as on the store.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.names = Names::new(prefix);
        self
    }

    /// How old the local view may get before checks fail closed with
    /// [`Error::RevocationUnavailable`] (default 30 s). The view's age is the time since the
    /// last moment it was known to hold every acknowledged revocation (see
    /// [`RedisRevocationSync::staleness`]).
    #[must_use]
    pub fn max_staleness(mut self, bound: Duration) -> Self {
        self.max_staleness = bound;
        self
    }

    /// How often the whole state is reloaded to heal missed announcements (default 60 s).
    #[must_use]
    pub fn resync_interval(mut self, interval: Duration) -> Self {
        self.resync_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// How often the subscription is confirmed (default 1 s): the sync publishes a heartbeat to a
    /// channel of its own and, once it comes back, knows it has every earlier announcement. Keep it
    /// well below the staleness bound.
    #[must_use]
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat = interval.max(Duration::from_millis(10));
        self
    }

    /// Sets the connect, read and write timeout of each Redis call (default 5 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets the local structures' leeway (default 30 s; use the verifier's).
    #[must_use]
    pub fn leeway(mut self, secs: i64) -> Self {
        self.leeway = secs.max(0);
        self
    }

    /// Drops local subject cutoffs `secs` (plus the leeway) after the cutoff; see
    /// [`SubjectCutoff::with_max_token_lifetime`].
    #[must_use]
    pub fn max_token_lifetime(mut self, secs: i64) -> Self {
        self.max_lifetime = Some(secs.max(0));
        self
    }

    /// Accepts tokens without `jti` (see [`Denylist::allow_missing_jti`]).
    #[must_use]
    pub fn allow_missing_jti(mut self) -> Self {
        self.require_jti = false;
        self
    }

    /// Also loads the signed Bloom snapshots published with
    /// [`RedisRevocationStore::publish_snapshot`] into `target`, verified with `algorithms` and
    /// `keys`. A snapshot that does not verify is ignored (and shown by
    /// [`RedisRevocationSync::last_error`]).
    #[must_use]
    pub fn load_snapshots_into<E, K>(
        mut self,
        target: Arc<BloomCheck<E>>,
        algorithms: AlgorithmSet,
        keys: K,
    ) -> Self
    where
        E: Revocation + 'static,
        K: KeyProvider + 'static,
    {
        self.snapshots = Some(Box::new(move |jws| {
            target.install_jws(jws, algorithms, &keys)
        }));
        self
    }

    /// Starts the background thread and returns at once; checks fail closed until the first full
    /// load is done (see [`RedisRevocationSync::wait_until_fresh`]).
    ///
    /// # Errors
    /// [`Error::RevocationUnavailable`] if the URL cannot be parsed or no thread can be started.
    pub fn start(self) -> Result<RedisRevocationSync, Error> {
        let client = open_client(&self.url)?;
        let mut denylist = Denylist::new().with_leeway(self.leeway);
        if !self.require_jti {
            denylist = denylist.allow_missing_jti();
        }
        let mut cutoffs = SubjectCutoff::new().with_leeway(self.leeway);
        if let Some(life) = self.max_lifetime {
            cutoffs = cutoffs.with_max_token_lifetime(life);
        }
        let shared = Arc::new(Shared {
            denylist,
            cutoffs,
            base: Instant::now(),
            fresh_at: AtomicU64::new(0),
            max_staleness: self.max_staleness,
            stop: AtomicBool::new(false),
            last_error: Mutex::new(None),
            names: self.names,
            snapshots: self.snapshots,
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            client,
            resync_interval: self.resync_interval,
            heartbeat: self.heartbeat,
            timeout: self.timeout,
            heartbeat_channel: format!("{}heartbeat:{:016x}", shared.names.prefix, random_u64()),
        };
        let handle = std::thread::Builder::new()
            .name("tessera-redis-sync".into())
            .spawn(move || worker.run())
            .map_err(|_| unavailable("cannot start the Redis sync thread", None))?;
        Ok(RedisRevocationSync {
            shared,
            worker: Some(handle),
        })
    }
}

impl fmt::Debug for RedisSyncBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSyncBuilder")
            .field("prefix", &self.names.prefix)
            .field("max_staleness", &self.max_staleness)
            .field("resync_interval", &self.resync_interval)
            .field("heartbeat", &self.heartbeat)
            .field("timeout", &self.timeout)
            .field("leeway", &self.leeway)
            .field("max_lifetime", &self.max_lifetime)
            .field("require_jti", &self.require_jti)
            .field("loads_snapshots", &self.snapshots.is_some())
            .finish_non_exhaustive()
    }
}

/// State shared by the handle (and so every check) and the background thread.
struct Shared {
    denylist: Denylist,
    cutoffs: SubjectCutoff,
    base: Instant,
    /// Nanoseconds after `base` (plus one) at which the view was last known complete; 0: never.
    fresh_at: AtomicU64,
    max_staleness: Duration,
    stop: AtomicBool,
    last_error: Mutex<Option<String>>,
    names: Names,
    snapshots: Option<SnapshotLoader>,
}

impl Shared {
    fn mark_fresh(&self, at: Instant) {
        let nanos = u64::try_from(at.saturating_duration_since(self.base).as_nanos())
            .unwrap_or(u64::MAX - 1);
        self.fresh_at.fetch_max(nanos + 1, Ordering::AcqRel);
    }

    fn staleness(&self) -> Option<Duration> {
        match self.fresh_at.load(Ordering::Acquire) {
            0 => None,
            stamp => {
                let fresh = self.base + Duration::from_nanos(stamp - 1);
                Some(Instant::now().saturating_duration_since(fresh))
            }
        }
    }

    fn note_error(&self, error: String) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Applies one stored key and its value; anything unexpected is skipped.
    fn apply_key(&self, key: &[u8], value: &[u8]) {
        let Ok(key) = std::str::from_utf8(key) else {
            return;
        };
        let Some(rest) = key.strip_prefix(self.names.prefix.as_str()) else {
            return;
        };
        if let Some(jti) = rest.strip_prefix("j:") {
            if let Some(exp) = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|v| NumericDate::from_secs(v).ok())
            {
                self.denylist.revoke(jti, exp);
            }
        } else if let Some(scope) = rest.strip_prefix("s:") {
            let parsed: Option<((Option<String>, String), NumericDate)> =
                serde_json::from_str(scope)
                    .ok()
                    .zip(serde_json::from_slice(value).ok());
            if let Some(((iss, sub), at)) = parsed {
                self.insert_cutoff(iss.as_deref(), &sub, at);
            }
        } else if rest == "bloom" {
            self.apply_snapshot(value);
        }
    }

    fn insert_cutoff(&self, iss: Option<&str>, sub: &str, at: NumericDate) {
        match iss {
            Some(iss) => self.cutoffs.revoke_subject_for_issuer(iss, sub, at),
            None => self.cutoffs.revoke_subject(sub, at),
        }
    }

    fn apply_snapshot(&self, jws: &[u8]) {
        let Some(load) = &self.snapshots else {
            return;
        };
        let result = std::str::from_utf8(jws)
            .map_err(|_| Error::malformed("signed snapshot is not text"))
            .and_then(load);
        if let Err(e) = result {
            self.note_error(format!("Bloom snapshot rejected: {e}"));
        }
    }
}

/// The background side: owns the connections.
struct Worker {
    shared: Arc<Shared>,
    client: Client,
    resync_interval: Duration,
    heartbeat: Duration,
    timeout: Duration,
    /// A channel only this worker listens to, for its heartbeats.
    heartbeat_channel: String,
}

impl Worker {
    fn run(self) {
        const MIN_BACKOFF: Duration = Duration::from_millis(50);
        const MAX_BACKOFF: Duration = Duration::from_secs(2);
        let mut backoff = MIN_BACKOFF;
        while !self.shared.stopped() {
            let mut synced = false;
            if let Err(e) = self.session(&mut synced) {
                self.shared.note_error(format!("Redis sync: {e}"));
            }
            if synced {
                backoff = MIN_BACKOFF;
            }
            let until = Instant::now() + backoff;
            while !self.shared.stopped() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20).min(backoff));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connected period: subscribe, load everything, then follow announcements until an error
    /// or a stop.
    fn session(&self, synced: &mut bool) -> RedisResult<()> {
        let mut cmd_con = connect(&self.client, self.timeout)?;
        let mut sub_con = connect(&self.client, self.timeout)?;
        let mut pubsub = sub_con.as_pubsub();
        pubsub.subscribe(&self.shared.names.channel)?;
        pubsub.subscribe(&self.heartbeat_channel)?;

        // Subscribed first: whatever is acknowledged from now on is announced to us, and whatever
        // was acknowledged before is in the load.
        let started = Instant::now();
        self.full_load(&mut cmd_con)?;
        self.shared.mark_fresh(started);
        *synced = true;

        let mut next_resync = Instant::now() + self.resync_interval;
        let mut next_heartbeat = Instant::now();
        // (nonce, sent at) of the heartbeat on its way.
        let mut pending: Option<(u64, Instant)> = None;
        let mut nonce: u64 = 0;
        loop {
            if self.shared.stopped() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= next_resync {
                self.full_load(&mut cmd_con)?;
                self.shared.mark_fresh(now);
                self.shared.denylist.purge_expired();
                self.shared.cutoffs.purge_expired();
                next_resync = Instant::now() + self.resync_interval;
                // The load vouches for `now`; a heartbeat that waited behind it is not awaited
                // (a long load must not look like a lost subscription), and a new one goes out.
                pending = None;
                next_heartbeat = Instant::now();
                continue;
            }
            if let Some((_, sent)) = pending {
                if now.saturating_duration_since(sent) > self.timeout {
                    return Err(RedisError::from(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "heartbeat not delivered",
                    )));
                }
            } else if now >= next_heartbeat {
                // Redis delivers published messages to a subscriber in the order it ran the
                // PUBLISH commands. Once our own heartbeat comes back, every announcement
                // acknowledged before it was sent has been received and applied before it.
                nonce = nonce.wrapping_add(1);
                let receivers: i64 = redis::cmd("PUBLISH")
                    .arg(&self.heartbeat_channel)
                    .arg(nonce)
                    .query(&mut cmd_con)?;
                if receivers < 1 {
                    return Err(RedisError::from(std::io::Error::new(
                        std::io::ErrorKind::NotConnected,
                        "subscription lost",
                    )));
                }
                pending = Some((nonce, now));
                next_heartbeat = now + self.heartbeat;
            }
            let mut wake = next_heartbeat.min(next_resync);
            if let Some((_, sent)) = pending {
                wake = wake.min(sent + self.timeout);
            }
            let wait = wake
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            pubsub.set_read_timeout(Some(wait))?;
            let msg = match pubsub.get_message() {
                Ok(msg) => msg,
                Err(e) if e.is_timeout() => continue,
                Err(e) => return Err(e),
            };
            if msg.get_channel_name() == self.heartbeat_channel {
                if let Some((expected, sent)) = pending
                    && msg.get_payload_bytes() == expected.to_string().as_bytes()
                {
                    self.shared.mark_fresh(sent);
                    pending = None;
                }
            } else {
                self.apply_message(&msg, &mut cmd_con)?;
            }
        }
    }

    fn apply_message(&self, msg: &redis::Msg, cmd_con: &mut Connection) -> RedisResult<()> {
        let Ok(announcement) = serde_json::from_slice::<Announcement<'_>>(msg.get_payload_bytes())
        else {
            return Ok(());
        };
        match announcement {
            Announcement::Jti { jti, exp } => {
                if let Ok(exp) = NumericDate::from_secs(exp) {
                    self.shared.denylist.revoke(&jti, exp);
                }
            }
            Announcement::Subject { iss, sub, at } => {
                self.shared.insert_cutoff(iss.as_deref(), &sub, at);
            }
            Announcement::Bloom => {
                if self.shared.snapshots.is_some() {
                    let jws: Option<Vec<u8>> = redis::cmd("GET")
                        .arg(&self.shared.names.bloom)
                        .query(cmd_con)?;
                    if let Some(jws) = jws {
                        self.shared.apply_snapshot(&jws);
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads every key under the prefix and applies it (nothing is removed locally: a revocation
    /// only ends by expiring).
    fn full_load(&self, con: &mut Connection) -> RedisResult<()> {
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&self.shared.names.scan_pattern)
                .arg("COUNT")
                .arg(SCAN_BATCH)
                .query(con)?;
            if !keys.is_empty() {
                let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET").arg(&keys).query(con)?;
                for (key, value) in keys.iter().zip(values) {
                    if let Some(value) = value {
                        self.shared.apply_key(key, &value);
                    }
                }
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
            if self.shared.stopped() {
                return Ok(());
            }
        }
    }
}

/// A service's in-memory mirror of the fleet's revocations in Redis.
///
/// A background thread subscribes to the announcements, loads the whole state, applies
/// announcements as they arrive, confirms the subscription every heartbeat by publishing to a
/// channel of its own and receiving that message back, and
/// reloads everything every resync interval to heal anything missed. After an error (Redis down,
/// a dropped connection) it reconnects with a growing pause (up to 2 s) and loads everything
/// again, so it recovers by itself when Redis returns.
///
/// Checks read only the local [`Denylist`] and [`SubjectCutoff`], never the network. When the
/// view is older than the staleness bound (or was never loaded), every check fails closed with
/// [`Error::RevocationUnavailable`]; wrap the sync in [`FailOpen`](crate::FailOpen) to accept
/// tokens instead.
///
/// Dropping the handle stops the thread (within about a heartbeat); [`shutdown`](Self::shutdown)
/// also waits for it.
///
/// ```no_run
/// use std::time::Duration;
/// use tessera::RedisRevocationSync;
/// let sync = RedisRevocationSync::builder("redis://127.0.0.1:6379/")
///     .max_staleness(Duration::from_secs(10))
///     .start()?;
/// sync.wait_until_fresh(Duration::from_secs(5));
/// // Use `sync` (or an `Arc` of it) as the verifier's revocation source.
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct RedisRevocationSync {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

impl RedisRevocationSync {
    /// A builder for a sync with the Redis server at `url`.
    pub fn builder(url: &str) -> RedisSyncBuilder {
        RedisSyncBuilder {
            url: url.to_owned(),
            names: Names::new(DEFAULT_PREFIX),
            max_staleness: Duration::from_secs(30),
            resync_interval: Duration::from_secs(60),
            heartbeat: Duration::from_secs(1),
            timeout: DEFAULT_IO_TIMEOUT,
            leeway: DEFAULT_LEEWAY_SECS,
            max_lifetime: None,
            require_jti: true,
            snapshots: None,
        }
    }

    /// How old the local view is: the time since the last moment it was known to hold every
    /// revocation Redis had acknowledged (the start of a full load, or the sending of a heartbeat
    /// that came back over the subscription). `None` before the first full load.
    pub fn staleness(&self) -> Option<Duration> {
        self.shared.staleness()
    }

    /// Whether the view is within the staleness bound, that is whether checks answer.
    pub fn is_fresh(&self) -> bool {
        self.staleness()
            .is_some_and(|age| age <= self.shared.max_staleness)
    }

    /// Waits, polling, until the view is fresh or `timeout` has passed; returns whether it is.
    pub fn wait_until_fresh(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.is_fresh() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The local denylist (read it, or add to it for this process only).
    pub fn denylist(&self) -> &Denylist {
        &self.shared.denylist
    }

    /// The local subject cutoffs.
    pub fn subject_cutoffs(&self) -> &SubjectCutoff {
        &self.shared.cutoffs
    }

    /// The last error the background thread met, if any (it keeps retrying).
    pub fn last_error(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops the background thread and waits for it (at most about a heartbeat or an I/O timeout).
    pub fn shutdown(mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for RedisRevocationSync {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

impl fmt::Debug for RedisRevocationSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocationSync")
            .field("prefix", &self.shared.names.prefix)
            .field("staleness", &self.staleness())
            .field("max_staleness", &self.shared.max_staleness)
            .field("denylist", &self.shared.denylist)
            .field("subject_cutoffs", &self.shared.cutoffs)
            .finish_non_exhaustive()
    }
}

impl Revocation for RedisRevocationSync {
    /// [`Error::RevocationUnavailable`] when the view is too old; otherwise the local denylist's
    /// and subject cutoffs' answer.
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        if !self.is_fresh() {
            return Err(Error::RevocationUnavailable {
                detail: "the Redis revocation view is older than its staleness bound".into(),
                source: None,
            });
        }
        self.shared.denylist.check(token)?;
        self.shared.cutoffs.check(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_pattern_escapes_glob_characters() {
        assert_eq!(
            Names::new("a*b?[c]\\:").scan_pattern,
            "a\\*b\\?\\[c\\]\\\\:*"
        );
        let names = Names::new("p:");
        assert_eq!(names.jti("x"), "p:j:x");
        assert_eq!(
            names.subject(None, "alice").ok().as_deref(),
            Some("p:s:[null,\"alice\"]")
        );
        assert_eq!(
            names.subject(Some("https://i"), "a\"b").ok().as_deref(),
            Some("p:s:[\"https://i\",\"a\\\"b\"]")
        );
    }

    #[test]
    fn announcements_round_trip() {
        let a = encode(&Announcement::Jti {
            jti: "j1".into(),
            exp: 5,
        })
        .unwrap();
        assert_eq!(a, r#"{"t":"jti","jti":"j1","exp":5}"#);
        let s = encode(&Announcement::Subject {
            iss: None,
            sub: "alice".into(),
            at: NumericDate::from_secs(9).unwrap(),
        })
        .unwrap();
        assert_eq!(s, r#"{"t":"subject","iss":null,"sub":"alice","at":9}"#);
        assert!(matches!(
            serde_json::from_str::<Announcement<'_>>(&s).unwrap(),
            Announcement::Subject { .. }
        ));
        assert!(serde_json::from_str::<Announcement<'_>>(r#"{"t":"other"}"#).is_err());
    }
}
