//! The remote JWK Set: caching, refresh triggers, rate limiting, single flight, size cap, stale
//! limit and recovery. Time is a `FixedClock`, so nothing sleeps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};
use tessera::{
    Algorithm, BoxError, Error, ErrorKind, Fetched, FixedClock, JwksFetcher, KeyProvider,
    KeyRequest, Policy, RemoteJwkSet, Verifier,
};

const T0: i64 = 1_700_000_000;
/// Generous bound for a step that must not block at all; reaching it means the test failed.
const NO_BLOCK: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Helpers

struct EdKey {
    pair: Ed25519KeyPair,
    kid: String,
}

fn ed(seed: u8, kid: &str) -> EdKey {
    EdKey {
        pair: Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap(),
        kid: kid.to_owned(),
    }
}

impl EdKey {
    fn jwk(&self) -> Value {
        json!({
            "kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref()),
        })
    }

    fn token(&self) -> String {
        let header = json!({ "alg": "EdDSA", "kid": self.kid }).to_string();
        let claims = json!({ "sub": "alice", "exp": T0 + 100_000 }).to_string();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let signature = self.pair.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

fn document(members: &[Value]) -> String {
    json!({ "keys": members }).to_string()
}

/// Checks a token's signature with the key the provider chooses for its header.
fn verify(provider: &impl KeyProvider, token: &str) -> Result<(), Error> {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(input.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    let alg = Algorithm::from_name(header["alg"].as_str().unwrap())?;
    let kid = header.get("kid").and_then(Value::as_str);
    let key = provider.key(&KeyRequest::new(alg, kid))?;
    key.verify_signature(
        alg,
        input.as_bytes(),
        &URL_SAFE_NO_PAD.decode(signature).unwrap(),
    )
}

fn kind(result: Result<(), Error>) -> Option<ErrorKind> {
    result.err().map(|e| e.kind())
}

/// A test double for an issuer's `jwks_uri`: serves what it is told, counts fetches, and can be
/// made to fail or to hold a fetch until released.
#[derive(Default)]
struct Source {
    answer: Mutex<Option<Result<Fetched, String>>>,
    fetches: AtomicUsize,
    hold: Mutex<Option<Gate>>,
}

struct Gate {
    entered: SyncSender<()>,
    release: Receiver<()>,
}

impl Source {
    fn serving(body: String) -> Self {
        let source = Source::default();
        source.serve(Fetched::new(body));
        source
    }

    fn serve(&self, fetched: Fetched) {
        *self.answer.lock().unwrap() = Some(Ok(fetched));
    }

    fn fail(&self, reason: &str) {
        *self.answer.lock().unwrap() = Some(Err(reason.to_owned()));
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Makes the next fetch wait: returns (signalled when the fetch starts, send to let it go on).
    fn hold_next(&self) -> (Receiver<()>, SyncSender<()>) {
        let (entered, entered_rx) = mpsc::sync_channel(1);
        let (release_tx, release) = mpsc::sync_channel(1);
        *self.hold.lock().unwrap() = Some(Gate { entered, release });
        (entered_rx, release_tx)
    }
}

impl JwksFetcher for Source {
    fn fetch(&self) -> Result<Fetched, BoxError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let gate = self.hold.lock().unwrap().take();
        if let Some(gate) = gate {
            gate.entered.send(()).unwrap();
            gate.release.recv().unwrap();
        }
        match self.answer.lock().unwrap().clone() {
            Some(Ok(fetched)) => Ok(fetched),
            Some(Err(reason)) => Err(reason.into()),
            None => Err("nothing to serve".into()),
        }
    }
}

fn remote(source: Source) -> (RemoteJwkSet<Source>, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(T0));
    let set = RemoteJwkSet::new(source)
        .with_clock(Arc::clone(&clock))
        .with_lookup_fetches();
    (set, clock)
}

// ---------------------------------------------------------------------------------------------
// Loading and selection

#[test]
fn first_lookup_fetches_then_the_cache_answers() {
    let a = ed(1, "a");
    let (jwks, _clock) = remote(Source::serving(document(&[a.jwk()])));
    assert!(!jwks.is_usable());
    assert_eq!(
        jwks.fetcher().fetches(),
        0,
        "nothing is fetched before it is needed"
    );

    for _ in 0..10 {
        verify(&jwks, &a.token()).unwrap();
    }
    assert_eq!(jwks.fetcher().fetches(), 1);
    assert!(jwks.is_usable());
    assert_eq!(jwks.key_ids(), vec!["a".to_owned()]);

    // The crate's verifier takes the remote set as its key provider.
    let verifier = Verifier::new(&jwks, Policy::new([Algorithm::EdDSA]));
    let verified = verifier.verify_jws(&a.token()).unwrap();
    assert!(verified.payload().starts_with(b"{"));
    assert_eq!(jwks.fetcher().fetches(), 1);
}

#[test]
fn shared_secrets_in_a_remote_set_are_never_used() {
    let a = ed(1, "a");
    let secret = [7_u8; 32];
    let oct =
        json!({ "kty": "oct", "kid": "hs", "alg": "HS256", "k": URL_SAFE_NO_PAD.encode(secret) });
    let (jwks, _clock) = remote(Source::serving(document(&[oct.clone(), a.jwk()])));
    jwks.refresh_now().unwrap();
    assert_eq!(jwks.key_ids(), vec!["a".to_owned()]);
    for kid in [Some("hs"), None] {
        let err = jwks
            .key(&KeyRequest::new(Algorithm::HS256, kid))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeyNotFound, "{kid:?}");
    }

    // A set of nothing but secrets is not a usable set: the fetch counts as failed.
    let (only_secrets, _clock) = remote(Source::serving(document(&[oct])));
    let err = only_secrets.refresh_now().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyUnavailable);
    assert!(
        only_secrets
            .last_error()
            .unwrap()
            .contains("no usable signature key")
    );
    let err = only_secrets
        .key(&KeyRequest::new(Algorithm::HS256, Some("hs")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyUnavailable);
}

#[test]
fn documents_that_are_not_jwk_sets_are_failed_fetches() {
    let a = ed(1, "a");
    let (jwks, _clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();
    for body in [
        b"<html>not found</html>".to_vec(),
        b"{\"keys\": 1}".to_vec(),
        vec![0xff, 0xfe, b'{'],
        Vec::new(),
    ] {
        jwks.fetcher().serve(Fetched::new(body.clone()));
        assert_eq!(
            jwks.refresh_now().unwrap_err().kind(),
            ErrorKind::KeyUnavailable,
            "{body:?}"
        );
        // The last good set is still in use.
        verify(&jwks, &a.token()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Refresh triggers and rate limiting

#[test]
fn unknown_kid_flood_fetches_at_most_once_per_cooldown() {
    let a = ed(1, "a");
    let (jwks, clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();
    assert_eq!(jwks.fetcher().fetches(), 1);

    // Within the cooldown of the load, unknown kids from many threads fetch nothing.
    std::thread::scope(|scope| {
        for t in 0..8 {
            let jwks = &jwks;
            scope.spawn(move || {
                for i in 0..500 {
                    let kid = format!("random-{t}-{i}");
                    let err = jwks
                        .key(&KeyRequest::new(Algorithm::EdDSA, Some(&kid)))
                        .unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
                }
            });
        }
    });
    assert_eq!(jwks.fetcher().fetches(), 1);

    // Over five minutes of floods, ten seconds apart: one fetch per 30 s cooldown at most.
    for step in 1..=30 {
        clock.advance(10);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let jwks = &jwks;
                scope.spawn(move || {
                    for i in 0..100 {
                        let kid = format!("flood-{step}-{t}-{i}");
                        let request = KeyRequest::new(Algorithm::EdDSA, Some(&kid));
                        assert!(jwks.key(&request).is_err());
                    }
                });
            }
        });
        verify(&jwks, &a.token()).unwrap();
    }
    let fetches = jwks.fetcher().fetches();
    assert!(fetches <= 1 + 300 / 30, "{fetches} fetches");
    assert!(fetches >= 2, "unknown kids never triggered a refresh");
}

#[test]
fn a_new_kid_is_picked_up_by_one_refresh() {
    let (a, b) = (ed(1, "a"), ed(2, "b"));
    let (jwks, clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();

    // The issuer publishes b and starts signing with it.
    jwks.fetcher()
        .serve(Fetched::new(document(&[a.jwk(), b.jwk()])));
    // Within the cooldown the unknown kid is not fetched for.
    assert_eq!(
        kind(verify(&jwks, &b.token())),
        Some(ErrorKind::KeyNotFound)
    );
    assert_eq!(jwks.fetcher().fetches(), 1);

    clock.advance(31);
    verify(&jwks, &b.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
    verify(&jwks, &a.token()).unwrap();

    // The issuer retires a: after the next refresh, a is rejected.
    jwks.fetcher().serve(Fetched::new(document(&[b.jwk()])));
    jwks.refresh_now().unwrap();
    assert_eq!(
        kind(verify(&jwks, &a.token())),
        Some(ErrorKind::KeyNotFound)
    );
    verify(&jwks, &b.token()).unwrap();
}

#[test]
fn an_expired_set_is_refetched_by_the_thread_that_finds_it() {
    let (a, b) = (ed(1, "a"), ed(2, "b"));
    let (jwks, clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();
    jwks.fetcher().serve(Fetched::new(document(&[b.jwk()])));

    // Default max age: 10 minutes.
    clock.advance(599);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 1);

    clock.advance(1);
    // This lookup fetches the new set and answers from it.
    assert_eq!(
        kind(verify(&jwks, &a.token())),
        Some(ErrorKind::KeyNotFound)
    );
    assert_eq!(jwks.fetcher().fetches(), 2);
    verify(&jwks, &b.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
}

#[test]
fn the_source_max_age_is_used_within_bounds() {
    let a = ed(1, "a");
    let body = document(&[a.jwk()]);
    let source = Source::serving(body.clone());
    // Asking for one second is clamped up to the one-minute minimum.
    source.serve(Fetched::new(body.clone()).with_max_age(Duration::from_secs(1)));
    let (jwks, clock) = remote(source);
    jwks.refresh_now().unwrap();
    clock.advance(59);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 1);
    clock.advance(1);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);

    // Ten years is clamped down to one day.
    jwks.fetcher()
        .serve(Fetched::new(body.clone()).with_max_age(Duration::from_secs(10 * 365 * 86_400)));
    jwks.refresh_now().unwrap();
    assert_eq!(jwks.fetcher().fetches(), 3);
    clock.advance(86_399);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 3);
    clock.advance(1);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 4);

    // Within the bounds the source's value is used as given; bounds and default are settable.
    let clock = Arc::new(FixedClock::at(T0));
    let jwks = RemoteJwkSet::new(Source::serving(body.clone()))
        .with_lookup_fetches()
        .with_clock(Arc::clone(&clock))
        .with_max_age_bounds(Duration::from_secs(5), Duration::from_secs(100))
        .with_default_max_age(Duration::from_secs(40))
        .with_cooldown(Duration::from_secs(1));
    jwks.refresh_now().unwrap();
    clock.advance(39);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 1);
    clock.advance(1);
    jwks.fetcher()
        .serve(Fetched::new(body).with_max_age(Duration::from_secs(7)));
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
    clock.advance(7);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 3);
}

#[test]
fn refresh_if_due_and_the_background_refresher() {
    let a = ed(1, "a");
    let (jwks, clock) = remote(Source::serving(document(&[a.jwk()])));
    // Nothing fetched yet: due.
    assert!(jwks.refresh_if_due().unwrap());
    assert!(!jwks.refresh_if_due().unwrap());
    // Due at three quarters of the 10-minute max age, before any lookup would fetch.
    clock.advance(449);
    assert!(!jwks.refresh_if_due().unwrap());
    clock.advance(1);
    assert!(jwks.refresh_if_due().unwrap());
    assert_eq!(jwks.fetcher().fetches(), 2);
    // A failure is reported, and retried only after the cooldown.
    clock.advance(450);
    jwks.fetcher().fail("503");
    assert_eq!(
        jwks.refresh_if_due().unwrap_err().kind(),
        ErrorKind::KeyUnavailable
    );
    assert!(!jwks.refresh_if_due().unwrap());
    assert_eq!(jwks.fetcher().fetches(), 3);

    // The refresher loads the set as soon as it starts, and stops when asked.
    let shared = Arc::new(RemoteJwkSet::new(Source::serving(document(&[a.jwk()]))));
    let refresher = shared.spawn_refresher(Duration::from_secs(3600)).unwrap();
    refresher.stop();
    assert_eq!(shared.fetcher().fetches(), 1);
    verify(&*shared, &a.token()).unwrap();
    assert_eq!(shared.fetcher().fetches(), 1);
}

#[test]
fn by_default_lookups_never_fetch_they_wake_the_refresher() {
    let (a, b) = (ed(1, "a"), ed(2, "b"));
    let clock = Arc::new(FixedClock::at(T0));
    let jwks = Arc::new(
        RemoteJwkSet::new(Source::serving(document(&[a.jwk()]))).with_clock(Arc::clone(&clock)),
    );
    // Waits (with no time limit on success) for what the woken refresher must bring about.
    let wait_until = |done: &dyn Fn() -> bool| {
        let mut waited = Duration::ZERO;
        while !done() {
            assert!(waited < NO_BLOCK, "the refresher was not woken");
            std::thread::sleep(Duration::from_millis(5));
            waited += Duration::from_millis(5);
        }
    };

    // Lookups never fetch, not even the first.
    for _ in 0..3 {
        assert_eq!(
            kind(verify(&*jwks, &a.token())),
            Some(ErrorKind::KeyUnavailable)
        );
    }
    assert_eq!(jwks.fetcher().fetches(), 0);
    jwks.refresh_now().unwrap();
    verify(&*jwks, &a.token()).unwrap();

    // A refresher whose period is far away: only a lookup can make it fetch now.
    let refresher = jwks.spawn_refresher(Duration::from_secs(3600)).unwrap();

    // A new kid past the cooldown: the lookup answers from the cache, and wakes the refresher.
    jwks.fetcher()
        .serve(Fetched::new(document(&[a.jwk(), b.jwk()])));
    clock.advance(31);
    assert_eq!(
        kind(verify(&*jwks, &b.token())),
        Some(ErrorKind::KeyNotFound)
    );
    wait_until(&|| jwks.key_ids().len() == 2);
    verify(&*jwks, &b.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);

    // An expired set: the lookup answers from the stale cache, and wakes the refresher.
    jwks.fetcher().serve(Fetched::new(document(&[b.jwk()])));
    clock.advance(600);
    verify(&*jwks, &b.token()).unwrap();
    wait_until(&|| jwks.key_ids() == ["b"]);
    refresher.stop();
    assert_eq!(jwks.fetcher().fetches(), 3);
}

// ---------------------------------------------------------------------------------------------
// Failures

#[test]
fn a_failing_source_keeps_the_last_good_set_until_the_stale_limit() {
    let (a, b) = (ed(1, "a"), ed(2, "b"));
    let (jwks, clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();
    jwks.fetcher().fail("connection refused");

    // Past the max age: the lookup tries once, fails, and verifies with the stale set.
    clock.advance(600);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
    assert!(jwks.last_error().unwrap().contains("connection refused"));
    // Further lookups retry at most once per cooldown.
    for _ in 0..100 {
        verify(&jwks, &a.token()).unwrap();
    }
    clock.advance(29);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
    clock.advance(1);
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 3);

    // At max age + stale limit (1 hour), the set fails closed.
    clock.set(T0 + 600 + 3600 - 1);
    verify(&jwks, &a.token()).unwrap();
    clock.set(T0 + 600 + 3600);
    let err = verify(&jwks, &a.token()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyUnavailable);
    assert!(err.to_string().contains("stale"), "{err}");
    assert!(!jwks.is_usable());
    let attempts = jwks.fetcher().fetches();
    assert_eq!(
        kind(verify(&jwks, &a.token())),
        Some(ErrorKind::KeyUnavailable)
    );
    assert_eq!(
        jwks.fetcher().fetches(),
        attempts,
        "retries wait for the cooldown"
    );

    // The issuer comes back, having rotated to b: the next attempt after the cooldown recovers.
    jwks.fetcher().serve(Fetched::new(document(&[b.jwk()])));
    clock.advance(30);
    verify(&jwks, &b.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), attempts + 1);
    assert!(jwks.is_usable());
    assert_eq!(jwks.last_error(), None);
    assert_eq!(
        kind(verify(&jwks, &a.token())),
        Some(ErrorKind::KeyNotFound)
    );
}

#[test]
fn the_stale_limit_is_settable_and_a_first_load_failure_fails_closed() {
    let a = ed(1, "a");
    let source = Source::default();
    source.fail("dns");
    let clock = Arc::new(FixedClock::at(T0));
    let jwks = RemoteJwkSet::new(source)
        .with_lookup_fetches()
        .with_clock(Arc::clone(&clock))
        .with_max_stale(Duration::from_secs(60));
    let err = verify(&jwks, &a.token()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyUnavailable);
    assert!(err.to_string().contains("no JWK Set fetched yet"), "{err}");
    assert_eq!(jwks.fetcher().fetches(), 1);

    jwks.fetcher().serve(Fetched::new(document(&[a.jwk()])));
    // refresh_now is not held back by the cooldown.
    jwks.refresh_now().unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
    jwks.fetcher().fail("dns");
    clock.advance(600 + 59);
    verify(&jwks, &a.token()).unwrap();
    clock.advance(1);
    assert_eq!(
        kind(verify(&jwks, &a.token())),
        Some(ErrorKind::KeyUnavailable)
    );
}

#[test]
fn oversized_documents_are_refused() {
    let (a, b) = (ed(1, "a"), ed(2, "b"));
    let good = document(&[a.jwk()]);
    let (jwks, _clock) = remote(Source::serving(good.clone()));
    assert_eq!(jwks.max_body_bytes(), 64 * 1024);
    jwks.refresh_now().unwrap();

    // A valid set padded past 64 KiB is refused whole, and the last good set stays.
    let padded = |len: usize, keys: &[Value]| {
        let doc = document(keys);
        format!("{}{}", doc, " ".repeat(len - doc.len()))
    };
    jwks.fetcher()
        .serve(Fetched::new(padded(64 * 1024 + 1, &[b.jwk()])));
    assert_eq!(
        jwks.refresh_now().unwrap_err().kind(),
        ErrorKind::KeyUnavailable
    );
    assert!(jwks.last_error().unwrap().contains("over the limit"));
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(
        kind(verify(&jwks, &b.token())),
        Some(ErrorKind::KeyNotFound)
    );

    // Exactly at the limit is accepted.
    jwks.fetcher()
        .serve(Fetched::new(padded(64 * 1024, &[b.jwk()])));
    jwks.refresh_now().unwrap();
    verify(&jwks, &b.token()).unwrap();

    // The limit is settable.
    let (small, _clock) = remote(Source::serving(good.clone()));
    let small = small.with_max_body_bytes(good.len() - 1);
    assert_eq!(
        small.refresh_now().unwrap_err().kind(),
        ErrorKind::KeyUnavailable
    );
    assert_eq!(
        kind(verify(&small, &a.token())),
        Some(ErrorKind::KeyUnavailable)
    );
}

// ---------------------------------------------------------------------------------------------
// Single flight

#[test]
fn a_slow_fetch_does_not_hold_up_verification() {
    let (a, b) = (ed(1, "a"), ed(2, "b"));
    let (jwks, clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();
    jwks.fetcher()
        .serve(Fetched::new(document(&[a.jwk(), b.jwk()])));
    clock.advance(31);
    let (entered, release) = jwks.fetcher().hold_next();

    std::thread::scope(|scope| {
        // A token with the new kid makes this thread fetch; the fetch is held.
        let fetching = scope.spawn(|| verify(&jwks, &b.token()));
        entered
            .recv_timeout(NO_BLOCK)
            .expect("the fetch never started");

        // Meanwhile other threads verify with the cached set, and start no second fetch.
        let (done_tx, done) = mpsc::channel();
        for _ in 0..3 {
            let (jwks, done_tx, a_token, b_token) = (&jwks, done_tx.clone(), a.token(), b.token());
            scope.spawn(move || {
                for _ in 0..200 {
                    verify(jwks, &a_token).unwrap();
                }
                // b is not in the cached set yet, and its fetch is already in flight.
                let not_yet = kind(verify(jwks, &b_token));
                done_tx.send(not_yet).unwrap();
            });
        }
        for _ in 0..3 {
            let not_yet = done
                .recv_timeout(NO_BLOCK)
                .expect("verification waited for the fetch");
            assert_eq!(not_yet, Some(ErrorKind::KeyNotFound));
        }
        assert_eq!(jwks.fetcher().fetches(), 2, "a second fetch started");

        // refresh_if_due does not wait for the fetch in flight either.
        assert!(!jwks.refresh_if_due().unwrap());

        release.send(()).unwrap();
        fetching.join().unwrap().unwrap();
    });
    verify(&jwks, &b.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 2);
}

#[test]
fn before_the_first_load_other_threads_fail_fast_instead_of_waiting() {
    let a = ed(1, "a");
    let (jwks, _clock) = remote(Source::serving(document(&[a.jwk()])));
    let (entered, release) = jwks.fetcher().hold_next();
    std::thread::scope(|scope| {
        let loading = scope.spawn(|| verify(&jwks, &a.token()));
        entered
            .recv_timeout(NO_BLOCK)
            .expect("the fetch never started");
        let (tx, rx) = mpsc::channel();
        scope.spawn(|| {
            let tx = tx;
            tx.send(kind(verify(&jwks, &a.token()))).unwrap();
        });
        let other = rx
            .recv_timeout(NO_BLOCK)
            .expect("lookup waited for the fetch");
        assert_eq!(other, Some(ErrorKind::KeyUnavailable));
        release.send(()).unwrap();
        loading.join().unwrap().unwrap();
    });
    verify(&jwks, &a.token()).unwrap();
    assert_eq!(jwks.fetcher().fetches(), 1);
}

#[test]
fn debug_output_names_keys_not_the_fetcher() {
    let a = ed(1, "a");
    let (jwks, _clock) = remote(Source::serving(document(&[a.jwk()])));
    jwks.refresh_now().unwrap();
    let debug = format!("{jwks:?}");
    assert!(
        debug.contains("RemoteJwkSet") && debug.contains("\"a\""),
        "{debug}"
    );
}
