"""One error body everywhere: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from calmdesk.desk.lib.access import NOT_FOUND_MESSAGE
from calmdesk.desk.lib.errors import ActionError

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _clean_validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = _clean_validation_errors(exc.errors)
        first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
        where = ".".join(p for p in first["loc"] if p not in {"body", "payload"})
        message = f"{where}: {first['msg']}" if where else str(first["msg"])
        return respond(request, 422, error_body("invalid_input", message, {"errors": errors}))

    @api.exception_handler(AuthenticationError)
    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else "Authentication required."
        response = respond(request, 401, error_body("not_authenticated", message))
        response["WWW-Authenticate"] = 'Bearer realm="calmdesk"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, str(exc.message)))

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # The same body for "absent" and "not yours": no existence leak.
        return respond(request, 404, error_body("not_found", NOT_FOUND_MESSAGE))

    @api.exception_handler(ActionError)
    def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, exc.message, exc.details))
