//! Revocation: optional, checked in memory after the signature and the policy passed.

use std::sync::Arc;

use crate::{Error, NumericDate};

/// The facts of a verified token that revocation decisions are made on.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct TokenFacts<'a> {
    /// `jti`, if present.
    pub jti: Option<&'a str>,
    /// `sub`, if present.
    pub sub: Option<&'a str>,
    /// `iss`, if present.
    pub iss: Option<&'a str>,
    /// `iat`, if present.
    pub iat: Option<NumericDate>,
    /// `exp`, if present.
    pub exp: Option<NumericDate>,
    /// The verifier's current time.
    pub now: NumericDate,
}

impl<'a> TokenFacts<'a> {
    /// Facts with only the current time set; fill the rest with the `with_*` methods.
    pub fn new(now: NumericDate) -> Self {
        TokenFacts {
            jti: None,
            sub: None,
            iss: None,
            iat: None,
            exp: None,
            now,
        }
    }

    /// Sets `jti`.
    #[must_use]
    pub fn with_jti(mut self, jti: &'a str) -> Self {
        self.jti = Some(jti);
        self
    }

    /// Sets `sub`.
    #[must_use]
    pub fn with_sub(mut self, sub: &'a str) -> Self {
        self.sub = Some(sub);
        self
    }

    /// Sets `iss`.
    #[must_use]
    pub fn with_iss(mut self, iss: &'a str) -> Self {
        self.iss = Some(iss);
        self
    }

    /// Sets `iat`.
    #[must_use]
    pub fn with_iat(mut self, iat: NumericDate) -> Self {
        self.iat = Some(iat);
        self
    }

    /// Sets `exp`.
    #[must_use]
    pub fn with_exp(mut self, exp: NumericDate) -> Self {
        self.exp = Some(exp);
        self
    }
}

/// A revocation source, asked after a token's signature and policy checks passed.
///
/// Implementations answer from memory: [`Error::Revoked`] for a revoked token and
/// [`Error::RevocationUnavailable`] when they cannot tell (the verifier then fails closed).
pub trait Revocation: Send + Sync {
    /// Checks one token.
    ///
    /// # Errors
    /// [`Error::Revoked`] or [`Error::RevocationUnavailable`].
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error>;
}

/// No revocation: the default of a verifier. The check compiles away.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocation;

impl Revocation for NoRevocation {
    #[inline(always)]
    fn check(&self, _: &TokenFacts<'_>) -> Result<(), Error> {
        Ok(())
    }
}

impl<R: Revocation + ?Sized> Revocation for &R {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        (**self).check(token)
    }
}

impl<R: Revocation + ?Sized> Revocation for Arc<R> {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        (**self).check(token)
    }
}

impl<R: Revocation + ?Sized> Revocation for Box<R> {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        (**self).check(token)
    }
}

/// Several sources checked together, in order; the first error wins.
impl<A: Revocation, B: Revocation> Revocation for (A, B) {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.0.check(token)?;
        self.1.check(token)
    }
}

/// Several sources checked together, in order; the first error wins.
impl<A: Revocation, B: Revocation, C: Revocation> Revocation for (A, B, C) {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.0.check(token)?;
        self.1.check(token)?;
        self.2.check(token)
    }
}

mod bloom;
mod bloom_check;
mod compose;
mod denylist;
#[cfg(feature = "redis")]
mod redis;
mod shard;
mod subject;

pub use bloom::BloomSnapshot;
pub use bloom_check::{BloomCheck, OnHit};
pub use compose::FailOpen;
pub use denylist::Denylist;
#[cfg(feature = "redis")]
pub use redis::{RedisRevocationStore, RedisRevocationSync, RedisSyncBuilder};
pub use subject::SubjectCutoff;
