"""Deleting review copies with only the grant the functions get (``s3:DeleteObject`` on
``<originals>/review/*``), under moto's IAM enforcement: allowed there, refused elsewhere."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import set_initial_no_auth_action_count

from services.upload.review_copies import delete_review_copies
from tests.services.factories import REGION

BUCKET = "marketplace-test-upload-originals"
UPLOAD_ID = "6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
GRANT = {  # the statement components/upload_service.py declares as "review:delete"
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/review/*",
        }
    ],
}


def role_s3_client() -> Any:
    """An S3 client signed as a role holding only ``GRANT``."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="reviewer", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="reviewer", PolicyName="grant", PolicyDocument=json.dumps(GRANT))
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="reviewer")
    c = credentials["Credentials"]
    return boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def test_the_review_delete_grant_is_enough_and_nothing_more(aws: None) -> None:
    # GIVEN an upload's review copies (one already gone) and its original, and the role
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKET, Key=f"review/{UPLOAD_ID}/preview.jpg", Body=b"jpeg")
    s3.put_object(Bucket=BUCKET, Key=f"originals/owner/{UPLOAD_ID}", Body=b"original")
    role = role_s3_client()

    @set_initial_no_auth_action_count(0)
    def as_the_role() -> None:
        # WHEN the role deletes the review copies (twice: a repeat is harmless)
        delete_review_copies(role, BUCKET, UPLOAD_ID)
        delete_review_copies(role, BUCKET, UPLOAD_ID)
        # THEN the grant does not reach the originals
        with pytest.raises(ClientError, match="AccessDenied"):
            role.delete_object(Bucket=BUCKET, Key=f"originals/owner/{UPLOAD_ID}")

    as_the_role()
    # AND only the original is left
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [f"originals/owner/{UPLOAD_ID}"]
