"""Checks on free-text input shared by every service."""

from __future__ import annotations

from datetime import datetime, timedelta

from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument


def check_text(field: str, value: str | None, max_length: int, *, required: bool) -> None:
    """Length and character rules for human text (titles, names, descriptions): at most
    `max_length`, no control characters, and non-blank when `required`."""
    if value is None:
        if required:
            raise InvalidArgument(field, "is required")
        return
    if required and not value.strip():
        raise InvalidArgument(field, "must not be empty")
    if len(value) > max_length:
        raise InvalidArgument(field, f"must be at most {max_length} characters")
    if any(ord(c) < 32 for c in value):
        raise InvalidArgument(field, "must not contain control characters")


def check_expire_time(value: datetime | None, max_lifetime: timedelta) -> None:
    """An optional expiry of a credential: with a time zone, in the future, and at most
    `max_lifetime` ahead."""
    if value is None:
        return
    if value.tzinfo is None:
        raise InvalidArgument("expire_time", "must carry a time zone (e.g. 'Z')")
    now = clock.now()
    if value <= now:
        raise InvalidArgument("expire_time", "must be in the future")
    if value > now + max_lifetime:
        raise InvalidArgument("expire_time", f"must be at most {max_lifetime.days} days ahead")
