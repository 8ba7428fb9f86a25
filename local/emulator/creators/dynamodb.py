"""DynamoDB tables (with their indexes, stream, TTL and point-in-time recovery)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, tag_list


def global_secondary_index(index: Mapping[str, Any]) -> dict[str, Any]:
    """A ``globalSecondaryIndexes`` entry in CreateTable's shape."""
    return {
        "IndexName": index["name"],
        "KeySchema": [
            {"AttributeName": k["attributeName"], "KeyType": k["keyType"]}
            for k in index["keySchemas"]
        ],
        "Projection": {"ProjectionType": index.get("projectionType", "ALL")},
    }


def create_table_params(name: str, inputs: Inputs) -> dict[str, Any]:
    """CreateTable's parameters from the table's inputs."""
    key_schema = [{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}]
    if inputs.get("rangeKey"):
        key_schema.append({"AttributeName": inputs["rangeKey"], "KeyType": "RANGE"})
    params: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]
        ],
        "KeySchema": key_schema,
        "BillingMode": inputs.get("billingMode", "PAY_PER_REQUEST"),
        "SSESpecification": {
            "Enabled": bool((inputs.get("serverSideEncryption") or {}).get("enabled"))
        },
        "DeletionProtectionEnabled": bool(inputs.get("deletionProtectionEnabled")),
        "Tags": tag_list(inputs.get("tagsAll")),
    }
    indexes = [global_secondary_index(i) for i in inputs.get("globalSecondaryIndexes") or []]
    if indexes:
        params["GlobalSecondaryIndexes"] = indexes
    if inputs.get("streamEnabled"):
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": inputs.get("streamViewType") or "NEW_AND_OLD_IMAGES",
        }
    return params


def dynamodb_table(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    dynamodb = target.client("dynamodb", account, region)
    name = inputs.get("name", args.name)
    table = dynamodb.create_table(**create_table_params(name, inputs))["TableDescription"]
    ttl = inputs.get("ttl") or {}
    if ttl.get("enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["attributeName"]},
        )
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    outputs: Outputs = {"arn": table["TableArn"], "name": name}
    if table.get("LatestStreamArn"):
        outputs["streamArn"] = table["LatestStreamArn"]
        outputs["streamLabel"] = table.get("LatestStreamLabel", "")
    return name, outputs


CREATORS: dict[str, Creator] = {aws_types.TABLE: dynamodb_table}
