"""The bootstrap program run in the embedded cloud, IAM enforced: what the roles it made may do.

The local environment bootstraps every emulated account with it (local/emulator/deployer.py);
here one cloud of its own, with account ids no other test uses, is bootstrapped and probed:
the deploy role creates roles only with the boundary, the boundary bounds a role whatever its
own policy says, and the roles hold the very documents of docs/deploy-roles/ (their policy
variables resolved by the enforcement, as IAM does). Canaries say which of these moto does
by itself (none, in 5.2).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.iam import access_control, policy_conditions, policy_validation, utils
from moto.iam.exceptions import MalformedPolicyDocument

from components.settings import NAMESPACE
from local.emulator.cloud import ROLE_NAME, EmbeddedCloud
from local.emulator.deployer import bootstrap_accounts, config_file
from local.program import load_config
from tools import deploy_role

ENV = "local"
DENIED = r"AccessDenied|not authorized"
FIRST_ACCOUNT = 300000000001


def isolated_config() -> dict[str, Any]:
    """Pulumi.local.yaml with its own account ids (moto's state is process-wide)."""
    config = load_config(config_file(ENV))
    services = sorted(config[f"{NAMESPACE}:accounts"])
    config[f"{NAMESPACE}:accounts"] = {
        service: str(FIRST_ACCOUNT + index) for index, service in enumerate(services)
    }
    return config


@pytest.fixture(scope="module")
def bootstrapped() -> Iterator[tuple[EmbeddedCloud, dict[str, Any]]]:
    config = isolated_config()
    with EmbeddedCloud() as cloud:
        bootstrap_accounts(cloud, ENV, config, cloud.region)
        cloud.enforce_iam()
        yield cloud, config


def account_of(config: dict[str, Any], service: str) -> str:
    return str(config[f"{NAMESPACE}:accounts"][service])


def trust(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def test_every_account_holds_the_generated_documents(
    bootstrapped: tuple[EmbeddedCloud, dict[str, Any]],
) -> None:
    cloud, config = bootstrapped
    names = {
        str(config[f"{NAMESPACE}:deployRoleName"]): deploy_role.DEPLOY_POLICY,
        str(config[f"{NAMESPACE}:previewRoleName"]): deploy_role.PREVIEW_POLICY,
    }
    for service in config[f"{NAMESPACE}:accounts"]:
        iam = cloud.client("iam", account_of(config, service))  # the account's administrator
        for role, path in names.items():
            document = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
            assert document == json.loads(path.read_text()), f"{service}: {role}"
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
            assert (tags["env"], tags["service"]) == (ENV, service)
        deploy_name = str(config[f"{NAMESPACE}:deployRoleName"])
        attached = iam.list_attached_role_policies(RoleName=deploy_name)["AttachedPolicies"]
        [shifting] = [p["PolicyArn"] for p in attached]
        assert _default_version(iam, shifting) == json.loads(
            deploy_role.SHIFTING_POLICY.read_text()
        )
        boundary_arn = (
            f"arn:aws:iam::{account_of(config, service)}:policy/{deploy_role.BOUNDARY_NAME}"
        )
        assert _default_version(iam, boundary_arn) == json.loads(
            deploy_role.BOUNDARY_POLICY.read_text()
        )


def _default_version(iam: Any, arn: str) -> Any:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def test_deploy_role_creates_roles_only_with_the_boundary(
    bootstrapped: tuple[EmbeddedCloud, dict[str, Any]],
) -> None:
    cloud, config = bootstrapped
    account = account_of(config, "catalog")
    deployer = cloud.client("iam", account, role=str(config[f"{NAMESPACE}:deployRoleName"]))
    boundary = f"arn:aws:iam::{account}:policy/{deploy_role.BOUNDARY_NAME}"
    name = "marketplace-local-catalog-probe"
    # WHEN the deploy role creates one of its stack's roles without the boundary / THEN refused
    with pytest.raises(ClientError, match=DENIED):
        deployer.create_role(RoleName=name, AssumeRolePolicyDocument=trust(account))
    # AND with another boundary (one that would allow more) / THEN refused
    with pytest.raises(ClientError, match=DENIED):
        deployer.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=trust(account),
            PermissionsBoundary=f"arn:aws:iam::{account}:policy/AdministratorAccess",
        )
    # AND with the boundary / THEN allowed, and it may put the role's policy
    deployer.create_role(
        RoleName=name, AssumeRolePolicyDocument=trust(account), PermissionsBoundary=boundary
    )
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:ListQueues",
              "Resource": "*"}]}  # fmt: skip
    deployer.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    # AND it cannot take the boundary off again
    with pytest.raises(ClientError, match=DENIED):
        deployer.delete_role_permissions_boundary(RoleName=name)
    # AND a role of its stack's names that lacks the boundary (made by the administrator)
    # cannot be given permissions by it
    admin = cloud.client("iam", account)
    admin.create_role(RoleName=f"{name}-bare", AssumeRolePolicyDocument=trust(account))
    with pytest.raises(ClientError, match=DENIED):
        deployer.put_role_policy(
            RoleName=f"{name}-bare", PolicyName=name, PolicyDocument=json.dumps(policy)
        )


def test_boundary_bounds_a_role_whatever_its_own_policy_allows(
    bootstrapped: tuple[EmbeddedCloud, dict[str, Any]],
) -> None:
    cloud, config = bootstrapped
    account = account_of(config, "purchase")
    admin = cloud.client("iam", account)
    boundary = f"arn:aws:iam::{account}:policy/{deploy_role.BOUNDARY_NAME}"
    tags = [{"Key": "env", "Value": ENV}, {"Key": "service", "Value": "purchase"}]
    too_broad = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "iam:ListRoles", "sqs:CreateQueue"], "Resource": "*"}]}  # fmt: skip
    # GIVEN two roles with the same over-broad policy, one carrying the boundary
    for name, extra in (
        ("marketplace-local-purchase-bounded", {"PermissionsBoundary": boundary}),
        ("marketplace-local-purchase-unbounded", {}),
    ):
        admin.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust(account), Tags=tags, **extra
        )
        admin.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(too_broad))
    bounded = "marketplace-local-purchase-bounded"
    # WHEN each lists IAM roles / THEN only the unbounded one may (IAM is outside the boundary)
    cloud.client("iam", account, role="marketplace-local-purchase-unbounded").list_roles()
    with pytest.raises(ClientError, match=DENIED):
        cloud.client("iam", account, role=bounded).list_roles()
    # AND within the boundary (a queue of its own account) the bounded role is allowed
    sqs = cloud.client("sqs", account, role=bounded)
    sqs.create_queue(QueueName="marketplace-local-purchase-boundary-probe")


def test_policy_variables_resolve_to_the_calling_roles_account_and_tags(
    bootstrapped: tuple[EmbeddedCloud, dict[str, Any]],
) -> None:
    cloud, config = bootstrapped
    account = account_of(config, "upload")
    s3 = cloud.client("s3", account, role=str(config[f"{NAMESPACE}:deployRoleName"]))
    where = {"LocationConstraint": cloud.region}
    # the deploy policy names marketplace-${env}-${service}-*-${account}: its tags, its account
    s3.create_bucket(
        Bucket=f"marketplace-local-upload-probe-{account}", CreateBucketConfiguration=where
    )
    with pytest.raises(ClientError, match=DENIED):
        s3.create_bucket(
            Bucket=f"marketplace-local-catalog-probe-{account}", CreateBucketConfiguration=where
        )


def test_the_administrator_is_the_platform_role(
    bootstrapped: tuple[EmbeddedCloud, dict[str, Any]],
) -> None:
    cloud, config = bootstrapped
    iam = cloud.client("iam", account_of(config, "upload"), role=ROLE_NAME)
    assert not iam.get_role(RoleName=ROLE_NAME)["Role"].get("PermissionsBoundary")


# -- canaries: what moto does not do by itself (local/emulator/iam_enforcement.py) ----------------


def test_moto_still_ignores_permissions_boundaries_when_authorizing() -> None:
    # When moto consults them, enforce_permissions_boundaries can go.
    source = inspect.getsource(access_control)
    assert "permissions_boundary" not in source and "PermissionsBoundary" not in source


def test_moto_still_evaluates_no_iam_permissions_boundary_condition() -> None:
    # moto evaluates StringEquals only, on sts:ExternalId only, in trust policies only: an
    # identity policy's ArnEquals iam:PermissionsBoundary counts as met.
    assert set(policy_conditions.CONDITION_OPERATIONS) == {"StringEquals"}
    assert utils.format_incoming_conditional_values({"PermissionsBoundary": "x"}) == {}


def test_moto_still_refuses_policy_variables_in_iam_arns() -> None:
    # When moto accepts them, accept_policy_variables_in_arns can go.
    document = deploy_role.DEPLOY_POLICY.read_text()
    validator = object.__new__(policy_validation.IAMPolicyDocumentValidator)
    original = policy_validation.BaseIAMPolicyValidator.__init__.__wrapped__  # type: ignore[attr-defined]
    original(validator, document)
    with pytest.raises(MalformedPolicyDocument):
        validator.validate()
