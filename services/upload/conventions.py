"""What the upload service's two HTTP functions (photographers', admins') share: their
resolver (validation, OpenAPI with a JWT bearer, domain errors as 4xx) and how the
correlation id is found for the logger."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from services.common.http import CORRELATION_HEADER, register_error_handlers

CORRELATION_PATH = f'headers."{CORRELATION_HEADER}" || requestContext.requestId'
"""Same rule as ``services.common.http.correlation_id``, as a JMESPath for the Logger."""
JWT_SCHEME: Any = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "The identity provider's JWT",
}
"""OpenAPI's HTTPBearer as a plain mapping, validated into the model only when the document is
generated: importing the OpenAPI models here would cost every cold start ~100 ms."""


def http_app(title: str, description: str) -> APIGatewayHttpResolver:
    """A validating resolver whose OpenAPI document requires the JWT on every route."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.configure_openapi(
        title=title,
        version="1.0.0",
        description=description,
        security_schemes={"jwt": JWT_SCHEME},
        security=[{"jwt": []}],
    )
    register_error_handlers(app)
    return app
