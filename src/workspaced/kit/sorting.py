"""How common column types cross a page token."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from workspaced.kit.ordering import SortField


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def timestamp_sort(column: Any) -> SortField:
    return SortField(column, lambda v: v.isoformat(), lambda v: datetime.fromisoformat(_text(v)))


def text_sort(column: Any) -> SortField:
    return SortField(column, lambda v: v, _text)


def uuid_sort(column: Any) -> SortField:
    return SortField(column, str, lambda v: uuid.UUID(_text(v)))
