"""SPEC §3 costs: `GET` one workspace with each kind of credential, side by side on one
server: a personal access token (the baseline), an organization API key and the identity
provider's JWT. The JWT's keys come from a local provider (discovery and JWKS served by a
thread on the loopback) and are fetched once: per request, verification must only check
a signature and claims against cached keys, never fetch or parse them.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete

from bench import common, servers
from bench.report import Report
from bench.seed import Dataset
from workspaced.api_key import service as api_keys
from workspaced.auth import service as auth
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.models import UserIdentity

TARGET = "§3"
AUDIENCE = "https://workspaced.bench.test"


@contextlib.contextmanager
def local_provider(key: ec.EllipticCurvePrivateKey) -> Iterator[str]:
    """An identity provider's discovery document and JWKS on a loopback port; the issuer."""
    port = common.free_port()
    issuer = f"http://{common.HOST}:{port}"
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    documents = {
        "/.well-known/openid-configuration": {"issuer": issuer, "jwks_uri": f"{issuer}/jwks"},
        "/jwks": {"keys": [{**public, "kid": "bench", "use": "sig", "alg": "ES256"}]},
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(documents.get(self.path, {})).encode()
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((common.HOST, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()


def _credentials(ds: Dataset, issuer: str, key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    """The viewer's token, the viewer as a JWT user (its identity bound directly: the bench
    data set's users are seeded in bulk), and an API key of the owner."""
    database = Database(ds.database_url)
    subject = f"bench-viewer-{ds.viewer_id}"
    try:
        with database.write() as session:
            # The data set is reused across runs, and the provider's port (so its issuer)
            # changes each run: bind the viewer to this run's identity alone.
            session.execute(
                delete(UserIdentity).where(UserIdentity.user_id == uuid.UUID(ds.viewer_id))
            )
            session.add(
                UserIdentity(
                    issuer=issuer,
                    subject=subject,
                    user_id=uuid.UUID(ds.viewer_id),
                    create_time=clock.now(),
                )
            )
            owner = auth.authenticate(session, ds.owner_token)[0]
            _, api_key = api_keys.create(
                session, owner, ds.org, display_name="bench", permissions=["workspaces:get"]
            )
    finally:
        database.dispose()
    now = int(time.time())
    claims = {"iss": issuer, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 3600}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "bench"})
    # The key acts as an organization admin: the owner's token is its like-for-like.
    return {
        "token (wsd_)": ds.viewer_token,
        "JWT (ES256)": token,
        "owner's token (wsd_)": ds.owner_token,
        "API key (wsk_)": api_key,
    }


def run(ds: Dataset, settings: common.Settings, report: Report) -> None:
    print("§3: GET one workspace by credential kind", flush=True)
    key = ec.generate_private_key(ec.SECP256R1())
    path = f"/api/v1/organizations/{ds.org}/workspaces/{ds.team}"
    with contextlib.ExitStack() as stack:
        issuer = stack.enter_context(local_provider(key))
        credentials = _credentials(ds, issuer, key)
        server = servers.start_ours(
            stack,
            ds.database_url,
            name="identity",
            env={"WORKSPACED_OIDC_ISSUER": issuer, "WORKSPACED_OIDC_AUDIENCE": AUDIENCE},
        )
        contenders: dict[str, Callable[[], common.Result]] = {
            label: partial(
                common.run_load,
                server.base_url,
                common.Load(path, {"Authorization": f"Bearer {secret}"}),
                settings,
            )
            for label, secret in credentials.items()
        }
        results = common.interleaved(contenders, settings.rounds)
    base = common.median_rps(results["token (wsd_)"])
    for label, runs in results.items():
        rps = common.median_rps(runs)
        report.add(
            TARGET,
            f"GET workspace: {label}",
            f"{rps / base if base else 0.0:.2f} ({rps:,.0f} req/s)",
            note=common.error_note(runs),
        )
