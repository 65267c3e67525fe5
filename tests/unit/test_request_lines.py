"""The JSON request line (`observability.logs`): written to the stream's file descriptor
beside the handler's own records, one object a line, in the order they were made, with
the time in UTC to the millisecond."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workspaced.observability import logs


@pytest.fixture
def stderr_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "stderr.log"
    loggers = [logging.getLogger(), logging.getLogger("workspaced")]
    saved = [(each.handlers, each.level, each.propagate) for each in loggers]
    with path.open("w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        logs.configure("json")
        try:
            yield path
        finally:  # as the other tests found logging
            for each, (handlers, level, propagate) in zip(loggers, saved, strict=True):
                each.handlers, each.level, each.propagate = handlers, level, propagate
            monkeypatch.setattr(logs, "_request_lines", None)


def test_request_lines_and_records_share_the_stream_in_order(stderr_file: Path) -> None:
    before = datetime.now(UTC)
    logs.log_request({"request_id": "r1", "status": 200})
    logging.getLogger("workspaced.test").warning("between")
    logs.log_request({"request_id": "r2", "status": 404, "route": "é/" + "x" * 70_000})
    after = datetime.now(UTC)
    lines = [json.loads(line) for line in stderr_file.read_text().splitlines()]
    assert [line.get("request_id", line["message"]) for line in lines] == ["r1", "between", "r2"]
    assert lines[2]["route"] == "é/" + "x" * 70_000  # a long line is written whole
    for line in (lines[0], lines[2]):
        assert line["level"] == "info" and line["logger"] == "workspaced.request"
        time = datetime.fromisoformat(line["time"])
        assert time.utcoffset() == timedelta(0)
        assert before - timedelta(milliseconds=1) <= time <= after
        assert len(line["time"]) == len("2026-01-01T00:00:00.000+00:00")
