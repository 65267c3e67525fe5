"""Exceptions of the SDK: one class per AIP-193 status, all of them `WorkspacedError`.

An error response of the aip dialect looks like::

    {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "...",
               "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "PERMISSION_DENIED", "domain": "workspaced",
                            "metadata": {"permission": "members:add", ...}},
                           {"@type": "type.googleapis.com/google.rpc.BadRequest",
                            "field_violations": [{"field": "title", "description": "..."}]}]}}

`error_from_response` turns it into the matching exception, with the ErrorInfo's
`reason` and `metadata`, the BadRequest's `field_violations` and the `Retry-After` header.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


@dataclass(frozen=True)
class FieldViolation:
    """One entry of a `google.rpc.BadRequest` detail: which request field is wrong, and why."""

    field: str
    description: str


class WorkspacedError(Exception):
    """Base of every error the server answers (and of `ConnectionFailed`).

    Attributes:
        status_code: the HTTP status (0 when no response arrived: `ConnectionFailed`).
        status: the AIP status name, e.g. ``"NOT_FOUND"``.
        message: the server's human-readable message.
        reason: the ErrorInfo reason, e.g. ``"PERMISSION_DENIED"`` or ``"DELETED"``.
        domain: the ErrorInfo domain (``"workspaced"``).
        metadata: the ErrorInfo metadata (string values), e.g. ``{"permission": "..."}``.
        field_violations: the BadRequest field violations (empty when there are none).
        retry_after: seconds the server asked to wait (``Retry-After``), if it said.
        details: the raw ``details`` list, for anything not parsed above.
        request_id: the ``X-Request-Id`` of the response, when the server sent one.
    """

    status: str = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 0,
        status: str | None = None,
        reason: str | None = None,
        domain: str | None = None,
        metadata: Mapping[str, str] | None = None,
        field_violations: tuple[FieldViolation, ...] = (),
        retry_after: float | None = None,
        details: tuple[Mapping[str, Any], ...] = (),
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        if status is not None:
            self.status = status
        self.reason = reason
        self.domain = domain
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field_violations = field_violations
        self.retry_after = retry_after
        self.details = details
        self.request_id = request_id

    def __str__(self) -> str:
        head = f"{self.status_code} {self.status}" if self.status_code else self.status
        reason = f" [{self.reason}]" if self.reason and self.reason != self.status else ""
        return f"{head}{reason}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, status={self.status!r}, "
            f"reason={self.reason!r}, message={self.message!r})"
        )

    def violation(self, field: str) -> FieldViolation | None:
        """The field violation naming `field`, if any."""
        return next((v for v in self.field_violations if v.field == field), None)


class InvalidArgument(WorkspacedError):
    """400: the request is malformed (see `field_violations`)."""

    status = "INVALID_ARGUMENT"


class FailedPrecondition(WorkspacedError):
    """400 (or 409 for a resource still in use): valid, but the current state forbids it,
    e.g. removing a workspace's last owner."""

    status = "FAILED_PRECONDITION"


class Unauthenticated(WorkspacedError):
    """401: no credential, or one that is malformed, unknown, expired or revoked."""

    status = "UNAUTHENTICATED"


class PermissionDenied(WorkspacedError):
    """403: the caller lacks a permission (named by `permission`)."""

    status = "PERMISSION_DENIED"

    @property
    def permission(self) -> str | None:
        return self.metadata.get("permission")


class NotFound(WorkspacedError):
    """404: it does not exist, or the caller may not see it (never told apart)."""

    status = "NOT_FOUND"

    @property
    def resource_type(self) -> str | None:
        return self.metadata.get("resource_type")

    @property
    def resource_id(self) -> str | None:
        return self.metadata.get("resource_id")


class AlreadyExists(WorkspacedError):
    """409: e.g. a workspace id (slug) already taken, or a user already a member."""

    status = "ALREADY_EXISTS"


class Aborted(WorkspacedError):
    """409: a concurrency conflict, e.g. an etag that no longer matches; read and retry."""

    status = "ABORTED"


class ResourceExhausted(WorkspacedError):
    """429: over a rate limit; `retry_after` says when to try again."""

    status = "RESOURCE_EXHAUSTED"


class Unimplemented(WorkspacedError):
    """405/501: the method is not served at this path."""

    status = "UNIMPLEMENTED"


class Internal(WorkspacedError):
    """500: a server bug."""

    status = "INTERNAL"


class Unavailable(WorkspacedError):
    """503: the server could not finish in time; `retry_after` says when to try again."""

    status = "UNAVAILABLE"


class ConnectionFailed(Unavailable):
    """No response arrived (connection refused or reset, timeout): `status_code` is 0 and
    the underlying `httpx` error is the `__cause__`."""


_BY_STATUS: dict[str, type[WorkspacedError]] = {
    cls.status: cls
    for cls in (
        InvalidArgument,
        FailedPrecondition,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        AlreadyExists,
        Aborted,
        ResourceExhausted,
        Unimplemented,
        Internal,
        Unavailable,
    )
}
_BY_STATUS["OUT_OF_RANGE"] = InvalidArgument
_BY_STATUS["DEADLINE_EXCEEDED"] = Unavailable

_BY_CODE: dict[int, type[WorkspacedError]] = {
    400: InvalidArgument,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    405: Unimplemented,
    409: Aborted,
    413: InvalidArgument,
    429: ResourceExhausted,
    500: Internal,
    501: Unimplemented,
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _details(body: Any) -> tuple[dict[str, Any], tuple[Mapping[str, Any], ...]]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return {}, ()
    raw = error.get("details")
    details = tuple(d for d in raw if isinstance(d, dict)) if isinstance(raw, list) else ()
    return error, details


def error_from_response(response: httpx.Response) -> WorkspacedError:
    """The exception for an error response (any status >= 400, in AIP-193 form or not)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error, details = _details(body)
    status = error.get("status") if isinstance(error.get("status"), str) else None
    cls = _BY_STATUS.get(status or "") or _BY_CODE.get(response.status_code, WorkspacedError)
    message = error.get("message")
    if not isinstance(message, str):
        message = response.text[:500] or response.reason_phrase or "error"
    reason: str | None = None
    domain: str | None = None
    metadata: dict[str, str] = {}
    violations: list[FieldViolation] = []
    for detail in details:
        kind = detail.get("@type")
        if kind == ERROR_INFO:
            reason = str(detail["reason"]) if "reason" in detail else None
            domain = str(detail["domain"]) if "domain" in detail else None
            raw_metadata = detail.get("metadata")
            if isinstance(raw_metadata, dict):
                metadata = {str(k): str(v) for k, v in raw_metadata.items()}
        elif kind == BAD_REQUEST:
            for item in detail.get("field_violations") or []:
                if isinstance(item, dict):
                    violations.append(
                        FieldViolation(str(item.get("field", "")), str(item.get("description", "")))
                    )
    return cls(
        message,
        status_code=response.status_code,
        status=status or cls.status,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=tuple(violations),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        details=details,
        request_id=response.headers.get("x-request-id"),
    )
