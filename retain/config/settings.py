"""Retain's one settings module.

Everything configurable comes from RETAIN_* environment variables parsed strictly (retain.lib.env):
a malformed or unknown value stops start-up with one line naming it.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

from retain.lib.env import (
    ConfigError,
    check_known,
    env_bool,
    env_cache_url,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_SECRET_KEY = "retain-insecure-default-secret-key-change-me"

KNOWN_SETTINGS = {
    "RETAIN_DEBUG",
    "RETAIN_SECRET_KEY",
    "RETAIN_ALLOWED_HOSTS",
    "RETAIN_CSRF_TRUSTED_ORIGINS",
    "RETAIN_DATA_DIR",
    "RETAIN_DATABASE_URL",
    "RETAIN_TEST_DATABASE_URL",
    "RETAIN_BROKER_URL",
    "RETAIN_TASKS_EAGER",
    "RETAIN_IMPORT_MAX_BYTES",
    "RETAIN_LOG_LEVEL",
    "RETAIN_TIME_ZONE",
    "RETAIN_EMAIL_HOST",
    "RETAIN_EMAIL_PORT",
    "RETAIN_EMAIL_USER",
    "RETAIN_EMAIL_PASSWORD",
    "RETAIN_EMAIL_SECURITY",
    "RETAIN_DEFAULT_FROM_EMAIL",
    "RETAIN_SITE_URL",
    "RETAIN_SECURE_COOKIES",
    "RETAIN_WEB_CONCURRENCY",
    "RETAIN_INGEST_RATE_PER_KEY",
    "RETAIN_INGEST_CONCURRENCY_PER_WORKSPACE",
    "RETAIN_EVENT_RETENTION_DAYS",
    "RETAIN_JOB_RUN_RETENTION_DAYS",
    "RETAIN_WEBHOOK_PRIVATE_ADDRESSES",
    "RETAIN_TRUSTED_PROXIES",
    "RETAIN_CACHE_URL",
    "RETAIN_PROXY_SSL_HEADER",
    "RETAIN_SSL_REDIRECT",
    "RETAIN_HSTS_SECONDS",
    "RETAIN_API_RATE_PER_TOKEN",
}
check_known("RETAIN_", KNOWN_SETTINGS)

DEBUG = env_bool("RETAIN_DEBUG", False)

DATA_DIR = Path(env_str("RETAIN_DATA_DIR", str(BASE_DIR / "var"))).resolve()
# The embedded database and broker files live here; SQLite cannot create a missing folder.
DATA_DIR.mkdir(parents=True, exist_ok=True)

# The secret comes from RETAIN_SECRET_KEY, else from the file `make demo` writes into the data
# directory, so that every `retain …` command works after `make demo` with nothing exported.
SECRET_KEY_FILE = DATA_DIR / "secret_key"
SECRET_KEY = env_str("RETAIN_SECRET_KEY", "")
SECRET_KEY_FROM_FILE = not SECRET_KEY and SECRET_KEY_FILE.is_file()
if SECRET_KEY_FROM_FILE:
    SECRET_KEY = SECRET_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    SECRET_KEY = DEFAULT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ConfigError(
        f"RETAIN_SECRET_KEY is unset and {SECRET_KEY_FILE} does not exist while RETAIN_DEBUG is false: "
        "set a long random value (make demo writes one into that file)"
    )
if len(SECRET_KEY) < 32:
    where = str(SECRET_KEY_FILE) if SECRET_KEY_FROM_FILE else "RETAIN_SECRET_KEY"
    raise ConfigError(f"the secret key in {where} is shorter than 32 characters")

ALLOWED_HOSTS = env_list("RETAIN_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("RETAIN_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ConfigError(f"RETAIN_CSRF_TRUSTED_ORIGINS item {_origin!r} must start with http:// or https://")


def _database(url: str, variable: str) -> dict[str, object]:
    try:
        # Persistent connections: opening one (and its PRAGMAs on SQLite) per request costs more than
        # an ingest batch's insert; health checks replace a connection the server dropped.
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True))
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"{variable}={url!r} is not a database URL ({exc})") from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer and keeps committed data across a process
        # crash; IMMEDIATE takes the write lock at BEGIN so two writers queue instead of failing
        # half-way with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    elif engine == "django.db.backends.postgresql":
        config.setdefault("OPTIONS", {})
    else:
        raise ConfigError(f"{variable} must be a sqlite:/// or postgres:// URL, got engine {engine!r}")
    return config


DATABASES = {
    "default": _database(
        env_str("RETAIN_DATABASE_URL", f"sqlite:///{DATA_DIR / 'retain.sqlite3'}"),
        "RETAIN_DATABASE_URL",
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "csp",
    "retain.config",
    "retain.tenancy",
    "retain.accounts",
    "retain.usage",
    "retain.surveys",
    "retain.health",
    "retain.renewals",
    "retain.metrics",
    "retain.risk",
    "retain.plans",
    "retain.web",
    "retain.api",
    "retain.demo",
    "retain.journeys",
    "retain.tasks",
    "retain.messaging",
    "retain.playbooks",
    "retain.ownership",
    "retain.reports",
    "retain.routing",
    "retain.team",
    "retain.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the views' exceptions: a busy database answers 503 + Retry-After, not 500.
    "retain.config.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "retain.config.urls"
WSGI_APPLICATION = "retain.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# Stored times are UTC; each workspace has its own time zone for calendar days.
TIME_ZONE = env_timezone("RETAIN_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
# Secure cookies need HTTPS: on by default in production, off for a local demo on plain HTTP.
SESSION_COOKIE_SECURE = env_bool("RETAIN_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Scripts only from our own static files: no inline <script>, no on*= attributes, no eval (Alpine runs
# as its CSP build, Vega's expressions in its interpreter). Inline styles stay allowed: progress bars
# set their widths in style attributes and htmx and vega-embed add small <style> elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Behind a proxy. The client address (rate limits, lock-outs) is read from X-Forwarded-For only when
# the connection comes from one of these addresses or networks (retain.lib.ratelimit.client_address).
TRUSTED_PROXIES = env_networks("RETAIN_TRUSTED_PROXIES")
# The header a TLS-terminating proxy sets to "https" (e.g. X-Forwarded-Proto), so links built for
# e-mails and redirects are https; only set it when the proxy always sets or strips that header.
_proxy_ssl_header = env_str("RETAIN_PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    if not all(part.isalnum() for part in _proxy_ssl_header.split("-")):
        raise ConfigError(
            f"RETAIN_PROXY_SSL_HEADER={_proxy_ssl_header!r} is not a header name (like X-Forwarded-Proto)"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

# Public pages carry a personal link in their address: never send it to another site. Not
# no-referrer: with it browsers post a page's form with "Origin: null", which the CSRF check refuses.
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "retain.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["retain.api.permissions.IsWorkspaceMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # django-filter's backend, refusing the empty and malformed values it would ignore.
    "DEFAULT_FILTER_BACKENDS": ["retain.api.query.StrictFilterBackend"],
    "EXCEPTION_HANDLER": "retain.api.errors.exception_handler",
    # DRF's parsers, with JSON nested too deeply and a multipart body without parts answering 400
    # (retain/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "retain.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "retain.api.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["retain.api.throttles.TokenRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retain API",
    "DESCRIPTION": "Customer-success workspace: accounts, contacts, subscriptions, touchpoints, segments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Contacts and subscriptions both have a "status", contacts and members a "role" (which surveys
    # reuse as their audience roles); name each choice set after its owner.
    "ENUM_NAME_OVERRIDES": {
        "ContactStatusEnum": "retain.accounts.choices.ContactStatus",
        "ContactRoleEnum": "retain.accounts.choices.ContactRole",
        "SubscriptionStatusEnum": "retain.accounts.choices.SubscriptionStatus",
        "AccountStageEnum": "retain.accounts.choices.Stage",
        "RenewalStageEnum": "retain.renewals.choices.Stage",
        "ExpansionKindEnum": "retain.renewals.choices.ExpansionKind",
        "MilestoneKindEnum": "retain.journeys.choices.MilestoneKind",
        "MilestoneStatusEnum": "retain.journeys.choices.MilestoneStatus",
        "BarrierKindEnum": "retain.journeys.choices.BarrierKind",
        "PlanStatusEnum": "retain.plans.choices.PlanStatus",
        "CommitmentStatusEnum": "retain.plans.choices.CommitmentStatus",
        "TaskKindEnum": "retain.tasks.choices.TaskKind",
        "TouchpointKindEnum": "retain.accounts.choices.TouchpointKind",
        "InboundSourceEnum": "retain.routing.choices.Source",
        "HandoffSourceEnum": "retain.team.choices.HandoffSource",
        "BalancePlanStatusEnum": "retain.team.choices.PlanStatus",
    },
}

# Background work. The embedded default keeps the broker in a SQLite file beside the database,
# so one machine needs no servers at all.
CELERY_BROKER_URL = env_str("RETAIN_BROKER_URL", f"sqla+sqlite:///{DATA_DIR / 'broker.sqlite3'}")
CELERY_TASK_ALWAYS_EAGER = env_bool("RETAIN_TASKS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

WEB_CONCURRENCY = env_int("RETAIN_WEB_CONCURRENCY", 4, minimum=1)
CELERY_BEAT_SCHEDULE_FILE = str(DATA_DIR / "celerybeat-schedule")
# REST API requests a minute per token, counted across every server process (429 with Retry-After).
API_RATE_PER_TOKEN = env_int("RETAIN_API_RATE_PER_TOKEN", 600, minimum=1)
# Ingest requests per second per write key, per server process (429 with Retry-After above it).
INGEST_RATE_PER_KEY = env_int("RETAIN_INGEST_RATE_PER_KEY", 2000, minimum=1)
# Ingest requests of one workspace worked on at once, per server process (429 above it): below the
# 4 threads of a `retain web` process, so another workspace's calls always find a free thread.
INGEST_CONCURRENCY_PER_WORKSPACE = env_int("RETAIN_INGEST_CONCURRENCY_PER_WORKSPACE", 2, minimum=1)
# Raw product events are kept this many days; the daily rollups are kept for good.
EVENT_RETENTION_DAYS = env_int("RETAIN_EVENT_RETENTION_DAYS", 400, minimum=30)
# Each background job's run per workspace (the Jobs page) is kept this many days.
JOB_RUN_RETENTION_DAYS = env_int("RETAIN_JOB_RUN_RETENTION_DAYS", 90, minimum=1)
IMPORT_MAX_BYTES = env_int("RETAIN_IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Slack and webhook steps post to addresses managers type in: by default only to public ones, so a
# playbook cannot reach services inside the network Retain runs in (set true for an internal receiver).
WEBHOOK_PRIVATE_ADDRESSES = env_bool("RETAIN_WEBHOOK_PRIVATE_ADDRESSES", False)
EMAIL_HOST = env_str("RETAIN_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("RETAIN_EMAIL_PORT", 1025, minimum=1)
# A real provider: log in, and encrypt with STARTTLS (usually port 587) or TLS from the first byte
# (usually 465). The embedded default is a local relay on port 1025 with neither.
EMAIL_HOST_USER = env_str("RETAIN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("RETAIN_EMAIL_PASSWORD", "")
if bool(EMAIL_HOST_USER) != bool(EMAIL_HOST_PASSWORD):
    raise ConfigError("RETAIN_EMAIL_USER and RETAIN_EMAIL_PASSWORD must be set together")
EMAIL_SECURITY = env_choice("RETAIN_EMAIL_SECURITY", "none", ["starttls", "tls", "none"])
EMAIL_USE_TLS = EMAIL_SECURITY == "starttls"
EMAIL_USE_SSL = EMAIL_SECURITY == "tls"
DEFAULT_FROM_EMAIL = env_str("RETAIN_DEFAULT_FROM_EMAIL", "Retain <retain@localhost>")
# Where people outside the workspace reach this server: links in e-mails (survey answers) start here.
SITE_URL = env_str("RETAIN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ConfigError(f"RETAIN_SITE_URL {SITE_URL!r} must start with http:// or https://")

# A site reached over https says so: plain-HTTP requests are redirected, and browsers remember for a
# year (HSTS) not to try HTTP. Subdomains and the preload list are left to whoever owns the domain, so
# Django's deploy checks asking for them are silenced.
# Redirecting needs to know a proxied request was https: without RETAIN_PROXY_SSL_HEADER it would loop.
SECURE_SSL_REDIRECT = env_bool("RETAIN_SSL_REDIRECT", SITE_URL.startswith("https://") and bool(_proxy_ssl_header))
SECURE_HSTS_SECONDS = env_int("RETAIN_HSTS_SECONDS", 31_536_000 if SITE_URL.startswith("https://") else 0, minimum=0)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# One cache for every process, so rate limits and lock-outs hold across them: Redis when configured,
# else a table in the database (created by `retain migrate`).
_cache_url = env_cache_url("RETAIN_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "retain_cache",
            # Past MAX_ENTRIES the table is culled whatever the entries' expiry: room for every
            # address and link counted in a window (the default, 300, would forget counts under load).
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("RETAIN_LOG_LEVEL", "INFO").upper()},
}
