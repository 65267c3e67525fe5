"""The purge (SPEC §9): deletes what is past retention, in bounded batches, each batch its
own short transaction (so a purge of a million rows never holds a lock for long, and a
purge stopped halfway leaves a consistent database that the next run finishes).

- Soft-deleted workspaces past their `purge_time`, with their memberships, preferences and
  invitations: an audit event and a `workspace.purged` event each. The workspace's
  `member_count` follows its memberships down batch by batch.
- Invitations: marked EXPIRED once past their expiry (an audit event and an
  `invite.expired` event each, so consumers learn of it within a run), deleted 30 days
  after it.
- Personal access tokens and API keys 30 days after they expired or were revoked.
- Delivered webhook deliveries 30 days old, then events 30 days old that no delivery
  still needs (the feed keeps 30 days); sent or given-up mail 30 days old (it holds
  invitation links).
- Console sessions once expired (idle or past their absolute lifetime).
- Audit events older than the configured retention (kept forever by default).

Like the delivery workers it acts for the operator (actor: the operator), across
organizations; statements on tenant tables are still scoped one organization at a time.
Each step re-checks its condition inside its transaction, so a purge racing another (the
CLI beside `serve`, two replicas) or an undelete never deletes a row twice or a live one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.console import sessions
from workspaced.event.outbox import DELIVERED
from workspaced.invitation.repository import EXPIRED, PENDING
from workspaced.invitation.service import resource_name as invite_resource_name
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.kit.tenancy import in_org
from workspaced.models import (
    ApiKey,
    AuditEvent,
    ConsoleSession,
    Event,
    Invite,
    MailMessage,
    Organization,
    PersonalAccessToken,
    WebhookDelivery,
    WebhookEndpoint,
    Workspace,
    WorkspaceMembership,
    WorkspacePreferences,
)
from workspaced.workspace.service import resource_name as workspace_resource_name

EXPIRED_KEPT = timedelta(days=30)  # invitations and tokens, after they expire or are revoked
OUTBOX_KEPT = timedelta(days=30)  # delivered events, sent mail
BATCH = 500


@dataclass(frozen=True)
class RetentionSettings:
    audit_kept: timedelta | None = None  # None: audit events are kept forever
    batch_size: int = BATCH


@dataclass
class PurgeCounts:
    """What a purge deleted (or, in a dry run, would delete)."""

    workspaces: int = 0
    workspace_memberships: int = 0
    workspace_preferences: int = 0
    invitations_expired: int = 0  # marked EXPIRED
    invitations: int = 0
    personal_access_tokens: int = 0
    api_keys: int = 0
    webhook_deliveries: int = 0
    events: int = 0
    mail: int = 0
    console_sessions: int = 0
    audit_events: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


# Called after every batch; answers whether to stop (the server is shutting down).
Progress = Callable[[], bool]


def purge(
    database: Database,
    settings: RetentionSettings = RetentionSettings(),
    *,
    dry_run: bool = False,
    progress: Progress = lambda: False,
) -> PurgeCounts:
    """Purge everything past retention as of now; or, with `dry_run`, count it only."""
    run = _Run(database, settings, clock.now(), progress)
    if dry_run:
        run.count()
    else:
        run.purge()
    return run.counts


class _Stopped(Exception):
    pass


class _Run:
    def __init__(
        self, database: Database, settings: RetentionSettings, now: datetime, progress: Progress
    ) -> None:
        self.database = database
        self.batch = settings.batch_size
        self.audit_kept = settings.audit_kept
        self.now = now
        self.expired_before = now - EXPIRED_KEPT
        self.outbox_before = now - OUTBOX_KEPT
        self.progress = progress
        self.counts = PurgeCounts()

    # -- the conditions, shared by the purge and the dry run --------------------------------

    def _workspaces(self, org_id: uuid.UUID) -> Any:
        return in_org(select(Workspace), Workspace, org_id).where(
            Workspace.delete_time.is_not(None), Workspace.purge_time <= self.now
        )

    def _lapsed_invites(self, org_id: uuid.UUID) -> ColumnElement[bool]:
        return (
            (Invite.org_id == org_id) & (Invite.state == PENDING) & (Invite.expire_time <= self.now)
        )

    def _old_invites(self, org_id: uuid.UUID) -> ColumnElement[bool]:
        return (
            (Invite.org_id == org_id)
            & Invite.state.in_((PENDING, EXPIRED))
            & (Invite.expire_time < self.expired_before)
        )

    def _dead_credentials(self, model: type[PersonalAccessToken] | type[ApiKey]) -> Any:
        return or_(model.expire_time < self.expired_before, model.revoke_time < self.expired_before)

    def _delivered(self, endpoint_id: uuid.UUID) -> ColumnElement[bool]:
        return (
            (WebhookDelivery.endpoint_id == endpoint_id)
            & (WebhookDelivery.create_time < self.outbox_before)
            & (WebhookDelivery.state == DELIVERED)
        )

    def _old_events(self) -> ColumnElement[bool]:
        needed = exists().where(WebhookDelivery.event_pk == Event.id)
        return (Event.time < self.outbox_before) & ~needed

    def _old_mail(self) -> ColumnElement[bool]:
        done = MailMessage.sent_time.is_not(None) | MailMessage.failed_time.is_not(None)
        return (MailMessage.create_time < self.outbox_before) & done

    def _ended_sessions(self) -> ColumnElement[bool]:
        return (ConsoleSession.expire_time <= self.now) | (
            ConsoleSession.last_seen_time <= self.now - sessions.IDLE_TIMEOUT
        )

    def _old_audit(self, org_id: uuid.UUID, kept: timedelta) -> ColumnElement[bool]:
        return (AuditEvent.org_id == org_id) & (AuditEvent.time < self.now - kept)

    # -- the purge ---------------------------------------------------------------------------

    def purge(self) -> None:
        try:
            for org_id in self._organizations():
                self._expire_invitations(org_id)
                self._purge_workspaces(org_id)
                self.counts.invitations += self._in_batches(Invite, self._old_invites(org_id))
                if self.audit_kept is not None:
                    old = self._old_audit(org_id, self.audit_kept)
                    self.counts.audit_events += self._in_batches(AuditEvent, old)
            for model in (PersonalAccessToken, ApiKey):
                deleted = self._in_batches(model, self._dead_credentials(model))
                if model is ApiKey:
                    self.counts.api_keys += deleted
                else:
                    self.counts.personal_access_tokens += deleted
            for endpoint_id in self._endpoints():
                delivered = self._delivered(endpoint_id)
                self.counts.webhook_deliveries += self._in_batches(WebhookDelivery, delivered)
            self.counts.events += self._in_batches(Event, self._old_events())
            self.counts.mail += self._in_batches(MailMessage, self._old_mail())
            ended = self._ended_sessions()
            self.counts.console_sessions += self._in_batches(ConsoleSession, ended)
        except _Stopped:
            pass

    def _step(self) -> None:
        if self.progress():
            raise _Stopped

    def _in_batches(self, model: Any, condition: ColumnElement[bool]) -> int:
        """Delete the rows of `model` matching `condition`, `batch` per transaction."""
        total = 0
        while True:
            with self.database.write() as session:
                deleted = self._delete_some(session, model, condition)
            total += deleted
            self._step()
            if deleted < self.batch:
                return total

    def _expire_invitations(self, org_id: uuid.UUID) -> None:
        while True:
            with self.database.write() as session:
                org_slug = _org_slug(session, org_id)
                lapsed = session.execute(
                    select(Invite.id, Workspace.slug)
                    .join(
                        Workspace,
                        (Workspace.org_id == Invite.org_id) & (Workspace.id == Invite.workspace_id),
                    )
                    .where(self._lapsed_invites(org_id))
                    .limit(self.batch)
                ).all()
                for invite_id, workspace_slug in lapsed:
                    # Conditional: an acceptance that committed first keeps its invitation.
                    marked = session.execute(
                        update(Invite)
                        .where(Invite.id == invite_id, self._lapsed_invites(org_id))
                        .values(state=EXPIRED)
                        .execution_options(synchronize_session=False)
                    )
                    if marked.rowcount != 1:  # type: ignore[attr-defined]
                        continue
                    self.counts.invitations_expired += 1
                    audit.record(
                        session,
                        org_id=org_id,
                        actor=None,
                        action="invite.expired",
                        resource=invite_resource_name(org_slug, workspace_slug, invite_id),
                        before={"state": PENDING},
                        after={"state": EXPIRED},
                    )
            self._step()
            if len(lapsed) < self.batch:
                return

    def _purge_workspaces(self, org_id: uuid.UUID) -> None:
        with self.database.read() as session:
            ids = session.scalars(
                self._workspaces(org_id).with_only_columns(Workspace.id).order_by(Workspace.id)
            ).all()
        for workspace_id in ids:
            while not self._purge_workspace_step(org_id, workspace_id):
                self._step()
            self._step()

    def _purge_workspace_step(self, org_id: uuid.UUID, workspace_id: uuid.UUID) -> bool:
        """One bounded step of purging a workspace: a batch of its memberships, else of its
        invitations, else the workspace itself with its preferences. True when done."""
        with self.database.write() as session:
            # Locked and re-checked: an undelete (or another purge) that committed first
            # wins, and this step then does nothing.
            workspace = session.scalars(
                self._workspaces(org_id).where(Workspace.id == workspace_id).with_for_update()
            ).first()
            if workspace is None:
                return True
            members = WorkspaceMembership
            deleted = self._delete_some(
                session,
                members,
                (members.org_id == org_id) & (members.workspace_id == workspace_id),
            )
            if deleted:
                workspace.member_count -= deleted
                self.counts.workspace_memberships += deleted
                return False
            deleted = self._delete_some(
                session, Invite, (Invite.org_id == org_id) & (Invite.workspace_id == workspace_id)
            )
            if deleted:
                self.counts.invitations += deleted
                return False
            self.counts.workspace_preferences += self._delete_some(
                session,
                WorkspacePreferences,
                (WorkspacePreferences.org_id == org_id)
                & (WorkspacePreferences.workspace_id == workspace_id),
            )
            resource = workspace_resource_name(_org_slug(session, org_id), workspace.slug)
            before = {
                "title": workspace.title,
                "delete_time": workspace.delete_time,
                "purge_time": workspace.purge_time,
            }
            session.execute(
                delete(Workspace)
                .where(Workspace.org_id == org_id, Workspace.id == workspace_id)
                .execution_options(synchronize_session=False)
            )
            audit.record(
                session,
                org_id=org_id,
                actor=None,
                action="workspace.purged",
                resource=resource,
                before=before,
            )
            self.counts.workspaces += 1
            return True

    def _delete_some(self, session: Session, model: Any, condition: ColumnElement[bool]) -> int:
        """Delete up to `batch` rows of `model` matching `condition`; how many."""
        key = tuple_(*model.__table__.primary_key.columns)
        some = select(*model.__table__.primary_key.columns).where(condition).limit(self.batch)
        result = session.execute(
            delete(model).where(key.in_(some)).execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    # -- the dry run -------------------------------------------------------------------------

    def count(self) -> None:
        with self.database.read() as session:

            def rows(model: Any, condition: ColumnElement[bool]) -> int:
                return session.scalar(select(func.count()).select_from(model).where(condition)) or 0

            c = self.counts
            for org_id in self._organizations():
                c.invitations_expired += rows(Invite, self._lapsed_invites(org_id))
                doomed = self._workspaces(org_id).with_only_columns(Workspace.id).subquery()
                c.workspaces += rows(doomed, doomed.c.id.is_not(None))
                for model in (WorkspaceMembership, Invite, WorkspacePreferences):
                    in_doomed = (model.org_id == org_id) & model.workspace_id.in_(select(doomed))
                    counted = rows(model, in_doomed)
                    if model is WorkspaceMembership:
                        c.workspace_memberships += counted
                    elif model is Invite:
                        c.invitations += counted
                    else:
                        c.workspace_preferences += counted
                # Expiring ones outside doomed workspaces, deleted 30 days after expiry.
                outside = ~Invite.workspace_id.in_(select(doomed))
                c.invitations += rows(Invite, self._old_invites(org_id) & outside)
                if self.audit_kept is not None:
                    c.audit_events += rows(AuditEvent, self._old_audit(org_id, self.audit_kept))
            c.personal_access_tokens += rows(
                PersonalAccessToken, self._dead_credentials(PersonalAccessToken)
            )
            c.api_keys += rows(ApiKey, self._dead_credentials(ApiKey))
            for endpoint_id in self._endpoints():
                c.webhook_deliveries += rows(WebhookDelivery, self._delivered(endpoint_id))
            c.mail += rows(MailMessage, self._old_mail())
            c.console_sessions += rows(ConsoleSession, self._ended_sessions())
            # Events whose deliveries would all be gone once those are deleted.
            kept = exists().where(
                (WebhookDelivery.event_pk == Event.id)
                & ~(
                    (WebhookDelivery.create_time < self.outbox_before)
                    & (WebhookDelivery.state == DELIVERED)
                )
            )
            c.events += rows(Event, (Event.time < self.outbox_before) & ~kept)

    # -- what to go through ------------------------------------------------------------------

    def _organizations(self) -> list[uuid.UUID]:
        with self.database.read() as session:
            return list(session.scalars(select(Organization.id).order_by(Organization.id)))

    def _endpoints(self) -> list[uuid.UUID]:
        with self.database.read() as session:
            return list(session.scalars(select(WebhookEndpoint.id).order_by(WebhookEndpoint.id)))


def _org_slug(session: Session, org_id: uuid.UUID) -> str:
    slug = session.scalar(select(Organization.slug).where(Organization.id == org_id))
    return slug or str(org_id)
