"""Cursor pagination: stable under inserts, opaque to clients."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from calmdesk.desk.lib.errors import ActionError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
M = TypeVar("M", bound=Model)


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        tag, value = raw.split(":", 1)
        number = int(value)
        if tag != "v1" or not 0 <= number < 2**63:
            raise ValueError(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise ActionError(
            "The cursor is not valid; use next_cursor from the previous page.",
            code="invalid_cursor",
            details={"field": "cursor"},
        ) from exc
    return number


def paginate(
    queryset: QuerySet[M], *, key: str, descending: bool, cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """Keyset pagination on the unique integer column ``key``."""
    if cursor:
        bound = decode_cursor(cursor)
        lookup = f"{key}__lt" if descending else f"{key}__gt"
        queryset = queryset.filter(**{lookup: bound})
    queryset = queryset.order_by(f"-{key}" if descending else key)
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last: Any = rows[-1]
        next_cursor = encode_cursor(int(getattr(last, key)))
    return rows, next_cursor
