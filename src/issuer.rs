//! The issuing side: signers, the issuer, and refreshing.

use std::time::Duration;

use serde::Serialize;

use crate::{Algorithm, Audience, Clock, Error, IpNetwork, NumericDate, SystemClock, Verified};

/// Something that signs tokens: the crate's own [`SigningKey`](crate::SigningKey), or a KMS/HSM
/// behind your own implementation.
pub trait Signer: Send + Sync {
    /// The algorithm the signatures are made with (written to the `alg` header).
    fn algorithm(&self) -> Algorithm;

    /// The key identifier written to the `kid` header, if any.
    fn key_id(&self) -> Option<&str>;

    /// Signs the JWS signing input (`BASE64URL(header) || '.' || BASE64URL(payload)`).
    ///
    /// # Errors
    /// [`Error::Signing`] (or another kind) when no signature can be made.
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error>;
}

impl<S: Signer + ?Sized> Signer for &S {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(signing_input)
    }
}

impl<S: Signer + ?Sized> Signer for std::sync::Arc<S> {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(signing_input)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }
    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).sign(signing_input)
    }
}

/// Issues signed tokens with short-lived defaults: `iat`, `nbf` and `exp` from the clock and a
/// lifetime of 15 minutes, a random 128-bit `jti`, `typ: JWT`, and the signer's `kid`.
///
/// ```
/// use std::time::Duration;
/// use tessera::{Algorithm, Issuer, SigningKey};
/// let key = SigningKey::generate(Algorithm::EdDSA)?;
/// let issuer = Issuer::new(key)
///     .issuer("https://auth.example")
///     .audience("orders-api")
///     .lifetime(Duration::from_secs(300));
/// let token = issuer.issue("alice", &serde_json::json!({"scope": "orders:read"}))?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Issuer<S, C = SystemClock> {
    signer: S,
    clock: C,
    iss: Option<String>,
    aud: Option<Audience>,
    lifetime: i64,
    typ: Option<String>,
    jti: bool,
    ip_claim: String,
    max_session: Option<i64>,
    /// `BASE64URL(header) || '.'`, computed once.
    header_prefix: String,
}

/// The lifetime of issued tokens unless set otherwise: 15 minutes.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(15 * 60);

impl<S: Signer> Issuer<S> {
    /// An issuer signing with `signer`, reading time from the system clock.
    pub fn new(signer: S) -> Self {
        let mut issuer = Issuer {
            signer,
            clock: SystemClock,
            iss: None,
            aud: None,
            lifetime: DEFAULT_LIFETIME.as_secs() as i64,
            typ: Some("JWT".to_owned()),
            jti: true,
            ip_claim: crate::policy::DEFAULT_IP_CLAIM.to_owned(),
            max_session: None,
            header_prefix: String::new(),
        };
        issuer.header_prefix = issuer.encode_header();
        issuer
    }
}

impl<S: Signer, C: Clock> Issuer<S, C> {
    /// The same issuer reading time from `clock`.
    pub fn with_clock<C2: Clock>(self, clock: C2) -> Issuer<S, C2> {
        Issuer {
            signer: self.signer,
            clock,
            iss: self.iss,
            aud: self.aud,
            lifetime: self.lifetime,
            typ: self.typ,
            jti: self.jti,
            ip_claim: self.ip_claim,
            max_session: self.max_session,
            header_prefix: self.header_prefix,
        }
    }

    /// Sets `iss` on every token.
    #[must_use]
    pub fn issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = Some(iss.into());
        self
    }

    /// Sets `aud` on every token (a token builder can override it).
    #[must_use]
    pub fn audience(mut self, aud: impl Into<Audience>) -> Self {
        self.aud = Some(aud.into());
        self
    }

    /// Sets the lifetime of tokens (default 15 minutes). Short lifetimes are the first defence
    /// against stolen tokens.
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Sets the `typ` header (default `JWT`; e.g. `at+jwt` for RFC 9068 access tokens), or
    /// removes it with `None`.
    #[must_use]
    pub fn token_type(mut self, typ: Option<&str>) -> Self {
        self.typ = typ.map(str::to_owned);
        self.header_prefix = self.encode_header();
        self
    }

    /// Leaves `jti` out of tokens. Such tokens cannot be revoked one by one.
    #[must_use]
    pub fn without_jti(mut self) -> Self {
        self.jti = false;
        self
    }

    /// The claim that carries IP bindings (default `ip`).
    #[must_use]
    pub fn ip_claim(mut self, name: impl Into<String>) -> Self {
        self.ip_claim = name.into();
        self
    }

    /// Limits refreshing: [`Issuer::refresh`] refuses a token whose session (its `auth_time`, or
    /// its `iat` when it has none) began more than `max` ago.
    #[must_use]
    pub fn max_session(mut self, max: Duration) -> Self {
        self.max_session = Some(i64::try_from(max.as_secs()).unwrap_or(i64::MAX));
        self
    }

    /// The signer.
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// Issues a token for `subject` carrying `claims` (any type serialising to a JSON object, or
    /// `()` for none).
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] when `claims` is not an object or repeats a claim the issuer sets;
    /// signing errors from the signer.
    pub fn issue<T: Serialize + ?Sized>(&self, subject: &str, claims: &T) -> Result<String, Error> {
        self.token(claims).subject(subject).sign()
    }

    /// Starts a token carrying `claims`, to be adjusted and then signed.
    pub fn token<'a, T: Serialize + ?Sized>(&'a self, claims: &'a T) -> TokenBuilder<'a, S, C, T> {
        TokenBuilder {
            issuer: self,
            claims,
            sub: None,
            aud: None,
            lifetime: None,
            bound_to: Vec::new(),
            jti: None,
            auth_time: None,
        }
    }

    /// Re-issues a verified token with a new `iat`, `nbf`, `exp` and `jti`, keeping its subject,
    /// audience, IP binding and other claims, and carrying `auth_time` (when the session began)
    /// forward.
    ///
    /// # Errors
    /// [`Error::TooOld`] when the session is older than [`Issuer::max_session`]; as
    /// [`Issuer::issue`] otherwise.
    pub fn refresh<T>(&self, verified: &Verified<T>) -> Result<String, Error> {
        let now = self.clock.now();
        let session_start = verified
            .auth_time()
            .or(verified.issued_at())
            .ok_or(Error::MissingClaim("iat".into()))?;
        if let Some(max) = self.max_session {
            let age = now.secs_since(session_start);
            if age > max {
                return Err(Error::TooOld { age, max });
            }
        }
        let mut claims: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(verified.claims_json())
                .map_err(|e| crate::json::json_error("claims", &e))?;
        for name in ["iss", "exp", "nbf", "iat", "jti", "auth_time"] {
            claims.remove(name);
        }
        let mut builder = self.token(&claims);
        builder.auth_time = Some(session_start);
        if claims.contains_key("aud") {
            builder.aud = None;
        }
        builder.sign_inner(claims.contains_key("aud"))
    }

    fn encode_header(&self) -> String {
        let mut header = serde_json::Map::new();
        header.insert("alg".into(), self.signer.algorithm().name().into());
        if let Some(typ) = &self.typ {
            header.insert("typ".into(), typ.as_str().into());
        }
        if let Some(kid) = self.signer.key_id() {
            header.insert("kid".into(), kid.into());
        }
        let json = serde_json::Value::Object(header).to_string();
        let mut prefix = crate::base64url::encode(json.as_bytes());
        prefix.push('.');
        prefix
    }
}

/// One token being issued; see [`Issuer::token`].
#[must_use = "a token builder does nothing until signed"]
pub struct TokenBuilder<'a, S, C, T: ?Sized> {
    issuer: &'a Issuer<S, C>,
    claims: &'a T,
    sub: Option<&'a str>,
    aud: Option<Audience>,
    lifetime: Option<i64>,
    bound_to: Vec<IpNetwork>,
    jti: Option<&'a str>,
    auth_time: Option<NumericDate>,
}

impl<'a, S: Signer, C: Clock, T: Serialize + ?Sized> TokenBuilder<'a, S, C, T> {
    /// Sets `sub`.
    pub fn subject(mut self, sub: &'a str) -> Self {
        self.sub = Some(sub);
        self
    }

    /// Sets `aud` for this token.
    pub fn audience(mut self, aud: impl Into<Audience>) -> Self {
        self.aud = Some(aud.into());
        self
    }

    /// Sets the lifetime of this token.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
        self
    }

    /// Binds the token to an address or network (call again for several); see
    /// [`Policy::ip_binding`](crate::Policy::ip_binding).
    pub fn bind_ip(mut self, network: impl Into<IpNetwork>) -> Self {
        self.bound_to.push(network.into());
        self
    }

    /// Sets `jti` instead of a random one.
    pub fn jwt_id(mut self, jti: &'a str) -> Self {
        self.jti = Some(jti);
        self
    }

    /// Sets `auth_time`, when the user authenticated (carried forward by [`Issuer::refresh`]).
    pub fn auth_time(mut self, at: NumericDate) -> Self {
        self.auth_time = Some(at);
        self
    }

    /// Signs the token.
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    pub fn sign(self) -> Result<String, Error> {
        self.sign_inner(false)
    }

    fn sign_inner(self, custom_has_aud: bool) -> Result<String, Error> {
        let issuer = self.issuer;
        // Whole seconds: fractional dates are valid JSON numeric dates, but some verifiers refuse them.
        let now = NumericDate::clamped(issuer.clock.now().as_secs());
        let lifetime = self.lifetime.unwrap_or(issuer.lifetime);
        let aud = if custom_has_aud {
            None
        } else {
            self.aud.as_ref().or(issuer.aud.as_ref())
        };
        let random_jti;
        let jti = match self.jti {
            Some(j) => Some(j),
            None if issuer.jti => {
                random_jti = random_id()?;
                Some(random_jti.as_str())
            }
            None => None,
        };

        // The issuer's members first, then the caller's members spliced in.
        let mut ours = Members::default();
        if let Some(iss) = &issuer.iss {
            ours.add("iss", iss)?;
        }
        if let Some(sub) = self.sub {
            ours.add("sub", sub)?;
        }
        if let Some(aud) = aud {
            ours.add("aud", aud)?;
        }
        ours.add("iat", &now)?;
        ours.add("nbf", &now)?;
        ours.add("exp", &now.add_secs(lifetime))?;
        if let Some(jti) = jti {
            ours.add("jti", jti)?;
        }
        if let Some(at) = self.auth_time {
            ours.add("auth_time", &at)?;
        }
        match self.bound_to.as_slice() {
            [] => {}
            [one] => ours.add(&issuer.ip_claim, &one.to_string())?,
            many => {
                let all: Vec<String> = many.iter().map(ToString::to_string).collect();
                ours.add(&issuer.ip_claim, &all)?;
            }
        }
        let custom = serde_json::to_string(self.claims).map_err(|e| claims_error(&e))?;
        let members = custom_members(&custom, &ours)?;
        let payload = ours.finish(members);

        let mut token =
            String::with_capacity(issuer.header_prefix.len() + payload.len() / 3 * 4 + 8 + 700);
        token.push_str(&issuer.header_prefix);
        crate::base64url::encode_into(&payload, &mut token);
        let signature = issuer.signer.sign(token.as_bytes())?;
        token.push('.');
        crate::base64url::encode_into(&signature, &mut token);
        Ok(token)
    }
}

fn claims_error(e: &serde_json::Error) -> Error {
    Error::InvalidClaim {
        claim: "claims".into(),
        reason: e.to_string().into(),
    }
}

/// The members the issuer writes itself: the JSON text so far, and their names (at most nine),
/// which the caller's claims must not repeat.
struct Members<'a> {
    json: Vec<u8>,
    names: [&'a str; 9],
    len: usize,
}

impl Default for Members<'_> {
    fn default() -> Self {
        let mut json = Vec::with_capacity(256);
        json.push(b'{');
        Members {
            json,
            names: [""; 9],
            len: 0,
        }
    }
}

impl<'a> Members<'a> {
    fn add<V: Serialize + ?Sized>(&mut self, name: &'a str, value: &V) -> Result<(), Error> {
        if self.json.len() > 1 {
            self.json.push(b',');
        }
        serde_json::to_writer(&mut self.json, name).map_err(|e| claims_error(&e))?;
        self.json.push(b':');
        serde_json::to_writer(&mut self.json, value).map_err(|e| claims_error(&e))?;
        if let Some(slot) = self.names.get_mut(self.len) {
            *slot = name;
            self.len += 1;
        }
        Ok(())
    }

    fn names(&self) -> &[&'a str] {
        self.names.get(..self.len).unwrap_or_default()
    }

    /// Closes the object after appending `custom` (members without braces).
    fn finish(mut self, custom: &str) -> Vec<u8> {
        if !custom.is_empty() {
            if self.json.len() > 1 {
                self.json.push(b',');
            }
            self.json.extend_from_slice(custom.as_bytes());
        }
        self.json.push(b'}');
        self.json
    }
}

impl crate::json::WatchList for Members<'_> {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.names().iter().position(|n| *n == name)
    }
}

/// Checks the caller's claims JSON and returns its members without the braces. It must be an
/// object (or `null`, for none) without duplicate names, with registered claims of the right types,
/// and without any member the issuer wrote itself (`ours`).
fn custom_members<'c>(custom: &'c str, ours: &Members<'_>) -> Result<&'c str, Error> {
    if custom == "null" || custom == "{}" {
        return Ok("");
    }
    let not_object = || Error::InvalidClaim {
        claim: "claims".into(),
        reason: "custom claims must serialise to a JSON object".into(),
    };
    let inner = custom
        .strip_prefix('{')
        .and_then(|c| c.strip_suffix('}'))
        .ok_or_else(not_object)?;
    let mut clash: Option<usize> = None;
    let mut observer = |i: usize, _: &serde_json::Value| {
        clash.get_or_insert(i);
    };
    let mut sink = crate::json::ClaimsSink::new(ours, &mut observer);
    crate::json::decode_claims::<serde::de::IgnoredAny>(custom, &mut sink)?;
    drop(sink);
    if let Some(name) = clash.and_then(|i| ours.names().get(i)) {
        return Err(Error::InvalidClaim {
            claim: (*name).to_owned().into(),
            reason: "is set by the issuer and must not be among the custom claims".into(),
        });
    }
    Ok(inner)
}

/// A random 128-bit identifier, base64url-encoded.
fn random_id() -> Result<String, Error> {
    let bytes = crate::keys::random_bytes::<16>()?;
    Ok(crate::base64url::encode(&bytes))
}
