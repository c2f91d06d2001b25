"""What several app servers need (docs/scaling.md): reports read from a replica when one is
configured, and the state every worker must see (import jobs) in a cache they share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings

from maoyi.core import replica
from maoyi.crm.models import Customer
from maoyi.web.imports import jobs

pytestmark = pytest.mark.django_db


def _settings_with(env: dict[str, str], expression: str) -> object:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "maoyi.config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_replica_is_a_second_database_only_when_its_url_is_set(tmp_path) -> None:
    without = _settings_with({"MAOYI_DATA_DIR": str(tmp_path)}, "sorted(settings.DATABASES)")
    with_replica = _settings_with(
        {
            "MAOYI_DATA_DIR": str(tmp_path),
            "MAOYI_DATABASE_URL": "postgres://maoyi@primary.example:5432/maoyi",
            "MAOYI_REPLICA_DATABASE_URL": "postgres://maoyi@replica.example:5432/maoyi",
        },
        "{k: v['HOST'] for k, v in settings.DATABASES.items()}",
    )

    assert without == ["default"]
    assert with_replica == {"default": "primary.example", "replica": "replica.example"}


def test_the_shared_cache_is_a_folder_by_default_and_redis_or_the_database_when_named(tmp_path) -> None:
    expression = "settings.CACHES['shared']['BACKEND']"
    assert _settings_with({"MAOYI_DATA_DIR": str(tmp_path)}, expression).endswith("FileBasedCache")
    assert _settings_with(
        {"MAOYI_DATA_DIR": str(tmp_path), "MAOYI_SHARED_CACHE_URL": "redis://127.0.0.1:6379/1"}, expression
    ).endswith("RedisCache")
    assert _settings_with(
        {"MAOYI_DATA_DIR": str(tmp_path), "MAOYI_SHARED_CACHE_URL": "dbcache://maoyi_cache"}, expression
    ).endswith("DatabaseCache")


def test_reads_go_to_the_replica_only_inside_reports_and_only_when_one_is_configured(monkeypatch) -> None:
    router = replica.ReplicaRouter()
    assert router.db_for_read(Customer) is None
    with replica.reading_reports():
        assert router.db_for_read(Customer) is None  # no replica configured: the primary
        monkeypatch.setattr(replica, "configured", lambda: True)
        assert router.db_for_read(Customer) == "replica"
        assert router.db_for_write(Customer) == "default"
    assert router.db_for_read(Customer) is None
    assert router.allow_migrate("replica", "crm") is False
    assert router.allow_migrate("default", "crm") is True


def test_report_pages_read_inside_the_replica_context_and_other_pages_do_not(
    client, company, monkeypatch
) -> None:
    seen: list[tuple[str, bool]] = []
    original = replica.ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        seen.append((model._meta.label, replica._reports.get()))
        return original(self, model, **hints)

    monkeypatch.setattr(replica.ReplicaRouter, "db_for_read", spy)
    monkeypatch.setattr("maoyi.web.replica.configured", lambda: True)
    client.force_login(company.manager_a.user)

    assert client.get("/reports/sales/").status_code == 200
    on_reports = [inside for label, inside in seen if label.startswith(("sales.", "crm."))]
    seen.clear()
    assert client.get("/crm/customers/").status_code == 200
    on_customers = [inside for _label, inside in seen]

    assert on_reports and all(on_reports)
    assert on_customers and not any(on_customers)


def _redis_up() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_an_import_job_saved_by_one_app_server_is_read_by_another_through_redis() -> None:
    location, prefix = "redis://127.0.0.1:6379/15", f"maoyi-test-{uuid.uuid4().hex}"
    shared = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        },
    }
    job = jobs.Job(
        id=uuid.uuid4().hex,
        slug="customers",
        user_id=1,
        actor_id=1,
        language="zh-hans",
        file_name="客户.xlsx",
    )
    with override_settings(CACHES=shared):
        try:  # override_settings gives this process a new connection, to the new location
            jobs.save(job)
            # Another app server: its own cache object on the same Redis.
            other = RedisCache(location, {"KEY_PREFIX": prefix})
            assert other.get(f"import:{job.id}:state") == job.__dict__
            assert jobs.load(job.id) == job
        finally:
            caches["shared"].clear()
