"""Organization users: who belongs to an organization, with which organization role.

Owners and admins manage users; only owners grant, change or remove `owner`; the last
owner stays. Removing a user also removes their workspace memberships and revokes their
tokens for the organization, in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from workspaced.api_key import service as api_keys
from workspaced.audit import service as audit
from workspaced.authz.access import Principal
from workspaced.authz.catalog import (
    BUILT_IN_ORGANIZATION_ROLES,
    OWNER_ROLE_ID,
)
from workspaced.invitation import lapse
from workspaced.kit import clock, filtering
from workspaced.kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from workspaced.kit.ordering import parse_order_by
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import text_sort, timestamp_sort, uuid_sort
from workspaced.kit.tenancy import in_org
from workspaced.membership import repository as memberships
from workspaced.models import (
    Organization,
    OrganizationMembership,
    User,
    WorkspaceMembership,
)
from workspaced.organization import repository
from workspaced.organization import service as organizations
from workspaced.personal_access_token import repository as tokens
from workspaced.user import service as users
from workspaced.workspace import repository as workspaces


@dataclass(frozen=True)
class OrgUserView:
    org_slug: str
    user_id: uuid.UUID
    email: str
    username: str
    display_name: str
    org_role: str
    create_time: datetime
    update_time: datetime


def _view(org: Organization, membership: OrganizationMembership, user: User) -> OrgUserView:
    return OrgUserView(
        org.slug,
        user.id,
        user.email,
        user.username,
        user.display_name,
        membership.org_role,
        membership.create_time,
        membership.update_time,
    )


def _resource(org: Organization, user_id: uuid.UUID) -> str:
    return f"organizations/{org.slug}/users/{user_id}"


def _require_owner_for(org: Organization, caller_role: str, *roles: str) -> None:
    """Only an owner may grant, change or remove the owner role."""
    if OWNER_ROLE_ID in roles and caller_role != OWNER_ROLE_ID:
        raise PermissionDenied("organization:owner", f"organizations/{org.slug}")


def _validate_role(org_role: str) -> str:
    if org_role not in BUILT_IN_ORGANIZATION_ROLES:
        raise InvalidArgument("org_role", "must be one of owner, admin, member")
    return org_role


def _org_role(operator: str, value: str, position: int) -> ColumnElement[bool]:
    if operator not in ("=", "!=") or value not in BUILT_IN_ORGANIZATION_ROLES:
        raise InvalidArgument(
            "filter", f"org_role supports = or != with owner|admin|member (position {position})"
        )
    column = OrganizationMembership.org_role
    return (column == value) if operator == "=" else (column != value)


FILTER_FIELDS: dict[str, filtering.FieldCompiler] = {
    "org_role": _org_role,
    "search": filtering.search_field("search", User.display_name, User.email),
}
SORT_FIELDS = {
    "email": text_sort(User.email),
    "display_name": text_sort(User.display_name),
    "create_time": timestamp_sort(OrganizationMembership.create_time),
}


def list_users(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    filter_text: str = "",
    order_by: str = "",
) -> tuple[list[OrgUserView], str]:
    """Any member of the organization may see who else belongs to it (an API key given
    `organization.users:list`)."""
    org = organizations.resolve(session, principal, org_ref).organization
    principal.require_key_permission("organization.users:list", f"organizations/{org.slug}")
    condition = filtering.compile_filter(filtering.parse(filter_text), FILTER_FIELDS)
    keys = parse_order_by(
        order_by, SORT_FIELDS, default="create_time", tiebreaker=("user_id", uuid_sort(User.id))
    )
    query = in_org(
        select(
            OrganizationMembership,
            User,
            User.id.label("user_id"),
            User.email.label("email"),
            User.display_name.label("display_name"),
            OrganizationMembership.create_time.label("create_time"),
        ).join(User, User.id == OrganizationMembership.user_id),
        OrganizationMembership,
        org.id,
    ).where(condition)
    rows, token = keyset_page(
        session,
        query,
        keys,
        page,
        codec,
        fingerprint("org-users", str(org.id), filter_text, order_by),
    )
    return [_view(org, row[0], row[1]) for row in rows], token


def _member(
    session: Session, org: Organization, user_ref: str
) -> tuple[OrganizationMembership, User]:
    found = repository.find_member_by_ref(session, org.id, user_ref)
    if found is None:
        raise NotFound("user", user_ref)
    return found


def get_user(session: Session, principal: Principal, org_ref: str, user_ref: str) -> OrgUserView:
    org = organizations.resolve(session, principal, org_ref).organization
    principal.require_key_permission("organization.users:list", f"organizations/{org.slug}")
    membership, user = _member(session, org, user_ref)
    return _view(org, membership, user)


def add_user(
    session: Session,
    principal: Principal,
    org_ref: str,
    *,
    email: str,
    org_role: str,
    display_name: str | None = None,
) -> OrgUserView:
    """Bring someone into the organization (creating the user if the email is new)."""
    access = organizations.resolve_admin(
        session, principal, org_ref, permission="organization.users:add", lock=True
    )
    org = access.organization
    _validate_role(org_role)
    _require_owner_for(org, access.org_role, org_role)
    email = users.validate_email(email)
    existing = users.find_by_email(session, email)
    user = existing or users.create(session, email, display_name)
    if repository.membership(session, org.id, user.id) is not None:
        raise AlreadyExists(
            f"{email!r} is already a member of the organization", resource_id=str(user.id)
        )
    membership = organizations.add_member(session, org, user.id, org_role, actor=principal)
    if existing is not None:
        # Rule 7: the account belongs to someone elsewhere; answer exactly as for a new
        # address (the name the admin gave, or the address's local part), never theirs.
        return replace(
            _view(org, membership, user),
            email=email,
            display_name=display_name or email.split("@", 1)[0],
        )
    return _view(org, membership, user)


def update_user(
    session: Session, principal: Principal, org_ref: str, user_ref: str, *, org_role: str
) -> OrgUserView:
    # The organization row lock serializes every owner change of the organization.
    access = organizations.resolve_admin(
        session, principal, org_ref, permission="organization.users:update", lock=True
    )
    org = access.organization
    _validate_role(org_role)
    membership, user = _member(session, org, user_ref)
    if membership.org_role != org_role:
        _require_owner_for(org, access.org_role, org_role, membership.org_role)
        organizations.refuse_losing_last_owner(session, org, membership)
        audit.record(
            session,
            org_id=org.id,
            actor=principal,
            action="organization.user.role_changed",
            resource=_resource(org, user.id),
            before={"org_role": membership.org_role},
            after={"org_role": org_role},
        )
        membership.org_role = org_role
        membership.update_time = clock.now()
        session.flush()
        lapse.revoke_lapsed(session, principal, org, inviter_id=user.id)
        api_keys.revoke_lapsed(session, principal, org, user.id)
    return _view(org, membership, user)


def remove_user(session: Session, principal: Principal, org_ref: str, user_ref: str) -> None:
    """Remove a user from the organization, atomically with everything their membership
    carried: workspace memberships, tokens at home here and the pending invitations they
    sent (rules 5 and 6). Refused while they are the only owner of a live workspace."""
    access = organizations.resolve_admin(
        session, principal, org_ref, permission="organization.users:remove", lock=True
    )
    org = access.organization
    membership, user = _member(session, org, user_ref)
    _require_owner_for(org, access.org_role, membership.org_role)
    organizations.refuse_losing_last_owner(session, org, membership)
    # The membership row lock first: a token being issued or an invite being accepted on
    # this membership's authority holds it too, so it either commits before this removal
    # (and is revoked below, by statements that see it) or finds the membership gone.
    repository.membership(session, org.id, user.id, lock=True)
    for workspace_membership in _workspace_memberships(session, org.id, user.id):
        _leave_workspace(session, principal, org, workspace_membership)
    tokens.revoke_all_of(session, org.id, user.id, clock.now())
    session.delete(membership)
    session.flush()
    lapse.revoke_lapsed(session, principal, org, inviter_id=user.id)
    api_keys.revoke_lapsed(session, principal, org, user.id)
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="organization.user.removed",
        resource=_resource(org, user.id),
        before={"org_role": membership.org_role},
    )


def _workspace_memberships(
    session: Session, org_id: uuid.UUID, user_id: uuid.UUID
) -> list[WorkspaceMembership]:
    query = in_org(select(WorkspaceMembership), WorkspaceMembership, org_id).where(
        WorkspaceMembership.user_id == user_id
    )
    return list(session.scalars(query))


def _leave_workspace(
    session: Session, principal: Principal, org: Organization, membership: WorkspaceMembership
) -> None:
    workspace = workspaces.find_by_ref(session, org.id, str(membership.workspace_id), lock=True)
    assert workspace is not None  # the foreign key guarantees it
    if (
        membership.role_id == OWNER_ROLE_ID
        and workspace.delete_time is None
        and memberships.count_owners(session, org.id, workspace.id) <= 1
    ):
        raise FailedPrecondition(
            f"the user is the only owner of workspace {workspace.slug!r}; "
            "give it another owner first",
            reason="LAST_OWNER",
            workspace=workspace.slug,
        )
    memberships.remove(session, org.id, workspace.id, membership.user_id)
    workspaces.add_to_member_count(session, org.id, workspace.id, -1)
    audit.record(
        session,
        org_id=org.id,
        actor=principal,
        action="workspace.member.removed",
        resource=f"organizations/{org.slug}/workspaces/{workspace.slug}/users/{membership.user_id}",
        before={"role": membership.role_id},
    )
