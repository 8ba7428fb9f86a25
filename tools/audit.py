"""Static checks across all stacks: every dev/prod stack under mocks, every rule, counted.

    python -m tools.audit            # a table of what was checked, then any violation
    python -m tools.audit --json     # the same as one JSON document
    python -m tools.audit --env dev  # one environment only

Each stack is evaluated with the real program and its committed ``Pulumi.<env>.yaml`` under
``FakeCloud`` (purchase and catalog read upload's outputs by reference, as in the unit
tests), then checked by

* every policy rule of ``policy/rules.py``: resource rules on each custom resource with its
  provider's inputs, stack rules on the stack's outputs (as ``tests/policy/conftest.py``);
  TLS-only bucket, queue and topic policies are among them;
* the security checks: no wildcard actions, every ARN in the stack's own account (except
  the producer topics it subscribes to), principals only of the own account or, for
  ``sns:Subscribe``, of the declared consumers, function roles trusted only by Lambda for the
  own account, the explicit provider assuming the deploy role in the service's account; and,
  once per project, default providers disabled and no secrets in the environment files.

The figures (policy documents, statements, buckets, queues, topics, tables, functions,
subscriptions) are counted from the evaluated program, not asserted. Exit status 1 on any
violation, so CI can run it as is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from components.iam import RESOURCELESS_ACTIONS
from local.fake_cloud import FakeCloud
from local.program import REPO_ROOT, Evaluation, Resource, config_file_for, evaluate, load_config
from policy import rules
from policy.rules import RULES, ResourceContext, StackContext, StackResource
from services.contracts.catalogue import SERVICES

ENVIRONMENTS = ("dev", "prod")
PROJECT_STACKS = "organization/marketplace"
SUBSCRIPTION_TYPES = frozenset({rules.TOPIC_SUBSCRIPTION})
COUNTED: dict[str, frozenset[str]] = {
    "buckets": frozenset(rules.BUCKET_TYPES),
    "queues": frozenset({rules.QUEUE}),
    "topics": frozenset({rules.TOPIC}),
    "tables": frozenset({rules.TABLE}),
    "functions": frozenset({rules.FUNCTION}),
    "subscriptions": SUBSCRIPTION_TYPES,
    "event source mappings": frozenset({rules.EVENT_SOURCE_MAPPING}),
}
"""Figure name -> the resource types it counts."""
FIGURES = (
    "stacks",
    "resources",
    "policy documents",
    "statements",
    *COUNTED,
    "rule checks",
    "security checks",
)
KEY_POLICY_TYPES = frozenset({"aws:kms/key:Key"})
SECRET_MARKERS = ("PRIVATE KEY", "secure:")

Evaluator = Callable[[Sequence[str]], dict[str, Evaluation]]


@dataclass(frozen=True)
class Finding:
    """One violation: which stack, which rule or check, what it says (names the resource)."""

    stack: str
    check: str
    message: str


@dataclass
class Report:
    figures: Counter[str] = field(default_factory=Counter)
    per_stack: dict[str, Counter[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return len(self.findings)

    def as_dict(self) -> dict[str, Any]:
        """The JSON report; figures keyed in camelCase (``policyDocuments``)."""
        return {
            "checked": {_camel(name): self.figures[name] for name in FIGURES},
            "perStack": {
                stack: {_camel(name): counted[name] for name in FIGURES if name != "stacks"}
                for stack, counted in self.per_stack.items()
            },
            "policyRules": [rule.name for rule in RULES],
            "securityChecks": list(SECURITY_CHECKS),
            "violations": self.violations,
            "findings": [asdict(finding) for finding in self.findings],
        }


def _camel(name: str) -> str:
    first, *rest = name.split()
    return first + "".join(word.title() for word in rest)


# -- evaluation -------------------------------------------------------------------------------


def stacks_of(envs: Sequence[str] = ENVIRONMENTS) -> list[str]:
    """``<service>-<env>``, upload first in each environment (the others reference it)."""
    ordered = sorted(SERVICES, key=lambda service: service != "upload")
    return [f"{service}-{env}" for env in envs for service in ordered]


def evaluate_stacks(stacks: Sequence[str]) -> dict[str, Evaluation]:
    """Each stack under ``FakeCloud``; non-upload stacks get their env's upload outputs."""
    evaluations: dict[str, Evaluation] = {}
    for stack in stacks:
        service, env = stack.split("-", 1)
        references = {}
        if service != "upload":
            upload = evaluations.get(f"upload-{env}") or evaluate(f"upload-{env}", FakeCloud())
            references[f"{PROJECT_STACKS}/upload-{env}"] = upload.outputs
        evaluations[stack] = evaluate(stack, FakeCloud(stack_outputs=references))
    return evaluations


def config_get(stack: str) -> Callable[[str], Any]:
    values = load_config(config_file_for(stack))
    return lambda key: values.get(f"marketplace:{key}")


# -- figures ----------------------------------------------------------------------------------


def documents(evaluation: Evaluation) -> Iterator[tuple[Resource, Mapping[str, Any]]]:
    """Every policy document (resource, bucket, queue, topic, key, trust, inline policies)."""
    for resource in evaluation.resources:
        for _, document in rules.policy_documents(resource.inputs):
            yield resource, document


def figures(evaluation: Evaluation) -> Counter[str]:
    custom = [r for r in evaluation.resources if r.custom]
    counted: Counter[str] = Counter(stacks=1, resources=len(custom))
    for _, document in documents(evaluation):
        counted["policy documents"] += 1
        counted["statements"] += len(rules.statements(document))
    for name, types in COUNTED.items():
        counted[name] = sum(r.type in types for r in custom)
    return counted


# -- policy rules (as tests/policy/conftest.py runs them) ---------------------------------


def resource_checks(
    evaluation: Evaluation, context: StackContext
) -> Iterator[tuple[str, Mapping[str, Any], ResourceContext]]:
    """(type, inputs, context) of every custom resource, with its provider's inputs."""
    by_urn = {r.urn: r for r in evaluation.resources}
    for resource in evaluation.resources:
        if not resource.custom:
            continue
        provider = None
        if resource.provider:  # "<provider urn>::<provider id>"
            provider = by_urn[resource.provider.rsplit("::", 1)[0]].inputs
        yield (
            resource.type,
            resource.inputs,
            ResourceContext(name=resource.name, urn=resource.urn, stack=context, provider=provider),
        )


def stack_resources(evaluation: Evaluation) -> list[StackResource]:
    return [
        StackResource(
            type=r.type,
            name=r.name,
            urn=r.urn,
            props={**{k: v for k, v in r.outputs.items() if k != "__account"}, "id": r.id},
        )
        for r in evaluation.resources
        if r.custom
    ]


def policy_findings(evaluation: Evaluation, context: StackContext) -> tuple[int, list[Finding]]:
    """(rule checks run, violations) of every rule of the pack on one stack."""
    runs, findings = 0, []
    checks = list(resource_checks(evaluation, context))
    resources = stack_resources(evaluation)
    for rule in RULES:
        if rule.stack_level:
            runs += 1
            messages = [v.message for v in rule.check(resources, context)]  # type: ignore[arg-type]
        else:
            runs += len(checks)
            messages = [m for args in checks for m in rule.check(*args)]  # type: ignore[arg-type]
        findings += [Finding(evaluation.stack, rule.name, m) for m in messages]
    return runs, findings


# -- security checks ----------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allow_statements(evaluation: Evaluation) -> Iterator[tuple[Resource, Mapping[str, Any]]]:
    for resource, document in documents(evaluation):
        for statement in rules.statements(document):
            if statement.get("Effect") == "Allow":
                yield resource, statement


def wildcard_actions(evaluation: Evaluation, context: StackContext) -> Iterator[str]:
    for resource, statement in allow_statements(evaluation):
        for action in _as_list(statement.get("Action", [])):
            if action == "*" or str(action).endswith(":*"):
                yield f"{resource.urn}: allows {action}"


def foreign_resources(evaluation: Evaluation, context: StackContext) -> Iterator[str]:
    for resource, statement in allow_statements(evaluation):
        actions = set(_as_list(statement.get("Action", [])))
        for arn in _as_list(statement.get("Resource", [])):
            if arn == "*":
                if resource.type not in KEY_POLICY_TYPES and not actions <= RESOURCELESS_ACTIONS:
                    yield f"{resource.urn}: resource * for {sorted(actions)}"
            elif arn.startswith("arn:aws:s3:::"):
                bucket = arn.split(":::")[1].split("/")[0]
                if not bucket.endswith(f"-{context.account}"):
                    yield f"{resource.urn}: foreign bucket {arn}"
            elif arn not in context.producer_topics and arn.split(":")[4] != context.account:
                yield f"{resource.urn}: {arn} is outside {context.account}"


def foreign_principals(evaluation: Evaluation, context: StackContext) -> Iterator[str]:
    """The policy pack's principal rule (one declaration), on every resource's documents."""
    for resource in evaluation.resources:
        for where, problem in rules.principal_problems(resource.inputs, context):
            yield f"{resource.urn}: {where} {problem}"


def role_trust(evaluation: Evaluation, context: StackContext) -> Iterator[str]:
    for role in evaluation.of_type(rules.ROLE):
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        expected = {"Service": "lambda.amazonaws.com"}
        if len(trust) != 1 or trust[0].get("Principal") != expected:
            yield f"{role.urn}: trusted by {[s.get('Principal') for s in trust]}"
            continue
        source = (trust[0].get("Condition") or {}).get("StringEquals", {}).get("aws:SourceAccount")
        if source != context.account:
            yield f"{role.urn}: Lambda may assume it on behalf of {source!r}"


def explicit_provider(evaluation: Evaluation, context: StackContext) -> Iterator[str]:
    providers = evaluation.of_type(rules.AWS_PROVIDER)
    if len(providers) != 1:
        yield f"{evaluation.stack}: {len(providers)} AWS providers (expected exactly one)"
        return
    [provider] = providers
    roles = json.loads(provider.inputs.get("assumeRoles") or "[]")
    role = roles[0].get("roleArn", "") if roles else ""
    if not role.startswith(f"arn:aws:iam::{context.account}:role/"):
        yield f"{provider.urn}: assumes {role!r}, not a role in {context.account}"
    if json.loads(provider.inputs.get("allowedAccountIds") or "[]") != [context.account]:
        yield f"{provider.urn}: allowedAccountIds is not exactly [{context.account}]"
    for resource in evaluation.resources:
        ours = bool(resource.provider) and f"::{provider.name}::" in str(resource.provider)
        if resource.custom and resource.type.startswith("aws:") and not ours:
            yield f"{resource.urn}: does not deploy through the stack's provider"


SECURITY_CHECKS: dict[str, Callable[[Evaluation, StackContext], Iterator[str]]] = {
    "no-wildcard-actions": wildcard_actions,
    "arns-in-own-account": foreign_resources,
    "principals-own-or-consumers": foreign_principals,
    "roles-trust-lambda-own-account": role_trust,
    "explicit-provider-own-account": explicit_provider,
}


def security_findings(evaluation: Evaluation, context: StackContext) -> tuple[int, list[Finding]]:
    findings = [
        Finding(evaluation.stack, name, message)
        for name, check in SECURITY_CHECKS.items()
        for message in check(evaluation, context)
    ]
    return len(SECURITY_CHECKS), findings


def project_findings(envs: Sequence[str]) -> tuple[int, list[Finding]]:
    """Once per project: default providers disabled; no secrets in the environment files."""
    findings = []
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    disabled = ((project.get("config") or {}).get("pulumi:disable-default-providers") or {}).get(
        "value"
    )
    if disabled != ["*"]:
        findings.append(
            Finding("project", "default-providers-disabled", f"Pulumi.yaml: {disabled}")
        )
    for env in envs:
        text = (REPO_ROOT / f"Pulumi.{env}.yaml").read_text()
        findings += [
            Finding("project", "no-secrets-in-config", f"Pulumi.{env}.yaml contains {marker!r}")
            for marker in SECRET_MARKERS
            if marker in text
        ]
    return 1 + len(envs), findings


# -- the audit ----------------------------------------------------------------------------


def audit(evaluations: Mapping[str, Evaluation], envs: Sequence[str] = ENVIRONMENTS) -> Report:
    """Every rule and check on every evaluated stack, with the figures of what was checked."""
    report = Report()
    for stack, evaluation in evaluations.items():
        context = rules.stack_context(stack, config_get(stack))
        counted = figures(evaluation)
        rule_runs, rule_findings = policy_findings(evaluation, context)
        security_runs, security = security_findings(evaluation, context)
        counted["rule checks"], counted["security checks"] = rule_runs, security_runs
        report.per_stack[stack] = counted
        report.figures.update(counted)
        report.findings += rule_findings + security
    project_runs, project = project_findings(envs)
    report.figures["security checks"] += project_runs
    report.findings += project
    return report


def render(report: Report) -> list[str]:
    stacks = list(report.per_stack)
    columns = [name for name in FIGURES if name != "stacks"]
    width = max(len(name) for name in columns)
    lines = [f"{'':<{width}}  " + "  ".join(f"{s:>12}" for s in stacks) + f"  {'total':>7}"]
    for name in columns:
        cells = "  ".join(f"{report.per_stack[s][name]:>12}" for s in stacks)
        lines.append(f"{name:<{width}}  {cells}  {report.figures[name]:>7}")
    lines.append(
        f"{report.figures['stacks']} stacks, {len(RULES)} policy rules, "
        f"{len(SECURITY_CHECKS)} security checks per stack (+ project checks): "
        f"{report.violations} violation(s)"
    )
    lines += [f"  [{f.stack}] {f.check}: {f.message}" for f in report.findings]
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--env",
        dest="envs",
        action="append",
        choices=ENVIRONMENTS,
        help="environment to audit (repeatable; default: dev and prod)",
    )
    return parser


def main(argv: Sequence[str] | None = None, evaluator: Evaluator = evaluate_stacks) -> int:
    """Print the report; 0 when nothing is violated, 1 otherwise."""
    args = build_parser().parse_args(argv)
    envs = tuple(args.envs or ENVIRONMENTS)
    report = audit(evaluator(stacks_of(envs)), envs)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print("\n".join(render(report)))
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
