# SPM web, worker and beat image. Build: docker build -t spm .  Run: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:${PATH}"

RUN python -m pip install --no-cache-dir --disable-pip-version-check "uv==0.13.9"

WORKDIR /app

# Dependencies first, exactly as locked: this layer is rebuilt only when they change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache

COPY . .

# Static files are collected at build time and served by WhiteNoise. The key is a
# placeholder: collectstatic needs settings, not secrets.
RUN DJANGO_SETTINGS_MODULE=spm.settings.production \
    SECRET_KEY=collectstatic-needs-no-real-secret-key \
    python manage.py collectstatic --noinput --verbosity 0

# Run as an unprivileged user; var/ and the beat schedule folder are its only writable places.
RUN useradd --system --uid 10001 --home-dir /app spm \
    && mkdir -p /app/var /var/lib/spm-beat \
    && chown spm /app/var /var/lib/spm-beat \
    && chmod +x /app/docker/entrypoint.sh
USER spm

ENV DJANGO_SETTINGS_MODULE=spm.settings.production
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
# Gunicorn takes its number of worker processes from WEB_CONCURRENCY.
CMD ["gunicorn", "spm.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
