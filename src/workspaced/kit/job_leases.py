"""Leases on periodic jobs (`job_leases`): of every process and replica sharing the
database, the one that claims a job's lease runs it, and a run is due only once the
interval has passed since the last one anywhere (the purge runs hourly for the deployment,
not hourly per process). A claim is a conditional UPDATE, so exactly one claimer wins; a
process that dies mid-run leaves a lease that runs out, after which another claims it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from workspaced.kit.db import Database
from workspaced.models import JobLease


def claim(
    database: Database, name: str, owner: str, *, now: datetime, every: timedelta, lease: timedelta
) -> bool:
    """Take the lease on job `name` if it is free and the job is due; whether taken."""
    with database.write() as session:
        taken = session.execute(
            update(JobLease)
            .where(
                JobLease.name == name,
                or_(JobLease.claimed_until.is_(None), JobLease.claimed_until < now),
                or_(JobLease.last_run_time.is_(None), JobLease.last_run_time <= now - every),
            )
            .values(owner=owner, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return True
        if session.get(JobLease, name) is not None:
            return False
    try:  # the job's first run anywhere
        with database.write() as session:
            session.add(JobLease(name=name, owner=owner, claimed_until=now + lease))
    except IntegrityError:  # another process created it first, and holds it
        return False
    return True


def renew(database: Database, name: str, owner: str, *, until: datetime) -> bool:
    """Extend a held lease; False if it was lost (it ran out and another took it)."""
    with database.write() as session:
        result = session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.owner == owner)
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]


def release(database: Database, name: str, owner: str, *, ran_at: datetime) -> None:
    """Let the lease go, recording the run (the next is due `every` after `ran_at`)."""
    with database.write() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.owner == owner)
            .values(owner=None, claimed_until=None, last_run_time=ran_at)
            .execution_options(synchronize_session=False)
        )
