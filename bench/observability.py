"""Observability's cost: the same reads on `serve` with metrics off and text logs (the
baseline), with metrics on and JSON logs (a line per request), and with tracing on too
(OTLP over HTTP to a local sink), interleaved. The issue's bound: metrics and JSON logs
>= 0.95 of the baseline."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from functools import partial

from bench import common, servers
from bench.reads import endpoints
from bench.report import Report
from bench.seed import Dataset

GOAL = 0.95
MEASURED = ("aip: get workspace", "aip: list users (50)")


def run(ds: Dataset, settings: common.Settings, report: Report) -> None:
    print("observability: metrics + JSON logs, and tracing, against neither", flush=True)
    with contextlib.ExitStack() as stack:
        sink_port = common.free_port()
        sink = common.start_server(
            stack,
            "otlp-sink",
            [sys.executable, "-m", "bench.otlp_sink", str(sink_port)],
            port=sink_port,
            cpu=common.LOAD_CPU,
        )
        observed = {"WORKSPACED_METRICS": "true", "WORKSPACED_LOG_FORMAT": "json"}
        contenders = {
            "baseline": servers.start_ours(
                stack,
                ds.database_url,
                name="obs-baseline",
                env={"WORKSPACED_METRICS": "false", "WORKSPACED_LOG_FORMAT": "text"},
            ),
            "metrics+json": servers.start_ours(
                stack, ds.database_url, name="obs-metrics-json", env=observed
            ),
            "tracing": servers.start_ours(
                stack,
                ds.database_url,
                name="obs-tracing",
                env={
                    **observed,
                    "OTEL_EXPORTER_OTLP_ENDPOINT": sink.base_url,
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                },
            ),
        }
        for endpoint in endpoints(ds):
            if endpoint.name not in MEASURED:
                continue
            load = endpoint.load()
            runs: dict[str, Callable[[], common.Result]] = {
                name: partial(common.run_load, server.base_url, load, settings)
                for name, server in contenders.items()
            }
            results = common.interleaved(runs, settings.rounds)
            base = common.median_rps(results["baseline"])
            observed_rps = common.median_rps(results["metrics+json"])
            traced = common.median_rps(results["tracing"])
            ratio = observed_rps / base if base else 0.0
            errors = common.total_errors(results["metrics+json"])
            report.add(
                "obs",
                f"{endpoint.name}: metrics + JSON logs",
                f"{ratio:.3f} of baseline ({observed_rps:,.0f} vs {base:,.0f} req/s)",
                f">= {GOAL}",
                ratio >= GOAL and errors == 0,
                common.error_note(results["metrics+json"]),
            )
            report.add(
                "obs",
                f"{endpoint.name}: + tracing (OTLP/HTTP, every request sampled)",
                f"{traced / base if base else 0.0:.3f} of baseline ({traced:,.0f} req/s)",
                "",
                None,
                common.error_note(results["tracing"]),
            )
