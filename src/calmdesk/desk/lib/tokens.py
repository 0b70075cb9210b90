"""Random identifiers and secrets: API tokens, case references, attachment ids."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "cd_"  # noqa: S105 - a public marker, not a secret
# Case references avoid letters and digits that are easy to confuse (0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_api_token() -> str:
    """A fresh personal API token: ``cd_`` + 256 random bits; shown to its owner once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_api_token(raw: str) -> str:
    """What the database keeps of a token: the SHA-256 hex digest of the whole string."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_display_prefix(raw: str) -> str:
    return raw[:8]


def new_case_reference() -> str:
    """A short random case reference like ``CD-7K2M9Q`` (31^6 ≈ 8.9e8 values)."""
    return "CD-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def new_attachment_id() -> str:
    """128 random bits as 32 hex digits: attachment ids cannot be guessed."""
    return secrets.token_hex(16)
