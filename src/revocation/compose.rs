//! More ways to combine revocation sources (pairs and triples are in the parent module).

use super::{Revocation, TokenFacts};
use crate::{Error, ErrorKind};

/// Several sources checked together, in order; the first error wins.
impl<A: Revocation, B: Revocation, C: Revocation, D: Revocation> Revocation for (A, B, C, D) {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.0.check(token)?;
        self.1.check(token)?;
        self.2.check(token)?;
        self.3.check(token)
    }
}

/// A source chosen at run time: `None` checks nothing.
impl<R: Revocation> Revocation for Option<R> {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        match self {
            Some(inner) => inner.check(token),
            None => Ok(()),
        }
    }
}

/// Any number of sources (for example `Box<dyn Revocation>`s), checked in order; the first error
/// wins.
impl<R: Revocation> Revocation for [R] {
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.iter().try_for_each(|source| source.check(token))
    }
}

/// Sources checked in order; the first error wins.
impl<R: Revocation, const N: usize> Revocation for [R; N] {
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.as_slice().check(token)
    }
}

/// Sources checked in order; the first error wins.
impl<R: Revocation> Revocation for Vec<R> {
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        self.as_slice().check(token)
    }
}

/// A source that fails open: [`Error::RevocationUnavailable`] from the inner source is turned into
/// acceptance. Every other answer, [`Error::Revoked`] included, passes through.
///
/// # Security
/// While the inner source cannot answer, revoked tokens are accepted. Revocation sources fail
/// closed by default; wrap one in this only where availability matters more than revocation.
///
/// ```
/// use tessera::{BloomCheck, FailOpen, NumericDate, Revocation, TokenFacts};
///
/// let now = NumericDate::from_secs(1_700_000_000)?;
/// let facts = TokenFacts::new(now).with_jti("j");
/// let no_snapshot_yet = BloomCheck::new();
/// assert!(no_snapshot_yet.check(&facts).is_err());
/// assert!(FailOpen::new(no_snapshot_yet).check(&facts).is_ok());
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct FailOpen<R>(R);

impl<R: Revocation> FailOpen<R> {
    /// Wraps `inner` so that it fails open (see the type's `# Security` section).
    pub fn new(inner: R) -> Self {
        FailOpen(inner)
    }

    /// The wrapped source.
    pub fn inner(&self) -> &R {
        &self.0
    }
}

impl<R: Revocation> Revocation for FailOpen<R> {
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        match self.0.check(token) {
            Err(e) if e.kind() == ErrorKind::RevocationUnavailable => Ok(()),
            other => other,
        }
    }
}
