"""API authentication: bearer tokens for integrations, the Django session (with CSRF) for the
browser.  Unauthenticated requests get 401; a bad or revoked bearer token gets 401 at once
(it never falls through to the session); a session write without a CSRF token gets 403."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from calmdesk.desk.actions.tokens import touch_token
from calmdesk.desk.lib.tokens import TOKEN_PREFIX, hash_api_token
from calmdesk.desk.models import ApiToken

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise AuthenticationError(message="Invalid API token.")
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_api_token(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            raise AuthenticationError(message="Invalid API token.")
        touch_token(row)
        request.user = row.user
        return row.user


class SessionCsrfAuth(APIKeyCookie):
    """The logged-in browser user; unsafe methods must carry a valid CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return None


def request_user(request: HttpRequest) -> Any:
    """The authenticated user of an API request."""
    return request.auth  # type: ignore[attr-defined]
