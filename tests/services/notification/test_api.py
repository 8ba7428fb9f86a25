"""Preferences API: each user reads and changes only their own; bad input is a 400."""

from __future__ import annotations

import json
from typing import Any

from tests.services.factories import LambdaContext, http_event
from tests.services.notification.conftest import NotificationEnv


def call(env: NotificationEnv, method: str, sub: str | None, body: Any = None) -> tuple[int, Any]:
    raw = env.api.lambda_handler(
        http_event(method, "/preferences", body=body, sub=sub), LambdaContext()
    )
    return raw["statusCode"], json.loads(raw["body"])


def test_api_a_new_user_gets_every_email(notification: NotificationEnv) -> None:
    assert call(notification, "GET", "alice") == (
        200,
        {"purchases": True, "uploads": True, "suppressed": False},
    )


def test_api_put_changes_only_the_named_topic_of_the_caller(notification: NotificationEnv) -> None:
    # WHEN alice opts out of upload e-mails
    status, body = call(notification, "PUT", "alice", {"uploads": False})
    # THEN her preferences say so, the other topic kept its value, and bob's are untouched
    assert (status, body) == (200, {"purchases": True, "uploads": False, "suppressed": False})
    assert call(notification, "GET", "alice")[1]["uploads"] is False
    assert call(notification, "GET", "bob")[1]["uploads"] is True
    # AND opting back in works
    assert call(notification, "PUT", "alice", {"uploads": True})[1]["uploads"] is True


def test_api_rejects_unknown_topics_and_non_booleans(notification: NotificationEnv) -> None:
    status, body = call(notification, "PUT", "alice", {"newsletter": False})
    assert status == 400 and "newsletter" in body["message"]
    status, body = call(notification, "PUT", "alice", {"uploads": "no"})
    assert status == 400 and "uploads" in body["message"]


def test_api_suppression_is_not_the_users_to_change(notification: NotificationEnv) -> None:
    status, body = call(notification, "PUT", "alice", {"suppressed": False})
    assert status == 400 and "suppressed" in body["message"]


def test_api_without_a_signed_in_user_is_401(notification: NotificationEnv) -> None:
    assert call(notification, "GET", None)[0] == 401
