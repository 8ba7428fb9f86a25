"""IAM roles and inline role policies (the functions' execution roles); managed policies and
the OIDC provider (the account bootstrap)."""

from __future__ import annotations

from typing import Any

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, tag_list


def iam_role(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    iam = target.client("iam", account, region)
    name = inputs.get("name", args.name)
    params: dict[str, Any] = {}
    if inputs.get("permissionsBoundary"):
        params["PermissionsBoundary"] = inputs["permissionsBoundary"]
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        Description=inputs.get("description", ""),
        Tags=tag_list(inputs.get("tagsAll")),
        **params,
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


def iam_policy(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    """A managed policy (the bootstrap's permissions boundary)."""
    policy = target.client("iam", account, region).create_policy(
        PolicyName=inputs["name"],
        PolicyDocument=inputs["policy"],
        Description=inputs.get("description", ""),
        Tags=tag_list(inputs.get("tagsAll")),
    )["Policy"]
    return policy["Arn"], {"arn": policy["Arn"], "policyId": policy["PolicyId"]}


def oidc_provider(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    """The bootstrap's GitHub OIDC provider (the roles' trust policies name its ARN)."""
    provider = target.client("iam", account, region).create_open_id_connect_provider(
        Url=inputs["url"],
        ClientIDList=list(inputs.get("clientIdLists") or []),
        ThumbprintList=list(inputs.get("thumbprintLists") or []),
        Tags=tag_list(inputs.get("tagsAll")),
    )
    arn = provider["OpenIDConnectProviderArn"]
    return arn, {"arn": arn}


def iam_role_policy_attachment(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    """A managed policy attached to a role (the bootstrap's second deploy-role policy)."""
    target.client("iam", account, region).attach_role_policy(
        RoleName=inputs["role"], PolicyArn=inputs["policyArn"]
    )
    return f"{inputs['role']}-{inputs['policyArn']}", {}


CREATORS: dict[str, Creator] = {
    aws_types.ROLE: iam_role,
    aws_types.ROLE_POLICY: iam_role_policy,
    aws_types.IAM_POLICY: iam_policy,
    aws_types.OIDC_PROVIDER: oidc_provider,
    aws_types.ROLE_POLICY_ATTACHMENT: iam_role_policy_attachment,
}
