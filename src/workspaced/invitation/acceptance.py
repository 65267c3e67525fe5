"""Accepting an invite: one conditional update claims it, and the memberships it grants are
created in the same transaction.

Concurrency: the workspace row is locked first (the lock every membership change takes,
so the already-member check cannot interleave with a direct add), then
`UPDATE invites SET state='ACCEPTED' WHERE state='PENDING' AND expire_time > now` decides
between concurrent accepts: exactly one sees a row count of 1, the others fail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.auth.service import issue_token
from workspaced.authz.access import Principal
from workspaced.invitation import lapse, repository, secret
from workspaced.invitation.repository import ACCEPTED, PENDING
from workspaced.invitation.service import (
    InviteView,
    effective_state,
    not_pending,
    resource_name,
    view_of,
)
from workspaced.kit import clock
from workspaced.kit.errors import (
    Aborted,
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from workspaced.membership import repository as memberships
from workspaced.models import (
    Invite,
    Organization,
    OrganizationMembership,
    User,
    Workspace,
)
from workspaced.organization import repository as organizations
from workspaced.role import service as roles
from workspaced.user import service as users
from workspaced.workspace import repository as workspaces
from workspaced.workspace.service import resource_name as workspace_name

DISPLAY_NAME_MAX = 200
FIRST_TOKEN_DISPLAY_NAME = "First token (invitation)"  # noqa: S105 (a label, not a secret)


@dataclass(frozen=True)
class Acceptance:
    invite: InviteView
    user: User
    # When the invitee had no credential acting in the organization: a first token at
    # home there, its secret shown once.
    token: str | None = None


def _worded(error: DomainError, message: str, reason: str | None = None) -> DomainError:
    """A domain error with a clearer message (and reason) than its class's default."""
    error.message = message
    if reason is not None:
        error.reason = reason
    return error


def _find_invite(session: Session, token: str) -> tuple[Organization, Invite]:
    org_id = secret.organization_of(token)
    invite = (
        repository.find_by_token(session, org_id, secret.digest(token))
        if org_id is not None
        else None
    )
    org = organizations.find_by_ref(session, str(org_id)) if invite is not None else None
    if invite is None or org is None:
        # Never echo the token: it is a secret even when it is wrong.
        raise _worded(NotFound("invite", "invite_token"), "no invite has this invite_token")
    return org, invite


def preview(session: Session, token: str) -> InviteView:
    """The invitation a token stands for, as its holder may see it before accepting (the
    token is the invitee's credential: nobody else has it, rule 2)."""
    org, invite = _find_invite(session, token)
    workspace = workspaces.find_by_ref(session, invite.org_id, str(invite.workspace_id))
    names = roles.display_names(session, org.id)
    slug = workspace.slug if workspace is not None else str(invite.workspace_id)
    return view_of(invite, org.slug, slug, names, clock.now())


def _refuse_unusable(state: str, *, is_member: bool) -> None:
    """409 for an invitee who is already a member (also the loser of a double accept),
    400 FAILED_PRECONDITION for an invite that is no longer pending."""
    if is_member and state in (PENDING, ACCEPTED):
        raise AlreadyExists("you are already a member of the workspace")
    if state != PENDING:
        raise not_pending(state)


def _is_member(session: Session, invite: Invite, user_id: uuid.UUID | None) -> bool:
    if user_id is None:
        return False
    return memberships.get(session, invite.org_id, invite.workspace_id, user_id) is not None


def _lock_live_workspace(session: Session, invite: Invite) -> Workspace:
    workspace = workspaces.find_by_ref(session, invite.org_id, str(invite.workspace_id), lock=True)
    if workspace is None or workspace.delete_time is not None:
        raise FailedPrecondition("the workspace was deleted", reason="WORKSPACE_DELETED")
    try:
        roles.resolve_role_input(session, invite.org_id, invite.role_id)
    except InvalidArgument:
        raise FailedPrecondition(
            f"the invite's role {invite.role_id!r} no longer exists", reason="ROLE_DELETED"
        ) from None
    return workspace


def _account_to_claim(session: Session, invite: Invite) -> User | None:
    """For an invitee without a credential: the unverified placeholder an admin created
    for the address, which the invitation's secret (delivered to that address) lets them
    claim (rule 1); None when there is no account. A verified account must sign in."""
    account = users.find_by_email(session, invite.email)
    if account is not None and account.email_verified:
        raise Unauthenticated("an account with this email exists: sign in to accept the invite")
    return account


def _new_account(session: Session, invite: Invite, display_name: str) -> User:
    try:
        with session.begin_nested():
            return users.create(session, invite.email, display_name, verified=True)
    except IntegrityError:
        raise Aborted("the account was created concurrently; sign in and retry") from None


def _lapsed() -> FailedPrecondition:
    return FailedPrecondition(
        "the invitation is no longer valid: its sender no longer holds what it grants",
        reason="INVITE_REVOKED",
    )


def _lock_sender(session: Session, invite: Invite) -> OrganizationMembership:
    """Rule 5: an invitation works only while its sender is in the organization. Locks the
    sender's membership row, before any workspace row: the order a removal takes them in
    (membership, then the workspaces it leaves), so the two never deadlock, and a removal
    either commits first (then the sender is gone here) or waits for this acceptance."""
    sender = (
        None
        if invite.inviter_id is None
        else organizations.membership(session, invite.org_id, invite.inviter_id, lock=True)
    )
    if sender is None:
        raise _lapsed()
    return sender


def _refuse_lapsed_authority(
    session: Session, invite: Invite, sender: OrganizationMembership
) -> None:
    """Rule 5, the rest: the sender still holds every permission of the invitation's role.
    Called under the workspace lock (which role changes take) with their custom role's row
    shared, so neither changes before this acceptance commits."""
    if not lapse.sender_still_grants(session, invite, sender):
        raise _lapsed()


def _ensure_org_member(session: Session, org: Organization, user: User, actor: Principal) -> None:
    if organizations.membership(session, org.id, user.id) is not None:
        return
    now = clock.now()
    try:
        with session.begin_nested():
            session.add(
                OrganizationMembership(
                    org_id=org.id,
                    user_id=user.id,
                    org_role="member",
                    create_time=now,
                    update_time=now,
                )
            )
    except IntegrityError:
        return  # a concurrent accept made them a member first
    audit.record(
        session,
        org_id=org.id,
        actor=actor,
        action="organization.user.added",
        resource=f"organizations/{org.slug}/users/{user.id}",
        after={"org_role": "member"},
    )


def validate_display_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidArgument("display_name", "must not be empty")
    if len(value) > DISPLAY_NAME_MAX:
        raise InvalidArgument("display_name", f"must be at most {DISPLAY_NAME_MAX} characters")
    if any(ord(c) < 32 for c in value):
        raise InvalidArgument("display_name", "must not contain control characters")
    return value


def accept(
    session: Session,
    principal: Principal | None,
    token: str,
    *,
    display_name: str | None = None,
) -> Acceptance:
    """Accept as the signed-in invitee (`principal`), or, without one, as a new user named
    `display_name` who receives a first personal access token."""
    if principal is None:
        if display_name is None:
            raise Unauthenticated("sign in to accept the invite, or send display_name")
        display_name = validate_display_name(display_name)
    if principal is not None:
        principal.require_person("invite")  # an API key is nobody's address
    org, invite = _find_invite(session, token)
    if principal is not None and principal.email.lower() != invite.email_normalized:
        raise _worded(
            PermissionDenied("invites:accept", "invite"),
            "the invite was sent to a different email address",
            "INVITE_EMAIL_MISMATCH",
        )
    placeholder = _account_to_claim(session, invite) if principal is None else None
    user_id = (
        principal.user_id if principal is not None else (placeholder.id if placeholder else None)
    )
    now = clock.now()
    _refuse_unusable(
        effective_state(invite.state, invite.expire_time, now),
        is_member=_is_member(session, invite, user_id),
    )
    sender = _lock_sender(session, invite)
    workspace = _lock_live_workspace(session, invite)
    if _is_member(session, invite, user_id):
        raise AlreadyExists("you are already a member of the workspace")
    if not repository.mark_accepted(session, org.id, invite.id, now):
        state, expire_time = repository.stored_state(session, org.id, invite.id)
        _refuse_unusable(
            effective_state(state, expire_time, now),
            is_member=_is_member(session, invite, user_id),
        )
        raise not_pending(state)  # unreachable unless the row changed twice meanwhile
    _refuse_lapsed_authority(session, invite, sender)
    session.refresh(invite)
    if principal is None:
        assert display_name is not None
        if placeholder is None:
            user = _new_account(session, invite, display_name)
        else:
            user = placeholder
            user.display_name = display_name
        actor = Principal(user_id=user.id, token_id=None, home_org_id=org.id, email=user.email)
    else:
        user = session.scalars(select(User).where(User.id == principal.user_id)).one()
        actor = principal
    # The secret reached this address, so its owner controls it (rule 1).
    user.email_verified = True
    # A first credential for the organization when the invitee has none that acts there.
    needs_token = principal is None or not principal.acts_in(org.id)
    return _grant(session, org, workspace, invite, user, actor, issue_first_token=needs_token)


def _grant(
    session: Session,
    org: Organization,
    workspace: Workspace,
    invite: Invite,
    user: User,
    actor: Principal,
    *,
    issue_first_token: bool,
) -> Acceptance:
    invite_name = resource_name(org.slug, workspace.slug, invite.id)
    audit.record(
        session,
        org_id=org.id,
        actor=actor,
        action="invite.accepted",
        resource=invite_name,
        before={"state": PENDING},
        after={"state": ACCEPTED, "user_id": user.id},
    )
    _ensure_org_member(session, org, user, actor)
    session.add(
        memberships.new(
            org.id,
            workspace.id,
            user.id,
            invite.role_id,
            added_by=invite.inviter_id,
            now=clock.now(),
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise AlreadyExists("you are already a member of the workspace") from None
    workspaces.add_to_member_count(session, org.id, workspace.id, 1)
    audit.record(
        session,
        org_id=org.id,
        actor=actor,
        action="workspace.member.added",
        resource=f"{workspace_name(org.slug, workspace.slug)}/users/{user.id}",
        after={"role": invite.role_id},
    )
    first_token = None
    if issue_first_token:
        row, first_token = issue_token(
            session, user_id=user.id, org_id=org.id, display_name=FIRST_TOKEN_DISPLAY_NAME
        )
        audit.record(
            session,
            org_id=org.id,
            actor=actor,
            action="token.created",
            resource=f"users/{user.id}/tokens/{row.id}",
            after={"display_name": row.display_name},
        )
    names = roles.display_names(session, org.id)
    view = view_of(invite, org.slug, workspace.slug, names, clock.now())
    return Acceptance(view, user, first_token)
