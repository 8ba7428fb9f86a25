"""The tables of ``services/README.md`` that restate the manifests, generated from them.

    python -m tools.manifest_docs          # exit 1 and say which table is stale
    python -m tools.manifest_docs --write  # rewrite the tables in place

Each table sits between ``<!-- manifest:<name> -->`` and ``<!-- /manifest:<name> -->``;
everything else in the README is prose and stays hand-written.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

from services.contracts.manifest import FunctionSpec, ServiceManifest, all_manifests

README = Path(__file__).resolve().parents[1] / "services" / "README.md"


def trigger(manifest: ServiceManifest, spec: FunctionSpec) -> str:
    """Its routes (``(JWT)`` / ``(no auth)`` each) and any other trigger, in words."""
    routes = manifest.routes_of(spec.purpose)
    parts = [spec.trigger] if spec.trigger else []
    if routes:
        auth = {r.authenticated for r in routes}
        keys = ", ".join(
            f"`{r.key}`" + ("" if len(auth) == 1 else " (JWT)" * r.authenticated) for r in routes
        )
        suffix = "" if len(auth) > 1 else (" (JWT)" if True in auth else " (no auth)")
        parts.insert(0, f"HTTP API: {keys}{suffix}")
    return "; ".join(parts)


def per_function_table(
    header: tuple[str, ...], cells: Callable[[ServiceManifest, FunctionSpec], tuple[str, ...]]
) -> str:
    """A Markdown table with one row per function of every manifest."""
    rows = [header, *(cells(m, f) for m in all_manifests() for f in m.functions)]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(header))
    return "\n".join(lines)


def functions_table() -> str:
    return per_function_table(
        ("service", "function", "handler", "trigger"),
        lambda m, f: (m.name, f"`{f.purpose}`", f"`{f.handler}`", trigger(m, f)),
    )


def environment_table() -> str:
    return per_function_table(
        ("service / function", "variables"),
        lambda m, f: (
            f"{m.name} / {f.purpose}",
            ", ".join(f"`{name}`" for name in f.environment) or "(common only)",
        ),
    )


TABLES: dict[str, Callable[[], str]] = {
    "functions": functions_table,
    "environment": environment_table,
}


def render(text: str) -> str:
    """``text`` with every marked table regenerated; ValueError if a marker pair is missing."""
    for name, table in TABLES.items():
        pattern = re.compile(
            rf"(<!-- manifest:{name} -->\n)(?:.*?\n)?(<!-- /manifest:{name} -->)", re.DOTALL
        )
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"{README}: no <!-- manifest:{name} --> ... block")
        text = f"{text[: match.end(1)]}{table()}\n{text[match.start(2) :]}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the tables in place")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = render(current)
    if args.write:
        README.write_text(wanted)
        return 0
    if wanted != current:
        print(
            f"{README}: tables differ from the manifests;"
            " run: python -m tools.manifest_docs --write"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
