"""SQLAlchemy tables, one file per table."""

from workspaced.models.api_key import ApiKey
from workspaced.models.audit_event import AuditEvent
from workspaced.models.base import Base
from workspaced.models.console_session import ConsoleSession
from workspaced.models.event import Event
from workspaced.models.invite import Invite
from workspaced.models.job_lease import JobLease
from workspaced.models.mail_message import MailMessage
from workspaced.models.organization import Organization
from workspaced.models.organization_membership import OrganizationMembership
from workspaced.models.personal_access_token import PersonalAccessToken
from workspaced.models.preference import WorkspacePreferences
from workspaced.models.rate_limit import RateLimitCounter
from workspaced.models.role import Role
from workspaced.models.server_secret import ServerSecret
from workspaced.models.user import User
from workspaced.models.user_identity import UserIdentity
from workspaced.models.webhook import WebhookDelivery, WebhookEndpoint
from workspaced.models.workspace import Workspace
from workspaced.models.workspace_membership import WorkspaceMembership

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "ConsoleSession",
    "Event",
    "Invite",
    "JobLease",
    "MailMessage",
    "Organization",
    "OrganizationMembership",
    "PersonalAccessToken",
    "RateLimitCounter",
    "Role",
    "ServerSecret",
    "User",
    "UserIdentity",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Workspace",
    "WorkspaceMembership",
    "WorkspacePreferences",
]
