"""Where a write came from (IP address and user agent), recorded in the audit log."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.http import HttpRequest

_MAX_USER_AGENT = 500


def _clean(text: str, limit: int) -> str:
    # Control characters (CR/LF, ANSI escapes, U+2028/9) never reach the log verbatim.
    out = []
    for ch in text[:limit]:
        if ch.isprintable() and ch not in "\u2028\u2029":
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)[:limit]


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> RequestMeta:
        # REMOTE_ADDR only: forwarded-for headers are client-controlled unless a trusted proxy
        # rewrites REMOTE_ADDR (THREATS.md row 4: identity headers are never trusted).
        raw_ip = request.META.get("REMOTE_ADDR") or ""
        try:
            ip: str | None = str(ipaddress.ip_address(raw_ip))
        except ValueError:
            ip = None
        agent = _clean(str(request.META.get("HTTP_USER_AGENT", "")), _MAX_USER_AGENT)
        return cls(ip=ip, user_agent=agent)
