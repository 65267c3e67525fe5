"""The dialects this server speaks: where each is mounted and how it reports a too-large body.

Adding a dialect = one entry here plus its package under http/dialects/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.responses import Response

from workspaced.http.dialects.aip import app as aip_app
from workspaced.http.dialects.aip import errors as aip_errors


@dataclass(frozen=True)
class DialectSpec:
    name: str
    prefixes: tuple[str, ...]
    build: Callable[[], FastAPI]
    too_large: Callable[[], Response]


DIALECTS: list[DialectSpec] = [
    DialectSpec("aip", ("/api/v1",), aip_app.build, aip_errors.render_too_large),
]
