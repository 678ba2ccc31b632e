"""Settings, read from the environment with django-environ (the README's configuration table).

With nothing set the service runs on SQLite, an in-memory cache and eager
Celery, but refuses to start unless DEBUG is on: a missing variable makes the
service safe, not open. With DEBUG off every secret must come from the
environment and none may be a development default.
"""

from pathlib import Path

import environ
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

from config.task_limits import TaskLimits

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file beside manage.py fills in what the environment leaves unset
# (the test settings turn this off so that a developer's .env never leaks in).
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development defaults: accepted only with DEBUG on (and refused by name without it).
DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production-0123456789"  # noqa: S105
DEV_STRIPE_SECRET_KEY = "sk_test_local"  # noqa: S105
DEV_STRIPE_WEBHOOK_SECRET = "whsec_local"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)


def _production_value(name: str, value: str, dev_default: str) -> str:
    """Refuse to run with DEBUG off on a missing secret or a development default."""
    if DEBUG:
        return value
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off.")
    if dev_default in value.split(","):
        raise ImproperlyConfigured(
            f"{name} is set to its development default; set a real value when DEBUG is off."
        )
    return value


SECRET_KEY = _production_value(
    "SECRET_KEY", env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else ""), DEV_SECRET_KEY
)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Frontends on other origins (django-cors-headers, /api/ and /.well-known/ only): each
# listed origin may call the API with credentials (the reader_id cookie); none by default.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/(api|\.well-known)/"
CORS_EXPOSE_HEADERS = ["X-Reader-Id", "Retry-After"]
CORS_ALLOW_HEADERS = (*cors_default_headers, "x-reader-id")

# --- Applications -----------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here, not a CDN
    "django_celery_beat",
    "allauth",
    "allauth.account",
    # dj-rest-auth's registration imports from socialaccount even without social logins.
    "allauth.socialaccount",
    "dj_rest_auth",
    "dj_rest_auth.registration",
    "config",  # system checks and the seeding commands (setup_periodic_tasks, seed)
    "accounts",
    "audit",
    "billing",
    "offers",
    "newsletters",
    "entitlements",
    "support",
    "demo",  # the demo reading surface, served only with DEBUG or DEMO_ENABLED
    "corsheaders",
]

MIDDLEWARE = [
    # Outermost: CORS headers on every answer, the JSON errors below included.
    "corsheaders.middleware.CorsMiddleware",
    # First: JSON errors under /api/ for what the rest would answer in HTML (config/errors.py).
    "config.errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "billing.middleware.StripeBudgetMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves webhooks and readers on several threads:
    # WAL lets reads run beside a write, and IMMEDIATE transactions take the
    # write lock up front (waiting for it) instead of failing to upgrade later.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Short timeouts: a Redis outage must degrade answers, never hang them. A hung
# Redis costs a request one socket timeout, after which the cache is left
# alone for CACHE_OUTAGE_RETRY_SECONDS (config/cache.py).
REDIS_SOCKET_TIMEOUT_SECONDS = env.float("REDIS_SOCKET_TIMEOUT_SECONDS", default=0.5)
REDIS_SOCKET_CONNECT_TIMEOUT_SECONDS = env.float(
    "REDIS_SOCKET_CONNECT_TIMEOUT_SECONDS", default=REDIS_SOCKET_TIMEOUT_SECONDS
)
CACHE_OUTAGE_RETRY_SECONDS = env.float("CACHE_OUTAGE_RETRY_SECONDS", default=5.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
            },
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="paywall"),
        }
    }
elif DEBUG or env.bool("ALLOW_PER_PROCESS_CACHE", default=False):
    # Each process counts throttles and caches decisions on its own: only for
    # one process (a local run, the test suite), never for a deployment.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is off: the sign-in throttles and the entitlements "
        "cache need one cache shared by every web and worker process (an in-memory cache "
        "lets each process count attempts on its own)."
    )

# --- Auth -------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# allauth 65: email is the login, there is no username.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
if ACCOUNT_EMAIL_VERIFICATION not in {"none", "optional", "mandatory"}:
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be none, optional or mandatory.")
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = False  # DRF throttles guard the API endpoints (accounts.throttles)

REST_AUTH = {
    "REGISTER_SERIALIZER": "accounts.serializers.RegisterSerializer",
    "LOGIN_SERIALIZER": "accounts.serializers.LoginSerializer",
    "USER_DETAILS_SERIALIZER": "accounts.serializers.UserSerializer",
    "PASSWORD_RESET_SERIALIZER": "accounts.serializers.PasswordResetSerializer",
    "TOKEN_MODEL": "rest_framework.authtoken.models.Token",
    "SESSION_LOGIN": False,
    "OLD_PASSWORD_FIELD_ENABLED": True,
    "LOGOUT_ON_PASSWORD_CHANGE": False,
}

# Where links in emails point: the reader-facing frontend.
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
# Where this API is reached from outside: links that must reach it directly, such as
# the newsletters' one-click unsubscribe URL (a mailbox provider POSTs to it).
PUBLIC_API_URL = env.str("PUBLIC_API_URL", default="http://localhost:8000").rstrip("/")
# The demo reading surface at /demo/ (demo/): on with DEBUG or DEMO_ENABLED. Its pages
# load Stripe.js from DEMO_STRIPE_JS_URL (unset: the emulator's stand-in when
# STRIPE_API_BASE is set, else Stripe's) with DEMO_STRIPE_PUBLISHABLE_KEY, and show
# the offer DEMO_OFFER_CODE (unset: no offer banner).
DEMO_ENABLED = env.bool("DEMO_ENABLED", default=False)
DEMO_STRIPE_JS_URL = env.str("DEMO_STRIPE_JS_URL", default="")
DEMO_STRIPE_PUBLISHABLE_KEY = env.str("DEMO_STRIPE_PUBLISHABLE_KEY", default="pk_test_emulator")
DEMO_OFFER_CODE = env.str("DEMO_OFFER_CODE", default="")
# Where the demo's pages call the API (unset: their own origin; another origin needs CORS).
DEMO_API_URL = env.str("DEMO_API_URL", default="").rstrip("/")
# How long a newsletter sign-up's confirmation link works.
NEWSLETTER_CONFIRM_HOURS = env.int("NEWSLETTER_CONFIRM_HOURS", default=48)

# --- Email ------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Subscriptions <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API ---------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Client IP for throttling: REMOTE_ADDR, or the Nth address from the right in
    # X-Forwarded-For when NUM_PROXIES trusted proxies sit in front of us.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="30/min"),
        "login_account": env.str("THROTTLE_LOGIN_ACCOUNT", default="10/min"),
        "registration_ip": env.str("THROTTLE_REGISTRATION_IP", default="20/hour"),
        "registration_account": env.str("THROTTLE_REGISTRATION_ACCOUNT", default="5/hour"),
        "password_reset_ip": env.str("THROTTLE_PASSWORD_RESET_IP", default="20/hour"),
        "password_reset_account": env.str("THROTTLE_PASSWORD_RESET_ACCOUNT", default="3/hour"),
        # GET /api/billing/offers/<code>/ is public: a limit on guessing codes.
        "offer_lookup_ip": env.str("THROTTLE_OFFER_LOOKUP_IP", default="60/min"),
        # POST /api/newsletters/subscribe/ sends an email: per IP, and per address asked for.
        "newsletter_signup_ip": env.str("THROTTLE_NEWSLETTER_SIGNUP_IP", default="20/hour"),
        "newsletter_signup_account": env.str(
            "THROTTLE_NEWSLETTER_SIGNUP_ACCOUNT", default="3/hour"
        ),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Paywall billing API",
    "DESCRIPTION": "Reader accounts, free trials and subscriptions, and entitlements.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ works offline: its assets come from drf-spectacular-sidecar's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "online validator" badge: it would load an image from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Stripe -----------------------------------------------------------------

STRIPE_SECRET_KEY = _production_value(
    "STRIPE_SECRET_KEY",
    env.str("STRIPE_SECRET_KEY", default=DEV_STRIPE_SECRET_KEY if DEBUG else ""),
    DEV_STRIPE_SECRET_KEY,
)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Stripe HTTP behaviour (billing/gateway/client.py): timeouts and the SDK's own retries
# of connection errors, 409s and 5xx (with Stripe-Should-Retry honoured).
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=20.0)
STRIPE_CONNECT_TIMEOUT_SECONDS = env.float("STRIPE_CONNECT_TIMEOUT_SECONDS", default=5.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# The whole Stripe time of one web request, across its calls and their retries:
# it stays below the web server's timeout (WEB_TIMEOUT_SECONDS, gunicorn's
# --timeout through config/gunicorn.py; system check billing.E001), so a hung
# Stripe ends in a JSON 503 stripe_unavailable, not in the worker being killed.
STRIPE_REQUEST_BUDGET_SECONDS = env.float("STRIPE_REQUEST_BUDGET_SECONDS", default=20.0)
WEB_TIMEOUT_SECONDS = env.int("WEB_TIMEOUT_SECONDS", default=30)
STRIPE_WEBHOOK_SECRETS = env.list(
    "STRIPE_WEBHOOK_SECRET", default=[DEV_STRIPE_WEBHOOK_SECRET] if DEBUG else []
)
_production_value(
    "STRIPE_WEBHOOK_SECRET", ",".join(STRIPE_WEBHOOK_SECRETS), DEV_STRIPE_WEBHOOK_SECRET
)

TRIAL_DAYS = env.int("TRIAL_DAYS", default=30)
FREE_ARTICLES_PER_MONTH = env.int("FREE_ARTICLES_PER_MONTH", default=3)
# The registration wall: an anonymous reader's and a registered reader's free articles
# (unset: FREE_ARTICLES_PER_MONTH, read when deciding). When registered > anonymous, an
# anonymous reader out of articles is told "registration_required" (docs/api.md).
FREE_ARTICLES_ANONYMOUS = env.int("FREE_ARTICLES_ANONYMOUS", default=None)
FREE_ARTICLES_REGISTERED = env.int("FREE_ARTICLES_REGISTERED", default=None)
# Entitlements: how long a cached decision may live at most (it is invalidated on
# every change anyway; this bounds staleness when an invalidation is lost to a
# cache outage), and how often a service API key's last use is written.
ENTITLEMENTS_CACHE_SECONDS = env.int("ENTITLEMENTS_CACHE_SECONDS", default=300)
ENTITLEMENTS_API_KEY_TOUCH_SECONDS = env.int("ENTITLEMENTS_API_KEY_TOUCH_SECONDS", default=60)
# Anonymous readers' meters (docs/performance.md, "Anonymous metered reads"):
# "redis" counts in Redis, drained into PostgreSQL every METER_DRAIN_SECONDS
# (METER_DRAIN_BATCH reads an INSERT; a meter stays METER_REDIS_SECONDS after
# its last read); "database" counts in PostgreSQL on the request.
METER_STORE = env.str("METER_STORE", default="redis" if REDIS_URL else "database")
if METER_STORE not in {"redis", "database"} or (METER_STORE == "redis" and not REDIS_URL):
    raise ImproperlyConfigured("METER_STORE must be database, or redis with REDIS_URL set.")
METER_DRAIN_SECONDS = env.int("METER_DRAIN_SECONDS", default=2)
METER_DRAIN_BATCH = env.int("METER_DRAIN_BATCH", default=1000)
METER_REDIS_SECONDS = env.int("METER_REDIS_SECONDS", default=7 * 86400)
if min(METER_DRAIN_SECONDS, METER_DRAIN_BATCH) < 1 or METER_REDIS_SECONDS < 60:
    raise ImproperlyConfigured("METER_DRAIN_* must be at least 1, METER_REDIS_SECONDS 60.")
# The anonymous reader_id cookie's SameSite: Lax, or None (always Secure then) for a
# frontend on another site that relies on the cookie (docs/api.md, "Cross-origin").
READER_ID_COOKIE_SAMESITE = env.str("READER_ID_COOKIE_SAMESITE", default="Lax")
if READER_ID_COOKIE_SAMESITE not in ("Lax", "Strict", "None"):
    raise ImproperlyConfigured("READER_ID_COOKIE_SAMESITE must be Lax, Strict or None.")
# Edge tokens (entitlements/tokens.py, docs/operations.md "Edge token keys"): how long
# a signed entitlement token lives (also the longest a revoked reader may still hold
# a valid one), and the key set that signs them: its JSON or the path of a mounted
# file. DEBUG alone signs with a development key derived from SECRET_KEY.
ENTITLEMENT_TOKEN_SECONDS = env.int("ENTITLEMENT_TOKEN_SECONDS", default=300)
if not 1 <= ENTITLEMENT_TOKEN_SECONDS <= 3600:
    raise ImproperlyConfigured("ENTITLEMENT_TOKEN_SECONDS must be between 1 and 3600.")
ENTITLEMENT_SIGNING_KEYS = env.str("ENTITLEMENT_SIGNING_KEYS", default="").strip()
if not DEBUG and not ENTITLEMENT_SIGNING_KEYS:
    raise ImproperlyConfigured(
        "ENTITLEMENT_SIGNING_KEYS must be set when DEBUG is off "
        "(a key set file made with `manage.py entitlement_keys generate`)."
    )
# The tokens' iss and aud claims: verifiers check both.
ENTITLEMENT_TOKEN_ISSUER = env.str("ENTITLEMENT_TOKEN_ISSUER", default="paywall-billing")
ENTITLEMENT_TOKEN_AUDIENCE = env.str("ENTITLEMENT_TOKEN_AUDIENCE", default="paywall-edge")
# A past_due subscription keeps access while Stripe retries the card (unset),
# or only this many days after the failed renewal.
PAST_DUE_GRACE_DAYS = env.int("PAST_DUE_GRACE_DAYS", default=None)
# What Stripe does when a trial started without a card ends without one:
# "cancel" (default) or "pause" (adding a card later resumes it).
TRIAL_END_WITHOUT_CARD = env.str("TRIAL_END_WITHOUT_CARD", default="cancel")
if TRIAL_END_WITHOUT_CARD not in {"cancel", "pause"}:
    raise ImproperlyConfigured("TRIAL_END_WITHOUT_CARD must be cancel or pause.")
# Stripe webhooks: body size limit, processing attempts. When "processing" is
# stuck is derived from the task time limit (STRIPE_EVENT_STUCK_SECONDS, below).
STRIPE_WEBHOOK_MAX_BYTES = env.int("STRIPE_WEBHOOK_MAX_BYTES", default=256 * 1024)
STRIPE_EVENT_MAX_ATTEMPTS = env.int("STRIPE_EVENT_MAX_ATTEMPTS", default=8)
# Retention (billing/services/retention.py, entitlements.services.meters_purge):
# processed (or ignored) Stripe events and finished (succeeded or failed) Stripe
# attempts are deleted this many days after they were received or made; events
# still to process and attempts still pending are never. Audit entries are kept.
STRIPE_EVENT_RETENTION_DAYS = env.int("STRIPE_EVENT_RETENTION_DAYS", default=90)
STRIPE_ATTEMPT_RETENTION_DAYS = env.int("STRIPE_ATTEMPT_RETENTION_DAYS", default=90)
# How many rows one run of a retention job deletes at most (in batches of 1,000).
RETENTION_ROWS_PER_RUN = env.int("RETENTION_ROWS_PER_RUN", default=100_000)
# The reconciliation's Stripe reads per second (billing/services/reconcile.py):
# Stripe allows 25 requests/s in test mode and 100 in live mode, and 25/s per
# endpoint (https://docs.stripe.com/rate-limits); 20 stays under test mode's
# limit with room for web requests and webhooks. Live: up to about 40.
RECONCILE_STRIPE_READS_PER_SECOND = env.float("RECONCILE_STRIPE_READS_PER_SECOND", default=20)
# Links in billing emails.
BILLING_MANAGE_URL = env.str("BILLING_MANAGE_URL", default=f"{FRONTEND_URL}/account/subscription")
BILLING_UPDATE_CARD_URL = env.str(
    "BILLING_UPDATE_CARD_URL", default=f"{FRONTEND_URL}/account/payment-method"
)
# One trial per card as well as per mailbox.
TRIAL_ONE_PER_CARD = env.bool("TRIAL_ONE_PER_CARD", default=True)

# The plan catalogue; `manage.py sync_plans` makes it real in Stripe and here.
# Amounts are in the currency's minor unit.
PLAN_CURRENCY = env.str("PLAN_CURRENCY", default="usd").lower()
# The currencies we sell in (the price book has an amount in each), and the one
# a reader whose country pays in none of them is shown (billing/money.py).
CURRENCIES = [c.strip().lower() for c in env.list("CURRENCIES", default=["usd", "eur", "gbp"])]
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default=PLAN_CURRENCY).lower()
if DEFAULT_CURRENCY not in CURRENCIES:
    raise ImproperlyConfigured(f"DEFAULT_CURRENCY {DEFAULT_CURRENCY} is not in CURRENCIES.")
# The CDN's country header (e.g. CF-IPCountry), trusted only when named here.
GEO_COUNTRY_HEADER = env.str("GEO_COUNTRY_HEADER", default="")
# Where prices are shown and charged with tax included (Stripe Tax): the EU and the UK.
EU_COUNTRIES = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
TAX_INCLUSIVE_COUNTRIES = frozenset(
    c.strip().upper()
    for c in env.list("TAX_INCLUSIVE_COUNTRIES", default=[*EU_COUNTRIES.split(), "GB"])
)
# Stripe Tax: subscriptions of readers whose location is known (a country, and a
# postal code in the US and Canada) are created with automatic_tax, and Stripe
# computes the tax from the customer's address (billing/services/tax.py). Needs
# Stripe Tax set up in the dashboard (origin address, registrations) and a
# tax_behavior on every price (or the account's default tax behavior).
STRIPE_TAX_ENABLED = env.bool("STRIPE_TAX_ENABLED", default=True)
# Each plan's default amounts per currency seed its price book (billing.PlanPrice)
# where staff have set nothing; from then on staff set prices in admin. The
# DEFAULT_CURRENCY amount may be set from the environment (PLAN_*_AMOUNT).
BILLING_PLANS = [
    {
        "code": "monthly",
        "name": "Monthly",
        "prices": {
            "usd": 999,
            "eur": 999,
            "gbp": 899,
            DEFAULT_CURRENCY: env.int("PLAN_MONTHLY_AMOUNT", default=999),
        },
        "interval": "month",
        "trial_days": TRIAL_DAYS,
    },
    {
        "code": "yearly",
        "name": "Yearly",
        "prices": {
            "usd": 9900,
            "eur": 9900,
            "gbp": 8900,
            DEFAULT_CURRENCY: env.int("PLAN_YEARLY_AMOUNT", default=9900),
        },
        "interval": "year",
        "trial_days": TRIAL_DAYS,
    },
]

# --- Celery -----------------------------------------------------------------
# Without a broker (no REDIS_URL, no CELERY_BROKER_URL) tasks run eagerly, in
# process: the embedded default for local runs.

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# In process, a task's failure is recorded by the task (events keep their
# status) rather than raised into the caller, and retries run as they would
# on a worker (Celery re-applies eager retries only when errors do not propagate).
CELERY_TASK_EAGER_PROPAGATES = False
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
# JSON only: no pickle, so a message can never execute code.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Results are not needed: tasks write their outcome to the database.
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and re-queued if its worker dies
# mid-task: every task must therefore be idempotent (they are: they take ids
# and call services that check state first).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: long tasks do not hold others hostage.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One number, the hard time limit T, bounds how long a live worker holds a
# task (the prefork pool kills it at T); everything that tells a live worker
# from a dead one is derived from it (config/task_limits.py): the soft limit,
# the retry back-off cap, Redis's visibility timeout (an unacknowledged
# message of a dead worker is delivered again after it, and never one a live
# worker still holds) and the age of a stuck Stripe event. An event held by a
# killed worker is taken up again within TASK_LIMITS.recovery_bound seconds
# (docs/operations.md, "A killed worker").
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
if CELERY_TASK_TIME_LIMIT < 2:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must be at least 2 (seconds).")
if "STRIPE_EVENT_STUCK_MINUTES" in env.ENVIRON:
    raise ImproperlyConfigured(
        "STRIPE_EVENT_STUCK_MINUTES is gone: when an event is stuck is derived from "
        "CELERY_TASK_TIME_LIMIT. Unset it."
    )
TASK_LIMITS = TaskLimits(time_limit=CELERY_TASK_TIME_LIMIT)
CELERY_TASK_SOFT_TIME_LIMIT = TASK_LIMITS.soft_time_limit
# Cap for exponential retry back-off (seconds), used by our tasks' retry_backoff_max.
CELERY_TASK_RETRY_BACKOFF_MAX = TASK_LIMITS.retry_backoff_max
CELERY_BROKER_VISIBILITY_TIMEOUT = TASK_LIMITS.visibility_timeout
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # Every worker sweeps for messages past the timeout this often (kombu's
    # default is every 100 s, too slow for a timeout of a few minutes).
    "unacked_restore_interval": TASK_LIMITS.restore_interval,
    "unacked_restore_throttle": 1,
}
STRIPE_EVENT_STUCK_SECONDS = TASK_LIMITS.stuck_after
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_SEND_TASK_EVENTS = True

# --- Security (production) --------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes from the orchestrator speak plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Webhook bodies and API requests are small; refuse anything large early.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- i18n, static -----------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},  # the SDK logs every request at INFO
    },
}
