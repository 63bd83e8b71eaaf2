"""Settings come from the environment, and a bad value stops the start-up with a clear error.

Production settings are loaded in a subprocess: a settings module is read once per
process, and the test process already runs with ``spm.settings.test``.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
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
