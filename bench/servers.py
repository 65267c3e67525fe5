"""Starting our server, the floor, and the seeded data sets they serve."""

from __future__ import annotations

import base64
import contextlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

from bench import common
from bench.seed import Dataset, seed


def start_ours(
    stack: contextlib.ExitStack,
    database_url: str,
    *,
    name: str = "workspaced",
    workers: int = 1,
    cpu: str | None = common.SERVER_CPU,
    env: dict[str, str] | None = None,
) -> common.Server:
    """`python -m workspaced serve`, exactly as an operator runs it (`env` on top)."""
    port = common.free_port()
    argv = [
        sys.executable,
        "-m",
        "workspaced",
        "serve",
        "--database-url",
        database_url,
        "--host",
        common.HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    # The benchmarks send far more than 6,000 requests a minute with one token: they turn
    # the rate limits off (and say so in BENCHMARKS.md), as a deployment behind its own
    # limiter would.
    no_limits = {
        "WORKSPACED_RATE_LIMIT_PER_CREDENTIAL": "0",
        "WORKSPACED_RATE_LIMIT_PER_ADDRESS": "0",
    }
    return common.start_server(
        stack, name, argv, port=port, cpu=cpu, env={**no_limits, **(env or {})}
    )


def start_under_uvicorn(stack: contextlib.ExitStack, database_url: str) -> common.Server:
    """The same app under uvicorn (httptools, uvloop), as `serve` ran it before granian."""
    port = common.free_port()
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "workspaced.http.asgi:app_factory",
        "--host",
        common.HOST,
        "--port",
        str(port),
        "--no-server-header",
        "--log-level",
        "warning",
    ]
    env = {
        "WORKSPACED_DATABASE_URL": database_url,
        "WORKSPACED_RATE_LIMIT_PER_CREDENTIAL": "0",
        "WORKSPACED_RATE_LIMIT_PER_ADDRESS": "0",
    }
    return common.start_server(stack, "uvicorn", argv, port=port, env=env)


def start_floor(
    stack: contextlib.ExitStack,
    responses: dict[str, tuple[int, str, bytes]],
    *,
    module: str = "bench.floor",
) -> common.Server:
    """The raw ASGI floor serving `responses` ({path: (status, content type, body)}), or
    with `module="bench.ceiling"` the same bytes through a bare FastAPI app."""
    common.WORK.mkdir(parents=True, exist_ok=True)
    spec = {
        path: {"status": s, "content_type": ct, "body": base64.b64encode(b).decode()}
        for path, (s, ct, b) in responses.items()
    }
    spec_file = common.WORK / f"{module}.json"
    spec_file.write_text(json.dumps(spec))
    port = common.free_port()
    return common.start_server(
        stack,
        module.removeprefix("bench."),
        [sys.executable, "-m", module],
        port=port,
        env={"BENCH_FLOOR_FILE": str(spec_file), "BENCH_FLOOR_PORT": str(port)},
    )


def sqlite_url(name: str) -> str:
    return f"sqlite:///{common.WORK / name}"


def dataset(
    database_url: str,
    *,
    workspaces: int,
    members: int,
    reseed: bool = False,
    drop: bool = False,
) -> Dataset:
    """A seeded data set, reused from an earlier run when its parameters match (seeding a
    million members takes minutes). `drop` recreates the database first."""
    common.WORK.mkdir(parents=True, exist_ok=True)
    tag = database_url.rsplit("/", 1)[-1].replace(".db", "")
    meta = common.WORK / f"dataset-{tag}.json"
    if not reseed and meta.exists():
        saved = Dataset(**json.loads(meta.read_text()))
        same = (saved.database_url, saved.workspaces, saved.members) == (
            database_url,
            workspaces,
            members,
        )
        if same and _still_there(saved):
            return saved
    _wipe(database_url)
    print(f"seeding {database_url}: {workspaces} workspaces, {members} members", flush=True)
    made = seed(database_url, workspaces=workspaces, members=members)
    meta.write_text(json.dumps(asdict(made)))
    return made


def _still_there(saved: Dataset) -> bool:
    """The cached data set's database still holds its organization (files get cleaned up,
    databases get dropped)."""
    sqlite_file = saved.database_url.removeprefix("sqlite:///")
    if saved.database_url.startswith("sqlite:///") and not Path(sqlite_file).exists():
        return False
    from sqlalchemy import create_engine, text

    engine = create_engine(saved.database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM organizations WHERE slug = :slug"),
                {"slug": saved.org},
            ).scalar()
        return found == 1
    except Exception:
        return False
    finally:
        engine.dispose()


def _wipe(database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    recreate_postgres(database_url)


def recreate_postgres(database_url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    finally:
        admin.dispose()


def postgres_available(database_url: str) -> bool:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    engine = create_engine(
        make_url(database_url).set(database="postgres"), connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()
