"""Counts the safety tests report in the terminal summary (matrix size, examples, kills)."""

from __future__ import annotations

STATS: dict[str, str | int] = {}


def add(name: str, amount: int = 1) -> None:
    current = STATS.get(name, 0)
    assert isinstance(current, int)
    STATS[name] = current + amount
