"""SPEC §9 CORS: nothing by default; with `WORKSPACED_CORS_ORIGINS`, preflights from a
listed origin are answered and its callers may read answers (errors included) in every
dialect; any other origin gets neither."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support import Person, World
from workspaced.http.app import create_app
from workspaced.kit.db import Database

APP_ORIGIN = "https://app.example.com"
EVIL_ORIGIN = "https://evil.example.net"


def paths(person: Person) -> list[str]:
    return [
        "/api/v1/me",
        "/workspaces",
        f"/workspace/admin/orgs/{person.org_id}/workspaces/00000000-0000-4000-8000-000000000000/users",
        f"/v1/orgs/{person.org}/workspaces/nope/members",
        "/healthz",
    ]


def preflight(client: TestClient, path: str, origin: str) -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.fixture
def cors_client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(database, cors_origins=(APP_ORIGIN,))) as client:
        yield client


def test_no_origin_is_allowed_by_default(client: TestClient, world: World) -> None:
    person = world.person("acme")
    for path in paths(person):
        response = client.get(path, headers={**person.headers, "Origin": APP_ORIGIN})
        assert "access-control-allow-origin" not in response.headers, path
        refused = preflight(client, path, APP_ORIGIN)
        assert "access-control-allow-origin" not in refused.headers, path


def test_a_listed_origin_is_answered_in_every_dialect(
    cors_client: TestClient, world: World
) -> None:
    person = world.person("acme")
    for path in paths(person):
        answer = preflight(cors_client, path, APP_ORIGIN)
        assert answer.status_code == 200, (path, answer.text)
        headers = answer.headers
        assert headers["access-control-allow-origin"] == APP_ORIGIN
        assert "PATCH" in headers["access-control-allow-methods"]
        assert "authorization" in headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in headers
        assert headers["x-content-type-options"] == "nosniff"  # SPEC §5, preflights too
        for token in (person.headers, {"Authorization": "Bearer wsd_nope"}):
            response = cors_client.get(path, headers={**token, "Origin": APP_ORIGIN})
            # Errors too: a browser app must be able to read a 401 or 404.
            assert response.headers["access-control-allow-origin"] == APP_ORIGIN, path
            assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


def test_another_origin_gets_nothing(cors_client: TestClient, world: World) -> None:
    person = world.person("acme")
    for path in paths(person):
        refused = preflight(cors_client, path, EVIL_ORIGIN)
        assert refused.status_code == 400, path
        assert "access-control-allow-origin" not in refused.headers
        response = cors_client.get(path, headers={**person.headers, "Origin": EVIL_ORIGIN})
        assert "access-control-allow-origin" not in response.headers, path


@pytest.mark.parametrize(
    ("value", "shown"),
    [("*", "list the origins"), ("https://app.example.com/", "is not an origin")],
)
def test_a_wildcard_or_a_url_is_not_an_origin(value: str, shown: str, tmp_path: Path) -> None:
    env = {**os.environ, "WORKSPACED_CORS_ORIGINS": value}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workspaced",
            "serve",
            "--database-url",
            f"sqlite:///{tmp_path}/c.db",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and shown in result.stderr, result.stderr
