"""Driving the console over HTTP as a browser would: forms, their CSRF tokens, cookies."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> Any:
    page = client.get("/console/sign-in")
    assert page.status_code == 200
    return client.post(
        "/console/sign-in",
        data={"csrf_token": csrf_of(page.text), "token": token, "next": "/console/"},
        follow_redirects=False,
    )


def post_form(client: TestClient, page_path: str, action: str, data: dict[str, str]) -> Any:
    """Open `page_path`, then post `data` to `action` with the page's CSRF token."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    return client.post(
        action, data={"csrf_token": csrf_of(page.text), **data}, follow_redirects=False
    )
