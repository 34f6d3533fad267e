//! What a verifier accepts: one builder, safe by default, loosened only by named calls.

use std::any::{Any, TypeId};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

#[cfg(test)]
use crate::Algorithm;
use crate::{AlgorithmSet, Error};

/// Tokens longer than this are rejected before any decoding, unless the policy says otherwise.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, unless the policy says otherwise.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// The claim that carries an IP binding, unless the policy says otherwise.
pub const DEFAULT_IP_CLAIM: &str = "ip";

/// How `aud` is matched against the configured audiences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AudienceMatch {
    /// At least one of the token's audiences is configured.
    Any,
    /// Every configured audience is among the token's audiences.
    All,
}

/// Whether tokens must carry an IP binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpBindingMode {
    /// Every token must be bound; an unbound token is `missing_claim`.
    Required,
    /// A bound token is checked; an unbound one passes.
    WhenPresent,
}

/// A check on one claim's JSON value.
#[derive(Debug, Clone)]
enum ValueCheck {
    Equals(Value),
    OneOf(Vec<Value>),
    Contains(Value),
    Scopes(Vec<Box<str>>),
}

type Predicate = Arc<dyn Fn(&dyn Any) -> bool + Send + Sync>;

/// A check on the caller's typed claims.
#[derive(Clone)]
struct TypedCheck {
    name: Box<str>,
    type_id: TypeId,
    predicate: Predicate,
}

/// A claim the policy inspects by name.
#[derive(Debug, Clone)]
pub(crate) struct Watched {
    required: bool,
    checks: Vec<ValueCheck>,
    ip: bool,
}

/// A verification policy: which algorithms, issuers, audiences, lifetimes and claims a verifier
/// accepts. Built once and shared (it is `Send + Sync` and cheap to clone).
///
/// # Defaults
/// | check | default |
/// |---|---|
/// | algorithms | only those given to [`Policy::new`]; `none` cannot be expressed |
/// | `exp` | required ([`Policy::allow_missing_exp`] waives it) |
/// | `nbf`, `iat` | checked when present; `iat` in the future is rejected |
/// | leeway | 30 s ([`Policy::leeway`]) |
/// | `iss`, `aud`, `sub`, `typ` | once configured, required and matched exactly; a token carrying `aud` is rejected when no audience is configured |
/// | size | 16 KiB ([`Policy::max_token_bytes`]) |
///
/// # Security
/// Each loosening call says what it risks:
/// - [`Policy::allow_missing_exp`]: a token without `exp` is valid forever; a leaked one cannot
///   expire. Pair it with revocation or [`Policy::max_age`].
/// - [`Policy::leeway`]: a larger leeway keeps expired tokens alive for that long.
/// - [`Policy::max_token_bytes`]: a larger limit lets anyone make the verifier decode more.
/// - [`Policy::ignore_audience`]: tokens minted for another service are accepted here.
///
/// ```
/// use std::time::Duration;
/// use tessera::{Algorithm, Policy};
/// let policy = Policy::new([Algorithm::ES256, Algorithm::EdDSA])
///     .issuer("https://auth.example.com")
///     .audience("orders-api")
///     .max_lifetime(Duration::from_secs(15 * 60))
///     .require_scopes(["orders:read"]);
/// # let _ = policy;
/// ```
#[derive(Clone)]
pub struct Policy {
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) leeway: i64,
    pub(crate) require_exp: bool,
    pub(crate) max_lifetime: Option<i64>,
    pub(crate) max_age: Option<i64>,
    pub(crate) issuers: Vec<Box<str>>,
    pub(crate) audiences: Vec<Box<str>>,
    audience_match: AudienceMatch,
    pub(crate) ignore_audience: bool,
    pub(crate) subject: Option<Box<str>>,
    pub(crate) typ: Option<Box<str>>,
    pub(crate) max_token_bytes: usize,
    pub(crate) require_jti: bool,
    pub(crate) ip_mode: Option<IpBindingMode>,
    pub(crate) ip_claim: Box<str>,
    /// Names of claims inspected by value, in the order of `watched`.
    pub(crate) watched_names: Vec<Box<str>>,
    watched: Vec<Watched>,
    typed: Vec<TypedCheck>,
}

impl Policy {
    /// A policy accepting exactly `algorithms`, with every other check at its safe default.
    ///
    /// An empty set rejects every token (`algorithm_not_allowed`).
    pub fn new(algorithms: impl Into<AlgorithmSet>) -> Self {
        Policy {
            algorithms: algorithms.into(),
            leeway: DEFAULT_LEEWAY.as_secs() as i64,
            require_exp: true,
            max_lifetime: None,
            max_age: None,
            issuers: Vec::new(),
            audiences: Vec::new(),
            audience_match: AudienceMatch::Any,
            ignore_audience: false,
            subject: None,
            typ: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            require_jti: false,
            ip_mode: None,
            ip_claim: DEFAULT_IP_CLAIM.into(),
            watched_names: Vec::new(),
            watched: Vec::new(),
            typed: Vec::new(),
        }
    }

    /// The accepted algorithms.
    pub fn algorithms(&self) -> AlgorithmSet {
        self.algorithms
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default 30 s).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = secs(leeway);
        self
    }

    /// Accepts tokens without `exp`. See the Security section: such tokens never expire.
    #[must_use]
    pub fn allow_missing_exp(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// Rejects tokens whose lifetime, `exp - iat` (and `exp - nbf` when `nbf` is present), exceeds
    /// `max` (`lifetime_too_long`). Under this policy tokens need `iat` and `exp`
    /// (`missing_claim`).
    #[must_use]
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = Some(secs(max));
        self
    }

    /// Rejects tokens issued more than `max` ago (`too_old`). Under this policy tokens need
    /// `iat` (`missing_claim`).
    #[must_use]
    pub fn max_age(mut self, max: Duration) -> Self {
        self.max_age = Some(secs(max));
        self
    }

    /// Accepts tokens from `issuer` (call again to accept several). Once any issuer is set,
    /// `iss` is required and must equal one of them exactly.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into().into_boxed_str());
        self
    }

    /// Accepts tokens for `audience` (call again to accept several): a token is accepted when
    /// one of its audiences is configured. Once any audience is set, `aud` is required.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into().into_boxed_str());
        self
    }

    /// Requires a token's audiences to include **every** configured audience, rather than any.
    #[must_use]
    pub fn require_all_audiences(mut self) -> Self {
        self.audience_match = AudienceMatch::All;
        self
    }

    /// Accepts tokens whatever their `aud`. See the Security section.
    #[must_use]
    pub fn ignore_audience(mut self) -> Self {
        self.ignore_audience = true;
        self
    }

    /// Requires `sub` to equal `subject`.
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into().into_boxed_str());
        self
    }

    /// Requires the `typ` header to be `typ` (RFC 8725 §3.11), compared without regard to ASCII
    /// case and with an `application/` prefix ignored (RFC 7515 §4.1.9): `at+jwt` matches
    /// `application/AT+JWT`. An absent `typ` is then `invalid_type`.
    #[must_use]
    pub fn token_type(mut self, typ: impl Into<String>) -> Self {
        let typ = typ.into();
        self.typ = Some(normalise_typ(&typ).to_ascii_lowercase().into_boxed_str());
        self
    }

    /// Rejects tokens longer than `bytes` before decoding anything (default 16 KiB).
    #[must_use]
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Requires a `jti`, so that every accepted token can be revoked individually.
    #[must_use]
    pub fn require_jti(mut self) -> Self {
        self.require_jti = true;
        self
    }

    /// Requires the claim `name` to be present (`missing_claim` otherwise).
    #[must_use]
    pub fn require_claim(mut self, name: impl Into<String>) -> Self {
        self.watch(name.into()).required = true;
        self
    }

    /// Requires the claim `name` to equal `value` (JSON equality; `invalid_claim` otherwise,
    /// `missing_claim` when absent).
    #[must_use]
    pub fn claim_equals(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let w = self.watch(name.into());
        w.required = true;
        w.checks.push(ValueCheck::Equals(value.into()));
        self
    }

    /// Requires the claim `name` to equal one of `values`.
    #[must_use]
    pub fn claim_one_of<V: Into<Value>>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let w = self.watch(name.into());
        w.required = true;
        w.checks.push(ValueCheck::OneOf(
            values.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// Requires the claim `name` to be an array containing `value`.
    #[must_use]
    pub fn claim_contains(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let w = self.watch(name.into());
        w.required = true;
        w.checks.push(ValueCheck::Contains(value.into()));
        self
    }

    /// Requires the OAuth `scope` claim (a space-delimited string, RFC 8693 §4.2) to contain every
    /// one of `scopes`; a token lacking one is `insufficient_scope` (HTTP 403), one without the
    /// claim `missing_claim`.
    #[must_use]
    pub fn require_scopes<S: Into<String>>(self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.require_scopes_in("scope", scopes)
    }

    /// Like [`Policy::require_scopes`], for a space-delimited claim of another name.
    #[must_use]
    pub fn require_scopes_in<S: Into<String>>(
        mut self,
        name: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        let w = self.watch(name.into());
        w.required = true;
        w.checks.push(ValueCheck::Scopes(
            scopes
                .into_iter()
                .map(|s| s.into().into_boxed_str())
                .collect(),
        ));
        self
    }

    /// Requires `predicate` to hold for the caller's typed claims `T`; a failure is
    /// `invalid_claim` naming `name`. Tokens verified as any other type than `T` fail closed.
    ///
    /// ```
    /// # use tessera::*;
    /// #[derive(serde::Deserialize)]
    /// struct Claims { role: String }
    /// let policy = Policy::new([Algorithm::HS256])
    ///     .claim_predicate("role", |c: &Claims| c.role == "admin");
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn claim_predicate<T: 'static>(
        mut self,
        name: impl Into<String>,
        predicate: impl Fn(&T) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.typed.push(TypedCheck {
            name: name.into().into_boxed_str(),
            type_id: TypeId::of::<T>(),
            predicate: Arc::new(move |any| any.downcast_ref::<T>().is_some_and(&predicate)),
        });
        self
    }

    /// Checks the IP binding claim against the request's client address (see
    /// [`VerifyContext::client_ip`](crate::VerifyContext::client_ip)). The claim holds an address,
    /// a CIDR network, or an array of them, IPv4 or IPv6; IPv4-mapped IPv6 addresses are compared
    /// as IPv4. A bound token verified without a client address fails closed (`ip_mismatch`).
    #[must_use]
    pub fn ip_binding(mut self, mode: IpBindingMode) -> Self {
        self.ip_mode = Some(mode);
        let name = self.ip_claim.to_string();
        let w = self.watch(name);
        w.ip = true;
        w.required |= mode == IpBindingMode::Required;
        self
    }

    /// The claim that carries the IP binding (default `ip`). Call before [`Policy::ip_binding`].
    #[must_use]
    pub fn ip_claim(mut self, name: impl Into<String>) -> Self {
        self.ip_claim = name.into().into_boxed_str();
        self
    }

    fn watch(&mut self, name: String) -> &mut Watched {
        let index = match self.watched_names.iter().position(|n| **n == *name) {
            Some(i) => i,
            None => {
                self.watched_names.push(name.into_boxed_str());
                self.watched.push(Watched {
                    required: false,
                    checks: Vec::new(),
                    ip: false,
                });
                self.watched.len() - 1
            }
        };
        // In bounds: the index was found in, or just pushed onto, the parallel vectors.
        #[allow(clippy::indexing_slicing)]
        &mut self.watched[index]
    }

    /// Whether typed predicates exist (skips the `Any` work otherwise).
    pub(crate) fn has_typed_checks(&self) -> bool {
        !self.typed.is_empty()
    }

    /// Runs the typed predicates against the decoded claims.
    pub(crate) fn check_typed<T: 'static>(&self, claims: &T) -> Result<(), Error> {
        for check in &self.typed {
            let holds = check.type_id == TypeId::of::<T>() && (check.predicate)(claims);
            if !holds {
                return Err(Error::InvalidClaim {
                    claim: check.name.to_string().into(),
                    reason: "rejected by the policy's predicate".into(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn typ_matches(&self, typ: Option<&str>) -> Result<(), Error> {
        match (&self.typ, typ) {
            (None, _) => Ok(()),
            (Some(want), Some(got)) if normalise_typ(got).eq_ignore_ascii_case(want) => Ok(()),
            _ => Err(Error::InvalidType),
        }
    }

    pub(crate) fn audience_matches(
        &self,
        token_auds: Option<&[std::borrow::Cow<'_, str>]>,
    ) -> Result<(), Error> {
        if self.ignore_audience {
            return Ok(());
        }
        let ok = match token_auds {
            None => self.audiences.is_empty(),
            Some(_) if self.audiences.is_empty() => false,
            Some(auds) => match self.audience_match {
                AudienceMatch::Any => auds
                    .iter()
                    .any(|a| self.audiences.iter().any(|c| **c == **a)),
                AudienceMatch::All => self
                    .audiences
                    .iter()
                    .all(|c| auds.iter().any(|a| **a == **c)),
            },
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidAudience)
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("require_exp", &self.require_exp)
            .field("max_lifetime", &self.max_lifetime)
            .field("max_age", &self.max_age)
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("subject", &self.subject)
            .field("typ", &self.typ)
            .field("max_token_bytes", &self.max_token_bytes)
            .field("ip_mode", &self.ip_mode)
            .field("watched", &self.watched_names)
            .field(
                "typed_checks",
                &self.typed.iter().map(|t| &t.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Drops an `application/` prefix (any case) when what follows has no other `/`.
fn normalise_typ(typ: &str) -> &str {
    const PREFIX: &str = "application/";
    match typ.get(..PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX) => {
            let rest = typ.get(PREFIX.len()..).unwrap_or_default();
            if rest.contains('/') { typ } else { rest }
        }
        _ => typ,
    }
}

/// Per-token state of the value checks, filled while the claims are decoded.
pub(crate) struct WatchState<'p> {
    policy: &'p Policy,
    client_ip: Option<IpAddr>,
    present: u64,
    present_more: Vec<usize>,
    first_error: Option<Error>,
}

impl<'p> WatchState<'p> {
    pub(crate) fn new(policy: &'p Policy, client_ip: Option<IpAddr>) -> Self {
        WatchState {
            policy,
            client_ip,
            present: 0,
            present_more: Vec::new(),
            first_error: None,
        }
    }

    /// Sees the value of watched claim `index`.
    pub(crate) fn observe(&mut self, index: usize, value: &Value) {
        if index < 64 {
            self.present |= 1 << index;
        } else {
            self.present_more.push(index);
        }
        if self.first_error.is_some() {
            return;
        }
        let (Some(name), Some(watched)) = (
            self.policy.watched_names.get(index),
            self.policy.watched.get(index),
        ) else {
            return;
        };
        let result = watched
            .checks
            .iter()
            .try_for_each(|c| check_value(name, c, value))
            .and_then(|()| {
                if watched.ip {
                    check_ip(name, value, self.client_ip)
                } else {
                    Ok(())
                }
            });
        if let Err(e) = result {
            self.first_error = Some(e);
        }
    }

    /// After decoding: the first failed check, or the first required claim that was absent.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if let Some(e) = self.first_error {
            return Err(e);
        }
        for (i, (name, w)) in self
            .policy
            .watched_names
            .iter()
            .zip(&self.policy.watched)
            .enumerate()
        {
            let seen = if i < 64 {
                self.present & (1 << i) != 0
            } else {
                self.present_more.contains(&i)
            };
            if w.required && !seen {
                return Err(Error::MissingClaim(name.to_string().into()));
            }
        }
        Ok(())
    }
}

fn check_value(name: &str, check: &ValueCheck, value: &Value) -> Result<(), Error> {
    let ok = match check {
        ValueCheck::Equals(want) => value == want,
        ValueCheck::OneOf(wants) => wants.iter().any(|w| w == value),
        ValueCheck::Contains(want) => value.as_array().is_some_and(|a| a.contains(want)),
        ValueCheck::Scopes(wants) => value
            .as_str()
            .is_some_and(|s| wants.iter().all(|w| s.split(' ').any(|have| have == &**w))),
    };
    if ok {
        Ok(())
    } else if let ValueCheck::Scopes(_) = check {
        Err(Error::InsufficientScope(name.to_owned().into()))
    } else {
        Err(Error::InvalidClaim {
            claim: name.to_owned().into(),
            reason: match check {
                ValueCheck::Equals(_) => "does not have the required value".into(),
                ValueCheck::OneOf(_) => "is not one of the accepted values".into(),
                ValueCheck::Contains(_) => "does not contain the required value".into(),
                ValueCheck::Scopes(_) => "lacks a required scope".into(),
            },
        })
    }
}

/// An address or CIDR network a token can be bound to.
///
/// ```
/// use tessera::IpNetwork;
/// let net: IpNetwork = "2001:db8::/32".parse()?;
/// assert!(net.contains("2001:db8::1".parse().unwrap()));
/// let one: IpNetwork = "203.0.113.7".parse()?;
/// assert!(one.contains("::ffff:203.0.113.7".parse().unwrap()));
/// # Ok::<(), tessera::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// A network of `prefix` bits. IPv4-mapped IPv6 addresses are taken as IPv4.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] when the prefix is longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, Error> {
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) if prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
                Some(_) => (addr, prefix),
                None => (addr, prefix),
            },
            IpAddr::V4(_) => (addr, prefix),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(Error::invalid_claim("ip", "prefix longer than the address"));
        }
        Ok(IpNetwork { addr, prefix })
    }

    /// Whether `ip` is in the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl From<IpAddr> for IpNetwork {
    fn from(addr: IpAddr) -> Self {
        let addr = addr.to_canonical();
        IpNetwork {
            addr,
            prefix: if addr.is_ipv4() { 32 } else { 128 },
        }
    }
}

impl std::str::FromStr for IpNetwork {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::invalid_claim("ip", "not an IP address or CIDR network");
        match s.split_once('/') {
            None => Ok(IpNetwork::from(s.parse::<IpAddr>().map_err(|_| bad())?)),
            Some((addr, prefix)) => {
                let addr: IpAddr = addr.parse().map_err(|_| bad())?;
                if prefix.is_empty()
                    || prefix.len() > 3
                    || !prefix.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(bad());
                }
                IpNetwork::new(addr, prefix.parse().map_err(|_| bad())?)
            }
        }
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let full = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == full {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

fn check_ip(name: &str, value: &Value, client: Option<IpAddr>) -> Result<(), Error> {
    let invalid = || Error::InvalidClaim {
        claim: name.to_owned().into(),
        reason: "must be an IP address, a CIDR network, or a non-empty array of them".into(),
    };
    // Every entry must parse; the client must be in at least one.
    let matches = |v: &Value| -> Result<bool, Error> {
        let network = v
            .as_str()
            .and_then(|s| s.parse::<IpNetwork>().ok())
            .ok_or_else(invalid)?;
        Ok(client.is_some_and(|ip| network.contains(ip)))
    };
    let bound = match value {
        Value::String(_) => matches(value)?,
        Value::Array(items) if !items.is_empty() && items.len() <= 64 => {
            let mut any = false;
            for item in items {
                any |= matches(item)?;
            }
            any
        }
        _ => return Err(invalid()),
    };
    if bound {
        Ok(())
    } else {
        Err(Error::IpMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typ_normalisation() {
        let p = Policy::new([Algorithm::HS256]).token_type("at+jwt");
        for ok in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            assert!(p.typ_matches(Some(ok)).is_ok(), "{ok}");
        }
        for bad in ["jwt", "at+jwt ", "application/x/at+jwt", "text/at+jwt"] {
            assert!(p.typ_matches(Some(bad)).is_err(), "{bad}");
        }
        assert!(p.typ_matches(None).is_err());
        assert!(Policy::new([Algorithm::HS256]).typ_matches(None).is_ok());
    }

    #[test]
    fn networks() {
        let n: IpNetwork = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains("10.1.200.3".parse().unwrap()));
        assert!(!n.contains("10.2.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.0.9".parse().unwrap()));
        let all: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        assert!(!all.contains("2001:db8::1".parse().unwrap()));
        let mapped: IpNetwork = "::ffff:192.0.2.0/120".parse().unwrap();
        assert_eq!(mapped.to_string(), "192.0.2.0/24");
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "x",
            "10.0.0.0/0008",
        ] {
            assert!(bad.parse::<IpNetwork>().is_err(), "{bad}");
        }
    }
}
