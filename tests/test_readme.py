"""The README stays true: its commands exist, its architecture picture is the program's, the
sections other files point to exist, and it names every emulator workaround."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from local.graph_diagram import build_diagram, load_resources, to_mermaid
from local.program import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
NAMED_SECTION = re.compile(
    r"README(?:\.md)?(?:'s|,)?(?: section)? [\"\u201c]([^\"\u201d\n]+)[\"\u201d]"
)
"""A section named in prose: ``README "X"``, ``README, "X"``, ``README section "X"``,
``README's "X"``; the repository's own README.md."""
ANCHOR = re.compile(r"((?:[\w./-]*/)?README\.md)#([\w-]+)")
"""A link to a section: ``README.md#x`` or ``docs/README.md#x``, relative to the file."""
SCANNED = ("*.py", "*.md", "*.yaml", "*.yml")
THIS_FILE = Path(__file__).resolve()


def test_readme_architecture_is_the_generated_graph(tmp_path) -> None:
    # GIVEN the diagram drawn from the dev stacks evaluated offline
    stacks, accounts = load_resources("dev", graph_file=tmp_path / "absent.json")
    generated = to_mermaid(build_diagram(stacks, accounts))
    # THEN the README embeds exactly that (regenerate with ./dev graph --env dev)
    embedded = re.search(r"```mermaid\n(.*?)```", README, re.S)
    assert embedded is not None
    assert embedded.group(1) == generated


def test_readme_quick_start_is_two_commands_that_exist() -> None:
    assert "./dev demo" in README and "./dev test" in README
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
    help_text = subprocess.run(
        [sys.executable, "-m", "local", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("demo", "up", "preview", "graph", "down"):
        assert command in help_text


def headings(markdown: Path) -> list[str]:
    """The text of every heading of ``markdown`` (not ``#`` lines inside code blocks)."""
    tokens = MarkdownIt().parse(markdown.read_text(encoding="utf-8"))
    return [
        "".join(child.content for child in tokens[i + 1].children or [])
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def names_a_heading(name: str, titles: list[str]) -> bool:
    """``name`` is a heading, or one without its parenthesised qualifier ("Signing keys")."""
    return any(name in (title, title.split(" (")[0]) for title in titles)


def dangling_references(path: Path, text: str) -> list[str]:
    """Every README section reference in ``text`` (from ``path``) whose heading is missing."""
    problems = []
    root_titles = headings(REPO_ROOT / "README.md")
    for match in NAMED_SECTION.finditer(text):
        if not names_a_heading(match.group(1), root_titles):
            problems.append(f"{match.group(0)!r}: README.md has no such heading")
    for match in ANCHOR.finditer(text):
        target = (path.parent / match.group(1)).resolve()
        if not target.is_file():
            problems.append(f"{match.group(0)!r}: no file {target}")
        elif match.group(2) not in {github_anchor(t) for t in headings(target)}:
            problems.append(f"{match.group(0)!r}: {target.name} has no heading #{match.group(2)}")
    return problems


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *SCANNED],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = [REPO_ROOT / name for name in listed]
    return [f for f in files if f.is_file() and f.resolve() != THIS_FILE]


def test_every_readme_section_reference_names_a_heading_that_exists() -> None:
    # GIVEN every Python, Markdown and YAML file of the repository
    files = repository_files()
    assert any(f.name == "Pulumi.dev.yaml" for f in files)
    # WHEN their references to README sections are looked up
    problems = [
        f"{f.relative_to(REPO_ROOT)}: {problem}"
        for f in files
        for problem in dangling_references(f, f.read_text(encoding="utf-8", errors="replace"))
    ]
    # THEN each names a heading that exists (rename both, or the reader lands nowhere)
    assert problems == []


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ('README "Environments and accounts"', 'README "Environments and accounts"'),
        ('see the README section "Nowhere"', 'README section "Nowhere"'),
        ("README's \u201cNo such part\u201d", "README's \u201cNo such part\u201d"),
        ("[roles](docs/deploy-roles/README.md#limits)", "docs/deploy-roles/README.md#limits"),
        ("[x](README.md#quick-start-guide)", "README.md#quick-start-guide"),
    ],
)
def test_dangling_reference_is_reported(text: str, reported: str) -> None:
    # GIVEN a reference to a heading README.md (or the linked README) does not have
    # WHEN checked / THEN it is reported, quoting the reference
    [problem] = dangling_references(REPO_ROOT / "x.md", text)
    assert problem.startswith(repr(reported)), problem


@pytest.mark.parametrize(
    "reference",
    [
        'README "Stacks, environments and accounts"',
        '(README, "Signing keys")',
        "[roles](docs/deploy-roles/README.md#how-the-contract-is-checked-and-what-it-cannot-prove)",
        "[start](README.md#quick-start)",
    ],
)
def test_reference_to_an_existing_heading_passes(reference: str) -> None:
    assert dangling_references(REPO_ROOT / "x.md", reference) == []


def workaround_modules() -> list[Path]:
    """Modules whose docstring starts with ``WORKAROUND``: where the emulator falls short."""
    found = []
    for path in sorted((REPO_ROOT / "local").rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if docstring.startswith("WORKAROUND"):
            found.append(path)
    return found


def test_readme_and_emulator_package_name_every_workaround() -> None:
    # GIVEN every module marked as a workaround for the emulator
    modules = workaround_modules()
    assert modules
    package = ast.get_docstring(
        ast.parse((REPO_ROOT / "local" / "emulator" / "__init__.py").read_text())
    )
    for module in modules:
        # THEN the README names it, and the emulator package names its own
        assert str(module.relative_to(REPO_ROOT)) in README, module
        if module.parent.name == "emulator":
            assert f"``{module.stem}``" in (package or ""), module
