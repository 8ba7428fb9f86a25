"""Deleting review copies and public renditions with only the grants the functions get
(``s3:DeleteObject`` on ``<originals>/review/*``, on ``<renditions>/thumbnails/*`` and
``<renditions>/previews/*``), under moto's IAM enforcement: allowed there, refused elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import set_initial_no_auth_action_count

from services.upload.review_copies import delete_public_renditions, delete_review_copies
from tests.services.factories import REGION

ORIGINALS = "marketplace-test-upload-originals"
RENDITIONS = "marketplace-test-upload-renditions"
UPLOAD_ID = "6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}


def grant(*resources: str) -> dict[str, Any]:
    """The statement components/upload_service.py declares (``review:delete``,
    ``renditions:delete``)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": list(resources)}
        ],
    }


def role_s3_client(policy: dict[str, Any]) -> Any:
    """An S3 client signed as a role holding only ``policy``."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="deleter", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="deleter", PolicyName="grant", PolicyDocument=json.dumps(policy))
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="deleter")
    c = credentials["Credentials"]
    return boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


CASES = {
    "review:delete": (
        ORIGINALS,
        grant(f"arn:aws:s3:::{ORIGINALS}/review/*"),
        delete_review_copies,
        [f"review/{UPLOAD_ID}/preview.jpg"],  # the thumbnail is already gone
        [f"originals/owner/{UPLOAD_ID}"],
    ),
    "renditions:delete": (
        RENDITIONS,
        grant(f"arn:aws:s3:::{RENDITIONS}/thumbnails/*", f"arn:aws:s3:::{RENDITIONS}/previews/*"),
        delete_public_renditions,
        [f"thumbnails/{UPLOAD_ID}.jpg", f"previews/{UPLOAD_ID}.jpg"],
        [f"other/{UPLOAD_ID}.jpg", f"thumbnails-{UPLOAD_ID}.jpg"],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_the_delete_grant_is_enough_and_nothing_more(aws: None, name: str) -> None:
    bucket, policy, delete, doomed, kept = CASES[name]
    deleter: Callable[[Any, str, str], None] = delete
    # GIVEN the upload's copies (one may be gone already), other keys, and the role
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for key in doomed + kept:
        s3.put_object(Bucket=bucket, Key=key, Body=b"bytes")
    role = role_s3_client(policy)

    @set_initial_no_auth_action_count(0)
    def as_the_role() -> None:
        # WHEN the role deletes the copies (twice: a repeat is harmless)
        deleter(role, bucket, UPLOAD_ID)
        deleter(role, bucket, UPLOAD_ID)
        # THEN the grant does not reach the other keys of the bucket
        for key in kept:
            with pytest.raises(ClientError, match="AccessDenied"):
                role.delete_object(Bucket=bucket, Key=key)

    as_the_role()
    # AND only the other keys are left
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(kept)
