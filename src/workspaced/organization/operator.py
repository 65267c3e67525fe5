"""The operator at the command line: every organization of the installation, and the
principal the operator acts as inside one.

The operator holds no credential and is a member of nothing. Inside an organization it
acts on the authority of one member (an owner by default; the user a token is issued to;
the creator of an API key) through the same service calls as the API, so SPEC §3 holds
exactly as for that member: a key carries no more than its creator holds and dies with
the creator's authority, a token is issued only to a current member. Audit events name
the operator (`Principal.operator`), with the CLI's user agent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from workspaced.authz.access import Principal
from workspaced.kit.errors import NotFound
from workspaced.kit.ordering import SortKey
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import text_sort, uuid_sort
from workspaced.models import Organization, User
from workspaced.organization import lifecycle, repository
from workspaced.user import service as users

_ORDER = [
    SortKey("slug", text_sort(Organization.slug), False),
    SortKey("id", uuid_sort(Organization.id), False),
]


@dataclass(frozen=True)
class OrganizationSummary:
    organization_id: uuid.UUID
    slug: str
    display_name: str
    create_time: datetime
    member_count: int


def list_organizations(
    session: Session, *, page: PageRequest, codec: PageTokenCodec
) -> tuple[list[OrganizationSummary], str]:
    """Every organization of the installation, by slug. Only the command line calls this:
    the operator owns the database, no API caller sees beyond its own organizations."""
    rows, token = keyset_page(
        session,
        repository.all_with_member_count(),
        _ORDER,
        page,
        codec,
        fingerprint("operator-organizations"),
    )
    return [OrganizationSummary(*row) for row in rows], token


def acting_as(session: Session, org_ref: str, user_ref: str | None = None) -> Principal:
    """The operator inside organization `org_ref`, on the authority of member `user_ref`
    (a user id or email), or of the organization's longest-standing owner."""
    org = repository.find_by_ref(session, org_ref)
    if org is None:
        raise NotFound("organization", org_ref)
    if user_ref is None:
        owner_id = repository.first_owner_id(session, org.id)
        user = session.get(User, owner_id) if owner_id is not None else None
        if user is None:  # the last-owner invariant makes this unreachable
            raise NotFound("organization owner", org_ref)
    else:
        found = repository.find_member_by_ref(session, org.id, user_ref)
        if found is None:
            missing = NotFound("user", user_ref)
            missing.message = f"{user_ref!r} is not a member of organization {org.slug!r}"
            raise missing
        user = found[1]
    return Principal(
        user_id=user.id, token_id=None, home_org_id=org.id, email=user.email, operator=True
    )


def create_organization(
    session: Session,
    *,
    slug: str,
    display_name: str | None,
    owner_email: str,
    owner_name: str | None = None,
) -> tuple[Organization, User]:
    """A new organization whose only owner is `owner_email` (the account is created if
    unknown, its address vouched for by the operator, as `workspaced bootstrap` does)."""
    owner = users.vouched_for_by_operator(session, owner_email, owner_name)
    # No home organization: the operator holds no credential, so none is issued with it.
    as_owner = Principal(
        user_id=owner.id, token_id=None, home_org_id=None, email=owner.email, operator=True
    )
    created = lifecycle.create(session, as_owner, display_name=display_name or slug, slug=slug)
    return created.access.organization, owner
