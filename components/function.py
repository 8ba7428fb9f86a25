"""A Lambda function with its own least-privilege role, log group, tracing and alarms.

Every deploy publishes a version, and callers invoke the ``live`` alias, never ``$LATEST``:
an event source or API keeps calling the version the alias names while a new one is rolled
out. Who moves the alias depends on the environment's deployment preference
(``Settings.deployment_of``): ``AllAtOnce`` lets ``pulumi up`` point it at the new version;
any CodeDeploy shift leaves it to CodeDeploy (components.deployment), so Pulumi ignores the
alias' version after creating it, or the next ``pulumi up`` would undo a shift or a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.alarms import metric_alarm
from components.context import ServiceContext
from components.iam import Statement, assume_role_policy, policy_document
from components.settings import ALL_AT_ONCE
from services.contracts.manifest import Sizing

DEFAULT_SIZING = Sizing()

RUNTIME = "python3.13"
ARCHITECTURE = "arm64"
"""Graviton: about 20 % cheaper per GB-second than x86 for the same work."""
ALIAS = "live"
"""The alias every caller invokes (API integrations, event source mappings, permissions)."""


@dataclass
class FunctionArgs:
    context: ServiceContext
    """The service stack the function belongs to."""
    purpose: str
    """Short name (``api``); the function is ``marketplace-<env>-<service>-<purpose>``."""
    handler: str
    """Module path of the handler, e.g. ``services.upload.api.lambda_handler``."""
    code: pulumi.Input[pulumi.Archive]
    """The service's deterministic code bundle (components.packaging)."""
    alarm_topic_arn: pulumi.Input[str]
    """Where error and throttle alarms go."""
    statements: list[Statement] = field(default_factory=list)
    """What the function may do besides writing its own logs and traces. Default: nothing."""
    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Extra environment variables. Default: only the common ones."""
    layers: list[pulumi.Input[str]] = field(default_factory=list)
    """Layer ARNs (the service's dependencies layer). Default: none."""
    memory_mb: int = DEFAULT_SIZING.memory_mb
    """Memory size. Default 512 MB; a setting in ``marketplace:sizing`` overrides it."""
    timeout_seconds: int = DEFAULT_SIZING.timeout_seconds
    """Timeout. Default 10 s."""
    reserved_concurrency: int | None = DEFAULT_SIZING.reserved_concurrency
    """Reserved concurrency. Default: unreserved."""


class Function(pulumi.ComponentResource):
    """Lambda (arm64, X-Ray active, JSON logs) + role + inline policy + log group + alarms."""

    def __init__(self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:compute:Function", name, None, opts)
        self._name = name
        self._args = args
        self.purpose = args.purpose
        self.function_name = args.context.name(args.purpose)
        sizing = args.context.settings.function_sizing(args.context.service, args.purpose)
        self.memory_mb = sizing.memory_mb or args.memory_mb
        self.timeout_seconds = sizing.timeout_seconds or args.timeout_seconds
        self.log_group = self._create_log_group()
        self.role = self._create_role()
        self.policy = self._create_policy()
        self.function = self._create_function(sizing.reserved_concurrency)
        self.deployment = args.context.settings.deployment_of(args.context.service)
        """``AllAtOnce`` or the CodeDeploy shift that moves the alias (settings)."""
        self.alias = self._create_alias()
        self.alarms = self._create_alarms()
        self.arn = self.function.arn
        self.name = self.function.name
        self.alias_arn = self.alias.arn
        """What callers invoke: ``<function ARN>:live``."""
        self.register_outputs(
            {"arn": self.arn, "aliasArn": self.alias_arn, "roleArn": self.role.arn}
        )

    @property
    def shifted_by_codedeploy(self) -> bool:
        """Whether CodeDeploy, not Pulumi, moves the alias to a new version."""
        return self.deployment != ALL_AT_ONCE

    def _create_log_group(self) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/aws/lambda/{self.function_name}",
            retention_in_days=self._args.context.settings.log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_role(self) -> aws.iam.Role:
        context = self._args.context
        return aws.iam.Role(
            f"{self._name}-role",
            name=self.function_name,
            assume_role_policy=assume_role_policy("lambda.amazonaws.com", context.account),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_policy(self) -> aws.iam.RolePolicy:
        context = self._args.context
        log_stream_arn = context.arn("logs", f"log-group:/aws/lambda/{self.function_name}:*")
        baseline = [
            Statement(
                actions=("logs:CreateLogStream", "logs:PutLogEvents"), resources=(log_stream_arn,)
            ),
            Statement(
                actions=("xray:PutTraceSegments", "xray:PutTelemetryRecords"), resources=("*",)
            ),
        ]
        return aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=self.role.id,
            policy=policy_document(baseline + self._args.statements),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_function(self, reserved_concurrency: int | None) -> aws.lambda_.Function:
        """``reserved_concurrency`` from the settings wins over the component's default, and
        ``0`` is honoured: it is the kill switch (Lambda throttles every invocation)."""
        args = self._args
        context = args.context
        variables = {
            "POWERTOOLS_SERVICE_NAME": context.service,
            "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "MARKETPLACE_ENV": context.env,
            **args.environment,
        }
        return aws.lambda_.Function(
            f"{self._name}-function",
            name=self.function_name,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=args.handler,
            code=args.code,
            layers=args.layers,
            memory_size=self.memory_mb,
            timeout=self.timeout_seconds,
            # Every change of code or configuration publishes a version for the alias.
            publish=True,
            reserved_concurrent_executions=args.reserved_concurrency
            if reserved_concurrency is None
            else reserved_concurrency,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=variables),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=self.log_group.name
            ),
            # The role's policy must exist before the first invocation can log or trace.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy, self.log_group]),
        )

    def _create_alias(self) -> aws.lambda_.Alias:
        """``live`` -> the published version; under CodeDeploy only at creation (see module)."""
        ignore = ["functionVersion"] if self.shifted_by_codedeploy else []
        return aws.lambda_.Alias(
            f"{self._name}-alias",
            name=ALIAS,
            function_name=self.function.name,
            function_version=self.function.version,
            description=f"What every caller invokes; new versions take traffic: {self.deployment}",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=ignore),
        )

    def _create_alarms(self) -> list[aws.cloudwatch.MetricAlarm]:
        dimensions = {"FunctionName": self.function.name}
        return [
            metric_alarm(
                f"{self._name}-{metric.lower()}-alarm",
                alarm_name=f"{self.function_name}-{metric.lower()}",
                description=f"{self.function_name}: {metric} > 0",
                namespace="AWS/Lambda",
                metric=metric,
                dimensions=dimensions,
                topic_arn=self._args.alarm_topic_arn,
                parent=self,
            )
            for metric in ("Errors", "Throttles")
        ]

    def grant(self, name: str, statements: list[Statement]) -> aws.iam.RolePolicy:
        """Add a separately named inline policy (used by event sources created after the role)."""
        return aws.iam.RolePolicy(
            f"{self._name}-{name}-policy",
            role=self.role.id,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )
