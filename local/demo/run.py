"""``python -m local demo``: bring the local environment up, run the scenario, report."""

from __future__ import annotations

import time
from collections.abc import Callable

from local.demo.client import Marketplace
from local.demo.scenario import Scenario
from local.runtime.environment import LocalEnvironment


def run_demo(out: Callable[[str], None] = print) -> int:
    """``python -m local demo``: bring up, run the scenario, exit 0 only if all checks held."""
    started = time.monotonic()
    out("bringing up the local environment ...")
    with LocalEnvironment(progress=lambda line: out(f"  {line}")) as env:
        out(f"ready in {env.ready_seconds:.1f}s; running the scenario:")
        scenario = Scenario(Marketplace(env, notify=out), out=out)
        scenario.run()
    passed = scenario.passed
    total = time.monotonic() - started
    held = sum(r.ok for r in scenario.results)
    out(
        f"{'PASSED' if passed else 'FAILED'}: {held}/{len(scenario.results)} steps held "
        f"(ready {env.ready_seconds:.1f}s, total {total:.1f}s"
        + (
            f", upload->searchable {scenario.timings['upload_to_searchable']:.1f}s)"
            if "upload_to_searchable" in scenario.timings
            else ")"
        )
    )
    if not passed:
        out("logs: .local/logs/ (runtime.log and one file per function)")
    return 0 if passed else 1
