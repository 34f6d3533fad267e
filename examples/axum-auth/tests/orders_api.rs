//! The orders API over real HTTP on 127.0.0.1: every answer's status and challenge.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{Demo, bearer};
use hyper::StatusCode;
use tessera::{Algorithm, Issuer, SigningKey};
use tessera_axum_auth::{AUDIENCE, ISSUER};

#[tokio::test]
async fn health_needs_no_token() {
    let demo = Demo::start().await;
    let answer = demo.get("/health", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "ok");
    assert_eq!(answer.challenge, None);
    let answer = demo.get("/health", &["Bearer"]).await;
    assert_eq!(answer.status, StatusCode::OK, "not behind the layer");
}

#[tokio::test]
async fn valid_token_is_served() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let demo = Demo::start_with(alg).await;
        let token = demo.token("alice", "profile orders:read");
        let answer = demo.orders(&token).await;
        assert_eq!(answer.status, StatusCode::OK, "{alg}: {answer:?}");
        assert_eq!(answer.challenge, None);
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(
            body["subject"], "alice",
            "the handler saw the verified claims"
        );
        assert_eq!(body["orders"].as_array().map(Vec::len), Some(2));
    }
}

#[tokio::test]
async fn scheme_is_case_insensitive() {
    let demo = Demo::start().await;
    let token = demo.token("alice", "orders:read");
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let answer = demo.get("/orders", &[&format!("{scheme} {token}")]).await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn expired_token_is_invalid_token() {
    let demo = Demo::start().await;
    let token = demo.token("alice", "orders:read");
    // 15 minutes of lifetime and 30 s of leeway later.
    demo.clock.advance(15 * 60 + 29);
    assert_eq!(
        demo.orders(&token).await.status,
        StatusCode::OK,
        "within the leeway"
    );
    demo.clock.advance(1);
    let answer = demo.orders(&token).await;
    answer.assert_invalid_token("expired");
    assert!(
        answer.challenge().contains("token expired at "),
        "{answer:?}"
    );
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn tampered_token_is_invalid_token() {
    let demo = Demo::start().await;
    let alice = demo.token("alice", "orders:read");
    let admin = demo.token("admin", "orders:read");
    // Alice's signature over the admin's claims.
    let parts: Vec<&str> = alice.split('.').collect();
    let admin_claims = admin.split('.').nth(1).unwrap();
    let forged = format!("{}.{}.{}", parts[0], admin_claims, parts[2]);
    demo.orders(&forged)
        .await
        .assert_invalid_token("invalid_signature");

    // A token signed by another key with the same settings.
    let stranger = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let foreign = Issuer::new(&stranger)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .issue("alice", &serde_json::json!({ "scope": "orders:read" }))
        .unwrap();
    demo.orders(&foreign)
        .await
        .assert_invalid_token("invalid_signature");

    // Well-formed b64token, not a JWT.
    demo.orders("abc.def")
        .await
        .assert_invalid_token("malformed");
}

#[tokio::test]
async fn wrong_audience_or_issuer_is_invalid_token() {
    let demo = Demo::start().await;
    let claims = serde_json::json!({ "scope": "orders:read" });
    let other_api = demo
        .issuer()
        .token(&claims)
        .subject("alice")
        .audience("billing-api")
        .sign()
        .unwrap();
    demo.orders(&other_api)
        .await
        .assert_invalid_token("invalid_audience");

    let other_issuer = Issuer::new(&demo.key)
        .issuer("https://evil.example")
        .audience(AUDIENCE)
        .with_clock(demo.clock.clone())
        .issue("alice", &claims)
        .unwrap();
    demo.orders(&other_issuer)
        .await
        .assert_invalid_token("invalid_issuer");
}

#[tokio::test]
async fn too_long_lifetime_is_invalid_token() {
    let demo = Demo::start().await;
    let token = demo
        .issuer()
        .lifetime(Duration::from_secs(24 * 3600))
        .issue("alice", &serde_json::json!({ "scope": "orders:read" }))
        .unwrap();
    demo.orders(&token)
        .await
        .assert_invalid_token("lifetime_too_long");
}

#[tokio::test]
async fn missing_scope_is_insufficient_scope() {
    let demo = Demo::start().await;
    let expected = "Bearer error=\"insufficient_scope\", \
        error_description=\"insufficient_scope: insufficient scope: scope lacks a required scope\", \
        scope=\"orders:read\"";
    for scope in ["profile", "orders:write", "orders:readx", ""] {
        let token = demo.token("bob", scope);
        let answer = demo.orders(&token).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{scope:?}");
        assert_eq!(answer.challenge(), expected, "{scope:?}");
    }
    // No scope claim at all.
    let token = demo.issuer().issue("bob", &()).unwrap();
    let answer = demo.orders(&token).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.challenge(), expected);
    let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["error"], "insufficient_scope");

    // The same token is fine where no scope is needed.
    assert_eq!(
        demo.post("/logout", &[&bearer(&token)]).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_dead_token_is_401_even_without_the_scope() {
    let demo = Demo::start().await;
    let token = demo.token("bob", "profile");
    demo.clock.advance(3600);
    demo.orders(&token).await.assert_invalid_token("expired");
}

#[tokio::test]
async fn logout_revokes_the_presented_token() {
    let demo = Demo::start().await;
    let first = demo.token("alice", "orders:read");
    let second = demo.token("alice", "orders:read");
    assert_eq!(demo.orders(&first).await.status, StatusCode::OK);

    let answer = demo.post("/logout", &[&bearer(&first)]).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");
    let answer = demo.orders(&first).await;
    answer.assert_invalid_token("revoked");
    assert!(answer.challenge().contains("denylist"), "{answer:?}");
    // Logging out again with the dead token is refused like any other use of it.
    demo.post("/logout", &[&bearer(&first)])
        .await
        .assert_invalid_token("revoked");

    // Only that token: the subject's other session goes on.
    assert_eq!(demo.orders(&second).await.status, StatusCode::OK);
    assert_eq!(demo.state.denylist().len(), 1);
}

#[tokio::test]
async fn logout_everywhere_revokes_every_token_of_the_subject() {
    let demo = Demo::start().await;
    let alice_phone = demo.token("alice", "orders:read");
    demo.clock.advance(5);
    let alice_laptop = demo.token("alice", "orders:read");
    let bob = demo.token("bob", "orders:read");

    let answer = demo
        .post("/logout-everywhere", &[&bearer(&alice_laptop)])
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{answer:?}");

    for token in [&alice_phone, &alice_laptop] {
        let answer = demo.orders(token).await;
        answer.assert_invalid_token("revoked");
        assert!(answer.challenge().contains("cutoff"), "{answer:?}");
    }
    assert_eq!(
        demo.orders(&bob).await.status,
        StatusCode::OK,
        "another subject"
    );

    // Logging in again, a second later, gives a working token.
    demo.clock.advance(1);
    let fresh = demo.token("alice", "orders:read");
    assert_eq!(demo.orders(&fresh).await.status, StatusCode::OK);
}

#[tokio::test]
async fn ip_binding_uses_the_connection_address() {
    let demo = Demo::start().await;
    let claims = serde_json::json!({ "scope": "orders:read" });
    let issuer = demo.issuer();
    let sign_bound_to = |ip: &str| {
        issuer
            .token(&claims)
            .subject("carol")
            .bind_ip(ip.parse::<IpAddr>().unwrap())
            .sign()
            .unwrap()
    };

    let elsewhere = sign_bound_to("203.0.113.7");
    let answer = demo.orders(&elsewhere).await;
    answer.assert_invalid_token("ip_mismatch");

    let here = sign_bound_to("127.0.0.1");
    assert_eq!(demo.orders(&here).await.status, StatusCode::OK);

    let mapped = sign_bound_to("::ffff:127.0.0.1");
    assert_eq!(
        demo.orders(&mapped).await.status,
        StatusCode::OK,
        "IPv4-mapped"
    );

    let loopback_net = issuer
        .token(&claims)
        .subject("carol")
        .bind_ip("127.0.0.0/8".parse::<tessera::IpNetwork>().unwrap())
        .sign()
        .unwrap();
    assert_eq!(demo.orders(&loopback_net).await.status, StatusCode::OK);
}

#[tokio::test]
async fn missing_credentials_get_a_bare_challenge() {
    let demo = Demo::start().await;
    for authorization in [&[][..], &["Basic YWxpY2U6c2VjcmV0"][..], &["Negotiate"][..]] {
        for answer in [
            demo.get("/orders", authorization).await,
            demo.post("/logout", authorization).await,
            demo.post("/logout-everywhere", authorization).await,
        ] {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization:?}");
            assert_eq!(answer.challenge(), "Bearer", "{authorization:?}");
        }
    }
}

#[tokio::test]
async fn malformed_authorization_is_invalid_request() {
    let demo = Demo::start().await;
    let token = demo.token("alice", "orders:read");
    let cases: [(&[&str], &str); 6] = [
        (&["Bearer"], "the Bearer scheme is not followed by a token"),
        (&["Bearer "], "the Bearer scheme is not followed by a token"),
        (
            &[&format!("Bearer {token} extra")],
            "the bearer token is not a single b64token (RFC 6750 section 2.1)",
        ),
        (
            &["Bearer \"quoted\""],
            "the bearer token is not a single b64token (RFC 6750 section 2.1)",
        ),
        (
            &["Bearer\tx"],
            "the Authorization header does not start with a scheme",
        ),
        (
            &[&bearer(&token), &bearer(&token)],
            "more than one Authorization header",
        ),
    ];
    for (authorization, description) in cases {
        let answer = demo.get("/orders", authorization).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{authorization:?}");
        assert_eq!(
            answer.challenge(),
            format!("Bearer error=\"invalid_request\", error_description=\"{description}\""),
            "{authorization:?}"
        );
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn untrusted_text_cannot_break_the_challenge() {
    let demo = Demo::start().await;
    // A `kid` the service does not know, full of characters a quoted-string must not carry.
    let key = SigningKey::generate(Algorithm::EdDSA)
        .unwrap()
        .with_key_id("x\"y\\z\r\n\u{1}é, error=\"fake\"");
    let token = Issuer::new(&key)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .issue("alice", &serde_json::json!({ "scope": "orders:read" }))
        .unwrap();
    let answer = demo.orders(&token).await;
    answer.assert_invalid_token("key_not_found");
    assert_eq!(
        answer.challenge(),
        "Bearer error=\"invalid_token\", error_description=\"key_not_found: no key found \
         (kid x'yzrnu{1}?, error='fake', alg EdDSA)\""
    );
}
