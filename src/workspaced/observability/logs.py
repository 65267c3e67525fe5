"""Log lines (SPEC §9, docs/operations.md "Logs").

`WORKSPACED_LOG_FORMAT=text` (the default) writes the service's records as text lines;
`json` writes every record as one JSON object per line, plus one line per request. A
request line carries what identifies the request (its id, dialect, route template,
status, duration, who made it) and never what it carried: no path (ids and, for an
invitation, its secret), no query string, no header, no body. Database errors leave
their statement's parameters out (`hide_parameters` in kit/db.py), so an exception logged
with its traceback cannot spill a value either.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
request_log = logging.getLogger("workspaced.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the
    record's `fields` (extra={"fields": {...}}), and the exception's traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()


def configure(log_format: LogFormat) -> None:
    """Route the service's records (and, in JSON, every other library's warnings and the
    server's own records in this worker) to stderr in `log_format`."""
    # What no line shows, not gathered for every record (the logging HOWTO's
    # "Optimization"): the caller's file and line (a walk up the stack), thread and
    # process names. A request line costs about half as much without them.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter = (
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler.setFormatter(formatter)
    global _request_lines
    _request_lines = _RequestLines(handler) if log_format == "json" else None
    service = logging.getLogger("workspaced")
    service.handlers = [handler]
    service.setLevel(logging.INFO)
    service.propagate = False
    if log_format == "json":
        # Others' records at WARNING and up (never httpx's INFO lines: they name the
        # webhook URLs requested, query strings and all).
        root = logging.getLogger()
        root.handlers = [handler]
        root.setLevel(logging.WARNING)
        for other in (logging.getLogger("_granian"), logging.getLogger("granian.access")):
            for existing in other.handlers:
                existing.setFormatter(formatter)


class _RequestLines:
    """The JSON line of each request, written straight to the service's handler: the same
    object `JsonFormatter` would make of `request_log.info("request", extra=...)`, without
    the LogRecord, filter and handler calls around it (most of a line's cost, and a line
    is written for every request). Measured with `python -m bench instructions` (the
    request line was ~0.09 M of a 2.56 M-instruction `GET`), two more savings:

    - the time is formatted once a second and the milliseconds appended (a `datetime`
      made and `isoformat`-ted per line cost ~10,000 instructions);
    - orjson's bytes go to the stream's file descriptor, not through the text layer's
      decode, encode and buffer. The handler's own records are flushed as they are
      written, so nothing of theirs waits in the buffer to be overtaken.
    """

    def __init__(self, handler: logging.StreamHandler[Any]) -> None:
        self.handler = handler
        self._second: tuple[int, str] = (-1, "")  # (Unix second, its ISO 8601 text)
        try:
            self._fd: int | None = handler.stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
            self._fd = None

    def _time(self) -> str:
        now = time.time()
        second = int(now)
        cached = self._second
        if cached[0] != second:
            cached = self._second = (
                second,
                time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
            )
        return f"{cached[1]}.{int((now - second) * 1000):03d}+00:00"

    def write(self, fields: dict[str, Any]) -> None:
        entry = {
            "time": self._time(),
            "level": "info",
            "logger": request_log.name,
            "message": "request",
            **fields,
        }
        line = orjson.dumps(entry, default=str, option=orjson.OPT_APPEND_NEWLINE)
        with self.handler.lock:  # type: ignore[union-attr]
            if self._fd is None:
                self.handler.stream.write(line.decode())
                self.handler.stream.flush()
                return
            while line:  # a write may take part of a long line
                line = line[os.write(self._fd, line) :]


_request_lines: _RequestLines | None = None


def log_request(fields: dict[str, Any]) -> None:
    if _request_lines is not None and request_log.isEnabledFor(logging.INFO):
        _request_lines.write(fields)
    else:
        request_log.info("request", extra={"fields": fields})
