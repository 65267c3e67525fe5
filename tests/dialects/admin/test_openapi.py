"""The admin dialect's OpenAPI document, as served and as built."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from workspaced.http.dialects.admin.app import build

PATH = "/workspace/admin/orgs/{org_id}/workspaces/{workspace_id}/users"
PROBLEM_STATUSES = ["401", "403", "404", "405", "410", "422"]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref: str | None = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def test_served_document_is_the_built_one(client: TestClient) -> None:
    response = client.get("/openapi/admin.json")
    assert response.status_code == 200
    assert response.json() == build().openapi()


def test_document_describes_list_users(client: TestClient) -> None:
    document = client.get("/openapi/admin.json").json()
    assert document["info"]["title"] == "Workspaces API"
    assert document["info"]["version"] == "1.0"
    assert list(document["paths"]) == [PATH]
    operation = document["paths"][PATH]["get"]
    assert operation["summary"] == "List users"
    assert operation["description"].startswith(
        "List all users and their roles within a workspace. Admin endpoints allow"
    )
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"org_id", "workspace_id", "user_id", "limit", "cursor"}
    for name in ("org_id", "workspace_id"):
        assert params[name]["in"] == "path" and params[name]["required"] is True
        assert params[name]["schema"]["format"] == "uuid"
    assert params["user_id"]["description"] == "Filter to see the role of a specific user ID."
    limit = params["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 100)
    assert operation["security"] == [{"HTTPBearer": []}]


def test_success_schema_has_links_and_results(client: TestClient) -> None:
    document = client.get("/openapi/admin.json").json()
    ok = document["paths"][PATH]["get"]["responses"]["200"]
    body = resolve(document, ok["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"links", "results"}
    user = resolve(document, body["properties"]["results"]["items"])
    assert set(user["properties"]) == {"email", "full_name", "role", "user_id"}
    assert user["properties"]["role"]["type"] == "string"
    assert user["properties"]["role"]["examples"] == ["owner", "editor", "viewer"]
    assert user["properties"]["user_id"]["format"] == "uuid"
    links = resolve(document, body["properties"]["links"])
    assert links["properties"]["next"]["type"] == "string"


def test_each_problem_response_is_problem_json(client: TestClient) -> None:
    document = client.get("/openapi/admin.json").json()
    responses = document["paths"][PATH]["get"]["responses"]
    assert sorted(responses) == ["200", *PROBLEM_STATUSES]
    assert responses["404"]["description"] == "Resource not found or user lacks access"
    assert responses["410"]["description"] == "Resource is gone"
    for status in PROBLEM_STATUSES:
        content = responses[status]["content"]
        assert list(content) == ["application/problem+json"], status
        problem = resolve(document, content["application/problem+json"]["schema"])
        assert set(problem["properties"]) == {"type", "title", "status", "detail", "invalid-params"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
