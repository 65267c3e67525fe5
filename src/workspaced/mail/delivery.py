"""The delivery worker: one thread per `serve` process that sends what the outbox holds.

It wakes when a transaction that enqueued mail commits in this process, and otherwise
polls (other replicas' mail, retries coming due). Each message is claimed in a short
transaction, sent with no transaction open, then marked in another: a slow SMTP server
never holds a database lock, and a crash between send and mark only repeats that one
message after its lease runs out (at least once; in the normal case exactly once).
"""

from __future__ import annotations

import logging
import threading
from email.message import EmailMessage
from email.utils import formatdate

from workspaced.kit.db import Database
from workspaced.mail import MailSettings, outbox
from workspaced.mail.transport import PermanentFailure, Transport, parse_smtp_url

logger = logging.getLogger("workspaced.mail")

POLL_INTERVAL_S = 2.0
BATCH = 20


class MailDelivery:
    def __init__(self, database: Database, settings: MailSettings) -> None:
        self.database = database
        self.settings = settings
        self.transport: Transport = parse_smtp_url(settings.smtp_url)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        logger.info("mail goes to %s", self.transport.describe())
        self._thread = threading.Thread(target=self._run, name="workspaced-mail", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        outbox.enqueued.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent_any = self.deliver_due()
            except Exception:  # the database is away: keep the worker, try again later
                logger.exception("mail delivery: cannot read the outbox")
                sent_any = False
            if not sent_any:
                outbox.enqueued.wait(POLL_INTERVAL_S)
                outbox.enqueued.clear()

    def deliver_due(self) -> bool:
        """Send one batch of due messages; True when there was any."""
        with self.database.write() as session:
            due = outbox.claim_due(session, limit=BATCH)
        for message in due:
            if self._stopping.is_set():
                break  # the lease runs out and the next start sends it
            self._deliver(message)
        return bool(due)

    def _deliver(self, message: outbox.DueMessage) -> None:
        try:
            self.transport.send(self._compose(message))
        except Exception as exc:
            permanent = isinstance(exc, PermanentFailure)
            with self.database.write() as session:
                gave_up = outbox.mark_failed(session, message, str(exc), permanent=permanent)
            # Never the body: it carries the invitation's secret.
            logger.warning(
                "mail to %s %s: %s",
                message.recipient,
                "given up" if gave_up else f"failed (attempt {message.attempts + 1})",
                exc,
            )
            return
        with self.database.write() as session:
            outbox.mark_sent(session, message.id)

    def _compose(self, message: outbox.DueMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.mail_from
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # Stable per outbox row: a message sent again after a crash is recognisably the same.
        domain = self.settings.mail_from.rpartition("@")[2] or "localhost"
        email["Message-ID"] = f"<{message.id.hex}@{domain}>"
        email.set_content(message.body)
        return email
