"""Tracing on (the `otel` extra, which the test extra installs): the API answers as it
does without it, and a request leaves a server span named for its route template with a
child span per SQL statement, in one trace (an in-memory exporter)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from tests.support import World
from workspaced.http.app import create_app
from workspaced.kit.db import Database
from workspaced.observability import tracing as tracing_module
from workspaced.observability.tracing import Tracing
from workspaced.settings import Settings

WORKSPACE_ROUTE = "/api/v1/organizations/{organization_id}/workspaces/{workspace_id}"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    EngineTracer.remove_all_event_listeners()  # it keeps every engine it traced


def test_a_traced_request_answers_and_leaves_its_spans(
    database: Database, world: World, spans: InMemorySpanExporter
) -> None:
    owner = world.person("acme")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    with TestClient(create_app(database, tracing=Tracing(provider))) as client:
        made = client.post(
            "/api/v1/organizations/acme/workspaces",
            params={"workspace_id": "apollo"},
            json={"title": "Apollo"},
            headers=owner.headers,
        )
        assert made.status_code == 200, made.text
        spans.clear()
        got = client.get("/api/v1/organizations/acme/workspaces/apollo", headers=owner.headers)
        assert got.status_code == 200
        assert got.json()["name"].endswith("/workspaces/apollo") and got.json()["title"] == "Apollo"
        assert (
            client.get(
                "/api/v1/organizations/acme/workspaces/nope", headers=owner.headers
            ).status_code
            == 404
        )

    finished = spans.get_finished_spans()
    servers = [s for s in finished if s.kind == SpanKind.SERVER]
    assert [s.name for s in servers] == [f"GET {WORKSPACE_ROUTE}"] * 2
    first = servers[0]
    statements = [
        s
        for s in finished
        if s.kind == SpanKind.CLIENT and s.context.trace_id == first.context.trace_id
    ]
    # The token lookup, the workspace and its caller's role: every one a child span.
    assert len(statements) >= 2
    assert all(s.attributes and s.attributes.get("db.system") for s in statements)
    assert any("SELECT" in str(s.attributes.get("db.statement", "")) for s in statements)


def test_an_endpoint_without_the_extra_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    # As if the extra were not installed (the test extra installs it).
    monkeypatch.setattr(tracing_module, "EXTRA_MODULES", ("opentelemetry.not_installed",))
    monkeypatch.setattr("workspaced.settings.extra_installed", tracing_module.extra_installed)
    with pytest.raises(ValidationError, match=r"pip install 'workspaced\[otel\]'"):
        Settings()
