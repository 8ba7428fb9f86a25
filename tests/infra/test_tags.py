"""Tags are declared once, as the deployment provider's default tags, and reach every resource."""

from __future__ import annotations

import json

import pytest

from components.tagging import required_tags
from local.provider_check import PROVIDER_TYPE, taggable
from tests.infra.conftest import STACKS, evaluated


@pytest.mark.parametrize("stack", STACKS)
def test_provider_default_tags_are_the_stacks_required_tags(stack: str) -> None:
    # GIVEN the stack's one AWS provider
    service, env = stack.split("-")
    (provider,) = [r for r in evaluated(stack).resources if r.type == PROVIDER_TYPE]
    # THEN its default tags are the service's, env's and team's
    assert json.loads(provider.inputs["defaultTags"]) == {"tags": required_tags(service, env)}


@pytest.mark.parametrize("stack", STACKS)
def test_every_taggable_resource_carries_the_tags_and_declares_none_itself(stack: str) -> None:
    # GIVEN every resource of a type the AWS provider tags
    service, env = stack.split("-")
    taggable_resources = [r for r in evaluated(stack).resources if taggable(r.type)]
    assert taggable_resources
    for resource in taggable_resources:
        # THEN it carries the required tags (as the provider's Check computes them)
        assert resource.inputs.get("tagsAll") == required_tags(service, env), resource.urn
        # AND no resource declares them again
        assert "tags" not in resource.inputs, resource.urn
