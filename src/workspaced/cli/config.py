"""Settings and the database for a command: flags win over `WORKSPACED_*` variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

from workspaced.cli.console import fail, guarded
from workspaced.kit.db import Database
from workspaced.settings import Settings

T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help=r"SQLAlchemy URL \[env: WORKSPACED_DATABASE_URL]"),
]


def settings_from(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["loc"]:
            fail(f"invalid setting {'.'.join(map(str, first['loc']))}: {message}")
        fail(f"invalid configuration: {message}")  # a rule across settings


def migrated_database(url: str) -> Database:
    from workspaced.migrations import upgrade

    def run() -> Database:
        database = Database(url)
        upgrade(database.engine)
        return database

    return guarded(run)


def with_database(database_url: str | None, work: Callable[[Database], T]) -> T:
    """Run `work` on the configured database, brought to the latest schema first (as
    `bootstrap` does); operator-caused failures end as one line on stderr."""
    database = migrated_database(settings_from(database_url=database_url).database_url)
    try:
        return guarded(lambda: work(database))
    finally:
        database.dispose()
