"""WORKSPACED_LOG_FORMAT=json against a real `serve`: every line on stderr is one JSON
object, a request's line carries its id, dialect, route template, status, duration and
principal, and no line anywhere holds a secret the scenario made or sent."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.mail_support import Mailbox
from tests.support import World, free_port, live_server

ORG = "/api/v1/organizations/acme"
WORKSPACE_ROUTE = "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}"


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.slow
def test_json_lines_carry_the_request_and_no_secret(
    database_url: str,
    world: World,
    mailbox: Mailbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = world.person("acme")
    log_path = tmp_path / "server.log"
    monkeypatch.setenv("WORKSPACED_LOG_FORMAT", "json")
    monkeypatch.setenv("WORKSPACED_TEST_SERVER_LOG", str(log_path))
    monkeypatch.setenv("WORKSPACED_WEBHOOK_ALLOW_PRIVATE", "true")
    secrets = [owner.token]
    with (
        live_server(database_url, smtp_url=mailbox.url) as base,
        httpx.Client(base_url=base, headers=owner.headers) as api,
    ):
        secrets.append(ok(api.post("/api/v1/me/tokens", json={"display_name": "laptop"}))["token"])
        key = ok(
            api.post(
                f"{ORG}/apiKeys", json={"display_name": "sync", "permissions": ["workspaces:get"]}
            )
        )["key"]
        secrets.append(key)
        ok(api.post(f"{ORG}/workspaces", params={"workspace_id": "apollo"}, json={"title": "A"}))
        ok(
            api.post(
                f"{ORG}/workspaces/apollo/invites",
                json={"email": "newbie@example.com", "role": "viewer"},
            )
        )
        invite = mailbox.invite_token("newbie@example.com")
        secrets.append(invite)
        accepted = httpx.post(
            f"{base}/api/v1/invites:accept",
            json={"invite_token": invite, "display_name": "Newbie"},
        )
        secrets.append(ok(accepted)["token"])
        hook = ok(api.post(f"{ORG}/webhooks", json={"url": f"http://127.0.0.1:{free_port()}/in"}))
        secrets.append(hook["secret"])
        rotated = ok(api.post(f"{ORG}/webhooks/{hook['webhook_id']}:rotateSecret"))
        secrets.append(rotated["secret"])

        request_id = f"obs-{uuid.uuid4().hex}"
        workspace = f"{ORG}/workspaces/apollo"
        assert api.get(workspace, headers={"X-Request-Id": request_id}).status_code == 200
        by_key = {"Authorization": f"Bearer {key}", "X-Request-Id": request_id + "-key"}
        assert httpx.get(base + workspace, headers=by_key).status_code == 200
        # Secrets where a careless log would print them: a query string, a bad credential.
        api.get(f"{ORG}/workspaces", params={"page_token": owner.token, "filter": key})
        wrong = "wsd_" + uuid.uuid4().hex
        secrets.append(wrong)
        assert (
            httpx.get(base + workspace, headers={"Authorization": f"Bearer {wrong}"}).status_code
            == 401
        )

    text = log_path.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    requests = [r for r in records if r["logger"] == "workspaced.request"]
    assert len(requests) >= 12

    (line,) = [r for r in requests if r.get("request_id") == request_id]
    assert line["level"] == "info" and line["message"] == "request"
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert line["dialect"] == "aip" and line["route"] == WORKSPACE_ROUTE
    assert line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["principal_kind"] == "token" and line["principal_id"] == owner.user_id
    (keyed,) = [r for r in requests if r.get("request_id") == request_id + "-key"]
    assert keyed["principal_kind"] == "api_key" and keyed["principal_id"] != owner.user_id
    # The workers' other records are JSON lines too (the mail worker says where mail goes).
    assert any(r["logger"] == "workspaced.mail" for r in records)

    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}...) is in the log"
    for fragment in ("Bearer", "authorization", "page_token", "invite_token", "whsec_", "wsi_"):
        assert fragment.lower() not in text.lower(), fragment
