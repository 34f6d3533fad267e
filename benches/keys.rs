//! Key parsing: JWK and JWK Set text (PEM and key import follow the key types).
//!
//! `cargo bench --bench keys`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tessera::{Jwk, JwkSet};

const OCT_JWK: &str = r#"{"kty":"oct","kid":"hmac-1","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;

fn keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("keys");
    group.bench_function("jwk/oct/parse", |b| {
        b.iter(|| Jwk::from_json(black_box(OCT_JWK)).expect("JWK parses"))
    });
    let set = format!("{{\"keys\":[{OCT_JWK},{OCT_JWK},{OCT_JWK}]}}");
    group.bench_function("jwk-set/3-keys/parse", |b| {
        b.iter(|| JwkSet::from_json(black_box(&set)).expect("JWK Set parses"))
    });
    group.finish();
}

criterion_group!(benches, keys);
criterion_main!(benches);
