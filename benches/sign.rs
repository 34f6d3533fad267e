//! Signing a typical access token, per algorithm.
//!
//! `cargo bench --bench sign`

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera::Signer;

fn sign(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign");
    let claims = common::app_claims();
    for alg in common::algorithms() {
        let key = common::signing_key(alg);
        let issuer = common::issuer(&key);
        // The whole issue: registered claims, a random `jti`, the caller's claims, signature.
        group.bench_function(alg.name(), |b| {
            b.iter(|| {
                issuer
                    .issue(black_box(common::SUBJECT), black_box(&claims))
                    .expect("token is issued")
            })
        });
        // The signature alone over the typical signing input.
        let token = common::typical_token(&key);
        let signing_input = token.rsplit_once('.').map(|(s, _)| s).unwrap_or_default();
        group.bench_function(format!("{}/signature-only", alg.name()), |b| {
            b.iter(|| {
                key.sign(black_box(signing_input.as_bytes()))
                    .expect("signs")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
