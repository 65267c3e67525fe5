from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests import jwt_support
from tests.concurrency.races import SCOREBOARD
from tests.safety.fixture_world import SafetyWorld, build_world
from tests.safety.stats import STATS
from tests.support import TestDatabases
from workspaced.http.app import create_app
from workspaced.kit.db import Database


@pytest.fixture
def safety_world(database: Database) -> SafetyWorld:
    return build_world(database)


@pytest.fixture(scope="class")
def shared_world(test_databases: TestDatabases) -> Iterator[tuple[SafetyWorld, TestClient]]:
    """One world and one app for a whole class of tests that promise not to write (each
    checks it): building the app and the world per call would dominate their run time.
    Class-scoped, so it is cleaned up before any later test asks for a fresh database."""
    url = test_databases.fresh_url()
    database = Database(url)
    try:
        world = build_world(database)
        app = create_app(database, identity=jwt_support.verifier())
        with TestClient(app, raise_server_exceptions=False) as client:
            yield world, client
    finally:
        database.dispose()
        test_databases.clean(url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not STATS:
        return
    terminalreporter.section("safety")
    for name, value in STATS.items():
        terminalreporter.write_line(f"{name}: {value}")
    for invariant, (run, lost) in sorted(SCOREBOARD.items()):
        if invariant.startswith("http "):
            terminalreporter.write_line(f"{invariant}: {run} races run, {lost} lost")
