"""SQL for organization API keys. Revoked keys are invisible here: revoking is final."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspaced.kit.tenancy import AnySelect, in_org
from workspaced.models import ApiKey


def live_query(org_id: uuid.UUID) -> AnySelect:
    """The organization's unrevoked keys, columns labelled by sort-key name."""
    return in_org(
        select(
            ApiKey.id.label("id"),
            ApiKey.creator_id.label("creator_id"),
            ApiKey.display_name.label("display_name"),
            ApiKey.permissions.label("permissions"),
            ApiKey.create_time.label("create_time"),
            ApiKey.expire_time.label("expire_time"),
            ApiKey.last_used_time.label("last_used_time"),
        ),
        ApiKey,
        org_id,
    ).where(ApiKey.revoke_time.is_(None))


def revoke(session: Session, org_id: uuid.UUID, key_id: uuid.UUID, now: datetime) -> bool:
    """Revoke once: of two concurrent revokes exactly one sees a row count of 1."""
    result = session.execute(
        in_org(update(ApiKey), ApiKey, org_id)
        .where(ApiKey.id == key_id, ApiKey.revoke_time.is_(None))
        .values(revoke_time=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


def live_ids_of_creator(
    session: Session, org_id: uuid.UUID, creator_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            in_org(select(ApiKey.id), ApiKey, org_id).where(
                ApiKey.creator_id == creator_id, ApiKey.revoke_time.is_(None)
            )
        )
    )
