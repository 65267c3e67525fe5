"""The served document must say what the seed says, fragment by fragment.

The seed (an OpenAPI fragment per operation) is vendored verbatim next to this test; when
the shared original is present it must be byte-identical, so neither can drift silently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

SEED_NAME = "001_a6b8a4452e167fba.txt"
VENDORED = Path(__file__).parent / "seeds" / SEED_NAME
ORIGINALS = [
    Path(__file__).parents[3] / "seeds" / SEED_NAME,
    Path("/work/shared/seeds") / SEED_NAME,
]
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def seed_fragments() -> list[dict[str, Any]]:
    text = VENDORED.read_text()
    blocks = re.findall(r"```json\n(.*?)\n```", text, flags=re.DOTALL)
    return [json.loads(block) for block in blocks]


FRAGMENTS = seed_fragments()
OPERATIONS = [
    (path, method, operation)
    for fragment in FRAGMENTS
    for path, item in fragment["paths"].items()
    for method, operation in item.items()
]
SCHEMAS = {
    name: schema
    for fragment in FRAGMENTS
    for name, schema in fragment["components"]["schemas"].items()
}


@pytest.fixture
def served(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi/activeloop.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_vendored_seed_is_the_original() -> None:
    originals = [p for p in ORIGINALS if p.exists()]
    if not originals:
        pytest.skip("the shared seed is not available here")
    assert VENDORED.read_bytes() == originals[0].read_bytes()


def test_seed_has_the_eight_operations() -> None:
    assert len(FRAGMENTS) == 8
    assert len(OPERATIONS) == 8


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m, _ in OPERATIONS]
)
def test_operation_matches_seed(
    served: dict[str, Any], path: str, method: str, operation: dict[str, Any]
) -> None:
    assert served["paths"][path][method] == operation


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_component_schema_matches_seed(served: dict[str, Any], name: str) -> None:
    assert served["components"]["schemas"][name] == SCHEMAS[name]


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda f: next(iter(f["paths"])))
def test_document_level_fields_match_seed(served: dict[str, Any], fragment: dict[str, Any]) -> None:
    for key in ("openapi", "info", "servers", "security"):
        assert served[key] == fragment[key], key
    assert served["components"]["securitySchemes"] == fragment["components"]["securitySchemes"]


def test_nothing_beyond_the_seed_is_documented(served: dict[str, Any]) -> None:
    served_operations = {
        (path, method)
        for path, item in served["paths"].items()
        for method in item
        if method in METHODS
    }
    assert served_operations == {(path, method) for path, method, _ in OPERATIONS}
    assert set(served["components"]["schemas"]) == set(SCHEMAS)
    assert set(served) == {"openapi", "info", "servers", "security", "paths", "components"}


def test_cli_prints_the_served_document(served: dict[str, Any]) -> None:
    from workspaced.http.app import openapi_documents

    assert openapi_documents()["activeloop"] == served
