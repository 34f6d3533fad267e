#!/usr/bin/env python3
"""Verifies tokens made by tessera's `jwt encode` with PyJWT; exits non-zero on any failure.

    python3 tests/interop/verify_ours.py MANIFEST

MANIFEST has one line per token: `ALG TOKEN_FILE KEY_FILE`, where KEY_FILE is a public PEM key
(SPKI or PKCS#1) or, for HMAC, an `oct` JWK. Every token must carry the claims that
tests/interop/run.sh asks for. Each token is also checked to fail once its signature is altered,
so that a verifier accepting anything cannot pass.
"""

import json
import pathlib
import sys

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import HMACAlgorithm

ISSUER = "https://tessera.example"
AUDIENCE = "pyjwt-interop"
SUBJECT = "interop-user"
ROLE = "tester"


def public_key(path):
    text = pathlib.Path(path).read_text()
    if text.lstrip().startswith("{"):
        return HMACAlgorithm.from_jwk(text)
    return load_pem_public_key(text.encode())


def check(alg, token, key):
    header = jwt.get_unverified_header(token)
    if header.get("alg") != alg:
        raise AssertionError(f"alg header is {header.get('alg')!r}, not {alg!r}")
    if header.get("typ") != "JWT":
        raise AssertionError(f"typ header is {header.get('typ')!r}")
    claims = jwt.decode(
        token,
        key,
        algorithms=[alg],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
    )
    if claims["sub"] != SUBJECT or claims.get("role") != ROLE:
        raise AssertionError(f"unexpected claims {json.dumps(claims)}")
    if claims["exp"] - claims["iat"] != 300:
        raise AssertionError(f"lifetime is {claims['exp'] - claims['iat']} s, not 300 s")

    # The same token with one signature bit flipped must be refused.
    head, payload, signature = token.split(".")
    raw = bytearray(jwt.utils.base64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    tampered = ".".join([head, payload, jwt.utils.base64url_encode(bytes(raw)).decode()])
    try:
        jwt.decode(tampered, key, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a tampered token was accepted")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    failures = 0
    lines = pathlib.Path(sys.argv[1]).read_text().splitlines()
    for line in lines:
        alg, token_file, key_file = line.split()
        token = pathlib.Path(token_file).read_text().strip()
        try:
            check(alg, token, public_key(key_file))
        except Exception as e:  # noqa: BLE001 - report every failure, then fail
            failures += 1
            print(f"FAIL {alg}: {type(e).__name__}: {e}")
        else:
            print(f"ok   {alg}")
    if not lines:
        print("FAIL: no tokens to verify")
        failures += 1
    print(f"PyJWT {jwt.__version__}: {len(lines) - failures} of {len(lines)} tokens verified")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
