"""Settings for the test suite: production settings with a test secret and fast password hashing.

RETAIN_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/retain) runs the suite on
another database; pytest-django creates and drops its test_ copy.
"""

import os

os.environ.setdefault("RETAIN_SECRET_KEY", "test-only-secret-key-0123456789abcdef0123456789")
os.environ.setdefault("RETAIN_DEBUG", "false")

from retain.config.settings import *  # noqa: F403
from retain.config.settings import _database
from retain.lib.env import env_str

_test_url = env_str("RETAIN_TEST_DATABASE_URL", "")
if _test_url:
    DATABASES = {"default": _database(_test_url, "RETAIN_TEST_DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A commit of the throw-away test database need not wait for its WAL to reach the disk: the
        # demo builds and transactional tests commit thousands of times, and each flush is a wait on
        # a shared disk. Visibility, locking and isolation are unchanged; only a server crash could
        # lose the last commits, and the test database is dropped at the end anyway.
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"]["OPTIONS"],  # type: ignore[dict-item]
            "options": "-c synchronous_commit=off",
        }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The delivery tests' receivers listen on 127.0.0.1.
WEBHOOK_PRIVATE_ADDRESSES = True
# Tests open connections from threads (live servers, concurrent sweeps); persistent ones would stay
# open after those threads end and keep PostgreSQL from dropping the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Each test process counts rate limits in its own memory (the autouse fixture clears it); the tests
# that need the shared database or Redis cache start real server processes with the real settings.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
