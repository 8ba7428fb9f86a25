"""Every stack of every environment evaluates to its service's shape, with its outputs."""

from __future__ import annotations

import pytest

from components import aws_types
from components.naming import StackNameError, parse_stack_name
from local.fake_cloud import FakeCloud
from local.program import Resource, evaluate
from services.contracts.catalogue import SERVICES
from tests.infra.conftest import LAMBDA_STACKS, STACKS, evaluated

PROVIDER = aws_types.AWS_PROVIDER
STACK_REFERENCE = "pulumi:pulumi:StackReference"
EVERY_SERVICE_HAS_ONE = (
    "marketplace:security:ServiceKey",
    "marketplace:alarms:AlarmTopic",
    "marketplace:storage:Table",
    "marketplace:http:HttpApi",
)


def component_of(stack_name: str) -> Resource:
    """The stack's service component (``marketplace:services:UploadService`` ...)."""
    service = stack_name.split("-")[0]
    [component] = evaluated(stack_name).of_type(f"marketplace:services:{service.title()}Service")
    return component


def ancestors(resource: Resource, by_urn: dict[str, Resource]) -> list[Resource]:
    chain = []
    while resource.parent is not None:
        resource = by_urn[resource.parent]
        chain.append(resource)
    return chain


@pytest.mark.parametrize("stack_name", STACKS)
def test_stack_is_its_provider_and_one_service_component_holding_every_resource(
    stack_name: str,
) -> None:
    # GIVEN the committed stack, evaluated
    evaluation = evaluated(stack_name)
    by_urn = {r.urn: r for r in evaluation.resources}
    # THEN every URN is unique (Pulumi refuses a duplicate at deploy time; mocks do not)
    assert len(by_urn) == len(evaluation.resources)
    # AND the stack holds only its provider and its service component (and stack references)
    component = component_of(stack_name)
    [provider] = evaluation.of_type(PROVIDER)
    roots = {r.urn for r in evaluation.resources if r.parent is None}
    references = {r.urn for r in evaluation.of_type(STACK_REFERENCE)}
    assert roots - references == {provider.urn, component.urn}
    # AND every cloud resource is created inside that component, none beside it
    for resource in evaluation.resources:
        if resource.type.startswith("aws:"):
            assert component in ancestors(resource, by_urn), resource.urn
    # AND no component is empty
    for resource in evaluation.resources:
        if not resource.custom and resource.type.startswith("marketplace:"):
            assert any(r.parent == resource.urn for r in evaluation.resources), resource.urn


@pytest.mark.parametrize("stack_name", LAMBDA_STACKS)
def test_stack_has_the_building_blocks_its_event_contract_declares(stack_name: str) -> None:
    # GIVEN what the event catalogue declares for the stack's service
    service = stack_name.split("-")[0]
    spec = SERVICES[service]
    evaluation = evaluated(stack_name)
    component = component_of(stack_name)

    def names(type_token: str) -> list[str]:
        return sorted(r.name for r in evaluation.of_type(type_token))

    # THEN it has an events topic exactly when it publishes, one subscription per producer
    # it consumes (named after the producer), and its key, alarms, table and HTTP API
    publishes = [f"{service}-events"] if spec.publishes else []
    assert names("marketplace:messaging:EventTopic") == publishes
    assert names("marketplace:messaging:EventSubscription") == sorted(
        f"{service}-{producer}-events" for producer in spec.consumes
    )
    for type_token in EVERY_SERVICE_HAS_ONE:
        [block] = evaluation.of_type(type_token)
        assert block.parent == component.urn, block.urn
    # AND at least one function, each a component of the service with its Lambda inside
    functions = evaluation.of_type("marketplace:compute:Function")
    assert functions
    for function in functions:
        [lam] = [r for r in evaluation.of_type(aws_types.FUNCTION) if r.parent == function.urn]
        assert lam.name == f"{function.name}-function"


@pytest.mark.parametrize("stack_name", LAMBDA_STACKS)
def test_stack_exports_api_url_and_table(stack_name: str) -> None:
    outputs = evaluated(stack_name).outputs
    assert outputs["apiUrl"].startswith("https://")
    assert (
        outputs["tableName"]
        == f"marketplace-{stack_name.split('-')[1]}-{stack_name.split('-')[0]}-data"
    )


def test_upload_exports_topic_and_cdn_domains() -> None:
    outputs = evaluated("upload-dev").outputs
    assert (
        outputs["eventsTopicArn"]
        == "arn:aws:sns:eu-west-1:111111111111:marketplace-dev-upload-events"
    )
    assert outputs["publicCdnDomain"].endswith(".cloudfront.net")
    assert outputs["deliveryCdnDomain"].endswith(".cloudfront.net")
    assert set(outputs["deliveryKeyPairIds"]) == {"k2026a"}


def test_purchase_exports_its_events_topic_and_no_notifications_topic() -> None:
    # Buyers are e-mailed by the notification service; purchase's unused topic is retired.
    evaluation = evaluated("purchase-prod")
    outputs = evaluation.outputs
    assert outputs["eventsTopicArn"].endswith(":666666666666:marketplace-prod-purchase-events")
    assert "notificationsTopicArn" not in outputs
    topics = [t.inputs["name"] for t in evaluation.of_type(aws_types.TOPIC)]
    assert not [name for name in topics if "notifications" in name], topics


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("upload", "is not named <service>-<env>"),
        ("upload-Dev", "is not named <service>-<env>"),
        ("billing-dev", "unknown service 'billing'"),
        ("upload-dev-2", "is not named <service>-<env>"),
    ],
)
def test_bad_stack_name_is_rejected_naming_the_expected_form(name: str, fragment: str) -> None:
    with pytest.raises(StackNameError) as error:
        parse_stack_name(name)
    assert fragment in str(error.value)
    assert name in str(error.value)
    assert "upload, catalog, purchase" in str(error.value)


def test_program_fails_on_bad_stack_name() -> None:
    with pytest.raises(StackNameError, match="upload, catalog, purchase"):
        evaluate("uploads-dev", FakeCloud(), config={})
