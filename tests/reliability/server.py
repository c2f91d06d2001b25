"""Real app servers for the reliability tests: gunicorn masters started in a subprocess, serving
the database the running test uses (pytest-django's test database: a file for SQLite, in WAL mode
as `tune_database` opens it; `test_…` on PostgreSQL), so that several worker processes (and several
masters) race against one database exactly as in production.

The server reads its database from MAOYI_TEST_DATABASE_URL through `maoyi.config.settings_test`
(the settings the suite runs with), so the served code and the test see the same tables. Tests that
use it need committed data: `@pytest.mark.django_db(transaction=True)`.

Ports: 8640–8659. Each pytest-xdist worker gets ten of them (gw0 8640–8649, gw1 8650–8659; no
xdist: the first ten), taken in turn and checked free before use."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler

    from maoyi.org.models import Employee

ROOT = Path(__file__).resolve().parents[2]
FIRST_PORT = 8640
PORTS_PER_WORKER = 10
STARTUP_SECONDS = 60
FULL = os.environ.get("MAOYI_RELIABILITY_FULL", "") == "1"  # the full counts (make bench)


def _worker_index() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = "".join(ch for ch in name if ch.isdigit()) or "0"
    return int(digits) % 2


_ports = itertools.cycle(
    range(
        FIRST_PORT + PORTS_PER_WORKER * _worker_index(), FIRST_PORT + PORTS_PER_WORKER * (_worker_index() + 1)
    )
)


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def next_port() -> int:
    for _attempt in range(PORTS_PER_WORKER):
        port = next(_ports)
        if _free(port):
            return port
    raise RuntimeError("no free port in this worker's share of 8640–8659")


def database_url() -> str:
    """The URL of the database the running test uses (call it after the db fixture)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("the test database must be a file to be shared with a server process")
        return f"sqlite:///{Path(name).resolve()}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{db['NAME']}"


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """SIGINT (gunicorn's quick shutdown; the requests are all answered by then) to the master's
        process group (the master and its workers), SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            pass


def start_server(workers: int, log_dir: Path) -> AppServer:
    """A gunicorn master with `workers` sync workers on a free port of this worker's share, serving
    the test database; returns once /healthz answers 200."""
    port = next_port()
    log = log_dir / f"gunicorn-{port}-{time.monotonic_ns()}.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "maoyi.config.settings_test",
        "MAOYI_TEST_DATABASE_URL": database_url(),
        "MAOYI_DATA_DIR": str(settings.DATA_DIR),
        "MAOYI_DEBUG": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "tests.reliability.server:warm_application()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--preload",
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--error-logfile",
        "-",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = AppServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log_text()[-4000:]}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"gunicorn did not answer in {STARTUP_SECONDS} s:\n{server.log_text()[-4000:]}"
            )
        time.sleep(0.2)


def warm_application() -> WSGIHandler:
    """The project's WSGI application with the URL configuration and every view already imported,
    so that the workers forked from the master (`--preload`) answer their first request at once."""
    from django.db import connections
    from django.urls import get_resolver

    from maoyi.config.wsgi import application

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    connections.close_all()  # no connection may be shared by the forked workers
    return application


# Clients ------------------------------------------------------------------------------------------


def token_for(employee: Employee) -> str:
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=employee.user)
    return token.key


@dataclass(frozen=True)
class Answer:
    """What one request got back: the status and, for a refusal, the code (else "")."""

    status: int
    code: str
    body: Any
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        return str(self.status) if not self.code else f"{self.status} {self.code}"


class Api:
    """An API client for one employee against one server (one `requests.Session` per thread)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"Authorization": f"Token {self.token}", "Accept-Language": "zh-hans"})
            self._local.session = session
        return session

    def post(self, path: str, payload: dict[str, Any] | None = None) -> Answer:
        started = time.monotonic()
        response = self._session().post(
            f"{self.base_url}/api/v1/{path.lstrip('/')}", json=payload or {}, timeout=120
        )
        seconds = time.monotonic() - started
        try:
            body = response.json()
        except ValueError:
            body = response.text
        code = body.get("code", "") if isinstance(body, dict) and response.status_code >= 400 else ""
        return Answer(response.status_code, str(code), body, seconds)


@dataclass
class Outcomes:
    """Answers gathered from many threads, counted under a lock; anything a thread raised (a
    connection reset, a timeout) lands in `errors`."""

    answers: list[tuple[str, Answer]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, label: str, answer: Answer) -> None:
        with self.lock:
            self.answers.append((label, answer))

    def counts(self, label: str | None = None) -> dict[str, int]:
        found: dict[str, int] = {}
        for name, answer in self.answers:
            if label is None or name == label:
                found[answer.outcome] = found.get(answer.outcome, 0) + 1
        return found

    def server_errors(self) -> list[tuple[str, Answer]]:
        return [(name, a) for name, a in self.answers if a.status >= 500]


def in_threads(clients: int, jobs: Sequence[Callable[[], None]], outcomes: Outcomes) -> None:
    """Run `jobs` from `clients` threads released together at a barrier (thread i takes jobs i,
    i + clients, …)."""
    barrier = threading.Barrier(clients)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            for job in jobs[index::clients]:
                job()
        except BaseException as exc:  # reported by the main thread
            with outcomes.lock:
                outcomes.errors.append(exc)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in pool), "a client thread hung"
