"""Test settings: the same as production settings but fast hashing, and a PostgreSQL database when
MAOYI_TEST_DATABASE_URL is set (make test runs the suite once per database)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("MAOYI_DATA_DIR", tempfile.mkdtemp(prefix="maoyi-test-"))
os.environ.setdefault("MAOYI_DEBUG", "0")
os.environ.setdefault("MAOYI_SECURE_COOKIES", "0")

from maoyi.config.settings import *  # noqa: F403
from maoyi.config.settings import DATA_DIR, env, tune_database

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_url = os.environ.get("MAOYI_TEST_DATABASE_URL")
if _url:
    DATABASES = {"default": tune_database(env.db_url_config(_url))}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES = {"default": tune_database(env.db_url_config(f"sqlite:///{Path(DATA_DIR) / 'test.sqlite3'}"))}
    DATABASES["default"]["TEST"] = {"NAME": str(Path(DATA_DIR) / "test-db.sqlite3")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
INSTALLED_APPS = [*INSTALLED_APPS, "tests.docapp"]  # noqa: F405
