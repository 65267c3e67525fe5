"""Column types both databases share: timestamps keep their instant and microseconds
through the database and render as RFC 3339 UTC with a `Z`, whatever offset they were
given in; ids come back as the same `uuid.UUID`, whatever their digits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.support import bare_user
from workspaced.kit.clock import rfc3339
from workspaced.kit.db import Database
from workspaced.models import User

instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(instants, offsets)
def test_rfc3339_is_utc_with_microseconds_and_z(instant: datetime, offset: timezone) -> None:
    text = rfc3339(instant.astimezone(offset))
    assert text is not None and text.endswith("Z") and len(text) == 27
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == instant


def test_rfc3339_of_none_is_none() -> None:
    assert rfc3339(None) is None


def test_timestamps_round_trip_through_the_database(database: Database) -> None:
    given_in = datetime(2026, 3, 29, 1, 30, 0, 5, tzinfo=timezone(timedelta(hours=-7)))
    user_id = uuid.uuid4()
    with database.write() as session:
        session.add(bare_user(user_id, "clock", given_in))
    with database.read() as session:
        stored = session.scalar(select(User.create_time).where(User.id == user_id))
    assert stored == given_in  # the same instant
    assert stored is not None and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)  # handed back in UTC
    assert rfc3339(stored) == "2026-03-29T08:30:00.000005Z"


@pytest.mark.parametrize(
    "user_id",
    [uuid.UUID(int=0), uuid.UUID(int=1), uuid.UUID(int=2**128 - 1), uuid.uuid4(), uuid.uuid1()],
    ids=["zero", "leading-zeros", "max", "v4", "v1"],
)
def test_ids_round_trip_through_the_database(database: Database, user_id: uuid.UUID) -> None:
    with database.write() as session:
        session.add(bare_user(user_id, f"u{user_id.hex}"))
    with database.read() as session:
        stored = session.scalar(select(User.id).where(User.id == user_id))
    assert type(stored) is uuid.UUID
    assert stored == user_id and str(stored) == str(user_id) and hash(stored) == hash(user_id)
