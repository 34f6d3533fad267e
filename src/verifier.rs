//! The verify path: token text → parts → key → signature → claims → policy → revocation.

use std::net::IpAddr;

use serde::de::DeserializeOwned;

use crate::json::{self, AudValue, ClaimsSink, Found};
use crate::policy::WatchState;
use crate::token::{self, AudText, Text, Verified, VerifiedJws};
use crate::{
    Clock, Error, KeyFamily, KeyProvider, KeyRequest, NoRevocation, NumericDate, Policy,
    Revocation, SystemClock, TokenFacts,
};

/// What the verifier knows about the request a token came with.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct VerifyContext {
    /// The client's address, for IP binding.
    pub client_ip: Option<IpAddr>,
}

impl VerifyContext {
    /// A context with nothing known.
    pub fn new() -> Self {
        VerifyContext::default()
    }

    /// Sets the client's address.
    #[must_use]
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }
}

/// Verifies tokens: keys from a [`KeyProvider`], rules from a [`Policy`], revocation from a
/// [`Revocation`] source and time from a [`Clock`].
///
/// A verifier is `Send + Sync` when its parts are; build one and share it (e.g. in an `Arc`).
/// Verification does no I/O and takes no global lock.
///
/// Each thread remembers what the last four protected headers whose signatures it verified
/// parsed to, keyed by their exact base64url text, and skips decoding and parsing a header it
/// has seen (a service sees the same few headers over and over). Nothing a verifier decides is
/// remembered: the allowlist, `typ` and the key are checked for every token.
///
/// ```
/// use tessera::{Algorithm, Issuer, Policy, SigningKey, Verifier, Verified};
/// let key = SigningKey::generate(Algorithm::ES256)?;
/// let token = Issuer::new(&key).issuer("https://auth.example").issue("alice", &())?;
///
/// let verifier = Verifier::new(
///     key.verifying_key(),
///     Policy::new([Algorithm::ES256]).issuer("https://auth.example"),
/// );
/// let verified: Verified<serde_json::Value> = verifier.verify(&token)?;
/// assert_eq!(verified.subject(), Some("alice"));
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verifier<K, R = NoRevocation, C = SystemClock> {
    keys: K,
    policy: Policy,
    revocation: R,
    clock: C,
}

impl<K: KeyProvider> Verifier<K> {
    /// A verifier with no revocation and the system clock.
    pub fn new(keys: K, policy: Policy) -> Self {
        Verifier {
            keys,
            policy,
            revocation: NoRevocation,
            clock: SystemClock,
        }
    }
}

impl<K: KeyProvider, R: Revocation, C: Clock> Verifier<K, R, C> {
    /// The same verifier, checking `revocation` after the signature and the policy passed.
    pub fn with_revocation<R2: Revocation>(self, revocation: R2) -> Verifier<K, R2, C> {
        Verifier {
            keys: self.keys,
            policy: self.policy,
            revocation,
            clock: self.clock,
        }
    }

    /// The same verifier, reading the time from `clock`.
    pub fn with_clock<C2: Clock>(self, clock: C2) -> Verifier<K, R, C2> {
        Verifier {
            keys: self.keys,
            policy: self.policy,
            revocation: self.revocation,
            clock,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The key provider.
    pub fn keys(&self) -> &K {
        &self.keys
    }

    /// The revocation source.
    pub fn revocation(&self) -> &R {
        &self.revocation
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Verifies a compact JWT and decodes its claims as `T`: any `DeserializeOwned` type that
    /// reads a JSON object (your struct, a map, `serde_json::Value`), or `()` to keep only the
    /// registered claims. Registered claims are available from [`Verified`]'s accessors whatever
    /// `T` is, and are also given to `T` if it has fields of those names.
    ///
    /// # Errors
    /// Any [`Error`] kind of the verify path; see [`ErrorKind`](crate::ErrorKind).
    pub fn verify<T: DeserializeOwned + 'static>(&self, token: &str) -> Result<Verified<T>, Error> {
        self.verify_with(token, &VerifyContext::default())
    }

    /// Verifies a compact JWT with what is known of the request (the client address for IP
    /// binding).
    ///
    /// # Errors
    /// As [`Verifier::verify`].
    pub fn verify_with<T: DeserializeOwned + 'static>(
        &self,
        token: &str,
        context: &VerifyContext,
    ) -> Result<Verified<T>, Error> {
        let policy = &self.policy;

        // Token text → parts → header.
        let parts = token::split(token, policy.max_token_bytes)?;
        let (buf, header_len, header) = token::decode_token(&parts)?;
        let buf = String::from_utf8(buf).map_err(|_| Error::malformed("claims are not UTF-8"))?;
        let claims_json = buf
            .get(header_len..)
            .ok_or_else(|| Error::malformed("claims are not UTF-8"))?;

        // Algorithm allowlist → key → signature.
        let kid = header.kid.as_ref().map(|k| k.get(&buf));
        self.check_signature(&parts, header.alg, kid)?;
        header.remember(&parts, buf.as_bytes(), header_len);

        // Claims, decoded once into T while the registered and watched claims are captured.
        let mut watch = WatchState::new(policy, context.client_ip);
        let mut observer = |i: usize, v: &serde_json::Value| watch.observe(i, v);
        let mut sink = ClaimsSink::new(&policy.watched_names, &mut observer);
        let claims: T = json::decode_claims(claims_json, &mut sink)?;
        let found = sink.into_found();
        let now = self.clock.now();

        // Policy, in a fixed order so that the reported kind does not depend on member order.
        check_registered(policy, &found, now)?;
        policy.typ_matches(header.typ.as_ref().map(|t| t.get(&buf)))?;
        watch.finish()?;
        if policy.has_typed_checks() {
            policy.check_typed(&claims)?;
        }

        // Revocation.
        let mut facts = TokenFacts::new(now);
        facts.jti = found.jti.as_deref();
        facts.sub = found.sub.as_deref();
        facts.iss = found.iss.as_deref();
        facts.iat = found.iat;
        facts.exp = found.exp;
        self.revocation.check(&facts)?;

        // Verified<T>: strings are kept as ranges of the decoded buffer where possible.
        let (kid, typ) = (header.kid, header.typ);
        let iss = found.iss.map(|s| Text::of(&buf, s));
        let sub = found.sub.map(|s| Text::of(&buf, s));
        let jti = found.jti.map(|s| Text::of(&buf, s));
        let aud = found.aud.map(|a| AudText::of(&buf, a));
        let (alg, exp, nbf, iat, auth_time) =
            (header.alg, found.exp, found.nbf, found.iat, found.auth_time);
        Ok(Verified {
            buf: crate::recycle::TokenText::new(buf),
            header_len,
            alg,
            kid,
            typ,
            iss,
            sub,
            jti,
            aud,
            exp,
            nbf,
            iat,
            auth_time,
            claims,
        })
    }

    /// Verifies only the signature of a compact JWS (allowlist, `crit`, key, signature) and
    /// returns its payload, which need not be JSON. No claim is checked: use this for signed
    /// documents that are not JWTs.
    ///
    /// # Errors
    /// As [`Verifier::verify`], up to and including the signature check.
    pub fn verify_jws(&self, token: &str) -> Result<VerifiedJws, Error> {
        let parts = token::split(token, self.policy.max_token_bytes)?;
        let (mut buf, header_len, header) = token::decode_token(&parts)?;
        let payload = buf.split_off(header_len);
        // The header was checked to be UTF-8 when it was parsed.
        let header_json = std::str::from_utf8(&buf).unwrap_or_default();
        let kid = header.kid.as_ref().map(|k| k.get(header_json));
        self.check_signature(&parts, header.alg, kid)?;
        header.remember(&parts, &buf, header_len);
        let verified = VerifiedJws {
            alg: header.alg,
            kid: kid.map(str::to_owned),
            typ: header.typ.as_ref().map(|t| t.get(header_json).to_owned()),
            payload,
        };
        crate::recycle::give_back(buf);
        Ok(verified)
    }

    fn check_signature(
        &self,
        parts: &token::Parts<'_>,
        alg: crate::Algorithm,
        kid: Option<&str>,
    ) -> Result<(), Error> {
        if !self.policy.algorithms.contains(alg) {
            return Err(Error::AlgorithmNotAllowed(alg));
        }
        let key = self.keys.key(&KeyRequest::new(alg, kid))?;
        let input = parts.signing_input.as_bytes();
        if alg.family() == KeyFamily::Rsa {
            let mut sig = [0u8; token::MAX_RSA_SIGNATURE_LEN];
            let len = token::decode_signature(parts, &mut sig)?;
            key.verify_signature(alg, input, sig.get(..len).unwrap_or_default())
        } else {
            let mut sig = [0u8; token::MAX_OTHER_SIGNATURE_LEN];
            let len = token::decode_signature(parts, &mut sig)?;
            key.verify_signature(alg, input, sig.get(..len).unwrap_or_default())
        }
    }
}

/// The time, issuer, audience, subject and `jti` rules of the policy.
#[inline]
fn check_registered(policy: &Policy, found: &Found<'_>, now: NumericDate) -> Result<(), Error> {
    let leeway = policy.leeway;
    match found.exp {
        Some(exp) if now >= exp.add_secs(leeway) => {
            return Err(Error::Expired { exp: exp.as_secs() });
        }
        None if policy.require_exp => return Err(Error::MissingClaim("exp".into())),
        _ => {}
    }
    if let Some(nbf) = found.nbf
        && now < nbf.add_secs(-leeway)
    {
        return Err(Error::NotYetValid { nbf: nbf.as_secs() });
    }
    if let Some(iat) = found.iat
        && iat > now.add_secs(leeway)
    {
        return Err(Error::IssuedInFuture { iat: iat.as_secs() });
    }
    if let Some(max) = policy.max_lifetime {
        let iat = found.iat.ok_or(Error::MissingClaim("iat".into()))?;
        let exp = found.exp.ok_or(Error::MissingClaim("exp".into()))?;
        let from_nbf = found.nbf.map_or(i64::MIN, |nbf| exp.secs_since(nbf));
        let lifetime = exp.secs_since(iat).max(from_nbf);
        if lifetime > max {
            return Err(Error::LifetimeTooLong { lifetime, max });
        }
    }
    if let Some(max) = policy.max_age {
        let iat = found.iat.ok_or(Error::MissingClaim("iat".into()))?;
        let age = now.secs_since(iat);
        if age > max.saturating_add(leeway) {
            return Err(Error::TooOld { age, max });
        }
    }
    if !policy.issuers.is_empty() {
        let iss = found.iss.as_deref();
        if !iss.is_some_and(|iss| policy.issuers.iter().any(|i| **i == *iss)) {
            return Err(Error::InvalidIssuer);
        }
    }
    policy.audience_matches(found.aud.as_ref().map(AudValue::as_slice))?;
    if let Some(want) = &policy.subject
        && found.sub.as_deref() != Some(&**want)
    {
        return Err(Error::InvalidSubject);
    }
    if policy.require_jti && found.jti.is_none() {
        return Err(Error::MissingClaim("jti".into()));
    }
    Ok(())
}
