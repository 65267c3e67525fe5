"""RFC 9457 (formerly RFC 7807) problem details, the admin dialect's only error format.

Every problem kind has a stable `type` URI under PROBLEM_BASE and the RFC 9110 reason
phrase of its status as `title` (constant per type, as RFC 9457 asks); `detail` says what
went wrong this time. `invalid-params` lists the offending inputs of a 422 and is null
otherwise, so clients can rely on every member being present.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from workspaced.http.responses import json_response

MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://workspaced.dev/problems/"

# status -> (type slug, title). Titles follow RFC 9110, which renamed 413 and 422.
KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad Request"),
    401: ("unauthenticated", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not Found"),
    405: ("method-not-allowed", "Method Not Allowed"),
    409: ("conflict", "Conflict"),
    410: ("gone", "Gone"),
    413: ("content-too-large", "Content Too Large"),
    422: ("invalid-params", "Unprocessable Content"),
    500: ("internal-error", "Internal Server Error"),
}


class InvalidParam(BaseModel):
    name: str = Field(description="The offending parameter (path, query or body field).")
    reason: str = Field(description="Why its value was refused.")


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(
        description=f"URI identifying the problem kind, e.g. `{PROBLEM_BASE}not-found`."
    )
    title: str = Field(description="Short summary of the problem kind (the HTTP reason phrase).")
    status: int = Field(description="The HTTP status code.")
    # Always sent (null when there is nothing to say), hence required-but-nullable.
    detail: str | None = Field(description="What went wrong with this request.")
    invalid_params: list[InvalidParam] | None = Field(
        alias="invalid-params",
        description="The invalid inputs (422 only; null otherwise).",
    )


def kind_of(status: int) -> tuple[str, str]:
    """The (type URI, title) of a status; statuses outside KINDS get a derived slug."""
    known = KINDS.get(status)
    if known is not None:
        return PROBLEM_BASE + known[0], known[1]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return PROBLEM_BASE + phrase.lower().replace(" ", "-"), phrase


def problem(
    status: int,
    detail: str | None,
    *,
    invalid_params: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    type_uri, title = kind_of(status)
    body: dict[str, Any] = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail,
        "invalid-params": invalid_params,
    }
    return json_response(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)
