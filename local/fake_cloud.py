"""Mocks that answer like AWS would: realistic ids and ARNs in the provider's account.

Used by the unit tests and the offline preview. ARNs carry the account of the resource's
provider, so the security tests can check that every policy stays inside its own account.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components import aws_types
from local import made_up
from local.made_up import arn
from local.program import RecordingMocks

REGION_FALLBACK = "eu-west-1"
ID_LENGTH = 12
API_ID_LENGTH = 10


class FakeCloud(RecordingMocks):
    """Deterministic outputs; ``stack_outputs`` answers StackReferences by stack name."""

    def __init__(
        self, region: str = REGION_FALLBACK, stack_outputs: Mapping[str, dict] | None = None
    ):
        super().__init__()
        self.region = region
        self.stack_outputs = dict(stack_outputs or {})

    def outputs_for(
        self, args: pulumi.runtime.MockResourceArgs, account: str | None
    ) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        acct = account or "000000000000"
        region = inputs.get("region") or self.region
        name = inputs.get("name") or args.name
        rid = made_up.short_id(args.typ, args.name, length=ID_LENGTH)
        typ = args.typ
        extra: dict[str, Any] = {}
        if typ == "pulumi:pulumi:StackReference":
            stack_name = inputs.get("name", args.name)
            if stack_name not in self.stack_outputs:
                raise KeyError(f"no outputs known for stack reference {stack_name!r}")
            return stack_name, {"name": stack_name, "outputs": self.stack_outputs[stack_name]}
        if typ == aws_types.QUEUE:
            extra = {
                "arn": arn("sqs", region, acct, name),
                "url": f"https://sqs.{region}.amazonaws.com/{acct}/{name}",
            }
            rid = extra["url"]
        elif typ in (aws_types.TOPIC,):
            extra = {"arn": arn("sns", region, acct, name)}
            rid = extra["arn"]
        elif typ == aws_types.TOPIC_SUBSCRIPTION:
            extra = {"arn": f"{inputs.get('topic')}:{rid}"}
        elif typ == aws_types.TABLE:
            table = arn("dynamodb", region, acct, f"table/{name}")
            extra = {"arn": table}
            if inputs.get("streamEnabled"):
                extra["streamArn"] = f"{table}/stream/2026-01-01T00:00:00.000"
            rid = name
        elif typ == aws_types.ROLE:
            extra = {"arn": arn("iam", "", acct, f"role/{name}"), "uniqueId": f"AROA{rid.upper()}"}
            rid = name
        elif typ == aws_types.FUNCTION:
            extra = made_up.function_arns(region, acct, name)
            extra["version"] = "1" if inputs.get("publish") else "$LATEST"
            rid = name
        elif typ == aws_types.FUNCTION_ALIAS:
            extra = made_up.function_arns(region, acct, inputs["functionName"], name)
            rid = extra["arn"]
        elif typ == aws_types.LAYER_VERSION:
            layer = inputs.get("layerName", args.name)
            extra = {"arn": f"{made_up.layer_arn(region, acct, layer)}:1", "version": "1"}
        elif typ == aws_types.BUCKET:
            bucket = inputs.get("bucket", args.name)
            extra = {
                "arn": made_up.bucket_arn(bucket),
                "bucket": bucket,
                "bucketRegionalDomainName": made_up.bucket_regional_domain(bucket, region),
            }
            rid = bucket
        elif typ == aws_types.KMS_KEY:
            extra = {"arn": arn("kms", region, acct, f"key/{rid}"), "keyId": rid}
        elif typ == aws_types.LOG_GROUP:
            extra = {"arn": made_up.log_group_arn(region, acct, name)}
        elif typ == aws_types.SECRET:
            extra = {"arn": arn("secretsmanager", region, acct, f"secret:{name}-{rid[:6]}")}
        elif typ == aws_types.DISTRIBUTION:
            domain = f"d{rid}.cloudfront.net"
            rid = made_up.distribution_id(rid)
            extra = {"arn": made_up.distribution_arn(acct, rid), "domainName": domain}
        elif typ == aws_types.PUBLIC_KEY:
            rid = made_up.public_key_id(rid)
        elif typ == aws_types.CLOUDFRONT_FUNCTION:
            extra = {"arn": arn("cloudfront", "", acct, f"function/{name}")}
        elif typ == aws_types.HTTP_API:
            rid = rid[:API_ID_LENGTH]
            extra = {
                "apiEndpoint": f"https://{rid}.execute-api.{region}.amazonaws.com",
                **made_up.http_api_arns(region, acct, rid),
            }
        elif typ == aws_types.METRIC_ALARM:
            extra = {"arn": made_up.alarm_arn(region, acct, name)}
        return rid, {**inputs, **extra}
