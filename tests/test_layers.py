"""Every app of the project has its place in the layers that import-linter checks
(pyproject.toml, docs/architecture.md): a new app is given one, never left out."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]


def _importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _contract(contract_id: str) -> dict:
    return next(c for c in _importlinter()["contracts"] if c["id"] == contract_id)


def test_every_project_app_has_a_layer():
    ours = {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    assert {"accounts", "billing"} <= ours

    assert set(_contract("layers")["layers"]) == ours | {"config"}
    assert set(_importlinter()["root_packages"]) == ours | {"config", "stripe_emulator"}
