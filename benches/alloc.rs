//! Heap allocations per call on the verify and sign paths, counted with an instrumented global
//! allocator. Prints one line per measurement, e.g. `verify HS256: 3 allocations per call`.
//!
//! `cargo bench --bench alloc`

mod common;

use std::alloc::System;
use std::hint::black_box;

use common::AppClaims;
use serde::de::IgnoredAny;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tessera::Verifier;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Runs `f` `calls` times and returns the allocations, reallocations and bytes allocated per
/// call.
fn per_call(calls: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    f(); // warm up: lazily initialised state is not part of a call's cost
    let region = Region::new(GLOBAL);
    for _ in 0..calls {
        f();
    }
    let stats = region.change();
    let per = |n: usize| n as f64 / calls as f64;
    (
        per(stats.allocations),
        per(stats.reallocations),
        per(stats.bytes_allocated),
    )
}

fn report(what: &str, (allocations, reallocations, bytes): (f64, f64, f64)) {
    println!(
        "{what}: {allocations} allocations per call ({bytes:.0} bytes), {reallocations} reallocations"
    );
}

fn main() {
    for alg in common::algorithms() {
        // Allocation counts do not vary between calls; fewer calls keep RSA signing quick.
        let calls = if alg.hmac_min_key_len().is_some() {
            1000
        } else {
            50
        };
        let key = common::signing_key(alg);
        let token = common::typical_token(&key);
        let verifier = Verifier::new(key.verifying_key(), common::policy(alg));
        report(
            &format!("verify {alg} ({} byte token)", token.len()),
            per_call(calls, || {
                black_box(
                    verifier
                        .verify::<AppClaims>(black_box(&token))
                        .expect("token verifies"),
                );
            }),
        );
        report(
            &format!("verify {alg}, registered claims only"),
            per_call(calls, || {
                black_box(
                    verifier
                        .verify::<IgnoredAny>(black_box(&token))
                        .expect("token verifies"),
                );
            }),
        );
        let issuer = common::issuer(&key);
        let claims = common::app_claims();
        report(
            &format!("sign {alg}"),
            per_call(calls, || {
                black_box(
                    issuer
                        .issue(common::SUBJECT, &claims)
                        .expect("token is issued"),
                );
            }),
        );
    }
}
