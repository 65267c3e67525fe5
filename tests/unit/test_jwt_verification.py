"""JWT verification against keys the test generates (SPEC §3): what a real provider will
not emit (`alg: none`, HMAC signed with the public key, no `kid`, oversized tokens, keys
of the wrong type) and the claim rules, each with its boundary."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from workspaced.auth import service as auth
from workspaced.auth.oidc import (
    KEYS_MAX_AGE_S,
    LEEWAY_S,
    REFETCH_INTERVAL_S,
    IssuerConfig,
    TokenVerifier,
    parse_issuers,
)
from workspaced.kit.errors import Unauthenticated, Unavailable

ISSUER = "https://id.example.test"
AUDIENCE = "https://api.example.test"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(key: Any, kid: str, **extra: str) -> dict[str, Any]:
    algorithm = (
        jwt.algorithms.RSAAlgorithm
        if isinstance(key, rsa.RSAPrivateKey)
        else jwt.algorithms.ECAlgorithm
    )
    public = json.loads(algorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", **extra}


class Provider:
    """Discovery and JWKS as an identity provider serves them; counts fetches."""

    def __init__(self) -> None:
        self.keys = [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1")]
        self.fetches: list[str] = []

    def __call__(self, url: str) -> dict[str, Any]:
        self.fetches.append(url)
        if url == f"{ISSUER}/.well-known/openid-configuration":
            return {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}
        assert url == f"{ISSUER}/jwks"
        return {"keys": list(self.keys)}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "exp": now + 300,
        "iat": now,
        "email": "ada@example.com",
        "email_verified": True,
        **overrides,
    }


def sign(
    payload: dict[str, Any], *, key: Any = RSA_KEY, alg: str = "RS256", kid: str | None = "rsa-1"
) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(
        {k: v for k, v in payload.items() if v is not None}, key, algorithm=alg, headers=headers
    )


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def verifier(provider: Provider) -> TokenVerifier:
    return TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=provider)


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    return caught.value.message


def test_a_good_token_gives_its_claims(verifier: TokenVerifier) -> None:
    got = verifier.verify(sign(claims(name="Ada", picture="https://x.test/a.png")))
    assert (got.issuer, got.subject, got.email, got.email_verified) == (
        ISSUER,
        "user-1",
        "ada@example.com",
        True,
    )
    assert (got.name, got.picture) == ("Ada", "https://x.test/a.png")
    ec_token = sign(claims(), key=EC_KEY, alg="ES256", kid="ec-1")
    assert verifier.verify(ec_token).subject == "user-1"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    unsigned = f"{_b64({'alg': 'none', 'kid': 'rsa-1'})}.{_b64(claims())}."
    assert "'none'" in refused(verifier, unsigned)


def test_hmac_signed_with_the_public_key_is_refused(verifier: TokenVerifier) -> None:
    """The classic confusion: a verifier that trusts the header's alg would check an
    HMAC made with the (public, fetchable) RSA key as its secret, and accept."""
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"})
    body = _b64(claims())
    import hashlib
    import hmac

    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert "'HS256'" in refused(verifier, forged)


def test_a_token_without_kid_is_refused(verifier: TokenVerifier) -> None:
    assert "kid" in refused(verifier, sign(claims(), kid=None))


def test_an_oversized_token_is_refused_before_parsing() -> None:
    huge = sign(claims(padding="x" * 9000))
    assert len(huge) > auth.JWT_MAX_LENGTH
    with pytest.raises(Unauthenticated, match="malformed"):
        auth.parse_authorization_header(f"Bearer {huge}")
    assert auth.parse_authorization_header(f"Bearer {sign(claims())}")


def test_a_key_of_the_wrong_type_for_the_alg_is_refused(verifier: TokenVerifier) -> None:
    # The EC key's kid with an RSA signature, and the other way round.
    assert refused(verifier, sign(claims(), kid="ec-1"))
    assert refused(verifier, sign(claims(), key=EC_KEY, alg="ES256", kid="rsa-1"))


def test_a_jwk_declaring_another_alg_is_refused(provider: Provider) -> None:
    provider.keys = [jwk(RSA_KEY, "rsa-1", alg="PS256")]
    verifier = TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=provider)
    assert "PS256" in refused(verifier, sign(claims()))
    assert verifier.verify(sign(claims(), alg="PS256")).subject == "user-1"


@pytest.mark.parametrize(
    "override, words",
    [
        ({"iss": "https://evil.example.test"}, "issuer"),
        ({"iss": ISSUER + "/"}, "issuer"),  # exactly, not "the same URL"
        ({"aud": "https://other-api.example.test"}, "Audience"),
        ({"aud": None}, "aud"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"sub": ""}, "sub"),
        # Times relative to the moment the test runs (collection may be minutes earlier).
        ({"exp": -LEEWAY_S - 5}, "expired"),
        ({"nbf": LEEWAY_S + 30}, "not yet valid"),
        ({"iat": LEEWAY_S + 30}, "not yet valid"),
    ],
)
def test_claims_are_checked(verifier: TokenVerifier, override: dict[str, Any], words: str) -> None:
    now = int(time.time())
    relative = {
        k: now + v if k in ("exp", "nbf", "iat") and isinstance(v, int) else v
        for k, v in override.items()
    }
    assert words in refused(verifier, sign(claims(**relative)))


def test_clock_skew_within_the_leeway_is_tolerated(verifier: TokenVerifier) -> None:
    now = int(time.time())
    skewed = claims(exp=now - LEEWAY_S + 20, nbf=now + LEEWAY_S - 20, iat=now + LEEWAY_S - 20)
    assert verifier.verify(sign(skewed)).subject == "user-1"


def test_an_audience_list_containing_ours_is_accepted(verifier: TokenVerifier) -> None:
    assert verifier.verify(sign(claims(aud=["https://other", AUDIENCE]))).subject == "user-1"


def test_keys_are_fetched_once_then_again_only_for_an_unknown_kid_at_most_every_30_s(
    provider: Provider, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sign(claims())
    for _ in range(5):
        verifier.verify(token)
    assert provider.fetches == [f"{ISSUER}/.well-known/openid-configuration", f"{ISSUER}/jwks"]
    assert not verifier.needs_fetch(token)
    # The provider rotates: a new key appears. Within 30 s of the last fetch, an
    # unknown kid does not make us ask again (a flood of made-up kids costs nothing)...
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider.keys = [jwk(rotated, "rsa-2")]
    new_token = sign(claims(), key=rotated, kid="rsa-2")
    for kid in ("made-up-1", "made-up-2"):
        refused(verifier, sign(claims(), kid=kid))
    assert "not in the provider's JWKS" in refused(verifier, new_token)
    assert len(provider.fetches) == 2
    # ...past it, the next unknown kid fetches once and the new key works.
    clock = time.monotonic() + REFETCH_INTERVAL_S + 1
    monkeypatch.setattr("workspaced.auth.oidc.time.monotonic", lambda: clock)
    assert verifier.verify(new_token).subject == "user-1"
    assert provider.fetches[2:] == [f"{ISSUER}/jwks"]
    # The old key is gone with the old JWKS.
    assert "not in the provider's JWKS" in refused(verifier, token)


def test_a_provider_that_does_not_answer_is_503_not_401() -> None:
    def down(url: str) -> dict[str, Any]:
        raise Unavailable("down", retry_after=5)

    verifier = TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=down)
    with pytest.raises(Unavailable):
        verifier.verify(sign(claims()))


def test_discovery_naming_another_issuer_is_not_trusted() -> None:
    def lying(url: str) -> dict[str, Any]:
        return {"issuer": "https://evil.example.test", "jwks_uri": f"{ISSUER}/jwks"}

    verifier = TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=lying)
    with pytest.raises(Unavailable, match="issuer"):
        verifier.verify(sign(claims()))


def test_several_issuers_are_told_apart() -> None:
    configs = parse_issuers(f"{ISSUER} https://other.example.test", "aud-1 aud-2")
    assert configs == (
        IssuerConfig(ISSUER, "aud-1"),
        IssuerConfig("https://other.example.test", "aud-2"),
    )
    assert parse_issuers("https://a.test https://b.test", "one") == (
        IssuerConfig("https://a.test", "one"),
        IssuerConfig("https://b.test", "one"),
    )


@pytest.mark.parametrize(
    "issuers, audiences, words",
    [
        ("https://a.test", "", "AUDIENCE is required"),
        ("", "aud", "without WORKSPACED_OIDC_ISSUER"),
        ("http://id.example.test", "aud", "https://"),
        ("https://a.test https://b.test", "x y z", "one per issuer"),
        ("https://a.test https://a.test", "x", "twice"),
    ],
)
def test_bad_configuration_is_named(issuers: str, audiences: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_issuers(issuers, audiences)


@pytest.mark.parametrize(
    "header, payload",
    [
        ({"alg": "RS256", "kid": "rsa-1"}, ["not", "an", "object"]),
        ({"alg": "RS256", "kid": "rsa-1"}, {"iss": ["a", "list"]}),
        ({"alg": "RS256", "kid": ["rsa-1"]}, {"iss": ISSUER}),
        ({"alg": ["RS256"], "kid": "rsa-1"}, {"iss": ISSUER}),
    ],
)
def test_odd_json_is_a_401_not_a_crash(verifier: TokenVerifier, header: Any, payload: Any) -> None:
    token = f"{_b64(header)}.{_b64(payload)}.c2ln"
    refused(verifier, token)


def test_while_the_provider_is_down_unknown_kids_are_503_without_asking_again(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    up = False

    def flaky(url: str) -> dict[str, Any]:
        calls.append(url)
        if not up:
            raise Unavailable("down", retry_after=5)
        return provider(url)

    verifier = TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=flaky)
    token = sign(claims())
    for _ in range(3):
        with pytest.raises(Unavailable):
            verifier.verify(token)
    assert len(calls) == 1  # one attempt per interval, however many requests
    up = True
    clock = time.monotonic() + REFETCH_INTERVAL_S + 1
    monkeypatch.setattr("workspaced.auth.oidc.time.monotonic", lambda: clock)
    assert verifier.verify(token).subject == "user-1"


def test_a_key_the_provider_withdraws_stops_working_within_the_keys_max_age(
    provider: Provider, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No unknown kid ever arrives, so only the age of the key set brings the news."""
    token = sign(claims())
    assert verifier.verify(token).subject == "user-1"
    provider.keys = [jwk(EC_KEY, "ec-1")]  # rsa-1 withdrawn (compromised, say)
    assert verifier.verify(token).subject == "user-1"  # not yet known here
    later = time.monotonic() + KEYS_MAX_AGE_S + 1
    monkeypatch.setattr("workspaced.auth.oidc.time.monotonic", lambda: later)
    assert "not in the provider's JWKS" in refused(verifier, token)


def test_a_verified_token_is_not_trusted_past_its_expiry(provider: Provider) -> None:
    verifier = TokenVerifier([IssuerConfig(ISSUER, AUDIENCE)], fetch=provider, leeway_s=0)
    token = sign(claims(exp=int(time.time()) + 1))
    assert verifier.verify(token).subject == "user-1"  # now remembered as verified
    time.sleep(2.05)
    assert "expired" in refused(verifier, token)
