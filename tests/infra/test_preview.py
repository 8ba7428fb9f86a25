"""The offline preview prints every stack's tree and fails loudly on a broken program."""

from __future__ import annotations

import pytest

from local.__main__ import main
from tests.infra.conftest import STACKS


@pytest.mark.parametrize("stack_name", STACKS)
def test_preview_prints_tree_with_accounts_and_counts(
    stack_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN the offline preview runs for a committed stack
    code = main(["preview", stack_name])
    out = capsys.readouterr().out
    # THEN it exits 0 and shows nested resources with their account, counts and outputs
    assert code == 0
    assert out.startswith(f"+ pulumi:pulumi:Stack  marketplace-{stack_name}")
    assert "    + pulumi:providers:aws" in out
    assert "        + marketplace:" in out
    assert "Resources: " in out and "apiUrl: https://" in out


def test_preview_exits_non_zero_naming_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preview", "billing-dev"])
    assert code == 1
    assert "unknown service 'billing'" in capsys.readouterr().err
