//! A demo of the orders API on 127.0.0.1: prints a few tokens and the `curl` commands to try.
//!
//! `cargo run` serves on port 3000; `cargo run -- 8080` on another port.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde_json::json;
use tessera::{Algorithm, Issuer, KeySet, SigningKey, SystemClock};
use tessera_axum_auth::{AUDIENCE, AppState, ISSUER, ORDERS_READ, serve};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("not a port number: {arg}"))?,
        None => 3000,
    };
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);

    // The issuing side would live elsewhere; here it shares the process to mint demo tokens.
    let key = SigningKey::generate(Algorithm::EdDSA)?.with_key_id("demo-key-1");
    let issuer = Issuer::new(&key).issuer(ISSUER).audience(AUDIENCE);
    let reader = issuer.issue("alice", &json!({ "scope": ORDERS_READ }))?;
    let no_scope = issuer.issue("bob", &json!({ "scope": "profile" }))?;
    let bound_here = issuer
        .token(&json!({ "scope": ORDERS_READ }))
        .subject("carol")
        .bind_ip(localhost)
        .sign()?;
    let bound_elsewhere = issuer
        .token(&json!({ "scope": ORDERS_READ }))
        .subject("dave")
        .bind_ip("203.0.113.7".parse::<IpAddr>()?)
        .sign()?;

    let state = AppState::new(
        KeySet::from_keys([key.verifying_key()]),
        Arc::new(SystemClock),
    );
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(localhost, port)).await?;
    let base = format!("http://{}", listener.local_addr()?);

    println!("serving the orders API on {base} (tokens below live 15 minutes)\n");
    println!("curl -i {base}/health");
    println!("curl -i {base}/orders                      # 401, bare challenge");
    println!("curl -i -H 'Authorization: Bearer' {base}/orders   # 400 invalid_request");
    let auth = |token: &str| format!("-H 'Authorization: Bearer {token}'");
    println!("curl -i {} {base}/orders   # 200 (alice)", auth(&reader));
    println!(
        "curl -i {} {base}/orders   # 403 insufficient_scope (bob)",
        auth(&no_scope)
    );
    println!(
        "curl -i {} {base}/orders   # 200, bound to 127.0.0.1 (carol)",
        auth(&bound_here)
    );
    println!(
        "curl -i {} {base}/orders   # 401, bound to 203.0.113.7 (dave)",
        auth(&bound_elsewhere)
    );
    println!(
        "curl -i -X POST {} {base}/logout   # then alice's token is 401",
        auth(&reader)
    );
    println!(
        "curl -i -X POST {} {base}/logout-everywhere",
        auth(&bound_here)
    );

    serve(listener, state).await?;
    Ok(())
}
