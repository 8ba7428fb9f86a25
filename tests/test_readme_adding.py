"""README's "Adding a route", "Adding an event type" and "Adding a service" name what exists.

Every path they name exists (``<placeholder>`` segments match at least one real path), every
``python -m`` module they tell you to run imports, every table or method they name is there,
and the example manifest entries they show are valid manifest declarations.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from components.service import ServiceComponent
from services.contracts import manifest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTIONS = ("Adding a route", "Adding an event type", "Adding a service")
CODE = re.compile(r"`([^`]+)`")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def named_paths(text: str) -> list[str]:
    return [c for c in CODE.findall(text) if re.fullmatch(r"[\w<>.-]+(/[\w<>.-]+)+/?", c)]


@pytest.mark.parametrize("title", SECTIONS)
def test_paths_named_exist(title: str) -> None:
    paths = named_paths(section(title))
    assert paths, title
    for path in paths:
        pattern = re.sub(r"<[^>]+>", "*", path)
        assert list(ROOT.glob(pattern.rstrip("/"))), f"README {title!r}: {path} matches nothing"


@pytest.mark.parametrize("title", SECTIONS)
def test_commands_named_import(title: str) -> None:
    for module in re.findall(r"`python -m ([\w.]+)", section(title)):
        importlib.import_module(module)


def test_tables_named_exist_in_their_modules() -> None:
    # GIVEN "`services/upload/uploads.py` `EVENT_DATA`"-style references
    text = section("Adding an event type")
    pairs = re.findall(r"`(services/[\w/]+)\.py` `(\w+)`", text)
    assert len(pairs) == 3
    for path, name in pairs:
        # THEN the module assigns that table at its top level, built by the dispatch idiom
        tree = ast.parse((ROOT / f"{path}.py").read_text(encoding="utf-8"))
        values = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        assert name in values, f"{path}.py assigns no {name}"
        call = values[name]
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name), name
        assert call.func.id in {"consumer_table", "producer_table"}, f"{path}.py {name}"


def test_component_methods_named_exist() -> None:
    text = section("Adding a route") + section("Adding a service")
    methods = set(re.findall(r"(?:self\.|`)(_[a-z]\w*)", text))
    assert {"_grants", "_environment", "_create_functions", "_http_api"} <= methods
    for method in methods:
        assert callable(getattr(ServiceComponent, method, None)), method


def test_example_routes_are_valid_manifest_routes() -> None:
    for example in re.findall(r"`(Route\([^`]*\))`", section("Adding a route")):
        call = ast.parse(example, mode="eval").body
        assert isinstance(call, ast.Call)
        route = manifest.Route(
            *(ast.literal_eval(a) for a in call.args),
            **{k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg},
        )
        assert route.method in manifest.METHODS and route.path.startswith("/")
