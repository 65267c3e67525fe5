"""workspaced's own mailer (SPEC §3.1): transports named by URL, an outbox written in the
caller's transaction, delivery that retries and, with several workers on one database,
sends each message once."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.mail_support import Mailbox
from tests.support import free_port
from workspaced.kit import clock
from workspaced.kit.db import Database
from workspaced.mail import MailSettings, outbox
from workspaced.mail.delivery import MailDelivery
from workspaced.mail.transport import LogTransport, SmtpTransport, parse_smtp_url
from workspaced.models import MailMessage
from workspaced.settings import Settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("log:", LogTransport()),
        ("smtp://relay.internal", SmtpTransport("relay.internal", 25)),
        ("smtp://127.0.0.1:2525", SmtpTransport("127.0.0.1", 2525)),
        (
            "smtp+starttls://me%40x.com:p%40ss@mail.x.com",
            SmtpTransport("mail.x.com", 587, "starttls", "me@x.com", "p@ss"),
        ),
        ("smtps://u:p@mail.x.com:4650", SmtpTransport("mail.x.com", 4650, "tls", "u", "p")),
    ],
)
def test_smtp_urls_name_their_transport(url: str, expected: object) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://x", "unknown scheme"),
        ("mail.example.com", "no scheme"),
        ("smtp://", "no host"),
        ("smtp://h:99999", "out of range"),
        ("smtp://u:secret@h", "in the clear"),
        ("smtps://h/path", "no path"),
        ("smtps://:secret@h", "empty user name"),
    ],
)
def test_bad_smtp_urls_are_refused_without_showing_the_password(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as refused:
        parse_smtp_url(url)
    assert "secret" not in str(refused.value)
    with pytest.raises(ValidationError):
        Settings(smtp_url=url)


def test_public_url_defaults_to_the_served_address_and_must_be_absolute() -> None:
    assert Settings(host="0.0.0.0", port=9000).mail().public_url == "http://0.0.0.0:9000"
    given = Settings(public_url="https://ws.example.com/")
    assert given.mail().public_url == "https://ws.example.com"
    for bad in ["ws.example.com", "javascript:alert(1)", "https://x.com/?q=1"]:
        with pytest.raises(ValidationError):
            Settings(public_url=bad)


def enqueue(database: Database, recipient: str, body: str = "hello") -> uuid.UUID:
    with database.write() as session:
        return outbox.enqueue(session, org_id=None, recipient=recipient, subject="Test", body=body)


def row(database: Database, message_id: uuid.UUID) -> MailMessage:
    with database.read() as session:
        message = session.get(MailMessage, message_id)
        assert message is not None
        session.expunge(message)
        return message


def delivery(database: Database, url: str) -> MailDelivery:
    return MailDelivery(database, MailSettings(smtp_url=url, mail_from="ws@example.com"))


def test_a_message_is_sent_once_then_kept_without_its_body(
    database: Database, mailbox: Mailbox
) -> None:
    message_id = enqueue(database, "ann@example.com", "the secret wsi_x")
    assert delivery(database, mailbox.url).deliver_due()
    [mail] = mailbox.wait_for("ann@example.com")
    assert mail.body.strip() == "the secret wsi_x"
    assert mail.message["From"] == "ws@example.com"
    assert mail.message["Message-ID"] == f"<{message_id.hex}@example.com>"
    sent = row(database, message_id)
    assert sent.sent_time is not None and sent.body == "" and sent.attempts == 0
    assert not delivery(database, mailbox.url).deliver_due()  # nothing left to send
    assert len(mailbox.all()) == 1


def test_a_rolled_back_transaction_sends_nothing(database: Database, mailbox: Mailbox) -> None:
    with pytest.raises(RuntimeError), database.write() as session:
        outbox.enqueue(session, org_id=None, recipient="x@example.com", subject="s", body="b")
        raise RuntimeError("the change failed")
    assert not delivery(database, mailbox.url).deliver_due()
    with database.read() as session:
        assert session.scalars(select(MailMessage)).all() == []


def test_an_unreachable_server_delays_the_message_and_it_is_sent_later(
    database: Database, mailbox: Mailbox
) -> None:
    message_id = enqueue(database, "bob@example.com")
    down = delivery(database, f"smtp://127.0.0.1:{free_port()}")
    assert down.deliver_due()
    failed = row(database, message_id)
    assert (failed.attempts, failed.sent_time, failed.failed_time) == (1, None, None)
    assert failed.last_error and failed.body == "hello"
    assert failed.next_attempt_time >= clock.now() + timedelta(seconds=4)
    # Not due yet: the retry waits for its backoff.
    assert not delivery(database, mailbox.url).deliver_due()
    clock.advance(timedelta(seconds=6))
    assert delivery(database, mailbox.url).deliver_due()
    assert len(mailbox.wait_for("bob@example.com")) == 1
    assert row(database, message_id).sent_time is not None


def test_a_recipient_refused_for_good_is_not_retried(database: Database, mailbox: Mailbox) -> None:
    mailbox.refused.add("gone@example.com")
    message_id = enqueue(database, "gone@example.com", "secret")
    assert delivery(database, mailbox.url).deliver_due()
    given_up = row(database, message_id)
    assert given_up.failed_time is not None and given_up.body == ""
    assert "550" in (given_up.last_error or "")
    clock.advance(timedelta(days=1))
    assert not delivery(database, mailbox.url).deliver_due()


def test_a_message_still_failing_after_three_days_is_given_up(
    database: Database, mailbox: Mailbox
) -> None:
    message_id = enqueue(database, "late@example.com")
    clock.advance(outbox.MAX_AGE)
    assert delivery(database, f"smtp://127.0.0.1:{free_port()}").deliver_due()
    assert row(database, message_id).failed_time is not None


def test_a_claim_of_a_worker_that_died_runs_out_and_another_sends_it(
    database: Database, mailbox: Mailbox
) -> None:
    message_id = enqueue(database, "carol@example.com")
    with database.write() as session:  # a worker claims it, then dies before sending
        assert [m.id for m in outbox.claim_due(session, limit=10)] == [message_id]
    assert not delivery(database, mailbox.url).deliver_due()
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert delivery(database, mailbox.url).deliver_due()
    assert len(mailbox.wait_for("carol@example.com")) == 1


def test_two_workers_on_one_database_send_each_message_once(
    database: Database, mailbox: Mailbox
) -> None:
    recipients = [f"r{i}@example.com" for i in range(40)]
    workers = [delivery(database, mailbox.url) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        # Enqueued while both workers run: each commit wakes both, and both claim.
        for recipient in recipients:
            enqueue(database, recipient)
        deadline = time.monotonic() + 30
        while len(mailbox.all()) < len(recipients) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a duplicate would arrive by now
    finally:
        for worker in workers:
            worker.stop()
    got = sorted(r for m in mailbox.all() for r in m.recipients)
    assert got == sorted(recipients)


def test_the_development_mailer_writes_to_the_log_at_warning(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    enqueue(database, "dev@example.com", "token wsi_dev")
    with caplog.at_level(logging.INFO, logger="workspaced.mail"):
        assert delivery(database, "log:").deliver_due()
    [record] = [r for r in caplog.records if "dev@example.com" in r.getMessage()]
    assert record.levelno == logging.WARNING and "wsi_dev" in record.getMessage()
    assert all(r.levelno >= logging.WARNING for r in caplog.records if "wsi_" in r.getMessage())
