"""A real SMTP server for the tests (aiosmtpd) and what tests read from the mail it got.

Invitation secrets reach their invitee only by mail (SPEC §3 rule 2), so a test that
accepts an invitation reads the token from the message, as the invitee would. Tests of
the domain alone, with no delivery worker running, read the message from the outbox.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import free_port
from workspaced.models import MailMessage

_INVITE_TOKEN = re.compile(r"wsi_[A-Za-z0-9_-]{64}")
WAIT_S = 15.0
# What tests that call the domain directly give as the base of the links in mail.
PUBLIC_URL = "http://workspaced.test"


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def body(self) -> str:
        return str(self.message.get_content())

    @property
    def invite_token(self) -> str:
        return invite_token_in(self.body)


def invite_token_in(text: str) -> str:
    found = set(_INVITE_TOKEN.findall(text))
    assert len(found) == 1, f"expected one invite token in the message, found {len(found)}"
    return str(found.pop())


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.box.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.box._receive(Received(envelope.mail_from, tuple(envelope.rcpt_tos), parsed))
        return "250 OK"


class Mailbox:
    """Every message the SMTP server on `url` accepted, by recipient."""

    def __init__(self) -> None:
        self._messages: list[Received] = []
        # Recipients the server refuses for good (a 550), as a real server refuses unknown
        # mailboxes.
        self.refused: set[str] = set()
        self._arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self._arrived:
            self._messages.clear()
            self.refused.clear()

    def _receive(self, received: Received) -> None:
        with self._arrived:
            self._messages.append(received)
            self._arrived.notify_all()

    def messages_to(self, address: str) -> list[Received]:
        wanted = address.lower()
        with self._arrived:
            return [m for m in self._messages if wanted in (r.lower() for r in m.recipients)]

    def all(self) -> list[Received]:
        with self._arrived:
            return list(self._messages)

    def wait_for(self, address: str, *, count: int = 1, timeout: float = WAIT_S) -> list[Received]:
        """The first `count` messages to `address`, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                got = self.messages_to(address)
                if len(got) >= count:
                    return got[:count]
                left = deadline - time.monotonic()
                assert left > 0, f"{len(got)} of {count} messages to {address} after {timeout} s"
                self._arrived.wait(left)

    def invite_token(self, address: str, *, nth: int = 1) -> str:
        """The token of the `nth` invitation mailed to `address`."""
        return self.wait_for(address, count=nth)[nth - 1].invite_token


def invite_token_in_outbox(session: Session, address: str) -> str:
    """The token of the newest invitation recorded for `address` and not yet sent."""
    session.flush()
    body = session.scalars(
        select(MailMessage.body)
        .where(MailMessage.recipient == address, MailMessage.sent_time.is_(None))
        .order_by(MailMessage.create_time.desc())
        .limit(1)
    ).one()
    return invite_token_in(body)
