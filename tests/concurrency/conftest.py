from __future__ import annotations

import pytest

from tests.concurrency.races import SCOREBOARD


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SCOREBOARD:
        return
    terminalreporter.section("concurrency races")
    for invariant, (run, lost) in sorted(SCOREBOARD.items()):
        terminalreporter.write_line(f"{invariant}: {run} races run, {lost} lost")
