"""IAM policy documents built from typed statements, so every grant is explicit and reviewable.

Statements name their actions one by one: no ``*`` or ``service:*`` actions anywhere (the
tests and the policy pack check it). Resource ``*`` is allowed only for the few actions AWS
gives no resource-level permissions for (``RESOURCELESS_ACTIONS``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.aws_types import ROLE

RESOURCELESS_ACTIONS = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "rekognition:DetectLabels",
        "rekognition:DetectModerationLabels",
        "dynamodb:ListStreams",
    }
)
"""Actions without resource-level permissions: the only ones that may use resource ``*``."""


@dataclass(frozen=True)
class Statement:
    """One Allow (or Deny) statement: explicit actions on explicit resources."""

    actions: tuple[str, ...]
    resources: tuple[pulumi.Input[str], ...]
    effect: str = "Allow"
    conditions: dict[str, Any] = field(default_factory=dict)
    principals: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for action in self.actions:
            if self.effect == "Allow" and (action == "*" or action.endswith(":*")):
                raise ValueError(f"statement action {action!r} is a wildcard; name the actions")
        if (
            self.effect == "Allow"
            and "*" in self.resources
            and not set(self.actions) <= RESOURCELESS_ACTIONS
        ):
            raise ValueError(
                f"resource '*' is only allowed for {sorted(RESOURCELESS_ACTIONS)}, "
                f"not {list(self.actions)}"
            )


def policy_document(statements: list[Statement]) -> pulumi.Output[str]:
    """The JSON policy document of ``statements``; Outputs anywhere inside are resolved."""
    document = {"Version": "2012-10-17", "Statement": [_statement_json(s) for s in statements]}
    return pulumi.Output.from_input(document).apply(lambda d: json.dumps(d, sort_keys=True))


def _statement_json(statement: Statement) -> dict[str, Any]:
    resources = list(statement.resources)
    body: dict[str, Any] = {
        "Effect": statement.effect,
        "Action": sorted(statement.actions),
        "Resource": resources[0] if len(resources) == 1 else resources,
    }
    if statement.principals is not None:
        body["Principal"] = statement.principals
    if statement.conditions:
        body["Condition"] = statement.conditions
    return body


def deny_insecure_transport(
    resources: tuple[pulumi.Input[str], ...], actions: tuple[str, ...]
) -> Statement:
    """TLS-only: deny any request to ``resources`` made without TLS."""
    return Statement(
        effect="Deny",
        actions=actions,
        resources=resources,
        principals={"AWS": "*"},
        conditions={"Bool": {"aws:SecureTransport": "false"}},
    )


def assume_role_policy(service_principal: str, account: str) -> str:
    """Trust policy for an AWS service, limited to calls on behalf of ``account``."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service_principal},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            ],
        },
        sort_keys=True,
    )


def stable_json(value: object) -> str:
    """JSON with sorted keys, so re-evaluations produce identical documents (no diffs)."""
    return json.dumps(value, sort_keys=True)


def permissions_boundary(boundary_arn: str) -> pulumi.ResourceTransformation:
    """A stack transformation giving every IAM role the stack creates ``boundary_arn``.

    One transformation rather than an argument at every ``aws.iam.Role``: a role added
    later (by any component) cannot forget it, and the deploy role could not create it
    without it anyway (``iam:PermissionsBoundary`` condition, tools/deploy_role.py).
    """

    def transform(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != ROLE:
            return None
        props = {**args.props, "permissions_boundary": boundary_arn}
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transform
