"""Run one operation from many threads at once, and keep score for the summary."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# invariant name -> [races run, races lost]
SCOREBOARD: dict[str, list[int]] = {}


def record(invariant: str, lost: bool) -> None:
    score = SCOREBOARD.setdefault(invariant, [0, 0])
    score[0] += 1
    score[1] += int(lost)


def race(actions: list[Callable[[], Any]]) -> Counter[str]:
    """Start every action at the same instant; count outcomes by exception class name
    ("ok" for success)."""
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], Any]) -> str:
        barrier.wait()
        try:
            action()
        except Exception as error:
            return type(error).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return Counter(pool.map(run, actions))
