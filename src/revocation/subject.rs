//! Subject cutoffs: "revoke the client, not the token".

use std::fmt;
use std::sync::Arc;

use super::denylist::DEFAULT_LEEWAY_SECS;
use super::shard::ShardedMap;
use super::{Revocation, TokenFacts};
use crate::{Clock, Error, NumericDate, SystemClock};

/// One cutoff of a subject: for every issuer (`iss` is `None`) or for one.
struct Cutoff {
    iss: Option<Box<str>>,
    at: NumericDate,
    /// Last second (inclusive) at which the entry still matters; `None`: kept for ever.
    until: Option<i64>,
}

/// Subject cutoffs: every token of a subject issued before an instant is revoked.
///
/// This is the revocation for "log out everywhere", a kicked user, or a compromised client: one
/// entry per subject (optionally per issuer) instead of one per token. A cutoff made with
/// [`revoke_subject`](Self::revoke_subject) applies whatever the token's issuer;
/// [`revoke_subject_for_issuer`](Self::revoke_subject_for_issuer) only to tokens whose `iss`
/// is that issuer.
///
/// # The boundary
/// A token whose `iat` is **before** the cutoff is revoked; a token with `iat` **equal to or
/// after** the cutoff passes, so a user who logs out at `T` (cutoff `T`) and logs in again gets
/// working tokens issued at `T` or later. `iat` is compared with its fraction of a second, if any;
/// since `iat` usually has whole seconds, a token issued in the same second as the cutoff passes:
/// to revoke those too, cut off at `T + 1`. A token without `iat` of a subject that has a cutoff
/// is revoked (fail closed); a token without `sub` is not affected.
///
/// # Expiry of entries
/// By default an entry is kept for ever. With
/// [`with_max_token_lifetime`](Self::with_max_token_lifetime), an entry is dropped once every
/// token it can revoke has expired: at `cutoff + max lifetime + leeway`. This is only sound if
/// every accepted token has `exp - iat` at most that lifetime (the issuer's lifetime, enforced by
/// the verifier's maximum-lifetime policy).
///
/// Setting a cutoff again keeps the later one. Readers are sharded like [`Denylist`]'s.
///
/// # Examples
/// ```
/// use tessera::{ErrorKind, NumericDate, Revocation, SubjectCutoff, TokenFacts};
///
/// let cutoffs = SubjectCutoff::new();
/// cutoffs.revoke_subject("alice", NumericDate::from_secs(1_000)?);
///
/// let now = NumericDate::from_secs(1_100)?;
/// let old = TokenFacts::new(now).with_sub("alice").with_iat(NumericDate::from_secs(999)?);
/// let new = TokenFacts::new(now).with_sub("alice").with_iat(NumericDate::from_secs(1_000)?);
/// assert_eq!(cutoffs.check(&old).unwrap_err().kind(), ErrorKind::Revoked);
/// assert!(cutoffs.check(&new).is_ok());
/// # Ok::<(), tessera::Error>(())
/// ```
///
/// [`Denylist`]: crate::Denylist
pub struct SubjectCutoff {
    /// sub → its cutoffs (usually one).
    entries: ShardedMap<Vec<Cutoff>>,
    leeway: i64,
    max_lifetime: Option<i64>,
    clock: Arc<dyn Clock>,
}

impl SubjectCutoff {
    /// No cutoffs; entries kept for ever; 30 s leeway; the system clock.
    pub fn new() -> Self {
        SubjectCutoff {
            entries: ShardedMap::new(),
            leeway: DEFAULT_LEEWAY_SECS,
            max_lifetime: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Drops each entry `secs` (plus the leeway) after its cutoff; see the type's documentation
    /// for when this is sound. Applies to entries added afterwards.
    #[must_use]
    pub fn with_max_token_lifetime(mut self, secs: i64) -> Self {
        self.max_lifetime = Some(secs.max(0));
        self
    }

    /// Sets the leeway in seconds added to the maximum token lifetime (negative values count as
    /// zero). Use the verifier's leeway.
    #[must_use]
    pub fn with_leeway(mut self, secs: i64) -> Self {
        self.leeway = secs.max(0);
        self
    }

    /// Sets the clock used to skip and purge expired entries. [`Revocation::check`] uses the
    /// verifier's time from [`TokenFacts::now`] instead.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Revokes every token of `sub`, from any issuer, issued before `at`.
    pub fn revoke_subject(&self, sub: &str, at: NumericDate) {
        self.insert(None, sub, at);
    }

    /// Revokes every token of `sub` issued by `iss` before `at`.
    pub fn revoke_subject_for_issuer(&self, iss: &str, sub: &str, at: NumericDate) {
        self.insert(Some(iss), sub, at);
    }

    fn insert(&self, iss: Option<&str>, sub: &str, at: NumericDate) {
        let until = self.max_lifetime.map(|life| {
            at.as_secs()
                .saturating_add(life)
                .saturating_add(self.leeway)
                // A fractional cutoff reaches into the next second.
                .saturating_add(i64::from(at.subsec_nanos() > 0))
        });
        let now = self.clock.now().as_secs();
        if until.is_some_and(|until| until < now) {
            return;
        }
        let mut map = self.entries.write(sub);
        if let Some(cutoffs) = map.get_mut(sub) {
            cutoffs.retain(|c| c.until.is_none_or(|until| until >= now));
            if let Some(existing) = cutoffs.iter_mut().find(|c| c.iss.as_deref() == iss) {
                if at > existing.at {
                    existing.at = at;
                    existing.until = until;
                }
            } else {
                cutoffs.push(Cutoff {
                    iss: iss.map(Box::from),
                    at,
                    until,
                });
            }
            return;
        }
        if map.len() == map.capacity() {
            map.retain(|_, cutoffs| {
                cutoffs.retain(|c| c.until.is_none_or(|until| until >= now));
                !cutoffs.is_empty()
            });
        }
        map.insert(
            sub.into(),
            vec![Cutoff {
                iss: iss.map(Box::from),
                at,
                until,
            }],
        );
    }

    /// The cutoff stored for `sub` and exactly this issuer scope (`None`: the one for every
    /// issuer), if it has not expired.
    pub fn cutoff(&self, iss: Option<&str>, sub: &str) -> Option<NumericDate> {
        let now = self.clock.now().as_secs();
        self.entries.read(sub).get(sub).and_then(|cutoffs| {
            cutoffs
                .iter()
                .find(|c| c.iss.as_deref() == iss && c.until.is_none_or(|until| until >= now))
                .map(|c| c.at)
        })
    }

    /// Number of stored (issuer scope, subject) entries, including expired ones not purged yet.
    pub fn len(&self) -> usize {
        let mut total = 0;
        self.entries
            .for_each_shard(|map| total += map.values().map(Vec::len).sum::<usize>());
        total
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry; returns how many went. Locks one shard at a time.
    pub fn purge_expired(&self) -> usize {
        let now = self.clock.now().as_secs();
        let mut dropped = 0;
        self.entries.for_each_shard_mut(|map| {
            map.retain(|_, cutoffs| {
                let before = cutoffs.len();
                cutoffs.retain(|c| c.until.is_none_or(|until| until >= now));
                dropped += before - cutoffs.len();
                !cutoffs.is_empty()
            });
        });
        dropped
    }
}

impl Default for SubjectCutoff {
    fn default() -> Self {
        SubjectCutoff::new()
    }
}

impl fmt::Debug for SubjectCutoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectCutoff")
            .field("len", &self.len())
            .field("leeway", &self.leeway)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl Revocation for SubjectCutoff {
    /// [`Error::Revoked`] if a cutoff of the token's subject (for every issuer, or for the token's
    /// `iss`) is later than the token's `iat`, or the token has no `iat`.
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        let Some(sub) = token.sub else {
            return Ok(());
        };
        let now = token.now.as_secs();
        let map = self.entries.read(sub);
        let Some(cutoffs) = map.get(sub) else {
            return Ok(());
        };
        for cutoff in cutoffs {
            let applies = cutoff.until.is_none_or(|until| until >= now)
                && cutoff
                    .iss
                    .as_deref()
                    .is_none_or(|iss| token.iss == Some(iss));
            if !applies {
                continue;
            }
            match token.iat {
                None => {
                    return Err(Error::Revoked(
                        "subject has a cutoff and the token has no iat".into(),
                    ));
                }
                Some(iat) if iat < cutoff.at => {
                    return Err(Error::Revoked(
                        "token issued before its subject's cutoff".into(),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}
