"""Invite tokens: `wsi_` + base64url(organization id (16 bytes) + 32 random bytes).

The organization id routes the hash lookup to its tenant (every query on `invites` is
scoped by organization); the 256 random bits are the secret. Only the SHA-256 of the
whole token is stored, and the token is shown once, at creation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import uuid

PREFIX = "wsi_"
RANDOM_BYTES = 32
_PAYLOAD_BYTES = 16 + RANDOM_BYTES
TOKEN_LENGTH = len(PREFIX) + 64  # base64url of 48 bytes, no padding
_SHAPE = re.compile(r"wsi_[A-Za-z0-9_-]{64}")


def generate(org_id: uuid.UUID) -> str:
    payload = org_id.bytes + secrets.token_bytes(RANDOM_BYTES)
    return PREFIX + base64.urlsafe_b64encode(payload).decode("ascii")


def organization_of(token: str) -> uuid.UUID | None:
    """The organization a well-formed token belongs to, or None for anything else."""
    if len(token) != TOKEN_LENGTH or not _SHAPE.fullmatch(token):
        return None
    try:
        payload = base64.urlsafe_b64decode(token[len(PREFIX) :].encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    if len(payload) != _PAYLOAD_BYTES:
        return None
    return uuid.UUID(bytes=payload[:16])


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()
