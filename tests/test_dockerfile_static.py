"""The image's static files work with production settings (DEBUG off).

Docker does not run on our machines, so the Dockerfile's collectstatic step is
replayed as written (its environment read from the file) into a temporary
folder, and a production-configured process then serves the API docs page and
its assets from there, as the web container does.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COLLECT = """
import sys
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
import django
django.setup()
from django.core.management import call_command
call_command("collectstatic", "--noinput", verbosity=0)
"""

SERVE = """
import json, re, sys
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
import django
django.setup()
from django.test import Client
client = Client()
page = client.get("/api/docs/", secure=True)
assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.content.decode())
statuses = {url: client.get(url, secure=True).status_code for url in assets}
print(json.dumps({"page": page.status_code, "assets": statuses}))
"""


def _dockerfile_collectstatic_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "collectstatic" in line)
    command = line.split("&&")[-1]
    env = {}
    for token in shlex.split(command):
        if "=" not in token:
            break
        name, _, value = token.partition("=")
        env[name] = value
    return env


def _run(script: str, env: dict[str, str], static_root: Path) -> str:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, str(static_root)],
        env=base | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_image_serves_the_docs_page_and_its_assets(tmp_path):
    build_env = _dockerfile_collectstatic_env()
    assert build_env, "the Dockerfile has no collectstatic step"
    _run(COLLECT, build_env, tmp_path)

    runtime_env = {
        "DJANGO_READ_DOT_ENV": "false",
        "DEBUG": "false",
        "SECRET_KEY": "runtime-" + "s3cret" * 10,
        "ALLOWED_HOSTS": "testserver",
        "STRIPE_SECRET_KEY": "sk_test_runtime",
        "STRIPE_WEBHOOK_SECRET": "whsec_runtime",
        "ENTITLEMENT_SIGNING_KEYS": "/run/secrets/entitlement-keys.json",
        "ALLOW_PER_PROCESS_CACHE": "true",  # one process serving a page: no Redis needed
    }
    served = json.loads(_run(SERVE, runtime_env, tmp_path).strip().splitlines()[-1])

    assert served["page"] == 200
    assert served["assets"], "the docs page references no static assets"
    assert set(served["assets"].values()) == {200}, served["assets"]
    # Hashed names: the production storage wrote its manifest.
    assert all(re.search(r"\.[0-9a-f]{12}\.", url) for url in served["assets"]), served


def test_the_image_copies_every_app_of_the_project():
    from django.apps import apps

    ours = {c.name for c in apps.get_app_configs() if Path(c.path).parent == ROOT}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))

    assert ours - copied == set()
