"""Traffic shifting for a service's functions: CodeDeploy moves each ``live`` alias gradually.

Why CodeDeploy and not Pulumi: a canary is a process over minutes (10 % of invocations on the
new version, watch the alarms, then all or back), which a desired-state tool cannot express.
So for a service whose deployment preference is a shift (``Settings.deployment_of``), the
stack creates one CodeDeploy application (``marketplace-<env>-<service>-functions``, as SAM
creates one per stack), a service role CodeDeploy assumes, and one deployment group per
function that rolls back by itself when one of the function's alarms (errors, throttles, and
the business alarms the service names) fires during the shift. ``pulumi up`` publishes the
new version and leaves the alias where it is (components.function ignores its version); the
deploy's next step, ``python -m tools.shift_traffic <stack>``, asks CodeDeploy to shift each
alias whose version is behind (docs/safe-deploys.md). ``AllAtOnce`` creates none of this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.function import Function
from components.iam import Statement, assume_role_policy, policy_document
from components.naming import physical_name

CODEDEPLOY_PRINCIPAL = "codedeploy.amazonaws.com"
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM")
"""Roll back when the shift fails or an alarm stops it."""


def deployment_config_name(preference: str) -> str:
    """``Canary10Percent5Minutes`` -> ``CodeDeployDefault.LambdaCanary10Percent5Minutes``."""
    return f"CodeDeployDefault.Lambda{preference}"


def application_name(env: str, service: str) -> str:
    """One application per service stack; each group is named after its function."""
    return physical_name(env, service, "functions")


@dataclass
class TrafficShiftingArgs:
    context: ServiceContext
    """The service stack whose functions shift."""
    functions: Sequence[Function]
    """The functions; those whose deployment is ``AllAtOnce`` get no group."""
    business_alarms: Mapping[str, Sequence[aws.cloudwatch.MetricAlarm]] = field(
        default_factory=dict
    )
    """Purpose -> alarms besides errors and throttles that stop its shift. Default: none."""


class TrafficShifting(pulumi.ComponentResource):
    """CodeDeploy application + service role + a deployment group per shifted function."""

    def __init__(
        self, name: str, args: TrafficShiftingArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:deploy:TrafficShifting", name, None, opts)
        unknown = sorted(set(args.business_alarms) - {f.purpose for f in args.functions})
        if unknown:
            raise ValueError(f"{name}: business alarms for unknown functions {unknown}")
        self._name = name
        self._args = args
        self.shifted = [f for f in args.functions if f.shifted_by_codedeploy]
        self.application = self._create_application()
        self.role = self._create_role()
        self.policy = self._create_policy()
        self.groups = self._create_groups()
        self.register_outputs({"application": self.application.name})

    def alarms_of(self, function: Function) -> list[aws.cloudwatch.MetricAlarm]:
        """What stops ``function``'s shift: its own alarms, then the service's business ones."""
        return [*function.alarms, *self._args.business_alarms.get(function.purpose, ())]

    def _create_application(self) -> aws.codedeploy.Application:
        return aws.codedeploy.Application(
            f"{self._name}-application",
            name=application_name(self._args.context.env, self._args.context.service),
            compute_platform="Lambda",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_role(self) -> aws.iam.Role:
        context = self._args.context
        return aws.iam.Role(
            f"{self._name}-role",
            name=context.name("codedeploy"),
            assume_role_policy=assume_role_policy(CODEDEPLOY_PRINCIPAL, context.account),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_policy(self) -> aws.iam.RolePolicy:
        """What AWSCodeDeployRoleForLambdaLimited grants, scoped to these aliases and alarms."""
        aliases = tuple(f.alias_arn for f in self.shifted)
        alarms = tuple(a.arn for f in self.shifted for a in self.alarms_of(f))
        statements = [
            Statement(
                actions=(
                    "lambda:GetAlias",
                    "lambda:GetProvisionedConcurrencyConfig",
                    "lambda:UpdateAlias",
                ),
                resources=aliases,
            ),
            Statement(actions=("cloudwatch:DescribeAlarms",), resources=alarms),
        ]
        return aws.iam.RolePolicy(
            f"{self._name}-policy",
            role=self.role.id,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_groups(self) -> dict[str, aws.codedeploy.DeploymentGroup]:
        return {function.purpose: self._group(function) for function in self.shifted}

    def _group(self, function: Function) -> aws.codedeploy.DeploymentGroup:
        return aws.codedeploy.DeploymentGroup(
            f"{self._name}-{function.purpose}-group",
            app_name=self.application.name,
            deployment_group_name=function.function_name,
            service_role_arn=self.role.arn,
            deployment_config_name=deployment_config_name(function.deployment),
            deployment_style=aws.codedeploy.DeploymentGroupDeploymentStyleArgs(
                deployment_type="BLUE_GREEN", deployment_option="WITH_TRAFFIC_CONTROL"
            ),
            auto_rollback_configuration=aws.codedeploy.DeploymentGroupAutoRollbackConfigurationArgs(
                enabled=True, events=list(ROLLBACK_EVENTS)
            ),
            alarm_configuration=aws.codedeploy.DeploymentGroupAlarmConfigurationArgs(
                enabled=True, alarms=[a.name for a in self.alarms_of(function)]
            ),
            # CodeDeploy checks its role can read the alarms and move the alias at creation.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
