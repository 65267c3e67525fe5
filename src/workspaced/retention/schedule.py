"""The hourly purge inside `serve`: a thread in every process that, every minute, tries to
claim the purge's job lease; the one that wins runs the purge (so one process of the whole
deployment purges at a time, hourly), renewing the lease as it goes and stopping between
batches when the server shuts down."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from workspaced.kit import clock, job_leases
from workspaced.kit.db import Database
from workspaced.retention.purge import RetentionSettings, purge

logger = logging.getLogger("workspaced.purge")

JOB = "purge"
LEASE = timedelta(minutes=5)
RENEW_EVERY = timedelta(minutes=1)


class PurgeSchedule:
    def __init__(
        self,
        database: Database,
        retention: RetentionSettings,
        *,
        every: timedelta = timedelta(hours=1),
        poll_interval_s: float = 60.0,
    ) -> None:
        self.database = database
        self.retention = retention
        self.every = every
        self.poll_interval_s = poll_interval_s
        self.owner = uuid.uuid4().hex
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="workspaced-purge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the batch in progress (each batch is its own short transaction)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_if_due()
            except Exception:  # the database is away: try again at the next poll
                logger.exception("purge: cannot run")
            self._stopping.wait(self.poll_interval_s)

    def run_if_due(self) -> bool:
        """Purge if this process claims the lease (the run is due and no one else is
        running it); whether it ran."""
        started = clock.now()
        claimed = job_leases.claim(
            self.database, JOB, self.owner, now=started, every=self.every, lease=LEASE
        )
        if not claimed:
            return False
        renewed = [started]

        def progress() -> bool:
            now = clock.now()
            if now - renewed[0] >= RENEW_EVERY:
                if not job_leases.renew(self.database, JOB, self.owner, until=now + LEASE):
                    logger.warning("purge: lease lost to another process; stopping")
                    return True
                renewed[0] = now
            return self._stopping.is_set()

        try:
            counts = purge(self.database, self.retention, progress=progress)
        finally:
            job_leases.release(self.database, JOB, self.owner, ran_at=started)
        if counts.total():
            logger.info(
                "purge: %s", ", ".join(f"{k}={v}" for k, v in counts.as_dict().items() if v)
            )
        return True
