"""An identity provider in process, for tests that need JWT callers but not a provider:
its key is generated here, its discovery document and JWKS answered by `fetch` (the
verifier's source of keys). The real provider is exercised in
tests/dialects/test_identity_provider.py."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from workspaced.auth import identities
from workspaced.auth.oidc import IssuerConfig, TokenVerifier
from workspaced.kit.db import Database

ISSUER = "https://id.workspaced-tests.test"
AUDIENCE = "https://api.workspaced-tests.test"
_KEY = ec.generate_private_key(ec.SECP256R1())
_KID = "tests"


def fetch(url: str) -> dict[str, Any]:
    if url == f"{ISSUER}/.well-known/openid-configuration":
        return {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}
    assert url == f"{ISSUER}/jwks", url
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(_KEY.public_key()))
    return {"keys": [{**public, "kid": _KID, "use": "sig", "alg": "ES256"}]}


def verifier() -> TokenVerifier:
    return TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=fetch)


def token_for(email: str, *, subject: str | None = None, verified: bool = True) -> str:
    """A JWT for the account with `email` (linked on first use when `verified`)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject or f"sub-{email}",
        "email": email,
        "email_verified": verified,
        "iat": now,
        "exp": now + 3600,
    }
    return jwt.encode(claims, _KEY, algorithm="ES256", headers={"kid": _KID})


def sign_in(database: Database, email: str) -> None:
    """The first sign-in of `token_for(email)`, as the server does it: links the identity
    to the account of `email`, so that later requests with that token write nothing."""
    claims = verifier().verify(token_for(email))
    with database.write() as session:
        identities.sign_in(session, claims)
