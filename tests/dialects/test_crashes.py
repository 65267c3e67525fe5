"""An unexpected error inside a route is a 500 in the dialect's own format, logged once,
and nothing escapes to the server: uvicorn would otherwise close the keep-alive
connection after the 500, and the client's next request on it would be reset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from workspaced.http.registry import DIALECTS


@pytest.mark.parametrize("spec", DIALECTS, ids=[spec.name for spec in DIALECTS])
def test_unexpected_errors_are_answered_and_contained(spec, caplog) -> None:  # type: ignore[no-untyped-def]
    app = spec.build()

    def boom() -> None:
        raise RuntimeError("the database went away")

    app.add_api_route("/crash-for-test", boom)
    # raise_server_exceptions: an exception escaping the app would fail this test here.
    with TestClient(app, raise_server_exceptions=True) as client:
        response = client.get("/crash-for-test")
        again = client.get("/crash-for-test")
    assert response.status_code == again.status_code == 500
    assert "the database went away" not in response.text  # no internals leak
    assert response.headers["content-type"].endswith("json")  # the dialect's own 500 body
    logged = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert len(logged) == 2  # once per request, with the traceback
    assert logged[0].exc_info is not None
