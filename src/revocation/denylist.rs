//! Revoked token identifiers, each kept until the token it names would have expired anyway.

use std::fmt;
use std::sync::Arc;

use super::shard::ShardedMap;
use super::{Revocation, TokenFacts};
use crate::{Clock, Error, NumericDate, SystemClock};

/// Default leeway added to a revoked token's `exp` before its entry is dropped, in seconds. It
/// matches the verifier's default clock-skew leeway.
pub(crate) const DEFAULT_LEEWAY_SECS: i64 = 30;

/// A denylist of revoked `jti`s.
///
/// Each entry lives until the token it names would be rejected as expired anyway: `exp` plus the
/// leeway (30 s by default, set it to the verifier's leeway). Expired entries are ignored on read,
/// dropped by [`purge_expired`](Self::purge_expired), and dropped opportunistically when a shard
/// would otherwise grow.
///
/// The list is split into 64 independently locked shards picked by a keyed hash of the `jti`, so
/// checks never wait for a writer for longer than one map operation on one shard, and a check
/// allocates nothing. Each entry takes about 85 bytes with 22-character `jti`s (measured with
/// 1 000 000 entries).
///
/// A token without `jti` cannot be found on a denylist, so a verifier that revokes by `jti`
/// rejects it with [`Error::MissingClaim`] unless [`allow_missing_jti`](Self::allow_missing_jti)
/// was called.
///
/// # Examples
/// ```
/// use tessera::{Denylist, ErrorKind, FixedClock, NumericDate, Revocation, TokenFacts};
/// use std::sync::Arc;
///
/// let clock = Arc::new(FixedClock::at(1_000));
/// let denylist = Denylist::new().with_clock(clock.clone());
/// denylist.revoke("token-1", NumericDate::from_secs(1_600)?);
/// assert!(denylist.is_revoked("token-1"));
///
/// let facts = TokenFacts::new(NumericDate::from_secs(1_000)?).with_jti("token-1");
/// assert_eq!(denylist.check(&facts).unwrap_err().kind(), ErrorKind::Revoked);
///
/// clock.set(1_631); // past exp + 30 s leeway: the token is expired, its entry can go
/// assert_eq!(denylist.purge_expired(), 1);
/// assert!(denylist.is_empty());
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct Denylist {
    /// jti → the last second (inclusive) at which the entry still matters.
    entries: ShardedMap<i64>,
    leeway: i64,
    require_jti: bool,
    clock: Arc<dyn Clock>,
}

impl Denylist {
    /// An empty denylist with a 30 s leeway, the system clock, and `jti` required.
    pub fn new() -> Self {
        Denylist {
            entries: ShardedMap::new(),
            leeway: DEFAULT_LEEWAY_SECS,
            require_jti: true,
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the leeway in seconds (negative values count as zero): an entry is kept until
    /// `exp + leeway`. Use the verifier's leeway, so that an entry never goes while the verifier
    /// would still accept its token.
    #[must_use]
    pub fn with_leeway(mut self, secs: i64) -> Self {
        self.leeway = secs.max(0);
        self
    }

    /// Sets the clock used by [`revoke`](Self::revoke), [`is_revoked`](Self::is_revoked) and
    /// [`purge_expired`](Self::purge_expired). [`Revocation::check`] uses the verifier's time
    /// from [`TokenFacts::now`] instead.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Accepts tokens without `jti` instead of rejecting them with [`Error::MissingClaim`].
    ///
    /// # Security
    /// Such tokens cannot be revoked by this list.
    #[must_use]
    pub fn allow_missing_jti(mut self) -> Self {
        self.require_jti = false;
        self
    }

    /// The leeway in seconds.
    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// Revokes the token `jti` that expires at `exp`.
    ///
    /// Revoking a `jti` again keeps the later expiry. A token already past `exp + leeway` is not
    /// stored (no verifier accepts it any more).
    pub fn revoke(&self, jti: &str, exp: NumericDate) {
        let until = exp.as_secs().saturating_add(self.leeway);
        let now = self.clock.now().as_secs();
        if until < now {
            return;
        }
        let mut map = self.entries.write(jti);
        if let Some(existing) = map.get_mut(jti) {
            *existing = (*existing).max(until);
            return;
        }
        if map.len() == map.capacity() {
            // The map would grow: drop what has expired first.
            map.retain(|_, kept_until| *kept_until >= now);
        }
        map.insert(jti.into(), until);
    }

    /// Whether `jti` is revoked now (by this list's clock).
    pub fn is_revoked(&self, jti: &str) -> bool {
        self.is_revoked_at(jti, self.clock.now())
    }

    #[inline]
    fn is_revoked_at(&self, jti: &str, now: NumericDate) -> bool {
        self.entries
            .read(jti)
            .get(jti)
            .is_some_and(|&until| now.as_secs() <= until)
    }

    /// Number of stored entries, including expired ones not purged yet.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry whose token has expired (past `exp + leeway`); returns how many went.
    /// Locks one shard at a time.
    pub fn purge_expired(&self) -> usize {
        let now = self.clock.now().as_secs();
        let mut dropped = 0;
        self.entries.for_each_shard_mut(|map| {
            let before = map.len();
            map.retain(|_, until| *until >= now);
            dropped += before - map.len();
        });
        dropped
    }

    /// The `jti`s revoked now, e.g. to build a [`BloomSnapshot`](crate::BloomSnapshot) from.
    pub fn live_jtis(&self) -> Vec<String> {
        let now = self.clock.now().as_secs();
        let mut out = Vec::new();
        self.entries.for_each_shard(|map| {
            out.extend(
                map.iter()
                    .filter(|&(_, &until)| until >= now)
                    .map(|(jti, _)| String::from(&**jti)),
            );
        });
        out
    }
}

impl Default for Denylist {
    fn default() -> Self {
        Denylist::new()
    }
}

impl fmt::Debug for Denylist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Denylist")
            .field("len", &self.len())
            .field("leeway", &self.leeway)
            .field("require_jti", &self.require_jti)
            .finish_non_exhaustive()
    }
}

impl Revocation for Denylist {
    /// [`Error::Revoked`] if the token's `jti` is on the list (at the verifier's time);
    /// [`Error::MissingClaim`] for a token without `jti` unless that is allowed.
    #[inline]
    fn check(&self, token: &TokenFacts<'_>) -> Result<(), Error> {
        match token.jti {
            Some(jti) if self.is_revoked_at(jti, token.now) => {
                Err(Error::Revoked("jti is on the denylist".into()))
            }
            Some(_) => Ok(()),
            None if self.require_jti => Err(Error::MissingClaim("jti".into())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;

    fn date(secs: i64) -> NumericDate {
        NumericDate::clamped(secs)
    }

    #[test]
    fn growth_drops_expired_entries_first() {
        let clock = Arc::new(FixedClock::at(0));
        let list = Denylist::new().with_leeway(0).with_clock(clock.clone());
        for i in 0..10_000 {
            list.revoke(&format!("old-{i}"), date(10));
        }
        assert_eq!(list.len(), 10_000);
        clock.set(11);
        for i in 0..10_000 {
            list.revoke(&format!("new-{i}"), date(100));
        }
        // Every shard grew at least once while adding the new entries, dropping its old ones.
        assert!(list.len() < 15_000, "{}", list.len());
        assert!(!list.is_revoked("old-1"));
        assert!(list.is_revoked("new-1"));
    }
}
