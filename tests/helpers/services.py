"""Whether missing services (PostgreSQL, Redis, a browser) fail the run instead of skipping."""

from __future__ import annotations

import os

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}
