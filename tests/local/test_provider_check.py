"""The AWS provider's Check as emulated under mocks: tagsAll on exactly the taggable types."""

from __future__ import annotations

import pytest

from local.provider_check import checked_inputs, provider_default_tags, taggable

DEFAULTS = {"service": "upload", "env": "dev"}


@pytest.mark.parametrize(
    ("type_token", "expected"),
    [
        ("aws:sqs/queue:Queue", True),
        ("aws:lambda/function:Function", True),  # a module named after a Python keyword
        ("aws:iam/role:Role", True),
        ("aws:iam/rolePolicy:RolePolicy", False),  # AWS has no tags on inline policies
        ("aws:lambda/permission:Permission", False),
        ("aws:sqs/nope:Nope", False),
        ("pulumi:providers:aws", False),
        ("marketplace:services:UploadService", False),
    ],
)
def test_taggable_follows_the_provider_sdk(type_token: str, expected: bool) -> None:
    assert taggable(type_token) is expected


def test_checked_inputs_overlay_the_resources_own_tags_on_the_defaults() -> None:
    # GIVEN a queue with one tag of its own that also is a default tag
    inputs = {"name": "q", "tags": {"env": "mine", "extra": "x"}}
    # WHEN the provider checks it
    checked = checked_inputs("aws:sqs/queue:Queue", inputs, DEFAULTS)
    # THEN tagsAll has the defaults, the resource's own tags winning; tags is left as declared
    assert checked["tagsAll"] == {"service": "upload", "env": "mine", "extra": "x"}
    assert checked["tags"] == inputs["tags"]


def test_checked_inputs_leave_untaggable_types_and_providers_without_defaults_alone() -> None:
    assert "tagsAll" not in checked_inputs("aws:iam/rolePolicy:RolePolicy", {"a": 1}, DEFAULTS)
    assert "tagsAll" not in checked_inputs("aws:sqs/queue:Queue", {"a": 1}, {})


@pytest.mark.parametrize(
    "inputs",
    [
        {"defaultTags": '{"tags": {"service": "upload", "env": "dev"}}'},
        {"defaultTags": {"tags": DEFAULTS}},
    ],
)
def test_provider_default_tags_read_json_encoded_or_plain(inputs: dict[str, object]) -> None:
    assert provider_default_tags(inputs) == DEFAULTS
    assert provider_default_tags({}) == {}
