//! Hostile input that needs public-key families: algorithm confusion, malformed ECDSA
//! signatures (CVE-2022-21449 and friends), curve and hash mismatches.

mod common;

use common::{NOW, b64};
use serde_json::Value;
use tessera::{
    Algorithm, AlgorithmSet, ErrorKind, FixedClock, Jwk, Policy, SigningKey, Verifier, VerifyingKey,
};

const RSA_PEM: &str = include_str!("data/attacks/rsa2048.pem");
const RSA_PUB_PEM: &str = include_str!("data/attacks/rsa2048.pub.pem");
const RSA_PUB_DER: &[u8] = include_bytes!("data/attacks/rsa2048.pub.der");

fn claims() -> String {
    format!(r#"{{"sub":"alice","exp":{}}}"#, NOW + 600)
}

fn token_with(header_alg: &str, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        b64(format!(r#"{{"alg":"{header_alg}"}}"#)),
        b64(claims())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", b64(sig))
}

fn verify(key: &VerifyingKey, algs: impl Into<AlgorithmSet>, token: &str) -> Result<(), ErrorKind> {
    Verifier::new(key, Policy::new(algs))
        .with_clock(FixedClock::at(NOW))
        .verify::<Value>(token)
        .map(|_| ())
        .map_err(|e| e.kind())
}

#[test]
fn hmac_keyed_with_a_public_key_never_verifies() {
    let rsa = VerifyingKey::from_pem(RSA_PUB_PEM).unwrap();
    let jwk_json = rsa.to_jwk().to_json();
    let n = rsa.to_jwk().n.unwrap();
    let ec = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .verifying_key();
    let ed = SigningKey::generate(Algorithm::EdDSA)
        .unwrap()
        .verifying_key();
    let candidates: Vec<(&str, &VerifyingKey, Vec<u8>)> = vec![
        ("rsa pem", &rsa, RSA_PUB_PEM.as_bytes().to_vec()),
        (
            "rsa pem trimmed",
            &rsa,
            RSA_PUB_PEM.trim().as_bytes().to_vec(),
        ),
        ("rsa der", &rsa, RSA_PUB_DER.to_vec()),
        ("rsa jwk", &rsa, jwk_json.into_bytes()),
        ("rsa n", &rsa, n.into_bytes()),
        ("ec jwk", &ec, ec.to_jwk().to_json().into_bytes()),
        ("ed jwk", &ed, ed.to_jwk().to_json().into_bytes()),
        ("ed x", &ed, ed.to_jwk().x.unwrap().into_bytes()),
    ];
    for (what, key, secret) in candidates {
        for hs in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            // Secrets too short for the hash are refused anyway; test the rest.
            let Ok(attacker) = SigningKey::hmac(&secret) else {
                continue;
            };
            let Ok(probe) = attacker.sign_with(hs, b"probe") else {
                continue;
            };
            assert!(!probe.is_empty());
            let token = token_with(hs.name(), |input| attacker.sign_with(hs, input).unwrap());
            // A policy that names only the key's own algorithms refuses HS* outright...
            let own = Algorithm::ALL
                .into_iter()
                .filter(|a| key.supports(*a))
                .collect::<AlgorithmSet>();
            assert_eq!(
                verify(key, own, &token),
                Err(ErrorKind::AlgorithmNotAllowed),
                "{what}"
            );
            // ...and even a careless policy allowing everything cannot make the key act as HMAC.
            assert_eq!(
                verify(key, Algorithm::ALL, &token),
                Err(ErrorKind::KeyNotFound),
                "{what}"
            );
        }
    }
}

#[test]
fn keys_verify_only_their_own_family_and_bound_algorithm() {
    let rsa = SigningKey::from_pem(RSA_PEM).unwrap();
    let rs256 = token_with("RS256", |i| rsa.sign_with(Algorithm::RS256, i).unwrap());
    let public = rsa.verifying_key();
    assert_eq!(verify(&public, Algorithm::ALL, &rs256), Ok(()));
    // A JWK naming its algorithm verifies only that algorithm.
    let mut jwk: Jwk = public.to_jwk();
    jwk.alg = Some("PS256".into());
    let ps_only = VerifyingKey::from_jwk(&jwk).unwrap();
    assert_eq!(
        verify(&ps_only, Algorithm::ALL, &rs256),
        Err(ErrorKind::KeyNotFound)
    );
    // An RS256 signature relabelled PS256 does not verify.
    let relabelled = token_with("PS256", |i| rsa.sign_with(Algorithm::RS256, i).unwrap());
    assert_eq!(
        verify(&public, Algorithm::ALL, &relabelled),
        Err(ErrorKind::InvalidSignature)
    );
    // The hash is part of the algorithm: an RS256 signature labelled RS384 fails.
    let rehashed = token_with("RS384", |i| rsa.sign_with(Algorithm::RS256, i).unwrap());
    assert_eq!(
        verify(&public, Algorithm::ALL, &rehashed),
        Err(ErrorKind::InvalidSignature)
    );
    // A key marked for encryption never verifies.
    let mut enc = public.to_jwk();
    enc.use_ = Some("enc".into());
    let enc = VerifyingKey::from_jwk(&enc).unwrap();
    assert_eq!(
        verify(&enc, Algorithm::ALL, &rs256),
        Err(ErrorKind::KeyNotFound)
    );
}

/// The order of P-256.
const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// `n - s` for 32-byte big-endian numbers with `s < n`.
fn negate(s: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(P256_N[i]) - i16::from(s[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = d as u8;
    }
    out
}

/// DER-encodes an ECDSA signature given as `r‖s`.
fn der(sig: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let mut x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        if x.first().is_some_and(|b| b & 0x80 != 0) {
            x.insert(0, 0);
        }
        let mut out = vec![0x02, x.len() as u8];
        out.extend(x);
        out
    };
    let (r, s) = sig.split_at(sig.len() / 2);
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[test]
fn ecdsa_signature_forms() {
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let public = key.verifying_key();
    let good = key.sign_with(Algorithm::ES256, b"x").unwrap();
    assert_eq!(good.len(), 64);
    let input_and = |sig: Vec<u8>| token_with("ES256", |_| sig);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("r = s = 0", vec![0u8; 64]),
        ("r = s = n", [P256_N, P256_N].concat()),
        ("r = 0", [vec![0u8; 32], good[32..].to_vec()].concat()),
        ("s = 0", [good[..32].to_vec(), vec![0u8; 32]].concat()),
        (
            "r = n, s = n - 1",
            [
                P256_N.to_vec(),
                negate(&[0; 31].iter().copied().chain([1]).collect::<Vec<_>>()),
            ]
            .concat(),
        ),
        ("empty", Vec::new()),
        ("63 bytes", good[..63].to_vec()),
        ("65 bytes", [good.clone(), vec![0]].concat()),
        ("96 bytes", [good.clone(), vec![1; 32]].concat()),
    ];
    for (what, sig) in cases {
        let token = input_and(sig);
        assert_eq!(
            verify(&public, [Algorithm::ES256], &token),
            Err(ErrorKind::InvalidSignature),
            "{what}"
        );
    }
    // A valid signature DER-encoded is refused: JWS uses the fixed-size form only.
    let token = token_with("ES256", |i| {
        der(&key.sign_with(Algorithm::ES256, i).unwrap())
    });
    assert_eq!(
        verify(&public, [Algorithm::ES256], &token),
        Err(ErrorKind::InvalidSignature)
    );
    // High-S signatures are valid: RFC 7518 has no low-S rule.
    let token = token_with("ES256", |i| {
        let sig = key.sign_with(Algorithm::ES256, i).unwrap();
        [sig[..32].to_vec(), negate(&sig[32..])].concat()
    });
    assert_eq!(verify(&public, [Algorithm::ES256], &token), Ok(()));
}

#[test]
fn curve_and_hash_must_match_the_key() {
    let p256 = SigningKey::generate(Algorithm::ES256).unwrap();
    let p384 = SigningKey::generate(Algorithm::ES384).unwrap();
    // An ES384 token against a P-256 key: no key fits.
    let es384 = token_with("ES384", |i| p384.sign_with(Algorithm::ES384, i).unwrap());
    assert_eq!(
        verify(&p256.verifying_key(), Algorithm::ALL, &es384),
        Err(ErrorKind::KeyNotFound)
    );
    assert_eq!(
        verify(&p384.verifying_key(), Algorithm::ALL, &es384),
        Ok(())
    );
    // A P-384 signature under an ES256 header, checked with the P-384 key: refused by family.
    let mislabelled = token_with("ES256", |i| p384.sign_with(Algorithm::ES384, i).unwrap());
    assert_eq!(
        verify(&p384.verifying_key(), Algorithm::ALL, &mislabelled),
        Err(ErrorKind::KeyNotFound)
    );
    // ...and with the P-256 key: wrong length, invalid.
    assert_eq!(
        verify(&p256.verifying_key(), Algorithm::ALL, &mislabelled),
        Err(ErrorKind::InvalidSignature)
    );
}

#[test]
fn ed25519_under_both_names() {
    // A key without a bound `alg` serves both names; a generated key is bound to the one it was
    // generated for.
    let bound = SigningKey::generate(Algorithm::EdDSA).unwrap();
    assert!(bound.sign_with(Algorithm::Ed25519, b"x").is_err());
    let mut jwk = bound.to_jwk();
    jwk.alg = None;
    let key = SigningKey::from_jwk(&jwk).unwrap();
    for alg in [Algorithm::EdDSA, Algorithm::Ed25519] {
        let token = token_with(alg.name(), |i| key.sign_with(alg, i).unwrap());
        assert_eq!(verify(&key.verifying_key(), [alg], &token), Ok(()));
        let other = if alg == Algorithm::EdDSA {
            Algorithm::Ed25519
        } else {
            Algorithm::EdDSA
        };
        assert_eq!(
            verify(&key.verifying_key(), [other], &token),
            Err(ErrorKind::AlgorithmNotAllowed)
        );
    }
    let mut sig = key.sign_with(Algorithm::EdDSA, b"x").unwrap();
    sig[0] ^= 1;
    let token = token_with("EdDSA", |_| sig);
    assert_eq!(
        verify(&key.verifying_key(), [Algorithm::EdDSA], &token),
        Err(ErrorKind::InvalidSignature)
    );
}
