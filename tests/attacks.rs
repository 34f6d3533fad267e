//! Hostile input: each case is rejected with the right kind, and nothing panics.
//!
//! Cases that need RSA, EC or Ed25519 keys live in `tests/attacks_asymmetric.rs`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tessera::{Algorithm, ErrorKind, FixedClock, Policy, SigningKey, UntrustedToken, Verifier};

fn verifier() -> Verifier<tessera::VerifyingKey, tessera::NoRevocation, FixedClock> {
    Verifier::new(
        hs256().verifying_key().with_key_id("k1"),
        Policy::new([Algorithm::HS256])
            .issuer("https://issuer.example")
            .audience("api"),
    )
    .with_clock(FixedClock::at(NOW))
}

fn kind(token: &str) -> ErrorKind {
    verifier().verify::<Value>(token).unwrap_err().kind()
}

fn signed(header: &str, claims: &str) -> String {
    sign_raw(&hs256(), Algorithm::HS256, header, claims)
}

/// A token with arbitrary header and payload bytes and a valid HS256 signature over them.
fn signed_bytes(header: &[u8], claims: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let sig = hs256()
        .sign_with(Algorithm::HS256, input.as_bytes())
        .unwrap();
    format!("{input}.{}", b64(sig))
}

const H: &str = r#"{"alg":"HS256"}"#;

#[test]
fn baseline_is_accepted() {
    assert!(verifier().verify::<Value>(&signed(H, &claims(""))).is_ok());
}

#[test]
fn alg_none_in_every_spelling() {
    for alg in [
        "none",
        "None",
        "NONE",
        "nOnE",
        "none ",
        " none",
        "none\u{0}",
    ] {
        let header = serde_json::json!({ "alg": alg }).to_string();
        let body = format!("{}.{}", b64(&header), b64(claims("")));
        for token in [
            format!("{body}."),
            format!("{body}.AAAA"),
            signed(&header, &claims("")),
        ] {
            assert_eq!(kind(&token), ErrorKind::UnsupportedAlgorithm, "{alg:?}");
        }
    }
    // The RFC 7515 A.5 unsecured token.
    let a5 = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
    assert_eq!(kind(a5), ErrorKind::UnsupportedAlgorithm);
    // Other names and algorithms the crate does not implement.
    for alg in ["ES512", "hs256", "HS256\u{200b}", "RSA-OAEP", "", "dir"] {
        let header = serde_json::json!({ "alg": alg }).to_string();
        assert_eq!(
            kind(&signed(&header, &claims(""))),
            ErrorKind::UnsupportedAlgorithm,
            "{alg:?}"
        );
    }
}

#[test]
fn empty_and_truncated_signatures() {
    let token = signed(H, &claims(""));
    let (body, sig) = token.rsplit_once('.').unwrap();
    assert_eq!(kind(&format!("{body}.")), ErrorKind::InvalidSignature);
    for cut in [1, 4, 10, sig.len() - 1] {
        let t = format!("{body}.{}", &sig[..sig.len() - cut]);
        let k = kind(&t);
        assert!(
            k == ErrorKind::InvalidSignature || k == ErrorKind::Malformed,
            "cut {cut}: {k}"
        );
    }
    // Signature of the right length for another message.
    let other = signed(H, &claims(r#","x":1"#));
    let other_sig = other.rsplit_once('.').unwrap().1;
    assert_eq!(
        kind(&format!("{body}.{other_sig}")),
        ErrorKind::InvalidSignature
    );
    // An absurdly long signature is refused without decoding it all.
    assert_eq!(
        kind(&format!("{body}.{}", "A".repeat(5000))),
        ErrorKind::InvalidSignature
    );
}

#[test]
fn embedded_keys_are_never_used() {
    // The attacker signs with their own secret and embeds it every way a header can.
    let attacker = SigningKey::hmac(&[0x42; 32]).unwrap();
    let jwk = r#"{"kty":"oct","k":"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI"}"#;
    for header in [
        format!(r#"{{"alg":"HS256","jwk":{jwk}}}"#),
        r#"{"alg":"HS256","jku":"https://attacker.example/jwks.json"}"#.to_owned(),
        r#"{"alg":"HS256","x5u":"https://attacker.example/cert.pem"}"#.to_owned(),
        r#"{"alg":"HS256","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}"#.to_owned(),
    ] {
        let token = sign_raw(&attacker, Algorithm::HS256, &header, &claims(""));
        assert_eq!(kind(&token), ErrorKind::InvalidSignature, "{header}");
    }
    // The same members in a token signed with the real key change nothing.
    let ok = signed(
        r#"{"alg":"HS256","jku":"https://attacker.example/jwks.json"}"#,
        &claims(""),
    );
    assert!(verifier().verify::<Value>(&ok).is_ok());
}

#[test]
fn hostile_kid_values() {
    for kid in [
        "../../../../etc/passwd",
        "' OR '1'='1' --",
        "k1\u{0}",
        "K1",
        "k1 ",
        "",
        "\u{202e}1k",
    ] {
        let header = serde_json::json!({ "alg": "HS256", "kid": kid }).to_string();
        assert_eq!(
            kind(&signed(&header, &claims(""))),
            ErrorKind::KeyNotFound,
            "{kid:?}"
        );
    }
    let huge = "k".repeat(12_000);
    let header = serde_json::json!({ "alg": "HS256", "kid": huge }).to_string();
    let err = verifier()
        .verify::<Value>(&signed(&header, &claims("")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyNotFound);
    assert!(
        err.to_string().len() < 200,
        "error must not echo a huge kid"
    );
    for kid in ["1", "null", "true", r#"{"k":"k1"}"#, r#"["k1"]"#] {
        let header = format!(r#"{{"alg":"HS256","kid":{kid}}}"#);
        assert_eq!(
            kind(&signed(&header, &claims(""))),
            ErrorKind::Malformed,
            "{kid}"
        );
    }
    // The matching kid works.
    assert!(
        verifier()
            .verify::<Value>(&signed(r#"{"alg":"HS256","kid":"k1"}"#, &claims("")))
            .is_ok()
    );
}

#[test]
fn crit_and_b64() {
    for header in [
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        r#"{"alg":"HS256","crit":["b64"],"b64":true}"#,
        r#"{"alg":"HS256","crit":["alg"]}"#,
        r#"{"alg":"HS256","crit":[]}"#,
        r#"{"alg":"HS256","crit":"exp"}"#,
        r#"{"alg":"HS256","crit":[1]}"#,
        r#"{"alg":"HS256","crit":null}"#,
        r#"{"alg":"HS256","b64":false}"#,
        r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"HS256","b64":"false"}"#,
    ] {
        assert_eq!(
            kind(&signed(header, &claims(""))),
            ErrorKind::UnsupportedCriticalHeader,
            "{header}"
        );
    }
    // b64 true is the default meaning and harmless.
    assert!(
        verifier()
            .verify::<Value>(&signed(r#"{"alg":"HS256","b64":true}"#, &claims("")))
            .is_ok()
    );
    // RFC 7797 §4.2: b64 false with a detached payload.
    let rfc7797 = "eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..A5dxf2s96_n5FLueVuW1Z_vh161FwXZC4YLPff6dmDY";
    assert_eq!(kind(rfc7797), ErrorKind::UnsupportedCriticalHeader);
}

#[test]
fn duplicate_members() {
    for header in [
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"HS256","\u0061lg":"none"}"#,
        r#"{"alg":"HS256","kid":"k1","kid":"k2"}"#,
        r#"{"alg":"HS256","x":1,"x":2}"#,
    ] {
        assert_eq!(
            kind(&signed(header, &claims(""))),
            ErrorKind::Malformed,
            "{header}"
        );
    }
    for extra in [
        r#","sub":"mallory""#,
        r#","\u0073ub":"mallory""#,
        r#","exp":99999999999"#,
        r#","role":"a","role":"b""#,
        r#","aud":"api""#,
    ] {
        assert_eq!(
            kind(&signed(H, &claims(extra))),
            ErrorKind::Malformed,
            "{extra}"
        );
    }
    // Many distinct members are fine, and a duplicate among many is found.
    let many: String = (0..500).map(|i| format!(r#","m{i}":{i}"#)).collect();
    assert!(
        verifier()
            .verify::<Value>(&signed(H, &claims(&many)))
            .is_ok()
    );
    let dup = format!("{many},\"m250\":0");
    assert_eq!(kind(&signed(H, &claims(&dup))), ErrorKind::Malformed);
}

#[test]
fn strict_base64url() {
    let token = signed(H, &claims(""));
    let parts: Vec<&str> = token.split('.').collect();
    let rebuild = |h: &str, p: &str, s: &str| format!("{h}.{p}.{s}");
    let std_alphabet = |s: &str| s.replace('-', "+").replace('_', "/");
    let cases = [
        rebuild(&format!("{}=", parts[0]), parts[1], parts[2]),
        rebuild(parts[0], parts[1], &format!("{}=", parts[2])),
        rebuild(&format!(" {}", parts[0]), parts[1], parts[2]),
        rebuild(parts[0], &format!("{}\n", parts[1]), parts[2]),
        rebuild(parts[0], parts[1], &format!("{} ", parts[2])),
        rebuild(&parts[0].replace('J', "J\t"), parts[1], parts[2]),
    ];
    for t in &cases {
        assert_eq!(kind(t), ErrorKind::Malformed, "{t}");
    }
    // The standard alphabet's + and /.
    let sig_std = std_alphabet(parts[2]);
    if sig_std != parts[2] {
        assert_eq!(
            kind(&rebuild(parts[0], parts[1], &sig_std)),
            ErrorKind::Malformed
        );
    }
    let header_with_plus = signed_bytes(
        b"{\"alg\":\"HS256\",\"x\":\"\xfb\xff\"}",
        claims("").as_bytes(),
    );
    let _ = header_with_plus; // invalid UTF-8 header: covered below
    // Non-canonical trailing bits: `{"alg":"HS256"}` is 15 bytes, so its encoding ends in a
    // character carrying two unused bits.
    let h = b64(H);
    assert_eq!(h.len() % 4, 0);
    let odd_header = r#"{"alg":"HS256" }"#; // 16 bytes: 22 chars, last char has 4 unused bits
    let t = signed(odd_header, &claims(""));
    assert!(verifier().verify::<Value>(&t).is_ok());
    let (hp, rest) = t.split_once('.').unwrap();
    let last = hp.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let idx = alphabet.find(last).unwrap();
    assert_eq!(idx % 16, 0, "canonical last char has zero low bits");
    let tweaked = alphabet.chars().nth(idx + 1).unwrap();
    let non_canonical = format!("{}{tweaked}.{rest}", &hp[..hp.len() - 1]);
    assert_eq!(kind(&non_canonical), ErrorKind::Malformed);
}

#[test]
fn wrong_number_of_parts_and_other_serialisations() {
    let token = signed(H, &claims(""));
    let (h, rest) = token.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    for t in [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}."),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}.{s}.{s}"), // JWE has five parts
        format!(".{p}.{s}"),
        format!(r#"{{"payload":"{p}","protected":"{h}","signature":"{s}"}}"#),
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ".into(),
    ] {
        assert_eq!(kind(&t), ErrorKind::Malformed, "{t}");
    }
}

#[test]
fn header_and_claims_must_be_json_objects() {
    let c = claims("");
    for header in [
        &b"[]"[..],
        b"\"HS256\"",
        b"null",
        b"1",
        b"",
        b"\xef\xbb\xbf{\"alg\":\"HS256\"}",
    ] {
        assert_eq!(
            kind(&signed_bytes(header, c.as_bytes())),
            ErrorKind::Malformed,
            "{header:?}"
        );
    }
    for payload in [
        &b"[]"[..],
        b"\"x\"",
        b"null",
        b"1",
        b"",
        b"Payload",
        b"\xef\xbb\xbf{}",
    ] {
        assert_eq!(
            kind(&signed_bytes(H.as_bytes(), payload)),
            ErrorKind::Malformed,
            "{payload:?}"
        );
    }
    // Invalid UTF-8, in a string and outside one.
    let mut bad = c.clone().into_bytes();
    bad.insert(bad.len() - 1, b' ');
    bad.insert(bad.len() - 1, 0xff);
    assert_eq!(
        kind(&signed_bytes(H.as_bytes(), &bad)),
        ErrorKind::Malformed
    );
    let bad_str = claims(",\"x\":\"\u{0}\"")
        .replace('\u{0}', "\u{fffd}")
        .into_bytes();
    assert!(
        verifier()
            .verify::<Value>(&signed_bytes(H.as_bytes(), &bad_str))
            .is_ok()
    );
    let mut raw = claims(r#","x":"ab""#).into_bytes();
    let pos = raw.windows(2).position(|w| w == b"ab").unwrap();
    raw[pos] = 0xc3; // a lone UTF-8 lead byte inside a string
    assert_eq!(
        kind(&signed_bytes(H.as_bytes(), &raw)),
        ErrorKind::Malformed
    );
    // Lone surrogates, in a registered claim and in any other member.
    assert_eq!(
        kind(&signed(H, &claims(r#","jti":"\ud800""#))),
        ErrorKind::InvalidClaim
    );
    assert_eq!(
        kind(&signed(H, &claims(r#","note":"\udc00x""#))),
        ErrorKind::Malformed
    );
    // ...also where the caller's type ignores the member, and in an unknown header member.
    let ignoring = |t: &str| verifier().verify::<()>(t).unwrap_err().kind();
    assert_eq!(
        ignoring(&signed(H, &claims(r#","note":"\udc00x""#))),
        ErrorKind::Malformed
    );
    assert_eq!(
        ignoring(&signed(H, &claims(r#","n":{"a":["\ud800"]}"#))),
        ErrorKind::Malformed
    );
    let surrogate_header = signed(r#"{"alg":"HS256","x":"\ud800"}"#, &claims(""));
    assert_eq!(kind(&surrogate_header), ErrorKind::Malformed);
    assert_eq!(
        UntrustedToken::decode(&surrogate_header)
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed
    );
    // A valid surrogate pair is fine everywhere.
    let pair = signed(
        r#"{"alg":"HS256","x":"\ud83d\ude00"}"#,
        &claims(r#","n":"\ud83d\ude00""#),
    );
    assert!(verifier().verify::<()>(&pair).is_ok());
    // Trailing garbage after the object.
    assert_eq!(
        kind(&signed(H, &format!("{} x", claims("")))),
        ErrorKind::Malformed
    );
    assert_eq!(
        kind(&signed(H, &format!("{}{{}}", claims("")))),
        ErrorKind::Malformed
    );
    assert_eq!(
        kind(&signed(r#"{"alg":"HS256"} x"#, &claims(""))),
        ErrorKind::Malformed
    );
    // Unescaped control characters.
    assert_eq!(
        kind(&signed(H, &claims(",\"x\":\"a\u{1}b\""))),
        ErrorKind::Malformed
    );
}

#[test]
fn dates_of_the_wrong_type() {
    for value in [
        r#""1700000600""#,
        "true",
        "null",
        "[1700000600]",
        "{}",
        "-1",
        "1e400",
        "253402300800",
        "18446744073709551616",
        "99999999999999999999999",
    ] {
        for name in ["exp", "nbf", "iat"] {
            let c = format!(
                r#"{{"iss":"https://issuer.example","aud":"api","exp":{},"{name}x":0,"{name}":{value}}}"#,
                NOW + 60
            )
            .replace(r#""exp":1700000060,"expx":0,"exp":"#, r#""expx":0,"exp":"#);
            assert_eq!(
                kind(&signed(H, &c)),
                ErrorKind::InvalidClaim,
                "{name}={value}"
            );
        }
    }
    for value in ["NaN", "Infinity", "-Infinity", "1e", "0x10"] {
        let c = format!(r#"{{"iss":"https://issuer.example","aud":"api","exp":{value}}}"#);
        let k = kind(&signed(H, &c));
        assert!(
            k == ErrorKind::InvalidClaim || k == ErrorKind::Malformed,
            "{value}: {k}"
        );
    }
}

#[test]
fn string_claims_of_the_wrong_type() {
    for (name, value) in [
        ("iss", "1"),
        ("iss", "null"),
        ("iss", r#"["https://issuer.example"]"#),
        ("sub", "true"),
        ("sub", "{}"),
        ("jti", "42"),
        ("jti", "[]"),
        ("aud", "1"),
        ("aud", "[]"),
        ("aud", r#"["api",1]"#),
        ("aud", r#"["api",null]"#),
        ("aud", r#"[["api"]]"#),
        ("aud", "null"),
    ] {
        let c = format!(r#"{{"{name}":{value},"exp":{}}}"#, NOW + 60);
        assert_eq!(
            kind(&signed(H, &c)),
            ErrorKind::InvalidClaim,
            "{name}={value}"
        );
    }
}

#[test]
fn escaped_but_equal_strings_are_equal() {
    let header = r#"{"alg":"HS\u0032\u0035\u0036","kid":"k\u0031"}"#;
    let c = format!(
        r#"{{"iss":"https:\/\/issuer.example","aud":"\u0061pi","exp":{}}}"#,
        NOW + 60
    );
    let v = verifier().verify::<Value>(&signed(header, &c)).unwrap();
    assert_eq!(v.issuer(), Some("https://issuer.example"));
    assert_eq!(v.key_id(), Some("k1"));
    assert_eq!(v.audiences().collect::<Vec<_>>(), ["api"]);
}

#[test]
fn huge_tokens_and_deep_nesting_are_rejected_fast() {
    let start = Instant::now();
    let huge = format!("{}.{}.{}", "A".repeat(10_000_000), "B".repeat(10), "C");
    assert_eq!(kind(&huge), ErrorKind::TooLarge);

    let deep = format!(
        r#"{{"exp":{},"x":{}{}}}"#,
        NOW + 60,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    assert_eq!(kind(&signed(H, &deep)), ErrorKind::TooLarge);
    // Even with the size limit lifted, nesting is bounded and never overflows the stack.
    let lifted = Verifier::new(
        hs256().verifying_key(),
        Policy::new([Algorithm::HS256]).max_token_bytes(usize::MAX),
    )
    .with_clock(FixedClock::at(NOW));
    let err = lifted.verify::<Value>(&signed(H, &deep)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
    let deep_obj = format!(
        r#"{{"exp":{},"x":{}1{}}}"#,
        NOW + 60,
        "{\"a\":".repeat(100_000),
        "}".repeat(100_000)
    );
    assert_eq!(
        lifted
            .verify::<Value>(&signed(H, &deep_obj))
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed
    );
    // Unknown header members are read in full too, within the same nesting bound.
    let deep_header = format!(
        r#"{{"alg":"HS256","x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let plain = format!(r#"{{"exp":{}}}"#, NOW + 60);
    assert_eq!(
        lifted
            .verify::<Value>(&signed(&deep_header, &plain))
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed
    );
    let shallow_header = r#"{"alg":"HS256","x":[[[{"y":[1]}]]]}"#;
    assert!(
        lifted
            .verify::<Value>(&signed(shallow_header, &plain))
            .is_ok()
    );
    // Generous bound: catches quadratic behaviour, not a speed claim.
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn untrusted_inspection_is_strict_too() {
    let token = signed(r#"{"alg":"none","kid":"x"}"#, &claims(""));
    let t = UntrustedToken::decode(&token).unwrap();
    assert_eq!(t.header()["alg"], "none");
    assert_eq!(t.algorithm(), None);
    assert_eq!(t.registered_claims().unwrap().sub.as_deref(), Some("alice"));
    let dup = signed(r#"{"alg":"HS256","alg":"none"}"#, &claims(""));
    assert_eq!(
        UntrustedToken::decode(&dup).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    // A header member named like a claim is just a header member.
    let odd_header = signed(r#"{"alg":"HS256","exp":"JWT"}"#, &claims(""));
    assert!(verifier().verify::<Value>(&odd_header).is_ok());
    assert_eq!(
        UntrustedToken::decode(&odd_header).unwrap().header()["exp"],
        "JWT"
    );
    let bad_exp = UntrustedToken::decode(&signed(H, r#"{"exp":"soon"}"#)).unwrap();
    assert_eq!(
        bad_exp.registered_claims().unwrap_err().kind(),
        ErrorKind::InvalidClaim
    );
}
