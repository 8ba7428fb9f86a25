"""Lambda functions, their published versions and aliases, kept by the emulator.

moto keeps what Lambda keeps about a function (configuration, versions, aliases and their
routing weights) but cannot run it without Docker: the runtime (local/runtime) runs the
handler from the repository, resolving each invocation through the alias the caller names,
with the version the emulator says it points at. So the code stored here is a placeholder:
what runs is the repository's code at the handler path of the version's configuration.
"""

from __future__ import annotations

import io
import zipfile

from components import aws_types
from local import made_up
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, as_int

PLACEHOLDER_NOTE = "The local runtime runs this function's handler from the repository.\n"


def placeholder_code() -> bytes:
    """A small zip for moto's CreateFunction (it never runs it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", PLACEHOLDER_NOTE)
    return buffer.getvalue()


def lambda_function(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    """CreateFunction as the deploy role; ``publish`` publishes version 1 as Lambda does.

    Layers are left out: they are recorded (local/emulator/recorded.py), and the workers
    import the dependencies from the project's environment.
    """
    client = target.client("lambda", account, region)
    name = inputs.get("name", args.name)
    variables = (inputs.get("environment") or {}).get("variables") or {}
    created = client.create_function(
        FunctionName=name,
        Runtime=inputs.get("runtime", "python3.13"),
        Role=inputs["role"],
        Handler=inputs["handler"],
        Code={"ZipFile": placeholder_code()},
        Timeout=as_int(inputs.get("timeout", 3)),
        MemorySize=as_int(inputs.get("memorySize", 128)),
        Architectures=list(inputs.get("architectures") or ["x86_64"]),
        Environment={"Variables": {k: str(v) for k, v in variables.items()}},
        Publish=bool(inputs.get("publish")),
        Tags=dict(inputs.get("tagsAll") or {}),
    )
    version = created.get("Version", "$LATEST")
    arns = made_up.function_arns(region, account, name)
    return name, {
        **arns,
        "name": name,
        "version": version,
        "qualifiedArn": f"{arns['arn']}:{version}",
    }


def lambda_alias(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    client = target.client("lambda", account, region)
    alias = client.create_alias(
        FunctionName=inputs["functionName"],
        Name=inputs["name"],
        FunctionVersion=str(inputs["functionVersion"]),
        Description=inputs.get("description", ""),
    )
    invoke = made_up.function_arns(region, account, inputs["functionName"], inputs["name"])
    return alias["AliasArn"], {"arn": alias["AliasArn"], "invokeArn": invoke["invokeArn"]}


CREATORS: dict[str, Creator] = {
    aws_types.FUNCTION: lambda_function,
    aws_types.FUNCTION_ALIAS: lambda_alias,
}
