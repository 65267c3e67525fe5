from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime
from workspaced.models.base import Base


class JobLease(Base):
    """A periodic job that one process of a deployment runs at a time (the purge): the
    process holding the lease runs it, and the last run's time spaces the runs out
    across every process and replica sharing the database."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
