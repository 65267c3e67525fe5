"""Rule 5 for invitations: one works only while its sender holds every permission of the
role it grants. Acceptance checks that (`sender_still_grants`); and whenever a sender's
authority shrinks (removed from the organization, demoted there, demoted in or removed
from the workspace, their custom role edited) the change also marks the invitations that
lapsed REVOKED, in its own transaction, so that a list of invitations says what an
acceptance would answer rather than PENDING for a link that can no longer work."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal, effective_permissions
from workspaced.invitation import repository
from workspaced.invitation.repository import PENDING
from workspaced.invitation.service import resource_name
from workspaced.kit import clock
from workspaced.kit.errors import InvalidArgument
from workspaced.kit.tenancy import in_org
from workspaced.membership import repository as memberships
from workspaced.models import Invite, Organization, OrganizationMembership, Workspace
from workspaced.organization import repository as organizations
from workspaced.role import service as roles
from workspaced.workspace.records import OrganizationRecord

SENDER_REMOVED = "inviter removed from the organization"
SENDER_DEMOTED = "inviter no longer holds every permission of the role"


def sender_still_grants(
    session: Session, invite: Invite, sender: OrganizationMembership | None
) -> bool:
    """Whether the sender, as they are now, could send this invitation."""
    if sender is None:
        return False
    held: frozenset[str] = frozenset()
    sender_workspace = memberships.get(session, invite.org_id, invite.workspace_id, sender.user_id)
    if sender_workspace is not None:
        try:
            sender_role = roles.resolve_role_input(session, invite.org_id, sender_workspace.role_id)
        except InvalidArgument:  # their custom role is gone
            return False
        held = roles.permissions_of(session, invite.org_id, sender_role)
    needed = roles.permissions_of(session, invite.org_id, invite.role_id)
    return not needed - effective_permissions(sender.org_role, held)


def revoke_lapsed(
    session: Session,
    actor: Principal,
    org: Organization | OrganizationRecord,
    *,
    inviter_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
) -> int:
    """Mark REVOKED, with an audit event each, the pending invitations (of one sender, of
    one workspace, or of the whole organization) whose sender can no longer grant them.
    Not an operation of its own: called by the change that shrank the authority (which
    authorized `actor`, recorded as the audit actor), after it is flushed; how many."""
    query = (
        in_org(select(Invite, Workspace.slug), Invite, org.id)
        .join(Workspace, Workspace.id == Invite.workspace_id)
        .where(Workspace.org_id == org.id)
        .where(Invite.state == PENDING, Invite.expire_time > clock.now())
        .order_by(Invite.create_time, Invite.id)
    )
    if inviter_id is not None:
        query = query.where(Invite.inviter_id == inviter_id)
    if workspace_id is not None:
        query = query.where(Invite.workspace_id == workspace_id)
    senders: dict[uuid.UUID, OrganizationMembership | None] = {}
    revoked = 0
    for invite, workspace_slug in session.execute(query).all():
        sender = None
        if invite.inviter_id is not None:
            if invite.inviter_id not in senders:
                senders[invite.inviter_id] = organizations.membership(
                    session, org.id, invite.inviter_id
                )
            sender = senders[invite.inviter_id]
        if sender_still_grants(session, invite, sender):
            continue
        # Conditional: an acceptance that committed first keeps its ACCEPTED.
        if not repository.mark_revoked(session, org.id, invite.id):
            continue
        revoked += 1
        audit.record(
            session,
            org_id=org.id,
            actor=actor,
            action="invite.revoked",
            resource=resource_name(org.slug, workspace_slug, invite.id),
            before={"state": PENDING},
            after={"state": "REVOKED", "reason": SENDER_DEMOTED if sender else SENDER_REMOVED},
        )
    return revoked
