"""CSRF protection for console forms.

A signed-in browser's forms carry the session's random CSRF token (stored in the session
row); forms shown before sign-in (sign-in itself, accepting an invitation without an
account) carry a random token that must equal the one in a separate cookie
(double submit). Either way a cross-site form cannot know the value."""

from __future__ import annotations

import hmac
import secrets

FIELD = "csrf_token"
ANONYMOUS_COOKIE = "wsd_console_csrf"


def new_anonymous_token() -> str:
    return secrets.token_urlsafe(32)


def matches(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
