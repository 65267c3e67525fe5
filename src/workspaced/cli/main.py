"""The `workspaced` command line: serve, migrate, bootstrap, openapi.

Every failure the operator can cause (bad URL, unreachable database, bad input) ends in
one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, NoReturn, TypeVar

import orjson
import typer
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from workspaced.kit.db import ConfigurationError, Database
from workspaced.kit.errors import DomainError
from workspaced.settings import Settings

app = typer.Typer(
    name="workspaced",
    help="Organizations, workspaces, members and roles behind four workspace APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL [env: WORKSPACED_DATABASE_URL]"),
]
T = TypeVar("T")


def fail(message: str) -> NoReturn:
    typer.echo(f"workspaced: error: {message}", err=True)
    raise typer.Exit(code=1)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["loc"]:
            fail(f"invalid setting {'.'.join(map(str, first['loc']))}: {message}")
        fail(f"invalid configuration: {message}")  # a rule across settings


def _guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning operator-caused failures into one line on stderr."""
    try:
        return action()
    except ConfigurationError as exc:
        fail(str(exc))
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        fail(f"cannot use the database: {reason}")
    except DomainError as exc:
        fail(exc.message)


def _migrated_database(url: str) -> Database:
    from workspaced.migrations import upgrade

    def run() -> Database:
        database = Database(url)
        upgrade(database.engine)
        return database

    return _guarded(run)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [env: WORKSPACED_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [env: WORKSPACED_PORT]")] = None,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [env: WORKSPACED_WORKERS]")
    ] = None,
) -> None:
    """Migrate the database to the latest schema, then serve every dialect on one port."""
    from workspaced.http import server

    settings = _settings(host=host, port=port, database_url=database_url, workers=workers)
    _migrated_database(settings.database_url).dispose()
    # Workers are separate processes: hand them the resolved configuration.
    os.environ["WORKSPACED_DATABASE_URL"] = settings.database_url
    os.environ["WORKSPACED_MAX_BODY_BYTES"] = str(settings.max_body_bytes)
    os.environ["WORKSPACED_PUBLIC_URL"] = settings.mail().public_url
    try:
        server.serve(
            "workspaced.http.asgi:app_factory",
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            limits=settings.server_limits(),
        )
    except OSError as exc:
        fail(f"cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}")


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Apply database migrations (Alembic) up to the latest revision."""
    settings = _settings(database_url=database_url)
    _migrated_database(settings.database_url).dispose()
    typer.echo("database is at the latest schema revision", err=True)


class OrgRole(StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"


@app.command()
def bootstrap(
    org: Annotated[str, typer.Option(help="Organization slug (created if missing)")],
    email: Annotated[str, typer.Option(help="User email (created if unknown)")],
    name: Annotated[str | None, typer.Option(help="Display name for a new user")] = None,
    org_role: Annotated[
        OrgRole | None,
        typer.Option(help="Organization role (default: owner of a new org, else member)"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an organization, a user and membership as needed; print a new token as JSON."""
    from workspaced.organization.bootstrap import bootstrap as run_bootstrap

    settings = _settings(database_url=database_url)
    database = _migrated_database(settings.database_url)

    def run() -> dict[str, str]:
        with database.write() as session:
            result = run_bootstrap(
                session,
                org_slug=org,
                email=email,
                name=name,
                org_role=org_role.value if org_role else None,
            )
        return result.__dict__

    result = _guarded(run)
    database.dispose()
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


class DialectName(StrEnum):
    aip = "aip"
    activeloop = "activeloop"
    admin = "admin"
    members = "members"


@app.command()
def openapi(
    dialect: Annotated[DialectName, typer.Option(help="Which dialect's document")],
) -> None:
    """Print a dialect's OpenAPI document (the one served at /openapi/<dialect>.json)."""
    from workspaced.http.app import openapi_documents

    documents = openapi_documents()
    if dialect.value not in documents:
        fail(f"dialect {dialect.value!r} is not served by this build")
    sys.stdout.write(
        orjson.dumps(documents[dialect.value], option=orjson.OPT_INDENT_2).decode() + "\n"
    )


def main() -> None:
    app()
