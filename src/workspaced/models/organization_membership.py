from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES
from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base

# Organization owners and admins reach every workspace of their organization, so every
# member list has an "owners and admins" arm. Its partial index stays small however large
# the organization grows, and once statistics exist (`ANALYZE`, `PRAGMA optimize`) it is
# the only index a planner can find cheap: with `(org_id, org_role)` alone, SQLite's
# statistics for a 1,000,000-member organization average 500,000 rows per role, and it
# scanned the whole table instead (120 ms instead of 1 ms per page). The query spells the
# predicate exactly like this (`membership.repository`), or SQLite cannot use the index.
ADMIN_ROLE_IDS = tuple(sorted(ORGANIZATION_ADMIN_ROLES))
ADMIN_ROLE_PREDICATE = "org_role IN ({})".format(", ".join(f"'{r}'" for r in ADMIN_ROLE_IDS))


class OrganizationMembership(Base):
    __tablename__ = "organization_memberships"

    org_id: Mapped[uuid.UUID] = mapped_column(
        UUIDType, ForeignKey("organizations.id"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUIDType, ForeignKey("users.id"), primary_key=True)
    org_role: Mapped[str] = mapped_column(String(20))
    create_time: Mapped[datetime] = mapped_column(UTCDateTime)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_organization_memberships_org_role", "org_id", "org_role"),
        Index("ix_organization_memberships_user", "user_id"),
        Index(
            "ix_organization_memberships_admins",
            "org_id",
            "create_time",
            "user_id",
            sqlite_where=text(ADMIN_ROLE_PREDICATE),
            postgresql_where=text(ADMIN_ROLE_PREDICATE),
        ),
    )
