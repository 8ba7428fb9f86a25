"""What the emulator cannot run, recorded with plausible outputs for the local runtime.

Event source mappings, HTTP APIs, CDNs, alarms and layers are served by ``local/runtime``
from the graph (the emulator keeps functions, versions and aliases: creators/lambda_.py;
CodeDeploy's groups are played by local/runtime/traffic_shift.py). Their outputs here are the
made-up identifiers (``local/made_up.py``) the rest of the program needs to wire them together.
"""

from __future__ import annotations

import re
import uuid

from components import aws_types
from local import made_up
from local.emulator.creators.base import Args, Inputs, Outputs

RECORDED_TYPES = frozenset(
    {
        aws_types.LAYER_VERSION,
        aws_types.CODEDEPLOY_APPLICATION,
        aws_types.DEPLOYMENT_GROUP,
        aws_types.EVENT_SOURCE_MAPPING,
        aws_types.PERMISSION,
        aws_types.HTTP_API,
        aws_types.HTTP_API_AUTHORIZER,
        aws_types.HTTP_API_INTEGRATION,
        aws_types.HTTP_API_ROUTE,
        aws_types.HTTP_API_STAGE,
        aws_types.DISTRIBUTION,
        aws_types.ORIGIN_ACCESS_CONTROL,
        aws_types.PUBLIC_KEY,
        aws_types.KEY_GROUP,
        aws_types.METRIC_ALARM,
        aws_types.DASHBOARD,
        aws_types.CLOUDFRONT_FUNCTION,
        aws_types.RESPONSE_HEADERS_POLICY,
    }
)
"""Types the emulator cannot run: recorded with their properties, served by the runtime."""
ID_LENGTH = 10
CDN_COMMENT = re.compile(r"^marketplace-[a-z0-9]+-(?P<service>[a-z]+)-(?P<purpose>.+)$")


def recorded_outputs(args: Args, inputs: Inputs, account: str, region: str) -> tuple[str, Outputs]:
    """The id and outputs of a recorded resource (``{}`` for types nothing reads)."""
    typ = args.typ
    rid = made_up.short_id(account, typ, args.name, length=ID_LENGTH)
    name = inputs.get("name", args.name)
    if typ == aws_types.LAYER_VERSION:
        layer_arn = made_up.layer_arn(region, account, str(inputs.get("layerName", name)))
        return f"{layer_arn}:1", {"arn": f"{layer_arn}:1", "layerArn": layer_arn, "version": "1"}
    if typ == aws_types.EVENT_SOURCE_MAPPING:
        mapping = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{args.name}"))
        return mapping, {
            "uuid": mapping,
            "functionArn": inputs.get("functionName"),
            "state": "Enabled",
        }
    if typ == aws_types.HTTP_API:
        return rid, {
            "apiEndpoint": f"http://{name}.execute-api.local",
            **made_up.http_api_arns(region, account, rid),
        }
    if typ == aws_types.DISTRIBUTION:
        distribution = made_up.distribution_id(rid)
        return distribution, {
            "arn": made_up.distribution_arn(account, distribution),
            "domainName": cdn_domain(inputs.get("comment", ""), args.name),
            "status": "Deployed",
            "hostedZoneId": "Z2FDTNDATAQYW2",
        }
    if typ == aws_types.PUBLIC_KEY:
        return made_up.public_key_id(rid), {"etag": rid}
    if typ == aws_types.CLOUDFRONT_FUNCTION:
        return name, {"arn": made_up.arn("cloudfront", "", account, f"function/{name}")}
    if typ == aws_types.METRIC_ALARM:
        return args.name, {"arn": made_up.alarm_arn(region, account, args.name)}
    if typ == aws_types.HTTP_API_STAGE:
        return name, {"invokeUrl": "", "executionArn": ""}
    return rid, {}


def cdn_domain(comment: str, logical_name: str) -> str:
    """``marketplace-local-upload-public`` -> ``public-cdn.upload.local`` (the runtime's CDN)."""
    match = CDN_COMMENT.match(comment)
    if match:
        return f"{match['purpose']}-cdn.{match['service']}.local"
    return f"{logical_name.removesuffix('-distribution')}.local"
