"""Fixtures of the reliability tests: gunicorn servers on the test database (`app_servers`), and
in-process races where every thread has its own database connection (closed in `finally`) and its
own copy of the employee, all released together at a barrier."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from maoyi.core.errors import DomainError
from maoyi.org.models import Employee
from tests.reliability.server import AppServer, start_server


@pytest.fixture
def app_servers(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., AppServer]]:
    """`start(workers=4)` → a running gunicorn master serving the test database; every server is
    stopped when the test ends (before pytest-django empties the database)."""
    started: list[AppServer] = []

    def start(workers: int = 4) -> AppServer:
        server = start_server(workers, tmp_path)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def assert_no_tracebacks(*servers: AppServer) -> None:
    """No request raised inside a worker (a 500, a deadlock, a lock timeout would log one)."""
    for server in servers:
        log = server.log_text()
        assert "Traceback" not in log, log[-6000:]


@dataclass
class Tally:
    """What the threads did, counted under a lock: an outcome per call (a refusal's code), the
    refusal messages, and anything unexpected (a deadlock or lock timeout would land in `errors`)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    messages: set[str] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, call: Callable[[], object], success: str) -> None:
        try:
            call()
        except DomainError as refusal:
            with self.lock:
                self.outcomes[refusal.code] += 1
                self.messages.add(str(refusal.message))
        else:
            with self.lock:
                self.outcomes[success] += 1


def race(
    threads: int, work: Callable[[int, dict[int, Employee]], None], tally: Tally, actor_pks: list[int]
) -> float:
    """Run `work(index, actors)` in `threads` threads released together (`actors`: the thread's own
    copies of the employees, by pk); returns the seconds taken."""
    barrier = threading.Barrier(threads)

    def run(index: int) -> None:
        try:
            actors = {
                e.pk: e
                for e in Employee.objects.select_related("user", "department").filter(pk__in=actor_pks)
            }
            barrier.wait(timeout=60)
            work(index, actors)
        except BaseException as exc:  # reported by the main thread
            with tally.lock:
                tally.errors.append(exc)
        finally:
            connection.close()

    started = time.monotonic()
    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return time.monotonic() - started
