"""Route order is free: no request can match two routes of a dialect. The aip dialect
lists its hot routes first (each pattern tried before the right one costs the request),
which is only safe while this holds. Paths come from each dialect's OpenAPI document."""

from __future__ import annotations

import re

import pytest

from workspaced.http.app import openapi_documents


def _operations() -> list[tuple[str, str, str]]:
    """(dialect, method, path template) of every route."""
    return [
        (dialect, method.upper(), path)
        for dialect, document in openapi_documents().items()
        for path, operations in document["paths"].items()
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    ]


def _pattern(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "[^/]+", template)


OPERATIONS = _operations()


@pytest.mark.parametrize("sample_value", ["x", "x:countUsers", "x:undelete", "x:accept"])
def test_no_request_matches_two_routes(sample_value: str) -> None:
    for dialect, method, template in OPERATIONS:
        path = re.sub(r"\{[^}]+\}", sample_value, template)
        matching = [
            other
            for other_dialect, other_method, other in OPERATIONS
            if other_dialect == dialect
            and other_method == method
            and re.fullmatch(_pattern(other), path)
        ]
        assert matching == [template], (dialect, method, path, matching)
