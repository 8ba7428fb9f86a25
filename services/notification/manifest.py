"""The notification service, declared once: functions, sizing, access, routes, table."""

from __future__ import annotations

from services.contracts.manifest import (
    TABLE_WRITE,
    FunctionSpec,
    Route,
    ServiceManifest,
    Sizing,
)

SEND_MAIL = "mail:send"
"""Access: send e-mail from the configured sender through the configuration set."""
LOOKUP_ADDRESS = "identity:lookup"
"""Access: assume the identity account's lookup role (cognito-idp:AdminGetUser, one pool)."""

MANIFEST = ServiceManifest(
    name="notification",
    functions=(
        FunctionSpec(
            purpose="api",
            handler="services.notification.api.lambda_handler",
            access=(TABLE_WRITE,),
        ),
        FunctionSpec(
            purpose="sender",
            handler="services.notification.sender.lambda_handler",
            trigger="SQS queues subscribed to upload's and purchase's outcome events",
            environment=(
                "MAIL_SENDER",
                "MAIL_CONFIGURATION_SET",
                "WEB_ORIGIN",
                "USER_POOL_ID",
                "USER_POOL_REGION",
                "LOOKUP_ROLE_ARN",
            ),
            sizing=Sizing(timeout_seconds=30),
            access=(TABLE_WRITE, SEND_MAIL, LOOKUP_ADDRESS),
        ),
        FunctionSpec(
            purpose="feedback",
            handler="services.notification.feedback.lambda_handler",
            trigger="SQS queue subscribed to the SES configuration set's feedback topic "
            "(bounces and complaints)",
            access=(TABLE_WRITE,),
        ),
    ),
    routes=(
        Route("GET", "/preferences", "api"),
        Route("PUT", "/preferences", "api"),
    ),
)
