//! Revocation: the jti denylist, subject cutoffs, the Bloom snapshot (format, signed form, check)
//! and composition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use tessera::{
    Algorithm, BloomCheck, BloomSnapshot, Denylist, Error, ErrorKind, FailOpen, FixedClock,
    NoRevocation, NumericDate, OnHit, Revocation, SigningKey, SubjectCutoff, TokenFacts,
    VerifyingKey,
};

fn date(secs: i64) -> NumericDate {
    NumericDate::from_secs(secs).unwrap()
}

fn kind(r: Result<(), Error>) -> Option<ErrorKind> {
    r.err().map(|e| e.kind())
}

fn jti_at(jti: &str, now: i64) -> TokenFacts<'_> {
    TokenFacts::new(date(now)).with_jti(jti)
}

// ---------------------------------------------------------------------------------------------
// Denylist

#[test]
fn denylist_revokes_until_exp_plus_leeway() {
    let clock = Arc::new(FixedClock::at(1_000));
    let list = Denylist::new().with_leeway(30).with_clock(clock.clone());
    list.revoke("a", date(1_100));
    assert!(list.is_revoked("a"));
    assert!(!list.is_revoked("b"));
    assert_eq!(list.len(), 1);

    assert_eq!(
        kind(list.check(&jti_at("a", 1_000))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(kind(list.check(&jti_at("b", 1_000))), None);
    // Still revoked at exp + leeway (a verifier with that leeway still accepts the token)...
    assert_eq!(
        kind(list.check(&jti_at("a", 1_130))),
        Some(ErrorKind::Revoked)
    );
    // ...and ignored one second later, before any purge.
    assert_eq!(kind(list.check(&jti_at("a", 1_131))), None);
    assert_eq!(list.len(), 1);

    clock.set(1_130);
    assert_eq!(list.purge_expired(), 0);
    clock.set(1_131);
    assert!(!list.is_revoked("a"));
    assert_eq!(list.purge_expired(), 1);
    assert!(list.is_empty());
}

#[test]
fn denylist_keeps_the_later_expiry_and_skips_expired_tokens() {
    let clock = Arc::new(FixedClock::at(1_000));
    let list = Denylist::new().with_leeway(0).with_clock(clock.clone());
    list.revoke("a", date(2_000));
    list.revoke("a", date(1_500));
    assert_eq!(
        kind(list.check(&jti_at("a", 1_900))),
        Some(ErrorKind::Revoked)
    );
    list.revoke("old", date(999));
    assert_eq!(list.len(), 1);
    assert_eq!(list.live_jtis(), vec!["a".to_owned()]);
}

#[test]
fn denylist_requires_jti_unless_allowed() {
    let facts = TokenFacts::new(date(1_000)).with_sub("alice");
    let err = Denylist::new().check(&facts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingClaim);
    assert_eq!(err.to_string(), "missing claim jti");
    assert_eq!(
        kind(Denylist::new().allow_missing_jti().check(&facts)),
        None
    );
}

#[test]
fn denylist_holds_a_million_entries() {
    let clock = Arc::new(FixedClock::at(1_000));
    let list = Denylist::new().with_clock(clock);
    for i in 0..1_000_000u32 {
        list.revoke(&format!("{i:032x}"), date(2_000));
    }
    assert_eq!(list.len(), 1_000_000);
    for i in (0..1_000_000u32).step_by(997) {
        let jti = format!("{i:032x}");
        assert_eq!(
            kind(list.check(&jti_at(&jti, 1_500))),
            Some(ErrorKind::Revoked)
        );
        let other = format!("{:032x}", u64::from(i) + 1_000_000);
        assert_eq!(kind(list.check(&jti_at(&other, 1_500))), None);
    }
}

#[test]
fn denylist_readers_see_every_completed_write_while_writers_run() {
    let clock = Arc::new(FixedClock::at(1_000));
    let list = Denylist::new().with_clock(clock);
    let written = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..50_000 {
                list.revoke(&format!("w-{i}"), date(2_000));
                written.store(i + 1, Ordering::Release);
            }
            done.store(true, Ordering::Release);
        });
        for _ in 0..2 {
            s.spawn(|| {
                let mut checks = 0u64;
                while !done.load(Ordering::Acquire) || checks < 1_000 {
                    let upto = written.load(Ordering::Acquire);
                    if upto > 0 {
                        // Every jti whose revoke returned is revoked for every reader.
                        let i = (checks as usize * 7919) % upto;
                        let jti = format!("w-{i}");
                        assert_eq!(
                            kind(list.check(&jti_at(&jti, 1_500))),
                            Some(ErrorKind::Revoked),
                            "{jti}"
                        );
                    }
                    checks += 1;
                }
            });
        }
    });
    assert_eq!(list.len(), 50_000);
}

// ---------------------------------------------------------------------------------------------
// SubjectCutoff

fn token<'a>(sub: &'a str, iss: Option<&'a str>, iat: Option<i64>, now: i64) -> TokenFacts<'a> {
    let mut t = TokenFacts::new(date(now)).with_sub(sub).with_jti("j");
    if let Some(iss) = iss {
        t = t.with_iss(iss);
    }
    if let Some(iat) = iat {
        t = t.with_iat(date(iat));
    }
    t
}

#[test]
fn cutoff_boundary_iat_before_is_revoked_equal_or_after_passes() {
    let cutoffs = SubjectCutoff::new();
    cutoffs.revoke_subject("alice", date(1_000));
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, Some(999), 1_500))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, Some(1_000), 1_500))),
        None
    );
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, Some(1_001), 1_500))),
        None
    );
    // Other subjects and tokens without sub are unaffected.
    assert_eq!(
        kind(cutoffs.check(&token("bob", None, Some(1), 1_500))),
        None
    );
    assert_eq!(kind(cutoffs.check(&TokenFacts::new(date(1_500)))), None);
    // Fractional dates compare exactly.
    let half = NumericDate::from_f64(999.5).unwrap();
    let t = TokenFacts::new(date(1_500))
        .with_sub("alice")
        .with_iat(half);
    assert_eq!(kind(cutoffs.check(&t)), Some(ErrorKind::Revoked));
    cutoffs.revoke_subject("carol", NumericDate::from_f64(1_000.5).unwrap());
    assert_eq!(
        kind(cutoffs.check(&token("carol", None, Some(1_000), 1_500))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(
        kind(cutoffs.check(&token("carol", None, Some(1_001), 1_500))),
        None
    );
}

#[test]
fn cutoff_without_iat_fails_closed() {
    let cutoffs = SubjectCutoff::new();
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, None, 1_500))),
        None
    );
    cutoffs.revoke_subject("alice", date(1_000));
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, None, 1_500))),
        Some(ErrorKind::Revoked)
    );
}

#[test]
fn cutoff_per_issuer_and_for_every_issuer() {
    let cutoffs = SubjectCutoff::new();
    cutoffs.revoke_subject_for_issuer("https://a", "alice", date(1_000));
    let a = token("alice", Some("https://a"), Some(999), 1_500);
    let b = token("alice", Some("https://b"), Some(999), 1_500);
    let none = token("alice", None, Some(999), 1_500);
    assert_eq!(kind(cutoffs.check(&a)), Some(ErrorKind::Revoked));
    assert_eq!(kind(cutoffs.check(&b)), None);
    assert_eq!(kind(cutoffs.check(&none)), None);
    assert_eq!(
        cutoffs.cutoff(Some("https://a"), "alice"),
        Some(date(1_000))
    );
    assert_eq!(cutoffs.cutoff(None, "alice"), None);

    cutoffs.revoke_subject("alice", date(900));
    assert_eq!(kind(cutoffs.check(&b)), None); // 999 >= 900
    assert_eq!(
        kind(cutoffs.check(&token("alice", Some("https://b"), Some(899), 1_500))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(cutoffs.len(), 2);
}

#[test]
fn cutoff_keeps_the_later_instant() {
    let cutoffs = SubjectCutoff::new();
    cutoffs.revoke_subject("alice", date(1_000));
    cutoffs.revoke_subject("alice", date(500));
    assert_eq!(cutoffs.cutoff(None, "alice"), Some(date(1_000)));
    cutoffs.revoke_subject("alice", date(1_200));
    assert_eq!(cutoffs.cutoff(None, "alice"), Some(date(1_200)));
    assert_eq!(cutoffs.len(), 1);
}

#[test]
fn cutoff_entries_expire_after_the_maximum_token_lifetime() {
    let clock = Arc::new(FixedClock::at(1_000));
    let cutoffs = SubjectCutoff::new()
        .with_max_token_lifetime(600)
        .with_leeway(30)
        .with_clock(clock.clone());
    cutoffs.revoke_subject("alice", date(1_000));
    // A token issued just before the cutoff lives at most until 1_599 (+30 s leeway).
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, Some(999), 1_630))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(
        kind(cutoffs.check(&token("alice", None, Some(999), 1_631))),
        None
    );
    clock.set(1_630);
    assert_eq!(cutoffs.purge_expired(), 0);
    clock.set(1_631);
    assert_eq!(cutoffs.cutoff(None, "alice"), None);
    assert_eq!(cutoffs.purge_expired(), 1);
    assert!(cutoffs.is_empty());
    // Without a maximum lifetime, entries stay.
    let forever = SubjectCutoff::new().with_clock(clock);
    forever.revoke_subject("alice", date(1));
    assert_eq!(forever.purge_expired(), 0);
    assert_eq!(
        kind(forever.check(&token("alice", None, Some(0), 10_000_000))),
        Some(ErrorKind::Revoked)
    );
}

// ---------------------------------------------------------------------------------------------
// BloomSnapshot: construction and false-positive rate

#[test]
fn bloom_has_no_false_negatives() {
    let jtis: Vec<String> = (0..50_000).map(|i| format!("revoked-{i}")).collect();
    let snapshot = BloomSnapshot::build(&jtis, 0.001, date(1_000)).unwrap();
    assert!(jtis.iter().all(|j| snapshot.might_contain(j)));
    assert_eq!(snapshot.entry_count(), 50_000);
}

#[test]
fn bloom_measured_false_positive_rate_meets_the_target() {
    for (entries, target, queries) in [(20_000, 0.001, 1_000_000), (20_000, 0.01, 200_000)] {
        let jtis = (0..entries).map(|i| format!("revoked-{i}"));
        let snapshot = BloomSnapshot::build(jtis, target, date(1_000)).unwrap();
        let false_positives = (0..queries)
            .filter(|i| snapshot.might_contain(&format!("live-{i}")))
            .count();
        let measured = false_positives as f64 / f64::from(queries);
        let bytes_per_entry = snapshot.encoded_len() as f64 / f64::from(entries);
        eprintln!(
            "Bloom: {entries} entries, target FP rate {target}, measured {measured:.5} \
             ({false_positives}/{queries}), estimated {:.5}, {bytes_per_entry:.3} bytes/entry, k={}",
            snapshot.estimated_false_positive_rate(),
            snapshot.hash_count()
        );
        // Expected count = target · queries (1000 and 2000), standard deviation about its root:
        // the bounds are far outside chance yet catch a mis-sized or mis-hashed filter.
        assert!(
            measured <= target * 1.25,
            "measured {measured} over target {target}"
        );
        assert!(
            measured >= target * 0.5,
            "measured {measured} implausibly low for {target}"
        );
        // -ln p / ln²2 bits per entry, plus the 32-byte header.
        let ideal = -target.ln() / (std::f64::consts::LN_2.powi(2)) / 8.0;
        assert!(
            (bytes_per_entry - ideal).abs() < 0.01,
            "{bytes_per_entry} vs {ideal}"
        );
    }
}

#[test]
fn bloom_rejects_an_impossible_rate() {
    for rate in [0.0, 1.0, -0.1, 2.0, f64::NAN, f64::INFINITY] {
        let err = BloomSnapshot::build(["a"], rate, date(0)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{rate}");
    }
}

// ---------------------------------------------------------------------------------------------
// BloomSnapshot: the binary format

/// SHA-256("abc"), FIPS 180-2 appendix B.1.
const SHA256_ABC: [u8; 32] = [
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
];

#[test]
fn bloom_binary_form_matches_the_documented_layout() {
    // One entry at 1 %: m = ceil(-ln 0.01 / ln²2) = 10 bits, k = round(10 · ln 2) = 7.
    let snapshot = BloomSnapshot::build(["abc"], 0.01, date(1_700_000_000)).unwrap();
    assert_eq!((snapshot.bit_len(), snapshot.hash_count()), (10, 7));

    // The expected bits, derived from the published digest by the documented scheme.
    let h1 = u64::from_be_bytes(SHA256_ABC[0..8].try_into().unwrap());
    let h2 = u64::from_be_bytes(SHA256_ABC[8..16].try_into().unwrap()) | 1;
    let mut bits = [0u8; 2];
    for i in 0..7u64 {
        let pos = h1.wrapping_add(i.wrapping_mul(h2)) % 10;
        bits[(pos / 8) as usize] |= 1 << (pos % 8);
    }
    let mut expected = Vec::new();
    expected.extend_from_slice(b"TBF1");
    expected.extend_from_slice(&[1, 7, 0, 0]);
    expected.extend_from_slice(&10u64.to_be_bytes());
    expected.extend_from_slice(&1u64.to_be_bytes());
    expected.extend_from_slice(&1_700_000_000i64.to_be_bytes());
    expected.extend_from_slice(&bits);
    assert_eq!(snapshot.to_bytes(), expected);
    assert_eq!(snapshot.encoded_len(), expected.len());

    let parsed = BloomSnapshot::from_bytes(&expected).unwrap();
    assert_eq!(parsed, snapshot);
    assert_eq!(parsed.issued_at(), date(1_700_000_000));
    assert_eq!(parsed.entry_count(), 1);
    assert!(parsed.might_contain("abc"));
}

#[test]
fn bloom_round_trips_through_bytes() {
    let jtis: Vec<String> = (0..1_000).map(|i| format!("j{i}")).collect();
    let snapshot = BloomSnapshot::build(&jtis, 0.001, date(42)).unwrap();
    let bytes = snapshot.to_bytes();
    let parsed = BloomSnapshot::from_bytes(&bytes).unwrap();
    assert_eq!(parsed, snapshot);
    assert!(jtis.iter().all(|j| parsed.might_contain(j)));
}

fn valid_bytes() -> Vec<u8> {
    // 20 bits: the last byte has 4 unused bits.
    let snapshot = BloomSnapshot::build(["a", "b", "c", "d"], 0.1, date(5)).unwrap();
    assert_eq!(snapshot.bit_len(), 20);
    snapshot.to_bytes()
}

fn malformed(bytes: &[u8]) -> bool {
    BloomSnapshot::from_bytes(bytes).map_err(|e| e.kind()) == Err(ErrorKind::Malformed)
}

#[test]
fn bloom_parsing_is_strict() {
    let good = valid_bytes();
    assert!(BloomSnapshot::from_bytes(&good).is_ok());
    let with = |at: usize, value: u8| {
        let mut b = good.clone();
        b[at] = value;
        b
    };
    assert!(malformed(&with(0, b'X')), "magic");
    assert!(malformed(&with(3, b'2')), "magic");
    assert!(malformed(&with(4, 0)), "version 0");
    assert!(malformed(&with(4, 2)), "version 2");
    assert!(malformed(&with(5, 0)), "k = 0");
    assert!(malformed(&with(5, 33)), "k = 33");
    assert!(BloomSnapshot::from_bytes(&with(5, 32)).is_ok(), "k = 32");
    assert!(malformed(&with(6, 1)), "reserved");
    assert!(malformed(&with(7, 0x80)), "reserved");
    // m = 0, and m that does not match the length.
    let mut zero_m = good.clone();
    zero_m[8..16].copy_from_slice(&0u64.to_be_bytes());
    assert!(malformed(&zero_m));
    for m in [16u64, 25, u64::MAX] {
        let mut b = good.clone();
        b[8..16].copy_from_slice(&m.to_be_bytes());
        assert!(malformed(&b), "m = {m}");
    }
    let mut m24 = good.clone();
    m24[8..16].copy_from_slice(&24u64.to_be_bytes());
    assert!(
        BloomSnapshot::from_bytes(&m24).is_ok(),
        "m = 24 fills three bytes exactly"
    );
    // Issued-at out of NumericDate's range.
    for t in [-1i64, NumericDate::MAX_SECS + 1, i64::MIN] {
        let mut b = good.clone();
        b[24..32].copy_from_slice(&t.to_be_bytes());
        assert!(malformed(&b), "issued at {t}");
    }
    // A padding bit of the last byte.
    let last = good.len() - 1;
    assert!(malformed(&with(last, good[last] | 0x10)));
    assert!(malformed(&with(last, good[last] | 0x80)));
    // Every truncation, and every extension.
    for len in 0..good.len() {
        assert!(malformed(&good[..len]), "truncated to {len}");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(malformed(&longer));
}

#[test]
fn bloom_parsing_is_bounded() {
    let good = valid_bytes();
    let err = BloomSnapshot::from_bytes_with_limit(&good, good.len() - 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    assert!(BloomSnapshot::from_bytes_with_limit(&good, good.len()).is_ok());
    // The default bound: a header claiming 16 MiB of bits plus one byte is refused by size.
    let big = vec![0u8; BloomSnapshot::DEFAULT_MAX_BYTES + 1];
    assert_eq!(
        BloomSnapshot::from_bytes(&big).unwrap_err().kind(),
        ErrorKind::TooLarge
    );
}

#[test]
fn bloom_parsing_never_panics_on_mutations() {
    // A small deterministic generator; every mutation must give Ok or an error, never a panic.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let good = valid_bytes();
    for _ in 0..20_000 {
        let mut b = good.clone();
        for _ in 0..(next() % 4 + 1) {
            let i = (next() as usize) % b.len();
            b[i] = next() as u8;
        }
        let cut = (next() as usize) % (b.len() + 1);
        if next() % 4 == 0 {
            b.truncate(cut);
        }
        if let Ok(s) = BloomSnapshot::from_bytes(&b) {
            // What parses re-encodes to the same bytes: the format has one encoding per value.
            assert_eq!(s.to_bytes(), b);
            let _ = s.might_contain("x");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// BloomSnapshot: the signed form

/// The HMAC key of RFC 7515 appendix A.1.
fn rfc7515_a1() -> (Vec<u8>, String) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/rfc/rfc7515_a1_hs256.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let k = B64.decode(v["jwk"]["k"].as_str().unwrap()).unwrap();
    (k, v["token"].as_str().unwrap().to_owned())
}

fn signing_key() -> SigningKey {
    SigningKey::hmac(&rfc7515_a1().0)
        .unwrap()
        .with_key_id("bloom-2024")
}

fn hs256() -> tessera::AlgorithmSet {
    Algorithm::HS256.into()
}

#[test]
fn signed_snapshot_is_a_compact_jws_with_the_snapshot_as_payload() {
    let snapshot = BloomSnapshot::build(["x", "y"], 0.01, date(1_700_000_000)).unwrap();
    let jws = snapshot.sign(&signing_key()).unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        B64.decode(parts[0]).unwrap(),
        br#"{"alg":"HS256","kid":"bloom-2024","typ":"tessera-bloom+jws"}"#
    );
    assert_eq!(B64.decode(parts[1]).unwrap(), snapshot.to_bytes());
    // The signature is HMAC-SHA256 over `header.payload` (RFC 7515 §5.1), computed here with ring
    // directly.
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &rfc7515_a1().0);
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    let tag = ring::hmac::sign(&key, signing_input.as_bytes());
    assert_eq!(B64.decode(parts[2]).unwrap(), tag.as_ref());

    let verifying = signing_key().verifying_key();
    let loaded = BloomSnapshot::from_jws(&jws, hs256(), &verifying).unwrap();
    assert_eq!(loaded, snapshot);
}

#[test]
fn another_jws_of_the_same_issuer_is_not_a_snapshot() {
    // The RFC 7515 A.1 token is validly signed with this key, but it is a JWT, not a snapshot.
    let (secret, token) = rfc7515_a1();
    let key = VerifyingKey::hmac(&secret).unwrap();
    let err = BloomSnapshot::from_jws(&token, hs256(), &key).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidType);
}

/// A JWS with any header and payload, signed with the RFC key.
fn forge(header: &str, payload: &[u8], alg: Algorithm) -> String {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let sig = SigningKey::hmac(&rfc7515_a1().0)
        .unwrap()
        .sign_with(alg, input.as_bytes())
        .unwrap();
    format!("{input}.{}", B64.encode(sig))
}

#[test]
fn signed_snapshot_verification_is_strict() {
    let snapshot = BloomSnapshot::build(["x"], 0.01, date(1_700_000_000)).unwrap();
    let payload = snapshot.to_bytes();
    let verifying = signing_key().verifying_key();
    let check = |jws: &str| {
        BloomSnapshot::from_jws(jws, hs256(), &verifying)
            .map(|_| ())
            .map_err(|e| e.kind())
    };
    let good = r#"{"alg":"HS256","kid":"bloom-2024","typ":"tessera-bloom+jws"}"#;
    assert_eq!(check(&forge(good, &payload, Algorithm::HS256)), Ok(()));
    // Without kid (the key has one; a token without kid may use it).
    let no_kid = r#"{"alg":"HS256","typ":"tessera-bloom+jws"}"#;
    assert_eq!(check(&forge(no_kid, &payload, Algorithm::HS256)), Ok(()));

    let cases: &[(&str, ErrorKind)] = &[
        (
            r#"{"alg":"HS256","kid":"bloom-2024","typ":"JWT"}"#,
            ErrorKind::InvalidType,
        ),
        (
            r#"{"alg":"HS256","kid":"bloom-2024","typ":"TESSERA-BLOOM+JWS"}"#,
            ErrorKind::InvalidType,
        ),
        (
            r#"{"alg":"HS256","kid":"bloom-2024"}"#,
            ErrorKind::Malformed,
        ),
        (
            r#"{"alg":"HS256","alg":"HS256","typ":"tessera-bloom+jws"}"#,
            ErrorKind::Malformed,
        ),
        (
            r#"{"alg":"HS256","typ":"tessera-bloom+jws","crit":["exp"]}"#,
            ErrorKind::Malformed,
        ),
        (
            r#"{"alg":"HS256","typ":"tessera-bloom+jws","b64":false}"#,
            ErrorKind::Malformed,
        ),
        (
            r#"{"alg":"HS256","typ":"tessera-bloom+jws","kid":7}"#,
            ErrorKind::Malformed,
        ),
        (
            r#"{"alg":"none","typ":"tessera-bloom+jws"}"#,
            ErrorKind::UnsupportedAlgorithm,
        ),
        (
            r#"{"alg":"HS384","typ":"tessera-bloom+jws"}"#,
            ErrorKind::AlgorithmNotAllowed,
        ),
        (
            r#"{"alg":"HS256","kid":"other","typ":"tessera-bloom+jws"}"#,
            ErrorKind::KeyNotFound,
        ),
        (r#"["alg","HS256"]"#, ErrorKind::Malformed),
        ("not json", ErrorKind::Malformed),
    ];
    for (header, expected) in cases {
        let alg = if header.contains("HS384") {
            Algorithm::HS384
        } else {
            Algorithm::HS256
        };
        assert_eq!(
            check(&forge(header, &payload, alg)),
            Err(*expected),
            "{header}"
        );
    }

    // A validly signed payload that is not a snapshot is still refused, after the signature.
    assert_eq!(
        check(&forge(good, b"TBF1", Algorithm::HS256)),
        Err(ErrorKind::Malformed)
    );

    let jws = forge(good, &payload, Algorithm::HS256);
    let parts: Vec<&str> = jws.split('.').collect();
    // Tampered payload or signature; signed with another key.
    let mut other = payload.clone();
    other[32] ^= 1;
    let tampered = format!("{}.{}.{}", parts[0], B64.encode(&other), parts[2]);
    assert_eq!(check(&tampered), Err(ErrorKind::InvalidSignature));
    let wrong_key = SigningKey::hmac(&[1; 32])
        .unwrap()
        .with_key_id("bloom-2024");
    assert_eq!(
        check(&snapshot.sign(&wrong_key).unwrap()),
        Err(ErrorKind::InvalidSignature)
    );
    // Structure and encoding.
    for bad in [
        format!("{}.{}", parts[0], parts[1]),
        format!("{jws}.x"),
        format!("{jws}."),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}+.{}", parts[0], parts[1], parts[2]),
        format!(" {jws}"),
        String::new(),
    ] {
        let got = check(&bad);
        assert!(
            matches!(got, Err(ErrorKind::Malformed | ErrorKind::InvalidSignature)),
            "{bad:?}: {got:?}"
        );
    }
}

#[test]
fn signed_snapshot_size_is_bounded_before_decoding() {
    let jtis: Vec<String> = (0..10_000).map(|i| format!("j{i}")).collect();
    let snapshot = BloomSnapshot::build(&jtis, 0.001, date(1)).unwrap();
    let jws = snapshot.sign(&signing_key()).unwrap();
    let verifying = signing_key().verifying_key();
    let limit = snapshot.encoded_len() - 1;
    let err = BloomSnapshot::from_jws_with_limit(&jws, hs256(), &verifying, limit).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    let ok = BloomSnapshot::from_jws_with_limit(&jws, hs256(), &verifying, limit + 1).unwrap();
    assert_eq!(ok, snapshot);
    // An over-long string is refused by its length alone.
    let huge = "a".repeat(100_000);
    let err = BloomSnapshot::from_jws_with_limit(&huge, hs256(), &verifying, 1_000).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
}

// ---------------------------------------------------------------------------------------------
// BloomCheck

#[test]
fn bloom_check_fails_closed_until_a_snapshot_is_installed() {
    let check = BloomCheck::new();
    assert_eq!(
        kind(check.check(&jti_at("a", 10))),
        Some(ErrorKind::RevocationUnavailable)
    );
    assert!(check.install(BloomSnapshot::build(["a"], 0.001, date(5)).unwrap()));
    assert_eq!(
        kind(check.check(&jti_at("a", 10))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(kind(check.check(&jti_at("b", 10))), None);
    assert_eq!(
        kind(check.check(&TokenFacts::new(date(10)))),
        Some(ErrorKind::MissingClaim)
    );
    // Allowed to lack a jti, such a token passes: there is nothing to look up.
    assert_eq!(
        kind(
            BloomCheck::new()
                .allow_missing_jti()
                .check(&TokenFacts::new(date(10)))
        ),
        None
    );
}

#[test]
fn bloom_check_refuses_an_older_snapshot() {
    let check = BloomCheck::new();
    assert!(check.install(BloomSnapshot::build(["new"], 0.001, date(200)).unwrap()));
    assert!(!check.install(BloomSnapshot::build(["old"], 0.001, date(100)).unwrap()));
    assert_eq!(check.current().unwrap().issued_at(), date(200));
    assert_eq!(
        kind(check.check(&jti_at("new", 300))),
        Some(ErrorKind::Revoked)
    );
    assert!(check.install(BloomSnapshot::build(["newer"], 0.001, date(200)).unwrap()));
    assert_eq!(
        kind(check.check(&jti_at("newer", 300))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(kind(check.check(&jti_at("new", 300))), None);
}

#[test]
fn bloom_check_max_age() {
    let check = BloomCheck::new().with_max_age(60);
    check.install(BloomSnapshot::build(["a"], 0.001, date(1_000)).unwrap());
    assert_eq!(kind(check.check(&jti_at("b", 1_060))), None);
    assert_eq!(
        kind(check.check(&jti_at("b", 1_061))),
        Some(ErrorKind::RevocationUnavailable)
    );
}

/// An exact source that answers from a fixed list, or cannot answer.
#[derive(Debug)]
struct Exact {
    revoked: &'static [&'static str],
    up: bool,
    asked: AtomicUsize,
}

impl Revocation for Exact {
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        if !self.up {
            return Err(Error::RevocationUnavailable {
                detail: "exact source down".into(),
                source: None,
            });
        }
        if token.jti.is_some_and(|j| self.revoked.contains(&j)) {
            return Err(Error::Revoked("confirmed".into()));
        }
        Ok(())
    }
}

#[test]
fn bloom_check_confirms_hits_with_an_exact_source() {
    let snapshot = || BloomSnapshot::build(["really", "lifted"], 0.001, date(1)).unwrap();
    let exact = Exact {
        revoked: &["really"],
        up: true,
        asked: AtomicUsize::new(0),
    };
    let check = BloomCheck::confirming_with(exact);
    check.install(snapshot());
    assert_eq!(
        kind(check.check(&jti_at("really", 10))),
        Some(ErrorKind::Revoked)
    );
    // In the filter but not confirmed (as a false positive would be): accepted.
    assert_eq!(kind(check.check(&jti_at("lifted", 10))), None);
    // Misses never reach the exact source.
    assert_eq!(kind(check.check(&jti_at("other", 10))), None);
    let OnHit::Confirm(exact) = check.on_hit() else {
        panic!()
    };
    assert_eq!(exact.asked.load(Ordering::Relaxed), 2);

    // An exact source that cannot answer fails the check closed, on hits only.
    let down = BloomCheck::confirming_with(Exact {
        revoked: &[],
        up: false,
        asked: AtomicUsize::new(0),
    });
    down.install(snapshot());
    assert_eq!(
        kind(down.check(&jti_at("lifted", 10))),
        Some(ErrorKind::RevocationUnavailable)
    );
    assert_eq!(kind(down.check(&jti_at("other", 10))), None);

    // With a denylist as the exact source.
    let denylist = Arc::new(Denylist::new());
    let check = BloomCheck::confirming_with(denylist.clone());
    check.install(snapshot());
    assert_eq!(kind(check.check(&jti_at("really", 10))), None);
    denylist.revoke("really", NumericDate::now().add_secs(60));
    let now = NumericDate::now().as_secs();
    assert_eq!(
        kind(check.check(&jti_at("really", now))),
        Some(ErrorKind::Revoked)
    );
}

#[test]
fn bloom_check_swaps_atomically_under_readers() {
    let check = BloomCheck::new();
    check.install(BloomSnapshot::build(["always", "first"], 0.0001, date(1)).unwrap());
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n < 1_000 {
                    // In every snapshot: revoked whichever one a check sees.
                    assert_eq!(
                        kind(check.check(&jti_at("always", 10))),
                        Some(ErrorKind::Revoked)
                    );
                    n += 1;
                }
            });
        }
        for t in 2..200 {
            let extra = format!("gen-{t}");
            let s = BloomSnapshot::build(["always", extra.as_str()], 0.0001, date(t)).unwrap();
            assert!(check.install(s));
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(check.current().unwrap().issued_at(), date(199));
}

#[test]
fn bloom_check_installs_only_verified_snapshots() {
    let check = BloomCheck::new();
    let verifying = signing_key().verifying_key();
    let snapshot = BloomSnapshot::build(["a"], 0.001, date(10)).unwrap();
    let jws = snapshot.sign(&signing_key()).unwrap();
    let forged = snapshot.sign(&SigningKey::hmac(&[9; 32]).unwrap()).unwrap();
    assert_eq!(
        check
            .install_jws(&forged, hs256(), &verifying)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidSignature
    );
    assert!(check.current().is_none());
    assert!(check.install_jws(&jws, hs256(), &verifying).unwrap());
    assert_eq!(
        kind(check.check(&jti_at("a", 20))),
        Some(ErrorKind::Revoked)
    );
}

// ---------------------------------------------------------------------------------------------
// Composition

#[test]
fn sources_compose_in_order() {
    let denylist = Denylist::new().with_clock(Arc::new(FixedClock::at(1_000)));
    denylist.revoke("j", date(2_000));
    let cutoffs = SubjectCutoff::new();
    cutoffs.revoke_subject("alice", date(1_000));
    let both = (&denylist, &cutoffs);
    let t = |jti, iat| {
        TokenFacts::new(date(1_500))
            .with_jti(jti)
            .with_sub("alice")
            .with_iat(date(iat))
    };
    assert_eq!(kind(both.check(&t("j", 1_200))), Some(ErrorKind::Revoked));
    assert_eq!(kind(both.check(&t("k", 999))), Some(ErrorKind::Revoked));
    assert_eq!(kind(both.check(&t("k", 1_200))), None);
    // Without jti the denylist answers first.
    let no_jti = TokenFacts::new(date(1_500))
        .with_sub("alice")
        .with_iat(date(999));
    assert_eq!(kind(both.check(&no_jti)), Some(ErrorKind::MissingClaim));

    // Chosen at run time.
    let many: Vec<Box<dyn Revocation>> = vec![
        Box::new(NoRevocation),
        Box::new(&denylist),
        Box::new(&cutoffs),
    ];
    assert_eq!(kind(many.check(&t("k", 999))), Some(ErrorKind::Revoked));
    assert_eq!(kind(many.check(&t("k", 1_200))), None);
    assert_eq!(
        kind(Vec::<Box<dyn Revocation>>::new().check(&t("j", 1))),
        None
    );
    let four = (NoRevocation, &denylist, &cutoffs, None::<Denylist>);
    assert_eq!(kind(four.check(&t("j", 1_200))), Some(ErrorKind::Revoked));
    assert_eq!(
        kind(Some(&denylist).check(&t("j", 1_200))),
        Some(ErrorKind::Revoked)
    );
    assert_eq!(kind([&denylist, &denylist].check(&t("k", 1_200))), None);
}

#[test]
fn fail_open_is_explicit_and_only_covers_unavailability() {
    let unloaded = BloomCheck::new();
    let facts = jti_at("a", 10);
    assert_eq!(
        kind(unloaded.check(&facts)),
        Some(ErrorKind::RevocationUnavailable)
    );
    let open = FailOpen::new(unloaded);
    assert_eq!(kind(open.check(&facts)), None);
    open.inner()
        .install(BloomSnapshot::build(["a"], 0.001, date(1)).unwrap());
    assert_eq!(kind(open.check(&facts)), Some(ErrorKind::Revoked));
    assert_eq!(
        kind(open.check(&TokenFacts::new(date(10)))),
        Some(ErrorKind::MissingClaim)
    );
}

#[test]
fn debug_output_shows_no_entries() {
    let denylist = Denylist::new();
    denylist.revoke("secret-jti", NumericDate::now().add_secs(60));
    let shown = format!("{denylist:?}");
    assert!(
        !shown.contains("secret-jti") && shown.contains("len: 1"),
        "{shown}"
    );
    let cutoffs = SubjectCutoff::new();
    cutoffs.revoke_subject("secret-sub", date(1));
    assert!(!format!("{cutoffs:?}").contains("secret-sub"));
}
