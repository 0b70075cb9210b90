"""The REST API (django-ninja), mounted at /api/v1/.

OpenAPI 3.1 at /api/v1/openapi.json, interactive docs at /api/v1/docs.  Every endpoint needs
authentication: a bearer token (``Authorization: Bearer cd_…``) or the browser session with
CSRF.  Errors always look like ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from calmdesk.desk.api import cases, clients, interactions, meta, workflow
from calmdesk.desk.api.auth import BearerTokenAuth, SessionCsrfAuth
from calmdesk.desk.api.errors import install_error_handlers
from calmdesk.desk.api.parser import CleanJSONParser

api = NinjaAPI(
    title="calmdesk API",
    version="1",
    description=(
        "Clients, cases and the append-only interaction log of the calmdesk case desk. "
        "Authenticate with a personal API token (Authorization: Bearer cd_…) or a browser "
        "session (send X-CSRFToken on writes)."
    ),
    auth=[BearerTokenAuth(), SessionCsrfAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=CleanJSONParser(),
)
install_error_handlers(api)
api.add_router("", meta.router)
api.add_router("", clients.router)
api.add_router("", cases.router)
api.add_router("", interactions.router)
api.add_router("", workflow.router)

__all__ = ["api"]
