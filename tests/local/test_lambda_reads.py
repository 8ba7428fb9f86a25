"""The Lambda reads workaround (local/emulator/lambda_reads.py) and its canary."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.emulator.cloud import EmbeddedCloud
from local.emulator.lambda_reads import LambdaReads

ACCOUNT = "200000000019"
"""An account of its own: the package's deployment uses the others."""
FUNCTION = "marketplace-local-canary-api"


@pytest.fixture(scope="module")
def published(cloud: EmbeddedCloud) -> Any:
    """A function with versions 1 and 2 and a weighted live alias, made through the API."""
    cloud.bootstrap_account(ACCOUNT)
    if not cloud.iam_enforced:
        cloud.enforce_iam()
    iam, functions = cloud.client("iam", ACCOUNT), cloud.client("lambda", ACCOUNT)
    trust = {"Version": "2012-10-17", "Statement": []}
    role = iam.create_role(RoleName=FUNCTION, AssumeRolePolicyDocument=json.dumps(trust))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("README.txt", "placeholder")
    functions.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.13",
        Role=role["Role"]["Arn"],
        Handler="services.catalog.api.lambda_handler",
        Code={"ZipFile": archive.getvalue()},
        Publish=True,
    )
    functions.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
    functions.update_function_configuration(FunctionName=FUNCTION, Handler="broken.handler")
    functions.publish_version(FunctionName=FUNCTION)
    weights = {"AdditionalVersionWeights": {"2": 0.1}}
    functions.update_alias(FunctionName=FUNCTION, Name="live", RoutingConfig=weights)
    return functions


def test_canary_moto_refuses_lambda_gets_under_iam_enforcement(published: Any) -> None:
    # GIVEN writes through the API worked (create, publish, update the alias: the fixture)
    # THEN reading back through it fails moto's signature check: when this test fails, moto
    # accepts Lambda GETs and lambda_reads.py can go
    with pytest.raises(ClientError, match="SignatureDoesNotMatch"):
        published.get_alias(FunctionName=FUNCTION, Name="live")


def test_reads_answer_in_the_apis_shapes(cloud: EmbeddedCloud, published: Any) -> None:
    reads = LambdaReads(ACCOUNT, cloud.region)
    alias = reads.get_alias(FunctionName=FUNCTION, Name="live")
    assert alias["FunctionVersion"] == "1" and alias["AliasArn"].endswith(f"{FUNCTION}:live")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
    config = reads.get_function_configuration(FunctionName=FUNCTION, Qualifier="2")
    assert config["Handler"] == "broken.handler"
    versions = reads.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
