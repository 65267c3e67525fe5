"""Invitations: creating, resending, listing and revoking them (accepting is in
`acceptance`).

Reading never changes an invite: EXPIRED is computed from `expire_time` on every read,
and only the conditional updates below and in `acceptance` move an invite out of PENDING.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal, require, require_all
from workspaced.invitation import message, repository, secret
from workspaced.invitation.repository import ACCEPTED, EXPIRED, PENDING, REVOKED
from workspaced.kit import clock, filtering
from workspaced.kit.clock import rfc3339
from workspaced.kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from workspaced.kit.ids import parse_uuid
from workspaced.kit.ordering import parse_order_by
from workspaced.kit.page_tokens import PageTokenCodec, fingerprint
from workspaced.kit.pagination import PageRequest, keyset_page
from workspaced.kit.sorting import text_sort, timestamp_sort, uuid_sort
from workspaced.mail import outbox
from workspaced.membership import repository as memberships
from workspaced.models import Invite, User
from workspaced.role import service as roles
from workspaced.user import service as users
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceContext

DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=30)
STATES = (PENDING, ACCEPTED, REVOKED, EXPIRED)


@dataclass(frozen=True)
class InviteView:
    invite_id: uuid.UUID
    org_slug: str
    workspace_slug: str
    email: str
    role_id: str
    role_display_name: str
    state: str
    inviter_id: uuid.UUID | None
    create_time: datetime
    expire_time: datetime
    accept_time: datetime | None

    @property
    def name(self) -> str:
        return resource_name(self.org_slug, self.workspace_slug, self.invite_id)


def resource_name(org_slug: str, workspace_slug: str, invite_id: uuid.UUID) -> str:
    return f"{workspaces.resource_name(org_slug, workspace_slug)}/invites/{invite_id}"


def effective_state(stored: str, expire_time: datetime, now: datetime) -> str:
    """A pending invite past its expiry reads as EXPIRED (nothing is written)."""
    return EXPIRED if stored == PENDING and expire_time <= now else stored


def view_of(
    invite: Invite, org_slug: str, workspace_slug: str, role_names: dict[str, str], now: datetime
) -> InviteView:
    return InviteView(
        invite_id=invite.id,
        org_slug=org_slug,
        workspace_slug=workspace_slug,
        email=invite.email,
        role_id=invite.role_id,
        role_display_name=role_names.get(invite.role_id, invite.role_id),
        state=effective_state(invite.state, invite.expire_time, now),
        inviter_id=invite.inviter_id,
        create_time=invite.create_time,
        expire_time=invite.expire_time,
        accept_time=invite.accept_time,
    )


def _view(session: Session, ctx: WorkspaceContext, invite: Invite) -> InviteView:
    names = roles.display_names(session, ctx.organization.id)
    return view_of(invite, ctx.organization.slug, ctx.workspace.slug, names, clock.now())


def create(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    email: str,
    role: str,
    ttl: timedelta | None = None,
    allow_role_display_name: bool = False,
    public_url: str,
) -> InviteView:
    """A new pending invite. Its secret goes only into the invitation email, recorded in
    the outbox by this same transaction (rule 2); the database keeps only its hash.
    `public_url` starts the links in that email."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "invites:create")
    org_id, ws_id = ctx.organization.id, ctx.workspace.id
    email = users.validate_email(email)
    role_id = roles.resolve_role_input(
        session, org_id, role, allow_display_name=allow_role_display_name
    )
    # Rule 3: an invitation grants its role when accepted, so inviting is granting.
    require_all(ctx.access, roles.permissions_of(session, org_id, role_id))
    ttl = DEFAULT_TTL if ttl is None else ttl
    if ttl <= timedelta(0) or ttl > MAX_TTL:
        raise InvalidArgument("ttl", f"must be positive and at most {MAX_TTL.days} days")
    invitee = users.find_by_email(session, email)
    if invitee is not None and memberships.get(session, org_id, ws_id, invitee.id) is not None:
        raise AlreadyExists(f"{email} is already a member of the workspace")
    now = clock.now()
    token = secret.generate(org_id)
    invite = Invite(
        org_id=org_id,
        id=uuid.uuid4(),
        workspace_id=ws_id,
        email=email,
        email_normalized=email.lower(),
        role_id=role_id,
        state=PENDING,
        inviter_id=principal.user_id,
        token_sha256=secret.digest(token),
        create_time=now,
        expire_time=now + ttl,
    )
    session.add(invite)
    session.flush()
    audit.record(
        session,
        org_id=org_id,
        actor=principal,
        action="invite.created",
        resource=resource_name(ctx.organization.slug, ctx.workspace.slug, invite.id),
        after={"email": email, "role": role_id, "expire_time": invite.expire_time},
    )
    view = _view(session, ctx, invite)
    _send_invitation(session, principal, ctx, view, token, public_url)
    return view


def _send_invitation(
    session: Session,
    principal: Principal,
    ctx: WorkspaceContext,
    view: InviteView,
    token: str,
    public_url: str,
) -> None:
    inviter = session.get(User, principal.user_id)
    subject, body = message.compose(
        public_url=public_url,
        inviter=inviter.display_name if inviter is not None else "An administrator",
        workspace=ctx.workspace.title,
        organization=ctx.organization.display_name,
        role=view.role_display_name,
        expire_time=rfc3339(view.expire_time) or "",
        token=token,
    )
    outbox.enqueue(
        session, org_id=ctx.organization.id, recipient=view.email, subject=subject, body=body
    )


def _state_field(now: datetime) -> filtering.FieldCompiler:
    def compile_(operator: str, value: str, position: int) -> ColumnElement[bool]:
        wanted = value.upper()
        if operator not in ("=", "!=") or wanted not in STATES:
            raise InvalidArgument(
                "filter",
                f"state supports = and != with {', '.join(STATES)} (position {position})",
            )
        if wanted == PENDING:
            matches = and_(Invite.state == PENDING, Invite.expire_time > now)
        elif wanted == EXPIRED:
            matches = and_(Invite.state == PENDING, Invite.expire_time <= now)
        else:
            matches = Invite.state == wanted
        return matches if operator == "=" else ~matches

    return compile_


def _email_field(operator: str, value: str, position: int) -> ColumnElement[bool]:
    """Emails compare case-insensitively: `=`/`!=` exact, `:` contains."""
    return filtering.string_field("email", Invite.email_normalized)(
        operator, value.lower(), position
    )


SORT_FIELDS = {
    "create_time": timestamp_sort(Invite.create_time),
    "expire_time": timestamp_sort(Invite.expire_time),
    "email": text_sort(Invite.email_normalized),
}


def list_invites(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    page: PageRequest,
    codec: PageTokenCodec,
    filter_text: str = "",
    order_by: str = "",
) -> tuple[list[InviteView], str]:
    """One keyset page of the workspace's invites (newest first by default)."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "invites:list")
    now = clock.now()
    fields = {"state": _state_field(now), "email": _email_field}
    condition = filtering.compile_filter(filtering.parse(filter_text), fields)
    keys = parse_order_by(
        order_by, SORT_FIELDS, default="create_time desc", tiebreaker=("id", uuid_sort(Invite.id))
    )
    query = repository.list_query(ctx.organization.id, ctx.workspace.id).where(condition)
    query_id = fingerprint("invites", str(ctx.workspace.id), filter_text, order_by)
    rows, token = keyset_page(session, query, keys, page, codec, query_id)
    names = roles.display_names(session, ctx.organization.id)
    org_slug, ws_slug = ctx.organization.slug, ctx.workspace.slug
    return [view_of(row.Invite, org_slug, ws_slug, names, now) for row in rows], token


def _find(session: Session, ctx: WorkspaceContext, invite_ref: str) -> Invite:
    invite_id = parse_uuid(invite_ref)
    invite = (
        repository.get(session, ctx.organization.id, ctx.workspace.id, invite_id)
        if invite_id is not None
        else None
    )
    if invite is None:
        raise NotFound("invite", invite_ref)
    return invite


def get(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str, invite_ref: str
) -> InviteView:
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "invites:list")
    return _view(session, ctx, _find(session, ctx, invite_ref))


def not_pending(state: str) -> FailedPrecondition:
    return FailedPrecondition(f"the invite is {state.lower()}", reason=f"INVITE_{state}")


def revoke(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str, invite_ref: str
) -> InviteView:
    """PENDING (or expired) -> REVOKED; an accepted or revoked invite stays as it is."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "invites:delete")
    invite = _find(session, ctx, invite_ref)
    before = effective_state(invite.state, invite.expire_time, clock.now())
    if not repository.mark_revoked(session, ctx.organization.id, invite.id):
        state, _ = repository.stored_state(session, ctx.organization.id, invite.id)
        raise not_pending(state)
    session.refresh(invite)
    audit.record(
        session,
        org_id=ctx.organization.id,
        actor=principal,
        action="invite.revoked",
        resource=resource_name(ctx.organization.slug, ctx.workspace.slug, invite.id),
        before={"state": before},
        after={"state": REVOKED},
    )
    return _view(session, ctx, invite)


def resend(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    invite_ref: str,
    *,
    public_url: str,
) -> InviteView:
    """Mail a pending invitation to its invitee again, with a new secret: the old link
    stops working in this transaction, so a lost or forwarded mail is worth nothing once
    resent. Its lifetime starts again (as long as it was first given).

    Resending is inviting again, so it takes what creating takes: `invites:create` and
    every permission of the invite's role (rule 3). The resender becomes its inviter: the
    mail is in their name, and the invitation now rests on their authority (rule 5: it
    ends when they leave or no longer hold what it carries)."""
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "invites:create")
    org_id = ctx.organization.id
    invite = _find(session, ctx, invite_ref)
    require_all(ctx.access, roles.permissions_of(session, org_id, invite.role_id))
    now = clock.now()
    state = effective_state(invite.state, invite.expire_time, now)
    if state != PENDING:
        raise not_pending(state)
    invitee = users.find_by_email(session, invite.email)
    if (
        invitee is not None
        and memberships.get(session, org_id, ctx.workspace.id, invitee.id) is not None
    ):
        raise AlreadyExists(f"{invite.email} is already a member of the workspace")
    lifetime = min(max(invite.expire_time - invite.create_time, timedelta(0)), MAX_TTL)
    token = secret.generate(org_id)
    expire_time = now + (lifetime or DEFAULT_TTL)
    # Conditional on PENDING and unexpired: a concurrent accept or revoke wins cleanly.
    if not repository.reissue(
        session,
        org_id,
        invite.id,
        now,
        token_sha256=secret.digest(token),
        expire_time=expire_time,
        inviter_id=principal.user_id,
    ):
        stored, expires = repository.stored_state(session, org_id, invite.id)
        raise not_pending(effective_state(stored, expires, now))
    session.refresh(invite)
    audit.record(
        session,
        org_id=org_id,
        actor=principal,
        action="invite.resent",
        resource=resource_name(ctx.organization.slug, ctx.workspace.slug, invite.id),
        after={"email": invite.email, "role": invite.role_id, "expire_time": expire_time},
    )
    view = _view(session, ctx, invite)
    _send_invitation(session, principal, ctx, view, token, public_url)
    return view
