FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 1000 app
COPY pyproject.toml README.md ./
COPY accounts ./accounts
COPY audit ./audit
COPY billing ./billing
COPY entitlements ./entitlements
COPY offers ./offers
COPY newsletters ./newsletters
COPY support ./support
COPY demo ./demo
COPY config ./config
COPY stripe_emulator ./stripe_emulator
COPY templates ./templates
COPY manage.py ./
# Static files are collected at build time and served by WhiteNoise from the
# web process. DEBUG stays off so that the production storage writes its
# manifest (hashed, compressed names); the placeholder secrets exist only for
# this step and are never in the image's environment; the step is one process,
# so it may run without the shared cache (REDIS_URL) the service needs.
RUN pip install . && DJANGO_READ_DOT_ENV=false DEBUG=false ALLOWED_HOSTS=build \
    ALLOW_PER_PROCESS_CACHE=true \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-runtime-secret-0123456789 \
    STRIPE_SECRET_KEY=sk_test_build STRIPE_WEBHOOK_SECRET=whsec_build \
    ENTITLEMENT_SIGNING_KEYS=/run/secrets/entitlement-keys.json \
    python manage.py collectstatic --noinput
USER app
EXPOSE 8000
# The worker timeout is WEB_TIMEOUT_SECONDS (config/gunicorn.py), and Django's
# checks run before the first worker starts.
CMD ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3"]
