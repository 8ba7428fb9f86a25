"""Table and PrivateBucket alone: what the policy pack requires, and deletion protection."""

from __future__ import annotations

import json

import pulumi
import pytest

from components import aws_types
from components.bucket import PrivateBucket, PrivateBucketArgs
from components.context import ServiceContext
from components.table import Table, TableArgs
from local.program import Evaluation
from tests.components.harness import Builder, build, only
from tests.policy.conftest import context_of
from tools import audit


def table(indexes: tuple[str, ...] = (), stream: bool = False) -> Builder:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        Table("data", TableArgs(context, indexes=indexes, stream=stream), opts=opts)

    return builder


def bucket(served_by_cdn: bool = False) -> Builder:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        args = PrivateBucketArgs(context, "originals", served_by_cdn=served_by_cdn)
        PrivateBucket("originals", args, opts=opts)

    return builder


def bucket_findings(evaluation: Evaluation) -> list[str]:
    """What the audit's run of the pack reports under the S3 rules."""
    _, findings = audit.policy_findings(evaluation, context_of(evaluation.stack))
    return [f"{f.check}: {f.message}" for f in findings if f.check.startswith("s3-")]


def test_table_keys_indexes_and_stream() -> None:
    evaluation = build(table(indexes=("gsi1",), stream=True))
    resource = only(evaluation, aws_types.TABLE)
    names = sorted(a["name"] for a in resource.inputs["attributes"])
    assert names == ["gsi1pk", "gsi1sk", "pk", "sk"]
    [index] = resource.inputs["globalSecondaryIndexes"]
    assert index["name"] == "gsi1" and index["projectionType"] == "ALL"
    assert resource.inputs["streamViewType"] == "NEW_AND_OLD_IMAGES"
    assert resource.inputs["pointInTimeRecovery"] == {"enabled": True}


@pytest.mark.parametrize(("stack", "protected"), [("upload-dev", False), ("upload-prod", True)])
def test_table_and_bucket_deletion_protection_follows_the_environment(
    stack: str, protected: bool
) -> None:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        assert context.deletion_protection is protected
        table()(context, opts)
        bucket()(context, opts)

    evaluation = build(builder, stack=stack)
    assert only(evaluation, aws_types.TABLE).inputs.get("deletionProtectionEnabled", False) is (
        protected
    )
    assert only(evaluation, aws_types.BUCKET).inputs["forceDestroy"] is (not protected)


def test_private_bucket_passes_the_packs_bucket_rules_on_its_own() -> None:
    # GIVEN a bucket built alone
    evaluation = build(bucket())
    # THEN no S3 rule of the pack objects (the stack rule finds all three companions)
    assert bucket_findings(evaluation) == []
    # AND its policy denies requests without TLS on the bucket and its objects
    policy = json.loads(only(evaluation, aws_types.BUCKET_POLICY).inputs["policy"])
    [deny] = policy["Statement"]
    arn = only(evaluation, aws_types.BUCKET).outputs["arn"]
    assert deny["Effect"] == "Deny" and deny["Resource"] == [arn, f"{arn}/*"]


def test_bucket_served_by_a_cdn_leaves_its_policy_to_the_cdn() -> None:
    # GIVEN a bucket whose policy the CDN writes, built alone (without the CDN)
    evaluation = build(bucket(served_by_cdn=True))
    # THEN it has none yet, and the pack says a TLS-only policy is missing
    assert evaluation.of_type(aws_types.BUCKET_POLICY) == []
    assert any("TLS-only bucket policy" in m for m in bucket_findings(evaluation))
