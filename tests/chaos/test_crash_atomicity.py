"""Crash atomicity, the short version of `make chaos` (bench/chaos.py): document flows posted
through gunicorn with Idempotency-Keys while a worker is SIGKILLed every ~200 ms; afterwards every
document is whole or absent, one per key, nothing orphaned, the ledgers and the numbering intact.

It runs on the suite's database (SQLite file in WAL mode, or PostgreSQL when
MAOYI_TEST_DATABASE_URL is set): gunicorn is pointed at pytest's test database, so the data must be
committed (transaction=True)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings
from django.db import connection

from maoyi.api.models import IdempotencyRecord

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 3
WORKERS = 3
FLOWS = 16  # ~90 keyed requests and lookups, more with the retries
KILL_INTERVAL_MS = 200
MAX_SECONDS = 20  # flows under way when time is up are finished


def load_chaos() -> ModuleType:
    spec = importlib.util.spec_from_file_location("maoyi_bench_chaos", ROOT / "bench" / "chaos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def port() -> int:
    """8670–8679: one port per pytest-xdist worker (gw0, gw1, …), inside chaos's range."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return 8670 + index % 10


@pytest.mark.django_db(transaction=True)
def test_documents_posted_while_workers_are_killed_are_whole_or_absent_one_per_key(tmp_path: Path) -> None:
    chaos = load_chaos()
    world = chaos.build_world(CLIENTS)
    env = {
        "DJANGO_SETTINGS_MODULE": "maoyi.config.settings_test",
        "MAOYI_TEST_DATABASE_URL": chaos.database_url(settings.DATABASES["default"]),
        "MAOYI_DATA_DIR": str(tmp_path),
    }
    connection.close()  # SQLite: nothing of ours stays open while the workers write
    with chaos.serving(port(), WORKERS, env, str(tmp_path)) as server:
        stats = chaos.stock_up(server.port, world, run="ci")
        run, kills = chaos.chaos_run(
            server.port,
            world,
            run="ci-kill",
            clients=CLIENTS,
            seconds=MAX_SECONDS,
            kill_interval_ms=KILL_INTERVAL_MS,
            server=server,
            max_flows=FLOWS,
            seed=8,
        )
    run.merge_into(stats)

    violations = chaos.check(stats)

    assert violations == []
    assert kills > 0
    # Workers died mid-request: some requests got no answer and were sent again with their key.
    assert run.connection_errors > 0
    assert run.retries >= run.connection_errors
    assert sum(run.documents.values()) > 0
    assert run.documents == run.attempted  # every flow went through in the end

    # The checker reads the database: a stored response lost with its document would be caught.
    created = next(s for s in run.steps if s.name == "create" and s.status == 201)
    IdempotencyRecord.objects.filter(user_id=created.user_id, key=created.key).delete()
    assert chaos.check(stats) == [f"key {created.key}: answered 201 but no stored response"]
