"""Verifying the product's identity provider's JWTs (SPEC §3).

A JWT is accepted only when signed by a key of its issuer's JWKS with a matching `kid`,
by an asymmetric algorithm of `ALGORITHMS` (never `none`, never HMAC: an HMAC "signed"
with a public key anyone can fetch proves nothing); when `iss` is a configured issuer
exactly, `aud` contains that issuer's audience, `exp` is present and in the future and
`nbf`/`iat` are respected, each with `LEEWAY_S` of clock skew.

Keys are found through discovery (`{issuer}/.well-known/openid-configuration`, then its
`jwks_uri`), cached, and fetched again when a token names a `kid` the cache does not hold
(the provider rotated its keys), at most once every `REFETCH_INTERVAL_S` per issuer: a
stream of tokens with made-up `kid`s costs the provider one request every 30 s, not one
each. Verifying with a cached key does no I/O, so a request never waits on the network
once the keys are known. PyJWT does the cryptography and claim checks.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from workspaced.kit.errors import Unauthenticated, Unavailable

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
# The JWK key type (`kty`) each algorithm family signs with.
KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
LEEWAY_S = 60
REFETCH_INTERVAL_S = 30.0
FETCH_TIMEOUT_S = 5.0
MAX_DOCUMENT_BYTES = 512 * 1024
RETRY_AFTER_S = 5
VERIFIED_TTL_S = 300.0
KEYS_MAX_AGE_S = 600.0
VERIFIED_MAX = 4096


@dataclass(frozen=True)
class IssuerConfig:
    issuer: str  # exactly as the provider writes it in `iss` and in discovery
    audience: str  # what `aud` must contain: the API identifier the provider issues for


@dataclass(frozen=True)
class ConsoleClient:
    """The admin console as an OAuth client of one configured issuer (docs/console.md)."""

    issuer: str
    client_id: str
    client_secret: str | None  # None: a public client (PKCE alone binds the code)


def parse_issuers(issuers: str, audiences: str) -> tuple[IssuerConfig, ...]:
    """`WORKSPACED_OIDC_ISSUER` and `WORKSPACED_OIDC_AUDIENCE`: one issuer or several
    (separated by spaces), with one audience for all or one each, in the same order.
    ValueError names what is wrong."""
    issuer_list, audience_list = issuers.split(), audiences.split()
    if not issuer_list:
        if audience_list:
            raise ValueError("WORKSPACED_OIDC_AUDIENCE is set without WORKSPACED_OIDC_ISSUER")
        return ()
    if not audience_list:
        raise ValueError("WORKSPACED_OIDC_AUDIENCE is required with WORKSPACED_OIDC_ISSUER")
    if len(audience_list) not in (1, len(issuer_list)):
        raise ValueError("give one WORKSPACED_OIDC_AUDIENCE, or one per issuer")
    for issuer in issuer_list:
        if not re.fullmatch(r"https://[^\s/?#]+(/[^\s?#]*)?", issuer) and not re.fullmatch(
            r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/[^\s?#]*)?", issuer
        ):
            raise ValueError(
                f"issuer {issuer!r} must be an https:// URL (http:// only on the loopback)"
            )
    if len(set(issuer_list)) != len(issuer_list):
        raise ValueError("an issuer is listed twice")
    if len(audience_list) == 1:
        audience_list = audience_list * len(issuer_list)
    return tuple(IssuerConfig(i, a) for i, a in zip(issuer_list, audience_list, strict=True))


@dataclass(frozen=True)
class Claims:
    """What workspaced takes from an accepted token."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    picture: str | None


Fetch = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class SigningKey:
    key: PyJWK
    alg: str | None  # as the JWK declares it, if it does


def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON object, bounded in time and size; Unavailable when the provider is not
    answering (the caller's credential may well be good: 503, not 401)."""
    try:
        with httpx.stream(
            "GET", url, headers={"Accept": "application/json"}, timeout=FETCH_TIMEOUT_S
        ) as response:
            if response.status_code != 200:
                raise _unavailable(f"{url} answered {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise _unavailable(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
    except httpx.HTTPError as error:
        raise _unavailable(f"{url}: {error}") from None
    try:
        document = httpx.Response(200, content=body).json()
    except ValueError:
        raise _unavailable(f"{url} did not send JSON") from None
    if not isinstance(document, dict):
        raise _unavailable(f"{url} did not send a JSON object")
    return document


def _unavailable(detail: str) -> Unavailable:
    return Unavailable(
        f"the identity provider's keys cannot be fetched ({detail})", retry_after=RETRY_AFTER_S
    )


class IssuerKeys:
    """One issuer's signing keys by `kid`: fetched lazily, fetched again on an unknown
    `kid` (a rotation) and once they are KEYS_MAX_AGE_S old (so a key the provider
    withdrew stops being trusted within that time), never more than once per
    REFETCH_INTERVAL_S. `generation` counts the key sets fetched."""

    def __init__(self, config: IssuerConfig, fetch: Fetch = fetch_json) -> None:
        self.config = config
        self._fetch = fetch
        self._lock = threading.Lock()
        self._jwks_uri: str | None = None
        self._discovery: dict[str, Any] | None = None
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._loaded_at = -KEYS_MAX_AGE_S
        self._failure: Unavailable | None = None  # how the last fetch failed, if it did
        self.generation = 0

    @property
    def fresh(self) -> bool:
        return time.monotonic() - self._loaded_at < KEYS_MAX_AGE_S

    def cached(self, kid: str) -> SigningKey | None:
        """The key if it is known and fresh: using it needs no I/O."""
        return self._keys.get(kid) if self.fresh else None

    def key(self, kid: str) -> SigningKey | None:
        """The key named `kid`, fetching the JWKS when the key is unknown or the set is
        stale and the last fetch is more than REFETCH_INTERVAL_S old; None if the
        provider does not have it. While the provider cannot be reached, a known key
        keeps working and an unknown one answers Unavailable."""
        key = self.cached(kid)
        if key is not None:
            return key
        with self._lock:  # one fetch at a time; the others then find its result
            key = self.cached(kid)
            if key is not None:
                return key
            now = time.monotonic()
            if self._fetched_at is not None and now - self._fetched_at < REFETCH_INTERVAL_S:
                key = self._keys.get(kid)
                if key is None and self._failure is not None:
                    raise self._failure  # still down, as far as we know: 503, not 401
                return key
            self._fetched_at = now
            try:
                keys = self._load()
            except Unavailable as failure:
                self._failure = failure
                key = self._keys.get(kid)
                if key is None:
                    raise
                return key
            self._keys, self._loaded_at, self._failure = keys, now, None
            self.generation += 1
            return self._keys.get(kid)

    def discovery(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once per process (the console's
        sign-in reads its endpoints from it); Unavailable while it cannot be fetched."""
        if self._discovery is None:
            discovery_url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            discovery = self._fetch(discovery_url)
            if discovery.get("issuer") != self.config.issuer:
                raise _unavailable(
                    f"discovery names issuer {discovery.get('issuer')!r}, "
                    f"not {self.config.issuer!r}"
                )
            self._discovery = discovery
        return self._discovery

    def _load(self) -> dict[str, SigningKey]:
        if self._jwks_uri is None:
            jwks_uri = self.discovery().get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise _unavailable("discovery has no jwks_uri")
            self._jwks_uri = jwks_uri
        keys = self._fetch(self._jwks_uri).get("keys")
        found: dict[str, SigningKey] = {}
        for entry in keys if isinstance(keys, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") not in ALGORITHMS:
                continue  # encryption keys, symmetric keys and unknown algorithms
            try:
                found[entry["kid"]] = SigningKey(PyJWK(entry), entry.get("alg"))
            except jwt.PyJWTError:
                continue  # a key type this library cannot use: never a match
        return found


class TokenVerifier:
    """Verifies JWTs of the configured issuers."""

    def __init__(
        self,
        issuers: Sequence[IssuerConfig],
        fetch: Fetch = fetch_json,
        *,
        leeway_s: float = LEEWAY_S,
    ) -> None:
        self._issuers = {config.issuer: IssuerKeys(config, fetch) for config in issuers}
        self._leeway_s = leeway_s
        # Tokens already verified, by their exact text, with when to stop trusting that:
        # a product sends one token many times, and checking its signature again each time
        # would cost more than the rest of a read. Another token string (forged, altered)
        # is not in here; an entry lasts until the token's expiry, at most VERIFIED_TTL_S.
        # A fetch of new keys (a rotation, a withdrawn key) sets every entry aside.
        self._verified: dict[str, tuple[float, IssuerKeys, int, Claims]] = {}

    def _parts(self, token: str) -> tuple[IssuerKeys, str, str]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise Unauthenticated(f"JWT algorithm {alg!r} is not accepted")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("the JWT names no signing key (kid)")
        issuer = unverified.get("iss")
        keys = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if keys is None:
            raise Unauthenticated("the JWT's issuer is not trusted here")
        return keys, alg, kid

    def needs_fetch(self, token: str) -> bool:
        """Whether verifying `token` may fetch keys (so it belongs off the event loop)."""
        known = self._verified.get(token)
        if known is not None:
            until, keys, generation, _ = known
            if time.time() < until and keys.generation == generation and keys.fresh:
                return False
        try:
            keys, _, kid = self._parts(token)
        except Unauthenticated:
            return False
        return keys.cached(kid) is None

    def verify(self, token: str) -> Claims:
        known = self._verified.get(token)
        if known is not None:
            until, keys, generation, claims = known
            if time.time() < until and keys.generation == generation and keys.fresh:
                return claims
        keys, claims, expire = self._verify(token)
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()  # simple bound: the next requests verify afresh
        until = min(expire + self._leeway_s, time.time() + VERIFIED_TTL_S)
        self._verified[token] = (until, keys, keys.generation, claims)
        return claims

    def issuer_keys(self, issuer: str) -> IssuerKeys:
        return self._issuers[issuer]

    def verify_id_token(self, token: str, *, issuer: str, audience: str) -> dict[str, Any]:
        """An OpenID Connect ID token the console received from `issuer`'s token endpoint
        for its client `audience`: the same keys, algorithms and checks as a bearer JWT
        (never cached: each one is used once), with the client id as the audience. The
        caller checks `nonce`. Returns the verified payload."""
        keys, _, _ = self._parts(token)
        if keys.config.issuer != issuer:
            raise Unauthenticated("the ID token comes from another issuer")
        _, payload = self._checked(token, audience)
        return payload

    def _verify(self, token: str) -> tuple[IssuerKeys, Claims, float]:
        keys, payload = self._checked(token, None)
        return keys, claims_of(keys.config.issuer, payload), float(payload["exp"])

    def _checked(self, token: str, audience: str | None) -> tuple[IssuerKeys, dict[str, Any]]:
        """The payload of a JWT whose signature and claims hold; `audience` replaces the
        issuer's configured one (the console's client id, for ID tokens)."""
        keys, alg, kid = self._parts(token)
        key = keys.key(kid)
        if key is None:
            raise Unauthenticated("the JWT's signing key (kid) is not in the provider's JWKS")
        if key.alg is not None and key.alg != alg:
            raise Unauthenticated(f"the key {kid!r} signs with {key.alg}, not {alg}")
        if key.key.key_type != KEY_TYPES[alg[:2]]:
            raise Unauthenticated(f"the key {kid!r} is a {key.key.key_type} key, not for {alg}")
        try:
            # The key object, not the JWK: PyJWT then refuses a key whose type does not fit
            # `alg` (an EC key for RS256, an RSA key for ES256).
            payload = jwt.decode(
                token,
                key=key.key.key,
                algorithms=[alg],
                audience=audience or keys.config.audience,
                issuer=keys.config.issuer,
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the JWT has expired") from None
        except (jwt.PyJWTError, ValueError, TypeError) as error:  # the library's and the key's
            raise Unauthenticated(f"the JWT is not valid: {error}") from None
        subject = payload["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise Unauthenticated("the JWT's sub must be a non-empty string")
        return keys, payload


def claims_of(issuer: str, payload: dict[str, Any]) -> Claims:
    """What workspaced takes from a verified token's (or a userinfo answer's) claims."""
    return Claims(
        issuer=issuer,
        subject=payload["sub"],
        email=_text(payload.get("email"), 320),
        email_verified=payload.get("email_verified") is True,
        name=_text(payload.get("name"), 200),
        picture=_text(payload.get("picture"), 2048),
    )


def _text(value: object, limit: int) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None
