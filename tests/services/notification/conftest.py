"""Notification fixtures: the table, a Cognito pool with users, a verified SES sender, handlers.

One emulator and one import of the handler modules per test module (``notification_env``);
each test gets a fresh table, so records of one test never answer another's.
"""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.ses.models import ses_backends

from services.contracts import schemas
from services.contracts.envelope import Envelope, new_envelope
from services.contracts.publisher import check_event
from services.notification.store import NotificationStore
from tests.services.conftest import create_service_table
from tests.services.factories import ACCOUNT, REGION

SENDER = "no-reply@marketplace.test"
CONFIGURATION_SET = "marketplace-test-notification-mail"
WEB_ORIGIN = "https://app.marketplace.test"
LOOKUP_ROLE = "marketplace-notification-user-lookup"

ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
    "POWERTOOLS_SERVICE_NAME": "notification", "MARKETPLACE_ENV": "test",
    "TABLE_NAME": "placeholder", "MAIL_SENDER": SENDER,
    "MAIL_CONFIGURATION_SET": CONFIGURATION_SET, "WEB_ORIGIN": WEB_ORIGIN,
    "USER_POOL_REGION": REGION, "LOOKUP_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{LOOKUP_ROLE}",
}  # fmt: skip
"""What tests/services/conftest.py's ``aws`` fixture sets, plus notification's variables."""


@dataclass
class NotificationEnv:
    """One emulated notification service: table, user pool, and the handler modules."""

    table: Any
    pool_id: str
    sender: ModuleType
    api: ModuleType
    feedback: ModuleType

    @property
    def store(self) -> NotificationStore:
        return NotificationStore(self.table)

    def add_user(self, verified: bool = True) -> str:
        """A user whose username is their id (moto finds users by username only)."""
        user_id = str(uuid.uuid4())
        boto3.client("cognito-idp", region_name=REGION).admin_create_user(
            UserPoolId=self.pool_id,
            Username=user_id,
            UserAttributes=[
                {"Name": "email", "Value": f"{user_id[:8]}@example.com"},
                {"Name": "email_verified", "Value": "true" if verified else "false"},
            ],
            MessageAction="SUPPRESS",
        )
        return user_id

    @staticmethod
    def sent() -> list[Any]:
        """What SES accepted (moto keeps every sent message)."""
        return list(ses_backends[ACCOUNT][REGION].sent_messages)


@pytest.fixture(scope="module")
def notification_env() -> Iterator[NotificationEnv]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENVIRONMENT.items():
            patch.setenv(key, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            pool_id = boto3.client("cognito-idp", region_name=REGION).create_user_pool(
                PoolName="users"
            )["UserPool"]["Id"]
            patch.setenv("USER_POOL_ID", pool_id)
            boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
            table = create_service_table("marketplace-test-notification")
            yield NotificationEnv(
                table,
                pool_id,
                _load("services.notification.sender"),
                _load("services.notification.api"),
                _load("services.notification.feedback"),
            )


@pytest.fixture
def notification(
    notification_env: NotificationEnv, monkeypatch: pytest.MonkeyPatch
) -> NotificationEnv:
    """A fresh, empty table for one test, wired into every handler."""
    table = create_service_table(f"notification-{uuid.uuid4().hex[:8]}")
    store = NotificationStore(table)
    monkeypatch.setattr(notification_env.sender.sender, "store", store)
    monkeypatch.setattr(notification_env.feedback, "store", store)
    monkeypatch.setattr(notification_env.api, "store", lambda: store)
    ses_backends[ACCOUNT][REGION].sent_messages.clear()
    env = notification_env
    return NotificationEnv(table, env.pool_id, env.sender, env.api, env.feedback)


def _load(module: str) -> ModuleType:
    if module in sys.modules:
        return importlib.reload(sys.modules[module])
    return importlib.import_module(module)


def event(event_type: str, **changes: Any) -> Envelope:
    """A valid envelope of ``event_type`` (its schema's first example, changed)."""
    data = {**schemas.examples(event_type)[0], **changes}
    source = "purchase" if event_type.startswith("purchase.") else "upload"
    check_event(source, event_type, data)
    return new_envelope(event_type, source, data, "corr-test")
