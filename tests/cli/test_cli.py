"""The operator contract: commands, JSON output, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import live_server


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workspaced", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_bootstrap_prints_one_json_object_and_reuses_org_and_user(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = run(
        "bootstrap",
        "--org",
        "acme",
        "--email",
        "Ann@Example.com",
        "--name",
        "Ann",
        "--database-url",
        url,
    )
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert set(body) == {"organization_id", "organization", "user_id", "email", "username", "token"}
    assert body["organization"] == "acme" and body["token"].startswith("wsd_")
    again = json.loads(
        run(
            "bootstrap", "--org", "acme", "--email", "ann@example.com", "--database-url", url
        ).stdout
    )
    assert again["user_id"] == body["user_id"]
    assert again["organization_id"] == body["organization_id"]
    assert again["token"] != body["token"]
    # The sole owner cannot demote herself.
    demoted = run(
        "bootstrap",
        "--org",
        "acme",
        "--email",
        "ann@example.com",
        "--org-role",
        "member",
        "--database-url",
        url,
    )
    assert demoted.returncode == 1
    assert demoted.stderr.count("\n") == 1 and "owner" in demoted.stderr
    with live_server(url) as base:
        me = httpx.get(
            base + "/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}
        ).json()
    assert me["organizations"][0]["org_role"] == "owner"


def test_bad_configuration_is_one_line_and_non_zero(tmp_path: Path) -> None:
    for args in (
        ["migrate", "--database-url", "nonsense://x"],
        ["migrate", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x"],
        [
            "bootstrap",
            "--org",
            "Not A Slug",
            "--email",
            "a@b.co",
            "--database-url",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
        [
            "bootstrap",
            "--org",
            "acme",
            "--email",
            "not-an-email",
            "--database-url",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
        ["serve", "--port", "99999"],
    ):
        result = run(*args)
        assert result.returncode != 0, args
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("workspaced: error:") or "Invalid value" in result.stderr


def test_a_bad_mail_setting_stops_serve_before_it_starts(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'm.db'}"
    for variable, value, shown in [
        ("WORKSPACED_SMTP_URL", "smtp://me:hunter2@relay", "in the clear"),
        ("WORKSPACED_SMTP_URL", "pop3://mail", "unknown scheme"),
        ("WORKSPACED_PUBLIC_URL", "workspaces.example.com", "absolute http(s) URL"),
    ]:
        env = {**os.environ, variable: value}
        result = run("serve", "--database-url", database, "--port", "0", env=env)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert shown in result.stderr and "hunter2" not in result.stderr


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    assert run("migrate", "--database-url", url).returncode == 0
    assert run("migrate", "--database-url", url).returncode == 0


def test_environment_configures_and_flags_win(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "WORKSPACED_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}
    assert run("bootstrap", "--org", "acme", "--email", "a@b.co", env=env).returncode == 0
    assert (tmp_path / "env.db").exists()
    flag = f"sqlite:///{tmp_path / 'flag.db'}"
    assert (
        run(
            "bootstrap", "--org", "acme", "--email", "a@b.co", "--database-url", flag, env=env
        ).returncode
        == 0
    )
    assert (tmp_path / "flag.db").exists()


def test_openapi_command_matches_served_document(tmp_path: Path) -> None:
    printed = run("openapi", "--dialect", "aip")
    assert printed.returncode == 0
    document = json.loads(printed.stdout)
    assert "/api/v1/organizations/{organization_id}/workspaces" in document["paths"]
    with live_server(f"sqlite:///{tmp_path / 'o.db'}") as base:
        served = httpx.get(base + "/openapi/aip.json").json()
        assert httpx.get(base + "/readyz").status_code == 200
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
    assert served == document


def test_serve_on_a_taken_port_fails_with_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run("serve", "--database-url", f"sqlite:///{tmp_path / 'p.db'}", "--port", port)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Address already in use" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_server_limit_stops_serve_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "WORKSPACED_MAX_HEADER_BYTES": "100"}
    result = run("serve", "--database-url", f"sqlite:///{tmp_path / 'h.db'}", env=env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "workspaced: error: invalid setting WORKSPACED_MAX_HEADER_BYTES: "
        "Input should be greater than or equal to 8192"
    )


def test_every_configuration_problem_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WORKSPACED_WORKERS": "0",
        "WORKSPACED_SMTP_URL": "bogus",
        "WORKSPACED_CORS_ORIGINS": "*",
    }
    database = tmp_path / "never.db"
    result = run("serve", "--port", "99999", "--database-url", f"sqlite:///{database}", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[2].strip() for line in lines] == [
        "invalid setting WORKSPACED_PORT",
        "invalid setting WORKSPACED_WORKERS",
        "invalid setting WORKSPACED_CORS_ORIGINS",
        "invalid setting WORKSPACED_SMTP_URL",
    ], lines
    assert not database.exists()  # nothing was started, not even the migration


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"WORKSPACED_OIDC_ISSUER": "https://id.example.com"},
            "invalid configuration: WORKSPACED_OIDC_AUDIENCE is required with "
            "WORKSPACED_OIDC_ISSUER",
        ),
        (
            {"WORKSPACED_OIDC_ISSUER": "http://id.example.com", "WORKSPACED_OIDC_AUDIENCE": "a"},
            "invalid configuration: issuer 'http://id.example.com' must be an https:// URL "
            "(http:// only on the loopback)",
        ),
        (
            {"WORKSPACED_CONSOLE_OIDC_CLIENT_ID": "console"},
            "invalid configuration: WORKSPACED_CONSOLE_OIDC_CLIENT_ID is set without "
            "WORKSPACED_OIDC_ISSUER",
        ),
        (
            {"WORKSPACED_CONSOLE_OIDC_CLIENT_SECRET": "s3cret"},
            "invalid configuration: WORKSPACED_CONSOLE_OIDC_CLIENT_SECRET is set without "
            "WORKSPACED_CONSOLE_OIDC_CLIENT_ID",
        ),
    ],
)
def test_a_bad_identity_provider_setting_stops_serve_with_one_line(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run(
        "serve", "--database-url", f"sqlite:///{tmp_path / 'o.db'}", env={**os.environ, **env}
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"workspaced: error: {message}"
