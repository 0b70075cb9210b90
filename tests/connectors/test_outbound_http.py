"""The outbound HTTP client: SSRF guard after DNS resolution, no second resolution, no
redirects, timeouts, retries with backoff on connection errors, 429 and 5xx only, size cap.
Against real loopback servers (http.server in a thread) and literal addresses."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from calmdesk.desk.lib import outbound_http as oh
from tests.connectors.conftest import FakeAPI, Reply


def fast(**kw: Any) -> oh.Policy:
    sleeps: list[float] = []
    policy = oh.Policy(retries=kw.pop("retries", 2), backoff=0.01, sleep=sleeps.append, **kw)
    policy.sleeps = sleeps  # type: ignore[attr-defined]
    return policy


REFUSED = [
    "127.0.0.1",
    "127.9.9.9",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]


def _url(addr: str, port: int = 80) -> str:
    host = f"[{addr}]" if ":" in addr else addr
    return f"http://{host}:{port}/x"


@pytest.mark.parametrize("addr", REFUSED)
def test_literal_private_and_special_addresses_are_refused(addr, monkeypatch):
    connects: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a))
    with pytest.raises(oh.DestinationRefused):
        oh.request("GET", _url(addr), policy=fast())
    assert connects == []  # refused before any connection


@pytest.mark.parametrize(
    "addr,allowed",
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("192.168.5.5", True),
        ("fd12:3456::1", True),
        ("::ffff:10.0.0.1", True),
        ("169.254.169.254", False),
        ("::ffff:169.254.169.254", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
    ],
)
def test_allow_private_admits_the_lan_but_never_metadata_or_special(addr, allowed):
    if allowed:
        assert oh.check_destination(addr, 80, allow_private=True) == ipaddress.ip_address(addr)
    else:
        with pytest.raises(oh.DestinationRefused):
            oh.check_destination(addr, 80, allow_private=True)


def test_public_addresses_pass_the_check():
    for addr in ("93.184.216.34", "2606:4700:4700::1111", "8.8.8.8"):
        assert str(oh.check_destination(addr, 443)) == addr


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return {"mixed.test": ["93.184.216.34", "10.0.0.7"], "meta.test": ["169.254.169.254"]}[host]

    monkeypatch.setattr(oh, "resolver", resolve)
    for host in ("mixed.test", "meta.test"):
        with pytest.raises(oh.DestinationRefused, match="not contacted"):
            oh.request("GET", f"http://{host}/", policy=fast())
    assert calls == ["mixed.test", "meta.test"]


def test_localhost_by_name_is_refused_after_real_resolution():
    with pytest.raises(oh.DestinationRefused, match="loopback"):
        oh.request("GET", "http://localhost:9/", policy=fast())


def test_connects_to_the_checked_address_without_a_second_lookup(monkeypatch, settings, api):
    """DNS rebinding: the first answer is checked and used; a second look-up would answer
    169.254.169.254, so it must never happen."""
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    monkeypatch.setattr(oh, "resolver", resolve)
    settings.CALMDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the operator allows this one host
    r = oh.request("GET", f"http://rebind.test:{api.port}/ok", policy=fast())
    assert r.status == 201 and r.json() == {"id": 777}
    assert calls == ["rebind.test"]
    assert api.requests[0].headers["Host"] == f"rebind.test:{api.port}"


def test_loopback_needs_an_explicit_allow(api):
    with pytest.raises(oh.DestinationRefused):
        oh.request("GET", f"{api.url}/x", policy=fast())
    assert api.requests == []
    r = oh.request(
        "POST", f"{api.url}/x?y=1", json_body={"a": "š"}, allow_private=True, policy=fast()
    )
    assert r.status == 201 and r.attempts == 1
    sent = api.requests[0]
    assert sent.method == "POST" and sent.path == "/x?y=1"
    assert sent.json() == {"a": "š"}
    assert sent.headers["Content-Type"].startswith("application/json")


def test_retries_5xx_with_growing_backoff_then_succeeds(api):
    api.script = [Reply(503, b"{}"), Reply(502, b"{}"), Reply(200, b'{"ok": true}')]
    policy = fast(retries=3)
    r = oh.request("GET", f"{api.url}/r", allow_private=True, policy=policy)
    assert r.status == 200 and r.attempts == 3 and len(api.requests) == 3
    s = policy.sleeps  # type: ignore[attr-defined]
    assert len(s) == 2 and 0.005 <= s[0] <= 0.01 and 0.01 <= s[1] <= 0.02


def test_gives_up_after_the_retries_with_the_last_status(api):
    api.default = Reply(500, b'{"error": "down"}')
    with pytest.raises(oh.HTTPStatusError) as info:
        oh.request("GET", f"{api.url}/r", allow_private=True, policy=fast(retries=2))
    assert info.value.status == 500 and info.value.retryable
    assert len(api.requests) == 3


def test_429_honours_retry_after(api):
    api.script = [Reply(429, b"{}", {"Retry-After": "2"}), Reply(200, b"{}")]
    policy = fast()
    r = oh.request("GET", f"{api.url}/r", allow_private=True, policy=policy)
    assert r.status == 200 and policy.sleeps == [2.0]  # type: ignore[attr-defined]


def test_a_retry_after_too_long_is_not_waited_for(api):
    api.default = Reply(429, b"{}", {"Retry-After": "3600"})
    with pytest.raises(oh.HTTPStatusError) as info:
        oh.request("GET", f"{api.url}/r", allow_private=True, policy=fast())
    assert info.value.retry_after == 3600.0 and len(api.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_4xx_are_not_retried(api, status):
    api.default = Reply(status, b'{"error": "no"}')
    with pytest.raises(oh.HTTPStatusError) as info:
        oh.request("GET", f"{api.url}/r", allow_private=True, policy=fast())
    assert info.value.status == status and not info.value.retryable
    assert len(api.requests) == 1


def test_redirects_are_never_followed(api):
    api.default = Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(oh.RedirectRefused, match="not followed"):
        oh.request("GET", f"{api.url}/r", allow_private=True, policy=fast())
    assert len(api.requests) == 1


def test_response_size_is_capped(api):
    api.default = Reply(200, b"x" * 5000)
    with pytest.raises(oh.ResponseTooLarge):
        oh.request("GET", f"{api.url}/big", allow_private=True, policy=fast(max_bytes=1000))


def test_read_timeout_is_enforced_and_retried(api):
    api.default = Reply(200, b"{}", delay=1.5)
    with pytest.raises(oh.OutboundTimeout):
        oh.request(
            "GET", f"{api.url}/slow", allow_private=True, policy=fast(read_timeout=0.2, retries=1)
        )
    assert len(api.requests) == 2


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    policy = fast(retries=2)
    with pytest.raises(oh.ConnectError):
        oh.request("GET", f"http://127.0.0.1:{port}/", allow_private=True, policy=policy)
    assert len(policy.sleeps) == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.test/",
        "gopher://127.0.0.1:70/",
        "http:///nohost",
        "//example.test/x",
        "http://user:pw@example.test/",
        "http://example.test:99999/",
    ],
)
def test_only_plain_http_urls(url):
    with pytest.raises(oh.InvalidURL):
        oh.request("GET", url, policy=fast())


def test_header_injection_is_refused(api):
    with pytest.raises(oh.OutboundError, match="line break"):
        oh.request(
            "GET", f"{api.url}/", headers={"X-A": "a\r\nX-B: b"}, allow_private=True, policy=fast()
        )
    assert api.requests == []


def test_backoff_grows_exponentially_with_jitter():
    for attempt in range(6):
        d = oh.backoff_delay(attempt, 1.0)
        full = min(oh.MAX_BACKOFF, 2**attempt)
        assert full / 2 <= d <= full


def test_unresolvable_names_are_connection_errors():
    with pytest.raises(oh.ConnectError):
        oh.check_destination("no-such-host.invalid", 80)


def test_fake_api_is_a_real_server(api: FakeAPI) -> None:
    with socket.create_connection(("127.0.0.1", api.port), timeout=2) as s:
        s.sendall(b"GET /raw HTTP/1.0\r\nHost: x\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.0 201")


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on loopback with a self-signed certificate for ``api.test``."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=api.test", "-addext", "subjectAltName=DNS:api.test",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))
    try:
        yield server.server_address[1], client_ctx, seen
    finally:
        server.shutdown()
        server.server_close()


def test_https_goes_to_the_checked_address_and_verifies_the_host_name(
    tls_server, monkeypatch, settings
):
    port, ctx, seen = tls_server
    monkeypatch.setattr(oh, "resolver", lambda host, p: ["127.0.0.1"])
    settings.CALMDESK_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    r = oh.request("GET", f"https://api.test:{port}/x", ssl_context=ctx, policy=fast())
    assert r.status == 200 and seen == [f"api.test:{port}"]
    # the same address under another name: the certificate does not match, not retried
    policy = fast()
    with pytest.raises(oh.TLSError):
        oh.request("GET", f"https://other.test:{port}/x", ssl_context=ctx, policy=policy)
    assert policy.sleeps == []  # type: ignore[attr-defined]
