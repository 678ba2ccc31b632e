"""docker-compose.yml defines the production stack.

Docker does not run on our machines, so the file itself is checked.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_defines_the_whole_stack(compose):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])


def test_web_worker_and_beat_share_one_django_definition(compose):
    services = compose["services"]
    anchor = compose["x-django"]
    for name in ("web", "worker", "beat", "migrate"):
        service = services[name]
        assert service["image"] == anchor["image"]
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    raw = (ROOT / "docker-compose.yml").read_text()
    assert raw.count("<<: *django") == 4


def test_images_and_commands(compose):
    services = compose["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["web"]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["migrate"]["command"][:2] == ["sh", "-c"]
    assert services["migrate"]["command"][2].split(" && ") == [
        "python manage.py migrate --noinput",
        "python manage.py seed",
    ]


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if name == "migrate":
            continue
        assert "healthcheck" in service, name
        assert service["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}


def test_web_waits_for_healthy_dependencies_and_migrations(compose):
    depends = compose["services"]["web"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_web_healthcheck_probes_readyz(compose):
    assert "/readyz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_the_stripe_emulator_only_runs_under_the_dev_profile(compose):
    emulator = compose["services"]["stripe-emulator"]
    assert emulator["profiles"] == ["dev"]
    assert "stripe_emulator" in emulator["command"]


def test_no_secret_is_written_into_the_file(compose):
    raw = (ROOT / "docker-compose.yml").read_text()
    assert "sk_live" not in raw
    assert "sk_test" not in raw
    assert "whsec_" not in raw
    # A secret is only ever read from .env by interpolation (`${NAME:?...}`), never given here.
    assert "SECRET_KEY" not in re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "", raw)


def test_the_stripe_emulator_accepts_the_key_the_django_services_use(compose):
    # Its --api-key is STRIPE_SECRET_KEY from .env, the env_file of web, worker and beat.
    command = compose["services"]["stripe-emulator"]["command"]
    assert "--api-key=${STRIPE_SECRET_KEY:?set STRIPE_SECRET_KEY in .env}" in command
    assert compose["x-django"]["env_file"] == ".env"


def test_gunicorn_takes_its_timeout_from_the_settings_in_compose_and_the_image(compose):
    web = compose["services"]["web"]["command"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))

    assert "--config=python:config.gunicorn" in web
    assert not [arg for arg in web if arg.startswith(("--timeout", "-t"))]
    assert '"--config", "python:config.gunicorn"' in cmd
    assert "--timeout" not in cmd
    environment = compose["x-django"]["environment"]
    assert environment["WEB_TIMEOUT_SECONDS"] == "${WEB_TIMEOUT_SECONDS:-30}"
    assert environment["STRIPE_REQUEST_BUDGET_SECONDS"] == "${STRIPE_REQUEST_BUDGET_SECONDS:-20}"


def test_the_seed_waits_for_its_database_and_for_the_emulator_only_under_the_dev_profile(compose):
    depends = compose["services"]["migrate"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["stripe-emulator"] == {"condition": "service_healthy", "required": False}


def test_the_edge_token_key_set_is_mounted_where_env_example_points(compose):
    assert "./secrets:/run/secrets" in compose["x-django"]["volumes"]
    example = (ROOT / ".env.example").read_text()
    assert "ENTITLEMENT_SIGNING_KEYS=/run/secrets/entitlement-keys.json" in example
