#!/bin/sh
# Regenerates the OpenSSL test keys and signatures in this directory (OpenSSL 3).
# The committed files are what the tests use; running this replaces them with new keys.
set -eu
cd "$(dirname "$0")"

printf 'tessera test message' > message.txt

# RSA 2048: PKCS#8 and PKCS#1 private keys, SPKI and PKCS#1 public keys.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048_pkcs8.pem
openssl rsa -in rsa2048_pkcs8.pem -traditional -out rsa2048_pkcs1.pem
openssl pkey -in rsa2048_pkcs8.pem -pubout -out rsa2048_spki.pem
openssl rsa -in rsa2048_pkcs8.pem -RSAPublicKey_out -out rsa2048_pkcs1_pub.pem
openssl dgst -sha256 -sign rsa2048_pkcs8.pem -out rsa2048_rs256.sig message.txt
openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -sigopt rsa_mgf1_md:sha256 -sign rsa2048_pkcs8.pem -out rsa2048_ps256.sig message.txt

# RSA 1024 (too small: refused as weak).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024_pkcs8.pem
openssl rsa -in rsa1024_pkcs8.pem -traditional -out rsa1024_pkcs1.pem
openssl pkey -in rsa1024_pkcs8.pem -pubout -out rsa1024_spki.pem

# RSASSA-PSS key restricted to SHA-256/MGF1-SHA-256/salt 32 (PS256 only).
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 \
  -pkeyopt rsa_pss_keygen_md:sha256 -pkeyopt rsa_pss_keygen_mgf1_md:sha256 \
  -pkeyopt rsa_pss_keygen_saltlen:32 -out rsapss2048_pkcs8.pem
openssl pkey -in rsapss2048_pkcs8.pem -pubout -out rsapss2048_spki.pem
openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
  -sign rsapss2048_pkcs8.pem -out rsapss2048_ps256.sig message.txt

# ECDSA P-256 and P-384: SEC1 (with public key, and without), PKCS#8, SPKI.
# OpenSSL signs ECDSA in DER; the r‖s form JWS uses is made from it with asn1parse.
for curve in 256:prime256v1:sha256 384:secp384r1:sha384; do
  bits=${curve%%:*}; rest=${curve#*:}; name=${rest%%:*}; md=${rest#*:}
  openssl ecparam -name "$name" -genkey -noout -out "ec${bits}_sec1.pem"
  openssl ec -in "ec${bits}_sec1.pem" -no_public -out "ec${bits}_sec1_nopub.pem"
  openssl pkcs8 -topk8 -nocrypt -in "ec${bits}_sec1.pem" -out "ec${bits}_pkcs8.pem"
  openssl ec -in "ec${bits}_sec1.pem" -pubout -out "ec${bits}_spki.pem"
  openssl dgst "-$md" -sign "ec${bits}_sec1.pem" -out "ec${bits}_es${bits}.der.sig" message.txt
  half=$((bits / 4))
  openssl asn1parse -inform DER -in "ec${bits}_es${bits}.der.sig" \
    | sed -n 's/.*INTEGER *:\([0-9A-F]*\)$/\1/p' \
    | while read -r int; do printf "%0${half}s" "$int" | tr ' ' 0; done \
    | xxd -r -p > "ec${bits}_es${bits}.sig"
done

# SEC1 with `openssl ecparam -genkey` default output: an EC PARAMETERS block, then the key.
openssl ecparam -name prime256v1 -genkey -out ec256_with_params_block.pem

# Ed25519: PKCS#8 and SPKI.
openssl genpkey -algorithm ed25519 -out ed25519_pkcs8.pem
openssl pkey -in ed25519_pkcs8.pem -pubout -out ed25519_spki.pem
openssl pkeyutl -sign -rawin -inkey ed25519_pkcs8.pem -in message.txt -out ed25519.sig

# Refused: P-521 (unsupported curve), an encrypted PKCS#8 key, a certificate.
openssl ecparam -name secp521r1 -genkey -noout | openssl pkey -pubout -out ec521_spki.pem
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:tessera -in ec256_pkcs8.pem \
  -out ec256_encrypted.pem
openssl req -x509 -new -key ec256_pkcs8.pem -subj /CN=tessera -days 1 -out ec256_cert.pem
