//! A JWK Set fetched from an issuer, cached, and refreshed without holding up verification.

use std::fmt;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::provider::{KeyHandle, KeyProvider, KeyRequest};
use crate::{BoxError, Clock, Error, ErrorKind, JwkSet, KeySet};

/// The answer of a [`JwksFetcher`]: the body of the JWK Set document, and how long it may be
/// cached if the source says so (for HTTP, `Cache-Control: max-age`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetched {
    /// The document, JSON text of a JWK Set.
    pub body: Vec<u8>,
    /// How long the source allows the document to be cached, if it says.
    pub max_age: Option<Duration>,
}

impl Fetched {
    /// A fetched document without a cache lifetime (the set's default applies).
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        Fetched {
            body: body.into(),
            max_age: None,
        }
    }

    /// The same document, cacheable for `max_age` (clamped by the set to its bounds).
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched")
            .field("body_len", &self.body.len())
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// Fetches the JWK Set document of one issuer, for [`RemoteJwkSet`].
///
/// The crate has no HTTP client: implement this with the one your service already uses. The
/// fetcher alone decides where the set comes from; nothing in a token (`jku`, `x5u`, `iss`) can
/// change it.
///
/// A fetcher should use HTTPS, time out (a fetch holds up the one verification that triggered it),
/// and stop reading past [`RemoteJwkSet::max_body_bytes`]. Any closure
/// `Fn() -> Result<Fetched, BoxError>` is a fetcher.
pub trait JwksFetcher: Send + Sync {
    /// Fetches the document.
    ///
    /// # Errors
    /// Any error of the transport, or a status that is not success.
    fn fetch(&self) -> Result<Fetched, BoxError>;
}

impl<F> JwksFetcher for F
where
    F: Fn() -> Result<Fetched, BoxError> + Send + Sync,
{
    fn fetch(&self) -> Result<Fetched, BoxError> {
        self()
    }
}

/// The public keys of a remote JWK Set (an issuer's `jwks_uri`), cached in memory and refreshed
/// as they age or when a token names a key the set does not hold.
///
/// Keys are chosen by the rules of [`KeySet`]. `oct` members are never used: a remote set is
/// public, and a secret in it could be read by anyone.
///
/// # Refresh
///
/// [`KeyProvider::key`] is synchronous, and a verifying thread never waits for another thread's
/// fetch. By default **no verification ever waits on the network**: lookups answer from the
/// cached set, and fetches happen
///
/// - when you call [`refresh_now`](Self::refresh_now) (do so at start-up, before serving), or
///   [`refresh_if_due`](Self::refresh_if_due);
/// - on the background thread of [`spawn_refresher`](Self::spawn_refresher), which refreshes ahead
///   of expiry, and which a lookup wakes early when it finds the set expired or meets a `kid` the
///   set does not hold (the lookup itself answers from the cache: `key_not_found` for that kid
///   until the refresher has fetched).
///
/// Where no background thread can run, [`with_lookup_fetches`](Self::with_lookup_fetches) makes
/// the thread that finds the set expired, or a `kid` unknown, fetch itself instead.
///
/// Automatic fetches are rate limited: at most one starts per cooldown (default 30 s), however
/// many unknown `kid`s arrive, so tokens with made-up `kid`s cannot flood the issuer. Only one
/// fetch runs at a time; meanwhile every other thread verifies with the cached set. The fetch
/// runs without holding any lock that verification needs; only installing the new keys takes each
/// shard's lock for a pointer swap.
///
/// # Failure
///
/// A fetch that fails, returns more than [`max_body_bytes`](Self::max_body_bytes) (default
/// 64 KiB), is not a JWK Set, or holds no key usable for signatures leaves the last good set in
/// place. That set stays in use until its max age plus the stale limit (default 1 hour) have
/// passed since it was fetched; after that, and before the first successful fetch, lookups fail
/// closed with [`Error::KeyUnavailable`]. Call [`refresh_now`](Self::refresh_now) at start-up to
/// load the set before serving.
///
/// # Time
///
/// Ages are measured with the monotonic system clock, or with a [`Clock`] given to
/// [`with_clock`](Self::with_clock) (for tests and simulations).
///
/// ```
/// use std::time::Duration;
/// use tessera::{Algorithm, BoxError, Fetched, KeyProvider, KeyRequest, Policy, RemoteJwkSet, Verifier};
///
/// // In a real service: an HTTPS GET of the issuer's `jwks_uri`, with the response's max-age.
/// let fetcher = || -> Result<Fetched, BoxError> {
///     let body = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"2025-01",
///                   "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
///     Ok(Fetched::new(body).with_max_age(Duration::from_secs(600)))
/// };
/// let jwks = RemoteJwkSet::new(fetcher);
/// jwks.refresh_now()?; // load before serving
/// assert_eq!(jwks.key_ids(), ["2025-01"]);
/// let key = jwks.key(&KeyRequest::new(Algorithm::EdDSA, Some("2025-01")))?;
/// assert_eq!(key.key_id(), Some("2025-01"));
/// drop(key);
///
/// // The remote set is the verifier's key provider.
/// let verifier = Verifier::new(&jwks, Policy::new([Algorithm::EdDSA]).issuer("https://issuer.example"));
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct RemoteJwkSet<F> {
    fetcher: F,
    keys: KeySet,
    config: Config,
    time: TimeSource,
    /// When the cached set expires (ms on the time source; 0: nothing fetched yet).
    expires_at: AtomicU64,
    /// When the cached set stops being usable at all (0: nothing fetched yet).
    usable_until: AtomicU64,
    /// When a background refresh should fetch a new set.
    refresh_due: AtomicU64,
    /// The earliest time an automatic fetch may start.
    next_attempt: AtomicU64,
    /// Held while a fetch runs (single flight); verification only ever tries it.
    fetching: Mutex<()>,
    /// Why the last fetch failed, if it did.
    last_error: Mutex<Option<String>>,
    /// Whether a lookup that finds the set expired or a `kid` unknown fetches itself.
    lookup_fetches: bool,
    /// How lookups wake the background refreshers.
    wake: Arc<Wake>,
}

/// Lets lookups ask the background refreshers for a fetch.
#[derive(Default)]
struct Wake {
    /// A lookup asked for a fetch that the refresher has not started yet.
    requested: Mutex<bool>,
    signal: Condvar,
}

impl Wake {
    fn request(&self) {
        *lock(&self.requested) = true;
        self.signal.notify_all();
    }
}

#[derive(Debug, Clone, Copy)]
struct Config {
    default_max_age: Duration,
    min_max_age: Duration,
    max_max_age: Duration,
    cooldown: Duration,
    max_stale: Duration,
    max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_max_age: Duration::from_secs(10 * 60),
            min_max_age: Duration::from_secs(60),
            max_max_age: Duration::from_secs(24 * 60 * 60),
            cooldown: Duration::from_secs(30),
            max_stale: Duration::from_secs(60 * 60),
            max_body_bytes: 64 * 1024,
        }
    }
}

enum TimeSource {
    Monotonic(Instant),
    Clock(Box<dyn Clock>),
}

impl TimeSource {
    /// Milliseconds since an arbitrary origin; never 0, so that 0 can mean "never".
    fn now_ms(&self) -> u64 {
        match self {
            TimeSource::Monotonic(origin) => millis(origin.elapsed()).saturating_add(1),
            TimeSource::Clock(clock) => {
                let now = clock.now();
                u64::try_from(now.as_secs())
                    .unwrap_or(0)
                    .saturating_mul(1000)
                    .saturating_add(u64::from(now.subsec_nanos() / 1_000_000))
                    .saturating_add(1)
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What makes an automatic fetch worth starting, checked again once the fetch lock is held.
#[derive(Clone, Copy)]
enum Trigger {
    /// The cached set is past its max age (or nothing was fetched yet).
    Expired,
    /// The cached set should be refreshed ahead of expiry.
    Due,
    /// A token named a `kid` that the set does not hold, or a lookup asked the refresher.
    UnknownKid,
}

impl<F: JwksFetcher> RemoteJwkSet<F> {
    /// A remote set that fetches with `fetcher`, with the default limits: 10 minutes max age when
    /// the source gives none (a source's max age is clamped to 1 minute ..= 1 day), a 30 s
    /// cooldown between automatic fetches, a 1 hour stale limit and a 64 KiB size cap.
    ///
    /// Nothing is fetched until the first lookup or [`refresh_now`](Self::refresh_now).
    pub fn new(fetcher: F) -> Self {
        RemoteJwkSet {
            fetcher,
            keys: KeySet::new(),
            config: Config::default(),
            time: TimeSource::Monotonic(Instant::now()),
            expires_at: AtomicU64::new(0),
            usable_until: AtomicU64::new(0),
            refresh_due: AtomicU64::new(0),
            next_attempt: AtomicU64::new(0),
            fetching: Mutex::new(()),
            last_error: Mutex::new(None),
            lookup_fetches: false,
            wake: Arc::default(),
        }
    }

    /// How long a fetched set is used when the source gives no max age (default 10 minutes).
    /// Clamped to the [max age bounds](Self::with_max_age_bounds).
    #[must_use]
    pub fn with_default_max_age(mut self, max_age: Duration) -> Self {
        self.config.default_max_age = max_age;
        self
    }

    /// Bounds for the max age a source gives (default 1 minute ..= 1 day), so that a source can
    /// neither make the set be fetched on every token nor make it be kept for ever.
    #[must_use]
    pub fn with_max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.config.min_max_age = min.min(max);
        self.config.max_max_age = max.max(min);
        self
    }

    /// The least time between two automatic fetches (default 30 s). It bounds how often unknown
    /// `kid`s and failed fetches make the set fetch again; [`refresh_now`](Self::refresh_now) is
    /// not limited by it.
    #[must_use]
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.config.cooldown = cooldown;
        self
    }

    /// How long past its max age the last good set is still used while fetches fail (default
    /// 1 hour). After that, lookups fail with [`Error::KeyUnavailable`].
    #[must_use]
    pub fn with_max_stale(mut self, max_stale: Duration) -> Self {
        self.config.max_stale = max_stale;
        self
    }

    /// The largest document accepted, in bytes (default 64 KiB).
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.config.max_body_bytes = limit;
        self
    }

    /// Measures ages with `clock` instead of the monotonic system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.time = TimeSource::Clock(Box::new(clock));
        self
    }

    /// Lets lookups fetch: the thread that finds the set expired, or a `kid` unknown (once the
    /// cooldown has passed), fetches the set itself and then answers; other threads keep using
    /// the cached set meanwhile.
    ///
    /// # Security
    /// The verification that triggers a fetch waits on the network for as long as the fetcher
    /// takes, so give the fetcher a short timeout. By default lookups never fetch and wake the
    /// background refresher instead; prefer that wherever a thread can run.
    #[must_use]
    pub fn with_lookup_fetches(mut self) -> Self {
        self.lookup_fetches = true;
        self
    }

    /// Also indexes keys that have no `kid` under their RFC 7638 thumbprint; see
    /// [`KeySet::with_thumbprint_kids`].
    #[must_use]
    pub fn with_thumbprint_kids(mut self) -> Self {
        self.keys = std::mem::take(&mut self.keys).with_thumbprint_kids();
        self
    }

    /// The largest document accepted, in bytes. A fetcher should stop reading past it.
    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes
    }

    /// The fetcher.
    pub fn fetcher(&self) -> &F {
        &self.fetcher
    }

    /// The `kid`s of the cached keys.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.key_ids()
    }

    /// Whether a set was fetched and is still usable (possibly stale).
    pub fn is_usable(&self) -> bool {
        self.time.now_ms() < self.usable_until.load(Ordering::Acquire)
    }

    /// Why the last fetch failed, or `None` if it succeeded (or none was made).
    pub fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    /// Fetches the set now, whatever its age and the cooldown, waiting for a fetch already in
    /// progress to finish first. On failure the cached set stays as it was.
    ///
    /// Installing a new set waits for key handles lent by this set to be dropped: do not call
    /// this while the same thread holds one.
    ///
    /// # Errors
    /// [`Error::KeyUnavailable`] if the fetch fails, the document is too large or not a JWK Set,
    /// or it holds no key usable for signatures.
    pub fn refresh_now(&self) -> Result<(), Error> {
        let _fetching = lock(&self.fetching);
        self.fetch_and_install()
    }

    /// Fetches the set if it is due for a refresh (three quarters of its max age have passed, or
    /// nothing was fetched yet), unless the cooldown since the last fetch has not passed or another
    /// fetch is in progress. Returns whether a new set was installed.
    ///
    /// # Errors
    /// [`Error::KeyUnavailable`] if a fetch was made and failed.
    pub fn refresh_if_due(&self) -> Result<bool, Error> {
        self.try_refresh(Trigger::Due)
    }

    /// Starts a thread that calls [`refresh_if_due`](Self::refresh_if_due) now and then every
    /// `period`, so that the set is refreshed ahead of expiry and verifying threads rarely fetch;
    /// it also fetches (within the cooldown) as soon as a lookup asks, in the mode of
    /// the default mode, where lookups never fetch. The thread stops when the
    /// returned [`Refresher`] is dropped or stopped, or at its next round once the set is dropped
    /// (it holds no strong reference to the set).
    ///
    /// # Errors
    /// The error of [`std::thread::Builder::spawn`] if no thread can be started.
    pub fn spawn_refresher(self: &Arc<Self>, period: Duration) -> std::io::Result<Refresher>
    where
        F: 'static,
    {
        let set: Weak<Self> = Arc::downgrade(self);
        let wake = Arc::clone(&self.wake);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("tessera-jwks-refresh".into())
            .spawn(move || {
                let mut asked = false;
                loop {
                    let Some(set) = set.upgrade() else { break };
                    // A failure is kept in `last_error`; the next round tries again.
                    let _ = if asked {
                        set.try_refresh(Trigger::UnknownKid)
                    } else {
                        set.refresh_if_due()
                    };
                    drop(set);
                    let requested = lock(&wake.requested);
                    let (mut requested, _) = wake
                        .signal
                        .wait_timeout_while(requested, period, |requested| {
                            !*requested && !stopped.load(Ordering::Acquire)
                        })
                        .unwrap_or_else(PoisonError::into_inner);
                    asked = std::mem::take(&mut *requested);
                    if stopped.load(Ordering::Acquire) {
                        break;
                    }
                }
            })?;
        Ok(Refresher {
            stop,
            wake: Arc::clone(&self.wake),
            thread: Some(thread),
        })
    }

    /// Starts an automatic fetch if `trigger` still holds, the cooldown has passed and no other
    /// fetch runs. Returns whether a new set was installed.
    fn try_refresh(&self, trigger: Trigger) -> Result<bool, Error> {
        let wanted = |now: u64| self.wants(trigger, now);
        if !wanted(self.time.now_ms()) {
            return Ok(false);
        }
        let _fetching = match self.fetching.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return Ok(false),
        };
        // Another thread may have fetched between the check and the lock.
        let now = self.time.now_ms();
        if !wanted(now) {
            return Ok(false);
        }
        self.next_attempt.store(
            now.saturating_add(millis(self.config.cooldown)),
            Ordering::Release,
        );
        self.fetch_and_install().map(|()| true)
    }

    /// Whether `trigger` calls for a fetch at `now`, the cooldown allowing.
    fn wants(&self, trigger: Trigger, now: u64) -> bool {
        now >= self.next_attempt.load(Ordering::Acquire)
            && match trigger {
                Trigger::Expired => now >= self.expires_at.load(Ordering::Acquire),
                Trigger::Due => now >= self.refresh_due.load(Ordering::Acquire),
                Trigger::UnknownKid => true,
            }
    }

    /// A lookup's refresh: done on this thread, or asked of the background refreshers.
    /// Returns whether a new set was installed.
    fn lookup_refresh(&self, trigger: Trigger, now: u64) -> bool {
        if !self.wants(trigger, now) {
            return false;
        }
        if self.lookup_fetches {
            // On failure the old set (if still usable) answers; the error is kept in last_error.
            matches!(self.try_refresh(trigger), Ok(true))
        } else {
            self.wake.request();
            false
        }
    }

    /// Fetches, checks and installs a set. The caller holds `fetching`.
    fn fetch_and_install(&self) -> Result<(), Error> {
        let outcome = self.fetch_and_prepare();
        let now = self.time.now_ms();
        self.next_attempt.store(
            now.saturating_add(millis(self.config.cooldown)),
            Ordering::Release,
        );
        match outcome {
            Ok((keys, max_age)) => {
                self.keys.install(keys);
                let max_age = max_age
                    .unwrap_or(self.config.default_max_age)
                    .clamp(self.config.min_max_age, self.config.max_max_age);
                let expires_at = now.saturating_add(millis(max_age));
                let due = now.saturating_add(millis(max_age) / 4 * 3);
                self.refresh_due.store(due, Ordering::Release);
                self.expires_at.store(expires_at, Ordering::Release);
                self.usable_until.store(
                    expires_at.saturating_add(millis(self.config.max_stale)),
                    Ordering::Release,
                );
                *lock(&self.last_error) = None;
                // Requests from lookups made before this fetch are answered by it.
                *lock(&self.wake.requested) = false;
                Ok(())
            }
            Err(error) => {
                *lock(&self.last_error) = Some(error.to_string());
                Err(Error::KeyUnavailable(error))
            }
        }
    }

    fn fetch_and_prepare(
        &self,
    ) -> Result<(crate::keyset::PreparedKeys, Option<Duration>), BoxError> {
        let fetched = self
            .fetcher
            .fetch()
            .map_err(|e| format!("JWK Set fetch failed: {e}"))?;
        if fetched.body.len() > self.config.max_body_bytes {
            return Err(format!(
                "JWK Set document of {} bytes is over the limit of {}",
                fetched.body.len(),
                self.config.max_body_bytes
            )
            .into());
        }
        let text =
            std::str::from_utf8(&fetched.body).map_err(|_| "JWK Set document is not UTF-8 text")?;
        let set = JwkSet::from_json(text).map_err(|e| e.to_string())?;
        let keys = self.keys.prepare_jwks(&set, false);
        if keys.signature_keys() == 0 {
            return Err(format!(
                "JWK Set holds no usable signature key ({} members skipped)",
                keys.skipped()
            )
            .into());
        }
        Ok((keys, fetched.max_age))
    }

    fn unavailable(&self) -> Error {
        let detail = match lock(&self.last_error).as_deref() {
            Some(reason) if self.expires_at.load(Ordering::Acquire) == 0 => {
                format!("no JWK Set fetched yet; last attempt: {reason}")
            }
            Some(reason) => {
                format!("cached JWK Set is past its stale limit; last attempt: {reason}")
            }
            None if self.expires_at.load(Ordering::Acquire) == 0 => {
                "no JWK Set fetched yet".to_owned()
            }
            None => "cached JWK Set is past its stale limit".to_owned(),
        };
        Error::KeyUnavailable(detail.into())
    }
}

impl<F: JwksFetcher> KeyProvider for RemoteJwkSet<F> {
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        let now = self.time.now_ms();
        if now >= self.expires_at.load(Ordering::Acquire) {
            self.lookup_refresh(Trigger::Expired, now);
        }
        // `now` predates any refresh just made, so a set installed by it counts as usable.
        if now >= self.usable_until.load(Ordering::Acquire) {
            return Err(self.unavailable());
        }
        match self.keys.key(request) {
            Ok(key) => Ok(key),
            Err(e) if e.kind() == ErrorKind::KeyNotFound && request.kid.is_some() => {
                if self.lookup_refresh(Trigger::UnknownKid, now) {
                    self.keys.key(request)
                } else {
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }
}

impl<F> fmt::Debug for RemoteJwkSet<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJwkSet")
            .field("keys", &self.keys)
            .field("config", &self.config)
            .field("last_error", &*lock(&self.last_error))
            .field("lookup_fetches", &self.lookup_fetches)
            .finish_non_exhaustive()
    }
}

/// The background refresh thread of a [`RemoteJwkSet`]; see
/// [`RemoteJwkSet::spawn_refresher`]. Dropping it asks the thread to stop without waiting.
pub struct Refresher {
    stop: Arc<AtomicBool>,
    wake: Arc<Wake>,
    thread: Option<JoinHandle<()>>,
}

impl Refresher {
    /// Stops the thread and waits for it to finish (and for a fetch in progress to end).
    pub fn stop(mut self) {
        self.signal_stop();
        if let Some(thread) = self.thread.take() {
            // A panic in the fetcher ended the thread already; there is nothing left to stop.
            let _ = thread.join();
        }
    }

    fn signal_stop(&self) {
        self.stop.store(true, Ordering::Release);
        // Taking the lock orders this with the thread's check before it waits.
        let _requested = lock(&self.wake.requested);
        self.wake.signal.notify_all();
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

impl fmt::Debug for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refresher")
            .field("stopped", &self.stop.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
