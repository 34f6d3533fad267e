//! A running server on 127.0.0.1 and a minimal HTTP/1 client for the tests.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, HOST, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tessera::{Algorithm, FixedClock, Issuer, KeySet, NumericDate, SigningKey};
use tessera_axum_auth::AppState;
use tokio::net::{TcpListener, TcpStream};

/// One answer: status, challenge (if any) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub challenge: Option<String>,
    pub body: String,
}

impl Answer {
    /// The `WWW-Authenticate` value, which must be present.
    pub fn challenge(&self) -> &str {
        self.challenge
            .as_deref()
            .unwrap_or_else(|| panic!("no WWW-Authenticate in {self:?}"))
    }

    /// Asserts `401` with an `invalid_token` challenge whose description starts with `kind`.
    pub fn assert_invalid_token(&self, kind: &str) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{self:?}");
        let prefix = format!("Bearer error=\"invalid_token\", error_description=\"{kind}: ");
        assert!(self.challenge().starts_with(&prefix), "{self:?}");
        assert!(self.challenge().ends_with('"'), "{self:?}");
        assert_quoted_string_safe(self.challenge());
    }
}

/// The challenge parses as `Bearer` followed by `name="value"` pairs separated by `, `, whose
/// values hold only what RFC 6750 §3 allows (visible ASCII and space, no `"` or `\\`).
pub fn assert_quoted_string_safe(challenge: &str) {
    let mut rest = challenge
        .strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("{challenge}"));
    loop {
        let (name, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("{challenge}"));
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{challenge}"
        );
        let (value, after) = after
            .split_once('"')
            .unwrap_or_else(|| panic!("{challenge}"));
        assert!(
            value
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b) && b != b'\\'),
            "{challenge}"
        );
        if after.is_empty() {
            break;
        }
        rest = after
            .strip_prefix(", ")
            .unwrap_or_else(|| panic!("{challenge}"));
    }
}

/// Sends one request with the given `Authorization` header values (none, one or several).
pub async fn send(addr: SocketAddr, method: Method, path: &str, authorization: &[&str]) -> Answer {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, addr.to_string());
    for value in authorization {
        request = request.header(
            AUTHORIZATION,
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    let response = sender
        .send_request(request.body(Empty::<Bytes>::new()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        challenge,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Starts `router` on 127.0.0.1, on a free port, with the peer address available to handlers.
pub async fn start_router(router: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    addr
}

/// The orders API, served on 127.0.0.1, with its signing key and an adjustable clock shared by
/// the issuer and the verifier.
pub struct Demo {
    pub addr: SocketAddr,
    pub state: AppState,
    pub clock: Arc<FixedClock>,
    pub key: SigningKey,
}

impl Demo {
    /// Starts the service with a new key of `alg`.
    pub async fn start_with(alg: Algorithm) -> Demo {
        let key = SigningKey::generate(alg).unwrap();
        let clock = Arc::new(FixedClock::at(NumericDate::now().as_secs()));
        let state = AppState::new(KeySet::from_keys([key.verifying_key()]), clock.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(tessera_axum_auth::serve(listener, state.clone()));
        Demo {
            addr,
            state,
            clock,
            key,
        }
    }

    /// Starts the service with a new Ed25519 key.
    pub async fn start() -> Demo {
        Demo::start_with(Algorithm::EdDSA).await
    }

    /// An issuer of tokens this service accepts, on the shared clock.
    pub fn issuer(&self) -> Issuer<&SigningKey, Arc<FixedClock>> {
        Issuer::new(&self.key)
            .issuer(tessera_axum_auth::ISSUER)
            .audience(tessera_axum_auth::AUDIENCE)
            .with_clock(self.clock.clone())
    }

    /// A token for `sub` granted `scope`.
    pub fn token(&self, sub: &str, scope: &str) -> String {
        self.issuer()
            .issue(sub, &serde_json::json!({ "scope": scope }))
            .unwrap()
    }

    pub async fn get(&self, path: &str, authorization: &[&str]) -> Answer {
        send(self.addr, Method::GET, path, authorization).await
    }

    pub async fn post(&self, path: &str, authorization: &[&str]) -> Answer {
        send(self.addr, Method::POST, path, authorization).await
    }

    /// `GET /orders` with `token`.
    pub async fn orders(&self, token: &str) -> Answer {
        self.get("/orders", &[&bearer(token)]).await
    }
}
