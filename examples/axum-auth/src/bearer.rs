//! Reading `Authorization: Bearer <token>` (RFC 6750 §2.1).
//!
//! ```text
//! credentials = "Bearer" 1*SP b64token
//! b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! The scheme is matched without regard to case (RFC 9110 §11.1). The header may appear once.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

/// What the request's `Authorization` header holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    /// No `Authorization` header, or one for another scheme (`Basic`, …): the client did not
    /// try bearer authentication, so the answer is a bare challenge.
    Absent,
    /// A syntactically valid bearer token (not verified yet).
    Bearer(&'a str),
}

/// Why an `Authorization` header is not acceptable (`400 invalid_request`). The text is fixed:
/// nothing from the request is echoed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// Reads the bearer credentials of a request.
pub(crate) fn credentials(headers: &HeaderMap) -> Result<Credentials<'_>, Malformed> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(Credentials::Absent);
    };
    if values.next().is_some() {
        return Err(Malformed("more than one Authorization header"));
    }
    let value = value
        .to_str()
        .map_err(|_| Malformed("the Authorization header is not visible ASCII"))?;
    parse(value)
}

/// Parses one `Authorization` header value.
pub(crate) fn parse(value: &str) -> Result<Credentials<'_>, Malformed> {
    let (scheme, rest) = match value.split_once(' ') {
        Some((scheme, rest)) => (scheme, Some(rest)),
        None => (value, None),
    };
    if !is_token(scheme) {
        return Err(Malformed(
            "the Authorization header does not start with a scheme",
        ));
    }
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Ok(Credentials::Absent);
    }
    let token = rest
        .map(|rest| rest.trim_start_matches(' '))
        .filter(|token| !token.is_empty())
        .ok_or(Malformed("the Bearer scheme is not followed by a token"))?;
    if is_b64token(token) {
        Ok(Credentials::Bearer(token))
    } else {
        Err(Malformed(
            "the bearer token is not a single b64token (RFC 6750 section 2.1)",
        ))
    }
}

/// An RFC 9110 `token`: `1*tchar`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn accepts_bearer_in_any_case() {
        for value in [
            "Bearer a.b.c",
            "bearer a.b.c",
            "BEARER a.b.c",
            "bEaReR a.b.c",
        ] {
            assert_eq!(parse(value), Ok(Credentials::Bearer("a.b.c")), "{value}");
        }
        assert_eq!(
            parse("Bearer  x-y_z~+/9=="),
            Ok(Credentials::Bearer("x-y_z~+/9==")),
            "1*SP before the token"
        );
    }

    #[test]
    fn other_schemes_are_absent_credentials() {
        for value in [
            "Basic dXNlcjpwYXNz",
            "Digest username=\"x\"",
            "Negotiate",
            "Bearerx a",
        ] {
            assert_eq!(parse(value), Ok(Credentials::Absent), "{value}");
        }
    }

    #[test]
    fn rejects_malformed_bearer_values() {
        for value in [
            "",
            " Bearer a.b.c",
            "Bearer",
            "Bearer ",
            "Bearer   ",
            "Bearer a.b.c ",
            "Bearer a.b.c d",
            "Bearer a.b.c,realm=x",
            "Bearer \"a.b.c\"",
            "Bearer a=b",
            "Bearer ==",
            "Bearer a.b.c\t",
            "Bearer\ta.b.c",
            "Bearer a%2Eb",
        ] {
            assert!(parse(value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn header_map_rules() {
        let mut headers = HeaderMap::new();
        assert_eq!(credentials(&headers), Ok(Credentials::Absent));

        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        assert_eq!(credentials(&headers), Ok(Credentials::Bearer("t")));

        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer u"));
        assert!(credentials(&headers).is_err(), "two Authorization headers");

        let mut headers = HeaderMap::new();
        let latin1 = HeaderValue::from_bytes(b"Bearer \xe9t\xe9").unwrap();
        headers.insert(AUTHORIZATION, latin1);
        assert!(credentials(&headers).is_err(), "obs-text in the header");
    }
}
