"""Signed JWTs and JWKS documents for the tests, with the `openssl` command
line only (python3 here has no JWT or crypto library): keys made with
`openssl genpkey`, public parts read back from `openssl pkey`, signatures
made with `openssl dgst -sign` (RS256; ES256 and ES384 turned from DER into
JWS's raw r||s). Used by runtime_e2e.py's oidc scenario and to make the
fuzz seed corpora (python3 jwt_tool.py seeds DIR)."""
import base64
import json
import os
import subprocess
import sys
import tempfile


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, capture_output=True,
                          check=True).stdout


class Key:
    """A private key in a PEM file: kind "RSA", "P-256" or "P-384"."""

    def __init__(self, folder, kid, kind="RSA"):
        self.kid, self.kind = kid, kind
        self.path = os.path.join(folder, "%s.pem" % kid)
        if kind == "RSA":
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", self.path)
        else:
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + kind,
                    "-out", self.path)

    def jwk(self, alg=None):
        der = openssl("pkey", "-in", self.path, "-pubout", "-outform", "DER")
        if self.kind == "RSA":
            hexmod = openssl("rsa", "-in", self.path, "-modulus", "-noout").decode()
            n = bytes.fromhex(hexmod.strip().split("=", 1)[1])
            k = {"kty": "RSA", "kid": self.kid, "use": "sig", "n": b64url(n), "e": "AQAB"}
        else:
            c = 32 if self.kind == "P-256" else 48
            point = der[-(2 * c + 1):]  # the SPKI ends with the point 04||x||y
            k = {"kty": "EC", "kid": self.kid, "crv": self.kind, "x": b64url(point[1:1 + c]),
                 "y": b64url(point[1 + c:])}
        if alg:
            k["alg"] = alg
        return k

    def sign(self, data, alg):
        md = "-sha" + alg[2:]
        sig = openssl("dgst", md, "-sign", self.path, data=data)
        if alg.startswith("ES"):
            sig = der_to_raw(sig, 32 if alg == "ES256" else 48)
        return sig


def der_to_raw(der, c):
    """ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } -> r||s."""
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\0")
        out += v.rjust(c, b"\0")
        i += 2 + n
    return out


def jwks(*keys):
    return json.dumps({"keys": [k if isinstance(k, dict) else k.jwk() for k in keys]})


def token(key, claims, alg=None, kid=None, header=None):
    """A compact JWS of `claims` signed by `key` (alg RS256 for RSA keys,
    ES256/ES384 for EC ones unless given); `header` replaces the header."""
    alg = alg or {"RSA": "RS256", "P-256": "ES256", "P-384": "ES384"}[key.kind]
    h = header or {"alg": alg, "typ": "JWT", "kid": kid or key.kid}
    signing = b64url(json.dumps(h, separators=(",", ":"))) + "." + b64url(
        json.dumps(claims, separators=(",", ":")))
    if h.get("alg") == "none":
        return signing + "."
    return signing + "." + b64url(key.sign(signing.encode(), alg))


def seeds(folder):
    """Seed corpora for tests/fuzz: corpus/jwt (tokens for the fixed key
    set printed on stdout, as fuzz_jwt.c embeds it) and corpus/jwks."""
    with tempfile.TemporaryDirectory() as tmp:
        rsa, p256, p384 = Key(tmp, "fz-rsa"), Key(tmp, "fz-p256", "P-256"), Key(tmp, "fz-p384",
                                                                             "P-384")
        keyset = jwks(rsa, p256.jwk("ES256"), p384)
        now = 1700000000  # fuzz_jwt.c's clock
        claims = {"iss": "https://issuer.example", "aud": ["otel", "x"], "sub": "alice",
                  "exp": now + 3600, "nbf": now - 10, "iat": now - 10,
                  "groups": ["dev", "ops"], "tenant": "acme"}
        toks = {
            "rs256": token(rsa, claims),
            "es256": token(p256, claims),
            "es384": token(p384, claims),
            "expired": token(rsa, dict(claims, exp=now - 3600)),
            "wrong_aud": token(rsa, dict(claims, aud="other")),
            "unknown_kid": token(rsa, claims, kid="nope"),
            "alg_none": token(rsa, claims, header={"alg": "none", "kid": "fz-rsa"}),
            "no_kid": token(p384, claims, header={"alg": "ES384"}),
        }
        os.makedirs(os.path.join(folder, "jwt"), exist_ok=True)
        os.makedirs(os.path.join(folder, "jwks"), exist_ok=True)
        for name, t in toks.items():
            with open(os.path.join(folder, "jwt", name), "w") as f:
                f.write(t)
        with open(os.path.join(folder, "jwks", "three_keys.json"), "w") as f:
            f.write(keyset)
        with open(os.path.join(folder, "jwks", "skipped.json"), "w") as f:
            f.write(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"},
                                         dict(rsa.jwk(), use="enc", kid="e"),
                                         dict(p256.jwk(), crv="P-521", kid="c"),
                                         p384.jwk("ES384")]}))
        print(keyset)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "seeds":
    seeds(sys.argv[2])
