//! `BearerAuthLayer` over other verifiers: sources that cannot answer, and wiring mistakes.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use common::{bearer, send, start_router};
use hyper::{Method, StatusCode};
use tessera::{
    Algorithm, BloomCheck, Error, FnProvider, Issuer, KeyRequest, Policy, SigningKey, Verifier,
    VerifyingKey,
};
use tessera_axum_auth::{Authenticated, BearerAuthLayer};

async fn whoami(token: Authenticated) -> String {
    token.subject().unwrap_or("-").to_owned()
}

fn key_and_token() -> (SigningKey, String) {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let token = Issuer::new(&key).issue("alice", &()).unwrap();
    (key, token)
}

fn policy() -> Policy {
    Policy::new([Algorithm::EdDSA])
}

#[tokio::test]
async fn unavailable_revocation_is_503_without_a_challenge() {
    let (key, token) = key_and_token();
    // A Bloom check that has not received its first snapshot cannot answer: it fails closed.
    let verifier = Verifier::new(key.verifying_key(), policy()).with_revocation(BloomCheck::new());
    let router = Router::new()
        .route("/", get(whoami))
        .route_layer(BearerAuthLayer::new(Arc::new(verifier)));
    let addr = start_router(router).await;

    let answer = send(addr, Method::GET, "/", &[&bearer(&token)]).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.challenge, None);
    assert_eq!(answer.body, r#"{"error":"revocation_unavailable"}"#);
}

#[tokio::test]
async fn unavailable_keys_are_503_and_their_message_stays_inside() {
    let (_, token) = key_and_token();
    let keys = FnProvider::new(|_: &KeyRequest<'_>| -> Result<Arc<VerifyingKey>, Error> {
        Err(Error::KeyUnavailable(
            "GET https://user:hunter2@keys.internal/jwks failed".into(),
        ))
    });
    let verifier = Verifier::new(keys, policy());
    let router = Router::new()
        .route("/", get(whoami))
        .route_layer(BearerAuthLayer::new(Arc::new(verifier)));
    let addr = start_router(router).await;

    let answer = send(addr, Method::GET, "/", &[&bearer(&token)]).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.challenge, None);
    assert_eq!(answer.body, r#"{"error":"key_unavailable"}"#);
    assert!(!answer.body.contains("hunter2"));
}

#[tokio::test]
async fn several_scopes_are_all_required_and_all_named() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let issuer = Issuer::new(&key);
    let verifier = Arc::new(Verifier::new(key.verifying_key(), policy()));
    let layer = BearerAuthLayer::new(verifier)
        .require_scopes(["orders:read"])
        .require_scopes(["orders:write"]);
    let router = Router::new().route("/", get(whoami)).route_layer(layer);
    let addr = start_router(router).await;

    let both = issuer
        .issue(
            "alice",
            &serde_json::json!({ "scope": "orders:write orders:read" }),
        )
        .unwrap();
    let answer = send(addr, Method::GET, "/", &[&bearer(&both)]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "alice");

    let one = issuer
        .issue("alice", &serde_json::json!({ "scope": "orders:read" }))
        .unwrap();
    let answer = send(addr, Method::GET, "/", &[&bearer(&one)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer
            .challenge()
            .ends_with(", scope=\"orders:read orders:write\""),
        "{answer:?}"
    );
}

#[tokio::test]
async fn without_connect_info_a_bound_token_is_refused() {
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let issuer = Issuer::new(&key);
    let verifier = Verifier::new(
        key.verifying_key(),
        policy().ip_binding(tessera::IpBindingMode::WhenPresent),
    );
    let router = Router::new()
        .route("/", get(whoami))
        .route_layer(BearerAuthLayer::new(Arc::new(verifier)));
    // Served without `into_make_service_with_connect_info`: the peer address is unknown.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let bound = issuer
        .token(&())
        .subject("alice")
        .bind_ip(IpAddr::from([127, 0, 0, 1]))
        .sign()
        .unwrap();
    send(addr, Method::GET, "/", &[&bearer(&bound)])
        .await
        .assert_invalid_token("ip_mismatch");

    let unbound = issuer.issue("alice", &()).unwrap();
    let answer = send(addr, Method::GET, "/", &[&bearer(&unbound)]).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_extractor_without_the_layer_is_a_server_error() {
    let addr = start_router(Router::new().route("/", get(whoami))).await;
    let (_, token) = key_and_token();
    let answer = send(addr, Method::GET, "/", &[&bearer(&token)]).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}
