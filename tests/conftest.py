from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.mail_support import Mailbox
from tests.support import TestDatabases, World
from tests.tenancy_guard import TenancyGuard
from workspaced.http.app import create_app
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.mail import MailSettings


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> TestDatabases:
    return TestDatabases(Path(tmp_path_factory.mktemp("databases")))


@pytest.fixture
def database_url(test_databases: TestDatabases) -> Iterator[str]:
    url = test_databases.fresh_url()
    yield url
    test_databases.clean(url)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def world(database: Database) -> World:
    return World(database)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Mailbox]:
    """One real SMTP server per test process; `mailbox` empties it for each test."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Mailbox:
    smtp_server.clear()
    return smtp_server


@pytest.fixture
def client(database: Database, mailbox: Mailbox) -> Iterator[TestClient]:
    """The app in-process, mailing to the test's SMTP server (read it with `mailbox`)."""
    app = create_app(database, mail=MailSettings(smtp_url=mailbox.url))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    yield
    clock.reset_clock()


@pytest.fixture(autouse=True)
def _tenant_scoping_guard() -> Iterator[None]:
    """Fail any test during which the application queried tenant data without `in_org`."""
    guard = TenancyGuard()
    listener = guard.listener()
    event.listen(Engine, "before_cursor_execute", listener, retval=True)
    yield
    event.remove(Engine, "before_cursor_execute", listener)
    assert not guard.violations, "\n".join(guard.violations[:5])


def pytest_report_header(config):
    import os

    return "database: " + (
        "postgresql" if os.environ.get("WORKSPACED_TEST_DATABASE_URL") else "sqlite"
    )
