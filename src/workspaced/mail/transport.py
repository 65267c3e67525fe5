"""How a message leaves the process: `WORKSPACED_SMTP_URL` names the transport.

- `log:` (the default): the development mailer. Messages are written to the server's log,
  logger `workspaced.mail`, at WARNING. They carry invitation secrets, which must never
  appear at info level (SPEC §3 rule 2): WARNING makes them stand out as what they are, a
  development convenience, and is also what Python prints without any log configuration
  (so `workspaced serve` shows them on stderr).
- `smtp://host[:port]` (port 25): plain SMTP, for a relay on a trusted network. It takes
  no credentials: a password would cross the network in the clear.
- `smtp+starttls://[user:password@]host[:port]` (port 587): SMTP upgraded with STARTTLS.
- `smtps://[user:password@]host[:port]` (port 465): SMTP over TLS from the first byte.

User and password are percent-decoded (`p%40ss` is `p@ss`). TLS verifies the server's
certificate against the system's trust store.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

logger = logging.getLogger("workspaced.mail")

SMTP_TIMEOUT_S = 30.0
Security = Literal["none", "starttls", "tls"]
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand the message over, or raise (the outbox then retries it later)."""
        ...

    def describe(self) -> str:
        """What the transport is, for logs (never a password)."""
        ...


class PermanentFailure(Exception):
    """The server refused the message for good (every recipient refused with a 5xx): it
    is not retried."""


@dataclass(frozen=True)
class LogTransport:
    """The development mailer: each message goes to the log instead of a mail server."""

    def send(self, message: EmailMessage) -> None:
        logger.warning(
            "development mailer (WORKSPACED_SMTP_URL=log:), not sent: "
            "message to %s, subject %r\n%s",
            message["To"],
            message["Subject"],
            message.get_content(),
        )

    def describe(self) -> str:
        return "log: (development mailer: messages are written to the server log)"


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_TIMEOUT_S

    def send(self, message: EmailMessage) -> None:
        # One connection per message: invitations are few, and a connection that lives no
        # longer than one message never meets a server's idle timeout.
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.security == "tls":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username is not None:
                client.login(self.username, self.password or "")
            try:
                client.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if codes and all(500 <= code < 600 for code in codes):
                    raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
                raise

    def describe(self) -> str:
        scheme = next(name for name, (security, _) in _SCHEMES.items() if security == self.security)
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def _redacted(url: str) -> str:
    """The URL as it may be shown in an error: without its password."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostport}{slash}{tail}"


def parse_smtp_url(url: str) -> Transport:
    """The transport `url` names; ValueError with a message an operator can act on."""
    value = url.strip()
    if value.lower() in ("log:", "log://"):
        return LogTransport()

    def bad(reason: str) -> ValueError:
        return ValueError(
            f"invalid WORKSPACED_SMTP_URL {_redacted(value)!r}: {reason} "
            "(expected log:, smtp://host:port, smtp+starttls://user:password@host:587 "
            "or smtps://user:password@host:465)"
        )

    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise bad(f"unknown scheme {parts.scheme!r}" if parts.scheme else "no scheme")
    security, default_port = _SCHEMES[scheme]
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise bad("no path, query or fragment is allowed")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a port that is not a number in 0-65535
        raise bad(str(exc)) from None
    if not host:
        raise bad("no host")
    if port == 0:
        raise bad("port 0")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if username == "":
        raise bad("empty user name")
    if security == "none" and username is not None:
        raise bad(
            "smtp:// sends credentials in the clear: use smtp+starttls:// or smtps:// with them"
        )
    if password is not None and username is None:
        raise bad("a password without a user name")
    return SmtpTransport(host, port or default_port, security, username, password)
