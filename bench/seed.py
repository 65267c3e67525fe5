"""Bulk loader: an organization with many workspaces and one workspace with many members.

Usage (also fine for operators who want a large demo data set):

    python -m bench seed --org acme --workspaces 100000 --members 1000000 \
        --database-url sqlite:///./bench.db

It runs `workspaced migrate`, then writes straight into the real tables with SQLAlchemy
Core `executemany` inserts in large batches (one transaction per batch), which is far
faster than going through the HTTP API or the ORM. It keeps the same invariants the
services keep:

* every workspace member is an organization member (the composite FK requires it);
* every workspace has an explicit `owner` (the organization owner) and a preferences row;
* `workspaces.member_count` equals the number of explicit members, set in the same
  transaction as the membership rows;
* tokens are issued with `workspaced.auth.service.issue_token` (only hashes are stored).

Workspaces made: `big` (`--members` members), `small` (`--small-members`), `team`
(`--team-members`, the 50-member page used by the read benchmarks), and filler workspaces
`ws-000001 ...` up to `--workspaces` in total. It prints one JSON object describing the
data set (ids and tokens) on stdout. The organization must not exist yet.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from workspaced.auth.service import issue_token
from workspaced.kit.db import Database
from workspaced.migrations import upgrade
from workspaced.models import (
    Organization,
    OrganizationMembership,
    User,
    Workspace,
    WorkspaceMembership,
    WorkspacePreferences,
)

BATCH = 20_000
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Dataset:
    database_url: str
    org: str
    org_id: str
    owner_id: str
    owner_token: str
    viewer_id: str
    viewer_token: str
    workspaces: int
    members: int
    big: str
    big_id: str
    small: str
    small_id: str
    small_members: int
    team: str
    team_id: str
    team_members: int
    seconds: float


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(database: Database, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    for batch in _batches(rows):
        with database.engine.begin() as connection:
            connection.execute(insert(table), batch)
        count += len(batch)
    return count


def _workspace_row(
    org_id: uuid.UUID, slug: str, owner: uuid.UUID, at: datetime, n: int
) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "id": uuid.uuid4(),
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "icon": None,
        "icon_color": None,
        "creator_id": owner,
        "create_time": at,
        "update_time": at,
        "delete_time": None,
        "purge_time": None,
        "etag": secrets.token_hex(8),
        "member_count": n,
    }


def seed(
    database_url: str,
    *,
    org: str = "acme",
    workspaces: int = 100_000,
    members: int = 1_000_000,
    small_members: int = 500,
    team_members: int = 50,
    log: Any = None,
) -> Dataset:
    """Load the data set; see the module docstring."""
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    started = time.perf_counter()
    members = max(members, small_members, team_members, 2)
    workspaces = max(workspaces, 3)
    database = Database(database_url)
    try:
        upgrade(database.engine)
        with database.engine.connect() as connection:
            if connection.scalar(select(Organization.id).where(Organization.slug == org)):
                raise SystemExit(f"organization {org!r} already exists: seed a fresh database")

        org_id, owner_id = uuid.uuid4(), uuid.uuid4()
        user_ids = [uuid.uuid4() for _ in range(members)]
        with database.engine.begin() as connection:
            _base_rows(connection, org_id, owner_id, org)

        say(f"seed: {members} users and organization memberships")
        _insert(database, User.__table__, _users(user_ids))
        _insert(database, OrganizationMembership.__table__, _org_members(org_id, user_ids))

        say(f"seed: {workspaces} workspaces")
        big = _workspace_row(org_id, "big", owner_id, EPOCH, members + 1)
        small = _workspace_row(org_id, "small", owner_id, EPOCH, small_members)
        team = _workspace_row(org_id, "team", owner_id, EPOCH, team_members)
        fillers = (
            _workspace_row(org_id, f"ws-{i:06d}", owner_id, EPOCH + timedelta(seconds=i), 1)
            for i in range(1, workspaces - 2)
        )

        def all_workspaces() -> Iterator[dict[str, Any]]:
            yield from (big, small, team)
            yield from fillers

        ws_ids: list[uuid.UUID] = []

        def remember(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for row in rows:
                ws_ids.append(row["id"])
                yield row

        _insert(database, Workspace.__table__, remember(all_workspaces()))
        _insert(
            database,
            WorkspacePreferences.__table__,
            (
                {
                    "org_id": org_id,
                    "workspace_id": w,
                    "support_team_access": False,
                    "update_time": EPOCH,
                }
                for w in ws_ids
            ),
        )
        say("seed: workspace owners")
        _insert(
            database,
            WorkspaceMembership.__table__,
            (_membership(org_id, w, owner_id, "owner", owner_id, 0) for w in ws_ids),
        )
        say(f"seed: {members} members of 'big'")
        # member_count was written with the workspace rows above (owner + members); the
        # memberships below are exactly those, so the count stays equal to the rows.
        _insert(
            database,
            WorkspaceMembership.__table__,
            (
                _membership(org_id, big["id"], u, "viewer", owner_id, i + 1)
                for i, u in enumerate(user_ids)
            ),
        )
        _insert(
            database,
            WorkspaceMembership.__table__,
            (
                _membership(org_id, small["id"], u, "viewer", owner_id, i + 1)
                for i, u in enumerate(user_ids[: small_members - 1])
            ),
        )
        _insert(
            database,
            WorkspaceMembership.__table__,
            (
                _membership(org_id, team["id"], u, "viewer", owner_id, i + 1)
                for i, u in enumerate(user_ids[: team_members - 1])
            ),
        )
        with database.write() as session:
            _, owner_token = issue_token(
                session, user_id=owner_id, org_id=org_id, display_name="bench owner"
            )
            _, viewer_token = issue_token(
                session, user_id=user_ids[0], org_id=org_id, display_name="bench viewer"
            )
        if database.engine.dialect.name == "postgresql":
            # What autovacuum would do shortly anyway; the planner needs row estimates.
            with database.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.exec_driver_sql("ANALYZE")
        # No ANALYZE on SQLite: nothing runs it in production, and its sqlite_stat1
        # averages (about 500,000 rows per (org, org_role) here) make the planner scan
        # every organization membership for the org owners/admins arm of the member list
        # (see BENCHMARKS.md).
    finally:
        database.dispose()
    return Dataset(
        database_url=database_url,
        org=org,
        org_id=str(org_id),
        owner_id=str(owner_id),
        owner_token=owner_token,
        viewer_id=str(user_ids[0]),
        viewer_token=viewer_token,
        workspaces=workspaces,
        members=members,
        big="big",
        big_id=str(big["id"]),
        small="small",
        small_id=str(small["id"]),
        small_members=small_members,
        team="team",
        team_id=str(team["id"]),
        team_members=team_members,
        seconds=round(time.perf_counter() - started, 1),
    )


def _base_rows(connection: Connection, org_id: uuid.UUID, owner_id: uuid.UUID, org: str) -> None:
    connection.execute(
        insert(Organization),
        [
            {
                "id": org_id,
                "slug": org,
                "display_name": org,
                "create_time": EPOCH,
                "update_time": EPOCH,
            }
        ],
    )
    connection.execute(
        insert(User),
        [
            {
                "id": owner_id,
                "email": f"owner@{org}.example",
                "email_normalized": f"owner@{org}.example",
                "username": f"{org}-owner",
                "display_name": "Bench Owner",
                "avatar_url": None,
                "create_time": EPOCH,
            }
        ],
    )
    connection.execute(
        insert(OrganizationMembership),
        [
            {
                "org_id": org_id,
                "user_id": owner_id,
                "org_role": "owner",
                "create_time": EPOCH,
                "update_time": EPOCH,
            }
        ],
    )


def _users(user_ids: list[uuid.UUID]) -> Iterator[dict[str, Any]]:
    for i, user_id in enumerate(user_ids):
        email = f"member{i:07d}@bench.example"
        yield {
            "id": user_id,
            "email": email,
            "email_normalized": email,
            "username": f"member{i:07d}",
            "display_name": f"Member {i:07d}",
            "avatar_url": None,
            "create_time": EPOCH,
        }


def _org_members(org_id: uuid.UUID, user_ids: list[uuid.UUID]) -> Iterator[dict[str, Any]]:
    for user_id in user_ids:
        yield {
            "org_id": org_id,
            "user_id": user_id,
            "org_role": "member",
            "create_time": EPOCH,
            "update_time": EPOCH,
        }


def _membership(
    org_id: uuid.UUID,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    added_by: uuid.UUID,
    i: int,
) -> dict[str, Any]:
    # Distinct, increasing join times: the default order (newest first) is then the
    # reverse of insertion order, so "position N" is well defined.
    at = EPOCH + timedelta(microseconds=i * 1000)
    return {
        "org_id": org_id,
        "workspace_id": workspace_id,
        "user_id": user_id,
        "role_id": role,
        "added_by": added_by,
        "create_time": at,
        "update_time": at,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench seed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--workspaces", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--small-members", type=int, default=500)
    parser.add_argument("--team-members", type=int, default=50)
    args = parser.parse_args(argv)
    dataset = seed(
        args.database_url,
        org=args.org,
        workspaces=args.workspaces,
        members=args.members,
        small_members=args.small_members,
        team_members=args.team_members,
    )
    print(json.dumps(asdict(dataset)))
