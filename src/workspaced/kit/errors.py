"""Domain errors. They carry a code and facts, never an HTTP status: each dialect maps them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    reason: str = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, **metadata: Any) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.metadata: dict[str, Any] = metadata


class Unauthenticated(DomainError):
    reason = "UNAUTHENTICATED"


class NotFound(DomainError):
    """The resource does not exist or the caller may not see it (never distinguish the two)."""

    reason = "NOT_FOUND"

    def __init__(self, resource_type: str, resource_id: str) -> None:
        super().__init__(
            f"{resource_type} {resource_id!r} was not found",
            resource_type=resource_type,
            resource_id=resource_id,
        )
        self.resource_type = resource_type
        self.resource_id = resource_id


class Deleted(NotFound):
    """A visible resource that is soft-deleted: dialects that know `410 Gone` use it."""

    reason = "DELETED"


class PermissionDenied(DomainError):
    reason = "PERMISSION_DENIED"

    def __init__(self, permission: str, resource: str) -> None:
        super().__init__(
            f"permission {permission!r} is required on {resource}",
            permission=permission,
            resource=resource,
        )
        self.permission = permission


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"


class Aborted(DomainError):
    """A concurrency conflict the caller can retry with fresh state (etag mismatch)."""

    reason = "ABORTED"


class FailedPrecondition(DomainError):
    """The request is valid but the state forbids it (e.g. removing the last owner)."""

    reason = "FAILED_PRECONDITION"


class InUse(FailedPrecondition):
    """The resource cannot be removed while something still refers to it (409)."""

    reason = "IN_USE"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, field_name: str, description: str) -> None:
        super().__init__(f"{field_name}: {description}")
        self.violations = [FieldViolation(field_name, description)]
