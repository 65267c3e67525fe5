"""Test helpers: databases, a world of organizations/users/tokens, and a live server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from workspaced.api_key import service as api_keys
from workspaced.auth import service as auth
from workspaced.authz.access import Principal
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.membership import service as memberships
from workspaced.migrations import upgrade
from workspaced.models import User
from workspaced.organization import repository as organizations
from workspaced.organization.bootstrap import bootstrap
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceView

PG_ENV = "WORKSPACED_TEST_DATABASE_URL"

# Tenant tables in dependency order (children first) for PostgreSQL cleanup.
TENANT_TABLES = [
    "webhook_deliveries",
    "webhook_endpoints",
    "events",
    "mail_outbox",
    "rate_limits",
    "audit_events",
    "invites",
    "workspace_preferences",
    "workspace_memberships",
    "workspaces",
    "console_sessions",
    "personal_access_tokens",
    "api_keys",
    "organization_memberships",
    "user_identities",
    "users",
    "organizations",
    # Not tenant data, but state a test leaves: a live server's purge claims its lease.
    "job_leases",
]


def postgres_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def postgres_admin(database_url: str) -> Engine:
    """An autocommit engine on the server's `postgres` database, for managing others."""
    return create_engine(
        make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )


def terminate_sessions(admin: Connection, name: str) -> int:
    """End every other session connected to database `name`; how many there were."""
    killed = admin.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    ).scalar_one()
    return int(killed)


def worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


class TestDatabases:
    """Gives each test a freshly migrated database.

    SQLite: a copy of a template file migrated once per worker. PostgreSQL: one database
    per worker, migrated once, emptied of tenant rows after every test.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pg_base = postgres_base_url()
        self._template: Path | None = None
        self._pg_url: str | None = None

    @property
    def backend(self) -> str:
        return "postgresql" if self.pg_base else "sqlite"

    def _sqlite_template(self) -> Path:
        if self._template is None:
            path = self.workdir / "template.db"
            database = Database(f"sqlite:///{path}")
            upgrade(database.engine)
            with database.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            database.dispose()
            self._template = path
        return self._template

    def _pg_worker_url(self) -> str:
        if self._pg_url is None:
            assert self.pg_base
            base = make_url(self.pg_base)
            name = f"{base.database or 'workspaced_test'}_{worker_suffix()}"
            admin = postgres_admin(self.pg_base)
            with admin.connect() as connection:
                terminate_sessions(connection, name)
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = base.set(database=name).render_as_string(hide_password=False)
            database = Database(url)
            upgrade(database.engine)
            database.dispose()
            self._pg_url = url
        return self._pg_url

    def fresh_url(self) -> str:
        if self.pg_base:
            return self._pg_worker_url()
        path = self.workdir / f"test-{uuid.uuid4().hex}.db"
        shutil.copyfile(self._sqlite_template(), path)
        return f"sqlite:///{path}"

    def clean(self, url: str) -> None:
        if url.startswith("sqlite"):
            path = Path(make_url(url).database or "")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return
        engine = create_engine(url)
        with engine.begin() as connection:
            # TRUNCATE ... CASCADE empties `roles` too (it references organizations): keep the
            # built-in rows the migration seeded, so every test sees a freshly migrated state.
            connection.execute(
                text(
                    "CREATE TEMP TABLE built_in_roles ON COMMIT DROP AS "
                    "SELECT * FROM roles WHERE org_id IS NULL"
                )
            )
            connection.execute(text(f"TRUNCATE {', '.join(TENANT_TABLES)} CASCADE"))
            connection.execute(text("INSERT INTO roles SELECT * FROM built_in_roles"))
        engine.dispose()


@dataclass
class Person:
    """A user of an organization with a token."""

    org: str
    org_id: str
    user_id: str
    email: str
    token: str
    org_role: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def issue_api_key(
    database: Database, creator: Person, permissions: Iterable[str], display_name: str = "backend"
) -> tuple[str, str]:
    """An API key of `creator`'s organization (they must be an owner or admin), created
    through the service as the API does: (key id, secret)."""
    with database.write() as session:
        view, secret = api_keys.create(
            session,
            principal_of(database, creator),
            creator.org_id,
            display_name=display_name,
            permissions=sorted(permissions),
        )
    return str(view.key_id), secret


@dataclass
class World:
    """Creates organizations and people directly through the domain (as the CLI does)."""

    database: Database
    people: list[Person] = field(default_factory=list)

    def person(
        self,
        org: str,
        email: str | None = None,
        org_role: str | None = None,
        name: str | None = None,
    ) -> Person:
        email = email or f"{uuid.uuid4().hex[:10]}@example.com"
        with self.database.write() as session:
            result = bootstrap(session, org_slug=org, email=email, name=name, org_role=org_role)
        with self.database.read() as session:
            membership = organizations.membership(
                session, uuid.UUID(result.organization_id), uuid.UUID(result.user_id)
            )
            assert membership is not None
            role = membership.org_role
        person = Person(
            org, result.organization_id, result.user_id, result.email, result.token, role
        )
        self.people.append(person)
        return person


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    database_url: str, *, workers: int = 1, smtp_url: str = "log:", port: int | None = None
) -> Iterator[str]:
    """A real `workspaced serve` process; yields its base URL. Its log goes to a file, not
    a pipe nobody reads (a full pipe would stall the server). `port` is for a URL that
    must be known before the server starts (an identity provider's redirect URI)."""
    port = port or free_port()
    # WORKSPACED_TEST_SERVER_LOG=path keeps the servers' logs there, for debugging a failure.
    kept = os.environ.get("WORKSPACED_TEST_SERVER_LOG")
    log = open(kept, "ab") if kept else tempfile.TemporaryFile()  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workspaced",
            "serve",
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "WORKSPACED_SMTP_URL": smtp_url},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited: {log.read().decode()[-2000:]}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def bare_user(user_id: uuid.UUID, name: str, create_time: datetime | None = None) -> User:
    """A user row with no organization, for tests of storage itself."""
    email = f"{name}@example.com"
    return User(
        id=user_id,
        email=email,
        email_normalized=email,
        username=name,
        display_name=name.title(),
        create_time=create_time or clock.now(),
    )


def principal_of(database: Database, person: Person) -> Principal:
    with database.read() as session:
        return auth.authenticate(session, person.token)[0]


def workspace_with_members(
    database: Database, owner: Person, people: list[Person], roles: Sequence[str] = ("viewer",)
) -> WorkspaceView:
    """A new workspace of `owner`'s organization with `people` as explicit members, their
    roles taken from `roles` in turn."""
    principal = principal_of(database, owner)
    with database.write() as session:
        view = workspaces.create(session, principal, owner.org, title="Team")
        for i, person in enumerate(people):
            role = roles[i % len(roles)]
            memberships.add(
                session, principal, owner.org, view.slug, user_ref=person.email, role=role
            )
    return view


def server_rss_kib(base: str) -> int:
    """Resident memory of the server listening at `base`, with its child processes."""
    port = base.rsplit(":", 1)[1]
    parents: dict[int, int] = {}
    roots: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if b"serve" in cmdline and port.encode() in cmdline:
            roots.append(int(entry.name))
    family = set(roots)
    while True:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        if not more:
            break
        family |= more
    total = 0
    for pid in family:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        )
    assert roots, f"no server process on port {port}"
    return total
