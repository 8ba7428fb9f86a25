"""KMS keys and aliases."""

from __future__ import annotations

from typing import Any

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, tag_list
from local.made_up import arn


def kms_key(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    kms = target.client("kms", account, region)
    params: dict[str, Any] = {
        "Description": inputs.get("description", args.name),
        "Tags": tag_list(inputs.get("tagsAll"), "TagKey", "TagValue"),
    }
    if inputs.get("policy"):
        params["Policy"] = inputs["policy"]
    metadata = kms.create_key(**params)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return metadata["KeyId"], {"arn": metadata["Arn"], "keyId": metadata["KeyId"]}


def kms_alias(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    kms = target.client("kms", account, region)
    kms.create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
    key_arn = kms.describe_key(KeyId=inputs["targetKeyId"])["KeyMetadata"]["Arn"]
    return inputs["name"], {
        "arn": arn("kms", region, account, inputs["name"]),
        "targetKeyArn": key_arn,
    }


CREATORS: dict[str, Creator] = {aws_types.KMS_KEY: kms_key, aws_types.KMS_ALIAS: kms_alias}
