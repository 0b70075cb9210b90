"""Per-user language and security headers (see DESK_CONTRACT.md)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


# Browser languages Django would send to English: Croatian, Bosnian, Montenegrin and the old
# Serbo-Croatian tag read Serbian in Latin script best; "iw" is the old code for Hebrew.
BROWSER_LANGUAGE_ALIASES = {
    "hr": "sr-latn",
    "bs": "sr-latn",
    "sh": "sr-latn",
    "cnr": "sr-latn",
    "iw": "he",
}


def browser_language_alias(accept_language: str) -> str:
    """The UI language for a browser whose first choice Django cannot serve, else ""."""
    best = ""
    best_q = -1.0
    for index, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        # keep the earliest of equal weights
        if quality > best_q or (quality == best_q and index == 0):
            best, best_q = tag.strip().lower(), quality
    primary = best.split("-")[0]
    if primary == "sr" and "latn" in best.split("-"):
        return "sr-latn"
    return BROWSER_LANGUAGE_ALIASES.get(primary, "")


class UserLanguageMiddleware:
    """Use the logged-in user's preferred language unless the person chose one explicitly
    (language cookie) for this browser.  Runs before LocaleMiddleware, which honours the
    cookie; here we set it for the request when it is absent.  Without a preference, a
    browser asking first for Croatian or Bosnian gets Serbian Latin, not English."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie_name = settings.LANGUAGE_COOKIE_NAME
        if cookie_name not in request.COOKIES:
            language = self._preferred(request) or browser_language_alias(
                request.META.get("HTTP_ACCEPT_LANGUAGE", "")
            )
            if language and translation.check_for_language(language):
                # LocaleMiddleware reads the cookie; a request-local value is enough.
                request.COOKIES[cookie_name] = language
        return self.get_response(request)

    @staticmethod
    def _preferred(request: HttpRequest) -> str:
        # AuthenticationMiddleware has not run yet: resolve the user from the session lazily.
        session = getattr(request, "session", None)
        if session is None or not session.get("_auth_user_id"):
            return ""
        from django.contrib.auth import get_user

        user = get_user(request)
        # AuthenticationMiddleware reuses this instead of loading the user a second time.
        request._cached_user = user  # type: ignore[attr-defined]
        if not user.is_authenticated:
            return ""
        return str(getattr(user, "preferred_language", "") or "")


class SecurityHeadersMiddleware:
    """CSP without 'unsafe-inline' for scripts, and no caching of authenticated pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        if authenticated or getattr(request, "auth", None) is not None:
            response["Cache-Control"] = "private, no-store"
            vary = response.get("Vary", "")
            if "Cookie" not in vary:
                response["Vary"] = f"{vary}, Cookie" if vary else "Cookie"
        return response
