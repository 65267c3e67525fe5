"""Engine, transactions and the column types both databases share.

A request's writes are one transaction. Writers serialize where invariants are checked:
on SQLite every write transaction starts with `BEGIN IMMEDIATE` (the database
write lock is taken up front, so a check and the write that depends on it can
never interleave with another writer); on PostgreSQL services lock the rows they
check with `SELECT ... FOR UPDATE`. Reads are a transaction on SQLite (one snapshot, rolled
back) and autocommit statements on PostgreSQL (see kit/postgres.py); no write of theirs
can land.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Connection, DateTime, Engine, Select, Uuid, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool
from sqlalchemy.types import TypeDecorator

from workspaced.kit.errors import InvalidArgument, Unavailable
from workspaced.kit.postgres import check_liveness_at_checkout

SQLITE_BUSY_TIMEOUT_S = 30
SQLITE_POOL_SIZE = 40
# SQLite calls the progress handler every this many virtual-machine instructions (well
# under a millisecond): often enough to stop a runaway scan at once, rarely enough that
# a hot read (a few thousand instructions) never calls it.
SQLITE_PROGRESS_STEPS = 20_000
# A request that ran into its time limit is told to retry after this many seconds.
RETRY_AFTER_S = 1
# SQLSTATEs of a statement PostgreSQL cancelled for its time limit or a lock wait.
_PG_TIME_LIMITS = {"57014", "55P03"}


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def locked(query: SelectT, *, of: Any = None) -> SelectT:
    """`query` taking the row locks services check under (PostgreSQL; SQLite's writers are
    already serialized): `FOR NO KEY UPDATE`, which excludes every other locker and writer
    of the rows but not the foreign-key checks of inserts that reference them (those take
    `KEY SHARE`). Plain `FOR UPDATE` would also block those checks, and a transaction
    holding a membership lock while inserting a row that references the organization
    would deadlock against one holding the organization lock while locking the membership.
    """
    return query.with_for_update(key_share=True, of=of)


class ConfigurationError(Exception):
    """Bad operator configuration: reported as one line, never a traceback."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; naive UTC in SQLite, `timestamptz` in PostgreSQL.

    SQLite keeps text with fixed-width microseconds, so lexical order is time order and
    keyset comparisons work the same on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite keeps UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff': parse it straight into an
        # aware datetime. One C call per value instead of SQLAlchemy's parse followed by
        # `replace(tzinfo=...)`, which costs more than the parse; pages hold many of them.
        def process(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value + "+00:00")

        return process


class UUIDType(TypeDecorator[uuid.UUID]):
    """`Uuid` (native `uuid` in PostgreSQL, 32 hex digits in SQLite) with a faster SQLite
    result conversion: `UUID(int=...)` skips the string clean-up and argument checks of
    `UUID(hex)`, which cost twice as much, and a page of members holds a hundred ids."""

    impl = Uuid
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> uuid.UUID | None:
            return None if value is None else uuid.UUID(int=int(value, 16))

        return process


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE")}


def _configure_sqlite(engine: Engine, time_limit_s: float | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        if time_limit_s is not None:
            # SQLite has no statement timeout: a progress handler returning true interrupts
            # the running statement ("interrupted"), here once its transaction's deadline
            # (set at BEGIN, below) has passed.
            deadline = [math.inf]
            record.info["deadline"] = deadline
            dbapi_connection.set_progress_handler(
                lambda: time.monotonic() > deadline[0], SQLITE_PROGRESS_STEPS
            )
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if time_limit_s is not None:
            connection.connection.info["deadline"][0] = time.monotonic() + time_limit_s
        # Straight to the driver: every request begins a transaction, and a statement
        # through SQLAlchemy's execution machinery costs several times more than BEGIN.
        connection.connection.driver_connection.execute(_BEGIN[mode])


def _contains_nul(parameters: Any) -> bool:
    if isinstance(parameters, str):
        return "\x00" in parameters
    if isinstance(parameters, dict):
        return any(_contains_nul(v) for v in parameters.values())
    if isinstance(parameters, list | tuple):
        return any(_contains_nul(v) for v in parameters)
    return False


CursorListener = Callable[[Any, Any, str, Any, Any, bool], tuple[str, Any]]
CONTEXT_FREE = "workspaced_context_free"


ListenerT = TypeVar("ListenerT", bound=Callable[..., Any])


def context_free(listener: ListenerT) -> ListenerT:
    """Mark a `before_cursor_execute` listener (registered with `retval=True`) or an
    `after_cursor_execute` one as needing no execution context (it is called with
    `context=None`). `kit.prepared` runs its fast path only while every cursor listener is
    marked; otherwise its statements go through SQLAlchemy, so tracing and other
    listeners see every statement with the context they expect."""
    setattr(listener, CONTEXT_FREE, True)
    return listener


class WaitCountingPool(QueuePool):
    """A QueuePool that tells `on_wait` when a caller starts (+1) and stops (-1) waiting
    for a connection, every one being checked out (pool events report only checkouts).
    Approximate by design: the check and the wait are not one atomic step."""

    on_wait: Callable[[int], None] | None = None

    def _do_get(self) -> ConnectionPoolEntry:
        on_wait = self.on_wait
        # checkedout() < size() + max_overflow, read without the queue's lock (every
        # request checks out a connection; the figure is approximate anyway).
        if on_wait is None:
            return super()._do_get()
        idle = len(self._pool.queue)  # type: ignore[attr-defined]  # util.queue.Queue's deque
        if self._overflow - idle < self._max_overflow:
            return super()._do_get()
        on_wait(1)
        try:
            return super()._do_get()
        finally:
            on_wait(-1)

    def recreate(self) -> WaitCountingPool:
        pool = super().recreate()
        assert isinstance(pool, WaitCountingPool)
        pool.on_wait = self.on_wait  # `dispose()` recreates the pool
        return pool


@context_free
def _refuse_nul(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    """PostgreSQL cannot store NUL in text and SQLite would store it: refuse it the same way
    on both, as invalid input rather than a crash. Every statement's values pass here."""
    if _contains_nul(parameters):
        raise InvalidArgument("request", "text must not contain NUL characters")
    return statement, parameters


# What a PostgreSQL read may send. Reads run in autocommit there, where a stray write would
# be committed on the spot (in a transaction it would have been rolled back, unseen).
_READ_VERBS = ("SELECT", "WITH", "SHOW")


class WriteInReadError(RuntimeError):
    """A statement that changes data was sent inside `Database.read()` (a bug)."""


@context_free
def _refuse_writes(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    if not statement.lstrip("( \t\n")[:6].upper().startswith(_READ_VERBS):
        raise WriteInReadError(f"write inside Database.read(): {statement[:80]!r}")
    return statement, parameters


def _refuse_nul_characters(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", _refuse_nul, retval=True)


def make_engine(url: str, *, time_limit_s: float | None = None) -> Engine:
    engine = _make_engine(url, time_limit_s)
    _refuse_nul_characters(engine)
    return engine


def _make_engine(url: str, time_limit_s: float | None) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"invalid database URL {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            poolclass=WaitCountingPool,
            hide_parameters=True,  # errors get logged: no values (a secret) in them
            # Room for every request thread (anyio runs up to 40 sync handlers at once):
            # a smaller pool closes overflow connections on return, and reopening one costs
            # a connect plus four PRAGMAs on the next request.
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=16,
        )
        _configure_sqlite(engine, time_limit_s)
        return engine
    if backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        connect_args: dict[str, Any] = {"connect_timeout": 5}
        if time_limit_s is not None:
            # Every statement, and every wait for a lock, ends by the limit (the server
            # cancels it), whichever request or thread it runs for.
            limit_ms = max(1, int(time_limit_s * 1000))
            connect_args["options"] = f"-c statement_timeout={limit_ms} -c lock_timeout={limit_ms}"
        engine = create_engine(
            parsed,
            poolclass=WaitCountingPool,
            hide_parameters=True,
            pool_size=10,
            max_overflow=20,
            pool_timeout=10,
            connect_args=connect_args,
        )
        # Instead of `pool_pre_ping`, which costs a round trip per checkout.
        check_liveness_at_checkout(engine)
        return engine
    raise ConfigurationError(
        f"unsupported database {backend!r}: use sqlite:///path or postgresql+psycopg://..."
    )


def _stopped_for_time(exc: DBAPIError) -> bool:
    """Whether the database stopped the statement for its time limit (not a real error)."""
    if getattr(exc.orig, "sqlstate", None) in _PG_TIME_LIMITS:
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and "interrupted" in str(exc.orig)


def _over_time() -> Unavailable:
    return Unavailable(
        "the request took longer than the server allows; narrow it or retry",
        retry_after=RETRY_AFTER_S,
    )


class Database:
    """The engine plus one read and one write session factory.

    `time_limit_s` bounds every transaction's work (SPEC §6): a statement or lock wait past
    it is stopped by the database, and the transaction raises `Unavailable` (503 with
    Retry-After) instead of holding a connection and a thread. None (migrations, the
    command line) means no limit."""

    def __init__(self, url: str, *, time_limit_s: float | None = None) -> None:
        self.url = url
        self.time_limit_s = time_limit_s
        self.engine = make_engine(url, time_limit_s=time_limit_s)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        # PostgreSQL reads run without BEGIN/ROLLBACK: at READ COMMITTED every statement
        # takes its own snapshot inside a transaction too (kit/postgres.py). There a stray
        # write would be committed at once, so reads refuse writes. SQLite keeps the read
        # transaction (one snapshot for all its statements), rolled back at the end, so
        # nothing a read wrote could land; its reads use the engine itself (options on it
        # would cost every hot read ~110 Python calls of event dispatch).
        if self.is_sqlite:
            self._read_engine = self.engine
        else:
            self._read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            event.listen(self._read_engine, "before_cursor_execute", _refuse_writes, retval=True)
        self._reader = sessionmaker(self._read_engine, expire_on_commit=False, autoflush=False)
        self._writer = sessionmaker(write_engine, expire_on_commit=False, autoflush=False)
        # SQLite admits one writer at a time. Without this lock, concurrent writers of this
        # process would wait for each other inside SQLite's busy handler, which polls with
        # sleeps of up to 100 ms: throughput halves as soon as two requests write at once.
        # Queueing them on a lock first hands the database over as soon as it is free.
        # Other processes still meet the busy timeout, as before.
        self._write_lock = threading.RLock() if self.is_sqlite else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read: one transaction on SQLite (one snapshot for all its statements), rolled
        back at the end; autocommit statements on PostgreSQL (each with its own snapshot,
        as at READ COMMITTED in a transaction), where statements that change data are
        refused (`WriteInReadError`). The objects read stay usable, detached, after the
        block."""
        try:
            with self._reader() as session:
                yield session
        except DBAPIError as exc:
            if _stopped_for_time(exc):
                raise _over_time() from None
            raise

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """`read()` on a Core connection, for a statement that needs no ORM (the token
        lookup on every request): it skips the Session's bookkeeping."""
        try:
            with self._read_engine.connect() as connection:
                yield connection
        except DBAPIError as exc:
            if _stopped_for_time(exc):
                raise _over_time() from None
            raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed if the block succeeds, rolled back otherwise."""
        with ExitStack() as stack:
            if self._write_lock is not None:
                limit = -1 if self.time_limit_s is None else self.time_limit_s
                if not self._write_lock.acquire(timeout=limit):
                    raise Unavailable(
                        "the database was busy with other writes", retry_after=RETRY_AFTER_S
                    )
                stack.callback(self._write_lock.release)
            session = stack.enter_context(self._writer())
            try:
                with session.begin():
                    yield session
            except DBAPIError as exc:
                if _stopped_for_time(exc):
                    raise _over_time() from None
                raise

    @cached_property
    def reads_never_wait(self) -> bool:
        """Whether a read can never wait for a lock: SQLite in WAL mode. (The server asks
        for WAL, but SQLite keeps its rollback journal where WAL is impossible, e.g. on
        some network filesystems, and there readers wait for writers.)"""
        if not self.is_sqlite:
            return False
        with self.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        return mode == "wal"

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
