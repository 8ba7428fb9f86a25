"""The offline evaluator: a failed evaluation leaves nothing behind for the next one."""

from __future__ import annotations

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
