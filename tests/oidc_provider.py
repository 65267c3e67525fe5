"""A real OpenID Provider for tests of JWT authentication: panva's oidc-provider under Node.

`IdentityProvider` runs `tests/support_oidc/provider.mjs` (oidc-provider, pinned in
`tests/support_oidc/package.json`) on a free loopback port, with issuer
``http://127.0.0.1:<port>``. Tests register accounts with `add_account` and get JWT access
tokens with `access_token`, which drives a real authorization-code flow with PKCE:

1. ``GET /auth`` with ``response_type=code``, ``scope=openid email profile``, a S256
   ``code_challenge``, ``login_hint=<sub>`` and ``resource=<indicator>``;
2. the provider redirects to its interaction (``/interaction/<uid>``), which provider.mjs
   implements without a page: it logs in the account named by ``login_hint`` and grants what
   was asked, then redirects back to the authorization endpoint (without a ``login_hint``
   a browser gets oidc-provider's devInteractions pages instead: a login form, where the
   login is the account's ``sub`` and any password does, then a consent form);
3. the authorization endpoint redirects to the client's redirect_uri with ``code`` (the test
   reads it from the Location header; nothing listens at the redirect_uri);
4. ``POST /token`` (client_secret_basic) with the code, the ``code_verifier`` and the same
   ``resource``: oidc-provider answers with a JWT access token for that resource.

How audience, lifetime and algorithm reach the provider: they are encoded in the resource
indicator (RFC 8707), ``urn:workspaced-tests:resource?audience=<aud>&ttl=<s>&alg=<alg>``
(see `resource_indicator`). provider.mjs's ``getResourceServerInfo`` decodes it into
``audience``, ``accessTokenTTL`` and ``jwt.sign.alg`` with ``accessTokenFormat: 'jwt'``, so
one provider serves any number of audiences and lifetimes without configuration. The
indicator itself appears nowhere in the token.

The access token's claims: ``iss`` (= `IdentityProvider.issuer`), ``sub``, ``aud`` (the
audience, a string), ``iat``, ``exp`` (= iat + ttl), ``jti``, ``client_id``, plus the
account's ``email``, ``email_verified`` and, when set, ``name`` and ``picture`` (added by
oidc-provider's ``extraTokenClaims``). Its header has ``typ: at+jwt`` and the ``kid`` of the
key that signed it (RS256 by default, ES256 with ``alg="ES256"``).

The client's redirect URIs are ``<issuer>/cb`` and
``http://console.test/console/sign-in/oidc/callback``, plus the ``redirect_uris`` given to
`IdentityProvider` (passed on provider.mjs's command line), e.g. a live console's callback.

Each provider process generates its own RSA and EC P-256 keys with random kids;
`rotate_keys` restarts it on the same port with new keys, so the old kids leave the JWKS.
Accounts are kept on the Python side too and re-registered after a restart.

The npm package is installed once per machine under
``$XDG_CACHE_HOME/workspaced-tests/oidc-provider-<version>`` (``~/.cache`` without
XDG_CACHE_HOME) by `ensure_installed`, under a file lock so pytest-xdist workers share it.

Use the session fixture in a conftest (or test module)::

    from tests.oidc_provider import identity_provider  # noqa: F401

Without node/npm the fixture skips, except when CI=true, where it fails.
``WORKSPACED_TEST_OIDC_LOG=<path>`` keeps the provider's output in that file (appended);
otherwise it goes to a temporary file, shown in the error when something fails.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

SUPPORT_DIR = Path(__file__).resolve().parent / "support_oidc"
PACKAGE_JSON = SUPPORT_DIR / "package.json"
PACKAGE_LOCK = SUPPORT_DIR / "package-lock.json"
PROVIDER_SCRIPT = SUPPORT_DIR / "provider.mjs"

# These match provider.mjs.
CLIENT_ID = "workspaced-tests"
CLIENT_SECRET = "workspaced-tests-secret"
RESOURCE_PREFIX = "urn:workspaced-tests:resource?"
SCOPE = "openid email profile"

Algorithm = Literal["RS256", "ES256"]

STARTUP_TIMEOUT_S = 30.0
NPM_TIMEOUT_S = 600.0
_HTTP_TIMEOUT_S = 10.0
_LOG_TAIL_CHARS = 4000


def oidc_provider_version() -> str:
    """The exact oidc-provider version pinned in tests/support_oidc/package.json."""
    package = json.loads(PACKAGE_JSON.read_text())
    version = package["dependencies"]["oidc-provider"]
    assert isinstance(version, str)
    return version


def cache_dir() -> Path:
    """Where `ensure_installed` installs the npm package."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workspaced-tests" / f"oidc-provider-{oidc_provider_version()}"


def _install_digest() -> str:
    digest = hashlib.sha256(PACKAGE_JSON.read_bytes())
    if PACKAGE_LOCK.exists():
        digest.update(PACKAGE_LOCK.read_bytes())
    return digest.hexdigest()


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not on PATH; the OIDC provider tests need Node.js and npm")
    return path


def ensure_installed() -> Path:
    """Install oidc-provider into `cache_dir` unless already there; return that directory.

    Safe to call from several processes at once (an exclusive flock serializes them); an
    install is reused while package.json and package-lock.json are unchanged.
    """
    target = cache_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    marker = target / ".installed"
    digest = _install_digest()
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            installed = target / "node_modules" / "oidc-provider" / "package.json"
            if marker.exists() and marker.read_text() == digest and installed.exists():
                return target
            npm = _require_tool("npm")
            target.mkdir(exist_ok=True)
            marker.unlink(missing_ok=True)
            shutil.copyfile(PACKAGE_JSON, target / "package.json")
            if PACKAGE_LOCK.exists():
                shutil.copyfile(PACKAGE_LOCK, target / "package-lock.json")
                command = [npm, "ci", "--no-audit", "--no-fund"]
            else:
                (target / "package-lock.json").unlink(missing_ok=True)
                command = [npm, "install", "--no-audit", "--no-fund"]
            try:
                result = subprocess.run(
                    command,
                    cwd=target,
                    capture_output=True,
                    text=True,
                    timeout=NPM_TIMEOUT_S,
                    env={**os.environ, "npm_config_update_notifier": "false"},
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise RuntimeError(
                    f"`{' '.join(command)}` in {target} took over {NPM_TIMEOUT_S:.0f} s"
                ) from exc
            if result.returncode != 0 or not installed.exists():
                raise RuntimeError(
                    f"`{' '.join(command)}` in {target} failed (exit {result.returncode}):\n"
                    f"{result.stdout[-_LOG_TAIL_CHARS:]}\n{result.stderr[-_LOG_TAIL_CHARS:]}"
                )
            marker.write_text(digest)
            return target
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _installed_script(install_dir: Path) -> Path:
    """provider.mjs, copied next to node_modules: Node resolves an ES module's imports from
    the script's real location (symlinks resolved), so it must live in the install dir. The
    copy is named by content and written atomically, so concurrent workers agree."""
    source = PROVIDER_SCRIPT.read_bytes()
    script = install_dir / f"provider-{hashlib.sha256(source).hexdigest()[:16]}.mjs"
    if not script.exists() or script.read_bytes() != source:
        fd, temporary = tempfile.mkstemp(dir=install_dir, suffix=".mjs.tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(source)
        os.replace(temporary, script)
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def resource_indicator(audience: str, ttl_s: int, alg: Algorithm = "RS256") -> str:
    """The resource indicator provider.mjs turns into a JWT access token for `audience`
    that lives `ttl_s` seconds and is signed with `alg`."""
    return RESOURCE_PREFIX + urlencode({"audience": audience, "ttl": ttl_s, "alg": alg})


def _b64url_json(part: str) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a JWS compact serialization") from exc
    if not isinstance(decoded, dict):
        raise ValueError("JWT part is not a JSON object")
    return decoded


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a JWT, not verified."""
    return _b64url_json(token.split(".")[0])


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, not verified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWS compact serialization")
    return _b64url_json(parts[1])


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


class IdentityProvider:
    """One oidc-provider process on 127.0.0.1; see the module docstring."""

    def __init__(
        self, *, startup_timeout_s: float = STARTUP_TIMEOUT_S, redirect_uris: Sequence[str] = ()
    ) -> None:
        self.startup_timeout_s = startup_timeout_s
        # Registered for the client besides {issuer}/cb and the console.test callback.
        self.extra_redirect_uris = tuple(redirect_uris)
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._install_dir: Path | None = None
        self._temp_dir: Path | None = None
        self._log_path: Path | None = None
        self._discovery: dict[str, Any] | None = None
        self._accounts: dict[str, dict[str, Any]] = {}

    # Lifecycle

    def start(self) -> Self:
        if self._process is not None:
            return self
        self._install_dir = ensure_installed()
        kept = os.environ.get("WORKSPACED_TEST_OIDC_LOG")
        if kept:
            self._log_path = Path(kept)
        else:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="workspaced-oidc-"))
            self._log_path = self._temp_dir / "provider.log"
        try:
            # The port is chosen here and could be taken before node binds it: try again.
            for attempt in range(3):
                self._port = free_port()
                try:
                    self._launch()
                    break
                except _PortTaken:
                    if attempt == 2:
                        raise RuntimeError(
                            f"the OIDC provider found no free port\n{self.log_tail()}"
                        ) from None
        except BaseException:
            self.stop()  # the error carries the log's tail
            raise
        return self

    def stop(self) -> None:
        self._terminate()
        self._discovery = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def rotate_keys(self) -> None:
        """Restart the provider on the same port and issuer with new signing keys (new
        kids); registered accounts are registered again. Tokens issued before stay valid
        JWTs but their kid is no longer in the JWKS."""
        if self._process is None:
            raise RuntimeError("the OIDC provider is not running")
        self._terminate()
        try:
            self._launch()
        except _PortTaken:
            raise RuntimeError(
                f"port {self._port} was taken while the OIDC provider restarted\n{self.log_tail()}"
            ) from None

    def _launch(self) -> None:
        assert self._install_dir is not None and self._log_path is not None
        node = _require_tool("node")
        script = _installed_script(self._install_dir)
        with open(self._log_path, "ab") as log:
            log.write(f"--- starting {script.name} on port {self._port}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                [node, str(script), str(self._port), *self.extra_redirect_uris],
                cwd=self._install_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._discovery = None
        deadline = time.monotonic() + self.startup_timeout_s
        url = self.issuer + "/.well-known/openid-configuration"
        while True:
            if self._process.poll() is not None:
                self._process = None
                tail = self.log_tail()
                if "EADDRINUSE" in tail.rsplit("--- starting", 1)[-1]:
                    raise _PortTaken
                raise RuntimeError(f"the OIDC provider exited while starting\n{tail}")
            try:
                response = httpx.get(url, timeout=1.0)
                if response.status_code == 200:
                    discovery = response.json()
                    assert isinstance(discovery, dict)
                    if discovery.get("issuer") != self.issuer:
                        raise RuntimeError(
                            f"discovery's issuer is {discovery.get('issuer')!r}, "
                            f"expected {self.issuer!r}"
                        )
                    self._discovery = discovery
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self._terminate()
                raise RuntimeError(
                    f"the OIDC provider did not answer {url} within "
                    f"{self.startup_timeout_s:.0f} s\n{self.log_tail()}"
                )
            time.sleep(0.05)
        for account in self._accounts.values():
            self._register(account)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    # Facts

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the OIDC provider has not been started")
        return self._port

    @property
    def issuer(self) -> str:
        """Exactly the ``iss`` of its tokens and the ``issuer`` of its discovery document."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return self.issuer + "/cb"

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    def log_tail(self, chars: int = _LOG_TAIL_CHARS) -> str:
        if self._log_path is None or not self._log_path.exists():
            return "(no provider log)"
        text = self._log_path.read_bytes()[-chars:].decode(errors="replace")
        return f"--- provider log {self._log_path} (tail):\n{text}"

    def discovery(self) -> dict[str, Any]:
        """The provider's ``/.well-known/openid-configuration`` (fetched at start)."""
        if self._discovery is None or self._process is None:
            raise RuntimeError("the OIDC provider is not running")
        return self._discovery

    @property
    def jwks_uri(self) -> str:
        uri = self.discovery()["jwks_uri"]
        assert isinstance(uri, str)
        return uri

    def jwks(self) -> dict[str, Any]:
        """The provider's current public keys, from the jwks_uri of its discovery document."""
        response = httpx.get(self.jwks_uri, timeout=_HTTP_TIMEOUT_S)
        response.raise_for_status()
        keys = response.json()
        assert isinstance(keys, dict)
        return keys

    # Accounts and tokens

    def add_account(
        self,
        sub: str,
        *,
        email: str,
        email_verified: bool,
        name: str | None = None,
        picture: str | None = None,
    ) -> None:
        """Register (or replace) an account the provider logs in and puts in its tokens.
        Before `start`, the account is registered when the provider starts."""
        account: dict[str, Any] = {
            "sub": sub,
            "email": email,
            "email_verified": email_verified,
            "name": name,
            "picture": picture,
        }
        if self._process is not None:
            self._register(account)
        self._accounts[sub] = account

    def _register(self, account: dict[str, Any]) -> None:
        response = httpx.post(
            self.issuer + "/__test/accounts", json=account, timeout=_HTTP_TIMEOUT_S
        )
        if response.status_code != 204:
            raise RuntimeError(
                f"the OIDC provider refused account {account['sub']!r}: "
                f"{response.status_code} {response.text}"
            )

    def access_token(
        self, sub: str, *, audience: str, ttl_s: int = 300, alg: Algorithm = "RS256"
    ) -> str:
        """A JWT access token for `sub`, audience `audience`, expiring in `ttl_s` seconds,
        obtained through the authorization-code flow with PKCE."""
        token = self.token_response(sub, audience=audience, ttl_s=ttl_s, alg=alg)["access_token"]
        assert isinstance(token, str)
        return token

    def token_response(
        self, sub: str, *, audience: str, ttl_s: int = 300, alg: Algorithm = "RS256"
    ) -> dict[str, Any]:
        """The token endpoint's whole answer (access_token, id_token, expires_in, ...) for
        the flow `access_token` describes."""
        if sub not in self._accounts:
            raise ValueError(f"no account {sub!r}: call add_account first")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        discovery = self.discovery()
        resource = resource_indicator(audience, ttl_s, alg)
        verifier, challenge = _pkce_pair()
        state = secrets.token_urlsafe(16)
        # A fresh client (and cookie jar) per token: no provider session carries over.
        with httpx.Client(follow_redirects=False, timeout=_HTTP_TIMEOUT_S) as client:
            response = client.get(
                discovery["authorization_endpoint"],
                params={
                    "client_id": CLIENT_ID,
                    "response_type": "code",
                    "redirect_uri": self.redirect_uri,
                    "scope": SCOPE,
                    "state": state,
                    "nonce": secrets.token_urlsafe(16),
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                    "login_hint": sub,
                    "resource": resource,
                },
            )
            code = self._follow_to_code(client, response, state)
            response = client.post(
                discovery["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": verifier,
                    "resource": resource,
                },
                auth=(CLIENT_ID, CLIENT_SECRET),
            )
        if response.status_code != 200:
            raise RuntimeError(
                f"the token endpoint answered {response.status_code}: {response.text}\n"
                f"{self.log_tail()}"
            )
        body = response.json()
        assert isinstance(body, dict)
        return body

    def _follow_to_code(self, client: httpx.Client, response: httpx.Response, state: str) -> str:
        for _ in range(10):
            location = response.headers.get("location")
            if not response.is_redirect or location is None:
                raise RuntimeError(
                    f"the authorization flow stopped at {response.request.url}: "
                    f"{response.status_code} {response.text[:2000]}\n{self.log_tail()}"
                )
            target = urljoin(str(response.request.url), location)
            if target.split("?", 1)[0] == self.redirect_uri:
                query: dict[str, str] = {
                    key: values[0] for key, values in parse_qs(urlsplit(target).query).items()
                }
                if "error" in query:
                    raise RuntimeError(f"the authorization endpoint refused: {query}")
                if query.get("state") != state or query.get("iss") != self.issuer:
                    raise RuntimeError(f"unexpected authorization response {query}")
                return query["code"]
            response = client.get(target)
        raise RuntimeError(f"too many redirects in the authorization flow\n{self.log_tail()}")


class _PortTaken(Exception):
    pass


def require_node() -> None:
    """Skip the test without node and npm, unless CI=true, where it fails."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not on PATH: the OIDC provider needs Node.js"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[IdentityProvider]:
    """One oidc-provider process per test process. Tests sharing it should not call
    rotate_keys (others may hold its kids); start their own IdentityProvider for that."""
    require_node()
    with IdentityProvider() as provider:
        yield provider
