"""A copy of the project whose .venv/bin/python hands everything to this test run's
interpreter except `pip` (recorded, not run: no test installs anything)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "db.sqlite3*", ".env", "__pycache__", "*.egg-info", ".*_cache"
)
# The test run's own settings must not leak into the scripts' defaults.
DROPPED = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
DROPPED_PREFIXES = ("STRIPE_", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_", "TEST_CELERY_")

FAKE_PYTHON = """#!/bin/sh
echo "$*" >> "$(dirname "$0")/../calls.log"
if [ "$1" = -m ] && [ "$2" = pip ]; then exit 0; fi
if [ "$1" = manage.py ] && [ -n "$STOP_AT_MANAGE" ]; then exit 97; fi
exec {python} "$@"
"""


class Project:
    def __init__(self, path: Path) -> None:
        self.path = path
        shutil.copytree(ROOT, path, ignore=COPY_IGNORE)
        python = path / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(FAKE_PYTHON.format(python=sys.executable))
        python.chmod(0o755)
        self.calls = path / ".venv" / "calls.log"

    def pip_installs(self) -> int:
        if not self.calls.exists():
            return 0
        lines = self.calls.read_text().splitlines()
        return sum(1 for line in lines if line.startswith("-m pip install"))

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in DROPPED and not k.startswith(DROPPED_PREFIXES)
        }
        env.update(DJANGO_READ_DOT_ENV="false", PYTHONUNBUFFERED="1")
        env.update(extra)
        return env

    def run(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
        proc = subprocess.Popen(  # noqa: S603 - the project's own script
            [str(self.path / "scripts" / args[0]), *args[1:]],
            cwd=self.path,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
