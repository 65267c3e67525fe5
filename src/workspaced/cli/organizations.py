"""`workspaced orgs` and `workspaced users`: organizations and who belongs to them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from workspaced.cli.config import DatabaseUrl, with_database
from workspaced.cli.console import JsonOutput, fail, print_fields, print_json, print_table, when
from workspaced.cli.paging import CODEC, every_item
from workspaced.kit.db import Database
from workspaced.organization import operator
from workspaced.organization import users as org_users

orgs_app = typer.Typer(
    name="orgs", help="List and create organizations (as the operator).", no_args_is_help=True
)
users_app = typer.Typer(
    name="users", help="See who belongs to an organization.", no_args_is_help=True
)

Org = Annotated[str, typer.Option("--org", help="Organization slug or id")]


@orgs_app.command("list")
def list_organizations(database_url: DatabaseUrl = None, json: JsonOutput = False) -> None:
    """List every organization of the installation, by slug, with its member count."""

    def run(database: Database) -> list[operator.OrganizationSummary]:
        with database.read() as session:
            return every_item(
                lambda page: operator.list_organizations(session, page=page, codec=CODEC)
            )

    found = with_database(database_url, run)
    if json:
        print_json(
            {
                "organizations": [
                    {
                        "organization_id": org.organization_id,
                        "organization": org.slug,
                        "display_name": org.display_name,
                        "member_count": org.member_count,
                        "create_time": org.create_time,
                    }
                    for org in found
                ]
            }
        )
        return
    print_table(
        ["SLUG", "ID", "MEMBERS", "CREATED", "DISPLAY NAME"],
        [
            [
                org.slug,
                org.organization_id,
                org.member_count,
                when(org.create_time),
                org.display_name,
            ]
            for org in found
        ],
    )


@orgs_app.command("create")
def create_organization(
    slug: Annotated[str, typer.Option("--slug", help="The new organization's slug (unique)")],
    owner: Annotated[
        str, typer.Option("--owner", help="Email of its owner (the account is created if unknown)")
    ],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Its display name (default: the slug)")
    ] = None,
    owner_name: Annotated[
        str | None, typer.Option("--owner-name", help="Display name for a new owner account")
    ] = None,
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """Create an organization with one owner. A taken slug is an error; no token is
    issued (use `workspaced tokens issue`)."""

    def run(database: Database) -> dict[str, Any]:
        with database.write() as session:
            org, user = operator.create_organization(
                session,
                slug=slug,
                display_name=display_name,
                owner_email=owner,
                owner_name=owner_name,
            )
            return {
                "organization_id": org.id,
                "organization": org.slug,
                "display_name": org.display_name,
                "user_id": user.id,
                "email": user.email,
                "username": user.username,
            }

    created = with_database(database_url, run)
    if json:
        print_json(created)
        return
    print_fields(
        [
            ("organization", created["organization"]),
            ("id", created["organization_id"]),
            ("display name", created["display_name"]),
            ("owner", f"{created['email']} ({created['user_id']})"),
        ]
    )


@users_app.command("list")
def list_users(
    org: Org,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many users (default: all)")
    ] = None,
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """List an organization's members with their organization role, oldest first."""
    if limit is not None and limit < 1:
        fail("--limit must be at least 1")

    def run(database: Database) -> list[org_users.OrgUserView]:
        with database.read() as session:
            as_owner = operator.acting_as(session, org)
            return every_item(
                lambda page: org_users.list_users(session, as_owner, org, page=page, codec=CODEC),
                limit,
            )

    found = with_database(database_url, run)
    if json:
        print_json(
            {
                "organization": found[0].org_slug if found else org,
                "users": [
                    {
                        "user_id": user.user_id,
                        "email": user.email,
                        "username": user.username,
                        "display_name": user.display_name,
                        "org_role": user.org_role,
                        "create_time": user.create_time,
                    }
                    for user in found
                ],
            }
        )
        return
    print_table(
        ["EMAIL", "ORG ROLE", "USER ID", "USERNAME", "JOINED", "DISPLAY NAME"],
        [
            [u.email, u.org_role, u.user_id, u.username, when(u.create_time), u.display_name]
            for u in found
        ],
    )
