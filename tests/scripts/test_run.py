"""scripts/run and scripts/test as a newcomer meets them, run for real in a copy of
the project whose .venv/bin/python hands everything to this interpreter except
`pip` (recorded, not run: no test installs anything)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.scripts.project import Project


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "project")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def stale_listener() -> Iterator[int]:
    """A process that holds a port and never answers (a hung emulator, say)."""
    sock = socket.create_server(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_second_start_does_not_reinstall_until_pyproject_changes(project):
    stop = {"STOP_AT_MANAGE": "1", "STRIPE_SECRET_KEY": "sk_test_x", "PORT": str(free_port())}
    assert project.run("run", **stop).returncode == 97  # stopped at migrate, after installing
    assert project.pip_installs() >= 1
    installed = project.pip_installs()

    assert project.run("run", **stop).returncode == 97
    assert project.pip_installs() == installed  # the warm start installs nothing

    with (project.path / "pyproject.toml").open("a") as fh:
        fh.write("\n# a changed dependency list\n")
    assert project.run("run", **stop).returncode == 97
    assert project.pip_installs() > installed


def test_scripts_test_installs_dev_tools_once_and_scripts_run_then_installs_nothing(project):
    assert project.run("test", "--version").returncode == 0
    installed = project.pip_installs()
    assert installed >= 1
    calls = project.calls.read_text()
    assert "-m pip install --quiet -e .[dev]" in calls

    assert project.run("test", "--version").returncode == 0
    stop = {"STOP_AT_MANAGE": "1", "STRIPE_SECRET_KEY": "sk_test_x", "PORT": str(free_port())}
    assert project.run("run", **stop).returncode == 97
    assert project.pip_installs() == installed


def test_a_stale_process_on_the_emulator_port_fails_fast_naming_the_port(project):
    with stale_listener() as port:
        started = time.monotonic()
        result = project.run(
            "run", timeout=30, STRIPE_EMULATOR_PORT=str(port), PORT=str(free_port())
        )
        took = time.monotonic() - started
    assert result.returncode == 1
    assert took < 15
    assert f"port {port}" in result.stderr
    assert "STRIPE_EMULATOR_PORT" in result.stderr
    assert not (project.path / "var" / "stripe-emulator.json").exists()


def test_a_busy_web_port_fails_fast_naming_the_port(project):
    with stale_listener() as port:
        result = project.run(
            "run", timeout=30, STOP_AT_MANAGE="1", STRIPE_SECRET_KEY="sk_test_x", PORT=str(port)
        )
    assert result.returncode == 1
    assert f"port {port}" in result.stderr
    assert "PORT" in result.stderr


def test_unknown_arguments_are_refused(project):
    result = project.run("run", "--rest", PORT=str(free_port()), STRIPE_SECRET_KEY="sk_test_x")
    assert result.returncode == 2
    assert "usage: scripts/run [--reset]" in result.stderr


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return response.status, json.loads(response.read() or b"{}")


def test_reset_starts_over_with_a_fresh_database_and_emulator(project):
    """Leftovers of an earlier demo (a database, its WAL files, an emulator state
    whose clock is 90 days ahead) are deleted and the demo starts as new."""
    (project.path / "db.sqlite3").write_text("an earlier demo's database")
    (project.path / "db.sqlite3-wal").write_text("stale WAL")
    (project.path / "db.sqlite3-shm").write_text("stale shared memory")
    (project.path / "var").mkdir()
    state = project.path / "var" / "stripe-emulator.json"
    ninety_days = 90 * 86_400
    state.write_text(
        json.dumps({"collections": {}, "seq": 0, "clock_offset": ninety_days, "idempotency": []})
    )
    port, emulator_port = free_port(), free_port()
    proc = subprocess.Popen(  # noqa: S603 - the project's own script
        [str(project.path / "scripts" / "run"), "--reset"],
        cwd=project.path,
        env=project.env(PORT=str(port), STRIPE_EMULATOR_PORT=str(emulator_port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("Serving on"):
                break
        assert output, "scripts/run printed nothing"
        assert output[-1].startswith("Serving on"), "".join(output)
        for _ in range(100):  # runserver binds just after printing
            with contextlib.suppress(OSError):
                assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
                break
            time.sleep(0.1)
        _, clock = _get(f"http://127.0.0.1:{emulator_port}/_emulator/clock")
        assert abs(clock["now"] - time.time()) < 3600  # the 90 days ahead are gone
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert (project.path / "db.sqlite3").read_bytes().startswith(b"SQLite format 3")
    for leftover, stale in (("db.sqlite3-wal", b"stale WAL"), ("db.sqlite3-shm", b"stale shared")):
        path = project.path / leftover
        assert not path.exists() or not path.read_bytes().startswith(stale)  # SQLite's own now
    saved = json.loads(state.read_text())  # saved again at the stop, from scratch
    assert saved["clock_offset"] == 0
    assert saved["collections"]["product"]  # the plans synced at start


def test_reset_refuses_to_touch_a_database_it_did_not_make(project):
    result = project.run(
        "run",
        "--reset",
        STRIPE_SECRET_KEY="sk_test_x",
        PORT=str(free_port()),
        DATABASE_URL="postgres://somewhere/production",
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
