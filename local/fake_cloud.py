"""Mocks that answer like AWS would: realistic ids and ARNs in the provider's account.

Used by the unit tests and the offline preview. ARNs carry the account of the resource's
provider, so the security tests can check that every policy stays inside its own account.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pulumi

from local.program import RecordingMocks

REGION_FALLBACK = "eu-west-1"


def _short_id(*parts: str, length: int = 12) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


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
        rid = _short_id(args.typ, args.name)
        typ = args.typ
        extra: dict[str, Any] = {}
        if typ == "pulumi:pulumi:StackReference":
            stack_name = inputs.get("name", args.name)
            if stack_name not in self.stack_outputs:
                raise KeyError(f"no outputs known for stack reference {stack_name!r}")
            return stack_name, {"name": stack_name, "outputs": self.stack_outputs[stack_name]}
        if typ == "aws:sqs/queue:Queue":
            extra = {
                "arn": f"arn:aws:sqs:{region}:{acct}:{name}",
                "url": f"https://sqs.{region}.amazonaws.com/{acct}/{name}",
            }
            rid = extra["url"]
        elif typ in ("aws:sns/topic:Topic",):
            extra = {"arn": f"arn:aws:sns:{region}:{acct}:{name}"}
            rid = extra["arn"]
        elif typ == "aws:sns/topicSubscription:TopicSubscription":
            extra = {"arn": f"{inputs.get('topic')}:{rid}"}
        elif typ == "aws:dynamodb/table:Table":
            arn = f"arn:aws:dynamodb:{region}:{acct}:table/{name}"
            extra = {"arn": arn}
            if inputs.get("streamEnabled"):
                extra["streamArn"] = f"{arn}/stream/2026-01-01T00:00:00.000"
            rid = name
        elif typ == "aws:iam/role:Role":
            extra = {"arn": f"arn:aws:iam::{acct}:role/{name}", "uniqueId": f"AROA{rid.upper()}"}
            rid = name
        elif typ == "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{acct}:function:{name}"
            extra = {
                "arn": arn,
                "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                f"{arn}/invocations",
            }
            rid = name
        elif typ == "aws:lambda/layerVersion:LayerVersion":
            layer = inputs.get("layerName", args.name)
            extra = {"arn": f"arn:aws:lambda:{region}:{acct}:layer:{layer}:1", "version": "1"}
        elif typ == "aws:s3/bucket:Bucket":
            bucket = inputs.get("bucket", args.name)
            extra = {
                "arn": f"arn:aws:s3:::{bucket}",
                "bucket": bucket,
                "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            }
            rid = bucket
        elif typ == "aws:kms/key:Key":
            extra = {"arn": f"arn:aws:kms:{region}:{acct}:key/{rid}", "keyId": rid}
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            extra = {"arn": f"arn:aws:logs:{region}:{acct}:log-group:{name}"}
        elif typ == "aws:secretsmanager/secret:Secret":
            extra = {"arn": f"arn:aws:secretsmanager:{region}:{acct}:secret:{name}-{rid[:6]}"}
        elif typ == "aws:cloudfront/distribution:Distribution":
            extra = {
                "arn": f"arn:aws:cloudfront::{acct}:distribution/E{rid.upper()}",
                "domainName": f"d{rid}.cloudfront.net",
            }
            rid = f"E{rid.upper()}"
        elif typ == "aws:cloudfront/publicKey:PublicKey":
            rid = f"K{rid.upper()}"
        elif typ == "aws:apigatewayv2/api:Api":
            extra = {
                "apiEndpoint": f"https://{rid[:10]}.execute-api.{region}.amazonaws.com",
                "executionArn": f"arn:aws:execute-api:{region}:{acct}:{rid[:10]}",
                "arn": f"arn:aws:apigateway:{region}::/apis/{rid[:10]}",
            }
            rid = rid[:10]
        elif typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            extra = {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{name}"}
        return rid, {**inputs, **extra}
