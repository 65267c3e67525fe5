"""`workspaced purge`: delete what is past retention now (what `serve` does hourly), or
with `--dry-run` count it only."""

from __future__ import annotations

from typing import Annotated

import typer

from workspaced.cli.config import DatabaseUrl, settings_from, with_database
from workspaced.cli.console import JsonOutput, print_json, print_table
from workspaced.kit.db import Database
from workspaced.retention.purge import PurgeCounts, purge


def purge_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; change nothing.")
    ] = False,
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """Delete what is past retention: soft-deleted workspaces past their purge time (with
    their members, preferences and invitations), invitations and tokens 30 days after
    they expired or were revoked, delivered events and sent mail after 30 days, and audit
    events past WORKSPACED_AUDIT_RETENTION_DAYS (kept forever by default). Invitations
    past their expiry are marked EXPIRED. Safe beside a running `serve`."""
    retention = settings_from(database_url=database_url).retention()

    def run(database: Database) -> PurgeCounts:
        return purge(database, retention, dry_run=dry_run)

    counts = with_database(database_url, run)
    if json:
        print_json({"dry_run": dry_run, **counts.as_dict()})
        return
    labels = {"invitations_expired": "invitations marked EXPIRED"}
    rows = [[labels.get(kind, kind.replace("_", " ")), n] for kind, n in counts.as_dict().items()]
    print_table(["WHAT", "WOULD PURGE" if dry_run else "PURGED"], rows)
