//! Claim values: dates, audiences, and the registered claims of RFC 7519 §4.1.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::Error;

/// A JSON numeric date (RFC 7519 §2): seconds since the Unix epoch, possibly fractional.
///
/// Values are limited to `0 ..= 253402300799` (year 9999); anything else, and any JSON value
/// that is not a number, is an invalid claim rather than an absent one.
///
/// ```
/// use tessera::NumericDate;
/// let d = NumericDate::from_secs(1_300_819_380).unwrap();
/// assert_eq!(d.as_secs(), 1_300_819_380);
/// assert!(NumericDate::from_secs(-1).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NumericDate {
    secs: i64,
    nanos: u32,
}

impl NumericDate {
    /// The largest accepted value, 9999-12-31T23:59:59Z.
    pub const MAX_SECS: i64 = 253_402_300_799;

    /// The Unix epoch.
    pub const EPOCH: NumericDate = NumericDate { secs: 0, nanos: 0 };

    /// A date from whole seconds since the epoch.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] when out of range.
    pub fn from_secs(secs: i64) -> Result<Self, Error> {
        Self::checked(secs).ok_or_else(|| Error::invalid_claim("date", "out of range"))
    }

    /// A date from whole seconds, if in range.
    #[inline]
    pub(crate) const fn checked(secs: i64) -> Option<Self> {
        if secs >= 0 && secs <= Self::MAX_SECS {
            Some(NumericDate { secs, nanos: 0 })
        } else {
            None
        }
    }

    /// A date from fractional seconds since the epoch.
    ///
    /// # Errors
    /// [`Error::InvalidClaim`] when not finite or out of range.
    pub fn from_f64(secs: f64) -> Result<Self, Error> {
        if !(secs.is_finite() && secs >= 0.0 && secs < (Self::MAX_SECS as f64) + 1.0) {
            return Err(Error::invalid_claim("date", "out of range"));
        }
        let whole = secs.trunc();
        let nanos = ((secs - whole) * 1e9) as u32;
        Ok(NumericDate {
            secs: whole as i64,
            nanos: nanos.min(999_999_999),
        })
    }

    /// The date closest to `secs` within range.
    pub(crate) fn clamped(secs: i64) -> Self {
        NumericDate {
            secs: secs.clamp(0, Self::MAX_SECS),
            nanos: 0,
        }
    }

    /// The current system time.
    #[inline]
    pub fn now() -> Self {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        NumericDate {
            secs: i64::try_from(since.as_secs())
                .unwrap_or(i64::MAX)
                .min(Self::MAX_SECS),
            nanos: since.subsec_nanos(),
        }
    }

    /// Whole seconds since the epoch (the fraction is dropped).
    pub const fn as_secs(self) -> i64 {
        self.secs
    }

    /// The sub-second part, in nanoseconds.
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// This date moved by `secs` seconds, clamped to the accepted range.
    #[must_use]
    #[inline]
    pub fn add_secs(self, secs: i64) -> Self {
        let moved = self.secs.saturating_add(secs);
        if moved > Self::MAX_SECS {
            NumericDate {
                secs: Self::MAX_SECS,
                nanos: 0,
            }
        } else if moved < 0 {
            Self::EPOCH
        } else {
            NumericDate {
                secs: moved,
                nanos: self.nanos,
            }
        }
    }

    /// Whole seconds from `earlier` to `self` (negative if `earlier` is later).
    #[inline]
    pub fn secs_since(self, earlier: NumericDate) -> i64 {
        let mut d = self.secs - earlier.secs;
        if self.nanos < earlier.nanos {
            d -= 1;
        }
        d
    }
}

impl fmt::Debug for NumericDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            write!(f, "NumericDate({})", self.secs)
        } else {
            write!(f, "NumericDate({}.{:09})", self.secs, self.nanos)
        }
    }
}

impl fmt::Display for NumericDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.secs)
    }
}

impl From<NumericDate> for time::OffsetDateTime {
    fn from(d: NumericDate) -> Self {
        // In range by construction: 0 ..= year 9999.
        time::OffsetDateTime::UNIX_EPOCH
            + time::Duration::new(d.secs, i32::try_from(d.nanos).unwrap_or(0))
    }
}

impl TryFrom<time::OffsetDateTime> for NumericDate {
    type Error = Error;
    fn try_from(t: time::OffsetDateTime) -> Result<Self, Error> {
        let secs = t.unix_timestamp();
        Ok(NumericDate {
            nanos: t.nanosecond(),
            ..NumericDate::from_secs(secs)?
        })
    }
}

impl TryFrom<SystemTime> for NumericDate {
    type Error = Error;
    fn try_from(t: SystemTime) -> Result<Self, Error> {
        let since = t
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::invalid_claim("date", "before the epoch"))?;
        let secs = i64::try_from(since.as_secs())
            .map_err(|_| Error::invalid_claim("date", "out of range"))?;
        Ok(NumericDate {
            nanos: since.subsec_nanos(),
            ..NumericDate::from_secs(secs)?
        })
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.nanos == 0 {
            s.serialize_i64(self.secs)
        } else {
            s.serialize_f64(self.secs as f64 + f64::from(self.nanos) / 1e9)
        }
    }
}

pub(crate) struct NumericDateVisitor;

impl Visitor<'_> for NumericDateVisitor {
    type Value = NumericDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NumericDate (seconds since the epoch)")
    }

    #[inline]
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
        i64::try_from(v)
            .ok()
            .and_then(NumericDate::checked)
            .ok_or_else(|| E::custom("date out of range"))
    }

    #[inline]
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
        NumericDate::checked(v).ok_or_else(|| E::custom("date out of range"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
        NumericDate::from_f64(v).map_err(|_| E::custom("date out of range"))
    }
}

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumericDateVisitor)
    }
}

/// The `aud` claim: one audience or several (RFC 7519 §4.1.3).
///
/// An empty array, or an array holding anything but strings, is an invalid claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    /// A single audience, serialised as a string.
    One(String),
    /// Several audiences, serialised as an array.
    Many(Vec<String>),
}

impl Audience {
    /// The audiences as a slice.
    pub fn as_slice(&self) -> &[String] {
        match self {
            Audience::One(a) => std::slice::from_ref(a),
            Audience::Many(v) => v,
        }
    }

    /// Whether `aud` is one of the audiences.
    pub fn contains(&self, aud: &str) -> bool {
        self.as_slice().iter().any(|a| a == aud)
    }
}

impl From<&str> for Audience {
    fn from(a: &str) -> Self {
        Audience::One(a.to_owned())
    }
}

impl From<String> for Audience {
    fn from(a: String) -> Self {
        Audience::One(a)
    }
}

impl From<Vec<String>> for Audience {
    fn from(v: Vec<String>) -> Self {
        Audience::Many(v)
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Audience::One(a) => s.serialize_str(a),
            Audience::Many(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Audience;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a non-empty array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Audience, E> {
                Ok(Audience::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Audience, A::Error> {
                let mut all = Vec::new();
                while let Some(a) = seq.next_element::<String>()? {
                    all.push(a);
                }
                if all.is_empty() {
                    return Err(de::Error::custom("empty audience array"));
                }
                Ok(Audience::Many(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// The registered claims of RFC 7519 §4.1, owned: what an [`Issuer`](crate::Issuer) writes and what
/// [`UntrustedToken`](crate::UntrustedToken) shows. A verified token exposes the same values
/// through [`Verified`](crate::Verified)'s accessors without copying them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClaims {
    /// `iss`: who issued the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// `sub`: whom the token is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `aud`: whom the token is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// `exp`: when the token expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<NumericDate>,
    /// `nbf`: when the token becomes valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<NumericDate>,
    /// `iat`: when the token was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<NumericDate>,
    /// `jti`: the token's unique identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_date_parsing() {
        let d: NumericDate = serde_json::from_str("1300819380").unwrap();
        assert_eq!(d.as_secs(), 1_300_819_380);
        let f: NumericDate = serde_json::from_str("1300819380.5").unwrap();
        assert_eq!(
            (f.as_secs(), f.subsec_nanos()),
            (1_300_819_380, 500_000_000)
        );
        assert!(f > d);
        for bad in [
            "\"1300819380\"",
            "true",
            "null",
            "[1]",
            "-1",
            "1e300",
            "253402300800",
            "{}",
        ] {
            assert!(serde_json::from_str::<NumericDate>(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&d).unwrap(), "1300819380");
    }

    #[test]
    fn numeric_date_arithmetic() {
        let d = NumericDate::from_secs(100).unwrap();
        assert_eq!(d.add_secs(-200), NumericDate::EPOCH);
        assert_eq!(d.add_secs(i64::MAX).as_secs(), NumericDate::MAX_SECS);
        let f = NumericDate::from_f64(99.5).unwrap();
        assert_eq!(d.secs_since(f), 0);
        assert_eq!(f.secs_since(d), -1);
        let t: time::OffsetDateTime = d.into();
        assert_eq!(NumericDate::try_from(t).unwrap(), d);
    }

    #[test]
    fn audience_forms() {
        let one: Audience = serde_json::from_str("\"a\"").unwrap();
        assert_eq!(one, Audience::One("a".into()));
        let many: Audience = serde_json::from_str("[\"a\",\"b\"]").unwrap();
        assert!(many.contains("b") && !many.contains("c"));
        for bad in ["[]", "[\"a\",1]", "1", "null", "[null]"] {
            assert!(serde_json::from_str::<Audience>(bad).is_err(), "{bad}");
        }
    }
}
