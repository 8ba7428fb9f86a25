"""Made-up identifiers and ARNs, shaped as AWS shapes them, for resources nothing really creates.

``fake_cloud.FakeCloud`` (unit tests, offline preview) answers every resource with them, and
the local deployer answers with them for what the emulator cannot hold (functions, APIs,
CDNs, alarms: ``emulator/recorded.py``). Deterministic: the same resource gets the same id
in every run, so graphs and test expectations stay stable.
"""

from __future__ import annotations

import hashlib


def short_id(*parts: str, length: int) -> str:
    """A stable hex id derived from ``parts`` (AWS ids are opaque; only stability matters)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def arn(service: str, region: str, account: str, resource: str) -> str:
    """``arn:aws:<service>:<region>:<account>:<resource>`` (the common ARN layout)."""
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def function_arns(
    region: str, account: str, name: str, qualifier: str | None = None
) -> dict[str, str]:
    """A Lambda function's (or its alias' or version's) ``arn`` and ``invokeArn``."""
    suffix = f":{qualifier}" if qualifier else ""
    function = arn("lambda", region, account, f"function:{name}{suffix}")
    invoke = f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations"
    return {"arn": function, "invokeArn": invoke}


def layer_arn(region: str, account: str, layer: str) -> str:
    """A layer's ARN without its version."""
    return arn("lambda", region, account, f"layer:{layer}")


def http_api_arns(region: str, account: str, api_id: str) -> dict[str, str]:
    """An HTTP API's ``executionArn`` (for permissions) and its management ``arn``."""
    return {
        "executionArn": arn("execute-api", region, account, api_id),
        "arn": f"arn:aws:apigateway:{region}::/apis/{api_id}",
    }


def distribution_id(rid: str) -> str:
    """CloudFront distribution ids start with E."""
    return f"E{rid.upper()}"


def distribution_arn(account: str, distribution: str) -> str:
    """CloudFront is global: no region in its ARNs."""
    return f"arn:aws:cloudfront::{account}:distribution/{distribution}"


def public_key_id(rid: str) -> str:
    """CloudFront public key ids start with K."""
    return f"K{rid.upper()}"


def alarm_arn(region: str, account: str, name: str) -> str:
    return arn("cloudwatch", region, account, f"alarm:{name}")


def log_group_arn(region: str, account: str, name: str) -> str:
    return arn("logs", region, account, f"log-group:{name}")


def bucket_arn(bucket: str) -> str:
    """S3 bucket names are global: no region or account in their ARNs."""
    return f"arn:aws:s3:::{bucket}"


def bucket_regional_domain(bucket: str, region: str) -> str:
    return f"{bucket}.s3.{region}.amazonaws.com"
