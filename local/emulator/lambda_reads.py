"""Workaround: moto 5.2 refuses Lambda's GET requests when IAM is enforced.

With moto's request authentication on (local/emulator/iam_enforcement.py), every Lambda
``GET`` (GetAlias, GetFunctionConfiguration, ListAliases, ListVersionsByFunction) fails
``SignatureDoesNotMatch`` although the same credentials sign every POST and PUT (CreateFunction,
PublishVersion, CreateAlias, UpdateAlias) and every other service's GET correctly: moto
verifies those requests against a body it builds itself. The runtime must read an alias at
every invocation, so it reads the emulator's Lambda state in-process instead, through this
one module, answering in the API's shapes (``get_alias``, ``get_function_configuration``,
``list_versions_by_function``). Writes still go through the API, as the deploy role or the
platform role. ``tests/local/test_lambda_reads.py`` fails the day moto accepts the GETs.
"""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import lambda_backends


class LambdaReads:
    """Boto3-shaped Lambda reads of one emulated account and region (no request, no IAM)."""

    def __init__(self, account: str, region: str):
        self._backend = lambda_backends[account][region]

    def get_alias(self, FunctionName: str, Name: str) -> dict[str, Any]:
        return dict(self._backend.get_alias(Name, FunctionName).to_json())

    def get_function_configuration(
        self,
        FunctionName: str,
        Qualifier: str | None = None,
    ) -> dict[str, Any]:
        return dict(self._backend.get_function(FunctionName, Qualifier).get_configuration())

    def list_versions_by_function(self, FunctionName: str) -> dict[str, Any]:
        versions = self._backend.list_versions_by_function(FunctionName)
        return {"Versions": [v.get_configuration() for v in versions]}
