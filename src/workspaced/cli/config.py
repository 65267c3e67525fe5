"""Settings and the database for a command: flags win over `WORKSPACED_*` variables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError

from workspaced.cli.console import fail_all, guarded
from workspaced.kit.db import Database
from workspaced.settings import Settings

T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help=r"SQLAlchemy URL \[env: WORKSPACED_DATABASE_URL]"),
]


def settings_from(**overrides: object) -> Settings:
    """The configuration, validated whole: every problem is one line on stderr (so an
    operator fixes them all in one go), then exit 1."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:
                name = "WORKSPACED_" + ".".join(map(str, error["loc"])).upper()
                problems.append(f"invalid setting {name}: {message}")
            else:
                problems.append(f"invalid configuration: {message}")  # a rule across settings
        fail_all(problems)


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
