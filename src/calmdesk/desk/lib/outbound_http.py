"""The one client for all outbound HTTP (helpdesk connectors, and any later integration).

SSRF (THREATS.md): a URL given by a user (a connector's base URL) must not reach the
machine itself, the private network or a cloud metadata service.  So:

- the host is resolved once, and *every* address it resolves to is checked; one refused
  address refuses the request (a name that mixes public and private addresses is a trick);
- the connection goes to the checked address itself (the Host header and the TLS server name
  stay the host name), so a second DNS answer cannot swap in another address (DNS rebinding);
- refused: private, loopback, link-local, multicast, reserved, unspecified and other
  non-global addresses, IPv4 and IPv6, including IPv4 addresses embedded in IPv6
  (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, Teredo, NAT64 ``64:ff9b::/96``);
- ``allow_private=True`` (a connector's "allow private network" flag, for a self-hosted
  helpdesk on the LAN and for the loopback test servers) admits private and loopback
  addresses (and IPv6 unique-local ``fc00::/7``), never link-local (the metadata service
  169.254.169.254 lives there), multicast, reserved or unspecified ones;
- ``settings.CALMDESK_OUTBOUND_ALLOW`` lists networks (CIDR) that are admitted whatever
  they are: an explicit decision of the operator;
- redirects are never followed (a 3xx is an error), so a redirect cannot lead anywhere;
- connect and read timeouts, a response size cap, and retries with exponential backoff and
  jitter on connection errors, 429 (honouring Retry-After) and 5xx only.
"""

from __future__ import annotations

import email.utils
import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 15.0
DEFAULT_MAX_BYTES = 2 * 2**20
DEFAULT_RETRIES = 3  # retries after the first attempt
DEFAULT_BACKOFF = 0.5  # seconds; attempt n waits about BACKOFF * 2**n
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is not waited for here (the caller retries later)
USER_AGENT = "calmdesk-connector/1"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


# ---- errors --------------------------------------------------------------------------------


class OutboundError(Exception):
    """Any failure of an outbound request.  ``retryable``: worth trying again later."""

    retryable = False


class DestinationRefused(OutboundError):
    """The URL or the address it resolves to may not be contacted (SSRF guard)."""


class InvalidURL(DestinationRefused):
    """The URL is not an absolute http(s) URL with a host."""


class ConnectError(OutboundError):
    """DNS failure, refused connection, reset, TLS failure."""

    retryable = True


class OutboundTimeout(ConnectError):
    """Connecting or reading took longer than the timeout."""


class TLSError(OutboundError):
    """The server's certificate is not valid for the host name (not retried)."""


class ResponseTooLarge(OutboundError):
    """The response body is larger than the cap."""


class HTTPStatusError(OutboundError):
    """The server answered with a status that is not 2xx."""

    def __init__(self, status: int, body: bytes, retry_after: float | None = None) -> None:
        snippet = body[:300].decode("utf-8", "replace")
        super().__init__(f"HTTP {status}: {snippet}")
        self.status = status
        self.body = body
        self.retry_after = retry_after
        self.retryable = status == 429 or status >= 500


class RedirectRefused(HTTPStatusError):
    """The server answered with a redirect; redirects are never followed."""

    def __init__(self, status: int, body: bytes, location: str) -> None:
        super().__init__(status, body)
        self.args = (f"HTTP {status}: redirect to {location[:200]!r} not followed",)
        self.location = location
        self.retryable = False


# ---- addresses -----------------------------------------------------------------------------


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress, *, allow_private: bool = False) -> str:
    """Why ``ip`` may not be contacted ("" when it may)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            why = refusal(inner, allow_private=allow_private)
            return f"{why} (embedded in {ip})" if why else ""
        if ip.scope_id:
            return "scoped IPv6 address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_loopback:
        return "" if allow_private else "loopback address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "" if allow_private else "site-local address"
    if ip.is_private and not ip.is_reserved:
        # RFC 1918, fc00::/7, 100.64/10 is not "private" here but is caught below
        return "" if allow_private else "private address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:
        return "" if allow_private and _is_shared(ip) else "non-global address"
    return ""


def _is_shared(ip: IPAddress) -> bool:
    # 100.64.0.0/10 (carrier-grade NAT): neither global nor "private" for Python.
    return isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")


def _allow_list(extra: Iterable[str] | None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    items: list[str] = list(extra or [])
    try:
        from django.conf import settings

        items += list(getattr(settings, "CALMDESK_OUTBOUND_ALLOW", []) or [])
    except Exception:  # pragma: no cover - used without Django settings
        logger.debug("no Django settings: CALMDESK_OUTBOUND_ALLOW not read")
    nets = []
    for item in items:
        try:
            nets.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            logger.warning("CALMDESK_OUTBOUND_ALLOW: %r is not a network; ignored", item)
    return nets


def _resolve_host(host: str, port: int) -> list[str]:
    """All addresses of ``host`` (one DNS look-up)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in seen:
            seen.append(addr)
    return seen


# Replaceable in tests (the one place DNS is asked).
resolver: Callable[[str, int], list[str]] = _resolve_host


def check_destination(
    host: str,
    port: int,
    *,
    allow_private: bool = False,
    allow: Iterable[str] | None = None,
) -> IPAddress:
    """Resolve ``host`` once and return the address to connect to, or raise
    ``DestinationRefused`` when any address it resolves to is refused."""
    host = host.strip("[]")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            raw = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = []
        for item in raw:
            try:
                addresses.append(ipaddress.ip_address(item.split("%", 1)[0]))
            except ValueError as exc:
                raise DestinationRefused(f"{host!r} resolved to {item!r}") from exc
        if not addresses:
            raise ConnectError(f"{host!r} has no address")
    nets = _allow_list(allow)
    for ip in addresses:
        if any(ip.version == net.version and ip in net for net in nets):
            continue
        why = refusal(ip, allow_private=allow_private)
        if why:
            raise DestinationRefused(f"{host!r} resolves to {ip}: {why}; not contacted")
    return addresses[0]


# ---- connections ---------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a fixed address (the Host header stays the host name)."""

    def __init__(self, host: str, port: int, ip: str, connect_timeout: float, read_timeout: float):
        super().__init__(host, port, timeout=connect_timeout)
        self._ip = ip
        self._read_timeout = read_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), timeout=self.timeout)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed address; the certificate is checked for the host name."""

    def __init__(
        self,
        host: str,
        port: int,
        ip: str,
        connect_timeout: float,
        read_timeout: float,
        context: ssl.SSLContext,
    ):
        super().__init__(host, port, timeout=connect_timeout, context=context)
        self._ip = ip
        self._read_timeout = read_timeout
        self._ctx = context

    def connect(self) -> None:
        raw = socket.create_connection((self._ip, self.port), timeout=self.timeout)
        try:
            self.sock = self._ctx.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        self.sock.settimeout(self._read_timeout)


# ---- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    attempts: int = 1

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Policy:
    """Timeouts, retries and limits of one request."""

    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_bytes: int = DEFAULT_MAX_BYTES
    sleep: Callable[[float], None] = field(default=time.sleep)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_delay(attempt: int, base: float, *, cap: float = MAX_BACKOFF) -> float:
    """Exponential backoff with jitter: between half and all of ``base * 2**attempt``."""
    full = min(cap, base * float(2**attempt))
    return float(full * (0.5 + random.random() / 2))


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"not a valid URL: {url[:200]!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidURL(f"only absolute http(s) URLs may be contacted, not {url[:200]!r}")
    if parts.username or parts.password:
        raise InvalidURL("credentials in the URL are not accepted; use headers")
    host = parts.hostname
    if port is None:
        port = 443 if scheme == "https" else 80
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return scheme, host, port, target


def _once(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    *,
    allow_private: bool,
    policy: Policy,
    ssl_context: ssl.SSLContext | None,
) -> Response:
    scheme, host, port, target = _split(url)
    ip = check_destination(host, port, allow_private=allow_private)
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = _PinnedHTTPSConnection(
            host,
            port,
            str(ip),
            policy.connect_timeout,
            policy.read_timeout,
            ssl_context or ssl.create_default_context(),
        )
    else:
        conn = _PinnedHTTPConnection(
            host, port, str(ip), policy.connect_timeout, policy.read_timeout
        )
    try:
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            declared = resp.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise ResponseTooLarge(
                    f"response of {declared} bytes is over the cap of {policy.max_bytes}"
                )
            data = resp.read(policy.max_bytes + 1)
        except TimeoutError as exc:
            raise OutboundTimeout(f"{method} {host}:{port}: timed out") from exc
        except ssl.SSLCertVerificationError as exc:
            raise TLSError(f"{method} {host}:{port}: certificate not accepted: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectError(f"{method} {host}:{port}: {type(exc).__name__}: {exc}") from exc
        if len(data) > policy.max_bytes:
            raise ResponseTooLarge(f"response is over the cap of {policy.max_bytes} bytes")
        found = {k.lower(): v for k, v in resp.getheaders()}
        status = resp.status
    finally:
        conn.close()
    if 300 <= status < 400:
        raise RedirectRefused(status, data, found.get("location", ""))
    if not 200 <= status < 300:
        raise HTTPStatusError(status, data, _retry_after(found.get("retry-after")))
    return Response(status, found, data, url)


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
    allow_private: bool = False,
    policy: Policy | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Response:
    """Send one request (with retries) and return the 2xx response, or raise an
    ``OutboundError``: ``DestinationRefused`` (never retried), ``HTTPStatusError`` (the last
    status; 429 and 5xx are retried first), ``ConnectError``/``OutboundTimeout`` (retried),
    ``ResponseTooLarge``."""
    policy = policy or Policy()
    sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    sent_headers.update(headers or {})
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        sent_headers.setdefault("Content-Type", "application/json; charset=utf-8")
    for name, value in sent_headers.items():
        if any(c in name + value for c in "\r\n\0"):
            raise OutboundError(f"header {name!r} contains a line break or NUL")
    attempt = 0
    while True:
        try:
            response = _once(
                method.upper(),
                url,
                sent_headers,
                body,
                allow_private=allow_private,
                policy=policy,
                ssl_context=ssl_context,
            )
        except OutboundError as exc:
            if not exc.retryable or attempt >= policy.retries:
                raise
            delay = backoff_delay(attempt, policy.backoff)
            wait = getattr(exc, "retry_after", None)
            if wait is not None:
                if wait > MAX_RETRY_AFTER:
                    raise
                delay = max(delay, wait)
            logger.info("outbound %s %s failed (%s); retry in %.2fs", method, url, exc, delay)
            policy.sleep(delay)
            attempt += 1
            continue
        return Response(response.status, response.headers, response.body, url, attempt + 1)
