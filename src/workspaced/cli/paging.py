"""Reading a whole list through the services' pages (or its first `limit` items)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from workspaced.kit.page_tokens import PageTokenCodec
from workspaced.kit.pagination import MAX_PAGE_SIZE, PageRequest

T = TypeVar("T")

# Page tokens never leave the command, so a key of its own serves.
CODEC = PageTokenCodec(secrets.token_bytes(32))


def every_item(
    fetch_page: Callable[[PageRequest], tuple[list[T], str]], limit: int | None = None
) -> list[T]:
    items: list[T] = []
    token = ""
    while limit is None or len(items) < limit:
        size = MAX_PAGE_SIZE if limit is None else min(MAX_PAGE_SIZE, limit - len(items))
        page, token = fetch_page(PageRequest(size, token))
        items.extend(page)
        if not token:
            break
    return items
