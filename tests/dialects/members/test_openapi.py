from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from fastapi.testclient import TestClient

BASE = "/v1/orgs/{org_id}/workspaces/{workspace_id}/members"
MEMBER = BASE + "/{member_user_id}"
OPERATIONS = {
    ("get", BASE): ("List Workspace Members", "members:list", "200", None),
    ("post", BASE): ("Add Workspace Member", "members:add", "201", "AddMemberRequest"),
    ("patch", MEMBER): (
        "Update Workspace Member Role",
        "members:update",
        "200",
        "UpdateMemberRoleRequest",
    ),
    ("delete", MEMBER): ("Remove Workspace Member", "members:remove", "204", None),
}


def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi/members.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def ref(response: dict[str, Any]) -> str:
    schema_ref: str = response["content"]["application/json"]["schema"]["$ref"]
    return schema_ref.rsplit("/", 1)[-1]


def test_document_lists_exactly_the_four_operations(client: TestClient) -> None:
    doc = document(client)
    assert set(doc["paths"]) == {BASE, MEMBER}
    found = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert found == set(OPERATIONS)


def test_each_operation_documents_parameters_body_and_errors(client: TestClient) -> None:
    doc = document(client)
    for (method, path), (summary, perm, success, body_schema) in OPERATIONS.items():
        op = doc["paths"][path][method]
        assert op["summary"] == summary
        assert op["x-workspaced-permission"] == perm
        params = {(p["in"], p["name"]): p for p in op["parameters"]}
        assert params[("path", "org_id")]["description"] == "Organization ID"
        assert params[("path", "workspace_id")]["description"] == "Workspace ID"
        auth = params[("header", "authorization")]
        assert auth["required"] is False
        assert auth["schema"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
        if path == MEMBER:
            verb = "update" if method == "patch" else "remove"
            member = params[("path", "member_user_id")]
            assert member["description"] == f"User ID of the member to {verb}"
            assert member["schema"]["format"] == "uuid"
        responses = op["responses"]
        assert success in responses
        for status in ("401", "403", "404", "500"):
            assert ref(responses[status]) == "ErrorResponse", (method, path, status)
        assert ref(responses["422"]) == "HTTPValidationError"
        assert ("409" in responses) == (method != "get")
        if method != "get":
            assert ref(responses["409"]) == "ErrorResponse"
        if body_schema is None:
            assert "requestBody" not in op
        else:
            assert ref(op["requestBody"]) == body_schema
    get = doc["paths"][BASE]["get"]
    assert ref(get["responses"]["200"]) == "MemberList"
    assert ref(doc["paths"][BASE]["post"]["responses"]["201"]) == "Member"
    assert "content" not in doc["paths"][MEMBER]["delete"]["responses"]["204"]
    query = {p["name"]: p["schema"] for p in get["parameters"] if p["in"] == "query"}
    assert query["limit"] == {**query["limit"], "default": 100, "minimum": 1, "maximum": 1000}
    assert query["offset"]["minimum"] == 0


def test_schemas_match_the_seed(client: TestClient) -> None:
    schemas = document(client)["components"]["schemas"]
    assert set(schemas["Member"]["properties"]) == {
        "workspace_id",
        "user_id",
        "org_id",
        "role",
        "username",
        "email",
        "full_name",
        "avatar_url",
        "added_by",
        "created_at",
        "updated_at",
    }
    assert set(schemas["MemberList"]["properties"]) == {"members", "total"}
    assert set(schemas["ErrorResponse"]["properties"]) == {
        "error",
        "message",
        "details",
        "timestamp",
        "status_code",
    }
    assert set(schemas["ValidationError"]["properties"]) >= {"loc", "msg", "type", "input", "ctx"}
    assert schemas["AddMemberRequest"]["required"] == ["user_id"]
    assert schemas["AddMemberRequest"]["properties"]["role"]["default"] == "viewer"
    assert schemas["UpdateMemberRoleRequest"]["required"] == ["role"]


def test_cli_prints_the_served_document(client: TestClient) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "workspaced", "openapi", "--dialect", "members"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert json.loads(printed.stdout) == document(client)
