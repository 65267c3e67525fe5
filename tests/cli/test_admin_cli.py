"""Operator administration from the command line (SPEC §9): orgs, users, tokens and
api-keys, against the test database (SQLite, or PostgreSQL when configured).

Commands run in-process through typer's CliRunner (the same app, argument parsing and exit
codes as the console script, with the tenancy guard watching their SQL); one test runs
the real `python -m workspaced` to hold the entry point to one-line errors. What a command
issues is then used against the API, the way an operator's user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from workspaced.authz.catalog import API_KEY_PERMISSIONS
from workspaced.cli import paging
from workspaced.cli.main import app
from workspaced.kit.db import Database
from workspaced.models import AuditEvent, Event

runner = CliRunner()


def cli(database_url: str, *args: str) -> Result:
    return runner.invoke(app, [*args, "--database-url", database_url])


def ok_json(database_url: str, *args: str) -> Any:
    result = cli(database_url, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def one_line_error(result: Result) -> str:
    """The message of a failure: exit 1, one line on stderr, nothing on stdout."""
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("workspaced: error: ")
    return result.stderr.removeprefix("workspaced: error: ").strip()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def audit_trail(database: Database) -> list[AuditEvent]:
    with database.read() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.time)))


@pytest.fixture
def acme(database_url: str) -> dict[str, Any]:
    return ok_json(database_url, "orgs", "create", "--slug", "acme", "--owner", "Ann@Example.com")


def test_orgs_users_and_a_token_the_api_accepts_until_it_is_revoked(
    database_url: str, database: Database, client: TestClient, acme: dict[str, Any]
) -> None:
    assert acme["organization"] == "acme" and acme["display_name"] == "acme"
    assert acme["email"] == "Ann@Example.com"
    taken = cli(database_url, "orgs", "create", "--slug", "acme", "--owner", "b@example.com")
    assert "already exists" in one_line_error(taken)
    ok_json(
        database_url,
        *("orgs", "create", "--slug", "globex", "--display-name", "Globex Corp"),
        *("--owner", "ann@example.com"),
    )
    listed = ok_json(database_url, "orgs", "list")["organizations"]
    assert [(o["organization"], o["member_count"]) for o in listed] == [("acme", 1), ("globex", 1)]
    table = cli(database_url, "orgs", "list")
    assert table.stdout.splitlines()[0].split() == [
        "SLUG",
        "ID",
        "MEMBERS",
        "CREATED",
        "DISPLAY",
        "NAME",
    ]
    assert "Globex Corp" in table.stdout.splitlines()[2]

    issued = ok_json(
        database_url,
        *("tokens", "issue", "--org", "acme", "--email", "ann@example.com"),
        *("--name", "laptop", "--expires-in-days", "30"),
    )
    assert issued["token"].startswith("wsd_") and issued["expire_time"]
    me = client.get("/api/v1/me", headers=bearer(issued["token"]))
    assert me.status_code == 200
    assert [o["org_role"] for o in me.json()["organizations"]] == ["owner", "owner"]
    users = ok_json(database_url, "users", "list", "--org", "acme")
    assert [(u["email"], u["org_role"]) for u in users["users"]] == [("Ann@Example.com", "owner")]

    # Listed without its secret, in text and JSON; revoked, the API refuses it at once.
    tokens = ok_json(database_url, "tokens", "list", "--org", "acme")["tokens"]
    assert [(t["token_id"], t["display_name"]) for t in tokens] == [(issued["token_id"], "laptop")]
    text = cli(database_url, "tokens", "list", "--org", "acme", "--email", "ann@example.com")
    assert issued["token_id"] in text.stdout and issued["token"] not in text.stdout
    revoked = cli(database_url, "tokens", "revoke", "--org", "acme", issued["token_id"])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert client.get("/api/v1/me", headers=bearer(issued["token"])).status_code == 401
    assert ok_json(database_url, "tokens", "list", "--org", "acme")["tokens"] == []
    again = cli(database_url, "tokens", "revoke", "--org", "acme", issued["token_id"])
    assert "was not found" in one_line_error(again)

    # Every change is in the organization's audit log as the operator's, through the CLI.
    acme_trail = [e for e in audit_trail(database) if str(e.org_id) == acme["organization_id"]]
    assert [e.action for e in acme_trail] == [
        "organization.created",
        "organization.user.added",
        "token.created",
        "token.revoked",
    ]
    for event in acme_trail:
        assert (event.actor_user_id, event.actor_token_id, event.actor_api_key_id) == (None,) * 3
        assert event.user_agent == "workspaced-cli"
    with database.read() as session:
        actors = {e.data["actor"]["type"] for e in session.scalars(select(Event))}
    assert actors == {"operator"}


def test_the_text_output_shows_the_secret_once_and_the_reminder_on_stderr(
    database_url: str, acme: dict[str, Any]
) -> None:
    result = cli(database_url, "tokens", "issue", "--org", "acme", "--email", "ann@example.com")
    assert result.exit_code == 0, result.stderr
    secrets = [line.split()[-1] for line in result.stdout.splitlines() if line.startswith("token:")]
    assert len(secrets) == 1 and secrets[0].startswith("wsd_")
    assert "shown only this once" in result.stderr


def test_a_token_is_issued_only_to_a_current_member(
    database_url: str, client: TestClient, acme: dict[str, Any]
) -> None:
    owner = ok_json(database_url, "tokens", "issue", "--org", "acme", "--email", "ann@example.com")
    added = client.post(
        "/api/v1/organizations/acme/users",
        headers=bearer(owner["token"]),
        json={"email": "bob@example.com", "org_role": "member"},
    )
    assert added.status_code in (200, 201), added.text
    bob = ok_json(database_url, "tokens", "issue", "--org", "acme", "--email", "bob@example.com")
    assert client.get("/api/v1/me", headers=bearer(bob["token"])).status_code == 200
    removed = client.delete(
        f"/api/v1/organizations/acme/users/{bob['user_id']}", headers=bearer(owner["token"])
    )
    assert removed.status_code in (200, 204), removed.text
    # Removal revoked Bob's token, and the operator cannot issue him another one there.
    assert client.get("/api/v1/me", headers=bearer(bob["token"])).status_code == 401
    refused = cli(database_url, "tokens", "issue", "--org", "acme", "--email", "bob@example.com")
    assert one_line_error(refused) == "'bob@example.com' is not a member of organization 'acme'"


def test_api_keys_hold_only_catalogued_permissions_and_stop_when_revoked(
    database_url: str, database: Database, client: TestClient, acme: dict[str, Any]
) -> None:
    created = ok_json(
        database_url,
        *("api-keys", "create", "--org", "acme", "--name", "backend"),
        *("--permission", "organization.users:list", "--permission", "workspaces:create"),
    )
    key = created["key"]
    assert key.startswith("wsk_") and created["creator_email"] == "Ann@Example.com"
    assert created["permissions"] == ["organization.users:list", "workspaces:create"]
    users = client.get("/api/v1/organizations/acme/users", headers=bearer(key))
    assert users.status_code == 200, users.text
    # A permission it was not given is denied; the key is scoped to what it holds.
    assert (
        client.get("/api/v1/organizations/acme/auditEvents", headers=bearer(key)).status_code == 403
    )

    listed = ok_json(database_url, "api-keys", "list", "--org", "acme")["api_keys"]
    assert [k["key_id"] for k in listed] == [created["key_id"]] and "key" not in listed[0]
    for permission in ("organization:transferOwnership", "no:such"):
        bad = cli(
            database_url,
            *("api-keys", "create", "--org", "acme", "--name", "x", "--permission", permission),
        )
        assert f"{permission!r} is not a permission an API key can hold" in one_line_error(bad)
    assert API_KEY_PERMISSIONS.isdisjoint({"organization:transferOwnership", "no:such"})

    revoked = ok_json(database_url, "api-keys", "revoke", "--org", "acme", created["key_id"])
    assert revoked == {"key_id": created["key_id"], "revoked": True}
    assert client.get("/api/v1/organizations/acme/users", headers=bearer(key)).status_code == 401
    key_events = [e for e in audit_trail(database) if e.action.startswith("api_key.")]
    assert [e.action for e in key_events] == ["api_key.created", "api_key.revoked"]
    assert all(e.actor_user_id is None and e.user_agent == "workspaced-cli" for e in key_events)


def test_a_key_borrows_its_creators_authority(
    database_url: str, client: TestClient, acme: dict[str, Any]
) -> None:
    owner = ok_json(database_url, "tokens", "issue", "--org", "acme", "--email", "ann@example.com")
    for email, role in (("adam@example.com", "admin"), ("mo@example.com", "member")):
        added = client.post(
            "/api/v1/organizations/acme/users",
            headers=bearer(owner["token"]),
            json={"email": email, "org_role": role},
        )
        assert added.status_code in (200, 201), added.text
    # A plain member holds no organization power to lend (SPEC §3 rule 3).
    by_member = cli(
        database_url,
        *("api-keys", "create", "--org", "acme", "--name", "k"),
        *("--permission", "workspaces:get", "--created-by", "mo@example.com"),
    )
    assert "not an owner or admin" in one_line_error(by_member)
    by_admin = ok_json(
        database_url,
        *("api-keys", "create", "--org", "acme", "--name", "k"),
        *("--permission", "organization.users:list", "--created-by", "adam@example.com"),
    )
    assert by_admin["creator_email"] == "adam@example.com"
    key = bearer(by_admin["key"])
    assert client.get("/api/v1/organizations/acme/users", headers=key).status_code == 200
    # Rule 5: the key ends with its creator's authority.
    demoted = client.patch(
        f"/api/v1/organizations/acme/users/{by_admin['creator_id']}",
        headers=bearer(owner["token"]),
        json={"org_role": "member"},
    )
    assert demoted.status_code == 200, demoted.text
    assert client.get("/api/v1/organizations/acme/users", headers=key).status_code == 401


def test_users_list_pages_through_everyone_or_stops_at_the_limit(
    database_url: str, client: TestClient, acme: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = ok_json(database_url, "tokens", "issue", "--org", "acme", "--email", "ann@example.com")
    for i in range(4):
        added = client.post(
            "/api/v1/organizations/acme/users",
            headers=bearer(owner["token"]),
            json={"email": f"user{i}@example.com", "org_role": "admin" if i == 0 else "member"},
        )
        assert added.status_code in (200, 201), added.text
    monkeypatch.setattr(paging, "MAX_PAGE_SIZE", 2)  # five members: three pages
    everyone = ok_json(database_url, "users", "list", "--org", "acme")["users"]
    assert [u["email"] for u in everyone] == ["Ann@Example.com"] + [
        f"user{i}@example.com" for i in range(4)
    ]
    assert [u["org_role"] for u in everyone[:3]] == ["owner", "admin", "member"]
    limited = ok_json(database_url, "users", "list", "--org", "acme", "--limit", "3")["users"]
    assert limited == everyone[:3]
    table = cli(database_url, "users", "list", "--org", "acme", "--limit", "1").stdout
    assert len(table.splitlines()) == 2 and "owner" in table


def test_bad_input_is_one_line_and_exit_1(database_url: str, acme: dict[str, Any]) -> None:
    cases = {
        ("users", "list", "--org", "nope"): "organization 'nope' was not found",
        ("tokens", "list", "--org", "acme", "--email", "who@example.com"): (
            "'who@example.com' is not a member of organization 'acme'"
        ),
        (
            "tokens",
            "issue",
            "--org",
            "acme",
            "--email",
            "ann@example.com",
            "--expires-in-days",
            "0",
        ): ("--expires-in-days must be between 1 and 365"),
        ("tokens", "revoke", "--org", "acme", "not-a-token"): "token 'not-a-token' was not found",
        ("api-keys", "revoke", "--org", "acme", "not-a-key"): "apiKey 'not-a-key' was not found",
        ("orgs", "create", "--slug", "Not A Slug", "--owner", "a@example.com"): (
            "organization_id:"
        ),
        ("orgs", "create", "--slug", "fine", "--owner", "not-an-email"): "is not an email",
        ("users", "list", "--org", "acme", "--limit", "0"): "--limit must be at least 1",
    }
    for args, message in cases.items():
        assert message in one_line_error(cli(database_url, *args)), args


def test_every_command_explains_itself() -> None:
    for command in [
        ["orgs", "list"],
        ["orgs", "create"],
        ["users", "list"],
        ["tokens", "issue"],
        ["tokens", "list"],
        ["tokens", "revoke"],
        ["api-keys", "create"],
        ["api-keys", "list"],
        ["api-keys", "revoke"],
    ]:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.stdout, command
        assert "--database-url" in result.stdout and "--json" in result.stdout, command


def test_the_console_script_fails_in_one_line(database_url: str) -> None:
    """The real entry point: a domain error and an unreachable database, no traceback."""
    for args, message in [
        (["api-keys", "list", "--org", "nope", "--database-url", database_url], "not found"),
        (
            ["orgs", "list", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x"],
            "cannot use the database",
        ),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "workspaced", *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("workspaced: error: ") and message in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
