"""The billing app's internal shape (issue 12): tasks and services never import
each other in a cycle, and no services module grows past about 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BILLING = Path(__file__).resolve().parents[2] / "billing"


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
