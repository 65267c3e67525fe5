"""workspaced's own mailer (SPEC §3.1): an outbox written in the caller's transaction, a
delivery worker that sends what the outbox holds, and the transports it sends through.

Invitation secrets reach their invitee only this way (SPEC §3 rule 2), so delivery is
part of the domain's promises: a message recorded with its invitation is neither lost
(a crash or an SMTP outage only delays it) nor, in the normal case, sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SMTP_URL = "log:"
DEFAULT_MAIL_FROM = "workspaced@localhost"


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes (`WORKSPACED_SMTP_URL`), whom it is from, and the base URL that
    links in it start with."""

    smtp_url: str = DEFAULT_SMTP_URL
    mail_from: str = DEFAULT_MAIL_FROM
    public_url: str = "http://127.0.0.1:8000"
