//! Rejections as RFC 6750 §3 says: a status and a `WWW-Authenticate: Bearer` challenge.
//!
//! The status and the `error` code come from tessera's own table ([`ErrorKind::http_status`],
//! [`ErrorKind::bearer_error`]); only `invalid_request`, which concerns the HTTP request rather
//! than a token, is decided here.

use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tessera::{Error, ErrorKind};

/// Longest `error_description` sent, in bytes.
const MAX_DESCRIPTION: usize = 160;

/// `401` with a bare `WWW-Authenticate: Bearer`: the request carried no bearer credentials
/// (RFC 6750 §3.1: no error code then).
pub(crate) fn missing() -> Response {
    let body = serde_json::json!({ "error": "missing_token" });
    respond(
        StatusCode::UNAUTHORIZED,
        Some(HeaderValue::from_static("Bearer")),
        &body,
    )
}

/// `400 invalid_request`: the `Authorization` header is not well formed.
pub(crate) fn invalid_request(description: &str) -> Response {
    let description = quoted_string_safe(description);
    let challenge =
        format!("Bearer error=\"invalid_request\", error_description=\"{description}\"");
    let body = serde_json::json!({
        "error": "invalid_request",
        "error_description": description,
    });
    respond(
        StatusCode::BAD_REQUEST,
        Some(header_value(&challenge)),
        &body,
    )
}

/// The answer to a token that was refused: `401 invalid_token`, `403 insufficient_scope`
/// (naming `scopes` in the challenge), or a `5xx` without a challenge when a key or
/// revocation source could not answer.
///
/// The description is the error's own message, which tessera keeps free of secrets; it is shown
/// only for `4xx` answers, since a `5xx` error may wrap a message from a remote store. The kind's
/// stable code leads it, so clients can match on it.
pub(crate) fn refused(error: &Error, scopes: &[String]) -> Response {
    let kind = error.kind();
    let status =
        StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let Some(code) = kind.bearer_error() else {
        let body = serde_json::json!({ "error": kind.as_str() });
        return respond(status, None, &body);
    };
    let description = quoted_string_safe(&format!("{kind}: {error}"));
    let mut challenge = format!("Bearer error=\"{code}\", error_description=\"{description}\"");
    if kind == ErrorKind::InsufficientScope && !scopes.is_empty() {
        let scope = quoted_string_safe(&scopes.join(" "));
        challenge.push_str(&format!(", scope=\"{scope}\""));
    }
    let body = serde_json::json!({
        "error": code,
        "error_description": description,
    });
    respond(status, Some(header_value(&challenge)), &body)
}

fn respond(
    status: StatusCode,
    challenge: Option<HeaderValue>,
    body: &serde_json::Value,
) -> Response {
    let mut response = (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body.to_string(),
    )
        .into_response();
    if let Some(challenge) = challenge {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}

/// Every byte of the challenge is visible ASCII by construction; a bare challenge stands in
/// should that ever not hold.
fn header_value(challenge: &str) -> HeaderValue {
    HeaderValue::from_str(challenge).unwrap_or(HeaderValue::from_static("Bearer"))
}

/// Makes `text` fit RFC 6750's `error_description` and `scope` grammar (visible ASCII and
/// space, without `"` or `\`), so it can sit inside a quoted-string unescaped: `"` becomes
/// `'`, `\` is dropped, anything else outside the range becomes `?`, and the result is cut to
/// [`MAX_DESCRIPTION`] bytes.
pub(crate) fn quoted_string_safe(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\\')
        .map(|c| match c {
            '"' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .take(MAX_DESCRIPTION)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(response: &Response) -> Option<&str> {
        response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
    }

    #[test]
    fn quoted_string_safe_strips_what_rfc_6750_forbids() {
        assert_eq!(quoted_string_safe("kid \"a\\\"b\"\n\t…é"), "kid 'a'b'????");
        assert_eq!(quoted_string_safe(&"x".repeat(1000)).len(), MAX_DESCRIPTION);
        let all: String = (0u8..=255).map(char::from).collect();
        assert!(quoted_string_safe(&all).bytes().all(|b| b == b' '
            || b == b'!'
            || (0x23..=0x5b).contains(&b)
            || (0x5d..=0x7e).contains(&b)));
    }

    #[test]
    fn every_kind_gets_the_library_status_and_code() {
        let samples = [
            Error::Malformed("x".into()),
            Error::InvalidSignature,
            Error::Expired { exp: 10 },
            Error::InvalidAudience,
            Error::IpMismatch,
            Error::Revoked("jti is on the denylist".into()),
            Error::InsufficientScope("scope".into()),
            Error::KeyUnavailable("down".into()),
            Error::RevocationUnavailable {
                detail: "redis".into(),
                source: Some("password=hunter2".into()),
            },
            Error::InvalidKey("bad".into()),
        ];
        for error in &samples {
            let kind = error.kind();
            let response = refused(error, &["orders:read".to_owned()]);
            assert_eq!(response.status().as_u16(), kind.http_status(), "{kind}");
            match kind.bearer_error() {
                Some(code) => {
                    let value = challenge(&response).unwrap();
                    assert!(
                        value.starts_with(&format!("Bearer error=\"{code}\", ")),
                        "{value}"
                    );
                    assert!(
                        value.contains(&format!("error_description=\"{kind}: ")),
                        "{value}"
                    );
                    assert_eq!(
                        value.contains("scope=\"orders:read\""),
                        kind == ErrorKind::InsufficientScope,
                        "{value}"
                    );
                }
                None => assert_eq!(challenge(&response), None, "{kind}"),
            }
        }
    }

    #[test]
    fn bare_and_invalid_request_challenges() {
        let response = missing();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(challenge(&response), Some("Bearer"));

        let response = invalid_request("more than one \"Authorization\" header");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            challenge(&response),
            Some(
                "Bearer error=\"invalid_request\", \
                 error_description=\"more than one 'Authorization' header\""
            )
        );
    }
}
