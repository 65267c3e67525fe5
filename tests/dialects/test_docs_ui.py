"""Swagger UI per dialect (SPEC §9) at /docs/<dialect>, served from the package (no CDN)
and pointed at this server, not at a vendor's hosts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from workspaced.http.registry import DIALECTS

NAMES = [spec.name for spec in DIALECTS]


def test_the_index_links_every_dialect(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert sorted(re.findall(r'href="/docs/(\w+)"', page.text)) == sorted(NAMES)


@pytest.mark.parametrize("dialect", NAMES)
def test_each_dialect_has_a_swagger_ui_on_its_own_document(
    client: TestClient, dialect: str
) -> None:
    page = client.get(f"/docs/{dialect}")
    assert page.status_code == 200
    assert f"url: '/docs/{dialect}/openapi.json'" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 0, asset

    document = client.get(f"/docs/{dialect}/openapi.json").json()
    served = client.get(f"/openapi/{dialect}.json").json()
    assert document["servers"] == [{"url": "/", "description": "this server"}]
    assert {**document, "servers": served.get("servers")} == {
        **served,
        "servers": served.get("servers"),
    }  # the same document otherwise


def test_the_vendors_hosts_are_not_where_try_it_out_goes(client: TestClient) -> None:
    served = client.get("/openapi/activeloop.json").json()
    assert any("activeloop" in s["url"] for s in served.get("servers", []))  # the vendor's
    document = client.get("/docs/activeloop/openapi.json").json()
    assert all("activeloop" not in s["url"] for s in document["servers"])


def test_an_unknown_dialect_or_asset_is_404(client: TestClient) -> None:
    assert client.get("/docs/nope").status_code == 404
    assert client.get("/docs/nope/openapi.json").status_code == 404
    assert client.get("/docs/assets/nope.js").status_code == 404
    assert client.get("/docs/assets/../../../etc/passwd").status_code == 404
