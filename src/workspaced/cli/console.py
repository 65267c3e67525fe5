"""What the operator sees: one-line errors, tables for people, one JSON document for
programs.

Every failure the operator can cause (bad URL, unreachable database, bad input) ends in
one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from workspaced.kit.db import ConfigurationError
from workspaced.kit.errors import DomainError

T = TypeVar("T")

JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of text.")
]


def fail(message: str) -> NoReturn:
    fail_all([message])


def fail_all(messages: Sequence[str]) -> NoReturn:
    """One line on stderr per problem, then exit 1."""
    for message in messages:
        typer.echo(f"workspaced: error: {message}", err=True)
    raise typer.Exit(code=1)


def guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning operator-caused failures into one line on stderr."""
    try:
        return action()
    except ConfigurationError as exc:
        fail(str(exc))
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        fail(f"cannot use the database: {reason}")
    except DomainError as exc:
        fail(exc.message)


def print_json(document: Any) -> None:
    """One JSON document on stdout (UUIDs as strings, times as RFC 3339)."""
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_UTC_Z).decode() + "\n")


def when(moment: datetime | None, default: str = "-") -> str:
    """A time for people: UTC to the second."""
    if moment is None:
        return default
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Columns aligned on the widest cell; the last column is not padded."""
    cells = [list(headers), *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        typer.echo("  ".join([*padded, row[-1]]))


def print_fields(fields: Sequence[tuple[str, object]]) -> None:
    """`name: value` lines, the values aligned."""
    width = max(len(name) for name, _ in fields) + 1
    for name, value in fields:
        typer.echo(f"{name + ':':<{width}} {value}")


def note(message: str) -> None:
    """A remark for the person at the terminal (stderr, so stdout stays the answer)."""
    typer.echo(message, err=True)
