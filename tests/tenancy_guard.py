"""A check that runs under every test: each SQL statement the application issues against a
tenant table must be scoped by that table's `org_id` (the `kit.tenancy.in_org` helper).

It looks at the statements actually executed (so no repository function escapes it) and
ignores statements issued by tests themselves and by migrations.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import workspaced
from workspaced.kit.db import CursorListener, context_free

TENANT_TABLES = (
    "workspaces",
    "workspace_memberships",
    "workspace_preferences",
    "invites",
    "organization_memberships",
    "audit_events",
)
_PACKAGE = str(Path(workspaced.__file__).parent)
_SKIP_PARTS = ("/sqlalchemy/", "/alembic/", f"{_PACKAGE}/migrations/")


def _issuer() -> str | None:
    """The file of the first frame outside SQLAlchemy that led to this statement."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if "/sqlalchemy/" not in filename and "tenancy_guard" not in filename:
            return filename
        frame = frame.f_back  # type: ignore[assignment]
    return None


def unscoped_tables(statement: str) -> list[str]:
    text = statement.lower()
    if not text.lstrip().startswith(("select", "update", "delete", "with")):
        return []
    missing = []
    for table in TENANT_TABLES:
        if not re.search(rf"(from|join|update)\s+{table}\b", text):
            continue
        if not re.search(rf"\b{table}\.org_id\b|\b{table}_\d*\.org_id\b|\borg_id\s*(=|in)", text):
            missing.append(table)
    return missing


class TenancyGuard:
    def __init__(self) -> None:
        self.violations: list[str] = []

    def listener(self) -> CursorListener:
        """A `before_cursor_execute` listener (register it with `retval=True`) that needs no
        execution context, so it also sees the statements `kit.prepared` runs itself."""

        @context_free
        def check(
            conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
        ) -> tuple[str, Any]:
            self(conn, cursor, statement)
            return statement, parameters

        return check

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        issuer = _issuer()
        if issuer is None or not issuer.startswith(_PACKAGE):
            return
        if any(part in issuer for part in _SKIP_PARTS):
            return
        for table in unscoped_tables(statement):
            self.violations.append(f"{table} not scoped by org_id in {issuer}: {statement}")
