"""A known path asked with a method it does not serve answers 405 in the dialect's own
format, and `Allow` names every method served there (RFC 9110), not just the first
route that matched: the served methods are read from each dialect's OpenAPI document."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from workspaced.http.app import openapi_documents

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _cases() -> list[tuple[str, str, str, list[str]]]:
    cases = []
    for dialect, document in openapi_documents().items():
        templates = {
            path: {m.upper() for m in operations if m.upper() in METHODS}
            for path, operations in document["paths"].items()
        }
        for template in templates:
            path = re.sub(r"\{[^}]+\}", "x", template)
            # Every template that also matches this concrete path serves it.
            served: set[str] = set()
            for other, methods in templates.items():
                if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", other), path):
                    served |= methods
            if "GET" in served:
                served.add("HEAD")  # SPEC §5: every GET route answers HEAD
            missing = [m for m in METHODS if m not in served]
            if missing:
                cases.append((dialect, path, missing[0], sorted(served)))
    return cases


@pytest.mark.parametrize(("dialect", "path", "method", "served"), _cases())
def test_405_allow_lists_every_served_method(
    client: TestClient, dialect: str, path: str, method: str, served: list[str]
) -> None:
    response = client.request(method, path, headers={"Authorization": "Bearer wsd_x"})
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == ", ".join(served)
