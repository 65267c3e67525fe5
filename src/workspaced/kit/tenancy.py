"""The one scoping helper every tenant query goes through.

Every tenant table leads with `org_id`; forgetting the organization in a query is how
data leaks across tenants, so repositories never write `where(X.org_id == ...)`
themselves. A test walks the repositories and fails if one queries tenant data
without this helper.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, TypeVar

from sqlalchemy import BindParameter, Select

S = TypeVar("S")

# Any SELECT, whatever its columns (SQLAlchemy 2.1 types Select by its column tuple).
AnySelect = Select[*tuple[Any, ...]]


class TenantTable(Protocol):
    org_id: Any


def in_org(statement: S, table: Any, org_id: uuid.UUID | BindParameter[Any]) -> S:
    """`statement` restricted to rows of `table` that belong to organization `org_id`
    (a value, or a bound parameter for statements built once and reused)."""
    return statement.where(table.org_id == org_id)  # type: ignore[attr-defined,no-any-return]
