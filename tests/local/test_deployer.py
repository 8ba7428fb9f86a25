"""The local deployer: the real program, every stack of ``local``, created in the emulator."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import unquote_plus

import jwt
import pytest

from components.naming import topic_name
from local.emulator.cloud import IDENTITY_ACCOUNT
from local.emulator.creators import CREATED_TYPES
from local.emulator.creators.s3 import without_tls_only_denies
from local.emulator.cross_account import TAP_PREFIX
from local.emulator.deployer import deploy_order
from local.emulator.errors import UnknownResourceTypeError
from local.emulator.lambda_reads import LambdaReads
from local.emulator.mocks import EmulatorMocks
from local.emulator.recorded import RECORDED_TYPES
from local.graph import Graph
from local.preview import referenced_services
from local.program import evaluate
from local.users import sign_in_user
from services.contracts.catalogue import SERVICES, consumers_of
from tests.local.conftest import ENV, TEST_ACCOUNTS, Deployed, isolated_config

STACKS = [f"{service}-{ENV}" for service in deploy_order()]


def aws_resources(graph: Graph) -> list[dict]:
    return [
        r for stack in graph.stacks for r in graph.resources(stack) if r["type"].startswith("aws:")
    ]


def test_deploy_order_puts_producers_before_consumers() -> None:
    # GIVEN the event catalogue (catalog consumes purchase, both consume upload)
    # WHEN the deploy order is derived from it
    order = deploy_order()
    # THEN each producer comes before its consumers, and each stack after those it references
    assert sorted(order) == sorted(SERVICES)
    for service, spec in SERVICES.items():
        for needed in {*spec.consumes, *referenced_services(service)} - {service}:
            assert order.index(needed) < order.index(service), (needed, service)


def test_deploy_every_resource_type_is_created_or_recorded(deployed: Deployed) -> None:
    # GIVEN the three stacks of the local environment, deployed
    resources = aws_resources(deployed.graph)
    # WHEN the program's resource types are compared with what the deployer handles
    used = {r["type"] for r in resources}
    # THEN each is either created in the emulator or recorded, and flagged accordingly
    assert used - CREATED_TYPES - RECORDED_TYPES == set()
    assert CREATED_TYPES.isdisjoint(RECORDED_TYPES)
    assert {r["type"] for r in resources if r["emulated"]} == used & CREATED_TYPES
    assert {r["type"] for r in resources if not r["emulated"]} == used & RECORDED_TYPES
    assert len(used) >= 30, sorted(used)


def test_deploy_reports_progress_per_stack(deployed: Deployed) -> None:
    # GIVEN / WHEN the environment was deployed
    lines = [line for line in deployed.progress if line.startswith("deployed")]
    # THEN one line per stack, in order, with its resource count and time
    assert [line.split()[1] for line in lines] == STACKS
    assert all(" resources " in line and line.endswith("s") for line in lines)


def test_deploy_unknown_resource_type_fails_with_its_name(
    deployed: Deployed, tmp_path: Path
) -> None:
    # GIVEN a program declaring a resource type the deployer does not know
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi, pulumi_aws as aws\n"
        f"p = aws.Provider('p', allowed_account_ids=['{TEST_ACCOUNTS['upload']}'])\n"
        "pulumi.CustomResource('aws:madeup/thing:Thing', 'thing', {},"
        " opts=pulumi.ResourceOptions(provider=p))\n"
    )
    # WHEN it is evaluated under the emulator mocks
    # THEN the deployment fails naming the type
    with pytest.raises(UnknownResourceTypeError, match="aws:madeup/thing:Thing"):
        evaluate(f"upload-{ENV}", EmulatorMocks(deployed.cloud), isolated_config(), program)


def test_deploy_puts_each_service_in_its_own_account(deployed: Deployed) -> None:
    # GIVEN the deployed graph and each service account's credentials
    graph = deployed.graph
    for service, account in TEST_ACCOUNTS.items():
        stack = f"{service}-{ENV}"
        sqs, dynamodb, s3 = (graph.client(name, account) for name in ("sqs", "dynamodb", "s3"))
        # WHEN the account's queues, tables and buckets are listed with its own credentials
        queues = {
            url.rsplit("/", 1)[-1]
            for url in sqs.list_queues().get("QueueUrls", [])
            if TAP_PREFIX not in url
        }
        tables = set(dynamodb.list_tables()["TableNames"])
        buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        # THEN they are exactly the stack's own
        assert queues == {r["outputs"]["name"] for r in graph.of_type(stack, "aws:sqs/queue:Queue")}
        assert tables == {
            r["outputs"]["name"] for r in graph.of_type(stack, "aws:dynamodb/table:Table")
        }
        assert buckets == {
            r["outputs"]["bucket"] for r in graph.of_type(stack, "aws:s3/bucket:Bucket")
        }
        assert {r["account"] for r in graph.resources(stack) if r["type"].startswith("aws:")} == {
            account
        }


def test_deploy_subscriptions_are_owned_by_consumers_with_filter_policies(
    deployed: Deployed,
) -> None:
    # GIVEN the event subscriptions the program declares (to other services' event topics)
    graph = deployed.graph
    event_topics = {topic_name(ENV, producer) for producer in SERVICES}
    found = 0
    for stack in graph.stacks:
        subs = [
            r
            for r in graph.of_type(stack, "aws:sns/topicSubscription:TopicSubscription")
            if r["inputs"]["protocol"] == "sqs"
            and r["inputs"]["topic"].rsplit(":", 1)[-1] in event_topics
        ]
        found += len(subs)
        for sub in subs:
            # WHEN the subscription is read back with the consumer's credentials
            sns = graph.client("sns", sub["account"])
            attributes = sns.get_subscription_attributes(SubscriptionArn=sub["outputs"]["arn"])[
                "Attributes"
            ]
            # THEN it is the consumer's, raw, filtered on the declared event types
            assert attributes["Owner"] == sub["account"] != sub["inputs"]["topic"].split(":")[4]
            assert attributes["RawMessageDelivery"] == "true"
            assert json.loads(attributes["FilterPolicy"]) == json.loads(
                sub["inputs"]["filterPolicy"]
            )
            assert attributes["FilterPolicyScope"] == "MessageAttributes"
    # AND there is one per consumer of each producer in the event catalogue
    assert found == sum(len(consumers_of(producer)) for producer in SERVICES)


def test_deploy_tables_have_indexes_ttl_and_streams(deployed: Deployed) -> None:
    # GIVEN purchase's table (gsi1 + stream) in its account
    graph = deployed.graph
    dynamodb = graph.client("dynamodb", TEST_ACCOUNTS["purchase"])
    name = graph.stack_outputs[f"purchase-{ENV}"]["tableName"]
    # WHEN it is described in the emulator
    table = dynamodb.describe_table(TableName=name)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    # THEN index, stream and TTL are as declared, and the recorded stream ARN is the real one
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
    recorded = graph.of_type(f"purchase-{ENV}", "aws:dynamodb/table:Table")[0]["outputs"]
    assert recorded["streamArn"] == table["LatestStreamArn"]


def test_deploy_function_environments_hold_working_identifiers(deployed: Deployed) -> None:
    # GIVEN purchase's API function as deployed (kept, not run, by the emulator)
    graph = deployed.graph
    function = graph.named(f"purchase-{ENV}", "purchase-api-function")
    variables = function["inputs"]["environment"]["variables"]
    secrets = graph.client("secretsmanager", TEST_ACCOUNTS["purchase"])
    # WHEN its environment's secret ARN is read in purchase's account
    secret = secrets.get_secret_value(SecretId=variables["SIGNING_KEY_SECRET_ARN"])
    # THEN it holds this run's private key, and the key pair id / domain are upload's outputs
    assert secret["SecretString"] == graph.signing["private_key_pem"]
    assert variables["SIGNING_KEY_PAIR_ID"] == graph.signing["key_pair_id"] != ""
    assert variables["DELIVERY_CDN_DOMAIN"] == "delivery-cdn.upload.local"
    assert graph.stack_outputs[f"upload-{ENV}"]["publicCdnDomain"] == "public-cdn.upload.local"
    # AND the emulator keeps the version it published and the live alias every caller invokes
    assert function["emulated"] is True and function["outputs"]["version"] == "1"
    functions = LambdaReads(TEST_ACCOUNTS["purchase"], graph.region)  # lambda_reads.py: why
    alias = functions.get_alias(FunctionName=function["outputs"]["name"], Name="live")
    assert alias["FunctionVersion"] == "1"


def test_deploy_s3_notification_sends_new_originals_to_the_ingest_queue(deployed: Deployed) -> None:
    # GIVEN upload's originals bucket and ingest queue, in upload's account
    graph = deployed.graph
    account = TEST_ACCOUNTS["upload"]
    bucket = graph.named(f"upload-{ENV}", "upload-originals-bucket")["outputs"]["bucket"]
    queue = graph.named(f"upload-{ENV}", "upload-ingest-queue")["outputs"]["url"]
    # WHEN an original is stored under originals/ with upload's credentials
    graph.client("s3", account).put_object(Bucket=bucket, Key="originals/u1/a.jpg", Body=b"x")
    # THEN S3 notifies the ingest queue (after the test event S3 sends on configuration)
    sqs = graph.client("sqs", account)
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
    ]
    # (keys arrive URL-encoded, as from S3; moto also encodes the slashes)
    keys = [unquote_plus(r["s3"]["object"]["key"]) for b in bodies for r in b.get("Records", [])]
    assert "originals/u1/a.jpg" in keys


def test_deploy_tls_only_bucket_policy_is_recorded_but_not_applied(deployed: Deployed) -> None:
    # GIVEN the originals bucket's declared policy (TLS-only deny)
    policy = deployed.graph.named(f"upload-{ENV}", "upload-originals-policy")
    declared = json.loads(policy["inputs"]["policy"])
    # WHEN the applied form is derived
    applied = without_tls_only_denies(policy["inputs"]["policy"])
    # THEN the graph keeps the declared deny; the emulator (plain HTTP) gets none of it
    assert declared["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert applied is None
    assert policy["outputs"]["appliedPolicy"] == ""


def test_deploy_config_trusts_the_local_identity_pool(deployed: Deployed) -> None:
    # GIVEN a user of the local Cognito pool and the JWT authorizers as deployed
    cloud, graph = deployed.cloud, deployed.graph
    tokens = sign_in_user(cloud, "deployer-test", "Passw0rd!local")
    authorizers = [
        r for s in graph.stacks for r in graph.of_type(s, "aws:apigatewayv2/authorizer:Authorizer")
    ]
    # WHEN the ID token is verified with the JWKS the emulator serves over HTTP
    with urllib.request.urlopen(graph.identity["jwks_url"], timeout=5) as response:
        key = jwt.PyJWKSet.from_dict(json.load(response)).keys[0]
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=["RS256"],
        audience=graph.identity["audiences"],
        issuer=graph.identity["issuer"],
    )
    # THEN every authorizer trusts exactly that issuer and audience
    assert claims["cognito:username"] == "deployer-test"
    assert {a["inputs"]["jwtConfiguration"]["issuer"] for a in authorizers} == {
        graph.identity["issuer"]
    }
    assert all(
        a["inputs"]["jwtConfiguration"]["audiences"] == [graph.identity["client_id"]]
        for a in authorizers
    )
    assert graph.accounts["identity"] == IDENTITY_ACCOUNT


def test_deploy_graph_round_trips_through_its_file(deployed: Deployed) -> None:
    # GIVEN the graph written by the deployer
    # WHEN it is loaded back
    loaded = Graph.load(deployed.graph_path)
    # THEN it is the same graph, with credentials that act in each account
    assert loaded == deployed.graph
    sts = loaded.client("sts", TEST_ACCOUNTS["catalog"])
    assert sts.get_caller_identity()["Account"] == TEST_ACCOUNTS["catalog"]
