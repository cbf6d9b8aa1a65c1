"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}.

Services raise ApplicationError; DRF's own exceptions and anything unexpected are
rendered here too, so a client never sees another shape.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from portal.retries import DATABASE_ERRORS
from portal.uploads import FileTooLarge

logger = logging.getLogger(__name__)

_STATUS_BY_CODE = {
    "validation_error": status.HTTP_400_BAD_REQUEST,
    "not_authenticated": status.HTTP_401_UNAUTHORIZED,
    "permission_denied": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
    "payment_declined": status.HTTP_402_PAYMENT_REQUIRED,
    "payload_too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "throttled": status.HTTP_429_TOO_MANY_REQUESTS,
    "billing_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "service_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
}


class ApplicationError(Exception):
    """A business rule said no. `code` is part of the API contract; other codes are 409s."""

    def __init__(
        self,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        *,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields
        # Seconds a `throttled` client should wait: sent as the Retry-After header.
        self.retry_after = retry_after

    @property
    def status_code(self) -> int:
        return _STATUS_BY_CODE.get(self.code, status.HTTP_409_CONFLICT)


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def service_unavailable_message() -> str:
    """What a customer reads while the database cannot be reached (portal.outages)."""
    return _("The service is unavailable for a moment. Please try again shortly.")


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _validation_fields(detail: Any) -> tuple[str, dict[str, list[str]]]:
    if not isinstance(detail, dict):
        messages = _flatten(detail)
        return (messages[0] if messages else _("The request is not valid.")), {}
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for name, value in detail.items():
        if name in ("non_field_errors", "__all__"):
            general.extend(_flatten(value))
        else:
            fields[name] = _flatten(value)
    if general:
        return general[0], fields
    return _("Some fields need attention."), fields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        body = error_body(exc.code, exc.message, exc.fields)
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, FileTooLarge):
        fields = {exc.field_name: [exc.message]}
        return Response(error_body("validation_error", exc.message, fields), status=400)
    if isinstance(exc, RequestDataTooBig):
        message = _("The request body is too large.")
        return Response(error_body("payload_too_large", message), status=413)
    if isinstance(exc, SuspiciousOperation):
        # Django's own refusals of a request (too many fields, a broken multipart body):
        # its pages answer them with a 400, and so does the API.
        return Response(error_body("validation_error", _("The request is not valid.")), status=400)
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _validation_fields(exc.detail)
        return Response(error_body("validation_error", message, fields), status=400)
    if isinstance(exc, exceptions.ParseError):
        return Response(error_body("validation_error", str(exc.detail)), status=400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        code, message = "not_authenticated", str(_flatten(exc.detail)[0])
        request = context.get("request")
        view = context.get("view")
        if request is not None and view is not None:
            header = view.get_authenticate_header(request)
            if header:
                headers["WWW-Authenticate"] = header
        return Response(error_body(code, message), status=401, headers=headers)
    if isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        # Every 429 says when to come back (at least a second).
        headers["Retry-After"] = str(max(1, math.ceil(wait or 1)))
        message = _("Too many attempts. Try again later.")
        return Response(error_body("throttled", message), status=429, headers=headers)
    if isinstance(exc, exceptions.APIException):
        code_by_class = {
            exceptions.PermissionDenied: "permission_denied",
            exceptions.NotFound: "not_found",
            exceptions.MethodNotAllowed: "method_not_allowed",
            exceptions.NotAcceptable: "not_acceptable",
            exceptions.UnsupportedMediaType: "unsupported_media_type",
        }
        code = code_by_class.get(type(exc), getattr(exc, "default_code", "error"))
        if isinstance(exc, exceptions.NotFound):
            message = _("Not found.")
        else:
            message = str(_flatten(exc.detail)[0])
        return Response(error_body(code, message), status=exc.status_code)

    if isinstance(exc, DATABASE_ERRORS):
        # The database went away (a restart, a failover, refused connections): a 503 that
        # says to try again, never a 500 (API.md "Third wave").
        logger.error("Database unavailable in API view: %s", exc)
        body = error_body("service_unavailable", service_unavailable_message())
        return Response(body, status=503)
    logger.exception("Unhandled error in API view", exc_info=exc)
    return Response(
        error_body("server_error", _("Something went wrong on our side. Please try again.")),
        status=500,
    )


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    body = error_body("server_error", _("Something went wrong on our side. Please try again."))
    return JsonResponse(body, status=500)
