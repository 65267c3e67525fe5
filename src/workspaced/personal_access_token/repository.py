"""SQL for personal access tokens. Revoked tokens are invisible here: revoking is final."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.models import Organization, PersonalAccessToken

PAT = PersonalAccessToken


def live_query() -> AnySelect:
    """Unrevoked tokens with their organization's slug, columns labelled by sort-key name."""
    return (
        select(
            PAT.id.label("id"),
            PAT.user_id.label("user_id"),
            PAT.org_id.label("org_id"),
            Organization.slug.label("org_slug"),
            PAT.display_name.label("display_name"),
            PAT.create_time.label("create_time"),
            PAT.expire_time.label("expire_time"),
            PAT.last_used_time.label("last_used_time"),
        )
        .join(Organization, Organization.id == PAT.org_id)
        .where(PAT.revoke_time.is_(None))
    )


def revoke(session: Session, token_id: uuid.UUID, now: datetime) -> bool:
    """Revoke once: of two concurrent revokes exactly one sees a row count of 1."""
    result = session.execute(
        update(PAT)
        .where(PAT.id == token_id, PAT.revoke_time.is_(None))
        .values(revoke_time=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def revoke_all_of(session: Session, org_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live token of `user_id` at home in the organization; how many."""
    result = session.execute(
        in_org(update(PAT), PAT, org_id)
        .where(PAT.user_id == user_id, PAT.revoke_time.is_(None))
        .values(revoke_time=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
