"""The offline evaluator: an evaluation leaves nothing behind, failed or not."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from pathlib import Path
from typing import Any

import pulumi
import pytest

from local.fake_cloud import FakeCloud
from local.program import evaluate

BROKEN_PROGRAM = (
    "import pulumi, pulumi_aws as aws\n"
    "p = aws.Provider('p', allowed_account_ids=['111111111111'])\n"
    "pulumi.CustomResource('aws:madeup/thing:Thing', 'thing', {},"
    " opts=pulumi.ResourceOptions(provider=p))\n"
)


class RefusingCloud(FakeCloud):
    """Refuses one resource type, as the local deployer refuses unknown ones."""

    def outputs_for(self, args: pulumi.runtime.MockResourceArgs, account: str | None) -> Any:
        if args.typ.startswith("aws:madeup/"):
            raise KeyError(f"unknown type {args.typ}")
        return super().outputs_for(args, account)


def test_failed_evaluation_does_not_poison_the_next(tmp_path: Path) -> None:
    # GIVEN an evaluation that fails inside a resource registration
    program = tmp_path / "__main__.py"
    program.write_text(BROKEN_PROGRAM)
    with pytest.raises(KeyError, match="aws:madeup/thing:Thing"):
        evaluate("upload-dev", RefusingCloud(), config={}, program=program)
    # WHEN the real program is evaluated next / THEN it succeeds with only its own resources
    evaluation = evaluate("catalog-dev", FakeCloud())
    assert not any(r.type.startswith("aws:madeup/") for r in evaluation.resources)
    assert evaluation.outputs["tableName"] == "marketplace-dev-catalog-data"


def test_evaluation_closes_every_event_loop_it_made() -> None:
    # GIVEN every warning about unclosed resources recorded
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        # WHEN a stack is evaluated and its garbage collected
        evaluate("catalog-dev", FakeCloud())
        gc.collect()
    # THEN no event loop was left open (its finaliser fails at exit: "Invalid file descriptor"),
    # no RPC thread is left running, and no loop is left set on this thread
    unclosed = [str(w.message) for w in caught if "unclosed event loop" in str(w.message)]
    assert unclosed == []
    assert [t.name for t in threading.enumerate() if t.name.startswith("pulumi-rpc")] == []
    with pytest.raises(RuntimeError):
        asyncio.get_event_loop_policy().get_event_loop()
