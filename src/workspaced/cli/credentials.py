"""`workspaced tokens` and `workspaced api-keys`: credentials issued, listed and revoked
by the operator, through the same services and audit log as the API.

A secret is printed once, when it is created; nothing lists it again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from workspaced.api_key import service as api_keys
from workspaced.authz.access import Principal
from workspaced.cli.config import DatabaseUrl, with_database
from workspaced.cli.console import (
    JsonOutput,
    fail,
    note,
    print_fields,
    print_json,
    print_table,
    when,
)
from workspaced.cli.organizations import Org
from workspaced.cli.paging import CODEC, every_item
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.kit.errors import NotFound, PermissionDenied
from workspaced.organization import operator
from workspaced.organization import service as organizations
from workspaced.organization import users as org_users
from workspaced.personal_access_token import service as tokens

tokens_app = typer.Typer(
    name="tokens",
    help="Issue, list and revoke personal access tokens of an organization's members.",
    no_args_is_help=True,
)
api_keys_app = typer.Typer(
    name="api-keys",
    help="Create, list and revoke an organization's API keys (service credentials).",
    no_args_is_help=True,
)


def _expiry(days: int | None, max_lifetime: timedelta) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= max_lifetime.days:
        fail(f"--expires-in-days must be between 1 and {max_lifetime.days}")
    return clock.now() + timedelta(days=days)


def _emails(
    session: Session, principal: Principal, org: str, ids: set[uuid.UUID]
) -> dict[Any, str]:
    """Members' emails by user id, for people reading a list (a former member: the id)."""
    emails: dict[Any, str] = {}
    for user_id in ids:
        try:
            emails[user_id] = org_users.get_user(session, principal, org, str(user_id)).email
        except NotFound:
            emails[user_id] = str(user_id)
    return emails


def _print_secret(kind: str, fields: list[tuple[str, object]], secret: str) -> None:
    print_fields([*fields, (kind, secret)])
    note(f"Store the {kind} now: it is shown only this once.")


ExpiresInDays = Annotated[
    int | None,
    typer.Option("--expires-in-days", help="Expire after this many days (default: never)"),
]


@tokens_app.command("issue")
def issue_token(
    org: Org,
    email: Annotated[str, typer.Option("--email", help="The member the token is for")],
    name: Annotated[str, typer.Option("--name", help="The token's display name")] = "cli",
    expires_in_days: ExpiresInDays = None,
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """Issue a personal access token to a member of the organization, at home there (it
    acts in that organization only). A user who is not a member gets none."""
    expire_time = _expiry(expires_in_days, tokens.MAX_LIFETIME)

    def run(database: Database) -> tuple[tokens.TokenView, str, str]:
        with database.write() as session:
            as_member = operator.acting_as(session, org, email)
            view, secret = tokens.create(
                session, as_member, display_name=name, expire_time=expire_time, org_ref=org
            )
            return view, secret, as_member.email

    view, secret, member_email = with_database(database_url, run)
    if json:
        print_json(
            {
                "token_id": view.token_id,
                "user_id": view.user_id,
                "email": member_email,
                "organization": view.org_slug,
                "display_name": view.display_name,
                "create_time": view.create_time,
                "expire_time": view.expire_time,
                "token": secret,
            }
        )
        return
    _print_secret(
        "token",
        [
            ("token id", view.token_id),
            ("user", f"{member_email} ({view.user_id})"),
            ("organization", view.org_slug),
            ("name", view.display_name),
            ("expires", when(view.expire_time, "never")),
        ],
        secret,
    )


@tokens_app.command("list")
def list_tokens(
    org: Org,
    email: Annotated[str | None, typer.Option("--email", help="Only this member's tokens")] = None,
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """List the unrevoked tokens at home in the organization, newest first (never their
    secrets)."""

    def run(database: Database) -> tuple[list[tokens.TokenView], dict[Any, str]]:
        with database.read() as session:
            as_owner = operator.acting_as(session, org)
            filter_text = ""
            if email is not None:
                user_id = operator.acting_as(session, org, email).user_id
                filter_text = f'user_id = "{user_id}"'
            found = every_item(
                lambda page: tokens.list_for_org(
                    session, as_owner, org, page=page, codec=CODEC, filter_text=filter_text
                )
            )
            return found, _emails(session, as_owner, org, {view.user_id for view in found})

    found, emails = with_database(database_url, run)
    if json:
        print_json(
            {
                "tokens": [
                    {
                        "token_id": view.token_id,
                        "user_id": view.user_id,
                        "email": emails[view.user_id],
                        "organization": view.org_slug,
                        "display_name": view.display_name,
                        "create_time": view.create_time,
                        "expire_time": view.expire_time,
                        "last_used_time": view.last_used_time,
                    }
                    for view in found
                ]
            }
        )
        return
    print_table(
        ["TOKEN ID", "USER", "CREATED", "EXPIRES", "LAST USED", "NAME"],
        [
            [
                view.token_id,
                emails[view.user_id],
                when(view.create_time),
                when(view.expire_time, "never"),
                when(view.last_used_time, "never"),
                view.display_name,
            ]
            for view in found
        ],
    )


@tokens_app.command("revoke")
def revoke_token(
    org: Org,
    token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`)")],
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """Revoke a token at home in the organization: it is refused (401) from the next
    request on."""

    def run(database: Database) -> None:
        with database.write() as session:
            tokens.revoke_for_org(session, operator.acting_as(session, org), org, token_id)

    with_database(database_url, run)
    if json:
        print_json({"token_id": token_id, "revoked": True})
    else:
        typer.echo(f"revoked token {token_id}")


@api_keys_app.command("create")
def create_api_key(
    org: Org,
    name: Annotated[str, typer.Option("--name", help="The key's display name")],
    permission: Annotated[
        list[str],
        typer.Option(
            "--permission",
            help="A permission the key holds (repeat the option for more; "
            "docs/identity.md lists them)",
        ),
    ],
    created_by: Annotated[
        str | None,
        typer.Option(
            "--created-by",
            help="The owner or admin whose authority the key borrows "
            "(default: the organization's longest-standing owner)",
        ),
    ] = None,
    expires_in_days: ExpiresInDays = None,
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """Create an API key of the organization. It holds only permissions its creator
    holds, never owner-only powers, and stops working when its creator leaves the
    organization or stops being an owner or admin."""
    expire_time = _expiry(expires_in_days, api_keys.MAX_LIFETIME)

    def run(database: Database) -> tuple[api_keys.ApiKeyView, str, str]:
        with database.write() as session:
            as_creator = operator.acting_as(session, org, created_by)
            try:
                view, secret = api_keys.create(
                    session,
                    as_creator,
                    org,
                    display_name=name,
                    permissions=permission,
                    expire_time=expire_time,
                )
            except PermissionDenied as denied:
                if denied.permission != organizations.ADMINISTER:
                    raise
                fail(
                    f"{as_creator.email} is not an owner or admin of organization {org!r}: "
                    "a key borrows its creator's authority (--created-by)"
                )
            return view, secret, as_creator.email

    view, secret, creator_email = with_database(database_url, run)
    if json:
        print_json({**_key_document(view, creator_email), "key": secret})
        return
    _print_secret(
        "key",
        [
            ("key id", view.key_id),
            ("organization", view.org_slug),
            ("name", view.display_name),
            ("created by", f"{creator_email} ({view.creator_id})"),
            ("permissions", " ".join(view.permissions)),
            ("expires", when(view.expire_time, "never")),
        ],
        secret,
    )


def _key_document(view: api_keys.ApiKeyView, creator_email: str) -> dict[str, Any]:
    return {
        "key_id": view.key_id,
        "organization": view.org_slug,
        "display_name": view.display_name,
        "creator_id": view.creator_id,
        "creator_email": creator_email,
        "permissions": list(view.permissions),
        "create_time": view.create_time,
        "expire_time": view.expire_time,
        "last_used_time": view.last_used_time,
    }


@api_keys_app.command("list")
def list_api_keys(org: Org, database_url: DatabaseUrl = None, json: JsonOutput = False) -> None:
    """List the organization's unrevoked API keys, newest first (never their secrets)."""

    def run(database: Database) -> tuple[list[api_keys.ApiKeyView], dict[Any, str]]:
        with database.read() as session:
            as_owner = operator.acting_as(session, org)
            found = every_item(
                lambda page: api_keys.list_keys(session, as_owner, org, page=page, codec=CODEC)
            )
            return found, _emails(session, as_owner, org, {view.creator_id for view in found})

    found, emails = with_database(database_url, run)
    if json:
        print_json({"api_keys": [_key_document(view, emails[view.creator_id]) for view in found]})
        return
    print_table(
        ["KEY ID", "CREATED BY", "CREATED", "EXPIRES", "LAST USED", "NAME", "PERMISSIONS"],
        [
            [
                view.key_id,
                emails[view.creator_id],
                when(view.create_time),
                when(view.expire_time, "never"),
                when(view.last_used_time, "never"),
                view.display_name,
                " ".join(view.permissions),
            ]
            for view in found
        ],
    )


@api_keys_app.command("revoke")
def revoke_api_key(
    org: Org,
    key_id: Annotated[str, typer.Argument(help="The key's id (from `api-keys list`)")],
    database_url: DatabaseUrl = None,
    json: JsonOutput = False,
) -> None:
    """Revoke an API key: it is refused (401) from the next request on."""

    def run(database: Database) -> None:
        with database.write() as session:
            api_keys.revoke(session, operator.acting_as(session, org), org, key_id)

    with_database(database_url, run)
    if json:
        print_json({"key_id": key_id, "revoked": True})
    else:
        typer.echo(f"revoked API key {key_id}")
