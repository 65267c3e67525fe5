"""The dialects this server speaks: where each is mounted and how it reports a too-large body.

Adding a dialect = one entry here plus its package under http/dialects/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.responses import Response

from workspaced.http.dialects.activeloop import app as activeloop_app
from workspaced.http.dialects.activeloop import errors as activeloop_errors
from workspaced.http.dialects.admin import app as admin_app
from workspaced.http.dialects.admin import errors as admin_errors
from workspaced.http.dialects.aip import app as aip_app
from workspaced.http.dialects.aip import errors as aip_errors
from workspaced.http.dialects.members import app as members_app
from workspaced.http.dialects.members import errors as members_errors


@dataclass(frozen=True)
class DialectSpec:
    name: str
    prefixes: tuple[str, ...]
    build: Callable[[], FastAPI]
    too_large: Callable[[], Response]


DIALECTS: list[DialectSpec] = [
    DialectSpec("aip", ("/api/v1",), aip_app.build, aip_errors.render_too_large),
    DialectSpec(
        "activeloop",
        (activeloop_app.PREFIX,),
        activeloop_app.build,
        activeloop_errors.render_too_large,
    ),
    DialectSpec("admin", (admin_app.PREFIX,), admin_app.build, admin_errors.render_too_large),
    DialectSpec(
        "members", (members_app.PREFIX,), members_app.build, members_errors.render_too_large
    ),
]
