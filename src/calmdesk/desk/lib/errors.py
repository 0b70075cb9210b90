"""Errors that actions raise for bad requests; the API turns them into 4xx error bodies."""

from __future__ import annotations

from typing import Any


class ActionError(Exception):
    """A write was refused: the input breaks a rule (422), or the user may not do it (403)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 422,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}


class Forbidden(ActionError):
    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, code="forbidden", status=403, details=details)
