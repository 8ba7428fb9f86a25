"""The notification stacks: SES from the settings, feedback back in, one foreign role, scoped."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from components import aws_types
from components.notification_service import lookup_role_documents
from components.settings import SettingsError
from local.program import Evaluation
from tests.infra.conftest import ENVIRONMENTS, evaluate_with, evaluated, statements
from tests.policy.conftest import context_of
from tools import audit

STACKS = [f"notification-{env}" for env in ENVIRONMENTS]


def role_statements(evaluation: Evaluation, function: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies of ``function``'s role."""
    found = []
    for policy in evaluation.of_type(aws_types.ROLE_POLICY):
        if policy.name.startswith(f"notification-{function}"):
            found += statements(json.loads(policy.inputs["policy"]))
    return found


def settings_of(stack: str) -> dict[str, Any]:
    from local.program import config_file_for, load_config

    return dict(load_config(config_file_for(stack))["marketplace:notification"])


@pytest.mark.parametrize("stack", STACKS)
def test_sender_assumes_only_the_declared_lookup_role(stack: str) -> None:
    evaluation = evaluated(stack)
    assumes = [s for s in role_statements(evaluation, "sender") if "sts:AssumeRole" in s["Action"]]
    assert [s["Resource"] for s in assumes] == [evaluation.outputs["lookupRoleArn"]]
    assert (
        evaluation.outputs["lookupRoleArn"].split(":")[4] == settings_of(stack)["identityAccount"]
    )
    # AND no other function may assume anything
    for function in ("api", "feedback"):
        assert not [s for s in role_statements(evaluation, function) if "sts:" in str(s)]


@pytest.mark.parametrize("stack", STACKS)
def test_sender_sends_only_as_the_configured_sender_through_the_configuration_set(
    stack: str,
) -> None:
    evaluation = evaluated(stack)
    mail = settings_of(stack)
    [send] = [s for s in role_statements(evaluation, "sender") if "ses:SendEmail" in s["Action"]]
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": mail["sender"]}}
    identity = mail.get("senderIdentity", mail["sender"])
    assert sorted(send["Resource"]) == sorted(
        [
            f"arn:aws:ses:eu-west-1:{evaluation.outputs['lookupRoleTrusts'].split(':')[4]}:"
            f"{kind}/{name}"
            for kind, name in (
                ("identity", identity),
                ("configuration-set", mail["configurationSet"]),
            )
        ]
    )


@pytest.mark.parametrize("stack", STACKS)
def test_bounces_and_complaints_go_to_the_feedback_function(stack: str) -> None:
    evaluation = evaluated(stack)
    [destination] = evaluation.of_type(aws_types.SES_EVENT_DESTINATION)
    topic = evaluation.outputs["feedbackTopicArn"]
    assert sorted(destination.inputs["matchingTypes"]) == ["bounce", "complaint"]
    assert destination.inputs["snsDestination"]["topicArn"] == topic
    assert destination.inputs["configurationSetName"] == settings_of(stack)["configurationSet"]
    # the topic admits SES for this configuration set and account only
    [policy] = [p for p in evaluation.of_type(aws_types.TOPIC_POLICY) if p.inputs["arn"] == topic]
    [allow] = [s for s in statements(json.loads(policy.inputs["policy"])) if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(
        f":configuration-set/{settings_of(stack)['configurationSet']}"
    )
    # and a raw subscription feeds the feedback queue
    [subscription] = [
        s for s in evaluation.of_type(aws_types.TOPIC_SUBSCRIPTION) if s.inputs["topic"] == topic
    ]
    assert subscription.inputs["rawMessageDelivery"] is True
    assert "mail-feedback" in subscription.inputs["endpoint"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_policy_pack_rejects_a_foreign_role_the_settings_do_not_declare(stack: str) -> None:
    # GIVEN the stack judged as if the settings declared no lookup role
    evaluation = evaluated(stack)
    context = replace(context_of(stack), foreign_roles=frozenset())
    _, findings = audit.policy_findings(evaluation, context)
    # THEN the sender's grant is reported, naming the role
    lookup = evaluation.outputs["lookupRoleArn"]
    assert [f for f in findings if f.check == "own-account-only" and lookup in f.message]


def test_lookup_role_trusts_only_the_sender_and_reads_only_the_pool() -> None:
    trust, policy = lookup_role_documents("arn:aws:iam::1:role/sender", "arn:pool")
    assert json.loads(trust)["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::1:role/sender"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert json.loads(policy)["Statement"] == [
        {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": "arn:pool"}
    ]


def test_notification_stack_without_mail_settings_fails_naming_the_key() -> None:
    with pytest.raises(Exception, match="missing config key marketplace:notification"):
        evaluate_with("notification-dev", lambda c: c.pop("marketplace:notification"))


def test_a_sender_identity_that_is_not_the_senders_fails_naming_the_key() -> None:
    def other_domain(config: dict[str, Any]) -> None:
        config["marketplace:notification"]["senderIdentity"] = "elsewhere.example.com"

    with pytest.raises(SettingsError, match=r"marketplace:notification\.senderIdentity"):
        evaluate_with("notification-dev", other_domain)
