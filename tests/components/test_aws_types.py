"""components/aws_types.py: every token is one pulumi_aws really registers, it is importable
without Pulumi, and the modules converted to it spell no token of their own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pulumi_aws
import pytest

from components import aws_types
from local.program import REPO_ROOT

TOKENS = {
    name: value
    for name, value in vars(aws_types).items()
    if name.isupper() and isinstance(value, str)
}
PROVIDER_SOURCES = Path(pulumi_aws.__file__).parent
QUOTED_TOKEN = re.compile(r"""["'](aws:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)["']""")
CONVERTED = ("policy", "tools", "bench", "components", "tests/infra", "tests/policy", "tests/tools")
NOT_YET = {
    Path("tools/deploy_role.py"): "the lead's (deploy-role policy documents)",
}
"""Modules of the converted trees that still spell tokens, and why."""


@pytest.mark.parametrize(("name", "token"), sorted(TOKENS.items()))
def test_token_is_registered_by_pulumi_aws(name: str, token: str) -> None:
    if token == aws_types.AWS_PROVIDER:
        assert (PROVIDER_SOURCES / "provider.py").read_text().count("'aws'") > 0
        return
    module = token.split(":")[1].split("/")[0]
    sources = (PROVIDER_SOURCES / module.replace("lambda", "lambda_")).glob("*.py")
    assert any(f"'{token}'" in path.read_text() for path in sources), f"{name} = {token!r}"


def test_module_imports_without_pulumi() -> None:
    code = "import sys, components.aws_types; assert 'pulumi' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


def test_converted_modules_spell_no_token_of_their_own() -> None:
    spelled = {
        f"{path.relative_to(REPO_ROOT)}: {match}"
        for tree in CONVERTED
        for path in (REPO_ROOT / tree).rglob("*.py")
        if path.relative_to(REPO_ROOT) not in NOT_YET and path.name != "aws_types.py"
        for match in QUOTED_TOKEN.findall(path.read_text())
        if match in TOKENS.values()
    }
    assert spelled == set()
