"""The cost model prices the functions the manifests declare, with their deployed sizing."""

from __future__ import annotations

from bench import cost
from services.contracts.manifest import all_manifests


def test_cost_model_prices_every_manifest_function_as_deployed() -> None:
    # GIVEN the prod deployment as the cost model reads it
    deployment = cost.read_deployment("prod")
    functions = {f.name: f for f in deployment.functions}
    # THEN it has exactly the manifests' functions, with their default sizing (prod sets no
    # override) and routed exactly when the manifest routes HTTP requests to them
    expected = {f"{m.name}-{f.purpose}": (m, f) for m in all_manifests() for f in m.functions}
    assert set(functions) == set(expected)
    for name, (manifest, spec) in expected.items():
        assert functions[name].memory_mb == spec.sizing.memory_mb, name
        assert functions[name].handler_module == spec.module, name
        assert functions[name].routed == bool(manifest.routes_of(spec.purpose)), name
