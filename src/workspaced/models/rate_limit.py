from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.kit.db import UTCDateTime
from workspaced.models.base import Base


class RateLimitCounter(Base):
    """A fixed-window request counter (`workspaced.http.rate_limits`), on PostgreSQL."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expire_time: Mapped[datetime] = mapped_column(UTCDateTime)
