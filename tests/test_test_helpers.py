"""Test modules share helpers through tests/helpers (or fixtures), never through each other.

Importing a test_* module runs its module-level code a second time under another
name and ties one test file's helpers to another's; importing a conftest bypasses
pytest's fixture machinery. Both are refused here.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # `from tests.config import test_settings` imports a test module too
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.extend((node.lineno, "." * node.level + alias.name) for alias in node.names)
            if node.module:
                found.append((node.lineno, "." * node.level + node.module))
    return found


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def _offending_imports(root: Path) -> list[str]:
    offences = []
    for path in sorted(root.rglob("*.py")):
        for lineno, name in _imported_modules(path):
            inside_tests = name.startswith(("tests.", ".")) or name == "tests"
            if inside_tests and _is_test_module(name):
                offences.append(f"{path.relative_to(root.parent)}:{lineno} imports {name}")
    return offences


def test_no_test_module_imports_another_test_module_or_a_conftest():
    assert _offending_imports(TESTS) == []


def test_the_guard_sees_each_kind_of_forbidden_import(tmp_path):
    package = tmp_path / "tests"
    package.mkdir()
    (package / "test_a.py").write_text(
        "from tests.entitlements.test_decision import start_trial\n"
        "from tests.conftest import client_for\n"
        "from tests.config import test_settings\n"
        "import tests.billing.test_trial\n"
        "from .conftest import ME\n"
        "from tests.helpers.billing import subscribe\n"
        "from tests.factories import UserFactory\n"
    )

    assert _offending_imports(package) == [
        "tests/test_a.py:1 imports tests.entitlements.test_decision",
        "tests/test_a.py:2 imports tests.conftest",
        "tests/test_a.py:3 imports tests.config.test_settings",
        "tests/test_a.py:4 imports tests.billing.test_trial",
        "tests/test_a.py:5 imports .conftest",
    ]
