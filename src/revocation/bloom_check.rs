//! A service's copy of the issuer's Bloom snapshot, swapped atomically.

use std::fmt;
use std::sync::Arc;

use super::bloom::Probe;
use super::{NoRevocation, Revocation, TokenFacts};
use crate::published::Published;
use crate::{AlgorithmSet, BloomSnapshot, Error, KeyProvider};

/// What a [`BloomCheck`] does when a token's `jti` hits the filter.
#[derive(Debug, Clone)]
pub enum OnHit<E = NoRevocation> {
    /// The token is revoked ([`Error::Revoked`]); a false positive rejects a good token, at about
    /// the snapshot's false-positive rate.
    TreatAsRevoked,
    /// Ask an exact source (a [`Denylist`](crate::Denylist), or a database behind your own
    /// [`Revocation`]) whether the token is really revoked; its answer, including
    /// [`Error::RevocationUnavailable`], is the check's answer. It is asked only on hits.
    Confirm(E),
}

/// Checks tokens against the current [`BloomSnapshot`] of their issuer.
///
/// The snapshot is held behind a lock that is taken for reading only while the `jti`'s bit
/// positions are tested (the hashing happens before), and for writing only to swap in a new
/// snapshot, so checks never wait for long; a swap is atomic: a check sees the old or the new
/// snapshot, never a mix.
///
/// Until a snapshot has been installed every check fails closed with
/// [`Error::RevocationUnavailable`]; so does a check whose snapshot is older than the optional
/// [`with_max_age`](Self::with_max_age). A token without `jti` is rejected with
/// [`Error::MissingClaim`] unless [`allow_missing_jti`](Self::allow_missing_jti) was called.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use tessera::{BloomCheck, BloomSnapshot, Denylist, ErrorKind, NumericDate, Revocation, TokenFacts};
///
/// let now = NumericDate::now();
/// // Hits are confirmed against an exact denylist before a token is rejected.
/// let exact = Arc::new(Denylist::new());
/// let check = BloomCheck::confirming_with(Arc::clone(&exact));
/// assert!(check.install(BloomSnapshot::build(["gone"], 0.001, now)?));
///
/// let token = TokenFacts::new(now).with_jti("gone");
/// assert!(check.check(&TokenFacts::new(now).with_jti("fine")).is_ok()); // a miss
/// assert!(check.check(&token).is_ok()); // a hit the exact source does not confirm
/// exact.revoke("gone", now.add_secs(600));
/// assert_eq!(check.check(&token).unwrap_err().kind(), ErrorKind::Revoked);
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct BloomCheck<E = NoRevocation> {
    /// The snapshot in use, published per thread so that checks share no lock.
    current: Published<Option<Arc<BloomSnapshot>>>,
    on_hit: OnHit<E>,
    require_jti: bool,
    max_age: Option<i64>,
}

impl BloomCheck<NoRevocation> {
    /// A check that treats every hit as revoked, with no snapshot yet.
    pub fn new() -> Self {
        BloomCheck::with_on_hit(OnHit::TreatAsRevoked)
    }
}

impl Default for BloomCheck<NoRevocation> {
    fn default() -> Self {
        BloomCheck::new()
    }
}

impl<E: Revocation> BloomCheck<E> {
    /// A check that confirms every hit with `exact`, with no snapshot yet.
    pub fn confirming_with(exact: E) -> Self {
        BloomCheck::with_on_hit(OnHit::Confirm(exact))
    }

    /// A check with the given on-hit behaviour, with no snapshot yet.
    pub fn with_on_hit(on_hit: OnHit<E>) -> Self {
        BloomCheck {
            current: Published::new(None),
            on_hit,
            require_jti: true,
            max_age: None,
        }
    }

    /// Fails checks closed when the current snapshot was issued more than `secs` seconds before
    /// the verifier's time: an issuer that publishes regularly makes a stuck service visible.
    #[must_use]
    pub fn with_max_age(mut self, secs: i64) -> Self {
        self.max_age = Some(secs.max(0));
        self
    }

    /// Accepts tokens without `jti` instead of rejecting them with [`Error::MissingClaim`].
    ///
    /// # Security
    /// Such tokens cannot be revoked by a snapshot.
    #[must_use]
    pub fn allow_missing_jti(mut self) -> Self {
        self.require_jti = false;
        self
    }

    /// What a hit does.
    pub fn on_hit(&self) -> &OnHit<E> {
        &self.on_hit
    }

    /// Swaps in `snapshot` unless the current one was issued later (so that a replayed old
    /// snapshot cannot bring revoked tokens back); returns whether it was installed.
    pub fn install(&self, snapshot: BloomSnapshot) -> bool {
        self.current.update(|current| {
            let older = current
                .as_ref()
                .is_some_and(|c| c.issued_at() > snapshot.issued_at());
            (!older).then(|| Some(Arc::new(snapshot)))
        })
    }

    /// Verifies a signed snapshot (see [`BloomSnapshot::from_jws`]) and
    /// [installs](Self::install) it; returns whether it was installed.
    ///
    /// # Errors
    /// As [`BloomSnapshot::from_jws`]; the current snapshot is kept.
    pub fn install_jws<K: KeyProvider + ?Sized>(
        &self,
        jws: &str,
        algorithms: AlgorithmSet,
        keys: &K,
    ) -> Result<bool, Error> {
        Ok(self.install(BloomSnapshot::from_jws(jws, algorithms, keys)?))
    }

    /// The snapshot in use, if any.
    pub fn current(&self) -> Option<Arc<BloomSnapshot>> {
        (**self.current.read()).clone()
    }
}

impl<E: Revocation> Revocation for BloomCheck<E> {
    /// Misses pass; hits are revoked or confirmed (see [`OnHit`]).
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        let Some(jti) = token.jti else {
            return if self.require_jti {
                Err(Error::MissingClaim("jti".into()))
            } else {
                Ok(())
            };
        };
        let probe = Probe::new(jti);
        let hit = {
            let current = self.current.read();
            let Some(snapshot) = (**current).as_deref() else {
                return Err(Error::RevocationUnavailable {
                    detail: "no Bloom snapshot loaded yet".into(),
                    source: None,
                });
            };
            if self
                .max_age
                .is_some_and(|max| token.now.secs_since(snapshot.issued_at()) > max)
            {
                return Err(Error::RevocationUnavailable {
                    detail: "the Bloom snapshot is older than allowed".into(),
                    source: None,
                });
            }
            snapshot.contains_probe(probe)
        };
        if !hit {
            return Ok(());
        }
        match &self.on_hit {
            OnHit::TreatAsRevoked => Err(Error::Revoked("jti is in the Bloom snapshot".into())),
            OnHit::Confirm(exact) => exact.check(token),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for BloomCheck<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BloomCheck")
            .field("current", &**self.current.read())
            .field("on_hit", &self.on_hit)
            .field("require_jti", &self.require_jti)
            .field("max_age", &self.max_age)
            .finish()
    }
}
