"""The fault switch of the local runtime (local/runtime/faults.py), without the environment.

The plan's text syntax, repeatable choices, poison and scope, stream faults, and the
runtime refusing a bad ``MARKETPLACE_FAULTS`` before it starts; the faults over the running
marketplace are in tests/e2e/test_faults.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.graph import Graph
from local.runtime.faults import FaultPlan, Faults, FaultSpecError
from local.runtime.system import Runtime


def test_fault_plan_parses_the_environment_variable_syntax() -> None:
    # GIVEN the text form a developer puts in MARKETPLACE_FAULTS
    text = "raise=0.2, duplicate=0.25,reorder=1,seed=7,poison=bad|worse,pause=indexer:3"
    # WHEN it is parsed
    plan = FaultPlan.parse(text)
    # THEN every key lands in its field
    assert (plan.raise_rate, plan.duplicate_rate, plan.reorder, plan.seed) == (0.2, 0.25, True, 7)
    assert plan.poison == ("bad", "worse")
    assert plan.pauses == (("indexer", 3.0),)
    assert plan.active and not FaultPlan.parse("").active


@pytest.mark.parametrize("text", ["raise=2", "explode=0.1", "reorder", "seed=x"])
def test_fault_plan_rejects_bad_text_naming_the_key(text: str) -> None:
    # GIVEN / WHEN / THEN a wrong key, value or shape fails with the variable's name
    with pytest.raises(FaultSpecError, match="MARKETPLACE_FAULTS"):
        FaultPlan.parse(text)


def sqs_records(count: int) -> list[dict[str, Any]]:
    return [{"messageId": f"m{i}", "body": f'{{"n": {i}}}'} for i in range(count)]


def test_faults_choices_are_repeatable_and_transient_faults_are_capped() -> None:
    # GIVEN two switches with the same seed and an always-failing rate
    plan = "raise=0.3,duplicate=0.3,reorder=1,seed=11"
    first, second = Faults(plan), Faults(plan)
    always = Faults("raise=1,max_transient=1")
    records = sqs_records(40)
    # WHEN each decides on the same batch (twice for the always-failing one)
    one, two = first.decide_sqs("m", records), second.decide_sqs("m", records)
    failed_once = always.decide_sqs("m", records)
    failed_again = always.decide_sqs("m", records)
    # THEN the choices are the same, and random faults stop at max_transient per record
    assert [r["messageId"] for r in one.invoke] == [r["messageId"] for r in two.invoke]
    assert [r["messageId"] for r in one.duplicate] == [r["messageId"] for r in two.duplicate]
    assert 0 < len(one.fail) < len(records)
    assert len(failed_once.fail) == len(records)
    assert failed_again.fail == [] and len(failed_again.invoke) == len(records)


def test_poison_fails_every_time_and_scope_limits_where_faults_apply() -> None:
    # GIVEN a poison marker scoped to one mapping
    faults = Faults('poison=n": 3,scope=catalog')
    records = sqs_records(5)
    # WHEN both a matching and another mapping receive the poisoned record, repeatedly
    decisions = [faults.decide_sqs("catalog-upload-events", records) for _ in range(3)]
    elsewhere = faults.decide_sqs("purchase-upload-events", records)
    # THEN it fails every time where the faults apply, and nowhere else
    assert all([r["messageId"] for r in d.fail] == ["m3"] for d in decisions)
    assert elsewhere.fail == [] and len(elsewhere.invoke) == len(records)
    assert faults.retry_after("purchase-upload-events") is None


def stream_records(*keys: str) -> list[dict[str, Any]]:
    return [
        {"dynamodb": {"SequenceNumber": str(n), "NewImage": {"pk": {"S": key}}}}
        for n, key in enumerate(keys)
    ]


def test_stream_faults_fail_at_the_poisoned_record_and_repeat_records_once() -> None:
    # GIVEN a stream batch with a poisoned record in the middle, and a duplicating switch
    poisoned = Faults("poison=PURCHASE#bad")
    duplicating = Faults("duplicate=1")
    batch = stream_records("PURCHASE#1", "PURCHASE#bad", "PURCHASE#2")
    # WHEN each decides on the batch (the duplicating one twice)
    stop = poisoned.decide_stream("purchase-completion", batch)
    first = duplicating.decide_stream("purchase-completion", batch)
    again = duplicating.decide_stream("purchase-completion", batch)
    # THEN the batch fails at the poisoned record (shard order: nothing after it goes first)
    assert (stop.fail_at, stop.reason) == (1, "poison")
    # AND every record is repeated once, never a copy of a copy
    assert first.duplicate == batch and again.duplicate == []


def test_runtime_refuses_a_bad_faults_variable_before_starting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a typo in MARKETPLACE_FAULTS
    monkeypatch.setenv("MARKETPLACE_FAULTS", "rasie=0.2")
    # WHEN / THEN the runtime fails loudly, naming the key, before anything runs
    with pytest.raises(FaultSpecError, match="rasie"):
        Runtime(Graph(endpoint="http://127.0.0.1:1", region="eu-west-1"), log_dir=None)
