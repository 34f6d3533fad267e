//! The tower layer that authenticates requests, and the extractor that hands handlers the result.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera::{Clock, Error, KeyProvider, Revocation, Verified, Verifier, VerifyContext};
use tower_layer::Layer;
use tower_service::Service;

use crate::bearer::{self, Credentials};
use crate::challenge;

/// The claims this service reads besides the registered ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// The OAuth `scope` claim: space-separated scope names (RFC 8693 §4.2).
    #[serde(default)]
    pub scope: Option<String>,
}

impl AccessClaims {
    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|granted| granted.split(' ').any(|s| s == scope))
    }
}

/// A verified token, put in the request's extensions by [`BearerAuthLayer`] and taken out by
/// handlers as an extractor.
///
/// ```
/// use tessera_axum_auth::Authenticated;
/// async fn whoami(token: Authenticated) -> String {
///     token.subject().unwrap_or("nobody").to_owned()
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(whoami);
/// ```
///
/// Used on a route without the layer, it answers `500 Internal Server Error`: that is a wiring
/// mistake, not the client's.
#[derive(Clone)]
pub struct Authenticated(Arc<Verified<AccessClaims>>);

impl Authenticated {
    /// The verified token.
    pub fn token(&self) -> &Verified<AccessClaims> {
        &self.0
    }
}

impl std::ops::Deref for Authenticated {
    type Target = Verified<AccessClaims>;
    fn deref(&self) -> &Verified<AccessClaims> {
        &self.0
    }
}

impl fmt::Debug for Authenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Authenticated").field(&*self.0).finish()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<Authenticated>()
            .cloned()
            .ok_or_else(|| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "route is not behind the bearer authentication layer",
                )
                    .into_response()
            })
    }
}

/// A [`Layer`] that lets a request through only with a valid bearer token.
///
/// For each request it reads `Authorization: Bearer <token>` (RFC 6750 §2.1), verifies the token
/// with the shared [`Verifier`] — passing the peer address from
/// [`ConnectInfo<SocketAddr>`](ConnectInfo) for IP binding — checks the route's scopes, and
/// puts an [`Authenticated`] in the request's extensions. Otherwise it answers as RFC 6750 §3
/// says, without calling the inner service:
///
/// | request | status | `WWW-Authenticate` |
/// |---|---|---|
/// | no `Authorization`, or another scheme | 401 | `Bearer` |
/// | `Authorization` header not well formed | 400 | `Bearer error="invalid_request", …` |
/// | token refused (signature, expiry, audience, revocation, IP binding, …) | 401 | `Bearer error="invalid_token", …` |
/// | a required scope missing | 403 | `Bearer error="insufficient_scope", …, scope="…"` |
/// | key or revocation source unavailable | 503 | none |
///
/// The token is fully verified, revocation included, before scopes are looked at, so a dead token
/// is always `401`, never `403`.
///
/// Without `ConnectInfo` (a server not started with
/// [`into_make_service_with_connect_info`](axum::Router::into_make_service_with_connect_info))
/// the client address is unknown, and a token bound to an address is refused.
pub struct BearerAuthLayer<K, R, C> {
    verifier: Arc<Verifier<K, R, C>>,
    scopes: Arc<[String]>,
}

impl<K, R, C> BearerAuthLayer<K, R, C> {
    /// A layer verifying with `verifier`, requiring no scope.
    pub fn new(verifier: Arc<Verifier<K, R, C>>) -> Self {
        BearerAuthLayer {
            verifier,
            scopes: Arc::new([]),
        }
    }

    /// The same layer, also requiring every one of `scopes` in the token's `scope` claim. Scope
    /// names are OAuth `scope-token`s: visible ASCII without space, `"` or `\`.
    #[must_use]
    pub fn require_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut all = self.scopes.to_vec();
        all.extend(scopes.into_iter().map(Into::into));
        BearerAuthLayer {
            verifier: self.verifier,
            scopes: all.into(),
        }
    }
}

impl<K, R, C> Clone for BearerAuthLayer<K, R, C> {
    fn clone(&self) -> Self {
        BearerAuthLayer {
            verifier: Arc::clone(&self.verifier),
            scopes: Arc::clone(&self.scopes),
        }
    }
}

impl<K, R, C> fmt::Debug for BearerAuthLayer<K, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthLayer")
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl<S, K, R, C> Layer<S> for BearerAuthLayer<K, R, C> {
    type Service = BearerAuth<S, K, R, C>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            auth: self.clone(),
        }
    }
}

/// The service made by [`BearerAuthLayer`].
pub struct BearerAuth<S, K, R, C> {
    inner: S,
    auth: BearerAuthLayer<K, R, C>,
}

impl<S: Clone, K, R, C> Clone for BearerAuth<S, K, R, C> {
    fn clone(&self) -> Self {
        BearerAuth {
            inner: self.inner.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<S, K, R, C> fmt::Debug for BearerAuth<S, K, R, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("scopes", &self.auth.scopes)
            .finish_non_exhaustive()
    }
}

impl<K, R, C> BearerAuthLayer<K, R, C>
where
    K: KeyProvider,
    R: Revocation,
    C: Clock,
{
    /// Authenticates `request`: the token's claims, or why the request is refused.
    fn authenticate(&self, request: &Request) -> Result<Authenticated, Refusal> {
        let token = match bearer::credentials(request.headers()) {
            Ok(Credentials::Bearer(token)) => token,
            Ok(Credentials::Absent) => return Err(Refusal::Missing),
            Err(malformed) => return Err(Refusal::InvalidRequest(malformed.0)),
        };
        let mut context = VerifyContext::new();
        if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
            context = context.client_ip(peer.ip());
        }
        let verified = self
            .verifier
            .verify_with::<AccessClaims>(token, &context)
            .map_err(Refusal::Token)?;
        let claims = verified.claims();
        if !self.scopes.iter().all(|s| claims.has_scope(s)) {
            return Err(Refusal::Token(Error::InsufficientScope("scope".into())));
        }
        Ok(Authenticated(Arc::new(verified)))
    }

    fn refuse(&self, refusal: Refusal) -> Response {
        match refusal {
            Refusal::Missing => challenge::missing(),
            Refusal::InvalidRequest(description) => challenge::invalid_request(description),
            Refusal::Token(error) => challenge::refused(&error, &self.scopes),
        }
    }
}

/// Why a request is not let through.
enum Refusal {
    /// No bearer credentials.
    Missing,
    /// A malformed `Authorization` header.
    InvalidRequest(&'static str),
    /// A token that was refused, or lacks a scope.
    Token(Error),
}

impl<S, K, R, C> Service<Request> for BearerAuth<S, K, R, C>
where
    S: Service<Request, Response = Response>,
    K: KeyProvider,
    R: Revocation,
    C: Clock,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // Verification does no I/O, so it happens right here, before the inner service is called.
        match self.auth.authenticate(&request) {
            Ok(authenticated) => {
                request.extensions_mut().insert(authenticated);
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(refusal) => ResponseFuture::refused(self.auth.refuse(refusal)),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`BearerAuth`]: the inner service's, or a refusal made on the spot.
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<F> {
        Inner { #[pin] future: F },
        Refused { response: Option<Response> },
    }
}

impl<F> ResponseFuture<F> {
    fn inner(future: F) -> Self {
        ResponseFuture {
            state: State::Inner { future },
        }
    }

    fn refused(response: Response) -> Self {
        ResponseFuture {
            state: State::Refused {
                response: Some(response),
            },
        }
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future.poll(cx),
            StateProj::Refused { response } => {
                // Polled again after completion: an empty 500 rather than a panic.
                Poll::Ready(Ok(response.take().unwrap_or_else(|| {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                })))
            }
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
