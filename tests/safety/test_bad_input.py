"""Bad input on every route of every dialect, sent by a caller who may use the route (so
the input, not the permission check, decides): malformed JSON, wrong types, nulls, unknown
enum values, 10,000-character strings, control characters, unicode, a 2 MiB body, bad ids
in paths and hostile filters. Never a 5xx, never a hang; a refusal is a 4xx in the
dialect's own format and writes nothing (row counts of every table unchanged).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.safety.fixture_world import SafetyWorld, row_counts
from tests.safety.formats import assert_error_format
from tests.safety.routes import ROUTES, UUID_FORM_DIALECTS, Route, body_for, fill, path_values

# Answers must come well within this; a parser that backtracks or recurses without bound
# shows up here before it shows up in production.
MAX_SECONDS = 5.0
LONG = "a" * 10_000
CONTROL = "bad\x00\x07\x1b[31mtext"
UNICODE = "Zoë 💥 \u202eevil\u202c \u0301 \U0001d518\U0001d52b"
ENUM_FIELDS = {"role", "access", "org_role"}

# SPEC §5: "Every route answers ... with a 4xx" for these; the others (nulls, long strings,
# unicode) may be valid input for some fields (a nullable icon, a long search term, a
# unicode title): never a 5xx, and a refusal must write nothing.
MUST_REFUSE = {"malformed_json", "wrong_types", "huge_body", "control_chars", "not_an_object"}


@dataclass(frozen=True)
class Case:
    route: Route
    variant: str
    detail: str = ""

    @property
    def id(self) -> str:
        suffix = f":{self.detail}" if self.detail else ""
        return f"{self.route.id} [{self.variant}{suffix}]"


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str):
        return "not-the-right-type"
    return {"nested": [1, 2]}


def _variants(route: Route) -> list[Case]:
    cases = [Case(route, "huge_body")]
    if route.body_schema is not None:
        cases += [Case(route, v) for v in ("malformed_json", "wrong_types", "nulls")]
        cases += [Case(route, v) for v in ("long_strings", "control_chars", "unicode")]
        cases.append(Case(route, "not_an_object"))
    if route.params:
        cases.append(Case(route, "bad_ids"))
        cases.append(Case(route, "hostile_ids"))
    if "filter" in route.query:
        cases += [
            Case(route, "filter", d)
            for d in ("injection", "nested", "many_terms", "terms_at_limit", "junk")
        ]
    if "order_by" in route.query:
        cases.append(Case(route, "order_by"))
    for field in ("page_size", "limit", "offset"):
        if field in route.query:
            cases.append(Case(route, "paging", field))
    return cases


CASES = [case for route in ROUTES for case in _variants(route)]


def _request(case: Case, world: SafetyWorld) -> tuple[str, dict[str, Any]]:
    """The path and request arguments for `case`."""
    route = case.route
    values = path_values(route, world)
    good = body_for(route, world, values)
    kwargs: dict[str, Any] = {"headers": dict(world.org_owner.headers)}
    params: dict[str, str] = {}
    raw: bytes | None = None
    body: Any = good
    variant = case.variant
    if variant == "huge_body":
        raw = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    elif variant == "malformed_json":
        raw = b'{"title": "unterminated'
    elif variant == "not_an_object":
        body = ["a", "list", "instead", "of", "an", "object"]
    elif variant in ("wrong_types", "nulls", "long_strings", "control_chars", "unicode"):
        body = _mutated(good, variant)
    elif variant == "bad_ids":
        values = {k: ("not-a-uuid" if _uuid_form(route, k) else "Not A Slug!") for k in values}
    elif variant == "hostile_ids":
        values = {k: "%2e%2e%2F%00" + "9" * 300 for k in values}
    elif variant == "filter":
        term = f'{_filter_field(route)} = "a"'
        params["filter"] = {
            "injection": f'{_filter_field(route)} = "x\' OR 1=1 --"',
            "nested": "(" * 2000 + term + ")" * 2000,
            # Every filter parameter is capped at 4096 characters, so a filter of many
            # terms is refused before parsing (400), and the most that fit are parsed fast.
            "many_terms": " AND ".join([term] * 500),
            "terms_at_limit": " OR ".join([term] * (4096 // (len(term) + 4))),
            "junk": '"unterminated AND (( !! ) title = ',
        }[case.detail]
    elif variant == "order_by":
        params["order_by"] = "title; DROP TABLE workspaces; --"
    elif variant == "paging":
        params[case.detail] = "-1"
    if raw is not None:
        kwargs["content"] = raw
        kwargs["headers"]["content-type"] = "application/json"
    elif body is not None:
        kwargs["content"] = json.dumps(body).encode()  # ASCII-escaped: lone surrogates survive
        kwargs["headers"]["content-type"] = "application/json"
    if params:
        kwargs["params"] = params
    return fill(route.path, values), kwargs


# The text field each list filters on (SPEC §4.1 and each list's documented fields).
FILTER_FIELDS = {
    "workspaces": "title",
    "users": "search",
    "auditEvents": "action",
    "invites": "email",
}


def _filter_field(route: Route) -> str:
    return FILTER_FIELDS.get(route.path.rsplit("/", 1)[-1], "title")


def _uuid_form(route: Route, name: str) -> bool:
    return route.dialect in UUID_FORM_DIALECTS or name in ("user_id", "member_user_id")


def _mutated(good: Any, variant: str) -> Any:
    if not isinstance(good, dict) or not good:
        return {"unexpected": LONG}
    if variant == "wrong_types":
        return {k: _wrong_type(v) for k, v in good.items()}
    if variant == "nulls":
        return dict.fromkeys(good)
    replacement = {"long_strings": LONG, "control_chars": CONTROL, "unicode": UNICODE + "\ud800"}

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return replacement[variant]
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):  # a list of objects (checks, say): each of theirs too
            return {k: swap(v) for k, v in value.items()}
        return value

    mutated = {k: swap(v) for k, v in good.items()}
    if variant == "unicode":
        # A lone surrogate is valid JSON text but no valid UTF-8 string: keep one field
        # with it and the others with printable unicode.
        first = next(iter(mutated))
        mutated = {
            k: (v if k == first else UNICODE) if isinstance(v, str) else v
            for k, v in mutated.items()
        }
    return mutated


def _has_text(route: Route, world: SafetyWorld) -> bool:
    body = body_for(route, world, path_values(route, world))
    return isinstance(body, dict) and any(
        isinstance(v, str) or (isinstance(v, list) and v) for v in body.values()
    )


def _expected_refusal(case: Case) -> bool:
    if case.variant in MUST_REFUSE:
        return True
    if case.variant == "paging":
        return True  # negative page sizes, limits and offsets are invalid (SPEC §4)
    if case.variant == "filter":
        return case.detail in ("nested", "many_terms", "junk")
    return False


class TestBadInput:
    @pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
    def test_bad_input(self, case: Case, shared_world: tuple[SafetyWorld, TestClient]) -> None:
        world, client = shared_world
        path, kwargs = _request(case, world)
        if case.variant in ("long_strings", "control_chars", "unicode") and not _has_text(
            case.route, world
        ):
            pytest.skip("the body has no text field")
        before = row_counts(world.database)
        started = time.monotonic()
        response = client.request(case.route.method, path, **kwargs)
        elapsed = time.monotonic() - started
        context = f"{case.id}: {response.status_code} {response.text[:300]}"
        assert elapsed < MAX_SECONDS, f"{case.id} took {elapsed:.1f}s"
        assert response.status_code < 500, context
        if case.variant == "huge_body":
            assert response.status_code == 413, context
        if case.variant == "filter" and case.detail == "injection" and response.status_code == 200:
            # A well-formed filter that matches nothing: an empty page, not every row.
            listed = [v for v in response.json().values() if isinstance(v, list)]
            assert listed == [[]], context
        if _expected_refusal(case):
            assert 400 <= response.status_code < 500, context
        if response.status_code >= 400:
            assert_error_format(case.route.dialect, response)
            assert row_counts(world.database) == before, f"{case.id}: refused but wrote"


def _enum_cases() -> list[Case]:
    return [
        Case(route, "unknown_enum", field)
        for route in ROUTES
        if route.body_schema is not None
        for field in ENUM_FIELDS
        if field in _schema_fields(route)
    ]


def _schema_fields(route: Route) -> set[str]:
    schema = route.body_schema or {}
    while "$ref" in schema:
        schema = route.components[schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema.get("properties", {}))


ENUM_CASES = _enum_cases()


class TestUnknownEnumValues:
    @pytest.mark.parametrize("case", ENUM_CASES, ids=[c.id for c in ENUM_CASES])
    def test_unknown_enum_value(
        self, case: Case, shared_world: tuple[SafetyWorld, TestClient]
    ) -> None:
        world, client = shared_world
        route = case.route
        values = path_values(route, world)
        body = body_for(route, world, values)
        body = {**(body or {}), case.detail: "emperor"}
        before = row_counts(world.database)
        response = client.request(
            route.method, fill(route.path, values), json=body, headers=world.org_owner.headers
        )
        context = f"{case.id}: {response.status_code} {response.text[:300]}"
        assert 400 <= response.status_code < 500, context
        assert_error_format(route.dialect, response)
        assert row_counts(world.database) == before, f"{case.id}: refused but wrote"
