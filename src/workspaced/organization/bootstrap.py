"""`workspaced bootstrap`: an organization, a user in it and a fresh token, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.auth.service import issue_token
from workspaced.authz.catalog import BUILT_IN_ORGANIZATION_ROLES, OWNER_ROLE_ID
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.ids import ORGANIZATION_SLUG_MAX, slug_problem
from workspaced.organization import repository
from workspaced.organization import service as organizations
from workspaced.user import service as users


@dataclass(frozen=True)
class BootstrapResult:
    organization_id: str
    organization: str
    user_id: str
    email: str
    username: str
    token: str


def bootstrap(
    session: Session, *, org_slug: str, email: str, name: str | None, org_role: str | None
) -> BootstrapResult:
    problem = slug_problem(org_slug, ORGANIZATION_SLUG_MAX)
    if problem:
        raise InvalidArgument("org", problem)
    if org_role is not None and org_role not in BUILT_IN_ORGANIZATION_ROLES:
        raise InvalidArgument("org-role", "must be one of owner, admin, member")
    users.validate_email(email)
    org = repository.find_by_ref(session, org_slug, lock=True)
    is_new_org = org is None
    if org is None:
        org = organizations.create(session, org_slug, org_slug)
        audit.record(
            session,
            org_id=org.id,
            actor=None,
            action="organization.created",
            resource=f"organizations/{org.slug}",
        )
    user = users.vouched_for_by_operator(session, email, name)
    membership = repository.membership(session, org.id, user.id)
    now = clock.now()
    if membership is None:
        role = org_role or (OWNER_ROLE_ID if is_new_org else "member")
        organizations.add_member(session, org, user.id, role, actor=None)
    elif org_role is not None and org_role != membership.org_role:
        organizations.refuse_losing_last_owner(session, org, membership)
        audit.record(
            session,
            org_id=org.id,
            actor=None,
            action="organization.user.role_changed",
            resource=f"organizations/{org.slug}/users/{user.id}",
            before={"org_role": membership.org_role},
            after={"org_role": org_role},
        )
        membership.org_role = org_role
        membership.update_time = now
    session.flush()
    token, secret = issue_token(session, user_id=user.id, org_id=org.id, display_name="bootstrap")
    audit.record(
        session,
        org_id=org.id,
        actor=None,
        action="token.created",
        resource=f"users/{user.id}/tokens/{token.id}",
        after={"display_name": token.display_name},
    )
    return BootstrapResult(str(org.id), org.slug, str(user.id), user.email, user.username, secret)
