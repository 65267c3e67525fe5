"""The one source of time, so tests can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
_ZERO = timedelta(0)


def now() -> datetime:
    """Current time, timezone-aware UTC, truncated to microseconds (what both databases keep)."""
    return _now()


def set_clock(fn: Callable[[], datetime]) -> None:
    global _now
    _now = fn


def reset_clock() -> None:
    set_clock(lambda: datetime.now(UTC))


def advance(delta: timedelta) -> None:
    """Test helper: move the clock forward by `delta` from wherever it is."""
    base = now()
    set_clock(lambda: base + delta)


def rfc3339(value: datetime | None) -> str | None:
    """RFC 3339 UTC with microseconds and a `Z` suffix, or None."""
    if value is None:
        return None
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    # %-formatting of the fields: several times cheaper than strftime, or isoformat after
    # `replace`, and list pages render two timestamps per item.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )
