"""Each domain operation authorizes itself (DESIGN: "each domain operation authorizes
itself"; the authority issue, item 3).

The test walks every public function of the domain packages. A function that reads or
changes tenant data takes the `principal` and is called here, with no HTTP in between, by
an outsider (a member of another organization), by a token of the same user homed
elsewhere, and, for what needs more than membership, by a plain member of the
organization: each must refuse. No public domain function takes an already-resolved
workspace (`ctx`), which would let a caller skip the check.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

import workspaced
from tests.mail_support import PUBLIC_URL
from tests.support import World, issue_api_key, principal_of
from workspaced.api_key import service as api_keys
from workspaced.audit import service as audit
from workspaced.auth import service as auth
from workspaced.authz.access import Principal
from workspaced.authz.catalog import API_KEY_PERMISSIONS
from workspaced.event import feed, webhooks
from workspaced.invitation import acceptance
from workspaced.invitation import service as invitations
from workspaced.kit.db import Database
from workspaced.kit.errors import NotFound, PermissionDenied
from workspaced.kit.page_tokens import PageTokenCodec
from workspaced.kit.pagination import PageRequest
from workspaced.membership import listing
from workspaced.membership import service as memberships
from workspaced.organization import lifecycle
from workspaced.organization import service as organizations
from workspaced.organization import users as org_users
from workspaced.personal_access_token import service as tokens
from workspaced.preference import service as preferences
from workspaced.role import custom as custom_roles
from workspaced.workspace import checks
from workspaced.workspace import service as workspaces

# The mouths (the dialects, the admin console, the CLI) call the services checked here.
SKIPPED_PACKAGES = (
    "workspaced.http",
    "workspaced.console",
    "workspaced.cli",
    "workspaced.migrations",
    "workspaced.__",
)
CODEC = PageTokenCodec(b"k" * 32)
PAGE = PageRequest(10)

Call = Callable[[Any, Principal], object]

# Every function taking a principal, called with the scenario's names. Each must refuse a
# caller outside the organization (NotFound, the outsider's answer).
OUTSIDER_CALLS: dict[Callable[..., Any], Call] = {
    audit.list_events: lambda s, p: audit.list_events(s, p, "acme", page=PAGE, codec=CODEC),
    invitations.create: lambda s, p: invitations.create(
        s, p, "acme", "ws", email="x@example.com", role="viewer", public_url=PUBLIC_URL
    ),
    invitations.get: lambda s, p: invitations.get(s, p, "acme", "ws", "invite"),
    invitations.list_invites: lambda s, p: invitations.list_invites(
        s, p, "acme", "ws", page=PAGE, codec=CODEC
    ),
    invitations.revoke: lambda s, p: invitations.revoke(s, p, "acme", "ws", "invite"),
    invitations.resend: lambda s, p: invitations.resend(
        s, p, "acme", "ws", "invite", public_url=PUBLIC_URL
    ),
    listing.list_all_explicit: lambda s, p: listing.list_all_explicit(s, p, "acme", "ws"),
    listing.stream_all_explicit: lambda s, p: next(
        listing.stream_all_explicit(lambda: nullcontext(s), p, "acme", "ws")
    ),
    listing.list_for_org_admin: lambda s, p: listing.list_for_org_admin(
        s, p, "acme", "ws", page=PAGE, codec=CODEC
    ),
    listing.list_users: lambda s, p: listing.list_users(s, p, "acme", "ws", page=PAGE, codec=CODEC),
    listing.check_list_users: lambda s, p: listing.check_list_users(s, p, "acme", "ws"),
    memberships.add: lambda s, p: memberships.add(
        s, p, "acme", "ws", user_ref="viewer@acme.test", role="viewer"
    ),
    memberships.change_role: lambda s, p: memberships.change_role(
        s, p, "acme", "ws", user_ref="viewer@acme.test", role="owner"
    ),
    memberships.count_users: lambda s, p: memberships.count_users(s, p, "acme", ["ws"]),
    memberships.remove: lambda s, p: memberships.remove(
        s, p, "acme", "ws", user_ref="viewer@acme.test"
    ),
    organizations.resolve: lambda s, p: organizations.resolve(s, p, "acme"),
    organizations.resolve_admin: lambda s, p: organizations.resolve_admin(
        s, p, "acme", permission="organization:update"
    ),
    organizations.read_as_admin: lambda s, p: organizations.read_as_admin(
        s, p, "acme", permission="access:check"
    ),
    api_keys.create: lambda s, p: api_keys.create(
        s, p, "acme", display_name="k", permissions=["workspaces:get"]
    ),
    api_keys.list_keys: lambda s, p: api_keys.list_keys(s, p, "acme", page=PAGE, codec=CODEC),
    api_keys.get: lambda s, p: api_keys.get(s, p, "acme", "key"),
    api_keys.revoke: lambda s, p: api_keys.revoke(s, p, "acme", "key"),
    feed.list_events: lambda s, p: feed.list_events(s, p, "acme"),
    webhooks.create: lambda s, p: webhooks.create(
        s, p, "acme", url="https://hooks.example.com/x", event_types=[]
    ),
    webhooks.delete: lambda s, p: webhooks.delete(s, p, "acme", "hook"),
    webhooks.get: lambda s, p: webhooks.get(s, p, "acme", "hook"),
    webhooks.list_deliveries: lambda s, p: webhooks.list_deliveries(
        s, p, "acme", "hook", page=PAGE, codec=CODEC
    ),
    webhooks.list_endpoints: lambda s, p: webhooks.list_endpoints(
        s, p, "acme", page=PAGE, codec=CODEC
    ),
    webhooks.retry: lambda s, p: webhooks.retry(s, p, "acme", "hook", "delivery"),
    webhooks.rotate_secret: lambda s, p: webhooks.rotate_secret(s, p, "acme", "hook"),
    webhooks.update_endpoint: lambda s, p: webhooks.update_endpoint(
        s, p, "acme", "hook", {"description": "x"}
    ),
    checks.check_access: lambda s, p: checks.check_access(
        s, p, "acme", [checks.Check("viewer@acme.test", "ws", "workspaces:get")]
    ),
    checks.test_permissions: lambda s, p: checks.test_permissions(
        s, p, "acme", "ws", ["workspaces:get"]
    ),
    org_users.add_user: lambda s, p: org_users.add_user(
        s, p, "acme", email="new@example.com", org_role="member"
    ),
    org_users.get_user: lambda s, p: org_users.get_user(s, p, "acme", "viewer@acme.test"),
    org_users.list_users: lambda s, p: org_users.list_users(s, p, "acme", page=PAGE, codec=CODEC),
    org_users.remove_user: lambda s, p: org_users.remove_user(s, p, "acme", "viewer@acme.test"),
    org_users.update_user: lambda s, p: org_users.update_user(
        s, p, "acme", "viewer@acme.test", org_role="admin"
    ),
    tokens.create: lambda s, p: tokens.create(s, p, display_name="t", org_ref="acme"),
    tokens.list_for_org: lambda s, p: tokens.list_for_org(s, p, "acme", page=PAGE, codec=CODEC),
    tokens.revoke_for_org: lambda s, p: tokens.revoke_for_org(s, p, "acme", "token"),
    preferences.get: lambda s, p: preferences.get(s, p, "acme", "ws"),
    preferences.update: lambda s, p: preferences.update(
        s, p, "acme", "ws", support_team_access=True
    ),
    custom_roles.create: lambda s, p: custom_roles.create(
        s, p, "acme", role_id="r", display_name="R", permissions=["workspaces:get"]
    ),
    custom_roles.delete: lambda s, p: custom_roles.delete(s, p, "acme", "r"),
    custom_roles.get: lambda s, p: custom_roles.get(s, p, "acme", "viewer"),
    custom_roles.list_roles: lambda s, p: custom_roles.list_roles(s, p, "acme"),
    custom_roles.list_for_workspace: lambda s, p: custom_roles.list_for_workspace(
        s, p, "acme", "ws"
    ),
    custom_roles.update: lambda s, p: custom_roles.update(s, p, "acme", "r", description="d"),
    workspaces.create: lambda s, p: workspaces.create(s, p, "acme", title="Mine now"),
    workspaces.delete: lambda s, p: workspaces.delete(s, p, "acme", "ws"),
    workspaces.get: lambda s, p: workspaces.get(s, p, "acme", "ws"),
    workspaces.list_visible: lambda s, p: workspaces.list_visible(
        s, p, "acme", page=PAGE, codec=CODEC
    ),
    workspaces.resolve: lambda s, p: workspaces.resolve(s, p, "acme", "ws"),
    workspaces.stream_visible: lambda s, p: next(
        workspaces.stream_visible(lambda: nullcontext(s), p, "acme", codec=CODEC)
    ),
    lifecycle.update: lambda s, p: lifecycle.update(s, p, "acme", display_name="Taken"),
    lifecycle.transfer_ownership: lambda s, p: lifecycle.transfer_ownership(
        s, p, "acme", user_ref="viewer@acme.test"
    ),
    workspaces.undelete: lambda s, p: workspaces.undelete(s, p, "acme", "ws"),
    workspaces.update: lambda s, p: workspaces.update(s, p, "acme", "ws", {"title": "Taken"}),
}

# Functions whose subject is the caller alone (their own tokens, organizations and
# invitations): what an outsider gets back is checked to hold nothing of the organization.
SELF_SERVICE: dict[Callable[..., Any], Call] = {
    organizations.list_for_user: lambda s, p: [
        a.organization.slug for a in organizations.list_for_user(s, p, PAGE, CODEC)[0]
    ],
    tokens.list_mine: lambda s, p: [
        v.org_slug for v in tokens.list_mine(s, p, page=PAGE, codec=CODEC)[0]
    ],
    tokens.revoke_mine: lambda s, p: tokens.revoke_mine(s, p, "acme-owner-token"),
    acceptance.accept: lambda s, p: acceptance.accept(s, p, "wsi_not-a-real-invite-secret"),
    # Anyone signed in may create an organization: it is theirs and new.
    lifecycle.create: lambda s, p: [
        lifecycle.create(s, p, display_name="Mine").access.organization.slug
    ],
}

# What a plain organization member who is not in the workspace may not do either.
ADMIN_OR_WORKSPACE_ONLY = [
    feed.list_events,
    webhooks.create,
    webhooks.list_endpoints,
    checks.check_access,
    api_keys.create,
    api_keys.list_keys,
    audit.list_events,
    invitations.create,
    invitations.resend,
    invitations.list_invites,
    listing.list_for_org_admin,
    memberships.add,
    memberships.remove,
    memberships.change_role,
    org_users.add_user,
    org_users.remove_user,
    org_users.update_user,
    tokens.list_for_org,
    preferences.get,
    preferences.update,
    custom_roles.create,
    custom_roles.update,
    custom_roles.delete,
    workspaces.get,
    workspaces.update,
    workspaces.delete,
    workspaces.undelete,
    lifecycle.update,
    lifecycle.transfer_ownership,
]


def domain_functions() -> list[tuple[str, Callable[..., Any]]]:
    found = []
    for info in pkgutil.walk_packages(workspaced.__path__, "workspaced."):
        if info.name.startswith(SKIPPED_PACKAGES):
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                found.append((f"{info.name}.{name}", function))
    return found


def test_every_domain_function_taking_a_principal_is_checked_here() -> None:
    takes_principal = {
        name: f for name, f in domain_functions() if "principal" in inspect.signature(f).parameters
    }
    checked = set(OUTSIDER_CALLS) | set(SELF_SERVICE)
    missing = sorted(name for name, f in takes_principal.items() if f not in checked)
    assert not missing, f"add these to OUTSIDER_CALLS or SELF_SERVICE: {missing}"


def test_no_public_domain_function_takes_a_resolved_workspace() -> None:
    unchecked = [name for name, f in domain_functions() if "ctx" in inspect.signature(f).parameters]
    assert not unchecked, f"these act on a resolved workspace without authorizing: {unchecked}"


@pytest.fixture
def scenario(database: Database, world: World) -> dict[str, Principal]:
    owner = world.person("acme", email="owner@acme.test")
    viewer = world.person("acme", email="viewer@acme.test", org_role="member")
    member = world.person("acme", email="member@acme.test", org_role="member")
    outsider = world.person("globex", email="outsider@globex.test")
    # The owner's own token homed in another organization: it acts only there (rule 6).
    owner_elsewhere = world.person("globex", email="owner@acme.test")
    owner_principal = principal_of(database, owner)
    with database.write() as session:
        workspaces.create(session, owner_principal, "acme", title="WS", slug="ws")
        memberships.add(
            session, owner_principal, "acme", "ws", user_ref=viewer.email, role="viewer"
        )
    _, outsiders_key = issue_api_key(database, outsider, API_KEY_PERMISSIONS)
    outsider_principal = principal_of(database, outsider)
    return {
        "outsider": outsider_principal,
        # The new principal kinds, from outside: another organization's API key holding
        # every permission a key can, and the outsider signed in with a JWT (every_org).
        "another organization's API key": authenticated(database, outsiders_key),
        "outsider signed in with a JWT": replace(outsider_principal, token_id=None, every_org=True),
        "owner's token homed elsewhere": principal_of(database, owner_elsewhere),
        "member": principal_of(database, member),
        "viewer": principal_of(database, viewer),
    }


def refused(database: Database, call: Call, principal: Principal) -> type[Exception] | None:
    with pytest.raises((NotFound, PermissionDenied)) as caught, database.write() as session:
        call(session, principal)
    return caught.type


# Operations only a person may call: an API key gets the same PermissionDenied for every
# organization, before anything is looked up (so nothing is revealed either).
PERSON_ONLY = {
    api_keys.create,
    api_keys.list_keys,
    api_keys.get,
    api_keys.revoke,
    tokens.create,
    tokens.list_mine,
    tokens.revoke_mine,
    acceptance.accept,
    lifecycle.create,
}


def authenticated(database: Database, credential: str) -> Principal:
    with database.read() as session:
        return auth.authenticate(session, credential)[0]


@pytest.mark.parametrize(
    "caller",
    [
        "outsider",
        "owner's token homed elsewhere",
        "another organization's API key",
        "outsider signed in with a JWT",
    ],
)
def test_every_operation_refuses_a_caller_outside_the_organization(
    database: Database, scenario: dict[str, Principal], caller: str
) -> None:
    principal = scenario[caller]
    for function, call in OUTSIDER_CALLS.items():
        expected = (
            PermissionDenied if principal.is_api_key and function in PERSON_ONLY else NotFound
        )
        assert refused(database, call, principal) is expected, function.__qualname__
    for function, call in SELF_SERVICE.items():
        try:
            with database.write() as session:
                seen = call(session, principal)
        except NotFound:
            continue
        except PermissionDenied:
            assert principal.is_api_key and function in PERSON_ONLY, function.__qualname__
            continue
        assert not seen or "acme" not in seen, function.__qualname__


def test_members_without_access_are_refused(
    database: Database, scenario: dict[str, Principal]
) -> None:
    for function in ADMIN_OR_WORKSPACE_ONLY:
        assert refused(database, OUTSIDER_CALLS[function], scenario["member"]), function


def test_a_viewer_may_not_change_what_they_can_see(
    database: Database, scenario: dict[str, Principal]
) -> None:
    viewer = scenario["viewer"]
    for function in [
        invitations.create,
        invitations.resend,
        memberships.add,
        memberships.change_role,
        preferences.update,
        workspaces.update,
        workspaces.delete,
    ]:
        assert refused(database, OUTSIDER_CALLS[function], viewer) is PermissionDenied, function


def test_an_outsider_learns_nothing_from_input_errors(
    database: Database, scenario: dict[str, Principal]
) -> None:
    # The check comes before any validation: an outsider learns nothing from input errors.
    with pytest.raises(NotFound), database.write() as session:
        invitations.create(
            session,
            scenario["outsider"],
            "acme",
            "ws",
            email="not an email",
            role="no-such-role",
            ttl=timedelta(days=999),
            public_url=PUBLIC_URL,
        )
