"""evalsite settings: one module, driven by the environment (12-factor).

Every variable read here is documented in `.env.example` and the README.
The embedded default (no variables set) is SQLite plus in-process jobs with
DEBUG on; production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and
DEBUG=0, and the app refuses to start on insecure defaults.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
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


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def secret_key_problem(key: str) -> str | None:
    """Why `key` is too weak for production, or None. Django's deploy check (W009: at least 50 characters, at
    least 5 distinct ones, not 'django-insecure-') plus an entropy floor: length x Shannon entropy of its
    character frequencies must reach 128 bits, and at least 3 in 4 of its 3-character runs must differ, so a
    repeated pattern is refused too."""
    if len(key) < 50:
        return f"it has {len(key)} characters (at least 50 needed)"
    if len(set(key)) < 5:
        return "it has fewer than 5 distinct characters"
    if key.startswith("django-insecure-"):
        return "it is a generated development key (starts with 'django-insecure-')"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < 128:
        return f"it is too predictable (about {bits:.0f} bits of entropy, at least 128 needed)"
    trigrams = [key[i : i + 3] for i in range(len(key) - 2)]
    if len(set(trigrams)) < 0.75 * len(trigrams):  # a random key repeats almost no 3-character run
        return "it is too predictable (it repeats itself)"
    return None


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
elif not DEBUG and (_weak := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak: {_weak}. Generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

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
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tasks",
    "ratings",
    "demo",  # the `make run` demo's commands; the product never imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Two session cookies: the site's (Lax) and the raters' on /r/ (SameSite=None; Secure), evalsite/middleware.py.
    "evalsite.middleware.SplitSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "evalsite.rater_errors.RaterErrorPagesMiddleware",  # friendly rater 404/500 pages, DEBUG or not
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "evalsite.middleware.SplitSessionAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After X-Frame-Options: its response pass runs first and exempts the rater pages that MTurk may frame.
    "evalsite.middleware.EvalsiteCSPMiddleware",
    "evalsite.middleware.RaterEntryThrottleMiddleware",
    # Last: turns a login lockout into the 429 answer (evalsite/security.py).
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out credentials before any password check
    "django.contrib.auth.backends.ModelBackend",
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

# Security headers (docs/architecture.md, "Security"); production (DEBUG off) also gets secure cookies,
# the HTTPS redirect and, once set, HSTS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The CSRF secret lives in the session (the site's, or the rater session on /r/), so rater forms work inside
# the MTurk frame without a second cross-site cookie; pages take the token from the form, never a cookie.
CSRF_USE_SESSIONS = True
CSRF_COOKIE_HTTPONLY = True
# The rater session cookie (evalsite/middleware.py): Path=/r/, SameSite=None + Secure when cookies are secure.
RATER_SESSION_COOKIE_NAME = os.environ.get("RATER_SESSION_COOKIE_NAME", "evalsite_rater")
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
    if env_bool("EVALSITE_TRUST_X_FORWARDED_PROTO", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# HSTS is sticky in browsers for its whole lifetime: opt in (the production checklist sets 31536000).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Rater pages follow the language cookie inside the MTurk frame too.
LANGUAGE_COOKIE_SAMESITE = "None" if SESSION_COOKIE_SECURE else "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True

# Content-Security-Policy on every response (django-csp): scripts only from our static files (a template that
# needs an inline script uses nonce="{{ request.csp_nonce }}"); no plugins; no framing except rater pages.
# style-src-attr allows style="" attributes (SVG charts size themselves with one); <style> blocks need the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Hosts allowed to frame rater pages (/r/...): MTurk's worker site and its sandbox (ExternalQuestion HITs).
EVALSITE_RATER_FRAME_ANCESTORS = env_list(
    "EVALSITE_RATER_FRAME_ANCESTORS", ["https://worker.mturk.com", "https://workersandbox.mturk.com"]
)
# Where a rater page's forms may post besides this site: MTurk's externalSubmit (the HIT completion form).
EVALSITE_RATER_FORM_ACTIONS = env_list(
    "EVALSITE_RATER_FORM_ACTIONS", ["https://www.mturk.com", "https://workersandbox.mturk.com"]
)

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one client,
# that pair is refused for AXES_COOLOFF_MINUTES, on /admin/, the login page and API basic auth alike
# (429 with Retry-After, evalsite/security.py). Counting per (username, client) means an attacker elsewhere
# cannot lock the real owner out of their own browser.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "evalsite.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "evalsite.security.client_ip"
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # failures are recorded (AccessAttempt, in the admin); successes are not
# Proxies in front of the app that append to X-Forwarded-For (0: the client is REMOTE_ADDR). Lockouts and
# throttles key on the client address this gives.
EVALSITE_TRUSTED_PROXIES = env_int("EVALSITE_TRUSTED_PROXIES", 0)
# The API schema, Swagger UI and DRF's browsable HTML: owners only, unless opted in (DEBUG opts in).
EVALSITE_PUBLIC_API_DOCS = env_bool("EVALSITE_PUBLIC_API_DOCS", DEBUG)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "evalsite.security.LockoutBasicAuthentication",
    ],
    # One throttle for every API view: it picks the scope from the route (evalsite/security.py); 429 + Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["evalsite.security.RouteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "feedback": os.environ.get("EVALSITE_THROTTLE_FEEDBACK", "120/min"),
        "owner": os.environ.get("EVALSITE_THROTTLE_OWNER", "600/min"),
        "rater_entry": os.environ.get("EVALSITE_THROTTLE_RATER_ENTRY", "30/min"),
        "rater_submit": os.environ.get("EVALSITE_THROTTLE_RATER_SUBMIT", "60/min"),
        "anonymous": os.environ.get("EVALSITE_THROTTLE_ANONYMOUS", "120/min"),
    },
    "NUM_PROXIES": env_int("EVALSITE_TRUSTED_PROXIES", 0),
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "evalsite.security.OwnerOnlyBrowsableNegotiation",
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
    "SERVE_PERMISSIONS": ["evalsite.security.ApiDocsPermission"],
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
    "loggers": {"axes": {"level": "WARNING"}},  # one line per login otherwise
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
