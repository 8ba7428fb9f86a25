"""Secrets Manager secrets (the local run puts in the values prod puts out of band)."""

from __future__ import annotations

from typing import Any

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, tag_list


def secret(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    secrets = target.client("secretsmanager", account, region)
    name = inputs.get("name", args.name)
    params: dict[str, Any] = {"Name": name, "Tags": tag_list(inputs.get("tagsAll"))}
    for key, param in (("description", "Description"), ("kmsKeyId", "KmsKeyId")):
        if inputs.get(key):
            params[param] = inputs[key]
    if name in target.secret_values:
        # Put out of band in prod (never through Pulumi state); the local run owns it.
        params["SecretString"] = target.secret_values[name]
    arn = secrets.create_secret(**params)["ARN"]
    return arn, {"arn": arn, "name": name}


CREATORS: dict[str, Creator] = {aws_types.SECRET: secret}
