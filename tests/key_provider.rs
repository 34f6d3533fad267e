//! Key selection by `kid` and algorithm, JWK Set loading, rotation under concurrent verification,
//! and the closure provider.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tessera::{
    Algorithm, Error, ErrorKind, FnProvider, JwkSet, KeyProvider, KeyRequest, KeySet, SigningKey,
    VerifyingKey,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn vector(name: &str) -> Value {
    let path = format!("{}/tests/data/rfc/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn jwks(members: Vec<Value>) -> JwkSet {
    JwkSet::from_json(&json!({ "keys": members }).to_string()).unwrap()
}

/// Looks the key up with the token's `alg` and `kid` and checks the signature: exactly one key,
/// exactly one signature check.
fn verify(provider: &impl KeyProvider, token: &str) -> Result<(), Error> {
    let mut parts = token.split('.');
    let (h, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
    let alg = Algorithm::from_name(header["alg"].as_str().unwrap())?;
    let kid = header.get("kid").and_then(Value::as_str);
    let signature = URL_SAFE_NO_PAD.decode(s).unwrap();
    let key = provider.key(&KeyRequest::new(alg, kid))?;
    key.verify_signature(alg, format!("{h}.{p}").as_bytes(), &signature)
}

fn kind(result: Result<(), Error>) -> Option<ErrorKind> {
    result.err().map(|e| e.kind())
}

fn signed(secret: &[u8], alg: Algorithm, kid: Option<&str>, payload: &str) -> String {
    let mut header = json!({ "alg": alg.name() });
    if let Some(kid) = kid {
        header["kid"] = kid.into();
    }
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = SigningKey::hmac(secret)
        .unwrap()
        .sign_with(alg, input.as_bytes())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn hmac(secret: &[u8], kid: &str) -> VerifyingKey {
    VerifyingKey::hmac(secret).unwrap().with_key_id(kid)
}

fn oct_jwk(secret: &[u8], extra: Value) -> Value {
    let mut jwk = json!({ "kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret) });
    for (name, value) in extra.as_object().unwrap() {
        jwk[name] = value.clone();
    }
    jwk
}

// ---------------------------------------------------------------------------------------------
// RFC vectors

#[test]
fn rfc7520_hmac_token_selected_by_kid_in_a_secret_set() {
    let v = vector("rfc7520_4_4_hs256");
    let other = oct_jwk(&[9; 32], json!({ "kid": "other" }));
    let set = KeySet::from_secret_jwks(&jwks(vec![v["jwk"].clone(), other]));
    assert_eq!(set.len(), 2);
    assert_eq!(set.skipped(), 0);
    verify(&set, v["token"].as_str().unwrap()).unwrap();

    // The JWK is bound to HS256: the same kid asked for with HS512 finds nothing.
    let kid = v["jwk"]["kid"].as_str().unwrap();
    let err = set
        .key(&KeyRequest::new(Algorithm::HS512, Some(kid)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
}

#[test]
fn rfc7515_token_without_kid_uses_the_only_candidate() {
    let v = vector("rfc7515_a1_hs256");
    let token = v["token"].as_str().unwrap();
    let set = KeySet::from_secret_jwks(&jwks(vec![v["jwk"].clone()]));
    verify(&set, token).unwrap();

    // A second HMAC key makes a token without a kid ambiguous: no key is chosen, none is tried.
    set.insert(hmac(&[1; 32], "second"));
    assert_eq!(kind(verify(&set, token)), Some(ErrorKind::KeyNotFound));

    // Retiring it makes the choice unique again.
    assert!(set.retire("second"));
    verify(&set, token).unwrap();
}

#[test]
fn rfc_public_keys_selected_by_family_and_kid() {
    let es = vector("rfc7515_a3_es256");
    let ed = vector("rfc8037_a4_ed25519");
    let rs = vector("rfc7520_4_1_rs256");
    let set = KeySet::from_jwks(&jwks(vec![
        es["jwk"].clone(),
        ed["jwk"].clone(),
        rs["jwk"].clone(),
    ]));
    assert_eq!(set.len(), 3, "{set:?}");
    // ES256 and EdDSA tokens carry no kid: each has exactly one candidate of its family.
    verify(&set, es["token"].as_str().unwrap()).unwrap();
    verify(&set, ed["token"].as_str().unwrap()).unwrap();
    // The RS256 token names the RSA key's kid.
    verify(&set, rs["token"].as_str().unwrap()).unwrap();

    // A kid that is absent, or names a key of another family, finds nothing.
    let rsa_kid = rs["jwk"]["kid"].as_str();
    for (alg, kid) in [
        (Algorithm::RS256, Some("bilbo")),
        (Algorithm::ES256, rsa_kid),
        (Algorithm::ES384, None),
        (Algorithm::HS256, None),
    ] {
        let err = set.key(&KeyRequest::new(alg, kid)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeyNotFound, "{alg} {kid:?}");
    }
}

#[test]
fn rfc8037_thumbprint_kids() {
    let ed = vector("rfc8037_a4_ed25519");
    let thumbprint = ed["expected_jwk_thumbprint"].as_str().unwrap();
    let set = jwks(vec![ed["jwk"].clone()]);

    // Off by default: the key has no kid, so a token naming the thumbprint finds nothing.
    let plain = KeySet::from_jwks(&set);
    assert_eq!(plain.len(), 1);
    let request = KeyRequest::new(Algorithm::EdDSA, Some(thumbprint));
    assert_eq!(
        plain.key(&request).unwrap_err().kind(),
        ErrorKind::KeyNotFound
    );

    let indexed = KeySet::from_jwks(&set).with_thumbprint_kids();
    assert_eq!(indexed.key_ids(), vec![thumbprint.to_owned()]);
    assert!(indexed.key(&request).is_ok());
    // Keys inserted later are indexed too.
    let later = KeySet::new().with_thumbprint_kids();
    later.replace_from_jwks(&set);
    assert!(later.key(&request).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Selection rules

#[test]
fn kid_must_match_exactly() {
    let set = KeySet::from_keys([hmac(&[1; 32], "a"), hmac(&[2; 32], "b")]);
    let token_b = signed(&[2; 32], Algorithm::HS256, Some("b"), "{}");
    verify(&set, &token_b).unwrap();

    for kid in ["c", "B", "b ", "", "a"] {
        let token = signed(&[2; 32], Algorithm::HS256, Some(kid), "{}");
        let expected = if kid == "a" {
            ErrorKind::InvalidSignature // "a" exists: its key, and only it, is tried
        } else {
            ErrorKind::KeyNotFound
        };
        assert_eq!(kind(verify(&set, &token)), Some(expected), "{kid:?}");
    }

    // A key without a kid is never chosen for a token that names one.
    let anonymous = KeySet::from_keys([VerifyingKey::hmac(&[2; 32]).unwrap()]);
    assert_eq!(
        kind(verify(&anonymous, &token_b)),
        Some(ErrorKind::KeyNotFound)
    );
    verify(&anonymous, &signed(&[2; 32], Algorithm::HS256, None, "{}")).unwrap();
}

#[test]
fn no_kid_needs_exactly_one_candidate() {
    // Two HMAC keys, each bound to a different algorithm: for each algorithm there is one.
    let set = KeySet::from_keys([
        hmac(&[1; 32], "a")
            .with_algorithm(Algorithm::HS256)
            .unwrap(),
        hmac(&[2; 64], "b")
            .with_algorithm(Algorithm::HS512)
            .unwrap(),
    ]);
    verify(&set, &signed(&[1; 32], Algorithm::HS256, None, "x")).unwrap();
    verify(&set, &signed(&[2; 64], Algorithm::HS512, None, "x")).unwrap();
    assert_eq!(
        kind(verify(&set, &signed(&[2; 64], Algorithm::HS384, None, "x"))),
        Some(ErrorKind::KeyNotFound)
    );

    // Unbound, both are candidates for HS256: ambiguous, so nothing is tried.
    let set = KeySet::from_keys([hmac(&[1; 32], "a"), hmac(&[2; 64], "b")]);
    assert_eq!(
        kind(verify(&set, &signed(&[1; 32], Algorithm::HS256, None, "x"))),
        Some(ErrorKind::KeyNotFound)
    );
    // An empty set has no candidate at all.
    assert_eq!(
        kind(verify(
            &KeySet::new(),
            &signed(&[1; 32], Algorithm::HS256, None, "x")
        )),
        Some(ErrorKind::KeyNotFound)
    );
}

#[test]
fn shared_kid_prefers_the_key_bound_to_the_algorithm() {
    let unbound = hmac(&[1; 48], "k");
    let bound = hmac(&[2; 48], "k")
        .with_algorithm(Algorithm::HS384)
        .unwrap();
    let set = KeySet::from_keys([unbound, bound]);
    assert_eq!(set.len(), 2);

    // HS384: both support it, the bound one wins; the unbound one is never tried.
    verify(&set, &signed(&[2; 48], Algorithm::HS384, Some("k"), "x")).unwrap();
    assert_eq!(
        kind(verify(
            &set,
            &signed(&[1; 48], Algorithm::HS384, Some("k"), "x")
        )),
        Some(ErrorKind::InvalidSignature)
    );
    // HS256: only the unbound key supports it.
    verify(&set, &signed(&[1; 48], Algorithm::HS256, Some("k"), "x")).unwrap();

    // Two unbound keys under one kid: ambiguous.
    let set = KeySet::from_keys([hmac(&[1; 32], "k"), hmac(&[2; 32], "k")]);
    let request = KeyRequest::new(Algorithm::HS256, Some("k"));
    assert_eq!(
        set.key(&request).unwrap_err().kind(),
        ErrorKind::KeyNotFound
    );
    // Two keys bound to the same algorithm under one kid: ambiguous too.
    let set = KeySet::from_keys([
        hmac(&[1; 32], "k")
            .with_algorithm(Algorithm::HS256)
            .unwrap(),
        hmac(&[2; 32], "k")
            .with_algorithm(Algorithm::HS256)
            .unwrap(),
    ]);
    assert_eq!(
        set.key(&request).unwrap_err().kind(),
        ErrorKind::KeyNotFound
    );
}

#[test]
fn family_must_match() {
    let set = KeySet::from_keys([hmac(&[1; 32], "a")]);
    for alg in Algorithm::ALL {
        let found = set.key(&KeyRequest::new(alg, Some("a"))).is_ok();
        assert_eq!(
            found,
            matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512),
            "{alg}"
        );
    }
}

#[test]
fn encryption_keys_are_never_chosen() {
    let set = KeySet::from_secret_jwks(&jwks(vec![
        oct_jwk(&[1; 32], json!({ "kid": "enc", "use": "enc" })),
        oct_jwk(
            &[2; 32],
            json!({ "kid": "ops", "key_ops": ["encrypt", "decrypt"] }),
        ),
        oct_jwk(
            &[3; 32],
            json!({ "kid": "sig", "use": "sig", "key_ops": ["sign", "verify"] }),
        ),
    ]));
    for (secret, kid) in [(1, "enc"), (2, "ops")] {
        let token = signed(&[secret; 32], Algorithm::HS256, Some(kid), "x");
        assert_eq!(
            kind(verify(&set, &token)),
            Some(ErrorKind::KeyNotFound),
            "{kid}"
        );
    }
    verify(&set, &signed(&[3; 32], Algorithm::HS256, Some("sig"), "x")).unwrap();
    // Without a kid the signature key is the only candidate: encryption keys do not count.
    verify(&set, &signed(&[3; 32], Algorithm::HS256, None, "x")).unwrap();
}

#[test]
fn public_encryption_keys_are_kept_but_never_chosen() {
    let es = vector("rfc7515_a3_es256");
    let mut enc = es["jwk"].clone();
    enc["kid"] = "enc".into();
    enc["use"] = "enc".into();
    let mut sig = es["jwk"].clone();
    sig["use"] = "sig".into();
    let set = KeySet::from_jwks(&jwks(vec![enc, sig]));
    assert_eq!((set.len(), set.skipped()), (2, 0));
    // The token has no kid: the signature key is the one candidate.
    verify(&set, es["token"].as_str().unwrap()).unwrap();
    let err = set
        .key(&KeyRequest::new(Algorithm::ES256, Some("enc")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
}

#[test]
fn public_sets_skip_shared_secrets() {
    let set = jwks(vec![oct_jwk(
        &[1; 32],
        json!({ "kid": "hs", "alg": "HS256" }),
    )]);
    let public = KeySet::from_jwks(&set);
    assert!(public.is_empty());
    assert_eq!(public.skipped(), 1);
    for kid in [Some("hs"), None] {
        let token = signed(&[1; 32], Algorithm::HS256, kid, "x");
        assert_eq!(kind(verify(&public, &token)), Some(ErrorKind::KeyNotFound));
    }
    let replaced = KeySet::new();
    assert_eq!(replaced.replace_from_jwks(&set), 1);
    assert!(replaced.is_empty());

    // The same set loaded as a secret set verifies.
    let secret = KeySet::from_secret_jwks(&set);
    verify(
        &secret,
        &signed(&[1; 32], Algorithm::HS256, Some("hs"), "x"),
    )
    .unwrap();
}

#[test]
fn unusable_members_are_skipped_not_fatal() {
    let set = KeySet::from_secret_jwks(&jwks(vec![
        json!({ "kty": "unknown", "kid": "u" }),
        json!({ "kty": "EC", "crv": "P-521", "kid": "p521",
                "x": "AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",
                "y": "AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1" }),
        json!({ "kty": "EC", "crv": "secp256k1", "kid": "k1",
                "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }),
        json!({ "kty": "OKP", "crv": "X25519", "kid": "x25519",
                "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo" }),
        oct_jwk(&[1; 32], json!({ "kid": "alg", "alg": "HS1024" })),
        oct_jwk(&[1; 32], json!({ "kid": "none", "alg": "none" })),
        oct_jwk(&[1; 16], json!({ "kid": "short" })),
        json!({ "kty": "oct", "kid": "badk", "k": "not base64url!" }),
        oct_jwk(&[7; 32], json!({ "kid": "good" })),
    ]));
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(set.skipped(), 8);
    assert_eq!(set.key_ids(), vec!["good".to_owned()]);
    verify(&set, &signed(&[7; 32], Algorithm::HS256, Some("good"), "x")).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Changes

#[test]
fn insert_replaces_retire_removes_replace_all_swaps() {
    let set = KeySet::new();
    assert!(!set.insert(hmac(&[1; 32], "a")));
    assert!(!set.insert(hmac(&[2; 32], "b")));
    verify(&set, &signed(&[1; 32], Algorithm::HS256, Some("a"), "x")).unwrap();

    // Same kid, new secret: the old secret no longer verifies.
    assert!(set.insert(hmac(&[3; 32], "a")));
    assert_eq!(set.len(), 2);
    verify(&set, &signed(&[3; 32], Algorithm::HS256, Some("a"), "x")).unwrap();
    assert_eq!(
        kind(verify(
            &set,
            &signed(&[1; 32], Algorithm::HS256, Some("a"), "x")
        )),
        Some(ErrorKind::InvalidSignature)
    );

    assert!(set.retire("a"));
    assert!(!set.retire("a"));
    assert_eq!(
        kind(verify(
            &set,
            &signed(&[3; 32], Algorithm::HS256, Some("a"), "x")
        )),
        Some(ErrorKind::KeyNotFound)
    );

    set.replace_all([hmac(&[4; 32], "c"), hmac(&[5; 32], "d")]);
    assert_eq!(set.key_ids(), vec!["c".to_owned(), "d".to_owned()]);
    assert_eq!(
        kind(verify(
            &set,
            &signed(&[2; 32], Algorithm::HS256, Some("b"), "x")
        )),
        Some(ErrorKind::KeyNotFound)
    );
    verify(&set, &signed(&[5; 32], Algorithm::HS256, Some("d"), "x")).unwrap();

    // Shared keys can be inserted as they are.
    let shared = Arc::new(hmac(&[6; 32], "e"));
    set.insert(Arc::clone(&shared));
    verify(&set, &signed(&[6; 32], Algorithm::HS256, Some("e"), "x")).unwrap();
}

#[test]
fn debug_output_shows_no_secret() {
    let secret = [0x5a_u8; 32];
    let set = KeySet::from_secret_jwks(&jwks(vec![oct_jwk(&secret, json!({ "kid": "a" }))]));
    let debug = format!("{set:?}");
    assert!(debug.contains("\"a\""), "{debug}");
    assert!(!debug.contains(&URL_SAFE_NO_PAD.encode(secret)), "{debug}");
    assert!(!debug.contains("90, 90"), "{debug}");
    let handle = set
        .key(&KeyRequest::new(Algorithm::HS256, Some("a")))
        .unwrap();
    assert!(!format!("{handle:?}").contains("90, 90"));
}

#[test]
fn rotation_under_concurrent_verification() {
    const READERS: usize = 4;
    const ROUNDS: usize = 150;

    let permanent: Vec<(String, [u8; 32])> = (0..3)
        .map(|i| (format!("stay-{i}"), [100 + i as u8; 32]))
        .collect();
    let permanent_tokens: Vec<String> = permanent
        .iter()
        .map(|(kid, secret)| signed(secret, Algorithm::HS256, Some(kid), "{\"sub\":\"x\"}"))
        .collect();
    let rotating_secret = |round: usize| [(round % 200) as u8 + 1; 32];
    let rotating_token = |round: usize| {
        signed(
            &rotating_secret(round),
            Algorithm::HS256,
            Some(&format!("r-{round}")),
            "x",
        )
    };

    let set = KeySet::from_keys(permanent.iter().map(|(kid, s)| hmac(s, kid)));
    // Rounds whose key has been retired (retire has returned) so far.
    let retired = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let start = Barrier::new(READERS + 1);
    let checks = AtomicUsize::new(0);

    std::thread::scope(|scope| {
        for reader in 0..READERS {
            let (set, retired, done, start, checks) = (&set, &retired, &done, &start, &checks);
            let permanent_tokens = &permanent_tokens;
            scope.spawn(move || {
                start.wait();
                let mut i = reader;
                while !done.load(Ordering::Acquire) || i < reader + 50 {
                    let token = &permanent_tokens[i % permanent_tokens.len()];
                    verify(set, token).unwrap_or_else(|e| panic!("permanent key failed: {e}"));
                    // Every key whose retirement has returned is rejected from now on.
                    let gone = retired.load(Ordering::Acquire);
                    if gone > 0 {
                        let round = i % gone;
                        assert_eq!(
                            kind(verify(set, &rotating_token(round))),
                            Some(ErrorKind::KeyNotFound),
                            "retired key r-{round} still found"
                        );
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                    if i > 200_000 {
                        break;
                    }
                }
            });
        }

        let writer = scope.spawn(|| {
            start.wait();
            for round in 0..ROUNDS {
                let kid = format!("r-{round}");
                set.insert(hmac(&rotating_secret(round), &kid));
                verify(&set, &rotating_token(round)).unwrap();
                if round % 10 == 0 {
                    // Swap the whole set, keeping the permanent keys and the new one.
                    set.replace_all(
                        permanent
                            .iter()
                            .map(|(kid, s)| hmac(s, kid))
                            .chain([hmac(&rotating_secret(round), &kid)]),
                    );
                }
                assert!(set.retire(&kid));
                assert_eq!(
                    kind(verify(&set, &rotating_token(round))),
                    Some(ErrorKind::KeyNotFound)
                );
                retired.store(round + 1, Ordering::Release);
            }
            done.store(true, Ordering::Release);
        });
        writer.join().unwrap();
    });

    assert_eq!(retired.load(Ordering::Relaxed), ROUNDS);
    assert!(checks.load(Ordering::Relaxed) >= READERS * 50);
    assert_eq!(set.len(), permanent.len());
}

// ---------------------------------------------------------------------------------------------
// Closure provider

#[test]
fn closure_provider() {
    let current = Arc::new(hmac(&[1; 32], "current"));
    let calls = AtomicUsize::new(0);
    let provider = FnProvider::new(|req: &KeyRequest<'_>| {
        calls.fetch_add(1, Ordering::Relaxed);
        match req.kid {
            Some("current") => Ok(Arc::clone(&current)),
            _ => Err(req.not_found()),
        }
    });
    verify(
        &provider,
        &signed(&[1; 32], Algorithm::HS256, Some("current"), "x"),
    )
    .unwrap();
    assert_eq!(
        kind(verify(
            &provider,
            &signed(&[1; 32], Algorithm::HS256, Some("old"), "x")
        )),
        Some(ErrorKind::KeyNotFound)
    );
    // The key's own checks still apply to whatever the closure returns.
    let err = provider
        .key(&KeyRequest::new(Algorithm::ES256, Some("current")))
        .unwrap()
        .verify_signature(Algorithm::ES256, b"x", &[0; 64])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
    assert_eq!(calls.load(Ordering::Relaxed), 3);
}

#[test]
fn providers_are_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<KeySet>();
    shareable::<FnProvider<fn(&KeyRequest<'_>) -> Result<Arc<VerifyingKey>, Error>>>();
    shareable::<tessera::RemoteJwkSet<fn() -> Result<tessera::Fetched, tessera::BoxError>>>();
}
