"""The hot read path's shortcuts keep the answers right: statements built once bind each
request's own values, the per-transaction copy of custom roles sees the transaction's own
writes, and only bounded SQLite reads run on the event loop."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import pytest
from sqlalchemy import update

from tests.support import World, principal_of, workspace_with_members
from workspaced.http.context import AppContext, run_read
from workspaced.kit.db import Database
from workspaced.kit.pagination import PageRequest
from workspaced.mail import MailSettings
from workspaced.membership import service as memberships
from workspaced.models import Workspace
from workspaced.organization import service as organizations
from workspaced.role import custom as custom_roles
from workspaced.role import service as roles
from workspaced.workspace import service as workspaces


def test_cached_member_statements_bind_each_requests_workspace(
    database: Database, world: World
) -> None:
    codec = AppContext.load(database, MailSettings()).page_tokens
    alice, bob = world.person("org-a"), world.person("org-b")
    a_people = [world.person("org-a") for _ in range(3)]
    b_people = [world.person("org-b") for _ in range(2)]
    a_ws = workspace_with_members(database, alice, a_people).slug
    b_ws = workspace_with_members(database, bob, b_people).slug
    expected = {
        (alice.org, a_ws): {p.user_id for p in [alice, *a_people]},
        (bob.org, b_ws): {p.user_id for p in [bob, *b_people]},
    }
    # Alternate between the organizations so each statement is reused with new values,
    # and page through in twos so the continued (token) variant is reused too.
    for _ in range(2):
        for (org, ws), wanted in expected.items():
            owner = principal_of(database, alice if org == alice.org else bob)
            seen: list[str] = []
            token = ""
            while True:
                with database.read() as session:
                    items, token = memberships.list_users(
                        session, owner, org, ws, page=PageRequest.of(2, token), codec=codec
                    )
                seen += [str(item.user_id) for item in items]
                if not token:
                    break
            assert sorted(seen) == sorted(wanted)


def test_custom_roles_read_in_a_transaction_include_its_own_writes(
    database: Database, world: World
) -> None:
    admin = world.person("org-roles", org_role="owner")
    principal = principal_of(database, admin)
    with database.write() as session:
        org_id = organizations.resolve(session, principal, admin.org).organization.id
        assert "auditor" not in roles.display_names(session, org_id)
        custom_roles.create(
            session,
            principal,
            admin.org,
            role_id="auditor",
            display_name="Auditor",
            permissions=["workspaces:get"],
        )
        assert roles.display_names(session, org_id)["auditor"] == "Auditor"
        custom_roles.delete(session, principal, admin.org, "auditor")
        assert "auditor" not in roles.display_names(session, org_id)


def test_only_bounded_sqlite_reads_run_on_the_event_loop(database: Database) -> None:
    async def threads() -> tuple[int, int, int]:
        here = threading.get_ident()
        bounded = await run_read(database, threading.get_ident)
        unbounded = await run_read(database, threading.get_ident, bounded=False)
        return here, bounded, unbounded

    loop_thread, bounded, unbounded = asyncio.run(threads())
    assert unbounded != loop_thread  # scans and lock waits never block the loop
    if database.is_sqlite:
        assert bounded == loop_thread
    else:  # a network round trip: always a worker thread
        assert bounded != loop_thread


def test_member_subqueries_have_the_column_order_views_unpack() -> None:
    from workspaced.membership import repository

    for arm in (repository.explicit_members(), repository.organization_scoped_members()):
        assert tuple(arm.c.keys()) == repository.MEMBER_COLUMNS


def test_sqlite_reads_leave_the_loop_when_the_database_is_not_in_wal_mode(
    database: Database,
) -> None:
    # Where SQLite cannot use WAL (some network filesystems) it keeps a rollback journal
    # and readers wait for writers: such reads must not run on the event loop. The test
    # database is in WAL mode, as the server asks; the journal-mode finding is replaced.
    if not database.is_sqlite:
        pytest.skip("a SQLite journal-mode rule")
    assert database.reads_never_wait  # detected from PRAGMA journal_mode on this file
    database.__dict__["reads_never_wait"] = False

    async def threads() -> tuple[int, int]:
        return threading.get_ident(), await run_read(database, threading.get_ident)

    loop_thread, bounded = asyncio.run(threads())
    assert bounded != loop_thread


def test_get_workspace_answers_what_the_view_query_reads(database: Database, world: World) -> None:
    """`get` builds its view from the resolution's own row (creator joined in) instead of
    reading the workspace again: same view, by slug or id, deleted, or creator gone."""
    owner = world.person("org-view", name="Olive Owner")
    principal = principal_of(database, owner)
    created = workspace_with_members(database, owner, [])
    orphan = workspace_with_members(database, owner, [])
    with database.write() as session:
        session.execute(update(Workspace).where(Workspace.id == orphan.uid).values(creator_id=None))
        workspaces.delete(session, principal, owner.org, created.slug)

    for view, ref in [(created, created.slug), (created, str(created.uid)), (orphan, orphan.slug)]:
        with database.read() as session:
            got = workspaces.get(session, principal, owner.org, ref, include_deleted=True)
            ctx = workspaces.resolve(session, principal, owner.org, ref, include_deleted=True)
            # Plus what the caller holds on it (SPEC §8), from the same resolution.
            assert got == replace(
                workspaces.view_of(session, ctx.organization, ctx.workspace),
                caller_role=ctx.access.workspace_role_id,
                caller_permissions=ctx.access.permissions,
            )
        assert got.uid == view.uid
    assert got.creator_id is None and got.creator_email is None
    with database.read() as session:
        first = workspaces.get(session, principal, owner.org, created.slug, include_deleted=True)
    assert first.delete_time is not None
    assert (first.creator_display_name, first.creator_email) == ("Olive Owner", owner.email)
