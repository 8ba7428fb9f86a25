"""Lint IAM policy documents against AWS's own action, resource and condition-key database.

    python -m tools.iam_lint          # lint every policy the project writes; exit 1 on findings

parliament (PyPI) carries AWS's service authorization reference: which actions exist, which
resource ARN formats each accepts, which condition keys and operators apply. A policy that
fails here fails in AWS too, but only at deploy or run time; the suite runs this on every
document the project writes (``tests/tools/test_iam_lint.py``): the deploy and preview role
policies, every function role, trust, topic, queue, bucket and key policy of every stack.

Policy variables (``${aws:PrincipalAccount}``...) are not ARNs parliament can parse. The
documented ones the project uses are replaced by sample values of the right shape before
linting (``POLICY_VARIABLES``); any other ``${...}`` is a finding of its own, so a typo in a
variable name cannot hide behind the substitution.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from parliament import analyze_policy_string

from components import aws_types

POLICY_VARIABLES = {
    "${aws:PrincipalAccount}": "123456789012",
    "${aws:PrincipalTag/env}": "dev",
    "${aws:PrincipalTag/service}": "upload",
}
"""IAM policy variables the project writes, and a sample value of the shape IAM fills in."""
UNKNOWN_VARIABLE = re.compile(r"\$\{[^}]*\}")
STREAM_LABEL = re.compile(r"(:table/[^/\"]+/stream/)([^\"]+)")
"""DynamoDB stream ARNs end in a timestamp with colons, which parliament splits as fields."""
TRUST_WITHOUT_RESOURCE = "Statement contains neither Resource nor NotResource"


@dataclass(frozen=True)
class Finding:
    """One linter finding in one statement of one document."""

    document: str
    sid: str
    issue: str
    detail: str

    def __str__(self) -> str:
        return f"{self.document} [{self.sid}] {self.issue}: {self.detail}"


def lint(
    name: str,
    document: Mapping[str, Any] | str,
    *,
    kind: str = "identity",
    resource_star_allowed: Iterable[str] = (),
    accepted: Iterable[tuple[str, str]] = (),
) -> list[Finding]:
    """Findings for ``document``; ``kind`` is ``identity``, ``trust`` or ``resource``.

    ``resource_star_allowed``: Sids whose ``"*"`` resource is deliberate (documented where
    the statement is declared); a key policy's ``"*"`` always means the key itself.
    ``accepted``: (Sid, issue) pairs judged and documented where the policy is declared.
    """
    body = json.loads(document) if isinstance(document, str) else dict(document)
    statements = body.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed, accepted = set(resource_star_allowed), set(accepted)
    findings = []
    for index, statement in enumerate(statements):
        sid = str(statement.get("Sid") or f"#{index}")
        text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        for variable in sorted(set(UNKNOWN_VARIABLE.findall(text)) - set(POLICY_VARIABLES)):
            findings.append(Finding(name, sid, "UNKNOWN_POLICY_VARIABLE", variable))
        for variable, sample in POLICY_VARIABLES.items():
            text = text.replace(variable, sample)
        text = STREAM_LABEL.sub(lambda m: m.group(1) + m.group(2).replace(":", "-"), text)
        for finding in analyze_policy_string(text).findings:
            if (sid, finding.issue) in accepted or _expected(finding, kind, sid in allowed):
                continue
            findings.append(Finding(name, sid, finding.issue, json.dumps(finding.detail)))
    return findings


def _expected(finding: Any, kind: str, star_allowed: bool) -> bool:
    if finding.issue == "RESOURCE_STAR":
        return star_allowed or kind == "key"
    if finding.issue == "MALFORMED" and kind == "trust":
        return bool(finding.detail == TRUST_WITHOUT_RESOURCE)
    return False


def project_documents() -> Iterator[dict[str, Any]]:
    """Keyword arguments of ``lint`` for every policy document the project writes."""
    from policy import rules
    from tools import deploy_role
    from tools.audit import evaluate_stacks, stacks_of

    deploy_name, preview_name = deploy_role.role_names()
    unscoped = tuple(deploy_role.UNSCOPED_BECAUSE)
    accesses = [("deploy", deploy_name), ("deploy-shifting", deploy_name)]
    for access, role in [*accesses, ("preview", preview_name)]:
        document = deploy_role.policy_document(access, role)
        yield {
            "name": f"{access}-policy.json",
            "document": document,
            "resource_star_allowed": unscoped,
            "accepted": deploy_role.ACCEPTED_FINDINGS,
        }
    yield from bootstrap_documents()
    for stack, evaluation in evaluate_stacks(stacks_of()).items():
        for resource in evaluation.resources:
            for where, written in rules.policy_documents(resource.inputs):
                yield {
                    "name": f"{stack} {resource.name} {where}",
                    "document": written,
                    "kind": document_kind(resource.type, where),
                }


def bootstrap_documents() -> Iterator[dict[str, Any]]:
    """The permissions boundary and every account's role trust policies (bootstrap/)."""
    from bootstrap.trust import ACCEPTED_FINDINGS, provider_arn, role_trust
    from components.settings import load_settings
    from tools import permissions_boundary
    from tools.affected_stacks import DEPLOYED_ENVIRONMENTS, environment_config

    yield {
        "name": "boundary-policy.json",
        "document": permissions_boundary.boundary_document(),
        "resource_star_allowed": tuple(permissions_boundary.RESOURCE_STAR_BECAUSE),
        "accepted": permissions_boundary.ACCEPTED_FINDINGS,
    }
    for env in DEPLOYED_ENVIRONMENTS:
        settings = load_settings(env, environment_config(env).get)
        for service, account in sorted(settings.accounts.items()):
            for access in ("deploy", "preview"):
                yield {
                    "name": f"bootstrap-{service}-{env} {access} role trust",
                    "document": role_trust(settings, service, access, provider_arn(account)),
                    "kind": "trust",
                    "accepted": ACCEPTED_FINDINGS,
                }


def document_kind(resource_type: str, where: str) -> str:
    if where == "assumeRolePolicy":
        return "trust"
    if resource_type == aws_types.KMS_KEY:
        return "key"
    return "identity" if resource_type.startswith("aws:iam/") else "resource"


def main() -> int:
    findings = [f for doc in project_documents() for f in lint(**doc)]
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
