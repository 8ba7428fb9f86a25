"""The required-tags rule sees tags where the provider puts them: tagsAll, or its default tags."""

from __future__ import annotations

import json

import pytest

from policy import rules
from policy.rules import ResourceContext
from tests.policy.conftest import context_of

UPLOAD = context_of("upload-dev")
TAGS = {"service": "upload", "env": "dev", "team": UPLOAD.team}
ACCOUNT = {"allowedAccountIds": json.dumps([UPLOAD.account])}


def check(props: dict[str, object], provider: dict[str, object]) -> list[str]:
    context = ResourceContext(name="q", stack=UPLOAD, provider=provider)
    return rules.required_tags(rules.QUEUE, props, context)


def test_tags_all_computed_by_the_provider_pass() -> None:
    assert check({"name": "q", "tagsAll": TAGS}, ACCOUNT) == []


@pytest.mark.parametrize("encode", [json.dumps, lambda value: value])
def test_provider_default_tags_count_when_tags_all_is_not_computed_yet(encode: object) -> None:
    # GIVEN a queue with no tags of its own, deployed by a provider with the default tags
    provider = {**ACCOUNT, "defaultTags": encode({"tags": TAGS})}  # type: ignore[operator]
    # WHEN / THEN the rule merges them as the provider will
    assert check({"name": "q"}, provider) == []


def test_a_provider_without_default_tags_leaves_the_queue_untagged() -> None:
    [message] = check({"name": "q"}, ACCOUNT)
    assert "missing tags service, env, team" in message and "default tags" in message


def test_a_resources_own_tag_overrides_the_default_and_is_reported() -> None:
    provider = {**ACCOUNT, "defaultTags": {"tags": TAGS}}
    [message] = check({"name": "q", "tags": {"team": "team-catalog"}}, provider)
    assert "team='team-catalog'" in message
