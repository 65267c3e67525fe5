"""AIP-132 `order_by` and the keyset predicate that continues a page after a sort key."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from workspaced.kit.errors import InvalidArgument


@dataclass(frozen=True)
class SortField:
    """A sortable field: its SQL expression and how its value crosses a page token."""

    column: Any
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


@dataclass(frozen=True)
class SortKey:
    name: str
    field: SortField
    descending: bool


def parse_order_by(
    text: str,
    fields: Mapping[str, SortField],
    *,
    default: str,
    tiebreaker: tuple[str, SortField],
) -> list[SortKey]:
    """Parse `"title, create_time desc"`; always ends with the unique tiebreaker key.

    The tiebreaker sorts in the direction of the last requested key, so an index on
    (key, id) serves the whole order in one scan.
    """
    spec = text.strip() or default
    keys: list[SortKey] = []
    seen: set[str] = set()
    for part in spec.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise InvalidArgument("order_by", f"cannot parse {part.strip()!r}")
        name = words[0]
        direction = words[1].lower() if len(words) == 2 else "asc"
        if name not in fields:
            allowed = ", ".join(sorted(fields))
            raise InvalidArgument("order_by", f"unknown field {name!r} (supported: {allowed})")
        if direction not in ("asc", "desc"):
            raise InvalidArgument("order_by", f"direction must be asc or desc, got {words[1]!r}")
        if name in seen:
            raise InvalidArgument("order_by", f"field {name!r} appears twice")
        seen.add(name)
        keys.append(SortKey(name, fields[name], direction == "desc"))
    keys.append(SortKey(tiebreaker[0], tiebreaker[1], keys[-1].descending))
    return keys


def order_clauses(keys: Sequence[SortKey]) -> list[Any]:
    return [k.field.column.desc() if k.descending else k.field.column.asc() for k in keys]


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys` (the expanded row comparison,
    which works with mixed directions on both databases)."""
    alternatives = []
    for i, key in enumerate(keys):
        equal_prefix = [keys[j].field.column == values[j] for j in range(i)]
        column = key.field.column
        beyond = column < values[i] if key.descending else column > values[i]
        alternatives.append(and_(*equal_prefix, beyond))
    # Implied by the OR below, but only a plain range on the leading key becomes an index
    # condition: without it both databases walk the index from the first row and filter,
    # so the page at position N costs O(N).
    first, leading = keys[0].field.column, values[0]
    bound = first <= leading if keys[0].descending else first >= leading
    return and_(bound, or_(*alternatives))


def row_key(
    keys: Sequence[SortKey], row: Any, position: Mapping[str, int] | None = None
) -> list[Any]:
    """The encoded sort-key values of a result row, in key order, for the next page token:
    by attribute, or by index through `position` for plain tuples."""
    if position is not None:
        return [key.field.encode(row[position[key.name]]) for key in keys]
    return [key.field.encode(getattr(row, key.name)) for key in keys]
