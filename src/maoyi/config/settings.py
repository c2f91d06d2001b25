"""Maoyi settings: everything that varies between machines comes from MAOYI_* environment variables."""

from __future__ import annotations

from pathlib import Path

import environ

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/maoyi
env = environ.Env()

DATA_DIR = Path(env.str("MAOYI_DATA_DIR", default=str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env.bool("MAOYI_DEBUG", default=False)
_INSECURE_KEY = "django-insecure-maoyi-development-key-set-MAOYI_SECRET_KEY-in-production"
SECRET_KEY = env.str("MAOYI_SECRET_KEY", default=_INSECURE_KEY)
ALLOWED_HOSTS = env.list("MAOYI_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("MAOYI_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "maoyi.core",
    "maoyi.audit",
    "maoyi.org",
    "maoyi.approvals",
    "maoyi.attachments",
    "maoyi.catalog",
    "maoyi.inventory",
    "maoyi.finance",
    "maoyi.crm",
    "maoyi.purchasing",
    "maoyi.sales",
    "maoyi.invoicing",
    "maoyi.api",
    "maoyi.web",
    "maoyi.demo",
    "maoyi.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "maoyi.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "maoyi.web.sessions.SlidingSessionMiddleware",  # renews the session at most every 5 minutes
    "maoyi.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "maoyi.web.middleware.LoginRequiredMiddleware",
    "maoyi.api.idempotency.IdempotencyMiddleware",
    "maoyi.web.replica.ReportsOnReplicaMiddleware",  # after the login check has read the user
]

ROOT_URLCONF = "maoyi.config.urls"
WSGI_APPLICATION = "maoyi.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maoyi.web.context.shell",
            ],
        },
    }
]
FORM_RENDERER = "maoyi.web.forms.BootstrapFormRenderer"

# Database: SQLite in the data directory by default; PostgreSQL via MAOYI_DATABASE_URL.
DATABASES = {"default": env.db("MAOYI_DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'maoyi.sqlite3'}")}


def tune_database(db: dict) -> dict:
    """SQLite: WAL, IMMEDIATE write transactions and a busy timeout, so that several gunicorn
    workers queue for the single writer instead of failing with "database is locked".
    PostgreSQL: READ COMMITTED with a lock timeout, so a stuck lock becomes a clean error."""
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
            }
        )
    elif "postgresql" in db["ENGINE"]:
        db.setdefault("OPTIONS", {}).setdefault("options", "-c lock_timeout=10000")
        db.setdefault("CONN_MAX_AGE", 60)
        db.setdefault("CONN_HEALTH_CHECKS", True)
    return db


tune_database(DATABASES["default"])
# Several app servers: a PostgreSQL streaming replica for the report pages (docs/scaling.md).
if env.str("MAOYI_REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = tune_database(env.db("MAOYI_REPLICA_DATABASE_URL"))
DATABASE_ROUTERS = ["maoyi.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# "default" holds per-process throwaways; "shared" what every worker and every app server must see
# (import jobs' progress): a folder under the data directory on one server, Redis
# (redis://host:6379/1) or the database (dbcache://maoyi_cache, then `maoyi createcachetable`)
# when several app servers share the work (docs/scaling.md).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": env.cache_url("MAOYI_SHARED_CACHE_URL", default=f"filecache://{DATA_DIR / 'shared-cache'}"),
}
CACHES["shared"].setdefault("TIMEOUT", 24 * 3600)
CACHES["shared"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 3000)

# Authentication and sessions
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
SESSION_COOKIE_AGE = env.int("MAOYI_SESSION_SECONDS", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = False  # sliding expiry without a write per request: web/sessions.py
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
# Lockout after repeated failed logins (per user name and per client address).
MAOYI_LOCKOUT_FAILURES = env.int("MAOYI_LOCKOUT_FAILURES", default=5)
MAOYI_LOCKOUT_ADDRESS_FAILURES = env.int("MAOYI_LOCKOUT_ADDRESS_FAILURES", default=20)
MAOYI_LOCKOUT_MINUTES = env.int("MAOYI_LOCKOUT_MINUTES", default=15)
MAOYI_TRUST_PROXY = env.bool("MAOYI_TRUST_PROXY", default=False)

# Production hardening: on whenever debug is off.
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("MAOYI_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("MAOYI_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("MAOYI_SSL_REDIRECT", default=False)
    SECURE_HSTS_SECONDS = env.int("MAOYI_HSTS_SECONDS", default=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
    SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every response (maoyi.web.middleware.ContentSecurityPolicyMiddleware).
# Nothing is loaded from another origin (the assets are vendored), nothing frames us, no plugins,
# forms post only to us. Scripts: Alpine.js's standard build evaluates its attributes with
# new Function ('unsafe-eval'), and the pages still carry inline <script> blocks and on… handlers
# ('unsafe-inline'); Tabler and the templates use inline style attributes.
MAOYI_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Internationalisation: Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("MAOYI_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "maoyi_language"

# Static and uploaded files. Uploads live under the data directory and are never served as static.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/uploads/"  # nothing serves this path: downloads go through the scoped attachment view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MAOYI_UPLOAD_MAX_BYTES = env.int("MAOYI_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "maoyi.api.authentication.ActiveTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "maoyi.api.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "maoyi.api.export.XlsxRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "maoyi.api.export.ExportNegotiation",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "maoyi.api.schema.ExportAutoSchema",
    "EXCEPTION_HANDLER": "maoyi.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maoyi API",
    "DESCRIPTION": "Maoyi (贸易) REST API v1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "maoyi.api.schema.document_refusals",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("MAOYI_LOG_LEVEL", default="WARNING")},
}

MAOYI_DEMO_PASSWORD = env.str("MAOYI_DEMO_PASSWORD", default="maoyi-demo-2026")

# Printing (打印/PDF): the letterhead of every printed document. The logo is a static path such as
# "maoyi/logo.png" (found through the static files finders); empty prints no logo. An empty name
# falls back to the top department's name.
MAOYI_COMPANY_NAME = env.str("MAOYI_COMPANY_NAME", default="")
MAOYI_COMPANY_ADDRESS = env.str("MAOYI_COMPANY_ADDRESS", default="")
MAOYI_COMPANY_LOGO = env.str("MAOYI_COMPANY_LOGO", default="")
