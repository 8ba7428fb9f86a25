"""What the AWS provider's Check adds to a resource's inputs, for runs without the provider.

Under Pulumi's mocks no provider runs, so nothing merges the provider's ``defaultTags`` into
the resources. The real provider does it in Check, as ``tagsAll`` (its default tags overlaid
with the resource's own ``tags``) on every resource type that supports tags, and policies and
the deploy see it there. This module does the same, so the policy rules, the audit and the
local environment (which tags what it creates from ``tagsAll``) see what a real preview sees.
"""

from __future__ import annotations

import functools
import importlib
import json
import keyword
from collections.abc import Mapping
from typing import Any

PROVIDER_TYPE = "pulumi:providers:aws"


def provider_default_tags(provider_inputs: Mapping[str, Any]) -> dict[str, str]:
    """The ``defaultTags.tags`` of an AWS provider's inputs (they arrive JSON-encoded)."""
    value = provider_inputs.get("defaultTags")
    if isinstance(value, str):
        value = json.loads(value)
    return dict((value or {}).get("tags") or {})


@functools.cache
def taggable(type_token: str) -> bool:
    """Whether the provider tags resources of ``type_token`` (its SDK class has ``tags_all``)."""
    package, module_and_resource, class_name = [*type_token.split(":"), "", ""][:3]
    if package != "aws" or not class_name:
        return False
    module = module_and_resource.split("/")[0]
    module = f"{module}_" if keyword.iskeyword(module) else module
    try:
        resource_class = getattr(importlib.import_module(f"pulumi_aws.{module}"), class_name)
    except (ImportError, AttributeError):
        return False
    return isinstance(getattr(resource_class, "tags_all", None), property)


def checked_inputs(
    type_token: str, inputs: Mapping[str, Any], default_tags: Mapping[str, str]
) -> dict[str, Any]:
    """``inputs`` as the provider's Check returns them: with ``tagsAll`` where taggable."""
    if not default_tags or not taggable(type_token):
        return dict(inputs)
    own = inputs.get("tags") or {}
    return {**inputs, "tagsAll": {**default_tags, **own}}
