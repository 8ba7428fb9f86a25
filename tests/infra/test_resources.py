"""Per-service resources exist with the quality defaults the README promises (logs with
retention, alarms, DLQs, encryption, PITR, tags, private CDNs, least-privilege roles)."""

from __future__ import annotations

import json

import pytest

from components import aws_types
from local.program import Evaluation, Resource
from tests.infra.conftest import LAMBDA_STACKS, STACKS, evaluate_with, evaluated

REQUIRED_TAGS = {"service", "env", "team"}


def of(stack: str, type_token: str) -> list[Resource]:
    return evaluated(stack).of_type(type_token)


@pytest.mark.parametrize("stack_name", STACKS)
def test_functions_are_arm64_traced_json_logged(stack_name: str) -> None:
    for function in of(stack_name, aws_types.FUNCTION):
        assert function.inputs["architectures"] == ["arm64"], function.urn
        assert function.inputs["tracingConfig"] == {"mode": "Active"}, function.urn
        assert function.inputs["loggingConfig"]["logFormat"] == "JSON", function.urn
        assert function.inputs["runtime"].startswith("python3."), function.urn
        assert function.inputs["environment"]["variables"]["TABLE_NAME"].endswith("-data")


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_function_has_a_log_group_with_retention(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    groups = {g.inputs["name"]: g for g in evaluation.of_type(aws_types.LOG_GROUP)}
    expected = 14 if stack_name.endswith("dev") else 365
    for function in evaluation.of_type(aws_types.FUNCTION):
        group = groups[f"/aws/lambda/{function.inputs['name']}"]
        assert group.inputs["retentionInDays"] == expected, function.urn
        assert function.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_function_has_error_and_throttle_alarms(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    alarms = evaluation.of_type(aws_types.METRIC_ALARM)
    for function in evaluation.of_type(aws_types.FUNCTION):
        metrics = {
            a.inputs["metricName"]
            for a in alarms
            if a.inputs.get("dimensions", {}).get("FunctionName") == function.inputs["name"]
        }
        assert metrics == {"Errors", "Throttles"}, function.urn


@pytest.mark.parametrize("stack_name", LAMBDA_STACKS)
def test_alarms_notify_the_alarm_topic_which_emails_the_configured_address(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    topic = next(
        t for t in evaluation.of_type(aws_types.TOPIC) if t.inputs["name"].endswith("-alarms")
    )
    arn = topic.outputs["arn"]
    for alarm in evaluation.of_type(aws_types.METRIC_ALARM):
        assert alarm.inputs["alarmActions"] == [arn], alarm.urn
    email = evaluation.named(f"{stack_name.split('-')[0]}-alarms-email")
    assert email.inputs["endpoint"] == f"marketplace-{stack_name.split('-')[1]}-alarms@example.com"


@pytest.mark.parametrize("stack_name", STACKS)
def test_queue_has_dead_letter_queue_and_alarm(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    queues = {q.outputs["arn"]: q for q in evaluation.of_type(aws_types.QUEUE)}
    alarmed = {
        (a.inputs.get("dimensions") or {}).get("QueueName")
        for a in evaluation.of_type(aws_types.METRIC_ALARM)
    }
    for queue in queues.values():
        assert queue.inputs.get("sqsManagedSseEnabled") is True, queue.urn
        if queue.inputs["name"].endswith(("-dlq", "-failures")):
            assert queue.inputs["name"] in alarmed, f"{queue.urn}: no depth alarm"
            continue
        redrive = json.loads(queue.inputs["redrivePolicy"])
        assert redrive["deadLetterTargetArn"] in queues, queue.urn
        assert 1 <= redrive["maxReceiveCount"] <= 5, queue.urn


@pytest.mark.parametrize("stack_name", STACKS)
def test_event_source_mappings_report_batch_item_failures(stack_name: str) -> None:
    for mapping in of(stack_name, aws_types.EVENT_SOURCE_MAPPING):
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"], mapping.urn


def test_sqs_visibility_timeout_covers_six_function_timeouts() -> None:
    evaluation = evaluated("upload-dev")
    queue = next(
        q for q in evaluation.of_type(aws_types.QUEUE) if q.inputs["name"].endswith("-ingest")
    )
    processor = evaluation.named("upload-processor-function")
    assert queue.inputs["visibilityTimeoutSeconds"] == 6 * processor.inputs["timeout"]


@pytest.mark.parametrize("stack_name", STACKS)
def test_tables_are_encrypted_with_point_in_time_recovery(stack_name: str) -> None:
    for table in of(stack_name, aws_types.TABLE):
        assert table.inputs["serverSideEncryption"]["enabled"] is True, table.urn
        assert table.inputs["pointInTimeRecovery"]["enabled"] is True, table.urn
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST", table.urn
        assert table.inputs["deletionProtectionEnabled"] is stack_name.endswith("prod"), table.urn


@pytest.mark.parametrize("stack_name", STACKS)
def test_topics_are_kms_encrypted(stack_name: str) -> None:
    for topic in of(stack_name, aws_types.TOPIC):
        assert topic.inputs.get("kmsMasterKeyId", "").startswith("arn:aws:kms:"), topic.urn


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_taggable_resource_has_service_env_team_tags(stack_name: str) -> None:
    service, env = stack_name.split("-")
    for resource in evaluated(stack_name).resources:
        # tagsAll: the provider's default tags merged with the resource's own (its Check)
        if "tagsAll" not in resource.inputs and resource.type in TAGGABLE_WITHOUT_TAGS:
            pytest.fail(f"{resource.urn} has no tags")
        tags = resource.inputs.get("tagsAll")
        if tags is None:
            continue
        assert set(tags) >= REQUIRED_TAGS, resource.urn
        assert (tags["service"], tags["env"]) == (service, env), resource.urn


TAGGABLE_WITHOUT_TAGS = {
    aws_types.FUNCTION,
    aws_types.QUEUE,
    aws_types.TOPIC,
    aws_types.TABLE,
    aws_types.BUCKET,
    aws_types.ROLE,
    aws_types.KMS_KEY,
    aws_types.DISTRIBUTION,
    aws_types.HTTP_API,
    aws_types.LOG_GROUP,
}


def upload() -> Evaluation:
    return evaluated("upload-dev")


def test_upload_originals_move_to_glacier_and_are_versioned() -> None:
    lifecycle = upload().named("upload-originals-lifecycle")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    glacier = rules["originals-to-glacier"]
    assert glacier["transitions"][0]["storageClass"].startswith("GLACIER")
    assert glacier["filter"]["prefix"] == "originals/"
    assert "abort-incomplete-multipart-uploads" in rules
    assert (
        upload().named("upload-originals-versioning").inputs["versioningConfiguration"]["status"]
        == "Enabled"
    )


def test_upload_notifications_feed_the_ingest_queue() -> None:
    notification = upload().named("upload-originals-notification")
    queue = upload().named("upload-ingest-queue")
    [target] = notification.inputs["queues"]
    assert target["queueArn"] == queue.outputs["arn"]
    assert target["events"] == ["s3:ObjectCreated:*"]
    assert target["filterPrefix"] == "originals/"


def test_upload_cdns_use_origin_access_control_and_delivery_requires_signed_urls() -> None:
    evaluation = upload()
    public = evaluation.named("upload-public-cdn-distribution")
    delivery = evaluation.named("upload-delivery-cdn-distribution")
    for distribution in (public, delivery):
        [origin] = distribution.inputs["origins"]
        assert origin["originAccessControlId"], distribution.urn
        assert distribution.inputs["defaultCacheBehavior"]["viewerProtocolPolicy"] == "https-only"
    assert not public.inputs["defaultCacheBehavior"].get("trustedKeyGroups")
    key_group = evaluation.named("upload-delivery-cdn-key-group")
    assert delivery.inputs["defaultCacheBehavior"]["trustedKeyGroups"] == [key_group.id]
    public_key = evaluation.named("upload-delivery-cdn-key-k2026a")
    assert key_group.inputs["items"] == [public_key.id]
    assert "BEGIN PUBLIC KEY" in public_key.inputs["encodedKey"]


def test_cdn_buckets_admit_only_their_distribution() -> None:
    evaluation = upload()
    for purpose in ("renditions", "licensed"):
        policy = json.loads(evaluation.named(f"upload-{purpose}-policy").inputs["policy"])
        cdn = "public" if purpose == "renditions" else "delivery"
        distribution = evaluation.named(f"upload-{cdn}-cdn-distribution")
        [read] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert read["Condition"]["StringEquals"]["AWS:SourceArn"] == distribution.outputs["arn"]
        assert read["Action"] == ["s3:GetObject"]


@pytest.mark.parametrize("labels", [True, False])
@pytest.mark.parametrize("moderation", [True, False])
def test_upload_processor_may_call_rekognition_only_for_enabled_switches(
    labels: bool, moderation: bool
) -> None:
    # GIVEN upload-dev with each Rekognition switch set
    evaluation = evaluate_with(
        "upload-dev",
        lambda c: c.update(
            {
                "marketplace:rekognitionLabels": labels,
                "marketplace:rekognitionModeration": moderation,
            }
        ),
    )
    # WHEN the processor's policy and environment are read
    policy = json.loads(evaluation.named("upload-processor-policy").inputs["policy"])
    granted = {a for s in policy["Statement"] for a in s["Action"] if a.startswith("rekognition:")}
    variables = evaluation.named("upload-processor-function").inputs["environment"]["variables"]
    # THEN it may call exactly the enabled operations, and its code is told which they are
    expected = {"rekognition:DetectLabels"} if labels else set()
    expected |= {"rekognition:DetectModerationLabels"} if moderation else set()
    assert granted == expected
    assert variables["REKOGNITION_LABELS"] == str(labels).lower()
    assert variables["REKOGNITION_MODERATION"] == str(moderation).lower()


def test_catalog_table_has_its_query_indexes() -> None:
    table = evaluated("catalog-dev").of_type(aws_types.TABLE)[0]
    assert [i["name"] for i in table.inputs["globalSecondaryIndexes"]] == ["gsi1", "gsi2", "gsi3"]


def test_catalog_api_is_public_and_read_only() -> None:
    # The route list itself is the manifest's (tests/infra/test_manifest.py); the policy is
    # that every catalog route is a GET and needs no token.
    routes = evaluated("catalog-dev").of_type(aws_types.HTTP_API_ROUTE)
    assert routes
    assert all(r.inputs["routeKey"].startswith("GET /") for r in routes)
    assert all(r.inputs["authorizationType"] == "NONE" for r in routes)


@pytest.mark.parametrize("stack_name", ["upload-dev", "purchase-dev"])
def test_write_apis_require_a_jwt_from_the_configured_issuer(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    [authorizer] = evaluation.of_type(aws_types.HTTP_API_AUTHORIZER)
    assert authorizer.inputs["authorizerType"] == "JWT"
    jwt = authorizer.inputs["jwtConfiguration"]
    assert jwt["issuer"].startswith("https://cognito-idp.")
    assert jwt["audiences"] == ["REPLACE-ME-dev-web-client-id"]
    for route in evaluation.of_type(aws_types.HTTP_API_ROUTE):
        assert route.inputs["authorizationType"] == "JWT", route.urn
        assert route.inputs["authorizerId"] == authorizer.id, route.urn


@pytest.mark.parametrize("stack_name", ["upload-dev", "catalog-dev", "purchase-dev"])
def test_api_stage_has_access_logs_and_throttling(stack_name: str) -> None:
    [stage] = evaluated(stack_name).of_type(aws_types.HTTP_API_STAGE)
    assert stage.inputs["accessLogSettings"]["destinationArn"].startswith("arn:aws:logs:")
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] > 0
    assert stage.inputs["autoDeploy"] is True


def test_purchase_completion_is_driven_by_the_table_stream() -> None:
    evaluation = evaluated("purchase-dev")
    table = evaluation.of_type(aws_types.TABLE)[0]
    assert table.inputs["streamEnabled"] is True
    mapping = evaluation.named("purchase-completion-mapping")
    assert mapping.inputs["eventSourceArn"] == table.outputs["streamArn"]
    assert mapping.inputs["bisectBatchOnFunctionError"] is True
    assert mapping.inputs["destinationConfig"]["onFailure"]["destinationArn"].endswith(
        "-completion-failures"
    )
    pattern = json.loads(mapping.inputs["filterCriteria"]["filters"][0]["pattern"])
    assert pattern["eventName"] == ["INSERT"]


def test_purchase_signing_key_is_a_kms_encrypted_secret_without_a_value() -> None:
    evaluation = evaluated("purchase-dev")
    [secret] = evaluation.of_type(aws_types.SECRET)
    assert secret.inputs["name"] == "marketplace/dev/purchase/cdn-signing-key"
    assert secret.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert not evaluation.of_type(aws_types.SECRET_VERSION)


def test_purchase_learns_delivery_cdn_from_the_upload_stack_reference() -> None:
    evaluation = evaluated("purchase-dev")
    [reference] = evaluation.of_type("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == "organization/marketplace/upload-dev"
    api = evaluation.named("purchase-api-function").inputs["environment"]["variables"]
    upload_outputs = evaluated("upload-dev").outputs
    assert api["DELIVERY_CDN_DOMAIN"] == upload_outputs["deliveryCdnDomain"]
    assert api["SIGNING_KEY_PAIR_ID"] == upload_outputs["deliveryKeyPairIds"]["k2026a"]


def test_purchase_takes_delivery_cdn_from_config_when_set() -> None:
    from tests.infra.conftest import evaluate_with

    evaluation = evaluate_with(
        "purchase-dev",
        lambda c: c.update(
            {"marketplace:delivery": {"domain": "cdn.example.com", "keyPairId": "K123"}}
        ),
    )
    assert not evaluation.of_type("pulumi:pulumi:StackReference")
    api = evaluation.named("purchase-api-function").inputs["environment"]["variables"]
    assert (api["DELIVERY_CDN_DOMAIN"], api["SIGNING_KEY_PAIR_ID"]) == ("cdn.example.com", "K123")
