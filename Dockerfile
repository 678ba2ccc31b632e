FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 1000 app
COPY pyproject.toml README.md ./
COPY accounts ./accounts
COPY billing ./billing
COPY entitlements ./entitlements
COPY config ./config
COPY stripe_emulator ./stripe_emulator
COPY templates ./templates
COPY manage.py ./
# Static files are collected at build time (DEBUG only for this step) and
# served by WhiteNoise from the web process.
RUN pip install . && DEBUG=true DJANGO_READ_DOT_ENV=false python manage.py collectstatic --noinput
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30"]
