#!/usr/bin/env python3
"""Makes one token per algorithm with PyJWT, for tessera's CLI to verify.

Uses the test keys in tests/data/cli/ and fixed claims, and writes
tests/data/interop/pyjwt_tokens.json (the tokens, the claims, the PyJWT version, and the key file
each token verifies with) and tests/data/interop/pyjwt_keys.jwks (the same keys as a JWK Set
written by PyJWT, each with a `kid`). Both outputs are committed; rerun this script only when the
keys change:

    pip install pyjwt cryptography
    python3 tests/interop/make_tokens.py
"""

import json
import pathlib
import sys

import cryptography
import jwt
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, OKPAlgorithm, RSAAlgorithm

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEYS = ROOT / "tests" / "data" / "cli"
OUT = ROOT / "tests" / "data" / "interop"

ISSUED_AT = 1_700_000_000
CLAIMS = {
    "iss": "https://pyjwt.example",
    "aud": "tessera-cli",
    "sub": "interop-user",
    "iat": ISSUED_AT,
    "nbf": ISSUED_AT,
    "exp": ISSUED_AT + 3600,
    "scope": "read write",
}

# alg, kid, private key file (PEM, or an oct JWK for HMAC), public key file for verification.
TOKENS = [
    ("HS256", "hs256", "hs256.jwk", "hs256.jwk"),
    ("HS384", "hs384", "hs384.jwk", "hs384.jwk"),
    ("HS512", "hs512", "hs512.jwk", "hs512.jwk"),
    ("RS256", "rsa", "rsa_private.pem", "rsa_public.pem"),
    ("RS384", "rsa", "rsa_private.pem", "rsa_public_pkcs1.pem"),
    ("RS512", "rsa", "rsa_private.pem", "rsa_public.pem"),
    ("PS256", "rsa", "rsa_private.pem", "rsa_public.pem"),
    ("PS384", "rsa", "rsa_private.pem", "rsa_public.pem"),
    ("PS512", "rsa", "rsa_private.pem", "rsa_public_pkcs1.pem"),
    ("ES256", "p256", "p256_private.pem", "p256_public.pem"),
    ("ES384", "p384", "p384_private.pem", "p384_public.pem"),
    ("EdDSA", "ed25519", "ed25519_private.pem", "ed25519_public.pem"),
]


def signing_key(file_name):
    text = (KEYS / file_name).read_text()
    if file_name.endswith(".jwk"):
        # PyJWT's own JWK reader gives the HMAC secret as bytes.
        return HMACAlgorithm.from_jwk(text)
    return load_pem_private_key(text.encode(), password=None)


def verifying_key(file_name):
    text = (KEYS / file_name).read_text()
    if file_name.endswith(".jwk"):
        return HMACAlgorithm.from_jwk(text)
    return load_pem_public_key(text.encode())


def public_jwk(kid, key):
    if isinstance(key, bytes):
        jwk = HMACAlgorithm.to_jwk(key, as_dict=True)
    else:
        public = key.public_key()
        for family in (RSAAlgorithm, ECAlgorithm, OKPAlgorithm):
            try:
                jwk = family.to_jwk(public, as_dict=True)
                break
            except Exception:  # noqa: BLE001 - not this family; try the next one
                continue
        else:
            raise SystemExit(f"no PyJWT JWK writer for key {kid}")
    jwk["kid"] = kid
    return jwk


def main():
    tokens = []
    jwks = {}
    for alg, kid, private_file, public_file in TOKENS:
        key = signing_key(private_file)
        claims = dict(CLAIMS, jti=f"pyjwt-{alg}")
        token = jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
        # PyJWT must accept its own token before we ask tessera to.
        jwt.decode(
            token,
            verifying_key(public_file),
            algorithms=[alg],
            audience=CLAIMS["aud"],
            issuer=CLAIMS["iss"],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
        tokens.append(
            {
                "alg": alg,
                "kid": kid,
                "key": f"tests/data/cli/{public_file}",
                "token": token,
                "claims": claims,
            }
        )
        jwks.setdefault(kid, public_jwk(kid, key))

    document = {
        "generator": f"PyJWT {jwt.__version__} (cryptography {cryptography.__version__}), "
        f"Python {sys.version.split()[0]}",
        "script": "tests/interop/make_tokens.py",
        "verify_at": ISSUED_AT + 60,
        "issuer": CLAIMS["iss"],
        "audience": CLAIMS["aud"],
        "subject": CLAIMS["sub"],
        "jwks": "tests/data/interop/pyjwt_keys.jwks",
        "tokens": tokens,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pyjwt_tokens.json").write_text(json.dumps(document, indent=2) + "\n")
    (OUT / "pyjwt_keys.jwks").write_text(
        json.dumps({"keys": list(jwks.values())}, indent=2) + "\n"
    )
    print(f"wrote {len(tokens)} tokens and {len(jwks)} keys to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
