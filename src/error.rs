//! The one error type of the crate and its stable kinds.

use std::borrow::Cow;
use std::fmt;

use crate::Algorithm;

/// A boxed error from code outside the crate (a key source, a revocation store, a signer).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when parsing keys, signing or verifying tokens.
///
/// Each variant carries the context a caller needs (which claim, which limit) but never secret
/// material, and never the reason a signature check failed. Text copied from an untrusted token is
/// shortened and escaped before it is stored here.
///
/// Match on [`Error::kind`] for a stable, machine-readable code; see [`ErrorKind`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token (or a key, JWK or snapshot) is not well formed.
    #[error("malformed token: {0}")]
    Malformed(Cow<'static, str>),
    /// The token is longer than the configured limit; nothing was decoded.
    #[error("token is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The `alg` names no algorithm this crate implements (this includes `none`).
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The algorithm is implemented but not in the verifier's allowlist.
    #[error("algorithm {0} is not allowed")]
    AlgorithmNotAllowed(Algorithm),
    /// The key provider has no key for this token.
    #[error("no key found (kid {kid}, alg {alg})")]
    KeyNotFound {
        /// The token's `kid`, shortened, or `none`.
        kid: String,
        /// The token's algorithm.
        alg: Algorithm,
    },
    /// The key source could not answer (e.g. a remote key set that cannot be fetched).
    #[error("key source unavailable: {0}")]
    KeyUnavailable(#[source] BoxError),
    /// Key material could not be parsed or is inconsistent.
    #[error("invalid key: {0}")]
    InvalidKey(Cow<'static, str>),
    /// The key is too weak for the algorithm (short HMAC secret, small RSA modulus).
    #[error("weak key: {0}")]
    WeakKey(Cow<'static, str>),
    /// The signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// A signer failed to produce a signature.
    #[error("signing failed: {0}")]
    Signing(#[source] BoxError),
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired at {exp}")]
    Expired {
        /// The token's `exp`, in seconds since the epoch.
        exp: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not valid before {nbf}")]
    NotYetValid {
        /// The token's `nbf`, in seconds since the epoch.
        nbf: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future ({iat})")]
    IssuedInFuture {
        /// The token's `iat`, in seconds since the epoch.
        iat: i64,
    },
    /// The token's lifetime (`exp - iat`, or `exp - nbf`) exceeds the policy's maximum.
    #[error("token lifetime {lifetime} s exceeds the maximum of {max} s")]
    LifetimeTooLong {
        /// The token's lifetime in seconds.
        lifetime: i64,
        /// The policy's maximum in seconds.
        max: i64,
    },
    /// The token was issued longer ago than the policy's maximum age.
    #[error("token age {age} s exceeds the maximum of {max} s")]
    TooOld {
        /// Seconds since `iat`.
        age: i64,
        /// The policy's maximum in seconds.
        max: i64,
    },
    /// `iss` is absent or not one of the accepted issuers.
    #[error("invalid issuer")]
    InvalidIssuer,
    /// `aud` is absent, or does not match the accepted audiences.
    #[error("invalid audience")]
    InvalidAudience,
    /// `sub` is absent or not the expected subject.
    #[error("invalid subject")]
    InvalidSubject,
    /// The `typ` header is absent or not the expected type.
    #[error("invalid token type")]
    InvalidType,
    /// A claim the policy needs is absent.
    #[error("missing claim {0}")]
    MissingClaim(Cow<'static, str>),
    /// A claim is present but of the wrong type, out of range, or rejected by a check.
    #[error("invalid claim {claim}: {reason}")]
    InvalidClaim {
        /// The claim's name.
        claim: Cow<'static, str>,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
    /// The `crit` header names an extension this crate does not process, or is malformed.
    #[error("unsupported critical header {0}")]
    UnsupportedCriticalHeader(String),
    /// The token lacks a scope the policy requires (RFC 6750 `insufficient_scope`).
    #[error("insufficient scope: {0} lacks a required scope")]
    InsufficientScope(Cow<'static, str>),
    /// The token is bound to an address that the request's client address does not match.
    #[error("client address does not match the token's binding")]
    IpMismatch,
    /// The token has been revoked.
    #[error("token revoked: {0}")]
    Revoked(Cow<'static, str>),
    /// A revocation source could not answer; the verifier fails closed.
    #[error("revocation status unavailable: {detail}")]
    RevocationUnavailable {
        /// What could not be checked.
        detail: Cow<'static, str>,
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// The stable kind of this error, for logs, metrics and HTTP mapping.
    ///
    /// ```
    /// use tessera::{Error, ErrorKind};
    /// assert_eq!(Error::InvalidSignature.kind(), ErrorKind::InvalidSignature);
    /// assert_eq!(Error::InvalidSignature.kind().as_str(), "invalid_signature");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed(_) => ErrorKind::Malformed,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::UnsupportedAlgorithm(_) => ErrorKind::UnsupportedAlgorithm,
            Error::AlgorithmNotAllowed(_) => ErrorKind::AlgorithmNotAllowed,
            Error::KeyNotFound { .. } => ErrorKind::KeyNotFound,
            Error::KeyUnavailable(_) => ErrorKind::KeyUnavailable,
            Error::InvalidKey(_) => ErrorKind::InvalidKey,
            Error::WeakKey(_) => ErrorKind::WeakKey,
            Error::InvalidSignature => ErrorKind::InvalidSignature,
            Error::Signing(_) => ErrorKind::SigningFailed,
            Error::Expired { .. } => ErrorKind::Expired,
            Error::NotYetValid { .. } => ErrorKind::NotYetValid,
            Error::IssuedInFuture { .. } => ErrorKind::IssuedInFuture,
            Error::LifetimeTooLong { .. } => ErrorKind::LifetimeTooLong,
            Error::TooOld { .. } => ErrorKind::TooOld,
            Error::InvalidIssuer => ErrorKind::InvalidIssuer,
            Error::InvalidAudience => ErrorKind::InvalidAudience,
            Error::InvalidSubject => ErrorKind::InvalidSubject,
            Error::InvalidType => ErrorKind::InvalidType,
            Error::MissingClaim(_) => ErrorKind::MissingClaim,
            Error::InvalidClaim { .. } => ErrorKind::InvalidClaim,
            Error::UnsupportedCriticalHeader(_) => ErrorKind::UnsupportedCriticalHeader,
            Error::InsufficientScope(_) => ErrorKind::InsufficientScope,
            Error::IpMismatch => ErrorKind::IpMismatch,
            Error::Revoked(_) => ErrorKind::Revoked,
            Error::RevocationUnavailable { .. } => ErrorKind::RevocationUnavailable,
        }
    }

    pub(crate) fn malformed(detail: &'static str) -> Self {
        Error::Malformed(Cow::Borrowed(detail))
    }

    pub(crate) fn invalid_claim(claim: impl Into<Cow<'static, str>>, reason: &'static str) -> Self {
        Error::InvalidClaim {
            claim: claim.into(),
            reason: Cow::Borrowed(reason),
        }
    }
}

/// Stable, machine-readable error codes. [`ErrorKind::as_str`] gives the snake_case code; these
/// codes are never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `malformed`
    Malformed,
    /// `too_large`
    TooLarge,
    /// `unsupported_algorithm`
    UnsupportedAlgorithm,
    /// `algorithm_not_allowed`
    AlgorithmNotAllowed,
    /// `key_not_found`
    KeyNotFound,
    /// `key_unavailable`
    KeyUnavailable,
    /// `invalid_key`
    InvalidKey,
    /// `weak_key`
    WeakKey,
    /// `invalid_signature`
    InvalidSignature,
    /// `signing_failed`
    SigningFailed,
    /// `expired`
    Expired,
    /// `not_yet_valid`
    NotYetValid,
    /// `issued_in_future`
    IssuedInFuture,
    /// `lifetime_too_long`
    LifetimeTooLong,
    /// `too_old`
    TooOld,
    /// `invalid_issuer`
    InvalidIssuer,
    /// `invalid_audience`
    InvalidAudience,
    /// `invalid_subject`
    InvalidSubject,
    /// `invalid_type`
    InvalidType,
    /// `missing_claim`
    MissingClaim,
    /// `invalid_claim`
    InvalidClaim,
    /// `unsupported_critical_header`
    UnsupportedCriticalHeader,
    /// `ip_mismatch`
    IpMismatch,
    /// `insufficient_scope`
    InsufficientScope,
    /// `revoked`
    Revoked,
    /// `revocation_unavailable`
    RevocationUnavailable,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 26] = [
        ErrorKind::Malformed,
        ErrorKind::TooLarge,
        ErrorKind::UnsupportedAlgorithm,
        ErrorKind::AlgorithmNotAllowed,
        ErrorKind::KeyNotFound,
        ErrorKind::KeyUnavailable,
        ErrorKind::InvalidKey,
        ErrorKind::WeakKey,
        ErrorKind::InvalidSignature,
        ErrorKind::SigningFailed,
        ErrorKind::Expired,
        ErrorKind::NotYetValid,
        ErrorKind::IssuedInFuture,
        ErrorKind::LifetimeTooLong,
        ErrorKind::TooOld,
        ErrorKind::InvalidIssuer,
        ErrorKind::InvalidAudience,
        ErrorKind::InvalidSubject,
        ErrorKind::InvalidType,
        ErrorKind::MissingClaim,
        ErrorKind::InvalidClaim,
        ErrorKind::UnsupportedCriticalHeader,
        ErrorKind::IpMismatch,
        ErrorKind::InsufficientScope,
        ErrorKind::Revoked,
        ErrorKind::RevocationUnavailable,
    ];

    /// The stable snake_case code of this kind.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::UnsupportedAlgorithm => "unsupported_algorithm",
            ErrorKind::AlgorithmNotAllowed => "algorithm_not_allowed",
            ErrorKind::KeyNotFound => "key_not_found",
            ErrorKind::KeyUnavailable => "key_unavailable",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::WeakKey => "weak_key",
            ErrorKind::InvalidSignature => "invalid_signature",
            ErrorKind::SigningFailed => "signing_failed",
            ErrorKind::Expired => "expired",
            ErrorKind::NotYetValid => "not_yet_valid",
            ErrorKind::IssuedInFuture => "issued_in_future",
            ErrorKind::LifetimeTooLong => "lifetime_too_long",
            ErrorKind::TooOld => "too_old",
            ErrorKind::InvalidIssuer => "invalid_issuer",
            ErrorKind::InvalidAudience => "invalid_audience",
            ErrorKind::InvalidSubject => "invalid_subject",
            ErrorKind::InvalidType => "invalid_type",
            ErrorKind::MissingClaim => "missing_claim",
            ErrorKind::InvalidClaim => "invalid_claim",
            ErrorKind::UnsupportedCriticalHeader => "unsupported_critical_header",
            ErrorKind::IpMismatch => "ip_mismatch",
            ErrorKind::InsufficientScope => "insufficient_scope",
            ErrorKind::Revoked => "revoked",
            ErrorKind::RevocationUnavailable => "revocation_unavailable",
        }
    }
}

impl ErrorKind {
    /// The HTTP status a resource server should answer with (RFC 6750 §3.1): 401 for a token
    /// that is not acceptable, 403 for missing scope, 503 when a key or revocation source cannot
    /// answer, 500 for the server's own key or signing problems.
    ///
    /// ```
    /// use tessera::ErrorKind;
    /// assert_eq!(ErrorKind::Expired.http_status(), 401);
    /// assert_eq!(ErrorKind::InsufficientScope.http_status(), 403);
    /// assert_eq!(ErrorKind::RevocationUnavailable.http_status(), 503);
    /// ```
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorKind::InsufficientScope => 403,
            ErrorKind::KeyUnavailable | ErrorKind::RevocationUnavailable => 503,
            ErrorKind::InvalidKey | ErrorKind::SigningFailed => 500,
            _ => 401,
        }
    }

    /// The RFC 6750 §3.1 `error` code for a `WWW-Authenticate: Bearer` challenge:
    /// `invalid_token` or `insufficient_scope`; `None` for server-side failures (5xx), which
    /// carry no bearer error. (`invalid_request` concerns the HTTP request, such as a malformed
    /// `Authorization` header, which middleware detects before a token exists.)
    pub const fn bearer_error(self) -> Option<&'static str> {
        match self.http_status() {
            401 => Some("invalid_token"),
            403 => Some("insufficient_scope"),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Shortens and escapes text taken from an untrusted token before it goes into an error.
pub(crate) fn excerpt(untrusted: &str) -> String {
    const MAX_CHARS: usize = 48;
    let mut out = String::new();
    for (i, c) in untrusted.chars().enumerate() {
        if i == MAX_CHARS {
            out.push('…');
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            let code = kind.as_str();
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
            assert!(seen.insert(code), "duplicate code {code}");
        }
    }

    #[test]
    fn http_mapping_covers_every_kind() {
        for kind in ErrorKind::ALL {
            let status = kind.http_status();
            assert!([401, 403, 500, 503].contains(&status), "{kind}");
            assert_eq!(kind.bearer_error().is_some(), status < 500, "{kind}");
        }
        assert_eq!(ErrorKind::Revoked.bearer_error(), Some("invalid_token"));
        assert_eq!(ErrorKind::KeyUnavailable.http_status(), 503);
    }

    #[test]
    fn excerpt_shortens_and_escapes() {
        let long = "a".repeat(1000);
        assert_eq!(excerpt(&long).chars().count(), 49);
        assert_eq!(excerpt("../\n\"x"), "../\\n\\\"x");
    }
}
