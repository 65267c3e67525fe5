"""The email that carries an invitation's secret to its invitee (SPEC §3 rule 2: the only
place the secret ever goes)."""

from __future__ import annotations

import json

SUBJECT = "You are invited to {workspace} ({organization})"

BODY = """\
Hello,

{inviter} invited you to the workspace "{workspace}" of the organization "{organization}"
as {role}. The invitation is valid until {expire_time}.

To accept in your browser, signed in to your account or creating one, open

    {console_url}

Your invitation token (keep it to yourself: whoever holds it can accept):

    {token}

To accept through the API instead, send it to

    POST {accept_url}

with the body

    {body}

(add an Authorization header if you already have an account; without one, the
display_name names the account created for you).

If you did not expect this invitation, ignore this message: nothing happens unless it is
accepted.
"""


def compose(
    *,
    public_url: str,
    inviter: str,
    workspace: str,
    organization: str,
    role: str,
    expire_time: str,
    token: str,
) -> tuple[str, str]:
    """Subject and body of the invitation email."""
    accept_url = public_url.rstrip("/") + "/api/v1/invites:accept"
    # The admin console's page for it (the token is URL-safe: base64url).
    console_url = public_url.rstrip("/") + "/console/invitations/accept?token=" + token
    body = json.dumps({"invite_token": token, "display_name": "Your Name"})
    subject = SUBJECT.format(workspace=workspace, organization=organization)
    text = BODY.format(
        inviter=inviter,
        workspace=workspace,
        organization=organization,
        role=role,
        expire_time=expire_time,
        token=token,
        accept_url=accept_url,
        console_url=console_url,
        body=body,
    )
    return subject, text
