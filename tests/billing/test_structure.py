"""The billing app's internal shape (issue 12): tasks and services never import
each other in a cycle, and no services module grows past about 400 lines; nor
does any module of the project outside migrations, tests and bench/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BILLING = ROOT / "billing"

# About 400 lines at most; these are named, each with its own limit.
MODULE_LINES = 420
LONGER_MODULES = {
    # The settings read top to bottom as one list of every variable, in the
    # order they derive from each other (docs/operations.md, "Module sizes").
    "config/settings.py": 560,
}
NOT_MODULES = {"migrations", "tests", "bench", "node_modules", "__pycache__"}


def project_modules() -> list[Path]:
    """Every Python file of the project but migrations, tests and bench/ (and what
    is not the project's: virtualenvs, hidden and build directories)."""
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts[:-1]
        if any(
            part in NOT_MODULES or part.startswith(".") or part.endswith(".egg-info")
            for part in parts
        ):
            continue
        found.append(path)
    return sorted(found)


def imports(path: Path, *, module_level_only: bool = False) -> set[str]:
    """The modules a file imports (`from x import y` gives x and x.y)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_tasks_import_services_only_inside_the_task_bodies():
    at_module_level = imports(BILLING / "tasks.py", module_level_only=True)

    assert not {name for name in at_module_level if name.startswith("billing.services")}


def test_event_processing_never_imports_the_tasks():
    assert not {
        name
        for name in imports(BILLING / "services" / "events.py")
        if name.startswith("billing.tasks")
    }


def test_only_webhooks_enqueues_the_processing_task():
    importers = {
        path.name
        for path in (BILLING / "services").glob("*.py")
        if any(name.startswith("billing.tasks") for name in imports(path))
    }

    assert importers == {"webhooks.py"}


@pytest.mark.parametrize(
    "path", sorted((BILLING / "services").glob("*.py")), ids=lambda path: path.name
)
def test_a_services_module_stays_under_about_400_lines(path):
    assert len(path.read_text().splitlines()) <= 420


def test_the_module_scan_finds_the_project():
    names = {path.relative_to(ROOT).as_posix() for path in project_modules()}

    assert {"billing/gateway/client.py", "config/settings.py", "manage.py"} <= names
    assert not {name for name in names if "/migrations/" in name or name.startswith("tests/")}
    assert set(LONGER_MODULES) <= names


@pytest.mark.parametrize(
    "path", project_modules(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_no_module_grows_past_about_400_lines(path):
    limit = LONGER_MODULES.get(path.relative_to(ROOT).as_posix(), MODULE_LINES)

    assert len(path.read_text().splitlines()) <= limit
