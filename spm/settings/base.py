"""Settings shared by every environment.

Every value that differs between machines comes from the environment through
``env`` (django-environ); a malformed value raises ``ImproperlyConfigured`` at
start-up rather than a confusing error later.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


class StrictEnv(environ.Env):
    """django-environ, refusing malformed values instead of guessing.

    Plain django-environ reads ``DEBUG=ture`` as False and ``DATABASE_URL=oops`` as the
    dummy backend; here each is an ``ImproperlyConfigured`` naming the variable.
    """

    BOOLEAN_STRINGS = {"true", "on", "ok", "y", "yes", "1", "false", "off", "n", "no", "0", ""}

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        raw = self.ENVIRON.get(var)
        if cast is bool and raw is not None and raw.strip().lower() not in self.BOOLEAN_STRINGS:
            raise ImproperlyConfigured(f"{var} must be true or false, not {raw!r}.")
        try:
            return super().get_value(var, cast, default, parse_default)
        except ValueError as error:
            raise ImproperlyConfigured(f"{var} has a malformed value: {error}") from error

    def db_url(self, var="DATABASE_URL", default=environ.Env.NOTSET, engine=None) -> dict:
        url = self.str(var, default=default)
        # The URL may hold a password: name the variable, never echo its value. The scheme is
        # checked first because django-environ's warning about an unknown one prints it all.
        message = f"{var} is not a database URL such as postgres://user@host:5432/name."
        if url.partition("://")[0] not in self.DB_SCHEMES:
            raise ImproperlyConfigured(message)
        try:
            config = self.db_url_config(url, engine=engine)
        except ValueError:
            raise ImproperlyConfigured(message) from None
        if not config.get("NAME"):
            raise ImproperlyConfigured(message)
        return config


env = StrictEnv()
# A local .env file is a convenience for development; the environment wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The cache also counts login attempts (allauth's rate limits), so every web process must
# share it: Redis in production. The demo's single process is fine with memory.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

INSTALLED_APPS = [
    "spm.tenancy.apps.SpmAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Core
    "spm.users",
    "spm.tenancy",
    "spm.calendars",
    "spm.notifications",
    "spm.web",
    "spm.demo",
    # Domain apps, in their dependency order.
    "territories",
    "quotas",
    "activities",
    "accountability",
]

MIDDLEWARE = [
    "spm.tenancy.middleware.RowSecurityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "spm.inputs.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "spm.tenancy.middleware.TenantMiddleware",
]

ROOT_URLCONF = "spm.urls"
WSGI_APPLICATION = "spm.wsgi.application"

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
                "spm.tenancy.context_processors.tenancy",
                "spm.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat write to one file: a writer takes the lock when
    # its transaction begins and the others wait for it (up to 20 s) instead of failing
    # with "database is locked"; WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
# Storage is UTC; each tenant's timezone is activated per request by the tenant middleware.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# --- Email -----------------------------------------------------------------
# EMAIL_URL examples: consolemail://, smtp+tls://user:pass@host:587
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SPM <no-reply@spm.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts (django-allauth) ----------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "spm.tenancy.forms.OrganisationSignupForm"
ACCOUNT_ADAPTER = "spm.tenancy.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[SPM] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "SPM"

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "spm.tenancy.authentication.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "spm.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SPM API",
    "DESCRIPTION": (
        "Sales Performance Management. Authenticate with `Authorization: Token <key>` "
        "(a token belongs to one membership) or a browser session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from static files so the docs work offline and leak nothing to a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Group the docs by resource (me, members, quotas…) rather than under one "v1" tag.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "spm.api.schema.add_error_responses",
    ],
}

# --- Celery ------------------------------------------------------------------
# The default broker is kombu's filesystem transport: a real worker and beat run
# beside the web server without any server process. Production uses redis://.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
_broker_dir = VAR_DIR / "celery-broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task has a time limit; a task that needs more declares its own.
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic jobs are declared beside their tasks (``every_tenant`` in
# ``spm/tenancy/tasks_base.py``), which adds them to the beat schedule.
CELERY_BEAT_SCHEDULE: dict = {}

# --- Security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Absolute links in emails sent by background tasks (no request to build them from).
SPM_BASE_URL = env.str("SPM_BASE_URL", default="http://127.0.0.1:8000")

# Invitations stay valid this many days.
SPM_INVITATION_DAYS = env.int("SPM_INVITATION_DAYS", default=14)


def require_secret_key(secret_key: str) -> str:
    if not secret_key:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment.")
    return secret_key
