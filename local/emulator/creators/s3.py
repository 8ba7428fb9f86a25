"""S3 buckets and their configuration resources (one per S3 sub-resource, as the provider has).

The bucket policy goes in without its TLS-only denies (``without_tls_only_denies``): the
emulator speaks plain HTTP on loopback and moto enforces bucket policies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from components import aws_types
from local import made_up
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, pascal, tag_list
from local.emulator.errors import UnknownResourceTypeError

PUBLIC_ACCESS_SETTINGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def s3_bucket(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    s3 = target.client("s3", account, region)
    bucket = inputs.get("bucket", args.name)
    params: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**params)
    if inputs.get("tagsAll"):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_list(inputs.get("tagsAll"))})
    return bucket, {
        "arn": made_up.bucket_arn(bucket),
        "bucket": bucket,
        "region": region,
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": made_up.bucket_regional_domain(bucket, region),
    }


def bucket_setting(method: str, settings: Callable[[Inputs], dict[str, Any]]) -> Creator:
    """A creator for a bucket sub-resource: one S3 ``method`` call on the bucket it names.

    ``settings`` turns the resource's inputs into the call's other parameters.
    """

    def create(
        target: Target, args: Args, inputs: Inputs, account: str, region: str
    ) -> tuple[str, Outputs]:
        s3 = target.client("s3", account, region)
        getattr(s3, method)(Bucket=inputs["bucket"], **settings(inputs))
        return inputs["bucket"], {}

    return create


def public_access_block(inputs: Inputs) -> dict[str, Any]:
    """The four public-access switches, each off unless the inputs turn it on."""
    config = {k[:1].upper() + k[1:]: bool(inputs.get(k)) for k in PUBLIC_ACCESS_SETTINGS}
    return {"PublicAccessBlockConfiguration": config}


def s3_policy(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    applied = without_tls_only_denies(inputs["policy"])
    if applied is not None:
        target.client("s3", account, region).put_bucket_policy(
            Bucket=inputs["bucket"], Policy=applied
        )
    return inputs["bucket"], {"appliedPolicy": applied or ""}


def notification_configuration(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A BucketNotification's queues/topics -> S3's NotificationConfiguration."""
    if inputs.get("lambdaFunctions"):
        raise UnknownResourceTypeError(
            "aws:s3/bucketNotification:BucketNotification with lambdaFunctions targets: the "
            "local environment delivers S3 notifications through SQS only"
        )

    def entry(target: Mapping[str, Any], arn_key: str, arn_field: str) -> dict[str, Any]:
        rules = [
            {"Name": name, "Value": target[key]}
            for name, key in (("prefix", "filterPrefix"), ("suffix", "filterSuffix"))
            if target.get(key)
        ]
        result: dict[str, Any] = {arn_field: target[arn_key], "Events": list(target["events"])}
        if rules:
            result["Filter"] = {"Key": {"FilterRules": rules}}
        return result

    return {
        "QueueConfigurations": [
            entry(q, "queueArn", "QueueArn") for q in inputs.get("queues") or []
        ],
        "TopicConfigurations": [
            entry(t, "topicArn", "TopicArn") for t in inputs.get("topics") or []
        ],
    }


def without_tls_only_denies(policy: str) -> str | None:
    """The bucket policy minus its ``aws:SecureTransport = false`` denies (None if empty).

    The emulator speaks plain HTTP on loopback, and moto enforces bucket policies: a
    TLS-only deny would (rightly) refuse every local request. Over TLS in AWS those
    statements never match a legitimate request, so dropping them changes nothing else;
    the graph keeps the full policy as declared.
    """
    document = json.loads(policy)
    statements = document.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    kept = [s for s in statements if not _is_tls_only_deny(s)]
    if not kept:
        return None
    return json.dumps({**document, "Statement": kept}, sort_keys=True)


def bucket_object(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    """A file the deploy uploads (the web app): body, content type and cache header as given."""
    s3 = target.client("s3", account, region)
    params = {"ContentType": inputs.get("contentType"), "CacheControl": inputs.get("cacheControl")}
    s3.put_object(
        Bucket=inputs["bucket"],
        Key=inputs["key"],
        Body=str(inputs.get("content", "")).encode("utf-8"),
        **{name: value for name, value in params.items() if value},
    )
    return f"{inputs['bucket']}/{inputs['key']}", {"key": inputs["key"]}


def _is_tls_only_deny(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return statement.get("Effect") == "Deny" and str(secure).lower() == "false"


CREATORS: dict[str, Creator] = {
    aws_types.BUCKET: s3_bucket,
    aws_types.BUCKET_SSE: bucket_setting(
        "put_bucket_encryption",
        lambda i: {"ServerSideEncryptionConfiguration": {"Rules": pascal(i["rules"])}},
    ),
    aws_types.PUBLIC_ACCESS_BLOCK: bucket_setting("put_public_access_block", public_access_block),
    aws_types.BUCKET_OWNERSHIP_CONTROLS: bucket_setting(
        "put_bucket_ownership_controls",
        lambda i: {"OwnershipControls": {"Rules": [pascal(i["rule"])]}},
    ),
    aws_types.BUCKET_LIFECYCLE: bucket_setting(
        "put_bucket_lifecycle_configuration",
        lambda i: {"LifecycleConfiguration": {"Rules": pascal(i["rules"])}},
    ),
    aws_types.BUCKET_VERSIONING: bucket_setting(
        "put_bucket_versioning",
        lambda i: {"VersioningConfiguration": pascal(i["versioningConfiguration"])},
    ),
    aws_types.BUCKET_POLICY: s3_policy,
    aws_types.BUCKET_OBJECT: bucket_object,
    aws_types.BUCKET_NOTIFICATION: bucket_setting(
        "put_bucket_notification_configuration",
        lambda i: {"NotificationConfiguration": notification_configuration(i)},
    ),
    # moto answers S3 preflights and adds Access-Control-Allow-Origin from this, as S3 does.
    aws_types.BUCKET_CORS: bucket_setting(
        "put_bucket_cors", lambda i: {"CORSConfiguration": {"CORSRules": pascal(i["corsRules"])}}
    ),
}
