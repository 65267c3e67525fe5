"""Each dialect's error envelope, checked the same way everywhere in the safety suite."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_error_format(dialect: str, response: httpx.Response) -> None:
    """The response is an error in `dialect`'s own documented format."""
    status = response.status_code
    context = f"{dialect} {response.request.method} {response.request.url} -> {status}"
    if dialect == "admin":
        assert response.headers["content-type"].startswith(PROBLEM_JSON), context
    else:
        assert response.headers["content-type"].startswith("application/json"), context
    body: Any = response.json()
    assert isinstance(body, dict), (context, body)
    if dialect == "aip":
        error = body.get("error")
        assert isinstance(error, dict), (context, body)
        assert error.get("code") == status, (context, body)
        assert isinstance(error.get("status"), str), (context, body)
        assert isinstance(error.get("message"), str), (context, body)
        assert isinstance(error.get("details"), list), (context, body)
    elif dialect == "activeloop":
        assert set(body) == {"detail"}, (context, body)
        detail = body["detail"]
        if status == 422:
            assert isinstance(detail, list), (context, body)
            assert all({"loc", "msg", "type"} <= set(item) for item in detail), (context, body)
        else:
            assert isinstance(detail, str), (context, body)
    elif dialect == "admin":
        assert {"type", "title", "status", "detail", "invalid-params"} <= set(body), (context, body)
        assert body["status"] == status, (context, body)
    elif dialect == "members":
        if status == 422 and "detail" in body:
            assert isinstance(body["detail"], list), (context, body)
            assert all({"loc", "msg", "type"} <= set(item) for item in body["detail"]), body
        else:
            assert set(body) == {"error", "message", "details", "timestamp", "status_code"}, (
                context,
                body,
            )
            assert body["status_code"] == status, (context, body)
    else:  # a dialect this suite does not know yet: at least JSON with an error body
        assert body, context


def normalized(body: Any, names: list[str]) -> Any:
    """`body` with each of `names` replaced by a placeholder and per-request values (the
    members dialect's timestamp) dropped, so two answers can be compared for equality."""
    if isinstance(body, dict):
        return {k: normalized(v, names) for k, v in body.items() if k != "timestamp"}
    if isinstance(body, list):
        return [normalized(v, names) for v in body]
    if isinstance(body, str):
        for name in sorted(names, key=len, reverse=True):
            body = body.replace(name, "<ref>")
        return body
    return body


def shape(body: Any) -> Any:
    """The keys of `body`, recursively (values dropped)."""
    if isinstance(body, dict):
        return {k: shape(v) for k, v in body.items()}
    if isinstance(body, list):
        return [shape(v) for v in body[:1]]
    return type(body).__name__
