//! tessera: JSON Web Tokens that are secure by default, fast, and revocable without losing
//! federation.
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
mod base64url;
mod claims;
mod clock;
mod error;
mod issuer;
mod json;
mod keys;
mod policy;
mod provider;
mod revocation;
mod token;
mod verifier;

pub use algorithm::{Algorithm, AlgorithmSet, KeyFamily};
pub use claims::{Audience, NumericDate, RegisteredClaims};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{BoxError, Error, ErrorKind};
pub use issuer::{DEFAULT_LIFETIME, Issuer, Signer, TokenBuilder};
pub use keys::{Jwk, JwkSet, SigningKey, VerifyingKey};
pub use policy::{
    DEFAULT_IP_CLAIM, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, IpBindingMode, IpNetwork, Policy,
};
pub use provider::{KeyHandle, KeyProvider, KeyRequest};
pub use revocation::{NoRevocation, Revocation, TokenFacts};
pub use token::{UntrustedToken, Verified, VerifiedJws};
pub use verifier::{Verifier, VerifyContext};
