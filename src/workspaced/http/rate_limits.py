"""Rate limits (SPEC §6): each credential may make `per_credential` requests per window,
and each client address `per_address` requests that carry no valid credential (anonymous
calls such as accepting an invitation, and failed sign-ins, so guessing tokens is slow).
Past a limit the request is refused with ResourceExhausted (429, Retry-After).

Counting uses the `limits` library's fixed windows: in process memory on SQLite (one
machine), in the database on PostgreSQL so that every replica shares the counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from workspaced.kit.db import Database
from workspaced.kit.errors import ResourceExhausted
from workspaced.kit.postgres_rate_limits import PostgresStorage

DEFAULT_PER_CREDENTIAL = 6000  # per window, as WorkOS documents for its API
DEFAULT_PER_ADDRESS = 600
DEFAULT_WINDOW_S = 60


@dataclass(frozen=True)
class RateLimitSettings:
    """Requests per window; 0 turns that limit off."""

    per_credential: int = DEFAULT_PER_CREDENTIAL
    per_address: int = DEFAULT_PER_ADDRESS
    window_s: int = DEFAULT_WINDOW_S


class RateLimits:
    def __init__(
        self,
        settings: RateLimitSettings,
        database: Database,
        on_refusal: Callable[[str], None] | None = None,  # told the limit's kind (metrics)
    ) -> None:
        self.on_refusal = on_refusal
        storage: Storage = (
            MemoryStorage() if database.is_sqlite else PostgresStorage(engine=database.engine)
        )
        self.limiter = FixedWindowRateLimiter(storage)
        self.window_s = settings.window_s
        self.per_credential = self._item(settings.per_credential)
        self.per_address = self._item(settings.per_address)

    def _item(self, amount: int) -> RateLimitItem | None:
        return RateLimitItemPerSecond(amount, self.window_s) if amount > 0 else None

    def credential(self, credential_id: str) -> None:
        """Count a request made with a valid credential; ResourceExhausted past the limit."""
        if self.per_credential is not None:
            self._hit(self.per_credential, "credential", credential_id)

    def address(self, address: str | None) -> None:
        """Count a request without a valid credential from `address`."""
        if self.per_address is not None:
            self._hit(self.per_address, "address", address or "unknown")

    def _hit(self, item: RateLimitItem, kind: str, identifier: str) -> None:
        if self.limiter.hit(item, kind, identifier):
            return
        if self.on_refusal is not None:
            self.on_refusal(kind)
        reset_time, _ = self.limiter.get_window_stats(item, kind, identifier)
        raise ResourceExhausted(
            f"rate limit exceeded: at most {item.amount} requests per {self.window_s} s per {kind}",
            retry_after=max(1, math.ceil(reset_time - time.time())),
        )
