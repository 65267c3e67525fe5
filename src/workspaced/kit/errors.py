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


class Unavailable(DomainError):
    """The work did not finish within its time limit (a statement or lock timeout): the
    caller may retry after `retry_after` seconds (503 with Retry-After)."""

    reason = "UNAVAILABLE"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ResourceExhausted(DomainError):
    """The caller is over a rate limit: retry after `retry_after` seconds (429)."""

    reason = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, *, retry_after: int, **metadata: Any) -> None:
        super().__init__(message, **metadata)
        self.retry_after = retry_after


def retry_after(error: DomainError) -> int | None:
    """Seconds the caller should wait before retrying, for errors that say so."""
    if isinstance(error, Unavailable | ResourceExhausted):
        return error.retry_after
    return None


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, field_name: str, description: str) -> None:
        super().__init__(f"{field_name}: {description}")
        self.violations = [FieldViolation(field_name, description)]
