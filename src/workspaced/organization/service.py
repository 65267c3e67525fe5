"""Organizations as their members see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaced.authz.access import Principal
from workspaced.kit import clock
from workspaced.kit.errors import NotFound
from workspaced.kit.ordering import SortKey
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import text_sort, uuid_sort
from workspaced.models import Organization, OrganizationMembership
from workspaced.organization import repository


@dataclass(frozen=True)
class OrganizationAccess:
    organization: Organization
    org_role: str


def resolve(
    session: Session, principal: Principal, org_ref: str, *, lock: bool = False
) -> OrganizationAccess:
    """The organization if the caller is a member of it; NotFound otherwise (no leak)."""
    found = repository.find_with_role(session, org_ref, principal.user_id, lock=lock)
    if found is None:
        raise NotFound("organization", org_ref)
    return OrganizationAccess(*found)


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
