"""The same contract through a real `workspaced serve` process and a real HTTP client."""

from __future__ import annotations

import uuid

import httpx

from tests.dialects.admin.conftest import PROBLEM, USERS, Scene, add_member, delete_workspace
from tests.support import World, live_server
from workspaced.kit.db import Database


def test_live_paging_and_callers(
    scene: Scene, world: World, database: Database, database_url: str
) -> None:
    for _ in range(2):
        add_member(
            database,
            scene.ws_owner,
            scene.workspace_id,
            world.person("acme", org_role="member"),
            "editor",
        )
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        seen: list[str] = []
        url: str | None = scene.url + "?limit=2"
        pages = 0
        while url is not None:
            response = http.get(url, headers=scene.org_owner.headers)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            body = response.json()
            seen += [user["user_id"] for user in body["results"]]
            url = body["links"].get("next")
            pages += 1
        assert pages == 3
        assert len(seen) == len(set(seen)) == 5
        assert seen[:3] == [p.user_id for p in scene.explicit_members]

        admin = http.get(
            scene.url, params={"user_id": scene.editor.user_id}, headers=scene.org_admin.headers
        ).json()
        assert [(u["user_id"], u["role"]) for u in admin["results"]] == [
            (scene.editor.user_id, "editor")
        ]

        forbidden = http.get(scene.url, headers=scene.ws_owner.headers)
        hidden = http.get(scene.url, headers=scene.outsider.headers)
        anonymous = http.get(scene.url)
        for response, status in [(forbidden, 403), (hidden, 404), (anonymous, 401)]:
            assert response.status_code == status
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["status"] == status
        assert anonymous.headers["www-authenticate"] == "Bearer"


def test_live_errors(scene: Scene, database: Database, database_url: str) -> None:
    with live_server(database_url) as base, httpx.Client(base_url=base, timeout=10) as http:
        bad = http.get(
            USERS.format(org="acme", ws=scene.workspace_id), headers=scene.org_owner.headers
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"] == PROBLEM
        assert bad.json()["invalid-params"][0]["name"] == "org_id"

        bad_cursor = http.get(scene.url, params={"cursor": "nope"}, headers=scene.org_owner.headers)
        assert bad_cursor.status_code == 422
        assert bad_cursor.json()["invalid-params"] == [
            {"name": "cursor", "reason": bad_cursor.json()["invalid-params"][0]["reason"]}
        ]

        post = http.post(scene.url, headers=scene.org_owner.headers, json={})
        assert post.status_code == 405
        assert post.headers["allow"] == "GET, HEAD"
        assert post.headers["content-type"] == PROBLEM

        too_big = http.post(
            scene.url, headers=scene.org_owner.headers, content=b"x" * (1024 * 1024 + 10)
        )
        assert too_big.status_code == 413
        assert too_big.headers["content-type"] == PROBLEM

        missing = http.get(
            USERS.format(org=scene.org_owner.org_id, ws=uuid.uuid4()),
            headers=scene.org_owner.headers,
        )
        assert missing.status_code == 404

        delete_workspace(database, scene.ws_owner, scene.workspace_id)
        gone = http.get(scene.url, headers=scene.org_admin.headers)
        assert gone.status_code == 410
        assert gone.json()["type"] == "https://workspaced.dev/problems/gone"

        document = http.get("/openapi/admin.json").json()
        assert document["info"] == {**document["info"], "title": "Workspaces API", "version": "1.0"}
