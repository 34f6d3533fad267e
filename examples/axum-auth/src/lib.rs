//! Bearer-token authentication for an [axum] service with tessera.
//!
//! [`BearerAuthLayer`] reads `Authorization: Bearer <token>`, verifies the token with a shared
//! [`Verifier`] (signature, expiry, issuer, audience, IP binding against the connection's
//! address, revocation), checks the route's scopes and hands handlers an [`Authenticated`];
//! refusals follow RFC 6750 §3. [`app`] wires it into a small orders API whose handlers can
//! revoke tokens:
//!
//! | route | needs | does |
//! |---|---|---|
//! | `GET /health` | nothing | `200 ok` |
//! | `GET /orders` | a token with scope `orders:read` | lists the caller's orders |
//! | `POST /logout` | a token | revokes that token (its `jti`, until its `exp`) |
//! | `POST /logout-everywhere` | a token | revokes every token of its subject issued so far |
//!
//! ```no_run
//! use std::sync::Arc;
//! use tessera::{Algorithm, KeySet, SigningKey, SystemClock};
//! use tessera_axum_auth::{AppState, serve};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SigningKey::generate(Algorithm::EdDSA)?;
//! let state = AppState::new(KeySet::from_keys([key.verifying_key()]), Arc::new(SystemClock));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! serve(listener, state).await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod bearer;
mod challenge;
mod layer;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tessera::{
    Algorithm, Clock, DEFAULT_LEEWAY, Denylist, IpBindingMode, KeySet, NumericDate, Policy,
    SubjectCutoff, Verifier,
};

pub use layer::{AccessClaims, Authenticated, BearerAuth, BearerAuthLayer, ResponseFuture};

/// The issuer whose tokens this service accepts.
pub const ISSUER: &str = "https://auth.example";

/// The audience this service accepts tokens for.
pub const AUDIENCE: &str = "orders-api";

/// The scope `GET /orders` requires.
pub const ORDERS_READ: &str = "orders:read";

/// The longest token lifetime accepted (`exp - iat`): the issuer's default, 15 minutes. It also
/// bounds how long a subject cutoff must be remembered.
pub const MAX_TOKEN_LIFETIME: Duration = tessera::DEFAULT_LIFETIME;

/// The revocation sources: a `jti` denylist (`/logout`) and subject cutoffs
/// (`/logout-everywhere`), each shared so that handlers can add to them while requests verify.
pub type Revocations = (Arc<Denylist>, Arc<SubjectCutoff>);

/// The verifier of this service.
pub type AppVerifier = Verifier<KeySet, Revocations, Arc<dyn Clock>>;

/// The policy of this service: EdDSA or ES256 tokens from [`ISSUER`] for [`AUDIENCE`], living at
/// most [`MAX_TOKEN_LIFETIME`], with a `jti` (so that each can be revoked), and bound to the
/// client's address when they carry an `ip` claim.
pub fn policy() -> Policy {
    Policy::new([Algorithm::EdDSA, Algorithm::ES256])
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .max_lifetime(MAX_TOKEN_LIFETIME)
        .require_jti()
        .ip_binding(IpBindingMode::WhenPresent)
}

/// What the handlers share: one verifier, whose revocation sources they write to.
#[derive(Clone)]
pub struct AppState {
    verifier: Arc<AppVerifier>,
}

impl AppState {
    /// A service verifying tokens signed by `keys` under [`policy`], reading the time from
    /// `clock`, with empty revocation lists.
    pub fn new(keys: KeySet, clock: Arc<dyn Clock>) -> Self {
        let leeway = i64::try_from(DEFAULT_LEEWAY.as_secs()).unwrap_or(i64::MAX);
        let lifetime = i64::try_from(MAX_TOKEN_LIFETIME.as_secs()).unwrap_or(i64::MAX);
        let denylist = Denylist::new()
            .with_leeway(leeway)
            .with_clock(Arc::clone(&clock));
        let cutoffs = SubjectCutoff::new()
            .with_max_token_lifetime(lifetime)
            .with_leeway(leeway)
            .with_clock(Arc::clone(&clock));
        let verifier = Verifier::new(keys, policy())
            .with_revocation((Arc::new(denylist), Arc::new(cutoffs)))
            .with_clock(clock);
        AppState {
            verifier: Arc::new(verifier),
        }
    }

    /// The shared verifier.
    pub fn verifier(&self) -> &Arc<AppVerifier> {
        &self.verifier
    }

    /// The keys tokens are verified with; keys can be inserted and retired while serving.
    pub fn keys(&self) -> &KeySet {
        self.verifier.keys()
    }

    /// The revoked `jti`s.
    pub fn denylist(&self) -> &Denylist {
        &self.verifier.revocation().0
    }

    /// The subject cutoffs.
    pub fn cutoffs(&self) -> &SubjectCutoff {
        &self.verifier.revocation().1
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("policy", self.verifier.policy())
            .field("denylist", self.denylist())
            .field("cutoffs", &self.cutoffs().len())
            .finish_non_exhaustive()
    }
}

/// The service's routes: `GET /health` open, the others behind [`BearerAuthLayer`].
pub fn app(state: AppState) -> Router {
    let auth = BearerAuthLayer::new(Arc::clone(&state.verifier));
    let orders = Router::new()
        .route("/orders", get(list_orders))
        .route_layer(auth.clone().require_scopes([ORDERS_READ]));
    let sessions = Router::new()
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route_layer(auth);
    Router::new()
        .route("/health", get(health))
        .merge(orders)
        .merge(sessions)
        .with_state(state)
}

/// Serves [`app`] on `listener` until the task is dropped, giving the layer each connection's
/// peer address.
///
/// # Errors
/// An I/O error of the listener.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).await
}

async fn health() -> &'static str {
    "ok"
}

async fn list_orders(token: Authenticated) -> Response {
    let body = serde_json::json!({
        "subject": token.subject(),
        "orders": [
            { "id": "A-1001", "status": "shipped" },
            { "id": "A-1002", "status": "processing" },
        ],
    });
    json(StatusCode::OK, &body)
}

/// Revokes the presented token until it would have expired anyway.
async fn logout(State(state): State<AppState>, token: Authenticated) -> Response {
    // The policy requires `jti` and `exp`, so a verified token has both.
    match (token.jwt_id(), token.expires_at()) {
        (Some(jti), Some(exp)) => {
            state.denylist().revoke(jti, exp);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({ "error": "token_not_revocable" }),
        ),
    }
}

/// Revokes every token of the presented token's subject issued up to now.
///
/// The cutoff is the start of the next second: tokens carry whole-second `iat`s, and a token
/// issued in the current second (the one presented, or one minted alongside it) must die too. A
/// login in the same second as the logout therefore needs to be repeated a second later.
async fn logout_everywhere(State(state): State<AppState>, token: Authenticated) -> Response {
    let Some(subject) = token.subject() else {
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &serde_json::json!({ "error": "token_has_no_subject" }),
        );
    };
    let now = state.verifier.clock().now();
    let next_second = now.as_secs().saturating_add(1);
    let cutoff = NumericDate::from_secs(next_second).unwrap_or_else(|_| now.add_secs(1));
    state.cutoffs().revoke_subject(subject, cutoff);
    StatusCode::NO_CONTENT.into_response()
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
