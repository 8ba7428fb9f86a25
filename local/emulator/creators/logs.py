"""CloudWatch Logs groups (created before the functions, with their retention)."""

from __future__ import annotations

from components import aws_types
from local import made_up
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, as_int


def log_group(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    logs = target.client("logs", account, region)
    name = inputs.get("name", args.name)
    logs.create_log_group(logGroupName=name, tags=inputs.get("tagsAll") or {})
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(
            logGroupName=name, retentionInDays=as_int(inputs["retentionInDays"])
        )
    return name, {"arn": made_up.log_group_arn(region, account, name), "name": name}


CREATORS: dict[str, Creator] = {aws_types.LOG_GROUP: log_group}
