"""IAM roles and inline role policies (the functions' execution roles)."""

from __future__ import annotations

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, tag_list


def iam_role(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    iam = target.client("iam", account, region)
    name = inputs.get("name", args.name)
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        Description=inputs.get("description", ""),
        Tags=tag_list(inputs.get("tagsAll")),
    )["Role"]
    return name, {"arn": role["Arn"], "uniqueId": role["RoleId"], "name": name}


def iam_role_policy(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    name = inputs.get("name") or args.name
    target.client("iam", account, region).put_role_policy(
        RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"]
    )
    return f"{inputs['role']}:{name}", {"name": name}


CREATORS: dict[str, Creator] = {
    aws_types.ROLE: iam_role,
    aws_types.ROLE_POLICY: iam_role_policy,
}
