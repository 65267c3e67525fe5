from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workspaced.models.base import Base


class ServerSecret(Base):
    """Secrets every replica must share (e.g. the page-token signing key), made by migration."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(64))
