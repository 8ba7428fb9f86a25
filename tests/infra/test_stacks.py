"""Every stack of every environment evaluates, with the expected resources and outputs."""

from __future__ import annotations

from collections import Counter

import pytest

from components.naming import StackNameError, parse_stack_name
from local.fake_cloud import FakeCloud
from local.program import evaluate
from tests.infra.conftest import STACKS, evaluated

EXPECTED_COUNTS = {"upload": 77, "catalog": 52, "purchase": 63}
"""Resources per service stack (components included). Change deliberately, with the diff."""


@pytest.mark.parametrize("stack_name", STACKS)
def test_stack_evaluates_with_expected_resource_count(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    service = stack_name.split("-")[0]
    counts = Counter(r.type for r in evaluation.resources)
    assert len(evaluation.resources) == EXPECTED_COUNTS[service], counts


@pytest.mark.parametrize("stack_name", STACKS)
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


def test_purchase_exports_its_topics() -> None:
    outputs = evaluated("purchase-prod").outputs
    assert outputs["eventsTopicArn"].endswith(":666666666666:marketplace-prod-purchase-events")
    assert "buyer-notifications" in outputs["notificationsTopicArn"]


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
