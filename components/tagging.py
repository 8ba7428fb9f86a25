"""Tags (service, env, team) on every taggable resource, through the provider's default tags.

The AWS provider merges ``default_tags`` into every resource that supports tags (its
``tagsAll``; a resource's own ``tags`` win), so no resource, component or transform declares
them, and a taggable type added later is tagged without anyone listing it.
"""

from __future__ import annotations

import pulumi_aws as aws

from services.contracts.catalogue import PLATFORM_TEAM, SERVICES


def required_tags(service: str, env: str) -> dict[str, str]:
    """The tags every resource of a service stack carries (policy pack checks these keys)."""
    return {
        "service": service,
        "env": env,
        "team": SERVICES[service].team if service in SERVICES else PLATFORM_TEAM,
        "managed-by": "pulumi",
        "project": "marketplace",
    }


def default_tags(service: str, env: str) -> aws.ProviderDefaultTagsArgs:
    """The deployment provider's ``default_tags``: the tags of ``required_tags``."""
    return aws.ProviderDefaultTagsArgs(tags=required_tags(service, env))
