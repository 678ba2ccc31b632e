"""The README's instructions, run as written (in a copy of the project)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.scripts.project import ROOT, Project


def readme_commands(containing: str) -> list[str]:
    """The command lines of the README's ```sh blocks that contain `containing`."""
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line for block in blocks for line in block.splitlines()]
    return [line for line in lines if containing in line and not line.startswith("#")]


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "project")


def test_create_api_key_works_as_the_readme_says_next_to_scripts_run(project):
    """The demo's database exists (scripts/run migrated it); the README's command,
    run in a shell without DEBUG or any secret set, prints a key once."""
    commands = [c for c in readme_commands("create_api_key") if "docker" not in c]
    assert commands, "the README shows no command to create an API key locally"
    migrated = subprocess.run(
        [".venv/bin/python", "manage.py", "migrate", "--noinput"],
        cwd=project.path,
        env=project.env(DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    for command in commands:
        result = subprocess.run(  # noqa: S603 - the README's own instruction
            ["bash", "-c", command],  # noqa: S607
            cwd=project.path,
            env=project.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        key = result.stdout.strip()
        assert len(key.split()) == 1
        assert len(key) > 20
        assert "shown once" in result.stderr
