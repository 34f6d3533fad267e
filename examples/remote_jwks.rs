//! Verifying tokens against an issuer's published JWK Set, across a key rotation.
//!
//! A tiny HTTP server on 127.0.0.1 plays the issuer's `jwks_uri`; a small std-only HTTP client
//! fetches it for a `RemoteJwkSet`. The issuer publishes a new key, starts signing with it, then
//! retires the old one: tokens of the new key are accepted as soon as they appear, tokens of the
//! retired key are rejected once the set is refreshed.
//!
//! Run with `cargo run --example remote_jwks`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tessera::{
    Algorithm, BoxError, Fetched, Issuer, JwkSet, JwksFetcher, Policy, RemoteJwkSet, SigningKey,
    Verifier,
};

type Result<T, E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

fn main() -> Result<()> {
    // The issuer's side: a signing key, and the JWK Set it publishes.
    let published = Arc::new(Mutex::new(String::new()));
    let server = JwksServer::start(Arc::clone(&published))?;
    let key_a = SigningKey::generate(Algorithm::EdDSA)?.with_key_id("2025-01");
    publish(&published, &[&key_a]);

    // The service's side: the remote set, fetched over HTTP, and a verifier using it.
    let fetcher = HttpFetcher::new(server.addr, "/.well-known/jwks.json", 64 * 1024);
    let jwks = Arc::new(
        RemoteJwkSet::new(fetcher)
            // Production keeps the default of 30 s; short here so the example runs quickly.
            .with_cooldown(Duration::from_millis(100)),
    );
    jwks.refresh_now()?; // load before serving
    // Verification never fetches: a background thread refreshes ahead of expiry, and is woken
    // early when a token names a kid the set does not hold.
    let refresher = jwks.spawn_refresher(Duration::from_secs(300))?;
    let verifier = Verifier::new(
        Arc::clone(&jwks),
        Policy::new([Algorithm::EdDSA])
            .issuer("https://issuer.example")
            .audience("api"),
    );
    let issue = |key: &SigningKey| {
        Issuer::new(key)
            .issuer("https://issuer.example")
            .audience("api")
            .issue("alice", &json!({ "scope": "read" }))
    };

    let token_a = issue(&key_a)?;
    check("token signed with 2025-01", &verifier, &token_a);

    // Rotation, step 1: the issuer publishes the next key beside the current one and starts
    // signing with it. The first token naming the new kid is answered from the cache at once
    // (key_not_found) and wakes the refresher, which fetches the new set in the background.
    let key_b = SigningKey::generate(Algorithm::EdDSA)?.with_key_id("2025-02");
    publish(&published, &[&key_a, &key_b]);
    let token_b = issue(&key_b)?;
    std::thread::sleep(Duration::from_millis(150)); // let the cooldown since the last fetch pass
    check(
        "token signed with 2025-02 (new kid, first sight)",
        &verifier,
        &token_b,
    );
    for _ in 0..200 {
        if jwks.key_ids().iter().any(|k| k == "2025-02") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    check(
        "token signed with 2025-02 (after the refresh)",
        &verifier,
        &token_b,
    );
    check("token signed with 2025-01", &verifier, &token_a);

    // Step 2: the old key is retired. Once the service refreshes (a background refresher, the
    // max age running out, or an explicit call as here), its tokens are rejected.
    publish(&published, &[&key_b]);
    jwks.refresh_now()?;
    check("token signed with retired 2025-01", &verifier, &token_a);
    check("token signed with 2025-02", &verifier, &token_b);

    println!(
        "the JWK Set was fetched {} times; cached kids: {:?}",
        server.requests.load(Ordering::SeqCst),
        jwks.key_ids()
    );
    refresher.stop();
    Ok(())
}

fn check<K: tessera::KeyProvider>(what: &str, verifier: &Verifier<K>, token: &str) {
    match verifier.verify::<serde_json::Value>(token) {
        Ok(verified) => println!("accepted: {what} (sub {:?})", verified.subject()),
        Err(e) => println!("rejected: {what}: {}: {e}", e.kind()),
    }
}

/// Replaces the published document with the public halves of `keys`, as a JWK Set.
fn publish(published: &Mutex<String>, keys: &[&SigningKey]) {
    let set = JwkSet {
        keys: keys.iter().map(|k| k.verifying_key().to_jwk()).collect(),
    };
    *published.lock().unwrap_or_else(|e| e.into_inner()) = set.to_json();
}

// -------------------------------------------------------------------------------------------------
// The issuer's `jwks_uri`: a minimal HTTP/1.1 server on a free local port.

struct JwksServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl JwksServer {
    fn start(published: Arc<Mutex<String>>) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        // The thread ends with the process.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = published.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Err(e) = serve(stream, &body) {
                    eprintln!("jwks server: {e}");
                }
            }
        });
        Ok(JwksServer { addr, requests })
    }
}

fn serve(stream: TcpStream, body: &str) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the request headers.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let response = if request_line.starts_with("GET /.well-known/jwks.json ") {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/jwk-set+json\r\n\
             Cache-Control: public, max-age=300\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
    } else {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
    };
    (&stream).write_all(response.as_bytes())?;
    Ok(())
}

// -------------------------------------------------------------------------------------------------
// The service's client: one GET, with timeouts and a size cap. A real service would use its own
// HTTP client (with TLS) here; the fetch address is fixed by configuration, never by a token.

struct HttpFetcher {
    addr: SocketAddr,
    path: String,
    max_body: usize,
}

impl HttpFetcher {
    fn new(addr: SocketAddr, path: &str, max_body: usize) -> Self {
        HttpFetcher {
            addr,
            path: path.to_owned(),
            max_body,
        }
    }
}

impl JwksFetcher for HttpFetcher {
    fn fetch(&self) -> Result<Fetched, BoxError> {
        const MAX_HEAD: usize = 16 * 1024;
        let timeout = Duration::from_secs(5);
        let mut stream = TcpStream::connect_timeout(&self.addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        write!(
            stream,
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
            self.path, self.addr
        )?;

        // Read at most the head plus one byte over the body limit, so that an oversized body is
        // seen as such without reading all of it.
        let mut response = Vec::new();
        let cap = u64::try_from(MAX_HEAD + self.max_body + 1)?;
        stream.take(cap).read_to_end(&mut response)?;
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of response head")?;
        let head = std::str::from_utf8(&response[..split])?;
        let body = response[split + 4..].to_vec();

        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap_or_default();
        if status.split(' ').nth(1) != Some("200") {
            return Err(format!("unexpected response: {status}").into());
        }
        let max_age = lines
            .filter_map(|l| l.split_once(':'))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("cache-control"))
            .flat_map(|(_, value)| value.split(','))
            .find_map(|d| d.trim().strip_prefix("max-age=")?.parse::<u64>().ok());
        let mut fetched = Fetched::new(body);
        if let Some(secs) = max_age {
            fetched = fetched.with_max_age(Duration::from_secs(secs));
        }
        Ok(fetched)
    }
}
