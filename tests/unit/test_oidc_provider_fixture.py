"""The OIDC provider support (tests/oidc_provider.py) issues the JWTs it promises."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.oidc_provider import IdentityProvider, ensure_installed, require_node
from tests.oidc_provider import identity_provider as identity_provider  # the fixture

AUDIENCE = "https://api.example.test"


def _part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def _verify(token: str, jwks: dict[str, Any], issuer: str) -> dict[str, Any]:
    jwt = pytest.importorskip("jwt")
    key = jwt.PyJWKSet.from_dict(jwks)[_part(token, 0)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token, key=key, algorithms=["RS256", "ES256"], audience=AUDIENCE, issuer=issuer
    )
    return claims


@pytest.fixture
def own_provider() -> Iterator[IdentityProvider]:
    """A provider of this test's own, since rotating the shared one's keys would surprise
    other tests."""
    require_node()
    with IdentityProvider() as provider:
        yield provider


def test_install_is_reused() -> None:
    require_node()
    directory = ensure_installed()
    assert (directory / "node_modules" / "oidc-provider" / "package.json").exists()
    started = time.monotonic()
    assert ensure_installed() == directory
    assert time.monotonic() - started < 1, "the second call should not run npm"


def test_access_token_carries_the_account(identity_provider: IdentityProvider) -> None:
    idp = identity_provider
    idp.add_account(
        "user-1",
        email="ada@example.test",
        email_verified=True,
        name="Ada Lovelace",
        picture="https://example.test/ada.png",
    )
    before = int(time.time())
    token = idp.access_token("user-1", audience=AUDIENCE, ttl_s=60)

    header, claims = _part(token, 0), _part(token, 1)
    assert header["alg"] == "RS256" and header["typ"] == "at+jwt" and header["kid"]
    assert idp.issuer.startswith("http://127.0.0.1:")
    assert claims["iss"] == idp.issuer == idp.discovery()["issuer"]
    assert claims["sub"] == "user-1"
    assert claims["aud"] == AUDIENCE
    assert claims["email"] == "ada@example.test"
    assert claims["email_verified"] is True
    assert claims["name"] == "Ada Lovelace"
    assert claims["picture"] == "https://example.test/ada.png"
    assert claims["exp"] - claims["iat"] == 60
    assert before - 5 <= claims["iat"] <= int(time.time()) + 5

    # An account without name or picture, and a later change of an account.
    idp.add_account("user-2", email="bob@example.test", email_verified=False)
    other = _part(idp.access_token("user-2", audience="urn:other", ttl_s=300), 1)
    assert other["aud"] == "urn:other" and other["exp"] - other["iat"] == 300
    assert other["email_verified"] is False
    assert "name" not in other and "picture" not in other


def test_signatures_verify_against_the_jwks(identity_provider: IdentityProvider) -> None:
    pytest.importorskip("jwt")
    idp = identity_provider
    idp.add_account("user-sig", email="sig@example.test", email_verified=True)
    for alg in ("RS256", "ES256"):
        token = idp.access_token("user-sig", audience=AUDIENCE, ttl_s=60, alg=alg)
        assert _part(token, 0)["alg"] == alg
        claims = _verify(token, idp.jwks(), idp.issuer)
        assert claims["sub"] == "user-sig" and claims["email"] == "sig@example.test"


def test_rotate_keys(own_provider: IdentityProvider) -> None:
    idp = own_provider
    idp.add_account("user-r", email="r@example.test", email_verified=True)
    issuer = idp.issuer
    old = idp.access_token("user-r", audience=AUDIENCE, ttl_s=60)
    old_kid = _part(old, 0)["kid"]
    assert old_kid in {key["kid"] for key in idp.jwks()["keys"]}

    idp.rotate_keys()

    assert idp.issuer == issuer
    new_kids = {key["kid"] for key in idp.jwks()["keys"]}
    assert old_kid not in new_kids
    # The account survived the restart.
    new = idp.access_token("user-r", audience=AUDIENCE, ttl_s=60)
    new_kid = _part(new, 0)["kid"]
    assert new_kid != old_kid and new_kid in new_kids
    assert _part(new, 1)["iss"] == issuer
    assert _part(new, 1)["email"] == "r@example.test"
