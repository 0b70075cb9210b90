"""A loopback HTTP server that stands in for a helpdesk's API (or any outbound target), and a
small world: one organization with a team, a supervisor and one connector account per
product whose base URL is that server."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from calmdesk.connectors.models import ConnectorAccount
from calmdesk.desk.actions.organizations import do_create_organization, do_create_team
from calmdesk.desk.actions.users import do_create_user
from calmdesk.desk.models import Organization, Team, User

FIXTURES = Path(__file__).parent / "fixtures"
PRODUCTS = ("zendesk", "freshdesk", "zammad", "chatwoot")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads(fixture(name))


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Reply:
    status: int = 201
    body: bytes = b'{"id": 777}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeAPI:
    """Records every request; answers from ``script`` (first in, first out), then with
    ``default``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.script: list[Reply] = []
        self.default = Reply()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                api.requests.append(
                    Recorded(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
                )
                reply = api.script.pop(0) if api.script else api.default
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout tests)
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    server = FakeAPI()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CALMDESK_CONNECTOR_HTTP_RETRIES = 1
    settings.CALMDESK_CONNECTOR_HTTP_BACKOFF = 0.01
    settings.CALMDESK_CONNECTOR_READ_TIMEOUT = 5


SECRETS = {
    "zendesk": "zd-signing-secret-1",
    "freshdesk": "fd-shared-secret-1",
    "zammad": "zm-hmac-token-1",
    "chatwoot": "cw-webhook-secret-1",
}
TOKENS = {
    "zendesk": "zd-api-token",
    "freshdesk": "fd-api-key",
    "zammad": "zm-access-token",
    "chatwoot": "cw-access-token",
}


@dataclass
class World:
    org: Organization
    team: Team
    supervisor: User
    other_org: Organization
    other_team: Team
    accounts: dict[str, ConnectorAccount]
    tokens: dict[str, str]

    def url(self, product: str) -> str:
        return f"/connectors/{product}/{self.tokens[product]}/"


@pytest.fixture
def world(db: Any, api: FakeAPI) -> World:
    org = do_create_organization("Harbor Housing", slug="harbor")
    team = do_create_team(None, org, "Tenant desk", slug="tenants")
    supervisor = do_create_user(
        None,
        username="sup",
        password=None,
        organization=org,
        team=team,
        role="supervisor",
        email="sup@harbor.test",
    )
    other_org = do_create_organization("Elsewhere Ltd", slug="elsewhere")
    other_team = do_create_team(None, other_org, "Other desk", slug="other")
    accounts = {}
    tokens = {}
    for product in PRODUCTS:
        account = ConnectorAccount.objects.create(
            organization=org,
            team=team,
            product=product,
            name=f"Harbor {product}",
            base_url=api.url,
            api_user="agent@harbor.test" if product == "zendesk" else "",
            api_token=TOKENS[product],
            webhook_secret=SECRETS[product],
            external_account_id="7" if product == "chatwoot" else "",
            allow_private_network=True,  # the stand-in API listens on loopback
        )
        accounts[product] = account
        tokens[product] = account.set_receiver_token()
    return World(org, team, supervisor, other_org, other_team, accounts, tokens)


def sign(
    product: str, body: bytes, secret: str | None = None, *, when: float | None = None
) -> dict[str, str]:
    """The headers the product sends with ``body`` (as HTTP_* keys for the test client)."""
    secret = SECRETS[product] if secret is None else secret
    now = time.time() if when is None else when
    if product == "zendesk":
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        mac = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return {
            "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": base64.b64encode(mac).decode(),
            "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": stamp,
            "HTTP_X_ZENDESK_WEBHOOK_ID": "01JCALWEBHOOK0000000000000",
        }
    if product == "freshdesk":
        return {"HTTP_X_CALMDESK_SECRET": secret}
    if product == "zammad":
        digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        return {
            "HTTP_X_HUB_SIGNATURE": f"sha1={digest}",
            "HTTP_X_ZAMMAD_TRIGGER": "calmdesk",
            "HTTP_X_ZAMMAD_DELIVERY": "d3b07384-d9a0-4c9b-8f1e-1a2b3c4d5e6f",
        }
    if product == "chatwoot":
        stamp = str(int(now))
        digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        return {
            "HTTP_X_CHATWOOT_SIGNATURE": f"sha256={digest.hexdigest()}",
            "HTTP_X_CHATWOOT_TIMESTAMP": stamp,
            "HTTP_X_CHATWOOT_DELIVERY": "5f0c2d1e-8f7a-4b3c-9d2e-1f0a9b8c7d6e",
        }
    raise AssertionError(product)
