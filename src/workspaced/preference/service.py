"""Per-workspace preferences."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaced.audit import service as audit
from workspaced.authz.access import Principal, require
from workspaced.kit import clock
from workspaced.kit.tenancy import in_org
from workspaced.models import WorkspacePreferences
from workspaced.workspace import service as workspaces
from workspaced.workspace.service import WorkspaceContext


@dataclass(frozen=True)
class PreferencesView:
    org_slug: str
    workspace_slug: str
    support_team_access: bool


def _load(session: Session, ctx: WorkspaceContext) -> WorkspacePreferences:
    query = in_org(select(WorkspacePreferences), WorkspacePreferences, ctx.organization.id).where(
        WorkspacePreferences.workspace_id == ctx.workspace.id
    )
    preferences = session.scalars(query).one_or_none()
    if preferences is None:  # workspaces created before preferences existed
        preferences = WorkspacePreferences(
            org_id=ctx.organization.id,
            workspace_id=ctx.workspace.id,
            support_team_access=False,
            update_time=clock.now(),
        )
    return preferences


def _view(ctx: WorkspaceContext, preferences: WorkspacePreferences) -> PreferencesView:
    return PreferencesView(
        ctx.organization.slug, ctx.workspace.slug, preferences.support_team_access
    )


def get(
    session: Session, principal: Principal, org_ref: str, workspace_ref: str
) -> PreferencesView:
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "preferences:get")
    return _view(ctx, _load(session, ctx))


def update(
    session: Session,
    principal: Principal,
    org_ref: str,
    workspace_ref: str,
    *,
    support_team_access: bool | None,
) -> PreferencesView:
    ctx = workspaces.resolve(session, principal, org_ref, workspace_ref)
    require(ctx.access, "preferences:update")
    preferences = _load(session, ctx)
    if support_team_access is not None:
        audit.record(
            session,
            org_id=ctx.organization.id,
            actor=principal,
            action="workspace.preferences.updated",
            resource=f"{ctx.access.resource}/preferences",
            before={"support_team_access": preferences.support_team_access},
            after={"support_team_access": support_team_access},
        )
        preferences.support_team_access = support_team_access
        preferences.update_time = clock.now()
        session.add(preferences)
        session.flush()
    return _view(ctx, preferences)
