//! An in-memory set of verifying keys that can be rotated while verifiers run.

use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, RwLockReadGuard};

use crate::provider::{KeyHandle, KeyProvider, KeyRequest};
use crate::published::Published;
use crate::{Algorithm, Error, Jwk, JwkSet, KeyFamily, VerifyingKey};

/// A set of [`VerifyingKey`]s that selects the key for a token by `kid` and algorithm, and can be
/// changed from any thread while other threads verify.
///
/// # Selection rules
///
/// The *candidates* for a [`KeyRequest`] are the keys whose [`VerifyingKey::supports`] is true for
/// the token's algorithm: same key family, the key's bound algorithm (a JWK's `alg`) if it has one,
/// and not restricted to encryption by `use` or `key_ops`. Then:
///
/// - **Token with a `kid`**: only candidates with exactly that `kid` are considered (a key without
///   a `kid` never matches a token that names one, unless [thumbprint kids](Self::with_thumbprint_kids)
///   are on and the `kid` is the key's RFC 7638 thumbprint). If one such key is bound to the token's
///   algorithm, it is chosen; otherwise, if exactly one such key remains, it is chosen.
/// - **Token without a `kid`**: the key is chosen only if it is the one candidate in the set.
/// - Anything else (no candidate, or several equally good ones) is [`Error::KeyNotFound`]. The set
///   never returns several keys to "try them all": one token, at most one signature check.
///
/// # Rotation
///
/// [`insert`](Self::insert), [`retire`](Self::retire) and [`replace_all`](Self::replace_all) may be
/// called from any thread while others verify. Each builds a new immutable snapshot of the set and
/// installs it; when the call returns, every later lookup sees the change. Readers are spread over
/// 16 independently locked copies of the snapshot (one per thread, assigned round-robin), so
/// verifying threads do not contend on one lock or one reference count, and a writer holds each
/// copy's lock only for the time it takes to swap a pointer.
///
/// A [`KeyHandle`] returned by the set holds a read lock on its thread's copy until it is dropped:
/// drop it before changing the same set from the same thread, and do not hold two handles from
/// one set at once on one thread.
///
/// ```
/// use tessera::{Algorithm, KeyProvider, KeyRequest, KeySet, VerifyingKey};
///
/// let keys = KeySet::from_keys([
///     VerifyingKey::hmac(&[1; 32])?.with_key_id("old"),
///     VerifyingKey::hmac(&[2; 32])?.with_key_id("new"),
/// ]);
/// let request = KeyRequest::new(Algorithm::HS256, Some("new"));
/// assert_eq!(keys.key(&request)?.key_id(), Some("new"));
///
/// // Without a kid the choice would be ambiguous, so no key is chosen.
/// assert!(keys.key(&KeyRequest::new(Algorithm::HS256, None)).is_err());
///
/// assert!(keys.retire("old"));
/// assert!(keys.key(&KeyRequest::new(Algorithm::HS256, Some("old"))).is_err());
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct KeySet {
    snapshot: Published<Snapshot>,
    thumbprint_kids: bool,
}

struct Entry {
    key: Arc<VerifyingKey>,
    /// The `kid` the key is indexed under: its own, or its thumbprint when enabled.
    kid: Option<Box<str>>,
}

/// An immutable, indexed list of keys.
#[derive(Default)]
struct Snapshot {
    entries: Vec<Entry>,
    by_kid: HashMap<Box<str>, Vec<usize>>,
    /// For each algorithm (by declaration order), the one candidate for a token without a `kid`,
    /// or `None` when there are none or several.
    sole_candidate: [Option<usize>; Algorithm::ALL.len()],
    /// JWK Set members skipped by the load that produced this snapshot's keys.
    skipped: usize,
}

impl Snapshot {
    fn new(entries: Vec<Entry>, skipped: usize) -> Self {
        let mut by_kid: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(kid) = &entry.kid {
                by_kid.entry(kid.clone()).or_default().push(i);
            }
        }
        let mut sole_candidate = [None; Algorithm::ALL.len()];
        for (slot, alg) in sole_candidate.iter_mut().zip(Algorithm::ALL) {
            let mut candidates = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.key.supports(alg))
                .map(|(i, _)| i);
            *slot = match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            };
        }
        Snapshot {
            entries,
            by_kid,
            sole_candidate,
            skipped,
        }
    }

    fn select(&self, request: &KeyRequest<'_>) -> Option<usize> {
        let alg = request.alg;
        let Some(kid) = request.kid else {
            return Algorithm::ALL
                .iter()
                .position(|a| *a == alg)
                .and_then(|i| self.sole_candidate.get(i).copied().flatten());
        };
        let mut bound = None;
        let mut bound_count = 0_usize;
        let mut any = None;
        let mut any_count = 0_usize;
        for &i in self.by_kid.get(kid)? {
            let Some(entry) = self.entries.get(i) else {
                continue;
            };
            if entry.key.supports(alg) {
                any = Some(i);
                any_count += 1;
                if entry.key.algorithm() == Some(alg) {
                    bound = Some(i);
                    bound_count += 1;
                }
            }
        }
        match (bound_count, any_count) {
            (1, _) => bound,
            (0, 1) => any,
            _ => None,
        }
    }

    /// The key at `index`, which [`Snapshot::select`] returned for this same snapshot.
    #[allow(clippy::indexing_slicing)] // in bounds: the snapshot is immutable and `select` checked it
    fn key_at(&self, index: usize) -> &VerifyingKey {
        &self.entries[index].key
    }

    fn keys(&self) -> impl Iterator<Item = &Arc<VerifyingKey>> {
        self.entries.iter().map(|e| &e.key)
    }
}

/// A key lent by a [`KeySet`]: a read guard on one shard's snapshot and the key's position in it.
pub(crate) struct KeyGuard<'a> {
    snapshot: RwLockReadGuard<'a, Arc<Snapshot>>,
    index: usize,
}

impl Deref for KeyGuard<'_> {
    type Target = VerifyingKey;
    #[inline]
    fn deref(&self) -> &VerifyingKey {
        self.snapshot.key_at(self.index)
    }
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::from_snapshot(Snapshot::default(), false)
    }

    /// A set holding `keys`. Keys may share a `kid` (for instance one key bound to `RS256` and the
    /// same modulus bound to `PS256`); see the selection rules on [`KeySet`].
    pub fn from_keys<I>(keys: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Arc<VerifyingKey>>,
    {
        let entries = keys.into_iter().map(|k| entry(k.into(), false)).collect();
        Self::from_snapshot(Snapshot::new(entries, 0), false)
    }

    /// A set of the public keys of a JWK Set, such as an issuer's `jwks_uri` document.
    ///
    /// Members with `kty` `oct` (shared secrets) are skipped: a secret published next to public keys
    /// must never let anyone who read the set forge tokens. Members this crate cannot use (an
    /// unknown `kty`, `crv` or `alg`, invalid or weak key material) are skipped too, as RFC 7517 §5
    /// asks; [`skipped`](Self::skipped) counts them. Members marked `use: enc` (or whose `key_ops`
    /// lack `verify`) are kept but never chosen for a signature.
    pub fn from_jwks(set: &JwkSet) -> Self {
        let (entries, skipped) = load_jwks(set, false, false);
        Self::from_snapshot(Snapshot::new(entries, skipped), false)
    }

    /// A set of the keys of a JWK Set that may hold HMAC secrets (`kty` `oct`), such as a
    /// service's own configuration. Otherwise as [`from_jwks`](Self::from_jwks).
    ///
    /// # Security
    /// Only for sets that are themselves secret: never for a set fetched from or published to
    /// anyone else.
    pub fn from_secret_jwks(set: &JwkSet) -> Self {
        let (entries, skipped) = load_jwks(set, true, false);
        Self::from_snapshot(Snapshot::new(entries, skipped), false)
    }

    /// Also indexes each key that has no `kid` under its RFC 7638 thumbprint (SHA-256, base64url),
    /// so that tokens whose `kid` is that thumbprint find it. Applies to the keys already in the set
    /// and to every key added later. Keys with a `kid` are indexed under it alone.
    #[must_use]
    pub fn with_thumbprint_kids(self) -> Self {
        let snapshot = {
            let current = self.snapshot.current();
            let entries = current.keys().map(|k| entry(Arc::clone(k), true)).collect();
            Snapshot::new(entries, current.skipped)
        };
        Self::from_snapshot(snapshot, true)
    }

    fn from_snapshot(snapshot: Snapshot, thumbprint_kids: bool) -> Self {
        KeySet {
            snapshot: Published::new(snapshot),
            thumbprint_kids,
        }
    }

    /// Adds a key. Every key already in the set under the same `kid` is removed, so inserting a
    /// key whose `kid` is in use replaces it. Returns whether a key was replaced.
    ///
    /// The change is visible to every verifying thread when this returns.
    pub fn insert(&self, key: impl Into<Arc<VerifyingKey>>) -> bool {
        let new = entry(key.into(), self.thumbprint_kids);
        let mut replaced = false;
        self.update(|current| {
            let mut entries: Vec<Entry> = current
                .entries
                .iter()
                .filter(|e| {
                    let same = new.kid.is_some() && e.kid == new.kid;
                    replaced |= same;
                    !same
                })
                .map(Entry::clone)
                .collect();
            entries.push(new);
            Snapshot::new(entries, current.skipped)
        });
        replaced
    }

    /// Removes every key indexed under `kid`. Returns whether a key was removed.
    ///
    /// When this returns, no verifying thread can obtain the removed keys any more (a thread that
    /// obtained one before may still be finishing its signature check).
    pub fn retire(&self, kid: &str) -> bool {
        let mut removed = false;
        self.update(|current| {
            let entries: Vec<Entry> = current
                .entries
                .iter()
                .filter(|e| {
                    let same = e.kid.as_deref() == Some(kid);
                    removed |= same;
                    !same
                })
                .map(Entry::clone)
                .collect();
            Snapshot::new(entries, current.skipped)
        });
        removed
    }

    /// Replaces the whole set with `keys`, atomically for each verifying thread.
    pub fn replace_all<I>(&self, keys: I)
    where
        I: IntoIterator,
        I::Item: Into<Arc<VerifyingKey>>,
    {
        let entries: Vec<Entry> = keys
            .into_iter()
            .map(|k| entry(k.into(), self.thumbprint_kids))
            .collect();
        self.update(|_| Snapshot::new(entries, 0));
    }

    /// Replaces the whole set with the public keys of `set`, with the rules of
    /// [`from_jwks`](Self::from_jwks). Returns the number of members skipped.
    pub fn replace_from_jwks(&self, set: &JwkSet) -> usize {
        let (entries, skipped) = load_jwks(set, false, self.thumbprint_kids);
        self.update(|_| Snapshot::new(entries, skipped));
        skipped
    }

    /// Replaces the whole set with the keys of `set`, secrets included, with the rules of
    /// [`from_secret_jwks`](Self::from_secret_jwks). Returns the number of members skipped.
    pub fn replace_from_secret_jwks(&self, set: &JwkSet) -> usize {
        let (entries, skipped) = load_jwks(set, true, self.thumbprint_kids);
        self.update(|_| Snapshot::new(entries, skipped));
        skipped
    }

    /// The keys of `set`, indexed as this set would, ready to [`install`](Self::install).
    pub(crate) fn prepare_jwks(&self, set: &JwkSet, allow_secrets: bool) -> PreparedKeys {
        let (entries, skipped) = load_jwks(set, allow_secrets, self.thumbprint_kids);
        PreparedKeys { entries, skipped }
    }

    /// Replaces the whole set with prepared keys.
    pub(crate) fn install(&self, keys: PreparedKeys) {
        self.update(|_| Snapshot::new(keys.entries, keys.skipped));
    }

    /// Builds the next snapshot from the current one and publishes it to every reader.
    fn update(&self, next: impl FnOnce(&Snapshot) -> Snapshot) {
        self.snapshot.update(|current| Some(next(current)));
    }

    /// The number of keys in the set.
    pub fn len(&self) -> usize {
        self.snapshot.current().entries.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of JWK Set members skipped when the current keys were loaded (0 for keys not
    /// loaded from a JWK Set).
    pub fn skipped(&self) -> usize {
        self.snapshot.current().skipped
    }

    /// The `kid`s the keys are indexed under, in the set's order (keys without one are left out).
    pub fn key_ids(&self) -> Vec<String> {
        self.snapshot
            .current()
            .entries
            .iter()
            .filter_map(|e| e.kid.as_deref().map(str::to_owned))
            .collect()
    }

    /// The keys of the set, shared.
    pub fn keys(&self) -> Vec<Arc<VerifyingKey>> {
        self.snapshot.current().keys().cloned().collect()
    }
}

impl Default for KeySet {
    fn default() -> Self {
        KeySet::new()
    }
}

impl<K: Into<Arc<VerifyingKey>>> FromIterator<K> for KeySet {
    fn from_iter<I: IntoIterator<Item = K>>(iter: I) -> Self {
        KeySet::from_keys(iter)
    }
}

impl KeyProvider for KeySet {
    #[inline]
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        let snapshot = self.snapshot.read();
        match snapshot.select(request) {
            Some(index) => Ok(KeyHandle::guarded(KeyGuard { snapshot, index })),
            None => Err(request.not_found()),
        }
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.snapshot.current();
        f.debug_struct("KeySet")
            .field(
                "keys",
                &current.entries.iter().map(|e| &*e.key).collect::<Vec<_>>(),
            )
            .field("skipped", &current.skipped)
            .field("thumbprint_kids", &self.thumbprint_kids)
            .finish()
    }
}

impl Clone for Entry {
    fn clone(&self) -> Self {
        Entry {
            key: Arc::clone(&self.key),
            kid: self.kid.clone(),
        }
    }
}

/// Keys loaded from a JWK Set, not yet installed.
pub(crate) struct PreparedKeys {
    entries: Vec<Entry>,
    skipped: usize,
}

impl PreparedKeys {
    /// How many of the keys can verify a signature with some algorithm.
    pub(crate) fn signature_keys(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| Algorithm::ALL.iter().any(|alg| e.key.supports(*alg)))
            .count()
    }

    /// How many members of the set were skipped.
    pub(crate) fn skipped(&self) -> usize {
        self.skipped
    }
}

fn entry(key: Arc<VerifyingKey>, thumbprint_kids: bool) -> Entry {
    let kid = match key.key_id() {
        Some(kid) => Some(kid.into()),
        None if thumbprint_kids => thumbprint(&key).map(String::into_boxed_str),
        None => None,
    };
    Entry { key, kid }
}

/// The usable keys of `set` and the number of members skipped.
fn load_jwks(set: &JwkSet, allow_secrets: bool, thumbprint_kids: bool) -> (Vec<Entry>, usize) {
    let mut skipped = 0;
    let mut entries = Vec::with_capacity(set.keys.len());
    for jwk in &set.keys {
        if !allow_secrets && jwk.kty == "oct" {
            skipped += 1;
            continue;
        }
        match key_from_jwk(jwk) {
            Ok(key) if allow_secrets || key.family() != KeyFamily::Hmac => {
                entries.push(entry(Arc::new(key), thumbprint_kids));
            }
            _ => skipped += 1,
        }
    }
    (entries, skipped)
}

/// Parses one member of a JWK Set.
fn key_from_jwk(jwk: &Jwk) -> Result<VerifyingKey, Error> {
    VerifyingKey::from_jwk(jwk)
}

/// The RFC 7638 thumbprint of `key`, base64url-encoded.
fn thumbprint(key: &VerifyingKey) -> Option<String> {
    Some(key.thumbprint())
}
