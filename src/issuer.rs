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

    /// Signs like [`Signer::sign`], appending the signature to `out` instead of returning a new
    /// vector. The [`Issuer`] calls this one, with a buffer it reuses.
    ///
    /// The default calls [`Signer::sign`]; override it when the signature can be written without
    /// allocating (the crate's [`SigningKey`](crate::SigningKey) does so for HMAC).
    ///
    /// # Errors
    /// As [`Signer::sign`] (the issuer then discards `out`, whatever it holds).
    fn sign_into(&self, signing_input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.sign(signing_input)?);
        Ok(())
    }
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
    fn sign_into(&self, signing_input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).sign_into(signing_input, out)
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
    fn sign_into(&self, signing_input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).sign_into(signing_input, out)
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
    fn sign_into(&self, signing_input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).sign_into(signing_input, out)
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
        let payload = ours.finish(self.claims)?;

        let mut token =
            String::with_capacity(issuer.header_prefix.len() + payload.len() / 3 * 4 + 8 + 700);
        token.push_str(&issuer.header_prefix);
        crate::base64url::encode_into(&payload, &mut token);
        // The payload's buffer, encoded already, takes the signature.
        let mut signature = payload;
        signature.clear();
        issuer.signer.sign_into(token.as_bytes(), &mut signature)?;
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

    /// Serialises the caller's `claims` after the issuer's members, checks them (see
    /// [`check_custom`]), and closes the object. The claims are written in place: their opening
    /// brace becomes the separator and their closing brace closes the whole object.
    fn finish<T: Serialize + ?Sized>(mut self, claims: &T) -> Result<Vec<u8>, Error> {
        let start = self.json.len();
        serde_json::to_writer(&mut self.json, claims).map_err(|e| claims_error(&e))?;
        let custom = self.json.get(start..).unwrap_or_default();
        if check_custom(custom, &self)? {
            if start > 1 {
                if let Some(brace) = self.json.get_mut(start) {
                    *brace = b',';
                }
            } else {
                self.json.remove(start);
            }
        } else {
            self.json.truncate(start);
            self.json.push(b'}');
        }
        Ok(self.json)
    }
}

impl crate::json::WatchList for Members<'_> {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.names().iter().position(|n| *n == name)
    }
}

fn not_object() -> Error {
    Error::InvalidClaim {
        claim: "claims".into(),
        reason: "custom claims must serialise to a JSON object".into(),
    }
}

/// Checks the caller's claims JSON, as serialised: it must be an object (or `null`, for none)
/// without duplicate names, with registered claims of the right types, and without any member
/// the issuer wrote itself (`ours`). Returns whether it has members.
///
/// Plain claims (see [`plain_members`]) are accepted after one quick pass; anything else, and
/// every error, comes from [`strict_check`].
fn check_custom(custom: &[u8], ours: &Members<'_>) -> Result<bool, Error> {
    if custom == b"null" || custom == b"{}" {
        return Ok(false);
    }
    if !(custom.starts_with(b"{") && custom.ends_with(b"}")) {
        return Err(not_object());
    }
    if !plain_members(custom, ours) {
        // serde_json writes UTF-8 only.
        let text = std::str::from_utf8(custom).map_err(|_| not_object())?;
        strict_check(text, ours)?;
        // Whitespace can only come from a pre-serialised value (serde_json's `RawValue`): an
        // object of nothing but whitespace has no members to splice in.
        let inner = custom
            .get(1..custom.len().saturating_sub(1))
            .unwrap_or_default();
        if inner.iter().all(u8::is_ascii_whitespace) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The full check of [`check_custom`] for an object: the claims decoder the verifier uses, with
/// the issuer's names watched.
fn strict_check(custom: &str, ours: &Members<'_>) -> Result<(), Error> {
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
    Ok(())
}

/// The registered claims [`strict_check`] types.
const REGISTERED: [&[u8]; 8] = [
    b"iss",
    b"sub",
    b"aud",
    b"exp",
    b"nbf",
    b"iat",
    b"jti",
    b"auth_time",
];

/// Nesting [`plain_members`] follows (serde_json's decoder allows 128 levels).
const PLAIN_DEPTH: u32 = 32;

/// Top-level members [`plain_members`] compares pairwise.
const PLAIN_MEMBERS: usize = 16;

/// Longest number [`plain_members`] takes: any such decimal is far inside the range of `f64`.
const PLAIN_NUMBER_LEN: usize = 20;

/// What [`plain_members`] expects next.
#[derive(Clone, Copy)]
enum Want {
    /// A value; after `[`, the `]` too.
    Value {
        or_close: bool,
    },
    /// A member name; after `{`, the `}` too.
    Name {
        or_close: bool,
    },
    Colon,
    /// `,` or the end of the innermost array or object.
    Next,
}

/// Whether `custom` is plainly acceptable, so that [`strict_check`] would accept it too: compact
/// JSON (as serde_json writes it) for one object, nested at most [`PLAIN_DEPTH`] deep, with no
/// backslash or control character in any string, no number with an exponent or longer than
/// [`PLAIN_NUMBER_LEN`], at most [`PLAIN_MEMBERS`] top-level members, none of them a registered
/// claim or a name in `ours`, and no duplicate top-level name. `false` says only that the strict
/// check must decide.
fn plain_members(custom: &[u8], ours: &Members<'_>) -> bool {
    let mut names: [&[u8]; PLAIN_MEMBERS] = [&[]; PLAIN_MEMBERS];
    let mut count = 0;
    // Bit `d` of `objects` tells whether the container at depth `d + 1` is an object.
    let mut objects: u32 = 0;
    let mut depth: u32 = 0;
    let mut want = Want::Value { or_close: false };
    let mut pos = 0;
    while let Some(&byte) = custom.get(pos) {
        // Whether the innermost open container is an object (`false` at the top level).
        let in_object = || depth > 0 && objects & (1 << (depth - 1)) != 0;
        match (want, byte) {
            (Want::Value { .. }, b'{' | b'[') => {
                if depth >= PLAIN_DEPTH || (depth == 0 && byte == b'[') {
                    return false;
                }
                if byte == b'{' {
                    objects |= 1 << depth;
                    want = Want::Name { or_close: true };
                } else {
                    objects &= !(1 << depth);
                    want = Want::Value { or_close: true };
                }
                depth += 1;
                pos += 1;
            }
            (Want::Value { .. }, _) if depth == 0 => return false,
            (Want::Value { .. }, b'"') => match string_end(custom, pos) {
                Some(end) => {
                    pos = end;
                    want = Want::Next;
                }
                None => return false,
            },
            (Want::Value { .. }, b't' | b'f' | b'n') => {
                let literal: &[u8] = match byte {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                if !custom.get(pos..).is_some_and(|r| r.starts_with(literal)) {
                    return false;
                }
                pos += literal.len();
                want = Want::Next;
            }
            (Want::Value { .. }, b'-' | b'0'..=b'9') => match number_end(custom, pos) {
                Some(end) => {
                    pos = end;
                    want = Want::Next;
                }
                None => return false,
            },
            (Want::Name { .. }, b'"') => {
                let Some(end) = string_end(custom, pos) else {
                    return false;
                };
                if depth == 1 {
                    let Some(name) = custom.get(pos + 1..end - 1) else {
                        return false;
                    };
                    let taken = names.get(..count).unwrap_or_default();
                    if REGISTERED.contains(&name)
                        || ours.names().iter().any(|n| n.as_bytes() == name)
                        || taken.contains(&name)
                    {
                        return false;
                    }
                    let Some(slot) = names.get_mut(count) else {
                        return false;
                    };
                    *slot = name;
                    count += 1;
                }
                pos = end;
                want = Want::Colon;
            }
            (Want::Colon, b':') => {
                pos += 1;
                want = Want::Value { or_close: false };
            }
            (Want::Next, b',') => {
                pos += 1;
                want = if in_object() {
                    Want::Name { or_close: false }
                } else {
                    Want::Value { or_close: false }
                };
            }
            (Want::Next | Want::Name { or_close: true }, b'}') if in_object() => {
                depth -= 1;
                pos += 1;
                want = Want::Next;
                if depth == 0 {
                    return pos == custom.len();
                }
            }
            (Want::Next | Want::Value { or_close: true }, b']') if depth > 0 && !in_object() => {
                depth -= 1;
                pos += 1;
                want = Want::Next;
            }
            _ => return false,
        }
    }
    false
}

/// The position after the string starting at `start` (its opening quote), if it ends before
/// any backslash or control character.
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let body = json.get(start + 1..)?;
    let len = first_special(body)?;
    (body.get(len) == Some(&b'"')).then_some(start + len + 2)
}

/// The index of the first `"`, `\` or control character in `bytes`, looked for eight bytes at a
/// time: in `(x - 0x01..01) & !x & 0x80..80` the lowest byte with its high bit set is the first
/// zero byte of `x` (higher ones may be false alarms), and likewise with `0x20..20` for the first
/// byte below 0x20.
fn first_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    const SPACES: u64 = ONES * 0x20;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let quote = word ^ QUOTES;
        let backslash = word ^ BACKSLASHES;
        let found = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | word.wrapping_sub(SPACES) & !word)
            & HIGH;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    let i = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(offset + i)
}

/// The position after the number starting at `start`, if it is `-?(0|[1-9][0-9]*)(\.[0-9]+)?`
/// (no exponent) and at most [`PLAIN_NUMBER_LEN`] long.
fn number_end(json: &[u8], start: usize) -> Option<usize> {
    let digits_from = |p: usize| {
        json.get(p..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let mut pos = start + usize::from(json.get(start) == Some(&b'-'));
    let int = digits_from(pos);
    if int == 0 || (int > 1 && json.get(pos) == Some(&b'0')) {
        return None;
    }
    pos += int;
    if json.get(pos) == Some(&b'.') {
        let frac = digits_from(pos + 1);
        if frac == 0 {
            return None;
        }
        pos += 1 + frac;
    }
    if matches!(json.get(pos), Some(b'e' | b'E')) || pos - start > PLAIN_NUMBER_LEN {
        return None;
    }
    Some(pos)
}

/// A random 128-bit identifier, base64url-encoded.
fn random_id() -> Result<String, Error> {
    let bytes = crate::keys::random_bytes::<16>()?;
    Ok(crate::base64url::encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FixedClock, SigningKey};
    use proptest::prelude::*;
    use serde::ser::SerializeMap;
    use serde_json::{Value, json};

    /// The issuer's members of a typical token, bound to an address (so `ip` is taken too).
    fn ours() -> Members<'static> {
        let mut ours = Members::default();
        ours.add("iss", "https://issuer.example").unwrap();
        ours.add("sub", "alice").unwrap();
        ours.add("iat", &1_700_000_000).unwrap();
        ours.add("nbf", &1_700_000_000).unwrap();
        ours.add("exp", &1_700_000_900).unwrap();
        ours.add("ip", "192.0.2.1").unwrap();
        ours
    }

    /// The checks without the quick pass: `null` and `{}` are none, other non-objects are
    /// refused, every object goes through the strict decoder, and one of only whitespace has no
    /// members.
    fn reference(custom: &str, ours: &Members<'_>) -> Result<bool, Error> {
        if custom == "null" || custom == "{}" {
            return Ok(false);
        }
        let inner = custom
            .strip_prefix('{')
            .and_then(|c| c.strip_suffix('}'))
            .ok_or_else(not_object)?;
        strict_check(custom, ours)?;
        Ok(!inner.trim_ascii().is_empty())
    }

    fn outcome(r: &Result<bool, Error>) -> String {
        match r {
            Ok(members) => format!("ok {members}"),
            Err(e) => format!("{:?} {e}", e.kind()),
        }
    }

    /// Checks `custom` both ways and returns the outcome, after asserting that they agree and
    /// that the quick pass accepts only what the strict decoder accepts.
    fn check(custom: &str) -> String {
        let ours = ours();
        let quick = plain_members(custom.as_bytes(), &ours);
        let strict = reference(custom, &ours);
        if quick {
            assert!(strict.is_ok(), "{custom}: {:?}", strict);
        }
        let got = check_custom(custom.as_bytes(), &ours);
        assert_eq!(outcome(&got), outcome(&strict), "{custom}");
        outcome(&got)
    }

    fn plain(custom: &str) -> bool {
        plain_members(custom.as_bytes(), &ours())
    }

    /// Members in the given order, repeated names included.
    struct Entries<'a>(Vec<(&'a str, Value)>);

    impl Serialize for Entries<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    fn to_json<T: Serialize + ?Sized>(claims: &T) -> String {
        serde_json::to_string(claims).unwrap()
    }

    #[test]
    fn plain_claims_take_the_quick_pass() {
        for custom in [
            r#"{"role":"admin"}"#,
            r#"{"a":1,"b":-2.5,"c":true,"d":false,"e":null,"f":0,"g":-0}"#,
            r#"{"nested":{"x":[1,{"y":"}"}],"z":{}},"list":[[],[[]],{}]}"#,
            r#"{"tricky":"a,b}c]d{e[f:g","more":["\"",","]}"#,
            r#"{"é":"ünïcödé","emoji":"🦀","sep":" "}"#,
            r#"{"inner":{"sub":1,"sub":2,"ip":"x"}}"#,
            r#"{"":""}"#,
        ] {
            // Escaped quotes force the strict check; everything else here is plain.
            assert_eq!(plain(custom), !custom.contains('\\'), "{custom}");
            assert_eq!(check(custom), "ok true", "{custom}");
        }
    }

    #[test]
    fn none_and_not_an_object() {
        assert_eq!(check("null"), "ok false");
        assert_eq!(check("{}"), "ok false");
        let not_object =
            "InvalidClaim invalid claim claims: custom claims must serialise to a JSON object";
        for custom in [
            r#""s""#, r#""{}""#, "[1]", "[]", "[{}]", "3", "-1.5", "true", "false", "{", "}",
        ] {
            assert!(!plain(custom), "{custom}");
            assert_eq!(check(custom), not_object, "{custom}");
        }
        let key = SigningKey::hmac(&[7; 32]).unwrap();
        let issuer = Issuer::new(&key);
        for claims in [json!("s"), json!([1]), json!(3), json!(true)] {
            let err = issuer.issue("a", &claims).unwrap_err();
            assert_eq!(
                err.to_string(),
                not_object.trim_start_matches("InvalidClaim ")
            );
        }
    }

    #[test]
    fn duplicates_and_clashes_keep_their_errors() {
        let dup = "Malformed malformed token: duplicate claim role";
        assert_eq!(check(r#"{"role":1,"role":2}"#), dup);
        assert_eq!(check(r#"{"role":1,"x":{"a":"}"},"role":2}"#), dup);
        // The duplicate is reported even after a clash, as the strict decoder does.
        assert_eq!(check(r#"{"ip":1,"role":1,"role":2}"#), dup);
        let clash = |name: &str| {
            format!(
                "InvalidClaim invalid claim {name}: is set by the issuer and must not be among \
                 the custom claims"
            )
        };
        assert_eq!(check(r#"{"role":1,"ip":"10.0.0.1"}"#), clash("ip"));
        assert_eq!(check(r#"{"ip":{"a":[1]}}"#), clash("ip"));
        assert_eq!(check(r#"{"sub":"mallory"}"#), clash("sub"));
        assert_eq!(check(r#"{"exp":1}"#), clash("exp"));
        // The first clash is the one named.
        assert_eq!(check(r#"{"ip":1,"iss":"x"}"#), clash("ip"));
        assert_eq!(check(r#"{"iss":"x","ip":1}"#), clash("iss"));
        // A wrongly typed registered claim is refused for its type first.
        assert_eq!(
            check(r#"{"iss":5}"#),
            "InvalidClaim invalid claim iss: must be a string"
        );
        // The same through the issuer, with claims serialised in order.
        let key = SigningKey::hmac(&[7; 32]).unwrap();
        let issuer = Issuer::new(&key).issuer("https://issuer.example");
        let sign = |claims: Entries<'_>| {
            issuer
                .token(&claims)
                .subject("alice")
                .bind_ip(std::net::IpAddr::from([192, 0, 2, 1]))
                .sign()
                .map(|_| ())
                .map_err(|e| format!("{:?} {e}", e.kind()))
        };
        assert_eq!(
            sign(Entries(vec![("role", json!(1)), ("role", json!(2))])),
            Err(dup.to_owned())
        );
        assert_eq!(
            sign(Entries(vec![
                ("a", json!({"b": ["}", ","]})),
                ("ip", json!("x"))
            ])),
            Err(clash("ip"))
        );
        assert_eq!(
            sign(Entries(vec![("sub", json!("mallory"))])),
            Err(clash("sub"))
        );
        assert_eq!(sign(Entries(vec![("role", json!("admin"))])), Ok(()));
    }

    #[test]
    fn registered_claims_go_through_the_strict_check() {
        for custom in [
            r#"{"aud":"api"}"#,
            r#"{"aud":["a","b"]}"#,
            r#"{"auth_time":1700000000}"#,
            r#"{"jti":"j"}"#,
            r#"{"auth_time":1.5}"#,
        ] {
            assert!(!plain(custom), "{custom}");
            assert_eq!(check(custom), "ok true", "{custom}");
        }
        let aud =
            "InvalidClaim invalid claim aud: must be a string or a non-empty array of strings";
        for custom in [
            r#"{"aud":5}"#,
            r#"{"aud":[]}"#,
            r#"{"aud":[1]}"#,
            r#"{"x":1,"aud":{}}"#,
        ] {
            assert_eq!(check(custom), aud, "{custom}");
        }
        let date = "InvalidClaim invalid claim auth_time: must be a number of seconds between 1970 \
                    and 9999";
        assert_eq!(check(r#"{"auth_time":"now"}"#), date);
    }

    #[test]
    fn escapes_and_unusual_numbers_go_through_the_strict_check() {
        for custom in [
            r#"{"a":"x\"y"}"#,
            r#"{"a\\b":1}"#,
            r#"{"a":"\n"}"#,
            r#"{"a":"é\u2028"}"#,
            r#"{"a":1e300}"#,
            r#"{"a":1.5E-7}"#,
            r#"{"a":340282366920938463463374607431768211455}"#,
            r#"{"a":123456789012345678901}"#,
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17}"#,
        ] {
            assert!(!plain(custom), "{custom}");
            assert_eq!(check(custom), "ok true", "{custom}");
        }
        // Escapes the strict decoder refuses, or that spell a name twice.
        assert!(check(r#"{"a":"\ud800"}"#).starts_with("Malformed"));
        assert!(check(r#"{"a":["\udc00"]}"#).starts_with("Malformed"));
        assert_eq!(
            check(r#"{"ab":1,"\u0061b":2}"#),
            "Malformed malformed token: duplicate claim ab"
        );
        assert_eq!(
            check(r#"{"\u0069p":1}"#),
            "InvalidClaim invalid claim ip: is set by the issuer and must not be among the \
             custom claims"
        );
        assert!(check(r#"{"a":1e400}"#).starts_with("Malformed"));
        // What serde_json writes for such values.
        assert_eq!(check(&to_json(&json!({"a": "q\"b\\c\u{1}"}))), "ok true");
        assert_eq!(
            check(&to_json(&json!({"a": 1e300, "b": u64::MAX}))),
            "ok true"
        );
        assert_eq!(check(&to_json(&json!({"a": f64::MIN_POSITIVE}))), "ok true");
        let wide = std::collections::BTreeMap::from([("a", u128::MAX), ("b", 0)]);
        assert_eq!(check(&to_json(&wide)), "ok true");
    }

    #[test]
    fn anything_but_compact_json_goes_through_the_strict_check() {
        for custom in [
            r#"{ "a":1}"#,
            r#"{"a" :1}"#,
            r#"{"a":1 }"#,
            "{\"a\":\t1}",
            r#"{"a":[1, 2]}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":-}"#,
            r#"{"a":+1}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":truex}"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1}"#,
            r#"{"a":{"b":1]}"#,
            r#"{"a":1}}"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a":1,"b"}"#,
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{,"a":1}"#,
            r#"{"a":1"b":2}"#,
            r#"{"a":"unterminated}"#,
            r#"{1:2}"#,
            r#"{"a":[}"#,
            "{\"a\":\"\u{7}\"}",
        ] {
            assert!(!plain(custom), "{custom}");
            check(custom);
        }
        // Nesting the quick pass does not follow, within and beyond serde_json's limit.
        for depth in [31, 32, 33, 126, 127, 200] {
            let custom = format!(r#"{{"a":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
            assert_eq!(plain(&custom), depth < 32, "{depth}");
            let outcome = check(&custom);
            assert_eq!(outcome == "ok true", depth < 127, "{depth}: {outcome}");
        }
    }

    #[test]
    fn payload_is_spliced_as_before() {
        for claims in [
            json!(null),
            json!({}),
            json!({"role": "admin"}),
            json!({"a": {"b": [1, "}"]}, "c": "d"}),
        ] {
            let custom = to_json(&claims);
            let ours = ours();
            let mut expected = ours.json.clone();
            let inner = custom.strip_prefix('{').and_then(|c| c.strip_suffix('}'));
            if let Some(inner) = inner.filter(|i| !i.is_empty()) {
                expected.push(b',');
                expected.extend_from_slice(inner.as_bytes());
            }
            expected.push(b'}');
            assert_eq!(
                String::from_utf8(ours.finish(&claims).unwrap()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
        // With no member of the issuer's own, the object is the claims themselves.
        let none = Members::default();
        assert_eq!(none.finish(&json!({"a": 1})).unwrap(), br#"{"a":1}"#);
        assert_eq!(Members::default().finish(&()).unwrap(), b"{}");
        // A serialisation error is reported as before.
        let mut bad = std::collections::BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let err = ours().finish(&bad).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidClaim);
        assert!(
            err.to_string().starts_with("invalid claim claims: "),
            "{err}"
        );
    }

    #[test]
    fn first_special_byte() {
        let text = b"abcdefgh\"ijklmnopqrstuvwxyz0123456789";
        for len in 0..text.len() {
            for (special, at) in [(b'"', len), (b'\\', len), (0x1f, len), (0, len)] {
                let mut bytes = text.to_vec();
                bytes.retain(|&b| b != b'"');
                bytes.truncate(len + 3);
                if let Some(b) = bytes.get_mut(at) {
                    *b = special;
                }
                let expected = bytes
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                assert_eq!(first_special(&bytes), expected, "{bytes:?}");
            }
        }
        // High bytes (UTF-8) and DEL are ordinary.
        assert_eq!(first_special("ééééé\u{7f}\"".as_bytes()), Some(11));
        assert_eq!(first_special("ééééé\u{7f}".as_bytes()), None);
    }

    /// A signer that only implements `sign`, counting calls.
    struct Plain(SigningKey, std::sync::atomic::AtomicUsize);

    impl Signer for Plain {
        fn algorithm(&self) -> Algorithm {
            self.0.algorithm()
        }
        fn key_id(&self) -> Option<&str> {
            None
        }
        fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Error> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.0.sign_with(self.0.algorithm(), signing_input)
        }
    }

    #[test]
    fn signatures_are_written_into_the_payload_buffer() {
        let clock = FixedClock::at(1_700_000_000);
        let new_key = || SigningKey::hmac(&[9; 64]).unwrap();
        let key = new_key();
        let by_ref = Issuer::new(&key).with_clock(&clock);
        let boxed = Issuer::new(Box::new(new_key())).with_clock(&clock);
        let shared = Issuer::new(std::sync::Arc::new(new_key())).with_clock(&clock);
        let counted = Issuer::new(Plain(new_key(), 0.into())).with_clock(&clock);
        let claims = json!({"role": "x"});
        let first = by_ref.token(&claims).jwt_id("j").sign().unwrap();
        for other in [
            boxed.token(&claims).jwt_id("j").sign().unwrap(),
            shared.token(&claims).jwt_id("j").sign().unwrap(),
            counted.token(&claims).jwt_id("j").sign().unwrap(),
        ] {
            assert_eq!(other, first);
        }
        assert_eq!(
            counted
                .signer()
                .1
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "the default sign_into calls sign"
        );
        let (input, sig) = first.rsplit_once('.').unwrap();
        let expected = key.sign_with(Algorithm::HS256, input.as_bytes()).unwrap();
        assert_eq!(sig, crate::base64url::encode(&expected));
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let key = new_key().with_algorithm(alg).unwrap();
            let mut out = b"prefix".to_vec();
            key.sign_into(b"message", &mut out).unwrap();
            let mut expected = b"prefix".to_vec();
            expected.extend(key.sign_with(alg, b"message").unwrap());
            assert_eq!(out, expected, "{alg}");
        }
        // A key that must not sign refuses through either method, with the same error.
        let mut jwk = key.to_jwk();
        jwk.use_ = Some("enc".into());
        let refused = SigningKey::from_jwk(&jwk).unwrap();
        let mut out = Vec::new();
        let via_into = refused.sign_into(b"m", &mut out).unwrap_err();
        let via_sign = Signer::sign(&refused, b"m").unwrap_err();
        assert_eq!(via_into.to_string(), via_sign.to_string());
        assert_eq!(via_into.kind(), crate::ErrorKind::KeyNotFound);
        assert!(out.is_empty());
    }

    /// Member names that exercise the quick pass and every way out of it.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "a",
                "b",
                "role",
                "ip",
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "x\"y",
                "é",
                "",
                "a\\b",
                "\u{1}",
            ])
            .prop_map(str::to_owned),
            "[a-c{}\\[\\],:\"\\\\ ]{0,4}",
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-c{}\\[\\],:\"\\\\\u{0}\u{1f}é\u{2028} ]{0,10}".prop_map(Value::from),
            Just(json!("x")),
            Just(json!(["a", "b"])),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
                prop::collection::vec((name(), inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn serialised_claims_are_judged_as_before(
            members in prop::collection::vec((name(), value()), 0..6),
            wrap in 0..3u8,
        ) {
            let entries: Vec<(&str, Value)> =
                members.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let custom = match wrap {
                0 => to_json(&Entries(entries)),
                // Non-objects, and objects through serde_json's own map.
                1 => to_json(&entries.first().map_or(Value::Null, |(_, v)| v.clone())),
                _ => to_json(&Value::Object(
                    entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                )),
            };
            check(&custom);
        }

        #[test]
        fn any_text_is_judged_as_before(
            body in "[{}\\[\\]\",:0-9a-z.eE+\\- \\\\]{0,40}",
        ) {
            check(&body);
            check(&format!("{{{body}}}"));
            check(&format!(r#"{{"k":{body}}}"#));
        }
    }
}
