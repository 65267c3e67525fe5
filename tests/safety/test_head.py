"""SPEC §5: every `GET` route answers `HEAD` with the `GET`'s status and headers and no
body: allowed, refused, missing and unauthenticated alike, in every dialect. A path
served only by other methods answers `HEAD` with 405 and an `Allow` naming them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.safety.fixture_world import SafetyWorld
from tests.safety.routes import ROUTES, Route, fill, path_values

GETS = [r for r in ROUTES if r.method == "GET"]
# Paths with no GET route at all, so HEAD is not theirs either.
GET_PATHS = {(r.dialect, r.path) for r in GETS}
NO_GET = list({r.id: r for r in ROUTES if (r.dialect, r.path) not in GET_PATHS}.values())
# Headers that legitimately differ between two answers to the same request.
PER_RESPONSE = {"date", "x-request-id", "retry-after"}


def _comparable(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in PER_RESPONSE}


class TestHead:
    @pytest.mark.parametrize("route", GETS, ids=[r.id for r in GETS])
    @pytest.mark.parametrize("caller", ["owner", "outsider", "anonymous"])
    def test_head_answers_as_get_without_a_body(
        self, route: Route, caller: str, shared_world: tuple[SafetyWorld, TestClient]
    ) -> None:
        world, client = shared_world
        path = fill(route.path, path_values(route, world))
        person = {"owner": world.org_owner, "outsider": world.other, "anonymous": None}[caller]
        headers = person.headers if person else {}
        got = client.get(path, headers=headers)
        head = client.head(path, headers=headers)
        assert got.status_code < 500, got.text
        assert head.status_code == got.status_code, (path, got.text)
        assert head.content == b""
        assert _comparable(dict(head.headers)) == _comparable(dict(got.headers)), path

    @pytest.mark.parametrize("route", NO_GET, ids=[r.id for r in NO_GET])
    def test_head_on_a_path_without_get_is_not_allowed(
        self, route: Route, shared_world: tuple[SafetyWorld, TestClient]
    ) -> None:
        world, client = shared_world
        path = fill(route.path, path_values(route, world))
        got = client.get(path, headers=world.org_owner.headers)
        head = client.head(path, headers=world.org_owner.headers)
        assert head.status_code == got.status_code, path
        assert head.content == b""
        if got.status_code == 404:
            # `…/apollo:undelete` also reads as the GET of a workspace named so (AIP-136
            # custom methods share the resource's path): none exists.
            assert ":" in path.rsplit("/", 1)[-1], path
            return
        assert head.status_code == 405, path
        allowed = {m.strip() for m in head.headers["allow"].split(",")}
        assert "HEAD" not in allowed and "GET" not in allowed
        assert route.method in allowed

    def test_allow_names_head_beside_get(
        self, shared_world: tuple[SafetyWorld, TestClient]
    ) -> None:
        world, client = shared_world
        response = client.put("/api/v1/me", headers=world.org_owner.headers)
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert {"GET", "HEAD"} <= allowed

    def test_root_endpoints_answer_head(self, shared_world: tuple[SafetyWorld, TestClient]) -> None:
        _, client = shared_world
        for path in ("/healthz", "/readyz", "/openapi/aip.json"):
            got, head = client.get(path), client.head(path)
            assert head.status_code == got.status_code == 200, path
            assert head.content == b""
            assert head.headers["content-length"] == str(len(got.content)), path
