"""Organizations over the API (SPEC §4.1): create one (its creator becomes its owner),
rename it, and transfer its ownership. Each operation authorizes its caller itself."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal
from workspaced.authz.catalog import ADMIN_ROLE_ID, OWNER_ROLE_ID
from workspaced.invitation import lapse
from workspaced.kit import clock
from workspaced.kit.errors import AlreadyExists, InvalidArgument, PermissionDenied
from workspaced.kit.ids import ORGANIZATION_SLUG_MAX, slug_problem, slugify
from workspaced.kit.validation import check_text
from workspaced.models import Organization
from workspaced.organization import repository
from workspaced.organization import service as organizations
from workspaced.personal_access_token import service as tokens

DISPLAY_NAME_MAX = 200
CREATE = "organizations:create"
TRANSFER = "organization:transferOwnership"


class OrganizationCreation(StrEnum):
    """Who may create organizations: any signed-in user, or only the operator (CLI)."""

    users = "users"
    operator = "operator"


def resource_name(org: Organization) -> str:
    return f"organizations/{org.slug}"


@dataclass(frozen=True)
class CreatedOrganization:
    access: organizations.OrganizationAccess
    # A personal access token acts only in its home organization (rule 6), so a caller
    # signed in with one gets a token at home in the new organization, shown once.
    token: str | None


def create(
    session: Session,
    principal: Principal,
    *,
    display_name: str,
    slug: str | None = None,
    creation: OrganizationCreation = OrganizationCreation.users,
) -> CreatedOrganization:
    """A new organization with the caller as its only owner. Organization slugs are one
    namespace for the whole installation, so a taken one answers 409 whoever holds it;
    without a slug, one is derived from the name and never collides."""
    principal.require_person("organizations")
    if creation is OrganizationCreation.operator:
        raise PermissionDenied(CREATE, "organizations")  # WORKSPACED_ORGANIZATION_CREATION
    check_text("display_name", display_name, DISPLAY_NAME_MAX, required=True)
    if slug is None:
        slug = _free_slug(session, display_name)
    else:
        problem = slug_problem(slug, ORGANIZATION_SLUG_MAX)
        if problem:
            raise InvalidArgument("organization_id", problem)
        if repository.find_by_ref(session, slug) is not None:
            raise AlreadyExists(f"organization {slug!r} already exists", resource_id=slug)
    try:
        with session.begin_nested():
            org = organizations.create(session, slug, display_name)
    except IntegrityError:  # the unique slug decides a race between two creators
        raise AlreadyExists(f"organization {slug!r} already exists", resource_id=slug) from None
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="organization.created",
        resource=resource_name(org),
        after={"display_name": display_name},
    )
    organizations.add_member(session, org, principal.user_id, OWNER_ROLE_ID, actor=principal)
    token = None
    if principal.org_scope is not None:
        as_member = replace(principal, token_id=None, home_org_id=org.id)
        _, token = tokens.create(session, as_member, display_name="created with the organization")
    return CreatedOrganization(organizations.OrganizationAccess(org, OWNER_ROLE_ID), token)


def _free_slug(session: Session, display_name: str) -> str:
    base = slugify(display_name, ORGANIZATION_SLUG_MAX - 7)
    # Always suffixed: a derived slug must not tell the caller which names are taken.
    for _ in range(8):
        candidate = f"{base}-{secrets.token_hex(3)}"
        if repository.find_by_ref(session, candidate) is None:
            return candidate
    raise AlreadyExists("could not derive a free organization id from the name; pass one")


def update(
    session: Session, principal: Principal, org_ref: str, *, display_name: str
) -> organizations.OrganizationAccess:
    """Rename the organization (owners and admins)."""
    access = organizations.resolve_admin(
        session, principal, org_ref, permission="organization:update", lock=True
    )
    org = access.organization
    check_text("display_name", display_name, DISPLAY_NAME_MAX, required=True)
    if display_name != org.display_name:
        audit.record(
            session,
            org_id=org.id,
            actor=principal,
            action="organization.updated",
            resource=resource_name(org),
            before={"display_name": org.display_name},
            after={"display_name": display_name},
        )
        org.display_name = display_name
        org.update_time = clock.now()
        session.flush()
    return access


def transfer_ownership(
    session: Session, principal: Principal, org_ref: str, *, user_ref: str
) -> organizations.OrganizationAccess:
    """An owner makes another member of the organization an owner and becomes an admin,
    in one transaction (under the organization row lock every owner change takes), so
    the organization always keeps an owner. Naming someone who already is an owner is how
    an owner steps down to admin."""
    access = organizations.resolve(session, principal, org_ref, lock=True)
    org = access.organization
    if access.org_role != OWNER_ROLE_ID:
        raise PermissionDenied(TRANSFER, resource_name(org))
    found = repository.find_member_by_ref(session, org.id, user_ref)
    if found is None:
        raise InvalidArgument("user", "must be a member of the organization")
    target, user = found
    if user.id == principal.user_id:
        raise InvalidArgument("user", "must be another member than the caller")
    own = repository.membership(session, org.id, principal.user_id, lock=True)
    assert own is not None  # resolve() found it under the organization lock
    now = clock.now()
    before = {"owner": str(principal.user_id), "new_owner_role": target.org_role}
    target.org_role, target.update_time = OWNER_ROLE_ID, now
    own.org_role, own.update_time = ADMIN_ROLE_ID, now
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="organization.ownership_transferred",
        resource=resource_name(org),
        before=before,
        after={"owner": str(user.id), "previous_owner_role": ADMIN_ROLE_ID},
    )
    # An admin keeps owner-level access to workspaces; whatever the caller sent that only
    # an owner could grant lapses (rule 5).
    lapse.revoke_lapsed(session, principal, org, inviter_id=principal.user_id)
    return organizations.OrganizationAccess(org, ADMIN_ROLE_ID)
