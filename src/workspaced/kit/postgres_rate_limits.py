"""A `limits` storage on PostgreSQL, so that replicas sharing one database share their rate
limits without another server. Fixed windows only (what `workspaced.http.rate_limits`
uses): one upsert per hit, in autocommit, one round trip.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from limits.storage import Storage
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from workspaced.models import RateLimitCounter

# Starts a new window when the stored one has ended, else adds to it.
_HIT = text(
    """
    INSERT INTO rate_limits (key, count, expire_time)
    VALUES (:key, :amount, now() + make_interval(secs => :expiry))
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.expire_time <= now()
                     THEN excluded.count ELSE rate_limits.count + excluded.count END,
        expire_time = CASE WHEN rate_limits.expire_time <= now()
                           THEN excluded.expire_time ELSE rate_limits.expire_time END
    RETURNING count
    """
)
# Ended windows are deleted every this many hits (by whichever replica makes them).
SWEEP_EVERY = 10_000


class PostgresStorage(Storage):
    STORAGE_SCHEME = ["workspaced+postgresql"]

    def __init__(self, uri: str | None = None, *, engine: Engine, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=False)
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._hits = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                _HIT, {"key": key, "amount": amount, "expiry": expiry}
            ).scalar_one()
            if next(self._hits) % SWEEP_EVERY == 0:
                connection.execute(
                    delete(RateLimitCounter).where(RateLimitCounter.expire_time < func.now())
                )
        return int(count)

    def _row(self, key: str) -> tuple[int, datetime] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(RateLimitCounter.count, RateLimitCounter.expire_time).where(
                    RateLimitCounter.key == key, RateLimitCounter.expire_time > func.now()
                )
            ).one_or_none()
        return None if row is None else (int(row[0]), row[1])

    def get(self, key: str) -> int:
        row = self._row(key)
        return 0 if row is None else row[0]

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        end = row[1] if row is not None else datetime.now(UTC)
        return end.timestamp()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.connect() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
