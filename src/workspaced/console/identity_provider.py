"""Signing in to the console through the configured identity provider: OpenID Connect's
authorization code flow with PKCE (S256).

`begin` makes the authorization request and the flow's secrets (state, nonce, PKCE
verifier); they travel to the callback in a cookie signed with a key only this server
holds (`FlowCookie`), HttpOnly and short-lived, so nothing is stored before the provider
answers and any replica can finish a flow another began. `finish` checks the answer
(`state`, the RFC 9207 `iss`), redeems the code at the token endpoint with the verifier,
and verifies the ID token with the same keys and checks as a bearer JWT
(`auth.oidc.TokenVerifier`: signature, `iss`, `exp`, `nbf`/`iat`), with the console's
client id as the audience and the flow's `nonce`. Claims a provider leaves out of the ID
token (OpenID Connect puts profile and email claims in the userinfo answer for the code
flow) are read from its userinfo endpoint, whose `sub` must be the ID token's.

No HTTP framework here: the console's pages call this and render what it raises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from workspaced.auth.oidc import (
    FETCH_TIMEOUT_S,
    MAX_DOCUMENT_BYTES,
    Claims,
    ConsoleClient,
    TokenVerifier,
    claims_of,
)
from workspaced.kit.errors import InvalidArgument, Unauthenticated, Unavailable

FLOW_TTL_S = 600  # the user has ten minutes at the provider
SCOPE = "openid email profile"
_MAC_BYTES = 32


class SignInRefused(Unauthenticated):
    """The provider's answer does not complete this browser's sign-in; the message says
    why (shown on the page: nothing secret is in it)."""


@dataclass(frozen=True)
class Flow:
    """What the callback must match, kept in the signed flow cookie."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    expires: float

    def to_json(self) -> dict[str, Any]:
        return {
            "s": self.state,
            "n": self.nonce,
            "v": self.verifier,
            "x": self.next_path,
            "e": self.expires,
        }


class FlowCookie:
    """A `Flow` as a cookie value: base64url JSON and its HMAC-SHA256, so the browser
    carries it but cannot forge or alter one."""

    def __init__(self, key: bytes) -> None:
        # Its own key, derived from the server's secret for this one purpose.
        self._key = hmac.new(key, b"workspaced console oidc flow", hashlib.sha256).digest()

    def encode(self, flow: Flow) -> str:
        payload = orjson.dumps(flow.to_json())
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}"

    def decode(self, value: str | None) -> Flow | None:
        """The flow, or None when the cookie is missing, altered or expired."""
        if not value or len(value) > 4096 or not value.isascii():
            return None
        payload_part, _, mac_part = value.partition(".")
        try:
            payload, mac = _unb64(payload_part), _unb64(mac_part)
        except ValueError:
            return None
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()
        if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, expected):
            return None
        try:
            data = orjson.loads(payload)
            flow = Flow(
                str(data["s"]), str(data["n"]), str(data["v"]), str(data["x"]), float(data["e"])
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return flow if flow.expires > time.time() else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise ValueError("not base64url") from error


class ConsoleSignIn:
    """The console as a client of its identity provider."""

    def __init__(self, client: ConsoleClient, verifier: TokenVerifier, key: bytes) -> None:
        self.client = client
        self.verifier = verifier
        self.cookies = FlowCookie(key)

    def _endpoint(self, name: str) -> str:
        url = self.verifier.issuer_keys(self.client.issuer).discovery().get(name)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise Unavailable(
                f"the identity provider's discovery document has no {name}", retry_after=5
            )
        return url

    def begin(self, redirect_uri: str, next_path: str, login_hint: str = "") -> tuple[str, Flow]:
        """The authorization request's URL, and the flow its callback must match."""
        verifier = secrets.token_urlsafe(48)
        flow = Flow(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=verifier,
            next_path=next_path,
            expires=time.time() + FLOW_TTL_S,
        )
        parameters = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": _b64(hashlib.sha256(verifier.encode("ascii")).digest()),
            "code_challenge_method": "S256",
        }
        if login_hint:
            parameters["login_hint"] = login_hint
        endpoint = self._endpoint("authorization_endpoint")
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(parameters)}", flow

    def finish(self, flow: Flow | None, redirect_uri: str, answer: dict[str, str]) -> Claims:
        """The identity the provider's answer (the callback's query) proves, or
        SignInRefused naming the check that failed."""
        if flow is None:
            raise SignInRefused(
                "no sign-in is in progress in this browser (it expired, was already "
                "completed, or was started elsewhere)"
            )
        if "error" in answer:
            description = answer.get("error_description", "")[:300]
            raise SignInRefused(
                f"the identity provider refused the sign-in: {answer['error'][:100]}"
                + (f" ({description})" if description else "")
            )
        state = answer.get("state", "")
        if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
            raise SignInRefused("the answer does not belong to this browser's sign-in (state)")
        issuer = answer.get("iss")
        if issuer is not None and issuer != self.client.issuer:
            raise SignInRefused("the answer comes from another identity provider (iss)")
        code = answer.get("code", "")
        if not code:
            raise InvalidArgument("code", "is missing from the identity provider's answer")
        tokens = self._redeem(code, redirect_uri, flow.verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("the identity provider sent no ID token")
        try:
            payload = self.verifier.verify_id_token(
                id_token, issuer=self.client.issuer, audience=self.client.client_id
            )
        except Unauthenticated as error:
            raise SignInRefused(f"the ID token was refused: {error.message}") from None
        nonce = payload.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), flow.nonce.encode()
        ):
            raise SignInRefused("the ID token was issued for another sign-in (nonce)")
        audience = payload.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if several and payload.get("azp") != self.client.client_id:
            raise SignInRefused("the ID token was issued to another client (azp)")
        access_token = tokens.get("access_token")
        if "email" not in payload and isinstance(access_token, str):
            payload = {**payload, **self._userinfo(access_token, payload["sub"])}
        return claims_of(self.client.issuer, payload)

    def _redeem(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: tuple[str, str] | None = None
        if self.client.client_secret is None:
            form["client_id"] = self.client.client_id
        else:
            auth = (self.client.client_id, self.client.client_secret)
        response = _call("POST", self._endpoint("token_endpoint"), data=form, auth=auth)
        body = _json(response)
        if response.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            raise SignInRefused(
                "the identity provider did not accept the sign-in's code"
                + (f" ({str(error)[:100]})" if error else f" ({response.status_code})")
                + ": it may have been used already or expired; sign in again"
            )
        if not isinstance(body, dict):
            raise SignInRefused("the identity provider's token answer is not a JSON object")
        return body

    def _userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        try:
            endpoint = self._endpoint("userinfo_endpoint")
        except Unavailable:
            return {}  # no userinfo: the ID token's claims are all there is
        response = _call("GET", endpoint, headers={"Authorization": f"Bearer {access_token}"})
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise SignInRefused("the identity provider's userinfo endpoint did not answer")
        # OpenID Connect Core 5.3.2: a userinfo answer for another subject is not used.
        if body.get("sub") != subject:
            raise SignInRefused("the userinfo answer is about another user (sub)")
        return {
            name: body[name]
            for name in ("email", "email_verified", "name", "picture")
            if name in body
        }


def _call(method: str, url: str, **options: Any) -> httpx.Response:
    try:
        response = httpx.request(method, url, timeout=FETCH_TIMEOUT_S, **options)
    except httpx.HTTPError as error:
        raise Unavailable(
            f"the identity provider cannot be reached ({type(error).__name__})", retry_after=5
        ) from None
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise SignInRefused("the identity provider's answer is too large")
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
