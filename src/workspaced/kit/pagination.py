"""Keyset pagination shared by every list: page size rules, ordering, tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from workspaced.kit.errors import InvalidArgument
from workspaced.kit.ordering import SortKey, after, order_clauses, row_key
from workspaced.kit.page_tokens import PageTokenCodec
from workspaced.kit.tenancy import AnySelect

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    page_size: int = DEFAULT_PAGE_SIZE
    page_token: str = ""

    @classmethod
    def of(cls, page_size: int | None, page_token: str | None) -> PageRequest:
        """AIP-158: unset or 0 means the default, above the maximum is coerced,
        negative is invalid."""
        if page_size is None or page_size == 0:
            size = DEFAULT_PAGE_SIZE
        elif page_size < 0:
            raise InvalidArgument("page_size", "must not be negative")
        else:
            size = min(page_size, MAX_PAGE_SIZE)
        return cls(size, page_token or "")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str


def keyset_page(
    session: Any,
    query: AnySelect,
    keys: Sequence[SortKey],
    page: PageRequest,
    codec: PageTokenCodec,
    query_fingerprint: str,
) -> tuple[list[Any], str]:
    """Run `query` for one page after the token's position; rows and the next token."""
    if page.page_token:
        raw = codec.decode(page.page_token, query_fingerprint)
        if len(raw) != len(keys):
            raise InvalidArgument("page_token", "is not a valid page token for this request")
        try:
            values = [key.field.decode(value) for key, value in zip(keys, raw, strict=True)]
        except (TypeError, ValueError):
            raise InvalidArgument(
                "page_token", "is not a valid page token for this request"
            ) from None
        query = query.where(after(keys, values))
    rows = list(session.execute(query.order_by(*order_clauses(keys)).limit(page.page_size + 1)))
    if len(rows) <= page.page_size:
        return rows, ""
    rows = rows[: page.page_size]
    return rows, codec.encode(query_fingerprint, row_key(keys, rows[-1]))
