//! Revocation check costs with 1 000 000 revoked entries, Bloom memory per entry, revoking while
//! checking on two threads, and the whole verify path with and without revocation.
//!
//! `cargo bench --bench revocation`. Memory figures are printed once at start-up (to stderr).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera::{
    Algorithm, BloomCheck, BloomSnapshot, Denylist, Issuer, NoRevocation, NumericDate, Policy,
    Revocation, SigningKey, SubjectCutoff, TokenFacts, Verifier,
};

const ENTRIES: u32 = 1_000_000;

/// A jti shaped like the issuer's: 128 random-looking bits, base64url (22 characters).
fn jti(i: u32) -> String {
    let x = u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
    let mut s = String::with_capacity(22);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for k in 0..22 {
        s.push(char::from(alphabet[((x >> (k * 6)) & 63) as usize]));
    }
    s
}

fn now() -> NumericDate {
    NumericDate::now()
}

fn checks(c: &mut Criterion) {
    let exp = now().add_secs(3_600);
    let denylist = Arc::new(Denylist::new());
    let cutoffs = SubjectCutoff::new();
    let started = Instant::now();
    for i in 0..ENTRIES {
        denylist.revoke(&jti(i), exp);
        cutoffs.revoke_subject(&format!("user-{i}"), now());
    }
    eprintln!(
        "filled denylist and cutoffs with {ENTRIES} entries each in {:?}",
        started.elapsed()
    );
    let snapshot = BloomSnapshot::build((0..ENTRIES).map(jti), 0.001, now()).expect("snapshot");
    eprintln!(
        "Bloom snapshot at 0.1 %: {ENTRIES} entries, {} bytes, {:.3} bytes ({:.2} bits) per entry, k = {}",
        snapshot.encoded_len(),
        snapshot.encoded_len() as f64 / f64::from(ENTRIES),
        snapshot.bit_len() as f64 / f64::from(ENTRIES),
        snapshot.hash_count()
    );
    let bloom = BloomCheck::new();
    bloom.install(snapshot.clone());
    let confirmed = BloomCheck::confirming_with(Arc::clone(&denylist));
    confirmed.install(snapshot);

    let t = now();
    let revoked = jti(123_456);
    let live = jti(ENTRIES + 123_456);
    let hit = TokenFacts::new(t).with_jti(&revoked);
    let miss = TokenFacts::new(t).with_jti(&live);
    let iat = t.add_secs(-3_600);
    let sub_hit = TokenFacts::new(t)
        .with_jti(&live)
        .with_sub("user-123456")
        .with_iat(iat);
    let sub_miss = TokenFacts::new(t)
        .with_jti(&live)
        .with_sub("someone-else")
        .with_iat(iat);

    let mut g = c.benchmark_group("check_1m_entries");
    g.throughput(Throughput::Elements(1));
    g.bench_function("no_revocation", |b| {
        b.iter(|| NoRevocation.check(black_box(&miss)))
    });
    g.bench_function("denylist_hit", |b| {
        b.iter(|| denylist.check(black_box(&hit)))
    });
    g.bench_function("denylist_miss", |b| {
        b.iter(|| denylist.check(black_box(&miss)))
    });
    g.bench_function("subject_cutoff_hit", |b| {
        b.iter(|| cutoffs.check(black_box(&sub_hit)))
    });
    g.bench_function("subject_cutoff_miss", |b| {
        b.iter(|| cutoffs.check(black_box(&sub_miss)))
    });
    g.bench_function("bloom_hit", |b| b.iter(|| bloom.check(black_box(&hit))));
    g.bench_function("bloom_miss", |b| b.iter(|| bloom.check(black_box(&miss))));
    g.bench_function("bloom_confirmed_hit", |b| {
        b.iter(|| confirmed.check(black_box(&hit)))
    });
    let both = (&*denylist, &cutoffs);
    g.bench_function("denylist_and_cutoff_miss", |b| {
        b.iter(|| both.check(black_box(&sub_miss)))
    });
    g.finish();

    let mut g = c.benchmark_group("bloom_snapshot");
    g.sample_size(10);
    g.bench_function("build_1m_at_0.1pct", |b| {
        b.iter(|| BloomSnapshot::build((0..ENTRIES).map(jti), 0.001, t))
    });
    g.finish();
}

/// Runs `work` on this thread, timed, while `background` runs on another thread until `work` is
/// done; `background` is handed the flag that tells it to stop.
fn timed_while(work: impl FnOnce(), background: impl FnOnce(&AtomicBool) + Send) -> Duration {
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| background(&stop));
        let start = Instant::now();
        work();
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

/// Checks `jtis` against `denylist` in a loop until `stop` is set.
fn keep_checking(denylist: &Denylist, jtis: &[String], stop: &AtomicBool) {
    let t = now();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let _ = black_box(denylist.check(&TokenFacts::new(t).with_jti(&jtis[i % jtis.len()])));
        i += 1;
    }
}

/// `iters` checks of `jtis` against `denylist`.
fn check_many(denylist: &Denylist, jtis: &[String], iters: u64) {
    let t = now();
    for i in 0..iters {
        let j = &jtis[(i % jtis.len() as u64) as usize];
        let _ = black_box(denylist.check(&TokenFacts::new(t).with_jti(j)));
    }
}

/// One thread checks while another revokes new jtis as fast as it can (2 threads in all).
fn concurrent(c: &mut Criterion) {
    let exp = now().add_secs(3_600);
    let denylist = Denylist::new();
    for i in 0..ENTRIES {
        denylist.revoke(&jti(i), exp);
    }
    let jtis: Vec<String> = (0..10_000).map(|i| jti(i * 97)).collect();
    let mut g = c.benchmark_group("concurrent_2_threads");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("check_while_revoking", |b| {
        b.iter_custom(|iters| {
            timed_while(
                || check_many(&denylist, &jtis, iters),
                |stop| {
                    let mut next = ENTRIES;
                    while !stop.load(Ordering::Relaxed) {
                        denylist.revoke(&jti(next), exp);
                        next = next.wrapping_add(1);
                    }
                },
            )
        })
    });
    // For comparison: the same checks while the other thread only checks too.
    g.bench_function("check_while_checking", |b| {
        b.iter_custom(|iters| {
            timed_while(
                || check_many(&denylist, &jtis, iters),
                |stop| keep_checking(&denylist, &jtis, stop),
            )
        })
    });
    g.bench_function("revoke_while_checking", |b| {
        b.iter_custom(|iters| {
            let names: Vec<String> = (0..iters).map(|i| format!("new-{i}")).collect();
            timed_while(
                || {
                    for name in &names {
                        denylist.revoke(name, exp);
                    }
                },
                |stop| keep_checking(&denylist, &jtis, stop),
            )
        })
    });
    g.finish();
}

/// The whole verify path of one HS256 token, without revocation and with 1 000 000 revoked
/// entries in each structure, so the cost of revocation shows next to the rest.
fn verify(c: &mut Criterion) {
    let key = SigningKey::hmac(&[0x5a; 32]).expect("key");
    let token = Issuer::new(&key)
        .issuer("https://auth.example")
        .issue("alice", &serde_json::json!({}))
        .expect("token");
    let policy = || Policy::new([Algorithm::HS256]).issuer("https://auth.example");
    let exp = now().add_secs(3_600);
    let denylist = Denylist::new();
    let cutoffs = SubjectCutoff::new();
    for i in 0..ENTRIES {
        denylist.revoke(&jti(i), exp);
        cutoffs.revoke_subject(&format!("user-{i}"), now());
    }
    let bloom = BloomCheck::new();
    bloom.install(BloomSnapshot::build((0..ENTRIES).map(jti), 0.001, now()).expect("snapshot"));

    let plain = Verifier::new(key.verifying_key(), policy());
    let with_denylist = Verifier::new(key.verifying_key(), policy()).with_revocation(&denylist);
    let with_both =
        Verifier::new(key.verifying_key(), policy()).with_revocation((&denylist, &cutoffs));
    let with_bloom = Verifier::new(key.verifying_key(), policy()).with_revocation(&bloom);
    assert!(with_both.verify::<()>(&token).is_ok());

    let mut g = c.benchmark_group("verify_hs256");
    g.throughput(Throughput::Elements(1));
    g.bench_function("no_revocation", |b| {
        b.iter(|| plain.verify::<()>(black_box(&token)))
    });
    g.bench_function("denylist_1m", |b| {
        b.iter(|| with_denylist.verify::<()>(black_box(&token)))
    });
    g.bench_function("denylist_and_cutoff_1m", |b| {
        b.iter(|| with_both.verify::<()>(black_box(&token)))
    });
    g.bench_function("bloom_1m", |b| {
        b.iter(|| with_bloom.verify::<()>(black_box(&token)))
    });
    g.finish();
}

criterion_group!(benches, checks, concurrent, verify);
criterion_main!(benches);
