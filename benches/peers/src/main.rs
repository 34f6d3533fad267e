//! tessera against other JWT crates and against a hand-written floor, on one typical access
//! token with the same checks everywhere (signature, `exp`, `iss`, `aud`).
//!
//! Run from this directory: `cargo run --release` (add `-- --quick` for a short smoke run).
//!
//! Method: every library first verifies every other library's token (asserted). Then, for each
//! measurement, many rounds are run; in each round every library times one batch of
//! verifications (or signatures), in an order that rotates from round to round, so that drift of
//! the machine hits all libraries alike. The table shows the median over rounds of the per-call
//! time, and its ratio to the floor.

mod floor;
mod jsonwebtoken_peer;
mod jwt_simple_peer;
mod tessera_peer;

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What every token says.
pub const ISSUER: &str = "https://auth.example.com";
pub const AUDIENCE: &str = "orders-api";
pub const SUBJECT: &str = "user-8f14e45f";
pub const JWT_ID: &str = "k3RjVQ2sW9Xo1mYb7dLpEw";
pub const ROLE: &str = "customer";
pub const SCOPE: &str = "orders:read orders:write profile";
/// Lifetime of the tokens made for the run: long enough never to expire during it.
pub const LIFETIME: u64 = 24 * 3600;

/// The HMAC secret (32 bytes, as RFC 7518 §3.2 asks of HS256).
pub const HMAC_SECRET: &[u8; 32] = b"an HS256 secret of 32 bytes!!!!!";

pub const RSA_PRIVATE: &str = include_str!("../../data/rsa2048.pkcs8.pem");
pub const RSA_PUBLIC: &str = include_str!("../../data/rsa2048.spki.pem");
pub const P256_PRIVATE: &str = include_str!("../../data/p256.pkcs8.pem");
pub const P256_PUBLIC: &str = include_str!("../../data/p256.spki.pem");
pub const ED25519_PRIVATE: &str = include_str!("../../data/ed25519.pkcs8.pem");
pub const ED25519_PUBLIC: &str = include_str!("../../data/ed25519.spki.pem");

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The algorithms compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    HS256,
    RS256,
    ES256,
    EdDSA,
}

impl Alg {
    fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }
}

/// One library set up for one algorithm: a verifier and a signer with the same keys and rules.
pub trait Peer: Send + Sync {
    /// The row label.
    fn name(&self) -> String;
    /// Signs the typical token (claims as in the module docs; `iat`/`nbf`/`exp` from the clock).
    fn sign(&self) -> String;
    /// Verifies a token with the full checks and decodes its claims; returns whether the decoded
    /// subject is [`SUBJECT`] (so the claims must really have been read).
    fn verify(&self, token: &str) -> Result<bool, String>;
}

/// Which jsonwebtoken backend the dispatching provider uses (see `jsonwebtoken_peer`).
pub static JWT_USE_AWS_LC: AtomicBool = AtomicBool::new(false);

struct Config {
    rounds: usize,
    batch_time: Duration,
    throughput_time: Duration,
}

/// `--profile LIBRARY-PREFIX verify|sign N`: runs one library's HS256 operation N times and
/// nothing else, for `valgrind --tool=callgrind`.
fn profile(args: &[String]) {
    let (lib, op, n) = (&args[0], &args[1], args[2].parse::<u64>().expect("count"));
    jsonwebtoken_peer::install_provider();
    let peers = peers_for(Alg::HS256);
    let peer = peers
        .iter()
        .find(|p| p.name().starts_with(lib.as_str()))
        .expect("library name");
    let token = peers[0].sign();
    for _ in 0..n {
        if op == "sign" {
            black_box(peer.sign());
        } else {
            black_box(peer.verify(black_box(&token)).is_ok());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--profile") {
        profile(&args[i + 1..]);
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let config = if quick {
        Config {
            rounds: 5,
            batch_time: Duration::from_millis(2),
            throughput_time: Duration::from_millis(200),
        }
    } else {
        Config {
            rounds: 101,
            batch_time: Duration::from_millis(10),
            throughput_time: Duration::from_secs(3),
        }
    };
    jsonwebtoken_peer::install_provider();

    println!(
        "tessera peer comparison: {} rounds, batches of ~{:?} per library per round",
        config.rounds, config.batch_time
    );
    println!("machine: {} logical CPUs available", available_cpus());
    println!();

    // `--only ALG` measures one algorithm (for quick iterations).
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1));
    let mut rows: Vec<Row> = Vec::new();
    for alg in [Alg::HS256, Alg::ES256, Alg::RS256, Alg::EdDSA] {
        if only.is_some_and(|o| !o.eq_ignore_ascii_case(alg.name())) {
            continue;
        }
        let peers = peers_for(alg);
        if peers.is_empty() {
            continue;
        }
        cross_verify(alg, &peers);
        // The token everyone verifies: the floor's if there is one, else tessera's.
        let token = peers[0].sign();
        rows.extend(measure(
            &format!("{} verify", alg.name()),
            &peers,
            &config,
            |p| {
                black_box(p.verify(black_box(&token)).is_ok());
            },
        ));
        rows.extend(measure(
            &format!("{} sign", alg.name()),
            &peers,
            &config,
            |p| {
                black_box(p.sign());
            },
        ));
        if alg == Alg::HS256 {
            println!(
                "HS256 token verified in every measurement: {} bytes",
                token.len()
            );
            println!("  {token}");
            println!();
            throughput(&peers, &token, &config);
        }
    }
    print_table(&rows);
}

fn available_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The libraries compared for `alg`, floor first when there is one.
fn peers_for(alg: Alg) -> Vec<Box<dyn Peer>> {
    let mut peers: Vec<Box<dyn Peer>> = Vec::new();
    if let Some(f) = floor::Floor::new(alg) {
        peers.push(Box::new(f));
    }
    if let Some(t) = tessera_peer::Tessera::new(alg) {
        peers.push(Box::new(t));
    }
    peers.push(Box::new(jsonwebtoken_peer::JsonWebToken::new(alg, false)));
    peers.push(Box::new(jsonwebtoken_peer::JsonWebToken::new(alg, true)));
    peers.push(jwt_simple_peer::new(alg));
    peers
}

/// Every library verifies every library's token (its own included); panics otherwise.
fn cross_verify(alg: Alg, peers: &[Box<dyn Peer>]) {
    for signer in peers {
        let token = signer.sign();
        for verifier in peers {
            match verifier.verify(&token) {
                Ok(sub_matches) => assert!(
                    sub_matches,
                    "{alg:?}: {} read the wrong subject from {}'s token",
                    verifier.name(),
                    signer.name()
                ),
                Err(e) => panic!(
                    "{alg:?}: {} rejected {}'s token: {e}\n{token}",
                    verifier.name(),
                    signer.name()
                ),
            }
        }
    }
    // And a token with a flipped signature byte is rejected by everyone.
    let mut bad = peers[0].sign().into_bytes();
    let i = bad.len() - 5;
    bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).expect("ASCII");
    for verifier in peers {
        assert!(
            verifier.verify(&bad).is_err(),
            "{alg:?}: {} accepted a token with a changed signature",
            verifier.name()
        );
    }
    println!(
        "{}: all {} libraries verified each other's tokens and rejected a forged one",
        alg.name(),
        peers.len()
    );
}

struct Row {
    what: String,
    library: String,
    median_ns: f64,
    /// Median over rounds of this library's time divided by the floor's time in the same round.
    ratio_to_floor: Option<f64>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Times `op` for every peer in interleaved rounds; returns one row per peer.
fn measure(
    what: &str,
    peers: &[Box<dyn Peer>],
    config: &Config,
    op: impl Fn(&dyn Peer),
) -> Vec<Row> {
    // Calibrate a batch size per library so one batch takes about `batch_time`.
    let batch: Vec<u64> = peers
        .iter()
        .map(|p| {
            let mut n = 1u64;
            loop {
                let start = Instant::now();
                for _ in 0..n {
                    op(p.as_ref());
                }
                let took = start.elapsed();
                if took >= config.batch_time / 4 || n >= 1 << 24 {
                    let per = took.as_secs_f64() / n as f64;
                    break ((config.batch_time.as_secs_f64() / per) as u64).max(1);
                }
                n *= 2;
            }
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(config.rounds); peers.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::with_capacity(config.rounds); peers.len()];
    let has_floor = peers[0].name() == floor::NAME;
    for round in 0..config.rounds {
        let mut this_round = vec![0.0; peers.len()];
        for k in 0..peers.len() {
            let i = (round + k) % peers.len();
            let start = Instant::now();
            for _ in 0..batch[i] {
                op(peers[i].as_ref());
            }
            this_round[i] = start.elapsed().as_nanos() as f64 / batch[i] as f64;
        }
        for i in 0..peers.len() {
            samples[i].push(this_round[i]);
            if has_floor {
                ratios[i].push(this_round[i] / this_round[0]);
            }
        }
    }
    let rows: Vec<Row> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| Row {
            what: what.to_owned(),
            library: p.name(),
            median_ns: median(&mut samples[i]),
            ratio_to_floor: has_floor.then(|| median(&mut ratios[i])),
        })
        .collect();
    for r in &rows {
        eprintln!(
            "  measured {:<14} {:<34} {:>10.0} ns",
            r.what, r.library, r.median_ns
        );
    }
    rows
}

/// Verifications per second with one verifier shared by 1 and 2 threads.
fn throughput(peers: &[Box<dyn Peer>], token: &str, config: &Config) {
    println!(
        "HS256 verify throughput, one verifier shared by N threads ({} s per cell, machine has {} CPUs):",
        config.throughput_time.as_secs_f64(),
        available_cpus()
    );
    println!("| library | 1 thread (verifications/s) | 2 threads (verifications/s) | scaling |");
    println!("|---|---:|---:|---:|");
    for p in peers {
        let mut rates = [0.0f64; 2];
        for (slot, threads) in [1usize, 2].into_iter().enumerate() {
            let count = AtomicU64::new(0);
            let stop = AtomicBool::new(false);
            let start = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        let mut n = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            for _ in 0..64 {
                                black_box(p.verify(black_box(token)).is_ok());
                            }
                            n += 64;
                        }
                        count.fetch_add(n, Ordering::Relaxed);
                    });
                }
                std::thread::sleep(config.throughput_time);
                stop.store(true, Ordering::Relaxed);
            });
            rates[slot] = count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
        }
        println!(
            "| {} | {:.0} | {:.0} | {:.2}× |",
            p.name(),
            rates[0],
            rates[1],
            rates[1] / rates[0]
        );
    }
    println!();
}

fn print_table(rows: &[Row]) {
    println!("| measurement | library | median per call | ratio to floor |");
    println!("|---|---|---:|---:|");
    for r in rows {
        let time = if r.median_ns >= 10_000.0 {
            format!("{:.1} µs", r.median_ns / 1000.0)
        } else {
            format!("{:.0} ns", r.median_ns)
        };
        let ratio = r
            .ratio_to_floor
            .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}×"));
        println!("| {} | {} | {} | {} |", r.what, r.library, time, ratio);
    }
    // Tessera's targets, stated against the numbers just measured.
    let find = |what: &str, lib: &str| {
        rows.iter()
            .find(|r| r.what == what && r.library.starts_with(lib))
    };
    if let Some(t) = find("HS256 verify", "tessera") {
        let fastest_peer = rows
            .iter()
            .filter(|r| {
                r.what == "HS256 verify"
                    && !r.library.starts_with("tessera")
                    && r.library != floor::NAME
            })
            .map(|r| r.median_ns)
            .fold(f64::INFINITY, f64::min);
        println!();
        println!(
            "HS256 verify: tessera {:.2}× floor (target ≤ 1.05×); fastest peer is {:.2}× slower than tessera (target ≥ 1.6×)",
            t.ratio_to_floor.unwrap_or(f64::NAN),
            fastest_peer / t.median_ns
        );
    }
    if let Some(t) = find("HS256 sign", "tessera") {
        println!(
            "HS256 sign: tessera {:.2}× floor (target ≤ 1.1×)",
            t.ratio_to_floor.unwrap_or(f64::NAN)
        );
    }
}
