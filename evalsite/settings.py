"""evalsite settings: one module, driven by the environment (12-factor).

Every variable read here is documented in `.env.example` and the README.
The embedded default (no variables set) is SQLite plus in-process jobs with
DEBUG on; production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and
DEBUG=0, and the app refuses to start on insecure defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
EVALSITE_STRICT = env_bool("EVALSITE_STRICT", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (refusing an insecure default)")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is the development default; set a real secret when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the real host names when DEBUG is off ('*' is refused)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

VAR_DIR = Path(os.environ.get("EVALSITE_VAR_DIR", BASE_DIR / "var"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Blinded files are never served from a guessable static path: the views in
# tasks/ stream them by opaque id, so MEDIA_URL is not routed publicly.
MEDIA_URL = "/media-not-public/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tasks",
    "ratings",
    "demo",  # the `make run` demo's commands; the product never imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "evalsite.rater_errors.RaterErrorPagesMiddleware",  # friendly rater 404/500 pages, DEBUG or not
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "evalsite.urls"
WSGI_APPLICATION = "evalsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, or the embedded SQLite file.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "evalsite.sqlite3"),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "owner-home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))

# Security headers; production (DEBUG off) also gets secure cookies.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["evalsite.permissions.IsOwnerAccount"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "evalsite.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "evalsite API",
    "DESCRIPTION": "Blind human evaluation of AI model outputs: studies, imports, leaderboards, exports, feedback.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: a broker URL means real workers; none means jobs run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "900"))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "840"))
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "evalsite")
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Leases past their expiry go back to the pool (tasks/jobs.py).
    "expire-assignment-leases": {"task": "tasks.jobs.assignments_expire_job", "schedule": 60.0},
    # Rater quality + quality rules for every live study (ratings/jobs.py).
    "ratings-quality-recompute": {
        "task": "ratings.quality_recompute_live_studies",
        "schedule": float(os.environ.get("QUALITY_RECOMPUTE_SECONDS", "600")),
    },
}

# Cache: shared between processes in production (the leaderboard debounce and agreement caches use it).
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Leaderboards (docs/leaderboards.md): recompute at most once per window after new judgments; bootstrap
# rounds run in this many processes (1 inside Celery prefork workers whatever this says).
LEADERBOARD_DEBOUNCE_SECONDS = int(os.environ.get("LEADERBOARD_DEBOUNCE_SECONDS", "30"))
LEADERBOARD_BOOTSTRAP_WORKERS = int(os.environ.get("LEADERBOARD_BOOTSTRAP_WORKERS", "1"))

# Exports with more rows than this run as a background job instead of streaming (docs/formats.md).
EVALSITE_EXPORT_STREAM_MAX_ROWS = int(os.environ.get("EVALSITE_EXPORT_STREAM_MAX_ROWS", "20000"))
# Most feedback events accepted in one ingestion request (docs/feedback.md).
EVALSITE_FEEDBACK_MAX_BATCH = int(os.environ.get("EVALSITE_FEEDBACK_MAX_BATCH", "5000"))
EVALSITE_FEEDBACK_MAX_BODY_BYTES = int(os.environ.get("EVALSITE_FEEDBACK_MAX_BODY_BYTES", str(32 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Import limits (tasks/services/imports.py; documented in docs/import-format.md). Each can be overridden
# from the environment; every limit that is hit gives a clear error naming it.
EVALSITE_IMPORT_MAX_BYTES = int(os.environ.get("EVALSITE_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
EVALSITE_IMPORT_MAX_LINES = int(os.environ.get("EVALSITE_IMPORT_MAX_LINES", "1000000"))
EVALSITE_IMPORT_ASYNC_LINES = int(os.environ.get("EVALSITE_IMPORT_ASYNC_LINES", "100000"))
EVALSITE_IMPORT_MAX_ERRORS = int(os.environ.get("EVALSITE_IMPORT_MAX_ERRORS", "1000"))
EVALSITE_ZIP_MAX_BYTES = int(os.environ.get("EVALSITE_ZIP_MAX_BYTES", str(1024 * 1024 * 1024)))
EVALSITE_ZIP_MAX_ENTRIES = int(os.environ.get("EVALSITE_ZIP_MAX_ENTRIES", "50000"))
EVALSITE_ZIP_MAX_UNCOMPRESSED = int(os.environ.get("EVALSITE_ZIP_MAX_UNCOMPRESSED", str(4 * 1024 * 1024 * 1024)))
EVALSITE_ZIP_MAX_RATIO = int(os.environ.get("EVALSITE_ZIP_MAX_RATIO", "100"))
EVALSITE_IMAGE_MAX_BYTES = int(os.environ.get("EVALSITE_IMAGE_MAX_BYTES", str(20 * 1024 * 1024)))
EVALSITE_IMAGE_MAX_PIXELS = int(os.environ.get("EVALSITE_IMAGE_MAX_PIXELS", str(40_000_000)))
