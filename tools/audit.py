"""Static checks across all stacks: every dev/prod stack under mocks, every rule, counted.

    python -m tools.audit            # a table of what was checked, then any violation
    python -m tools.audit --json     # the same as one JSON document
    python -m tools.audit --env dev  # one environment only

Each stack is evaluated with the real program and its committed ``Pulumi.<env>.yaml`` under
``FakeCloud`` (purchase and catalog read upload's outputs by reference, as in the unit
tests), then checked by every rule of ``policy/rules.py``, the one implementation of the
security invariants: resource rules on each custom resource with its provider's inputs, stack
rules on the stack's outputs (as ``tests/policy/conftest.py``). Among them: no wildcard
actions, resource ``*`` only for resourceless actions, every ARN and principal in the own
account (or the declared producer topics and consumer accounts), TLS-only bucket, queue and
topic policies, roles trusted only by Lambda for the own account, one provider per stack
assuming the service's deploy role. Once per project, which no stack's pack sees: default
providers disabled and no secrets in the environment files.

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
from pathlib import Path
from typing import Any

import yaml

from components import aws_types
from local.fake_cloud import FakeCloud
from local.preview import references_for
from local.program import REPO_ROOT, Evaluation, Resource, config_file_for, evaluate, load_config
from policy import rules
from policy.rules import RULES, ResourceContext, StackContext, StackResource, StackRule
from services.contracts.catalogue import SERVICES

ENVIRONMENTS = ("dev", "prod")
PROJECT_STACKS = "organization/marketplace"
COUNTED: dict[str, frozenset[str]] = {
    "buckets": aws_types.BUCKET_TYPES,
    "queues": frozenset({aws_types.QUEUE}),
    "topics": frozenset({aws_types.TOPIC}),
    "tables": frozenset({aws_types.TABLE}),
    "functions": frozenset({aws_types.FUNCTION}),
    "subscriptions": frozenset({aws_types.TOPIC_SUBSCRIPTION}),
    "event source mappings": frozenset({aws_types.EVENT_SOURCE_MAPPING}),
}
"""Figure name -> the resource types it counts."""
FIGURES = (
    "stacks",
    "resources",
    "policy documents",
    "statements",
    *COUNTED,
    "rule checks",
    "project checks",
)
PROJECT_CHECKS = ("default-providers-disabled", "no-secrets-in-config")
"""Checks of the project's files, which no stack's policy pack sees."""
STACK_FIGURES = tuple(name for name in FIGURES if name not in ("stacks", "project checks"))
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
                stack: {_camel(name): counted[name] for name in STACK_FIGURES}
                for stack, counted in self.per_stack.items()
            },
            "policyRules": [rule.name for rule in RULES],
            "projectChecks": list(PROJECT_CHECKS),
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
    """Each stack under ``FakeCloud``, with the outputs of the stacks it references."""
    evaluations: dict[str, Evaluation] = {}
    for stack in stacks:
        service, env = stack.split("-", 1)
        evaluations[stack] = evaluate(stack, FakeCloud(stack_outputs=references_for(service, env)))
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
        if isinstance(rule, StackRule):
            runs += 1
            messages = [v.message for v in rule.check(resources, context)]
        else:
            runs += len(checks)
            messages = [m for args in checks for m in rule.check(*args)]
        findings += [Finding(evaluation.stack, rule.name, m) for m in messages]
    return runs, findings


# -- project checks ---------------------------------------------------------------------


def project_findings(envs: Sequence[str], root: Path = REPO_ROOT) -> tuple[int, list[Finding]]:
    """Once per project (no stack's policy pack sees these files): default providers disabled;
    no secrets in the environment files."""
    findings = []
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    disabled = ((project.get("config") or {}).get("pulumi:disable-default-providers") or {}).get(
        "value"
    )
    if disabled != ["*"]:
        findings.append(Finding("project", PROJECT_CHECKS[0], f"Pulumi.yaml: {disabled}"))
    for env in envs:
        text = (root / f"Pulumi.{env}.yaml").read_text()
        findings += [
            Finding("project", PROJECT_CHECKS[1], f"Pulumi.{env}.yaml contains {marker!r}")
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
        counted["rule checks"], rule_findings = policy_findings(evaluation, context)
        report.per_stack[stack] = counted
        report.figures.update(counted)
        report.findings += rule_findings
    project_runs, project = project_findings(envs)
    report.figures["project checks"] = project_runs
    report.findings += project
    return report


def render(report: Report) -> list[str]:
    stacks = list(report.per_stack)
    columns = STACK_FIGURES
    width = max(len(name) for name in columns)
    lines = [f"{'':<{width}}  " + "  ".join(f"{s:>12}" for s in stacks) + f"  {'total':>7}"]
    for name in columns:
        cells = "  ".join(f"{report.per_stack[s][name]:>12}" for s in stacks)
        lines.append(f"{name:<{width}}  {cells}  {report.figures[name]:>7}")
    lines.append(
        f"{report.figures['stacks']} stacks, {len(RULES)} policy rules per stack, "
        f"{report.figures['project checks']} project checks: {report.violations} violation(s)"
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
