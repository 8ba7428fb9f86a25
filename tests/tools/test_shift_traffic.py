"""The deploy's shift step: the AppSpec CodeDeploy gets, and when there is nothing to shift."""

from __future__ import annotations

import json

from components.settings import load_settings
from tools.affected_stacks import environment_config
from tools.shift_traffic import Shift, pending_shifts

SHIFT = Shift("marketplace-prod-upload-api", "marketplace-prod-upload-functions",
              "marketplace-prod-upload-api", "4", "5")  # fmt: skip


def test_appspec_moves_the_live_alias_between_the_two_versions() -> None:
    spec = json.loads(SHIFT.appspec())
    assert spec["version"] == 0.0
    [resource] = spec["Resources"]
    assert resource == {
        "marketplace-prod-upload-api": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Name": "marketplace-prod-upload-api",
                "Alias": "live",
                "CurrentVersion": "4",
                "TargetVersion": "5",
            },
        }
    }


def test_an_all_at_once_environment_has_nothing_to_shift_and_asks_lambda_nothing() -> None:
    # GIVEN dev, which deploys all at once: pulumi up already moved the aliases
    settings = load_settings("dev", environment_config("dev").get)
    # THEN no shift, and no Lambda call (there is no client to call)
    assert pending_shifts(None, settings, "upload") == []


def test_a_prod_stack_without_functions_has_nothing_to_shift() -> None:
    # GIVEN prod, which shifts gradually, and the monitoring and web stacks (no functions)
    settings = load_settings("prod", environment_config("prod").get)
    # THEN the deploy's shift step passes without asking Lambda anything
    for service in ("monitoring", "web"):
        assert pending_shifts(None, settings, service) == []
