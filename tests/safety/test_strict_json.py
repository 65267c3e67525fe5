"""SPEC §5: JSON types are strict in the aip dialect. A value a lenient parser would
coerce (`"yes"`, `"true"`, `1` for a boolean; `5` or `true` for a string; `"x"` for a
list) is refused with 400 INVALID_ARGUMENT naming the field, and writes nothing; the
same body with the right JSON types is accepted (the control).

Every aip route with a JSON body and every field of it is covered, read from the OpenAPI
document, so a field added later is checked the day it is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.safety.fixture_world import SafetyWorld, row_counts
from tests.safety.formats import assert_error_format
from tests.safety.routes import ROUTES, Route, body_for, fill, path_values

# JSON values of each type that a lenient parser turns into the field's type.
COERCIBLE: dict[str, list[Any]] = {
    "boolean": ["true", "yes", "1", 1, 0, 1.0],
    "string": [5, 1.5, True, False],
    "array": ["viewer", 5, True, {"0": "x"}],
}
ARRAY_ITEMS: dict[str, list[Any]] = {"string": [5, True]}


def _types(schema: dict[str, Any], components: dict[str, Any]) -> tuple[set[str], Any]:
    """The JSON types a property accepts, and its array items' schema if any."""
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    options = schema.get("anyOf") or [schema]
    types = {o.get("type") for o in options} - {None, "null"}
    items = next((o.get("items") for o in options if o.get("type") == "array"), None)
    return types, items


@dataclass(frozen=True)
class Case:
    route: Route
    field: str
    value: Any

    @property
    def id(self) -> str:
        return f"{self.route.method} {self.route.path} {self.field}={self.value!r}"


def _schema(route: Route) -> dict[str, Any]:
    schema = route.body_schema or {}
    while "$ref" in schema:
        schema = route.components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _cases() -> list[Case]:
    cases: list[Case] = []
    for route in ROUTES:
        if route.dialect != "aip" or route.body_schema is None:
            continue
        for field, prop in _schema(route).get("properties", {}).items():
            types, items = _types(prop, route.components)
            for kind in types:
                cases += [Case(route, field, v) for v in COERCIBLE.get(kind, [])]
            if items is not None:
                item_types, _ = _types(items, route.components)
                for kind in item_types:
                    cases += [Case(route, field, [v]) for v in ARRAY_ITEMS.get(kind, [])]
    return cases


CASES = _cases()


def test_every_aip_body_field_is_covered() -> None:
    fields = {(c.route.path, c.field) for c in CASES}
    assert ("/api/v1/organizations/{organization_id}/workspaces", "title") in fields
    booleans = [c for c in CASES if c.field == "support_team_access"]
    assert booleans, "the preferences boolean must be among the cases"
    assert len(fields) >= 20, sorted(fields)


class TestStrictTypes:
    @pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
    def test_a_coercible_value_is_refused(
        self, case: Case, shared_world: tuple[SafetyWorld, TestClient]
    ) -> None:
        world, client = shared_world
        values = path_values(case.route, world)
        body = body_for(case.route, world, values)
        assert isinstance(body, dict)
        body[case.field] = case.value
        before = row_counts(world.database)
        response = client.request(
            case.route.method,
            fill(case.route.path, values),
            json=body,
            headers=world.org_owner.headers,
        )
        assert response.status_code == 400, (case.id, response.text)
        assert_error_format("aip", response)
        error = response.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        violations = [
            v
            for d in error["details"]
            for v in d.get("field_violations", d.get("fieldViolations", []))
        ]
        assert any(case.field in v.get("field", "") for v in violations), error
        assert row_counts(world.database) == before, case.id


def test_the_right_types_are_accepted(client: TestClient, safety_world: SafetyWorld) -> None:
    """The control: the preference boolean as a JSON boolean is taken."""
    path = "/api/v1/organizations/acme/workspaces/apollo/preferences"
    owner = safety_world.org_owner.headers
    for value in (False, True):
        response = client.patch(path, json={"support_team_access": value}, headers=owner)
        assert response.status_code == 200, response.text
        assert response.json()["support_team_access"] is value
