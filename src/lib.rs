//! tessera: JSON Web Tokens that are secure by default, fast, and revocable without losing
//! federation.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod algorithm;
mod base64url;
mod claims;
mod clock;
mod error;
mod issuer;
mod keys;
mod provider;
mod revocation;

pub use algorithm::{Algorithm, AlgorithmSet, KeyFamily};
pub use claims::{Audience, NumericDate, RegisteredClaims};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{BoxError, Error, ErrorKind};
pub use issuer::Signer;
pub use keys::{Jwk, JwkSet, SigningKey, VerifyingKey};
pub use provider::{KeyHandle, KeyProvider, KeyRequest};
pub use revocation::{BloomCheck, BloomSnapshot, Denylist, FailOpen, OnHit, SubjectCutoff};
pub use revocation::{NoRevocation, Revocation, TokenFacts};
#[cfg(feature = "redis")]
pub use revocation::{RedisRevocationStore, RedisRevocationSync, RedisSyncBuilder};
