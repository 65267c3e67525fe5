"""schemathesis against each dialect's OpenAPI document, called as a real user.

Every operation of every dialect gets positive (schema-valid) and negative (schema-violating)
data; each response is checked for: no server error, response body matching the documented
schema, a documented status code, the documented content type, and authentication that
is enforced (the `ignored_auth` check replays the call without and with a broken token).
Access to other tenants' resources is covered route by route in test_isolation_matrix.

Half of the positive cases name the real workspace W and its members (random slugs and
UUIDs would only ever reach 404s); negative cases keep their broken values.

CI runs WORKSPACED_SCHEMATHESIS_EXAMPLES (default 25) derandomized examples per operation;
raise it for a deeper local run, e.g. WORKSPACED_SCHEMATHESIS_EXAMPLES=500.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from tests import support
from tests.safety import stats
from tests.safety.fixture_world import SafetyWorld, build_world
from tests.safety.routes import ROUTES, path_values
from workspaced.http.app import create_app, openapi_documents
from workspaced.kit.db import Database

EXAMPLES = int(os.environ.get("WORKSPACED_SCHEMATHESIS_EXAMPLES", "25"))

# Known, accepted deviations from "every status is documented on its operation":
UNDOCUMENTED_BUT_SPECIFIED: dict[str, set[int]] = {
    # SPEC §5: a body over 1 MiB is refused with 413 by the server's body limit, before
    # any route runs, on every route of every dialect; it is not repeated per operation.
    # schemathesis reaches it with huge generated arrays (e.g. countUsers' workspace_ids).
    "aip": {413},
    "admin": {413},
    "members": {413},
    # SPEC §4.2 asks for "exactly the seed's ... operationIds and schema names", and
    # the seed (000/001) documents only 200 and 422 on every operation; yet SPEC §3 and
    # §4.2 require 401 (missing/bad token), 403, 404 and 409 (duplicate, last owner) in
    # FastAPI's {"detail": "..."} shape. The seed wins on the document, the SPEC on the
    # behaviour: these statuses are expected and undocumented.
    # 400 is FastAPI's own answer to a body it cannot decode at all (bytes that are not
    # UTF-8): {"detail": "There was an error parsing the body"}; the vendor's FastAPI
    # app answers the same, so it is kept rather than turned into a 422.
    "activeloop": {400, 401, 403, 404, 409, 413},
}


def status_check(dialect: str) -> Callable[..., Any]:
    accepted = UNDOCUMENTED_BUT_SPECIFIED[dialect]

    def documented_status(ctx: Any, response: Any, case: Any) -> bool | None:
        if response.status_code in accepted:
            return True
        result: bool | None = status_code_conformance(ctx, response, case)
        return result

    return documented_status


def checks(dialect: str) -> list[Callable[..., Any]]:
    return [
        schemathesis.checks.not_a_server_error,
        response_schema_conformance,
        status_check(dialect),
        content_type_conformance,
        ignored_auth,
    ]


class LateApp:
    """The ASGI app schemathesis calls. The real app needs a test database, which exists
    only once fixtures run, after collection: the fixture plugs it in here."""

    inner: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.inner(scope, receive, send)


APP = LateApp()
DOCUMENTS = openapi_documents()


def load(name: str) -> Any:
    schema = schemathesis.openapi.from_dict(DOCUMENTS[name])
    schema.app = APP
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
        deterministic=True,
    )
    return schema


aip = load("aip")
activeloop = load("activeloop")
admin = load("admin")
members = load("members")


class Target:
    """The app under test, the world it serves and the real caller."""

    def __init__(self, world: SafetyWorld, app: Any) -> None:
        self.world = world
        self.app = app
        self.cases = 0


@pytest.fixture(scope="module")
def target(test_databases: support.TestDatabases) -> Iterator[Target]:
    url = test_databases.fresh_url()
    database = Database(url)
    try:
        world = build_world(database)
        app = create_app(database)
        with TestClient(app) as client:
            for name, document in DOCUMENTS.items():
                # What schemathesis reads is exactly what the app serves.
                assert client.get(f"/openapi/{name}.json").json() == document
        APP.inner = app
        yield Target(world, app)
        APP.inner = None
    finally:
        database.dispose()
        test_databases.clean(url)


_ROUTE_BY_KEY = {(r.dialect, r.method, r.path): r for r in ROUTES}


def _aim_at_w(case: Any, dialect: str, target: Target) -> None:
    """Half of the positive cases: real ids of W and its members in the path."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return
    if not case.path_parameters or zlib.crc32(repr(case.body).encode()) % 2:
        return
    route = _ROUTE_BY_KEY.get((dialect, case.method.upper(), case.path))
    if route is None:
        return
    case.path_parameters = {**case.path_parameters, **path_values(route, target.world)}


def run(case: Any, dialect: str, target: Target) -> None:
    _aim_at_w(case, dialect, target)
    headers = target.world.org_owner.headers
    response = case.call_and_validate(
        base_url="http://testserver", headers=headers, checks=checks(dialect)
    )
    stats.add("schemathesis cases")
    if response.status_code < 300:
        stats.add("schemathesis cases answered 2xx")


SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@aip.parametrize()
@SETTINGS
def test_aip(case: Any, target: Target) -> None:
    run(case, "aip", target)


@activeloop.parametrize()
@SETTINGS
def test_activeloop(case: Any, target: Target) -> None:
    run(case, "activeloop", target)


@admin.parametrize()
@SETTINGS
def test_admin(case: Any, target: Target) -> None:
    run(case, "admin", target)


@members.parametrize()
@SETTINGS
def test_members(case: Any, target: Target) -> None:
    run(case, "members", target)
