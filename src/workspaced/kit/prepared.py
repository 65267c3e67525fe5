"""Hot SELECTs compiled once and run straight on the DB-API cursor.

Every request runs the same few statements (the token lookup, the workspace resolution,
a member page). Through `Connection.execute` each costs ~30 µs of SQLAlchemy machinery
(execution context, parameter and result metadata, `Row` objects) around a query that
SQLite answers in ~4 µs. A `PreparedSelect` does that work once per dialect: it keeps the
compiled SQL, the order of its parameters and the type conversions of its parameters and
columns, and per execution only converts values, runs the SQL inside the connection's
transaction, and converts the result columns.

Same statement, same SQL text, same conversions as SQLAlchemy's (the types' own bind and
result processors), rows as plain sequences in `columns` order. What it skips is
SQLAlchemy's per-execution bookkeeping, and with it the execution context cursor-event
listeners receive: it calls the cursor listeners marked `kit.db.context_free` (the NUL
refusal, the statement-time metric) itself, `after_cursor_execute` ones once the rows are
fetched, and while any other listener is registered (tracing, say) it leaves every
statement to SQLAlchemy. Statements that need
the bookkeeping (expanding `IN` lists, values rendered into the SQL at execution time,
e.g. a filter on a list of roles) run through SQLAlchemy too. On a driver error it runs
the statement again through SQLAlchemy, which raises the error SQLAlchemy would have
raised (and invalidates a broken connection), so callers and error handlers see no
difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

from workspaced.kit.db import CONTEXT_FREE
from workspaced.kit.tenancy import AnySelect

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    compiled: SQLCompiler
    direct: bool  # False: SQLAlchemy renders part of the SQL per execution; let it run it
    sql: str
    positional: tuple[str, ...] | None  # parameter names in `?` order, or None for named
    bind: dict[str, Processor]
    results: tuple[tuple[int, Processor], ...]  # (column position, conversion)


def _context_free_listeners(connection: Connection) -> tuple[list[Any], list[Any]] | None:
    """The `before_cursor_execute` and `after_cursor_execute` listeners, if all of them can
    run without an execution context (`kit.db.context_free`); else None."""
    dispatch = connection.dispatch
    before = list(dispatch.before_cursor_execute)
    after = list(dispatch.after_cursor_execute)
    if all(getattr(listener, CONTEXT_FREE, False) for listener in (*before, *after)):
        return before, after
    return None


class PreparedSelect:
    """A SELECT run on the driver's cursor; see the module docstring."""

    def __init__(self, statement: AnySelect) -> None:
        self.statement = statement
        self.columns: tuple[str, ...] = tuple(statement.selected_columns.keys())
        self.position = {name: i for i, name in enumerate(self.columns)}
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is not None:
            return plan
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        escaped = compiled.escaped_bind_names
        bind: dict[str, Processor] = {}
        for name, parameter in compiled.binds.items():
            process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                bind[escaped.get(name, name)] = process
        results = []
        for i, column in enumerate(self.statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((i, process))
        plan = _Plan(
            compiled=compiled,
            direct=not (compiled.literal_execute_params or compiled.post_compile_params),
            sql=compiled.string,
            positional=tuple(compiled.positiontup or ()) if compiled.positional else None,
            bind=bind,
            results=tuple(results),
        )
        self._plans[dialect.name] = plan
        return plan

    def _arguments(self, plan: _Plan, values: Mapping[str, Any]) -> Any:
        bind = plan.bind
        if plan.positional is not None:
            return tuple(bind[n](values[n]) if n in bind else values[n] for n in plan.positional)
        return {n: bind[n](v) if n in bind else v for n, v in values.items()}

    def all(self, connection: Connection, parameters: Mapping[str, Any]) -> list[Sequence[Any]]:
        """Every row, in the connection's transaction (begun here if need be)."""
        plan = self._plan(connection.dialect)
        listeners = _context_free_listeners(connection)
        if not plan.direct or listeners is None:
            return self._through_sqlalchemy(connection, parameters)
        sql = plan.sql
        arguments = self._arguments(plan, plan.compiled.construct_params(parameters))
        if not connection.in_transaction():
            connection.begin()
        before, after = listeners
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for listener in before:  # e.g. the NUL refusal of `kit.db`
                sql, arguments = listener(connection, cursor, sql, arguments, None, False)
            cursor.execute(sql, arguments)
            rows: list[Any] = cursor.fetchall()
            for listener in after:  # e.g. the statement-time metric
                listener(connection, cursor, sql, arguments, None, False)
        except connection.dialect.loaded_dbapi.Error as error:
            # Let SQLAlchemy run it and raise its own error (invalidating a broken
            # connection), or answer if the failure was transient. On PostgreSQL the retry
            # meets the aborted transaction, so the driver's first error is chained as the
            # cause: it is what the log should show.
            try:
                return self._through_sqlalchemy(connection, parameters)
            except DBAPIError as wrapped:
                raise wrapped from error
        finally:
            cursor.close()
        if not rows or not plan.results:
            return rows
        # Convert column by column: a few `map` calls instead of a Python loop per value.
        columns = list(zip(*rows, strict=True))
        for i, process in plan.results:
            columns[i] = tuple(map(process, columns[i]))
        return list(zip(*columns, strict=True))

    def _through_sqlalchemy(
        self, connection: Connection, parameters: Mapping[str, Any]
    ) -> list[Sequence[Any]]:
        return [tuple(row) for row in connection.execute(self.statement, parameters)]

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> Sequence[Any] | None:
        rows = self.all(connection, parameters)
        return rows[0] if rows else None
