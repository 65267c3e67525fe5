"""The `workspaced` command line: serve, migrate, bootstrap, openapi, and the operator's
administration (orgs, users, tokens, api-keys: `cli/organizations.py`, `cli/credentials.py`).

Every failure the operator can cause (bad URL, unreachable database, bad input) ends in
one line on stderr and a non-zero exit, never a traceback (`cli/console.py`).
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Annotated

import orjson
import typer

from workspaced import __version__
from workspaced.cli.config import DatabaseUrl, migrated_database, settings_from
from workspaced.cli.console import fail, guarded
from workspaced.cli.credentials import api_keys_app, tokens_app
from workspaced.cli.organizations import orgs_app, users_app
from workspaced.cli.retention import purge_command

app = typer.Typer(
    name="workspaced",
    help="Organizations, workspaces, members and roles behind four workspace APIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (orgs_app, users_app, tokens_app, api_keys_app):
    app.add_typer(group)
app.command("purge")(purge_command)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"workspaced {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Organizations, workspaces, members and roles behind four workspace APIs."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help=r"Bind address \[env: WORKSPACED_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help=r"Port \[env: WORKSPACED_PORT]")] = None,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int | None, typer.Option(help=r"Worker processes \[env: WORKSPACED_WORKERS]")
    ] = None,
) -> None:
    """Migrate the database to the latest schema, then serve every dialect on one port."""
    from workspaced.http import server

    settings = settings_from(host=host, port=port, database_url=database_url, workers=workers)
    try:  # before anything else starts: a port in use is a configuration problem too
        server.check_bindable(settings.host, settings.port)
    except OSError as exc:
        fail(f"cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}")
    migrated_database(settings.database_url).dispose()
    # Workers are separate processes: hand them the resolved configuration.
    os.environ["WORKSPACED_DATABASE_URL"] = settings.database_url
    os.environ["WORKSPACED_MAX_BODY_BYTES"] = str(settings.max_body_bytes)
    os.environ["WORKSPACED_PUBLIC_URL"] = settings.mail().public_url
    from workspaced.observability.metrics import prepare_multiprocess_dir

    prepare_multiprocess_dir()  # every worker's metrics, summed by the one scraped
    try:
        server.serve(
            "workspaced.http.asgi:app_factory",
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            limits=settings.server_limits(),
            grace_s=settings.shutdown_grace,
        )
    except OSError as exc:
        fail(f"cannot serve on {settings.host}:{settings.port}: {exc.strerror or exc}")


@app.command()
def migrate(database_url: DatabaseUrl = None) -> None:
    """Apply database migrations (Alembic) up to the latest revision."""
    settings = settings_from(database_url=database_url)
    migrated_database(settings.database_url).dispose()
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

    settings = settings_from(database_url=database_url)
    database = migrated_database(settings.database_url)

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

    result = guarded(run)
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
