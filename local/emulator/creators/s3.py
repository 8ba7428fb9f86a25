"""S3 buckets and their configuration resources (one per S3 sub-resource, as the provider has).

The bucket policy goes in without its TLS-only denies (``without_tls_only_denies``): the
emulator speaks plain HTTP on loopback and moto enforces bucket policies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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


def s3_encryption(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    target.client("s3", account, region).put_bucket_encryption(
        Bucket=inputs["bucket"],
        ServerSideEncryptionConfiguration={"Rules": pascal(inputs["rules"])},
    )
    return inputs["bucket"], {}


def s3_public_access(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    config = {k[:1].upper() + k[1:]: bool(inputs.get(k)) for k in PUBLIC_ACCESS_SETTINGS}
    target.client("s3", account, region).put_public_access_block(
        Bucket=inputs["bucket"], PublicAccessBlockConfiguration=config
    )
    return inputs["bucket"], {}


def s3_ownership(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    target.client("s3", account, region).put_bucket_ownership_controls(
        Bucket=inputs["bucket"], OwnershipControls={"Rules": [pascal(inputs["rule"])]}
    )
    return inputs["bucket"], {}


def s3_lifecycle(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    target.client("s3", account, region).put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": pascal(inputs["rules"])}
    )
    return inputs["bucket"], {}


def s3_versioning(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    target.client("s3", account, region).put_bucket_versioning(
        Bucket=inputs["bucket"],
        VersioningConfiguration=pascal(inputs["versioningConfiguration"]),
    )
    return inputs["bucket"], {}


def s3_policy(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    applied = without_tls_only_denies(inputs["policy"])
    if applied is not None:
        target.client("s3", account, region).put_bucket_policy(
            Bucket=inputs["bucket"], Policy=applied
        )
    return inputs["bucket"], {"appliedPolicy": applied or ""}


def s3_cors(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    # moto answers S3 preflights and adds Access-Control-Allow-Origin from this, as S3 does.
    target.client("s3", account, region).put_bucket_cors(
        Bucket=inputs["bucket"], CORSConfiguration={"CORSRules": pascal(inputs["corsRules"])}
    )
    return inputs["bucket"], {}


def s3_notification(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    target.client("s3", account, region).put_bucket_notification_configuration(
        Bucket=inputs["bucket"],
        NotificationConfiguration=notification_configuration(inputs),
    )
    return inputs["bucket"], {}


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


def _is_tls_only_deny(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return statement.get("Effect") == "Deny" and str(secure).lower() == "false"


CREATORS: dict[str, Creator] = {
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        s3_encryption
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3_public_access,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3_ownership,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3_lifecycle,
    "aws:s3/bucketVersioning:BucketVersioning": s3_versioning,
    "aws:s3/bucketPolicy:BucketPolicy": s3_policy,
    "aws:s3/bucketNotification:BucketNotification": s3_notification,
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": s3_cors,
}
