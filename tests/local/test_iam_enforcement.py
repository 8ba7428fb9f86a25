"""IAM is enforced in the local environment: deploys run as deploy roles, functions as theirs.

The package's environment (conftest.py) was deployed with enforcement on, so its existence
already shows the deploy policy covers every call the deployer makes. Here: a function's
role is what authorizes its handler (remove one statement and the handler is denied), the
deploy role is what authorizes a deploy, and canaries for each gap of moto's that
local/emulator/iam_enforcement.py works around.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.responses import DynamoHandler
from moto.iam import access_control
from moto.kms.responses import KmsResponse
from moto.sns.responses import SNSResponse
from parliament import iam_definition

from local.emulator import iam_enforcement
from local.emulator.iam_enforcement import TRANSACTION_ITEM_ACTIONS, TRANSACTIONS
from local.runtime.http_api import ApiIdentity, Request, RouteSpec, build_event
from local.runtime.system import function_specs
from local.runtime.workers import FunctionRuntime, Invocation, worker_environment
from tests.local.conftest import Deployed, isolated_config

CATALOG_API = "marketplace-local-catalog-api"
DENIED = r"AccessDenied|not authorized"


def _list_images_event() -> dict[str, Any]:
    request = Request("GET", "/images", "", {"host": "localhost"}, b"", "127.0.0.1")
    route = RouteSpec("GET /images", function=None)  # type: ignore[arg-type]
    return build_event(request, route, {}, None, ApiIdentity("local", "0"), "req-iam")


def _run(deployed: Deployed, log_dir: Path, event: dict[str, Any]) -> Invocation:
    graph = deployed.graph
    spec = function_specs(graph)[CATALOG_API]
    credentials = deployed.cloud.role_credentials(spec.role_arn)
    environment = worker_environment(spec, credentials, graph.endpoint, graph.region)
    function = FunctionRuntime(spec, environment, log_dir)
    function.start()
    try:
        return function.invoke(event)
    finally:
        function.stop()


def _role_policy(deployed: Deployed, role_arn: str) -> tuple[Any, str, dict[str, Any]]:
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    iam = deployed.cloud.client("iam", account)  # the platform role: the account's admin
    [policy_name] = iam.list_role_policies(RoleName=name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
    return iam, policy_name, document if isinstance(document, dict) else json.loads(document)


def test_handler_is_denied_when_one_statement_of_its_role_is_removed(
    deployed: Deployed, tmp_path: Path
) -> None:
    assert deployed.cloud.iam_enforced
    role_arn = function_specs(deployed.graph)[CATALOG_API].role_arn
    # GIVEN the catalog API, run as its own role, lists images
    allowed = _run(deployed, tmp_path, _list_images_event())
    assert allowed.ok and allowed.result["statusCode"] == 200, allowed.describe()
    iam, policy_name, document = _role_policy(deployed, role_arn)
    name = role_arn.rsplit("/", 1)[-1]
    reads = [s for s in document["Statement"] if "dynamodb:Query" in s["Action"]]
    assert len(reads) == 1, document
    # WHEN the statement granting its table reads is removed from its role
    trimmed = {**document, "Statement": [s for s in document["Statement"] if s not in reads]}
    iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(trimmed))
    try:
        # THEN the same request fails: IAM refused the handler's query
        denied = _run(deployed, tmp_path, _list_images_event())
        assert not denied.ok, denied.result
        assert "AccessDenied" in denied.error_message, denied.describe()
        assert "dynamodb:Query" in denied.error_message
    finally:
        iam.put_role_policy(
            RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
        )


def test_deploy_role_cannot_touch_what_its_policy_does_not_name(deployed: Deployed) -> None:
    # GIVEN the upload account's deploy role, as the program's provider assumes it
    account = deployed.graph.accounts["upload"]
    roles = isolated_config()
    deploy = roles["marketplace:deployRoleName"]
    s3 = deployed.cloud.client("s3", account, role=deploy)
    region = {"LocationConstraint": deployed.graph.region}
    # WHEN it creates a bucket named for its stack / THEN IAM allows it
    own = f"marketplace-local-upload-iam-check-{account}"
    s3.create_bucket(Bucket=own, CreateBucketConfiguration=region)
    # AND a bucket outside its stack's names (S3: moto judges the resource) / THEN refused
    with pytest.raises(ClientError, match=DENIED):
        s3.create_bucket(Bucket=f"someone-elses-bucket-{account}", CreateBucketConfiguration=region)
    # AND an action its policy does not name (judged for every service) / THEN refused
    with pytest.raises(ClientError, match=DENIED):
        deployed.cloud.client("dynamodb", account, role=deploy).list_tables()
    # AND the preview role reads but cannot change
    preview = deployed.cloud.client("s3", account, role=roles["marketplace:previewRoleName"])
    with pytest.raises(ClientError, match=DENIED):
        preview.put_bucket_versioning(Bucket=own, VersioningConfiguration={"Status": "Enabled"})
    s3.delete_bucket(Bucket=own)


def test_operator_may_only_assume_roles(deployed: Deployed) -> None:
    # GIVEN the operator user that assumes every role (moto's default account)
    operator = boto3.client(
        "sqs",
        endpoint_url=deployed.graph.endpoint,
        region_name=deployed.graph.region,
        **deployed.cloud.operator_credentials,
    )
    # WHEN it acts itself / THEN IAM refuses: it may only assume roles
    with pytest.raises(ClientError, match=DENIED):
        operator.list_queues()


# -- canaries: each gap of moto's the workaround covers ----------------------------------------


@pytest.mark.parametrize("handler", [DynamoHandler, SNSResponse, KmsResponse])
def test_moto_still_authorizes_these_services_without_a_resource(handler: type) -> None:
    # When moto names the resource, judge_by_action_where_moto_has_no_resource can go.
    assert not hasattr(handler, "_determine_resource"), handler


def test_moto_still_reads_credentials_only_from_the_authorization_header() -> None:
    # When moto reads presigned credentials, let_unsigned_s3_requests_through can shrink.
    source = inspect.getsource(access_control.IAMRequestBase.__init__)
    assert 'self._headers["Authorization"]' in source


def test_iam_has_no_transaction_actions_but_item_actions() -> None:
    # AWS authorizes transactions per item; moto asks for the operation's name.
    dynamodb = next(s for s in iam_definition if s["prefix"] == "dynamodb")
    actions = {f"dynamodb:{p['privilege']}" for p in dynamodb["privileges"]}
    assert not set(TRANSACTIONS) & actions
    assert set(TRANSACTION_ITEM_ACTIONS.values()) <= actions


def test_in_process_tests_still_set_motos_no_auth_budget_once_installed() -> None:
    # GIVEN the workaround installed (any EmbeddedCloud did it, for the whole process)
    iam_enforcement.install()
    from moto.core import authorization

    settings = authorization.settings
    before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    # WHEN an in-process test sets moto's budget (set_initial_no_auth_action_count does this)
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        # THEN requests outside an enforced server get that budget
        assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 0
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = before
    restored = settings.INITIAL_NO_AUTH_ACTION_COUNT
    assert restored == float("inf")
