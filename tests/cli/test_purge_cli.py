"""`workspaced purge` and `workspaced --version` end to end: the CLI runs in-process
through typer's CliRunner against the test database (SQLite, or PostgreSQL when
configured); the purge's own rules are in tests/service/test_purge.py."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta
from importlib.metadata import version

from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from tests.support import World
from workspaced.cli.main import app
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.migrations import head_revision
from workspaced.models import Workspace

runner = CliRunner()


def purge_json(database_url: str, *flags: str) -> dict[str, int]:
    result = runner.invoke(app, ["purge", *flags, "--json", "--database-url", database_url])
    assert result.exit_code == 0, result.stderr
    document: dict[str, int] = json.loads(result.stdout)
    return document


def test_purge_counts_in_a_dry_run_then_deletes(
    client: TestClient, world: World, database: Database, database_url: str
) -> None:
    owner = world.person("acme")
    api = f"/api/v1/organizations/{owner.org}/workspaces"
    for slug in ("old", "kept"):
        made = client.post(
            api, params={"workspace_id": slug}, json={"title": slug}, headers=owner.headers
        )
        assert made.status_code == 200, made.text
        assert client.delete(f"{api}/{slug}", headers=owner.headers).status_code == 200
    with database.write() as session:  # "old" was deleted 31 days ago: past its purge time
        session.execute(
            update(Workspace)
            .where(Workspace.org_id == uuid.UUID(owner.org_id), Workspace.slug == "old")
            .values(purge_time=clock.now() - timedelta(days=1))
        )

    planned = purge_json(database_url, "--dry-run")
    assert planned["dry_run"] is True and planned["workspaces"] == 1
    assert planned["workspace_memberships"] == 1  # its owner
    assert client.get(f"{api}/old", headers=owner.headers).status_code == 404  # hidden, not gone
    done = purge_json(database_url)
    assert done == {**planned, "dry_run": False}
    assert purge_json(database_url)["workspaces"] == 0
    kept = client.get(f"{api}/kept", headers=owner.headers)
    assert kept.status_code == 200 and kept.json()["delete_time"]

    text = runner.invoke(app, ["purge", "--database-url", database_url])
    assert text.exit_code == 0 and "workspaces" in text.stdout and "PURGED" in text.stdout


def test_purge_on_an_unreachable_database_is_one_line() -> None:
    result = runner.invoke(
        app, ["purge", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("workspaced: error: cannot use the database")
    assert result.stderr.count("\n") == 1


def test_the_version_is_the_package_version(client: TestClient) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "workspaced", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0 and printed.stdout == f"workspaced {version('workspaced')}\n"
    served = client.get("/version")
    assert served.status_code == 200
    assert served.json() == {"version": version("workspaced"), "schema_revision": head_revision()}
