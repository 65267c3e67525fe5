"""Organizations as their members see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal
from workspaced.authz.catalog import ORGANIZATION_ADMIN_ROLES, OWNER_ROLE_ID
from workspaced.kit import clock
from workspaced.kit.errors import FailedPrecondition, NotFound, PermissionDenied
from workspaced.kit.ordering import SortKey
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import text_sort, uuid_sort
from workspaced.models import Organization, OrganizationMembership
from workspaced.organization import repository
from workspaced.workspace.records import OrganizationRecord


@dataclass(frozen=True)
class OrganizationAccess:
    organization: Organization
    org_role: str


def resolve(
    session: Session, principal: Principal, org_ref: str, *, lock: bool = False
) -> OrganizationAccess:
    """The organization if the caller is a member of it; NotFound otherwise (no leak)."""
    found = repository.find_with_role(session, org_ref, principal.user_id, lock=lock)
    if found is None or not principal.acts_in(found[0].id):
        raise NotFound("organization", org_ref)
    org, member_role = found
    return OrganizationAccess(org, principal.org_role_for(member_role))


ADMINISTER = "organization:administer"


def resolve_admin(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    permission: str,
    lock: bool = False,
) -> OrganizationAccess:
    """The organization if the caller is one of its owners/admins (an API key: one that
    holds `permission`, the organization-level power the operation uses): NotFound for
    outsiders, PermissionDenied for other members (naming `organization:administer`) and
    keys without it (naming `permission`)."""
    access = resolve(session, principal, org_ref, lock=lock)
    _require_admin(principal, access.organization.slug, access.org_role, permission)
    return access


def read_as_admin(
    session: Session, principal: Principal, org_ref: str, *, permission: str
) -> OrganizationRecord:
    """`resolve_admin` for operations that only read: the organization as a record, from
    one prepared statement (no ORM entity); the same answers to the same callers."""
    found = repository.find_record_with_role(session, org_ref, principal.user_id)
    if found is None or not principal.acts_in(found[0].id):
        raise NotFound("organization", org_ref)
    org, member_role = found
    _require_admin(principal, org.slug, principal.org_role_for(member_role), permission)
    return org


def _require_admin(principal: Principal, org_slug: str, org_role: str, permission: str) -> None:
    resource = f"organizations/{org_slug}"
    if org_role not in ORGANIZATION_ADMIN_ROLES:
        raise PermissionDenied(ADMINISTER, resource)
    principal.require_key_permission(permission, resource)


def refuse_losing_last_owner(
    session: Session, org: Organization, membership: OrganizationMembership
) -> None:
    """An organization keeps at least one owner. Callers hold the organization row lock."""
    if (
        membership.org_role == OWNER_ROLE_ID
        and repository.count_with_role(session, org.id, OWNER_ROLE_ID) <= 1
    ):
        raise FailedPrecondition(
            "an organization must keep at least one owner", reason="LAST_OWNER"
        )


_SLUG_KEY = SortKey("slug", text_sort(Organization.slug), False)
_ID_KEY = SortKey("id", uuid_sort(Organization.id), False)


def list_for_user(
    session: Session, principal: Principal, page: PageRequest, codec: PageTokenCodec
) -> tuple[list[OrganizationAccess], str]:
    """The caller's organizations, ordered by slug."""
    query = (
        select(Organization.id, Organization.slug, OrganizationMembership.org_role)
        .join(OrganizationMembership, OrganizationMembership.org_id == Organization.id)
        .where(OrganizationMembership.user_id == principal.user_id)
    )
    if principal.org_scope is not None:
        # Only where the credential acts (rule 6); /me describes all of them.
        query = query.where(Organization.id == principal.org_scope)
    rows, token = keyset_page(
        session, query, [_SLUG_KEY, _ID_KEY], page, codec, fingerprint("organizations")
    )
    orgs = {
        org.id: org
        for org in session.scalars(
            select(Organization).where(Organization.id.in_([row.id for row in rows]))
        )
    }
    return [OrganizationAccess(orgs[row.id], row.org_role) for row in rows], token


def memberships_of(session: Session, user_id: uuid.UUID) -> list[OrganizationAccess]:
    rows = session.execute(
        select(Organization, OrganizationMembership.org_role)
        .join(OrganizationMembership, OrganizationMembership.org_id == Organization.id)
        .where(OrganizationMembership.user_id == user_id)
        .order_by(Organization.slug)
    )
    return [OrganizationAccess(org, role) for org, role in rows]


def create(session: Session, slug: str, display_name: str) -> Organization:
    now = clock.now()
    org = Organization(
        id=uuid.uuid4(), slug=slug, display_name=display_name, create_time=now, update_time=now
    )
    session.add(org)
    session.flush()
    return org


def add_member(
    session: Session,
    org: Organization,
    user_id: uuid.UUID,
    org_role: str,
    *,
    actor: Principal | None,
) -> OrganizationMembership:
    """A new membership of the organization, with its `organization.user.added` audit
    event (`actor` None: the operator). Callers have authorized it."""
    now = clock.now()
    membership = OrganizationMembership(
        org_id=org.id, user_id=user_id, org_role=org_role, create_time=now, update_time=now
    )
    session.add(membership)
    session.flush()
    audit.record(
        session,
        org_id=org.id,
        actor=actor,
        action="organization.user.added",
        resource=f"organizations/{org.slug}/users/{user_id}",
        after={"org_role": org_role},
    )
    return membership
