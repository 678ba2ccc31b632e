"""A migration main has shipped is never deleted, renamed, renumbered or edited.

Databases everywhere record the migrations they applied by app and name: one
that disappears or changes leaves them out of step with the code for good.
tests/shipped_migrations.txt lists every shipped migration with its sha256,
in `sha256sum`'s format (`sha256sum -c tests/shipped_migrations.txt` checks it
too). When main ships a new migration, append its line:

    sha256sum billing/migrations/0010_something.py >> tests/shipped_migrations.txt

Migrations are outside ruff's reach (pyproject.toml, extend-exclude), so no
formatter changes them behind anyone's back.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "tests" / "shipped_migrations.txt"


def shipped() -> list[tuple[str, str]]:
    """(sha256, path) of every shipped migration."""
    lines = [line.split(maxsplit=1) for line in LIST.read_text().splitlines() if line.strip()]
    return [(digest, path.strip()) for digest, path in lines]


def problems(root: Path, entries: list[tuple[str, str]]) -> list[str]:
    found = []
    for digest, path in entries:
        file = root / path
        if not file.is_file():
            found.append(
                f"{path} has shipped and is gone (deleted, renamed or renumbered): "
                "restore it, and add a new migration for the change instead."
            )
        elif hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            found.append(
                f"{path} has shipped and was edited: restore it, and add a new migration "
                "for the change instead."
            )
    return found


def test_the_list_names_the_shipped_migrations_of_every_app_with_migrations():
    apps = {path.split("/")[0] for _, path in shipped()}
    assert {"accounts", "billing", "entitlements"} <= apps
    assert all(path.endswith(".py") and "/migrations/" in path for _, path in shipped())


def test_no_shipped_migration_is_deleted_renamed_renumbered_or_edited():
    assert problems(ROOT, shipped()) == []


def test_django_still_loads_every_shipped_migration_under_its_name():
    loaded = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)

    for _, path in shipped():
        app, _, file = path.split("/")
        assert (app, file.removesuffix(".py")) in loaded, path


def test_the_guard_names_a_renumbered_and_an_edited_migration(tmp_path):
    entries = shipped()
    for _, path in entries:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    renumbered, edited = entries[0][1], entries[1][1]
    (tmp_path / renumbered).rename(tmp_path / renumbered.replace("0001_", "0005_"))
    with (tmp_path / edited).open("a") as fh:
        fh.write("\n# reformatted\n")

    found = problems(tmp_path, entries)

    assert len(found) == 2
    assert found[0].startswith(f"{renumbered} has shipped and is gone")
    assert found[1].startswith(f"{edited} has shipped and was edited")


def test_ruff_leaves_migrations_alone():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'extend-exclude = ["*/migrations/*"]' in pyproject
