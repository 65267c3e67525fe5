"""OpenTelemetry traces (SPEC §9, docs/operations.md "Tracing"): on when
OTEL_EXPORTER_OTLP_ENDPOINT is set, which needs the `otel` extra
(`pip install 'workspaced[otel]'`); the standard OTEL_* variables configure the rest.

A request gets a server span named for its route template (FastAPI's instrumentation,
on each dialect's app) and a child span per SQL statement (SQLAlchemy's). Those SQL
listeners need SQLAlchemy's execution context, so while tracing is on `kit.prepared`
runs its statements through SQLAlchemy (BENCHMARKS.md, "Observability", has the cost).
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

from workspaced.kit.db import Database

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
EXTRA_MODULES = (
    "opentelemetry.sdk",
    "opentelemetry.exporter.otlp",
    "opentelemetry.instrumentation.fastapi",
    "opentelemetry.instrumentation.sqlalchemy",
)
MISSING_EXTRA = (
    f"{ENDPOINT_ENV} is set but tracing needs the otel extra: pip install 'workspaced[otel]'"
)


def extra_installed() -> bool:
    try:
        return all(importlib.util.find_spec(name) is not None for name in EXTRA_MODULES)
    except ModuleNotFoundError:  # a parent package is missing
        return False


class Tracing:
    """Instruments the apps and the database of one service with `provider`."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider

    @classmethod
    def from_environment(cls) -> Tracing | None:
        """Tracing exporting over OTLP as the OTEL_* variables say; None when
        OTEL_EXPORTER_OTLP_ENDPOINT is not set."""
        if not os.environ.get(ENDPOINT_ENV):
            return None
        if not extra_installed():
            raise RuntimeError(MISSING_EXTRA)
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcExporter,
            )

            exporter: object = GrpcExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter as HttpExporter,
            )

            exporter = HttpExporter()
        named = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: "workspaced"}
        provider = TracerProvider(resource=Resource.create(named))
        provider.add_span_processor(BatchSpanProcessor(exporter))  # type: ignore[arg-type]
        return cls(provider)

    def instrument_app(self, app: FastAPI) -> None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # No spans for each ASGI receive/send message: two or three per request, noise.
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )

    def instrument_database(self, database: Database) -> None:
        """A span per statement of `database`'s engine. SQLAlchemy's instrumentation, on
        this engine alone: its instrumentor would also patch `create_engine` and
        `Engine.connect` process-wide, and its declared range stops below SQLAlchemy 2.1,
        which it traces correctly (tests/operations/test_tracing.py)."""
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.instrumentation.sqlalchemy.version import __version__
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.semconv.metrics import MetricInstruments

        name = "opentelemetry.instrumentation.sqlalchemy"
        tracer = self.provider.get_tracer(name, __version__)
        # Pool figures are the Prometheus metrics' (observability.metrics).
        usage = (
            NoOpMeterProvider()
            .get_meter(name)
            .create_up_down_counter(MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE)
        )
        EngineTracer(tracer, database.engine, usage)  # type: ignore[no-untyped-call]

    def shutdown(self) -> None:
        """Send the spans still buffered."""
        self.provider.shutdown()
