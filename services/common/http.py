"""HTTP conventions shared by the services' APIs: domain errors, caller identity, correlation.

Domain code raises the small exceptions below; ``register_error_handlers`` maps them (and
Powertools' request validation errors) to 4xx JSON responses that name what is wrong, so bad
input never becomes a 5xx.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from services.common.headers import CORRELATION_HEADER as CORRELATION_HEADER


class DomainError(Exception):
    """Base of the errors a client can fix; ``status`` is the HTTP status it maps to."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST


class BadRequest(DomainError):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(DomainError):
    status = HTTPStatus.UNAUTHORIZED


class NotFound(DomainError):
    """Also used for other users' resources, so that ids do not leak (404, not 403)."""

    status = HTTPStatus.NOT_FOUND


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT


def error_response(status: HTTPStatus, message: str, **details: Any) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"message": message, **details},
    )


def describe_validation_error(error: RequestValidationError) -> str:
    """One readable line per invalid field, e.g. ``query.limit: Input should be ...``."""
    parts = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            parts.append("body: invalid JSON")
            continue
        loc = item.get("loc", ())
        location = ".".join(str(p) for p in loc if p != "body" or len(loc) == 1)
        parts.append(f"{location}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Map domain and validation errors to 4xx responses on ``app``."""

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        return error_response(error.status, str(error))

    @app.exception_handler(RequestValidationError)
    def _validation(error: RequestValidationError) -> Response:
        return error_response(HTTPStatus.BAD_REQUEST, describe_validation_error(error))


def caller_id(app: APIGatewayHttpResolver) -> str:
    """The authenticated user's id (JWT ``sub`` passed by the API's JWT authorizer)."""
    authorizer = app.current_event.request_context.authorizer
    claims = (authorizer.jwt_claim if authorizer else None) or {}
    subject = claims.get("sub")
    if not subject:
        raise Unauthorized("a signed-in user is required (no 'sub' claim in the token)")
    return str(subject)


def correlation_id(app: APIGatewayHttpResolver) -> str:
    """The caller's correlation id header, else the API Gateway request id."""
    event = app.current_event
    return event.headers.get(CORRELATION_HEADER) or event.request_context.request_id
