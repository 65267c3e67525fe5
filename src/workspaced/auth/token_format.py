"""Credential format: a prefix (`wsd_` personal access token, `wsk_` organization API key)
+ 34 random base62 characters + a 6-character base62 CRC32 checksum.

The checksum rejects typos without a database lookup and lets secret scanners match
tokens with few false positives (the same scheme GitHub uses for its tokens).
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

PREFIX = "wsd_"  # personal access token
API_KEY_PREFIX = "wsk_"  # organization API key
PREFIXES = (PREFIX, API_KEY_PREFIX)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 34
CHECKSUM_LENGTH = 6
TOKEN_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
_ALPHABET_SET = frozenset(ALPHABET)


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def generate(prefix: str = PREFIX) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return prefix + body + checksum(body)


def is_well_formed(token: str) -> bool:
    """True when `token` has a known prefix, the right length, alphabet and checksum."""
    if len(token) != TOKEN_LENGTH or not token.startswith(PREFIXES):
        return False
    rest = token[len(PREFIX) :]
    if not _ALPHABET_SET.issuperset(rest):
        return False
    return checksum(rest[:RANDOM_LENGTH]) == rest[RANDOM_LENGTH:]


def digest(secret: str) -> bytes:
    """What is stored and looked up: the SHA-256 of the whole token."""
    return hashlib.sha256(secret.encode("utf-8")).digest()
