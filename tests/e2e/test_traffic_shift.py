"""A shift rehearsed locally: a new version of catalog's API takes 10 % of searches.

The local environment deploys like prod (``Pulumi.local.yaml``: Canary10Percent5Minutes), so
each function has a CodeDeploy group in the graph; ``CodeDeployStandIn`` plays CodeDeploy
against the alias the emulator keeps, with five minutes compressed into five seconds, while
real searches run through the API. A faulty version is rolled back by its error alarm; a
healthy one ends with every invocation on it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from components.settings import load_settings
from local.emulator.lambda_reads import LambdaReads
from local.runtime.environment import LocalEnvironment
from local.runtime.traffic_shift import AlarmStandIn, CodeDeployStandIn, DeploymentGroup
from tools.affected_stacks import environment_config
from tools.shift_traffic import pending_shifts

FUNCTION = "marketplace-local-catalog-api"
HANDLER = "services.catalog.api.lambda_handler"
FAULTY = "tests.e2e.faulty_release.lambda_handler"
SECONDS_PER_MINUTE = 1.0


@pytest.fixture
def group(local_env: LocalEnvironment) -> DeploymentGroup:
    assert local_env.graph is not None
    [found] = [g for g in DeploymentGroup.all_of(local_env.graph) if g.function_name == FUNCTION]
    return found


@pytest.fixture
def lambda_client(local_env: LocalEnvironment, group: DeploymentGroup) -> Any:
    assert local_env.graph is not None
    return local_env.graph.client("lambda", group.account)


@pytest.fixture
def reads(local_env: LocalEnvironment, group: DeploymentGroup) -> LambdaReads:
    """Lambda's reads of the emulator (moto refuses Lambda GETs under IAM: lambda_reads.py)."""
    assert local_env.graph is not None
    return LambdaReads(group.account, local_env.graph.region)


def publish(client: Any, handler: str) -> str:
    """A new version of the function with ``handler`` (what ``pulumi up`` publishes)."""
    client.update_function_configuration(FunctionName=FUNCTION, Handler=handler)
    return str(client.publish_version(FunctionName=FUNCTION)["Version"])


def stand_in(local_env: LocalEnvironment) -> CodeDeployStandIn:
    assert local_env.graph is not None and local_env.runtime is not None
    graph, runtime = local_env.graph, local_env.runtime
    alarms = AlarmStandIn(graph, runtime.aliases, seconds_per_minute=SECONDS_PER_MINUTE)
    return CodeDeployStandIn(
        lambda account: graph.client("lambda", account),
        alarms,
        graph.region,
        seconds_per_minute=SECONDS_PER_MINUTE,
    )


@pytest.fixture
def searches(local_env: LocalEnvironment) -> Iterator[Counter[int]]:
    """Buyers searching the catalog throughout the test: status code -> count."""
    statuses: Counter[int] = Counter()
    stop = threading.Event()
    url = f"{local_env.api_url('catalog')}/images?tag=sunset"

    def search() -> None:
        while not stop.is_set():
            try:
                statuses[requests.get(url, timeout=30).status_code] += 1
            except requests.RequestException:
                statuses[0] += 1

    thread = threading.Thread(target=search, daemon=True)
    thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        thread.join(timeout=30)


def test_a_faulty_version_is_rolled_back_when_its_error_alarm_fires(
    local_env: LocalEnvironment,
    group: DeploymentGroup,
    lambda_client: Any,
    reads: LambdaReads,
    searches: Counter[int],
) -> None:
    # GIVEN catalog's API live on its deployed version, and a new version that fails
    before = reads.get_alias(FunctionName=FUNCTION, Name="live")
    faulty = publish(lambda_client, FAULTY)
    assert group.config_name == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert f"{FUNCTION}-errors" in group.alarms
    # WHEN CodeDeploy shifts 10 % of invocations to it while buyers search
    result = stand_in(local_env).deploy(group, faulty)
    # THEN the error alarm stopped the shift and the alias is back where it was, unweighted
    assert result.status == "Stopped", result.events
    assert result.alarms == [f"{FUNCTION}-errors"]
    after = reads.get_alias(FunctionName=FUNCTION, Name="live")
    assert after["FunctionVersion"] == before["FunctionVersion"] != faulty
    assert not (after.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    # AND only the new version failed: the searches it served got 5xx, the others 200
    assert local_env.runtime is not None
    aliased = local_env.runtime.aliases[FUNCTION]
    failed_versions = {o.version for o in aliased.outcomes if not o.ok}
    assert failed_versions == {faulty}
    assert searches[200] > 0 and sum(n for s, n in searches.items() if s >= 500) > 0


def test_a_healthy_version_takes_all_traffic_after_the_canary(
    local_env: LocalEnvironment, group: DeploymentGroup, lambda_client: Any, reads: LambdaReads
) -> None:
    # GIVEN a new version of the same, working code
    healthy = publish(lambda_client, HANDLER)
    # WHEN the deploy's step after `pulumi up` finds the alias behind (tools/shift_traffic.py)
    settings = load_settings("local", environment_config("local").get)
    [shift] = pending_shifts(reads, settings, "catalog")
    assert (shift.function, shift.target) == (FUNCTION, healthy)
    assert (shift.application, shift.group) == (group.application, group.name)
    # AND CodeDeploy shifts to it with nothing failing
    result = stand_in(local_env).deploy(group, shift.target)
    # THEN the canary step passed and the alias now names the new version alone
    assert result.status == "Succeeded", result.events
    alias = reads.get_alias(FunctionName=FUNCTION, Name="live")
    assert alias["FunctionVersion"] == healthy
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    # AND searches are answered by it
    assert local_env.runtime is not None
    assert requests.get(f"{local_env.api_url('catalog')}/tags", timeout=30).status_code == 200
    assert local_env.runtime.aliases[FUNCTION].outcomes[-1].version == healthy
