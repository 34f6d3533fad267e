//! Key parsing and import: PEM (SPKI and PKCS#8) and JWK, per key family, and JWK Set text.
//!
//! `cargo bench --bench keys`

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera::{Algorithm, Jwk, JwkSet, SigningKey, VerifyingKey};

fn keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("keys");
    for (name, alg) in [
        ("HMAC", Algorithm::HS256),
        ("RSA-2048", Algorithm::RS256),
        ("P-256", Algorithm::ES256),
        ("P-384", Algorithm::ES384),
        ("Ed25519", Algorithm::EdDSA),
    ] {
        let family = alg.family();
        if let (Some(public), Some(private)) =
            (common::public_pem(family), common::private_pem(family))
        {
            group.bench_function(format!("pem/public/{name}"), |b| {
                b.iter(|| VerifyingKey::from_pem(black_box(public)).expect("SPKI parses"))
            });
            group.bench_function(format!("pem/private/{name}"), |b| {
                b.iter(|| SigningKey::from_pem(black_box(private)).expect("PKCS#8 parses"))
            });
        }
        // A public JWK (for HMAC, the secret), parsed from text and imported.
        let jwk_json = common::signing_key(alg).verifying_key().to_jwk().to_json();
        group.bench_function(format!("jwk/{name}"), |b| {
            b.iter(|| {
                let jwk = Jwk::from_json(black_box(&jwk_json)).expect("JWK parses");
                VerifyingKey::from_jwk(&jwk).expect("JWK imports")
            })
        });
    }
    // A set of four public keys, as fetched from a JWKS endpoint: parsed and every key imported.
    let set = JwkSet {
        keys: [
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ]
        .into_iter()
        .map(|alg| common::signing_key(alg).verifying_key().to_jwk())
        .collect(),
    }
    .to_json();
    group.bench_function("jwk-set/4-public-keys", |b| {
        b.iter(|| {
            let set = JwkSet::from_json(black_box(&set)).expect("JWK Set parses");
            set.keys
                .iter()
                .map(|jwk| VerifyingKey::from_jwk(jwk).expect("JWK imports"))
                .collect::<Vec<_>>()
        })
    });
    group.finish();
}

criterion_group!(benches, keys);
criterion_main!(benches);
