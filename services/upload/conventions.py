"""What the upload service's two HTTP functions (photographers', admins') share: how the
correlation id is found for the logger, and the JWT scheme their OpenAPI documents name."""

from __future__ import annotations

from typing import Any

from services.common.http import CORRELATION_HEADER

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
