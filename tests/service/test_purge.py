"""The purge (SPEC §9) on the database under test, with the clock moved: what is past
retention goes, counts stay right, events are written, nothing live is touched."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support import Person, World
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.kit.tenancy import in_org
from workspaced.models import (
    AuditEvent,
    Event,
    Invite,
    MailMessage,
    PersonalAccessToken,
    Workspace,
    WorkspaceMembership,
    WorkspacePreferences,
)
from workspaced.retention.purge import PurgeCounts, RetentionSettings, purge
from workspaced.retention.schedule import PurgeSchedule

API = "/api/v1/organizations"


def _workspace(client: TestClient, owner: Person, slug: str, members: list[Person]) -> str:
    made = client.post(
        f"{API}/{owner.org}/workspaces",
        params={"workspace_id": slug},
        json={"title": slug.title()},
        headers=owner.headers,
    )
    assert made.status_code == 200, made.text
    for member in members:
        added = client.post(
            f"{API}/{owner.org}/workspaces/{slug}/users",
            json={"user": member.email, "role": "viewer"},
            headers=owner.headers,
        )
        assert added.status_code == 200, added.text
    return str(made.json()["uid"])


def _invite(client: TestClient, owner: Person, slug: str, email: str) -> str:
    sent = client.post(
        f"{API}/{owner.org}/workspaces/{slug}/invites",
        json={"email": email, "role": "viewer"},
        headers=owner.headers,
    )
    assert sent.status_code == 200, sent.text
    return str(sent.json()["name"]).rsplit("/", 1)[1]


def _mail_sent(database: Database) -> None:
    """Wait for the delivery worker to send every invitation mail (its sent time decides
    when the purge deletes it)."""
    deadline = time.monotonic() + 10
    while True:
        with database.read() as session:
            pending = session.scalar(
                select(func.count()).select_from(MailMessage).where(MailMessage.sent_time.is_(None))
            )
        if not pending:
            return
        assert time.monotonic() < deadline, f"{pending} invitation mails still unsent"
        time.sleep(0.05)


def _delete(client: TestClient, owner: Person, slug: str) -> None:
    deleted = client.delete(f"{API}/{owner.org}/workspaces/{slug}", headers=owner.headers)
    assert deleted.status_code == 200, deleted.text


def _count(database: Database, model: Any, org_id: str, *where: Any) -> int:
    with database.read() as session:
        query = in_org(select(func.count()).select_from(model), model, uuid.UUID(org_id))
        return session.scalar(query.where(*where)) or 0


def _events(database: Database, org_id: str, type_: str) -> list[dict[str, Any]]:
    with database.read() as session:
        rows = session.scalars(
            select(Event).where(Event.org_id == uuid.UUID(org_id), Event.type == type_)
        ).all()
        return [row.data for row in rows]


def _scene(client: TestClient, world: World) -> dict[str, Any]:
    owner = world.person("acme")
    members = [world.person("acme") for _ in range(5)]
    return {
        "owner": owner,
        "members": members,
        "live": _workspace(client, owner, "live", members[:2]),
        "doomed": _workspace(client, owner, "doomed", members),
        "recent": _workspace(client, owner, "recent", members[:1]),
    }


def test_a_workspace_past_its_purge_time_goes_with_everything_it_holds(
    client: TestClient, world: World, database: Database
) -> None:
    s = _scene(client, world)
    owner: Person = s["owner"]
    _invite(client, owner, "doomed", "later@example.com")
    prefs = client.patch(
        f"{API}/{owner.org}/workspaces/doomed/preferences",
        json={"support_team_access": True},
        headers=owner.headers,
    )
    assert prefs.status_code == 200, prefs.text
    _delete(client, owner, "doomed")
    clock.advance(timedelta(days=20))
    _delete(client, owner, "recent")  # deleted later: its purge time is 30 days off
    clock.advance(timedelta(days=11))  # "doomed" is now past its purge time
    audit_before = _count(database, AuditEvent, owner.org_id)

    counts = purge(database, RetentionSettings(batch_size=2))  # batches smaller than a workspace

    doomed = uuid.UUID(s["doomed"])
    assert counts.workspaces == 1
    assert counts.workspace_memberships == 6  # the owner and five members
    assert counts.workspace_preferences == 1
    assert counts.invitations == 1
    assert _count(database, Workspace, owner.org_id, Workspace.id == doomed) == 0
    for model in (WorkspaceMembership, WorkspacePreferences, Invite):
        assert _count(database, model, owner.org_id, model.workspace_id == doomed) == 0
    # Nothing live, nor the later deletion, is touched; its member count still matches.
    listed = client.get(f"{API}/{owner.org}/workspaces/live/users", headers=owner.headers)
    assert len(listed.json()["users"]) == 3
    recent = client.get(f"{API}/{owner.org}/workspaces/recent", headers=owner.headers)
    assert recent.status_code == 200 and recent.json()["delete_time"]
    # Audit events are kept; the purge adds its own (the invitation's expiry, the
    # workspace's purge), each with its event.
    assert _count(database, AuditEvent, owner.org_id) == audit_before + 2
    purged = _count(database, AuditEvent, owner.org_id, AuditEvent.action == "workspace.purged")
    assert purged == 1
    [event] = _events(database, owner.org_id, "workspace.purged")
    assert event["resource"] == f"organizations/{owner.org}/workspaces/doomed"
    assert event["actor"] == {"type": "operator", "id": None}
    assert event["before"]["title"] == "Doomed"
    # A second run finds nothing; the later deletion can still be undone.
    assert purge(database).total() == 0
    undeleted = client.post(f"{API}/{owner.org}/workspaces/recent:undelete", headers=owner.headers)
    assert undeleted.status_code == 200, undeleted.text


def test_a_dry_run_counts_what_the_purge_then_deletes_and_changes_nothing(
    client: TestClient, world: World, database: Database
) -> None:
    s = _scene(client, world)
    owner: Person = s["owner"]
    _invite(client, owner, "live", "lapsing@example.com")
    _invite(client, owner, "doomed", "gone@example.com")
    _delete(client, owner, "doomed")
    _mail_sent(database)
    clock.advance(timedelta(days=45))  # past the purge time, and 30+ days past the invites' expiry

    planned = purge(database, dry_run=True)
    assert purge(database, dry_run=True) == planned  # counting changed nothing
    done = purge(database)

    assert planned.workspaces == done.workspaces == 1
    assert planned.workspace_memberships == done.workspace_memberships == 6
    # The live workspace's invitation: marked EXPIRED, then deleted in the same run (its
    # expiry is more than 30 days ago); the doomed workspace's went with it.
    assert planned.invitations_expired == done.invitations_expired == 2
    assert planned.invitations == done.invitations == 2
    assert planned.mail == done.mail == 2  # the two invitation mails, sent 45 days ago
    assert planned == done


def test_an_expired_invitation_is_marked_with_its_event_then_deleted_30_days_later(
    client: TestClient, world: World, database: Database
) -> None:
    s = _scene(client, world)
    owner: Person = s["owner"]
    invite_id = _invite(client, owner, "live", "lapsing@example.com")
    accepted_too = _invite(client, owner, "live", "kept@example.com")
    with database.write() as session:  # an accepted one is not expired, whatever its date
        row = session.get(Invite, (uuid.UUID(owner.org_id), uuid.UUID(accepted_too)))
        assert row is not None
        row.state = "ACCEPTED"

    clock.advance(timedelta(days=8))  # invitations last 7 days
    first = purge(database)
    assert (first.invitations_expired, first.invitations) == (1, 0)
    listed = client.get(f"{API}/{owner.org}/workspaces/live/invites", headers=owner.headers)
    states = {i["name"].rsplit("/", 1)[1]: i["state"] for i in listed.json()["invites"]}
    assert states == {invite_id: "EXPIRED", accepted_too: "ACCEPTED"}
    [event] = _events(database, owner.org_id, "invite.expired")
    assert event["resource"].endswith(f"/invites/{invite_id}")
    assert purge(database).invitations_expired == 0  # one event per invitation

    clock.advance(timedelta(days=28))
    assert purge(database).invitations == 0  # 29 days after its expiry: kept
    clock.advance(timedelta(days=2))
    assert purge(database).invitations == 1
    assert _count(database, Invite, owner.org_id) == 1  # the accepted one


def test_tokens_go_30_days_after_they_were_revoked_or_expired(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    made = client.post(
        "/api/v1/me/tokens",
        json={"display_name": "ci", "expire_time": clock.rfc3339(clock.now() + timedelta(days=1))},
        headers=owner.headers,
    )
    assert made.status_code == 200, made.text
    revoked = world.person("acme")
    with database.write() as session:
        token = session.scalars(
            select(PersonalAccessToken).where(
                PersonalAccessToken.user_id == uuid.UUID(revoked.user_id)
            )
        ).one()
        token.revoke_time = clock.now()
    clock.advance(timedelta(days=30, hours=1))
    assert (
        purge(database).personal_access_tokens == 1
    )  # the revoked one; the 1-day one expired 29 days ago
    clock.advance(timedelta(days=2))
    assert purge(database).personal_access_tokens == 1
    me = client.get("/api/v1/me", headers=owner.headers)
    assert me.status_code == 200  # the owner's own token, which never expires, still works


def test_audit_events_older_than_the_configured_retention_go(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    _workspace(client, owner, "old", [])
    before = _count(database, AuditEvent, owner.org_id)
    assert purge(database).audit_events == 0  # kept forever by default
    clock.advance(timedelta(days=91))
    _workspace(client, owner, "new", [])
    counts = purge(database, RetentionSettings(audit_kept=timedelta(days=90)))
    assert counts.audit_events == before
    assert _count(database, AuditEvent, owner.org_id) == 1  # the new workspace's


def test_a_purge_stopped_between_batches_leaves_counts_right_and_the_next_run_finishes(
    client: TestClient, world: World, database: Database
) -> None:
    s = _scene(client, world)
    owner: Person = s["owner"]
    _delete(client, owner, "doomed")
    clock.advance(timedelta(days=31))
    batches = iter(range(2))  # the invitations step, one batch of memberships, then stop

    partial = purge(
        database, RetentionSettings(batch_size=2), progress=lambda: next(batches, None) is None
    )
    assert partial.workspaces == 0 and 0 < partial.workspace_memberships < 6
    doomed = uuid.UUID(s["doomed"])
    with database.read() as session:
        left = session.scalar(
            in_org(select(Workspace.member_count), Workspace, uuid.UUID(owner.org_id)).where(
                Workspace.id == doomed
            )
        )
    assert left == 6 - partial.workspace_memberships
    assert (
        _count(
            database, WorkspaceMembership, owner.org_id, WorkspaceMembership.workspace_id == doomed
        )
        == left
    )
    rest = purge(database)
    assert rest.workspaces == 1 and rest.workspace_memberships == left


def test_concurrent_purges_purge_each_workspace_once(
    client: TestClient, world: World, database: Database
) -> None:
    owner = world.person("acme")
    members = [world.person("acme") for _ in range(3)]
    for i in range(6):
        _workspace(client, owner, f"w{i}", members)
        _delete(client, owner, f"w{i}")
    clock.advance(timedelta(days=31))
    results: list[PurgeCounts] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(purge(database, RetentionSettings(batch_size=1)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(r.workspaces for r in results) == 6
    assert sum(r.workspace_memberships for r in results) == 6 * 4
    purged = _count(database, AuditEvent, owner.org_id, AuditEvent.action == "workspace.purged")
    assert purged == 6
    assert len(_events(database, owner.org_id, "workspace.purged")) == 6


def test_one_process_of_the_deployment_purges_per_interval(database: Database) -> None:
    every = timedelta(hours=1)
    first, second = (PurgeSchedule(database, RetentionSettings(), every=every) for _ in range(2))
    assert first.run_if_due() is True
    assert second.run_if_due() is False  # the last run was under an hour ago
    assert first.run_if_due() is False
    clock.advance(every)
    assert second.run_if_due() is True


def test_console_sessions_go_once_idle_or_past_their_lifetime(
    world: World, database: Database
) -> None:
    from workspaced.console import sessions

    owner = world.person("acme")
    with database.write() as session:
        sessions.open_session(session, owner.token)
        sessions.open_session(session, owner.token)
    assert purge(database).console_sessions == 0
    clock.advance(sessions.IDLE_TIMEOUT + timedelta(minutes=1))
    assert purge(database, dry_run=True).console_sessions == 2
    assert purge(database).console_sessions == 2
    with database.write() as session:  # a fresh one is kept
        sessions.open_session(session, owner.token)
    assert purge(database).console_sessions == 0
