//! Verification of a typical access token, per algorithm, with the full default policy.
//!
//! `cargo bench --bench verify`

mod common;

use std::hint::black_box;

use common::AppClaims;
use criterion::{Criterion, criterion_group, criterion_main};
use serde::de::IgnoredAny;
use tessera::{Verified, Verifier};

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for alg in common::algorithms() {
        let key = common::signing_key(alg);
        let token = common::typical_token(&key);
        let verifier = Verifier::new(key.verifying_key(), common::policy(alg));
        let checked: Verified<AppClaims> = verifier.verify(&token).expect("token verifies");
        assert_eq!(checked.subject(), Some(common::SUBJECT));

        group.bench_function(alg.name(), |b| {
            b.iter(|| {
                verifier
                    .verify::<AppClaims>(black_box(&token))
                    .expect("token verifies")
            })
        });
        // Registered claims only: the caller's type skips every other member.
        group.bench_function(format!("{}/registered-only", alg.name()), |b| {
            b.iter(|| {
                verifier
                    .verify::<IgnoredAny>(black_box(&token))
                    .expect("token verifies")
            })
        });
    }
    group.finish();

    // Rejections should be at least as cheap as acceptance.
    let alg = tessera::Algorithm::HS256;
    let key = common::signing_key(alg);
    let mut token = common::typical_token(&key);
    let verifier = Verifier::new(key.verifying_key(), common::policy(alg));
    token.pop();
    token.push(if token.ends_with('A') { 'B' } else { 'A' });
    let mut group = c.benchmark_group("reject");
    group.bench_function("HS256/bad-signature", |b| {
        b.iter(|| {
            verifier
                .verify::<AppClaims>(black_box(&token))
                .expect_err("signature is wrong")
        })
    });
    group.bench_function("HS256/garbage", |b| {
        b.iter(|| {
            verifier
                .verify::<AppClaims>(black_box("eyJhbGciOiJIUzI1NiJ9.e30.AAAA"))
                .expect_err("not a valid token")
        })
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
