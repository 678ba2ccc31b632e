"""The README's first walk through the API, run as written, twice on one emulator
state: against the live test server and a real `python -m stripe_emulator` that
keeps its state (and its clock) in a file and is restarted between the runs."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from tests.billing.webhooks import SECRET

# The live server answers deliveries on several threads at once: PostgreSQL.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400
KEY = "sk_test_walkthrough"  # the one key its emulator accepts, and the one the app uses


def walkthrough() -> str:
    """The ```sh blocks of the README's walk-through section that talk to the demo."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A first walk through the API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return "\n".join(block for block in blocks if "localhost:" in block)


class Emulator:
    def __init__(self, state: Path, webhook_url: str) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [
                sys.executable,
                "-m",
                "stripe_emulator",
                "--port=0",
                f"--api-key={KEY}",
                f"--state={state}",
                f"--webhook-url={webhook_url}",
                f"--webhook-secret={SECRET}",
                "--webhook-retries=0.05,0.1,0.2",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert "listening on" in line, line
        self.url = line.rsplit(" ", 1)[1].strip()

    def now(self) -> int:
        with urllib.request.urlopen(self.url + "/_emulator/clock", timeout=10) as response:  # noqa: S310
            return json.loads(response.read())["now"]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=20) == 0
        self.proc.stdout.close()


def run_walkthrough(live_server, emulator: Emulator) -> list[dict]:
    """Run the README's commands in bash; every curl answer is one JSON line. A 4xx or
    5xx answer stops the walk (curl --fail-with-body under set -e)."""
    web = urlsplit(live_server.url).netloc
    stripe = urlsplit(emulator.url).netloc
    script = walkthrough().replace("localhost:8000", web).replace("localhost:12111", stripe)
    prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n'
    result = subprocess.run(  # noqa: S603 - the README's own commands
        ["bash", "-c", prelude + script],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_the_readme_walkthrough_can_be_repeated_on_the_same_emulator_state(
    live_server, settings, tmp_path
):
    state = tmp_path / "stripe-emulator.json"
    hook = f"{live_server.url}/api/billing/webhooks/stripe/"
    settings.STRIPE_SECRET_KEY = KEY
    emulator = Emulator(state, hook)
    try:
        settings.STRIPE_API_BASE = emulator.url
        call_command("sync_plans")
        for run in range(2):
            if run:  # a restart in between, as the next day's scripts/run would do
                emulator.stop()
                emulator = Emulator(state, hook)
                settings.STRIPE_API_BASE = emulator.url
            now = emulator.now()
            if run:  # the clock was kept: the second walk starts a month ahead
                assert now > time.time() + 30 * DAY
            answers = run_walkthrough(live_server, emulator)

            trial = next(a for a in answers if "trial_end" in a)
            assert trial["status"] == "trialing"
            assert abs(unix(trial["trial_end"]) - (now + 30 * DAY)) < 300
            subscription = [a for a in answers if a.get("id") == trial["id"]][-1]
            assert subscription["status"] == "active"
            invoices = next(a for a in answers if "results" in a)["results"]
            assert sorted(i["amount_paid"] for i in invoices) == [0, 999]
            assert all(i["status"] == "paid" for i in invoices)
            assert answers[-1]["now"] >= now + 30 * DAY
    finally:
        emulator.stop()
