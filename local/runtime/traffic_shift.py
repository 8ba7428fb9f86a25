"""The local stand-in for CodeDeploy's Lambda deployments and the alarms they watch.

In AWS, after ``pulumi up`` published a new version, the deploy asks CodeDeploy to move the
function's ``live`` alias (tools/shift_traffic.py). CodeDeploy then gives the new version the
weight its configuration says (``CodeDeployDefault.LambdaCanary10Percent5Minutes``: 10 % for
five minutes, then all), watches the group's alarms throughout, and if one is in ALARM puts
the alias back on the old version (rollback). moto keeps the groups' definitions (recorded in
the graph here) and the alias with its routing weights, but runs no deployment and evaluates
no alarm. So ``CodeDeployStandIn`` performs those steps against the alias the emulator keeps,
and ``AlarmStandIn`` evaluates the group's ``AWS/Lambda`` ``Errors`` alarms from what the
runtime saw (every invocation through the alias is an ``aliases.Outcome``, which is what
Lambda's ``Errors`` metric counts). Throttles never happen locally, and business alarms
(custom metrics from the handlers' EMF logs) are not evaluated here: both never fire.
``seconds_per_minute`` compresses time, so a five-minute canary can run in seconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components import aws_types
from local.emulator.lambda_reads import LambdaReads
from local.graph import Graph
from local.runtime.aliases import AliasedFunction

ALIAS = "live"
CONFIG_NAME = re.compile(
    r"^CodeDeployDefault\.Lambda(?:AllAtOnce|(?P<kind>Canary|Linear)(?P<percent>\d+)Percent"
    r"(?:Every)?(?P<minutes>\d+)Minutes?)$"
)


@dataclass(frozen=True)
class TrafficSteps:
    """The weights a configuration gives the new version, each held for some minutes."""

    steps: tuple[tuple[float, float], ...]
    """(share of invocations on the new version, minutes it is held), before the move to all."""

    @classmethod
    def of(cls, config_name: str) -> TrafficSteps:
        match = CONFIG_NAME.match(config_name)
        if not match:
            raise ValueError(f"not a predefined Lambda deployment configuration: {config_name!r}")
        if match["kind"] is None:
            return cls(())
        share, minutes = int(match["percent"]) / 100, float(match["minutes"])
        if match["kind"] == "Canary":
            return cls(((share, minutes),))
        count = round(1 / share)
        return cls(tuple((round(share * k, 4), minutes) for k in range(1, count)))


@dataclass(frozen=True)
class DeploymentGroup:
    """A recorded ``aws:codedeploy/deploymentGroup:DeploymentGroup`` of a Lambda function."""

    account: str
    application: str
    name: str
    function_name: str
    config_name: str
    alarms: tuple[str, ...]

    @classmethod
    def all_of(cls, graph: Graph) -> list[DeploymentGroup]:
        return [
            cls.from_resource(resource)
            for stack in graph.stacks
            for resource in graph.of_type(stack, aws_types.DEPLOYMENT_GROUP)
        ]

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any]) -> DeploymentGroup:
        inputs = resource["inputs"]
        alarms = (inputs.get("alarmConfiguration") or {}).get("alarms") or []
        return cls(
            account=str(resource["account"]),
            application=str(inputs["appName"]),
            name=str(inputs["deploymentGroupName"]),
            # The program names each group after its function (components.deployment).
            function_name=str(inputs["deploymentGroupName"]),
            config_name=str(inputs["deploymentConfigName"]),
            alarms=tuple(alarms),
        )


class AlarmStandIn:
    """CloudWatch's evaluation of the recorded ``AWS/Lambda`` ``Errors`` alarms, locally."""

    def __init__(
        self,
        graph: Graph,
        aliases: Mapping[str, AliasedFunction],
        seconds_per_minute: float = 60.0,
        clock: Callable[[], float] = time.time,
    ):
        self._alarms = {
            str(r["inputs"].get("name")): r["inputs"]
            for stack in graph.stacks
            for r in graph.of_type(stack, aws_types.METRIC_ALARM)
        }
        self._aliases = aliases
        self._scale = seconds_per_minute / 60
        self._clock = clock

    def firing(self, names: Iterable[str], since: float) -> list[str]:
        """The alarms of ``names`` in ALARM, counting what happened since ``since``."""
        return [name for name in names if self._in_alarm(name, since)]

    def _in_alarm(self, name: str, since: float) -> bool:
        alarm = self._alarms.get(name)
        if alarm is None:
            raise KeyError(f"no recorded alarm {name!r}")
        if alarm.get("namespace") != "AWS/Lambda" or alarm.get("metricName") != "Errors":
            return False  # throttles do not happen locally; business metrics are not evaluated
        function = self._aliases[(alarm.get("dimensions") or {})["FunctionName"]]
        period = float(alarm.get("period") or 60) * self._scale
        start = max(since, self._clock() - period)
        return function.errors_since(start) > float(alarm.get("threshold") or 0)


@dataclass
class DeploymentResult:
    """What CodeDeploy's console shows for a deployment: its status and what happened."""

    status: str
    """``Succeeded`` or ``Stopped`` (rolled back)."""
    from_version: str
    to_version: str
    alarms: list[str] = field(default_factory=list)
    """The alarms that stopped it."""
    events: list[str] = field(default_factory=list)


class CodeDeployStandIn:
    """Shifts an alias the way CodeDeploy's Lambda deployments do, and rolls it back."""

    def __init__(
        self,
        lambda_client_for: Callable[[str], Any],
        alarms: AlarmStandIn,
        region: str,
        seconds_per_minute: float = 60.0,
        poll_seconds: float = 0.1,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._client_for = lambda_client_for
        self._region = region
        self._alarms = alarms
        self._scale = seconds_per_minute / 60
        self._poll = poll_seconds
        self._clock = clock
        self._sleep = sleep

    def deploy(self, group: DeploymentGroup, target_version: str) -> DeploymentResult:
        """Move ``group``'s alias to ``target_version`` step by step, or back on an alarm."""
        client = self._client_for(group.account)
        # Read in-process, written through the API (local/emulator/lambda_reads.py says why).
        reads = LambdaReads(group.account, self._region)
        current = reads.get_alias(FunctionName=group.function_name, Name=ALIAS)
        result = DeploymentResult("InProgress", current["FunctionVersion"], target_version)
        started = self._clock()
        for share, minutes in TrafficSteps.of(group.config_name).steps:
            self._route(client, group, result.from_version, {target_version: share})
            result.events.append(f"{share:.0%} of traffic on version {target_version}")
            fired = self._watch(group, started, minutes * 60 * self._scale)
            if fired:
                self._route(client, group, result.from_version, {})
                result.status, result.alarms = "Stopped", fired
                result.events.append(f"alarm {', '.join(fired)}: rolled back")
                return result
        self._route(client, group, target_version, {})
        result.events.append(f"all traffic on version {target_version}")
        result.status = "Succeeded"
        return result

    def _watch(self, group: DeploymentGroup, started: float, seconds: float) -> list[str]:
        """Poll the group's alarms for ``seconds``; the ones that fired, if any did."""
        deadline = self._clock() + seconds
        while True:
            fired = self._alarms.firing(group.alarms, since=started)
            if fired or self._clock() >= deadline:
                return fired
            self._sleep(self._poll)

    @staticmethod
    def _route(
        client: Any, group: DeploymentGroup, version: str, weights: Mapping[str, float]
    ) -> None:
        client.update_alias(
            FunctionName=group.function_name,
            Name=ALIAS,
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": dict(weights)},
        )
