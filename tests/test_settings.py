"""Settings come from the environment, and a bad value stops the start-up with a clear error.

Production settings are loaded in a subprocess: a settings module is read once per
process, and the test process already runs with ``spm.settings.test``.
"""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from spm.settings.base import env

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "spm.settings.production",
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64)[:50],
    "ALLOWED_HOSTS": "spm.example.com",
}


def run_python(*args: str, **environ: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**os.environ, **PRODUCTION, **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


def start_django(**environ: str) -> subprocess.CompletedProcess:
    return run_python("-c", "import django; django.setup()", **environ)


def test_production_refuses_to_start_without_a_secret_key():
    # An empty value also wins over a SECRET_KEY in a developer's .env file.
    result = start_django(SECRET_KEY="")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set in the environment." in result.stderr


def test_production_starts_with_a_secret_key():
    result = start_django()

    assert result.returncode == 0, result.stderr


def test_production_caches_on_redis_so_rate_limits_count_across_processes():
    result = run_python(
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])",
        CACHE_URL="redis://cache.internal:6379/2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/2",
    ]


def test_production_refuses_a_per_process_cache():
    result = start_django(CACHE_URL="locmemcache://")
    assert result.returncode != 0
    assert "CACHE_URL must name a shared cache" in result.stderr


def test_the_demo_and_tests_cache_in_memory():
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_a_malformed_database_url_stops_the_start_up_without_echoing_the_password():
    result = start_django(DATABASE_URL="postgres://spm:s3cret-pw@db.internal:port/spm")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not a database URL" in result.stderr
    assert "s3cret-pw" not in result.stderr


def test_a_debug_value_that_is_not_a_boolean_stops_the_start_up():
    result = start_django(DEBUG="ture")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG must be true or false, not 'ture'." in result.stderr


def test_the_deployment_checklist_reports_nothing_for_production_settings():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "not-a-url",
        "mongodb://db.internal/spm",
        "postgres://",
        "postgres://db.internal:port/spm",
        "postgres://[::1/spm",
    ],
)
def test_bad_database_urls_are_refused(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not a database URL"):
        env.db_url("DATABASE_URL")


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("postgres://spm@db.internal:5432/spm", "django.db.backends.postgresql", "spm"),
        ("sqlite:////srv/spm/db.sqlite3", "django.db.backends.sqlite3", "/srv/spm/db.sqlite3"),
    ],
)
def test_good_database_urls_are_read(monkeypatch, url, engine, name):
    monkeypatch.setenv("DATABASE_URL", url)
    config = env.db_url("DATABASE_URL")
    assert (config["ENGINE"], config["NAME"]) == (engine, name)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), ("Yes", True), ("0", False), ("false", False), ("off", False)],
)
def test_booleans_read_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("SPM_TEST_FLAG", raw)
    assert env.bool("SPM_TEST_FLAG", default=None) is value


@pytest.mark.parametrize("raw", ["ture", "2x", "enabled"])
def test_booleans_refuse_anything_else(monkeypatch, raw):
    monkeypatch.setenv("SPM_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="SPM_TEST_FLAG must be true or false"):
        env.bool("SPM_TEST_FLAG", default=False)


def test_a_number_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("CONN_MAX_AGE", "forever")
    with pytest.raises(ImproperlyConfigured, match="CONN_MAX_AGE has a malformed value"):
        env.int("CONN_MAX_AGE", default=0)


# --- The production deployment: docker-compose.yml and the Dockerfile ----------------------


def compose_file() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_runs_the_database_broker_web_server_worker_and_beat_with_health_checks():
    services = compose_file()["services"]

    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"] == "redis:7"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "/app/docker/healthcheck.py" in services["web"]["healthcheck"]["test"]
    assert (BASE_DIR / "docker" / "healthcheck.py").is_file()
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "spm", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "spm", "beat"]


def test_compose_keeps_data_schedule_and_queue_on_named_volumes():
    compose = compose_file()
    services = compose["services"]

    mounts = {
        name: {volume.split(":")[0]: volume.split(":")[1] for volume in service.get("volumes", [])}
        for name, service in services.items()
    }
    assert mounts["postgres"]["postgres-data"] == "/var/lib/postgresql/data"
    assert mounts["redis"]["redis-data"] == "/data"
    schedule = services["beat"]["command"][services["beat"]["command"].index("--schedule") + 1]
    assert schedule.startswith(mounts["beat"]["beat-schedule"] + "/")
    assert {"postgres-data", "redis-data", "beat-schedule"} <= set(compose["volumes"])


def test_compose_starts_the_app_only_on_healthy_services_and_a_migrated_database():
    services = compose_file()["services"]

    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
    entrypoint = BASE_DIR / "docker" / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert "manage.py migrate --noinput" in entrypoint.read_text()


def test_compose_configures_every_app_service_from_the_environment():
    services = compose_file()["services"]

    for name in ("migrate", "web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "spm.settings.production", name
        # Compose refuses to start without a secret key instead of running with an empty one.
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
        assert environment["DATABASE_URL"].startswith("postgres://spm:"), name
        assert environment["DATABASE_URL"].endswith("@postgres:5432/spm"), name
        assert environment["CELERY_BROKER_URL"] == "redis://redis:6379/0", name
        assert environment["CELERY_RESULT_BACKEND"].startswith("redis://redis:6379/"), name
        assert {"ALLOWED_HOSTS", "EMAIL_URL"} <= set(environment), name


def test_the_image_installs_the_locked_dependencies_collects_static_files_and_runs_gunicorn():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert '"gunicorn", "spm.wsgi"' in dockerfile
    assert "\nUSER spm\n" in dockerfile


def compose_command() -> list[str] | None:
    """``docker compose`` (the plugin) or, failing that, Debian's ``docker-compose``."""
    if shutil.which("docker"):
        version = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if version.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_connects_the_app_as_an_ordinary_role_that_row_level_security_binds():
    compose = compose_file()
    database_url = compose["x-app"]["environment"]["DATABASE_URL"]
    assert database_url.startswith("postgres://spm:")
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_USER"] == "postgres"  # The superuser is not spm.
    assert "./docker/postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    init = (BASE_DIR / "docker/postgres-init/10-app-role.sh").read_text()
    assert "CREATE ROLE spm LOGIN NOSUPERUSER NOBYPASSRLS" in init
    assert "CREATE DATABASE spm OWNER spm" in init


def test_docker_compose_accepts_the_file():
    command = compose_command()
    if command is None:
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    result = subprocess.run(
        [*command, "config", "--quiet"],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "SECRET_KEY": "x" * 50,
            "POSTGRES_PASSWORD": "compose-check",
            "POSTGRES_ADMIN_PASSWORD": "compose-check-admin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
