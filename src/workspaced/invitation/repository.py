"""SQL for invites. Every statement is scoped to its organization."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.models import Invite

PENDING = "PENDING"
ACCEPTED = "ACCEPTED"
REVOKED = "REVOKED"
EXPIRED = "EXPIRED"


def find_by_token(session: Session, org_id: uuid.UUID, token_sha256: bytes) -> Invite | None:
    query = in_org(select(Invite), Invite, org_id).where(Invite.token_sha256 == token_sha256)
    return session.scalars(query).one_or_none()


def get(
    session: Session, org_id: uuid.UUID, workspace_id: uuid.UUID, invite_id: uuid.UUID
) -> Invite | None:
    query = in_org(select(Invite), Invite, org_id).where(
        Invite.workspace_id == workspace_id, Invite.id == invite_id
    )
    return session.scalars(query).one_or_none()


def stored_state(session: Session, org_id: uuid.UUID, invite_id: uuid.UUID) -> tuple[str, datetime]:
    """The committed state of an invite, read afresh (not from the session's identity map)."""
    row = session.execute(
        in_org(select(Invite.state, Invite.expire_time), Invite, org_id).where(
            Invite.id == invite_id
        )
    ).one()
    return row.state, row.expire_time


def list_query(org_id: uuid.UUID, workspace_id: uuid.UUID) -> AnySelect:
    """Invites of a workspace, each row with its sort keys labelled by sort-key name."""
    return in_org(
        select(
            Invite,
            Invite.id.label("id"),
            Invite.create_time.label("create_time"),
            Invite.expire_time.label("expire_time"),
            Invite.email_normalized.label("email"),
        ),
        Invite,
        org_id,
    ).where(Invite.workspace_id == workspace_id)


def _transition(
    session: Session, org_id: uuid.UUID, invite_id: uuid.UUID, conditions: list[Any], values: Any
) -> bool:
    result = session.execute(
        in_org(update(Invite), Invite, org_id)
        .where(Invite.id == invite_id, Invite.state == PENDING, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def mark_accepted(session: Session, org_id: uuid.UUID, invite_id: uuid.UUID, now: datetime) -> bool:
    """PENDING and unexpired -> ACCEPTED, in one statement: of two concurrent accepts exactly
    one sees a row count of 1 (PostgreSQL re-checks the WHERE after the row lock)."""
    return _transition(
        session,
        org_id,
        invite_id,
        [Invite.expire_time > now],
        {"state": ACCEPTED, "accept_time": now},
    )


def mark_revoked(session: Session, org_id: uuid.UUID, invite_id: uuid.UUID) -> bool:
    return _transition(session, org_id, invite_id, [], {"state": REVOKED})


def reissue(
    session: Session,
    org_id: uuid.UUID,
    invite_id: uuid.UUID,
    now: datetime,
    *,
    token_sha256: bytes,
    expire_time: datetime,
    inviter_id: uuid.UUID,
) -> bool:
    """A pending, unexpired invite gets a new secret (the old one stops matching), a new
    expiry and its resender as inviter, in one conditional statement."""
    return _transition(
        session,
        org_id,
        invite_id,
        [Invite.expire_time > now],
        {"token_sha256": token_sha256, "expire_time": expire_time, "inviter_id": inviter_id},
    )
