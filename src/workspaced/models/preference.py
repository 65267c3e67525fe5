from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime, UUIDType
from workspaced.models.base import Base


class WorkspacePreferences(Base):
    __tablename__ = "workspace_preferences"

    org_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(UUIDType, primary_key=True)
    support_team_access: Mapped[bool] = mapped_column(Boolean, default=False)
    update_time: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        ForeignKeyConstraint(["org_id", "workspace_id"], ["workspaces.org_id", "workspaces.id"]),
    )
