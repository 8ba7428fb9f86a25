"""Users' e-mail preferences: read and change one's own (JWT ``sub``), nobody else's.

``GET /preferences`` answers the caller's choices (every topic wanted until they choose, and
whether feedback suppressed their address); ``PUT /preferences`` changes the topics named in
the body. Unknown topics and non-boolean values are a 400 naming the field.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.common.http import caller_id, register_error_handlers
from services.notification.store import NotificationStore

TABLE_NAME = os.environ.get("TABLE_NAME", "")

logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)


@cache
def store() -> NotificationStore:
    """The table, made on first use so the OpenAPI document needs no AWS settings."""
    return NotificationStore(boto3.resource("dynamodb").Table(TABLE_NAME))


class PreferencesIn(BaseModel):
    """Body of ``PUT /preferences``: the topics to change (others keep their value)."""

    model_config = ConfigDict(extra="forbid")
    purchases: StrictBool | None = Field(None, description="E-mails about my purchases.")
    uploads: StrictBool | None = Field(None, description="E-mails about my uploads.")


class PreferencesOut(BaseModel):
    purchases: bool
    uploads: bool
    suppressed: bool = Field(description="True after a bounce or complaint: no e-mail is sent.")


@app.get("/preferences")
def get_preferences() -> PreferencesOut:
    return PreferencesOut(**store().preferences(caller_id(app)))


@app.put("/preferences")
def put_preferences(body: PreferencesIn) -> PreferencesOut:
    user = caller_id(app)
    wanted = body.model_dump(exclude_none=True)
    store().set_preferences(user, wanted, datetime.now(UTC).isoformat())
    logger.info("preferences changed", extra={"changed": sorted(wanted)})
    return PreferencesOut(**store().preferences(user))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
