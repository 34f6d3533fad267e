//! Choosing the key that verifies a token.

use std::ops::Deref;
use std::sync::Arc;

use crate::{Algorithm, Error, VerifyingKey, error::excerpt};

/// What an unverified token says about the key that signed it. Everything here comes from the
/// attacker-controlled header: use it to look a key up, never to build or fetch one.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct KeyRequest<'a> {
    /// The token's algorithm, already checked against the verifier's allowlist.
    pub alg: Algorithm,
    /// The token's `kid` header, if any (untrusted).
    pub kid: Option<&'a str>,
}

impl<'a> KeyRequest<'a> {
    /// A request for a key of `alg`, named `kid`.
    pub fn new(alg: Algorithm, kid: Option<&'a str>) -> Self {
        KeyRequest { alg, kid }
    }

    /// The `key_not_found` error for this request.
    pub fn not_found(&self) -> Error {
        Error::KeyNotFound {
            kid: self.kid.map_or_else(|| "none".to_owned(), excerpt),
            alg: self.alg,
        }
    }
}

/// A key lent by a [`KeyProvider`]: borrowed from the provider, or shared through an [`Arc`].
pub struct KeyHandle<'a>(Handle<'a>);

enum Handle<'a> {
    Borrowed(&'a VerifyingKey),
    Shared(Arc<VerifyingKey>),
    /// A key inside a [`KeySet`](crate::KeySet) snapshot, held by a read guard on one shard.
    Guarded(crate::keyset::KeyGuard<'a>),
}

impl<'a> KeyHandle<'a> {
    /// Lends a key that lives as long as the provider.
    pub fn borrowed(key: &'a VerifyingKey) -> Self {
        KeyHandle(Handle::Borrowed(key))
    }

    /// Lends a shared key (for providers whose keys can be replaced while in use).
    pub fn shared(key: Arc<VerifyingKey>) -> Self {
        KeyHandle(Handle::Shared(key))
    }

    pub(crate) fn guarded(guard: crate::keyset::KeyGuard<'a>) -> Self {
        KeyHandle(Handle::Guarded(guard))
    }
}

impl Deref for KeyHandle<'_> {
    type Target = VerifyingKey;
    #[inline]
    fn deref(&self) -> &VerifyingKey {
        match &self.0 {
            Handle::Borrowed(k) => k,
            Handle::Shared(k) => k,
            Handle::Guarded(g) => g,
        }
    }
}

impl std::fmt::Debug for KeyHandle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// Gives the verifier the key for a token, from what the token's header says.
///
/// Implementations must not perform I/O while verification waits: sync remote state in the
/// background and answer from memory. A provider returns [`Error::KeyNotFound`] when it has no
/// key for the request (see [`KeyRequest::not_found`]) and [`Error::KeyUnavailable`] when it
/// cannot answer at all. The verifier checks that the returned key supports the algorithm, so a
/// provider cannot cause algorithm confusion even by mistake.
pub trait KeyProvider: Send + Sync {
    /// The key to verify a token described by `request`.
    ///
    /// # Errors
    /// [`Error::KeyNotFound`] or [`Error::KeyUnavailable`].
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error>;
}

/// A single key: used for every token whose `kid` is absent or equal to the key's own `kid`
/// (a key without a `kid` accepts any), and whose algorithm the key supports.
impl KeyProvider for VerifyingKey {
    #[inline]
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        let kid_fits = match (request.kid, self.key_id()) {
            (Some(wanted), Some(own)) => wanted == own,
            _ => true,
        };
        if kid_fits && self.supports(request.alg) {
            Ok(KeyHandle::borrowed(self))
        } else {
            Err(request.not_found())
        }
    }
}

impl<K: KeyProvider + ?Sized> KeyProvider for &K {
    #[inline]
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        (**self).key(request)
    }
}

impl<K: KeyProvider + ?Sized> KeyProvider for Arc<K> {
    #[inline]
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        (**self).key(request)
    }
}

impl<K: KeyProvider + ?Sized> KeyProvider for Box<K> {
    #[inline]
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        (**self).key(request)
    }
}

/// A key provider that calls a closure mapping a [`KeyRequest`] to a shared key.
///
/// The closure runs on the verification path: it must answer from memory, without I/O. It returns
/// [`Error::KeyNotFound`] (see [`KeyRequest::not_found`]) when it has no key for the request.
///
/// ```
/// use std::sync::Arc;
/// use tessera::{Algorithm, FnProvider, KeyProvider, KeyRequest, VerifyingKey};
///
/// let current = Arc::new(VerifyingKey::hmac(&[7; 32])?.with_key_id("2024-06"));
/// let provider = FnProvider::new(move |req: &KeyRequest<'_>| match req.kid {
///     Some("2024-06") => Ok(Arc::clone(&current)),
///     _ => Err(req.not_found()),
/// });
/// assert!(provider.key(&KeyRequest::new(Algorithm::HS256, Some("2024-06"))).is_ok());
/// assert!(provider.key(&KeyRequest::new(Algorithm::HS256, Some("2023-01"))).is_err());
/// # Ok::<(), tessera::Error>(())
/// ```
pub struct FnProvider<F>(F);

impl<F> FnProvider<F>
where
    F: Fn(&KeyRequest<'_>) -> Result<Arc<VerifyingKey>, Error> + Send + Sync,
{
    /// A provider that answers each request with `f(request)`.
    pub fn new(f: F) -> Self {
        FnProvider(f)
    }
}

impl<F> KeyProvider for FnProvider<F>
where
    F: Fn(&KeyRequest<'_>) -> Result<Arc<VerifyingKey>, Error> + Send + Sync,
{
    #[inline]
    fn key(&self, request: &KeyRequest<'_>) -> Result<KeyHandle<'_>, Error> {
        (self.0)(request).map(KeyHandle::shared)
    }
}

impl<F> std::fmt::Debug for FnProvider<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnProvider").finish_non_exhaustive()
    }
}
