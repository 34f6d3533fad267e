//! JSON Web Tokens that are secure by default, fast, and revocable without losing federation.
//!
//! ```
//! use std::time::Duration;
//! use tessera::{Algorithm, Issuer, Policy, SigningKey, Verified, Verifier};
//!
//! // The issuing side signs short-lived tokens.
//! let key = SigningKey::generate(Algorithm::EdDSA)?;
//! let issuer = Issuer::new(&key).issuer("https://auth.example").audience("api");
//! let token = issuer.issue("alice", &serde_json::json!({ "scope": "read write" }))?;
//!
//! // A service holding only the public key verifies them on its own.
//! let verifier = Verifier::new(
//!     key.verifying_key(),
//!     Policy::new([Algorithm::EdDSA])
//!         .issuer("https://auth.example")
//!         .audience("api")
//!         .max_lifetime(Duration::from_secs(3600))
//!         .require_scopes(["read"]),
//! );
//! let verified: Verified<serde_json::Value> = verifier.verify(&token)?;
//! assert_eq!(verified.subject(), Some("alice"));
//! # Ok::<(), tessera::Error>(())
//! ```
//!
//! # The verify path
//!
//! `token text → parts (size limit, strict base64url) → header (exact alg, crit, duplicates) →
//! allowlist → key from the KeyProvider (bound to its family) → signature over the bytes as sent →
//! claims decoded once into T → policy → revocation → Verified<T>`. No step does I/O.
//!
//! # Design choices
//!
//! What tessera refuses, and why:
//! - **`none` and header-chosen algorithms.** A [`Policy`] cannot be built without an allowlist,
//!   `none` is not an [`Algorithm`], and a key verifies only its own family, so a token cannot
//!   talk the verifier into HMAC-with-a-public-key or into no signature at all.
//! - **Embedded keys.** `jwk`, `jku`, `x5u` and `x5c` headers are never used to find or fetch a
//!   key; keys come only from the [`KeyProvider`] you configure.
//! - **Non-expiring tokens.** `exp` is required unless [`Policy::allow_missing_exp`] says
//!   otherwise, and issuers default to 15-minute lifetimes.
//! - **Lenient parsing.** Duplicate JSON members, non-canonical base64url, unknown `crit`
//!   extensions and registered claims of the wrong type are errors, because two parsers that
//!   disagree about a token are an attack surface.
//! - **Remote calls on the verify path.** Remote key sets and shared revocation state are synced
//!   into memory in the background; verification never waits on the network.
//!
//! # Errors
//!
//! Every failure is an [`Error`] whose [`Error::kind`] is a stable code such as `expired` or
//! `invalid_signature`; [`ErrorKind::http_status`] maps it to an HTTP status.
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

mod algorithm;
#[cfg(feature = "arbitrary")]
mod arbitrary;
mod base64url;
mod claims;
mod clock;
mod error;
mod header_memo;
mod issuer;
mod json;
mod keys;
mod keyset;
mod policy;
mod provider;
mod published;
mod recycle;
mod remote;
mod revocation;
mod token;
mod verifier;

#[cfg(feature = "arbitrary")]
pub use crate::arbitrary::{FuzzHeader, FuzzToken, FuzzValue, fuzzing_key, sign_for_fuzzing};
pub use algorithm::{Algorithm, AlgorithmSet, KeyFamily};
pub use claims::{Audience, NumericDate, RegisteredClaims};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{BoxError, Error, ErrorKind};
pub use issuer::{DEFAULT_LIFETIME, Issuer, Signer, TokenBuilder};
pub use keys::{Jwk, JwkSet, SigningKey, VerifyingKey};
pub use keyset::KeySet;
pub use policy::{
    DEFAULT_IP_CLAIM, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, IpBindingMode, IpNetwork, Policy,
};
pub use provider::{FnProvider, KeyHandle, KeyProvider, KeyRequest};
pub use remote::{Fetched, JwksFetcher, Refresher, RemoteJwkSet};
pub use revocation::{
    BloomCheck, BloomSnapshot, Denylist, FailOpen, NoRevocation, OnHit, Revocation, SubjectCutoff,
    TokenFacts,
};
#[cfg(feature = "redis")]
pub use revocation::{RedisRevocationStore, RedisRevocationSync, RedisSyncBuilder};
pub use token::{UntrustedToken, Verified, VerifiedJws};
pub use verifier::{Verifier, VerifyContext};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
