"""API fuzzing: schemathesis against each service's OpenAPI document, on the local environment.

Each API's document (``services/<service>/openapi.py``) is generated in a subprocess with the
API function's recorded environment, so it is the document of the code that is running.
schemathesis generates requests for every operation, valid ones and invalid ones, and each
is sent through the local API Gateway (routes, JWT authorizer) to the real handler, once
anonymously and once with a signed-in user's JWT. Every response must be no 5xx and match
the document: status code, content type, body schema and headers.

Bounded and deterministic: a fixed number of examples per operation and generation mode,
Hypothesis derandomized, no example database. ``FUZZ_PROFILE=long`` runs the long profile
(docs/reliability.md); the default quick one is part of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.program import REPO_ROOT
from local.runtime.environment import LocalEnvironment
from local.runtime.system import function_specs
from local.runtime.workers import worker_environment

pytestmark = pytest.mark.e2e

SERVICES = ("catalog", "upload", "purchase")
CALLERS = ("anonymous", "signed-in")
PROFILES = {"quick": 25, "long": 500}
"""Examples per operation, per generation mode (valid and invalid data), per caller."""
PROFILE = os.environ.get("FUZZ_PROFILE", "quick")
HTTP_TIMEOUT_SECONDS = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
"""Not ``negative_data_rejection``: the long profile showed it flags valid requests, e.g. an
unknown query parameter (ignored, as HTTP APIs do), ``?tag=true`` (a boolean to the fuzzer, a
valid tag on the wire), a dropped ``Authorization`` header we put back. Invalid data is still
held to the document: a documented 4xx, never a 5xx."""
DOCUMENT_SCRIPT = (
    "import importlib, json, sys; "
    "module = importlib.import_module(f'services.{sys.argv[1]}.openapi'); "
    "print(json.dumps(module.openapi_document()))"
)


@dataclass
class FuzzStats:
    """What the fuzzing did, for the report at the end of the session."""

    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, status: int) -> None:
        self.requests += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1


@pytest.fixture(scope="module")
def fuzz_stats() -> Iterator[FuzzStats]:
    stats = FuzzStats()
    yield stats
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(stats.by_status.items()))
    print(
        f"\nAPI fuzzing ({PROFILE} profile): {stats.requests} requests in "
        f"{stats.seconds:.1f}s ({statuses})"
    )


def api_document(env: LocalEnvironment, service: str) -> dict[str, Any]:
    """``openapi_document()`` of ``service``, imported with its API function's environment."""
    assert env.graph is not None
    spec = next(s for s in function_specs(env.graph).values() if s.name.endswith(f"{service}-api"))
    environment = worker_environment(
        spec, env.graph.credentials_for(spec.account), env.graph.endpoint, env.graph.region
    )
    completed = subprocess.run(
        [sys.executable, "-c", DOCUMENT_SCRIPT, service],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def documents(local_env: LocalEnvironment) -> dict[str, dict[str, Any]]:
    return {service: api_document(local_env, service) for service in SERVICES}


@pytest.fixture(scope="module")
def fuzzer_token(local_env: LocalEnvironment) -> str:
    return local_env.user("fuzzer")["id_token"]


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    send: Callable[[Any], requests.Response | Any],
    examples: int,
) -> str | None:
    """Run ``examples`` generated cases of ``operation`` through ``send``; the failure, if any."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def run(case: Any) -> None:
        send(case)

    try:
        run()
    except (Exception, FailureGroup) as error:  # the shrunk failing case and the failed checks
        return f"{operation.label} ({mode.value}): {error}"
    return None


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("service", SERVICES)
def test_api_answers_generated_requests_as_its_document_says(
    service: str,
    caller: str,
    local_env: LocalEnvironment,
    documents: dict[str, dict[str, Any]],
    fuzzer_token: str,
    fuzz_stats: FuzzStats,
) -> None:
    # GIVEN the service's OpenAPI document and a caller, anonymous or with a valid JWT
    schema = schemathesis.openapi.from_dict(documents[service])
    base_url = local_env.api_url(service)
    headers = {"Authorization": f"Bearer {fuzzer_token}"} if caller == "signed-in" else {}
    session = requests.Session()

    def send(case: Any) -> None:
        response = case.call(
            base_url=base_url, session=session, headers=headers, timeout=HTTP_TIMEOUT_SECONDS
        )
        fuzz_stats.count(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    # WHEN every operation gets valid and invalid generated requests
    started = time.monotonic()
    failures = [
        failure
        for result in schema.get_all_operations()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := fuzz_operation(result.ok(), mode, send, PROFILES[PROFILE]))
    ]
    fuzz_stats.seconds += time.monotonic() - started
    # THEN no response was a 5xx or strayed from the document
    assert not failures, "\n\n".join(failures)
