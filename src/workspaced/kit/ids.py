"""Identifier rules shared by every dialect.

A path segment that parses as a UUID is an id; anything else is a slug.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
_SLUG_RE = re.compile(SLUG_PATTERN)
WORKSPACE_SLUG_MAX = 34
ORGANIZATION_SLUG_MAX = 63


def parse_uuid(value: str) -> uuid.UUID | None:
    """The UUID in `value` if it is one (canonical 36-char or 32-hex form), else None."""
    if len(value) not in (32, 36):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def is_valid_slug(value: str, max_length: int) -> bool:
    return (
        0 < len(value) <= max_length
        and _SLUG_RE.match(value) is not None
        and parse_uuid(value) is None
    )


def slug_problem(value: str, max_length: int) -> str | None:
    """A human explanation of why `value` is not a valid slug, or None if it is one."""
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if _SLUG_RE.match(value) is None:
        return "must match " + SLUG_PATTERN
    if parse_uuid(value) is not None:
        return "must not look like a UUID"
    return None


def slugify(text: str, max_length: int = WORKSPACE_SLUG_MAX) -> str:
    """A valid slug derived from a human title ("My Team!" -> "my-team")."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            if not slug:
                slug = word[:max_length]
            break
        slug = candidate
    if not slug or parse_uuid(slug) is not None:
        slug = "workspace"
    return slug


_last_sortable = 0
_sortable_lock = threading.Lock()


def sortable_uuid() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness, strictly increasing
    within this process, so ids issued in one transaction sort in the order issued."""
    global _last_sortable
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) | (0b10 << 62)
    value |= secrets.randbits(62)
    with _sortable_lock:
        if value <= _last_sortable:
            value = _last_sortable + 1
        _last_sortable = value
    return uuid.UUID(int=value)
