"""Crash atomicity: documents posted through the HTTP API with Idempotency-Keys while gunicorn
workers are killed (SIGKILL) at random; afterwards every document is either fully posted or absent.

It recreates and migrates a database (a PostgreSQL database whose name contains "bench", or a
temporary SQLite file), sets up a company (departments, employees and API tokens, customers, a
supplier, products, a warehouse) through the services, starts gunicorn (several workers, the app
preloaded so that a killed worker is replaced at once) and stocks the warehouse through the API.
Then client threads post document flows the way a real integration does: every POST carries its
own Idempotency-Key and is sent again, with the same key and body, on a connection error, a 5xx or
a 409 `idempotency_in_progress`, until a definitive answer comes back:

- sales: order create → submit → approve (manager) → ship (logistics) → receipt allocated to the
  order's receivable (finance);
- purchasing: order create → submit → approve (purchasing manager) → receive (logistics) →
  payment allocated to the order's payable (finance).

Meanwhile a killer thread SIGKILLs a random gunicorn worker every --kill-interval-ms (±50 %);
gunicorn's master starts another. The same flows run first for as long without kills (the
baseline throughput). With the server stopped, `check()` proves from the database alone:

- every key the clients sent has exactly one stored response, the one the client got (or the
  replay of it), and every document created has exactly one key (no duplicate from a retry);
- every document is whole for its status: lines, approval request and steps, audit entries,
  reservations, stock moves (= its lines), receivable/payable (= its amount, with installments),
  allocations (= the receipt's allocated amount), received/shipped quantities (= the lines of the
  receipts/shipments); and each flow the clients finished is complete (done, settled);
- nothing is orphaned: lines without a header, moves/reservations/receivables/approval requests/
  audit entries pointing at a document that does not exist;
- the stock and money ledger invariants (`ledger_mismatches()` of inventory and finance) hold;
- document numbers are unique and gap-free per type and day, and each day's counter equals the
  highest number (core/numbering.py takes the number inside the document's transaction, so a
  killed transaction burns none).

Usage (see bench/README.md):

    .venv/bin/python bench/chaos.py --quick                      # SQLite in a temp dir, ~1 min
    .venv/bin/python bench/chaos.py --database postgres://postgres@127.0.0.1:5432/maoyi_bench_chaos

It prints one FIGURE line per figure and exits 1 if any violation was found. Importing this module
has no side effects (tests/chaos uses its functions against pytest's test database).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8660
PRODUCTS = 4  # two lot-tracked, two plain
STOCK_PER_PRODUCT = 1_000_000
RETRY_DEADLINE_S = 120.0  # a request without a definitive answer after this long is a violation
REQUEST_TIMEOUT_S = 60.0


# Arguments and database ------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default="", help="database URL, or 'sqlite' (default: SQLite in a temp dir)"
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="length of the run with kills (and of the baseline)"
    )
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--kill-interval-ms", type=float, default=300.0, help="mean time between two kills")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="15 s runs, 4 clients")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without kills")
    parser.add_argument("--json-out", default="", help="write the figures as JSON to this path")
    parser.add_argument("--force", action="store_true", help="drop a database whose name lacks 'bench'")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 15.0)
        args.clients = min(args.clients, 4)
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0 or args.kill_interval_ms <= 0:
        parser.error("--clients, --workers, --seconds and --kill-interval-ms must be positive")
    return args


def recreate_postgres(url: str, *, force: bool) -> None:
    """Drop and create the benchmark database, through the server's maintenance database."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name:
        raise SystemExit("the database URL names no database")
    if "bench" not in name and not force:
        raise SystemExit(f"refusing to drop database {name!r}: its name lacks 'bench' (pass --force)")
    maintenance = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database: str, *, force: bool = False) -> tuple[str, str]:
    """Django on a fresh, migrated database; returns its URL and the data directory."""
    data_dir = tempfile.mkdtemp(prefix="maoyi-chaos-")
    url = database if database not in ("", "sqlite") else f"sqlite:///{Path(data_dir) / 'chaos.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        recreate_postgres(url, force=force)
    elif url.startswith("sqlite:"):
        path = urlparse(url).path
        path = path[1:] if path.startswith("//") else path
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    else:
        raise SystemExit("--database must be a postgres:// or sqlite:/// URL, or 'sqlite'")
    os.environ["MAOYI_DATABASE_URL"] = url
    os.environ["MAOYI_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "maoyi.config.settings"
    os.environ.setdefault("MAOYI_SECURE_COOKIES", "0")
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated a fresh database in {time.perf_counter() - started:.1f} s", flush=True)
    return url, data_dir


def database_url(settings_dict: dict[str, Any]) -> str:
    """A URL for the database Django is connected to (pytest's test database, say)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{Path(str(settings_dict['NAME'])).resolve()}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


def redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()
    return url


# The company -----------------------------------------------------------------------------------


@dataclass
class World:
    """What the clients need: tokens per role and the ids they post."""

    rep_tokens: list[str]  # one salesperson per client, each with a customer of their own
    customers: list[int]
    manager_token: str  # approves the sales orders (manager of the sales team)
    buyer_token: str
    purchase_manager_token: str
    logistics_token: str
    finance_token: str
    products: list[int]
    lot_tracked: dict[int, bool]
    warehouse: int
    supplier: int
    user_ids: dict[str, int] = field(default_factory=dict)  # token → user id


def build_world(clients: int, *, tag: str = "") -> World:
    """A company through the services (nothing of it goes through the API): departments, employees
    with roles and tokens, customers, a supplier, products and a warehouse. `tag` keeps names unique
    when several worlds share a database."""
    from rest_framework.authtoken.models import Token

    from maoyi.catalog.models import Product
    from maoyi.crm.models import CustomerKind, CustomerLevel
    from maoyi.crm.services import create_customer
    from maoyi.inventory.models import Warehouse
    from maoyi.org import services as org
    from maoyi.purchasing.services.suppliers import create_supplier

    tag = tag or uuid.uuid4().hex[:6]
    roles = org.ensure_built_in_roles()
    root = org.create_department(actor=None, name=f"混沌测试公司{tag}", parent=None)
    sales = org.create_department(actor=None, name="业务部", parent=root)
    purchasing = org.create_department(actor=None, name="采购部", parent=root)
    finance = org.create_department(actor=None, name="财务部", parent=root)
    logistics_dept = org.create_department(actor=None, name="仓储物流部", parent=root)
    user_ids: dict[str, int] = {}

    def person(dept: Any, username: str, *codes: str, manager: bool = False) -> str:
        employee = org.create_employee(
            actor=None,
            username=f"{username}_{tag}",
            password=uuid.uuid4().hex,
            name=f"{username}{tag}",
            department=dept,
            roles=[roles[c] for c in codes],
            is_manager=manager,
            validate=False,
        )
        token = Token.objects.create(user=employee.user)
        user_ids[token.key] = employee.user.pk
        return token.key

    manager = person(sales, "mgr", "manager", "salesperson", manager=True)
    reps = [person(sales, f"rep{i}", "salesperson") for i in range(clients)]
    from maoyi.org.models import Employee

    customers = []
    for i, token in enumerate(reps):
        owner = Employee.objects.get(user_id=user_ids[token])
        customers.append(
            create_customer(
                actor=None,
                name=f"混沌医院{tag}-{i:03d}",
                kind=CustomerKind.END_CUSTOMER,
                level=CustomerLevel.B,
                owner=owner,
            ).pk
        )
    buyer = person(purchasing, "buyer", "purchaser")
    purchase_manager = person(purchasing, "pmgr", "manager", "purchaser", manager=True)
    logistics = person(logistics_dept, "keeper", "logistics")
    finance_clerk = person(finance, "fin", "finance")
    supplier = create_supplier(actor=None, name=f"混沌医疗器械有限公司{tag}", buyer=None).pk
    warehouse = Warehouse.objects.create(code=f"C{tag}"[:20], name=f"混沌仓{tag}").pk
    products: list[int] = []
    lot_tracked: dict[int, bool] = {}
    for i in range(PRODUCTS):
        tracked = i < PRODUCTS // 2
        product = Product.objects.create(
            code=f"CH{tag}{i}"[:30],
            name=f"混沌测试商品{i}",
            unit="支",
            lot_tracked=tracked,
            purchase_price=Decimal("8.00"),
            sale_price=Decimal("12.00"),
        )
        products.append(product.pk)
        lot_tracked[product.pk] = tracked
    return World(
        rep_tokens=reps,
        customers=customers,
        manager_token=manager,
        buyer_token=buyer,
        purchase_manager_token=purchase_manager,
        logistics_token=logistics,
        finance_token=finance_clerk,
        products=products,
        lot_tracked=lot_tracked,
        warehouse=warehouse,
        supplier=supplier,
        user_ids=user_ids,
    )


# The server ------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def start_server(port: int, workers: int, env: dict[str, str], *, log_dir: str) -> Server:
    """gunicorn serving Maoyi on 127.0.0.1:port with the app preloaded in the master (a killed
    worker's replacement is a fork, ready at once). `env` names the settings and the database."""
    log = Path(log_dir) / f"gunicorn-{port}.log"
    paths = [str(ROOT / "bench"), str(ROOT), str(ROOT / "src")]
    full_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(paths)}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "chaos:warm_application()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--preload",
        "--timeout",
        "120",
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    with open(log, "ab") as out:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200 and len(worker_pids(server)) >= workers:
                conn.close()
                return server
            conn.close()
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer on port {port}:\n{log.read_text()[-3000:]}")


def warm_application() -> Any:
    """gunicorn's app factory (`chaos:warm_application()`, with --preload): Maoyi's WSGI handler
    with the URLconf, the views, DRF and the translations loaded in the master, so that a worker
    forked to replace a killed one answers at once instead of importing half of Django first.
    The warm-up requests' database connections are closed before any worker is forked."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.test import Client as DjangoClient
    from django.urls import get_resolver
    from django.utils import translation

    application = get_wsgi_application()
    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            translation.gettext("草稿")
    warm = DjangoClient(HTTP_HOST="127.0.0.1")
    for path in ("/healthz", "/api/v1/sales-orders/", "/api/v1/purchase-orders/", "/api/v1/receipts/"):
        warm.get(path)
    connections.close_all()
    return application


def worker_pids(server: Server) -> list[int]:
    """The master's children: its workers."""
    master = server.process.pid
    try:
        with open(f"/proc/{master}/task/{master}/children", encoding="ascii") as children:
            return [int(pid) for pid in children.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with (
                contextlib.suppress(OSError, IndexError, ValueError),
                open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat,
            ):
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == master:
                    found.append(int(entry))
    return found


def stop_server(server: Server) -> None:
    """SIGTERM to the master (it stops its workers); SIGKILL to whatever is left after 20 s."""
    if server.process.poll() is None:
        workers = worker_pids(server)
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in worker_pids(server) or workers:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            server.process.kill()
            server.process.wait(timeout=10)


class Progress:
    """Definitive answers so far, across clients (the killer waits for one between two kills)."""

    def __init__(self) -> None:
        self.answers = 0
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.answers += 1


class Killer(threading.Thread):
    """SIGKILLs a random worker every `interval_ms` (uniform in ½…1½ of it), but never twice
    without a definitive answer in between: on a slow machine, killing faster than any request
    can finish would only prove that nothing gets done."""

    def __init__(self, server: Server, interval_ms: float, rng: random.Random, progress: Progress):
        super().__init__(name="killer", daemon=True)
        self.server, self.interval, self.rng, self.progress = server, interval_ms / 1000, rng, progress
        self.stop = threading.Event()
        self.kills = 0
        self.waits = 0  # kills put off until an answer came

    def run(self) -> None:
        seen = -1
        while not self.stop.wait(self.interval * self.rng.uniform(0.5, 1.5)):
            if self.progress.answers == seen:
                self.waits += 1
                while self.progress.answers == seen and not self.stop.wait(0.01):
                    pass
                if self.stop.is_set():
                    return
            pids = worker_pids(self.server)
            if not pids:
                continue
            try:
                os.kill(self.rng.choice(pids), signal.SIGKILL)
            except ProcessLookupError:
                continue
            seen = self.progress.answers
            self.kills += 1


# The clients -----------------------------------------------------------------------------------


RETRYABLE_ERRORS = (OSError, http.client.HTTPException)  # includes resets, refusals and timeouts


@dataclass
class Step:
    """One keyed POST and what finally came back."""

    flow: str
    name: str
    user_id: int
    key: str
    path: str
    status: int = 0
    body: Any = None
    replayed: bool = False
    attempts: int = 0


@dataclass
class Stats:
    requests: int = 0  # logical requests (keyed POSTs and lookups)
    attempts: int = 0  # HTTP attempts
    retries: int = 0
    connection_errors: int = 0  # attempts that got no answer (the worker died mid-request, say)
    server_errors: int = 0  # 5xx answers
    in_progress: int = 0  # 409 idempotency_in_progress (a twin still running)
    replays: int = 0  # answers with Idempotent-Replayed: true
    flows_started: Counter[str] = field(default_factory=Counter)
    flows_done: Counter[str] = field(default_factory=Counter)
    documents: Counter[str] = field(default_factory=Counter)  # created (a 201 from a create step)
    attempted: Counter[str] = field(default_factory=Counter)  # create steps sent
    steps: list[Step] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # unexpected definitive answers
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def merge_into(self, total: Stats) -> None:
        for name in ("requests", "attempts", "retries", "connection_errors", "server_errors"):
            setattr(total, name, getattr(total, name) + getattr(self, name))
        total.in_progress += self.in_progress
        total.replays += self.replays
        total.flows_started += self.flows_started
        total.flows_done += self.flows_done
        total.documents += self.documents
        total.attempted += self.attempted
        total.steps += self.steps
        total.failures += self.failures


class Refused(Exception):
    """A definitive answer that is not the expected success: the flow stops here."""


class Client:
    """One integration: posts flows, each POST retried with the same key and body until it gets a
    definitive answer."""

    def __init__(
        self,
        port: int,
        world: World,
        stats: Stats,
        *,
        run: str,
        index: int,
        seed: int,
        progress: Progress | None = None,
    ):
        self.port, self.world, self.stats = port, world, stats
        self.progress = progress or Progress()
        self.run_id, self.index = run, index
        self.rng = random.Random(seed)
        self.flows = 0

    def _send(self, method: str, path: str, token: str, body: Any, key: str | None) -> tuple[int, Any, bool]:
        """One HTTP attempt: (status, parsed body, replayed); raises on a lost connection."""
        headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Connection": "close"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            replayed = response.getheader("Idempotent-Replayed") == "true"
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:200].decode("utf-8", "replace")
        return response.status, parsed, replayed

    def call(
        self, method: str, path: str, token: str, body: Any = None, key: str | None = None
    ) -> tuple[int, Any, bool, int]:
        """Send until definitive: (status, body, replayed, attempts)."""
        self.stats.add(requests=1)
        deadline = time.monotonic() + RETRY_DEADLINE_S
        attempts = 0
        while True:
            attempts += 1
            self.stats.add(attempts=1)
            try:
                status, parsed, replayed = self._send(method, path, token, body, key)
            except RETRYABLE_ERRORS:
                self.stats.add(connection_errors=1)
            else:
                if status >= 500:
                    self.stats.add(server_errors=1)
                elif (
                    status == 409
                    and isinstance(parsed, dict)
                    and parsed.get("code") == "idempotency_in_progress"
                ):
                    self.stats.add(in_progress=1)
                else:
                    if replayed:
                        self.stats.add(replays=1)
                    self.progress.tick()
                    return status, parsed, replayed, attempts
            if time.monotonic() > deadline:
                return 0, f"no definitive answer after {attempts} attempts", False, attempts
            self.stats.add(retries=1)
            time.sleep(self.rng.uniform(0.01, 0.05))

    def post(self, flow: str, name: str, path: str, token: str, body: Any, expect: int) -> Any:
        key = f"{self.run_id}-c{self.index}-f{self.flows}-{name}"
        step = Step(flow=flow, name=name, user_id=self.world.user_ids[token], key=key, path=path)
        step.status, step.body, step.replayed, step.attempts = self.call("POST", path, token, body, key)
        with self.stats.lock:
            self.stats.steps.append(step)
        if step.status != expect:
            with self.stats.lock:
                self.stats.failures.append(f"{flow} {name} {path} [{key}]: {step.status} {step.body}")
            raise Refused(key)
        return step.body

    def get(self, path: str, token: str) -> Any:
        status, body, _replayed, _attempts = self.call("GET", path, token)
        if status != 200:
            with self.stats.lock:
                self.stats.failures.append(f"GET {path}: {status} {body}")
            raise Refused(path)
        return body

    def obligation(self, kind: str, number: str) -> dict[str, Any]:
        """The receivable or payable a document opened, as finance finds it (search by number)."""
        found = self.get(f"/api/v1/{kind}/?search={quote(number)}", self.world.finance_token)["results"]
        rows = [row for row in found if row.get("source_number") == number]
        if len(rows) != 1:
            with self.stats.lock:
                self.stats.failures.append(f"{kind} of {number}: {len(rows)} found")
            raise Refused(number)
        return dict(rows[0])

    def sales_flow(self) -> None:
        w, today = self.world, dt.date.today().isoformat()
        rep = w.rep_tokens[self.index % len(w.rep_tokens)]
        lines = [
            {"product": p, "quantity": str(self.rng.randint(1, 3)), "unit_price": "12.00"}
            for p in self.rng.sample(w.products, 3)
        ]
        body = {
            "customer": w.customers[self.index % len(w.customers)],
            "warehouse": w.warehouse,
            "lines": lines,
        }
        self.stats.flows_started["sales"] += 1
        self.stats.attempted["sales_order"] += 1
        order = self.post("sales", "create", "/api/v1/sales-orders/", rep, body, 201)
        self.stats.documents["sales_order"] += 1
        base = f"/api/v1/sales-orders/{order['id']}"
        self.post("sales", "submit", f"{base}/submit/", rep, {}, 200)
        approved = self.post(
            "sales", "approve", f"{base}/approve/", w.manager_token, {"comment": "同意"}, 200
        )
        if approved["status"] != "approved":
            raise Refused(f"approve answered {approved['status']}")
        ship = {
            "lines": [{"line": li["id"], "quantity": li["quantity"]} for li in order["lines"]],
            "carrier": "顺丰",
        }
        self.stats.attempted["shipment"] += 1
        self.post("sales", "ship", f"{base}/ship/", w.logistics_token, ship, 201)
        self.stats.documents["shipment"] += 1
        receivable = self.obligation("receivables", order["number"])
        receipt = {
            "customer": body["customer"],
            "amount": receivable["amount"],
            "received_on": today,
            "allocations": [{"receivable": receivable["id"], "amount": receivable["amount"]}],
        }
        self.stats.attempted["receipt"] += 1
        self.post("sales", "receipt", "/api/v1/receipts/", w.finance_token, receipt, 201)
        self.stats.documents["receipt"] += 1
        self.stats.flows_done["sales"] += 1

    def purchase_flow(self, *, quantity: int | None = None, pay: bool = True) -> None:
        w, today = self.world, dt.date.today()
        products = w.products if quantity is not None else self.rng.sample(w.products, 2)
        lines = [
            {"product": p, "quantity": str(quantity or self.rng.randint(5, 20)), "unit_price": "8.00"}
            for p in products
        ]
        body = {
            "supplier": w.supplier,
            "warehouse": w.warehouse,
            "expected_date": (today + dt.timedelta(days=7)).isoformat(),
            "lines": lines,
        }
        self.stats.flows_started["purchase"] += 1
        self.stats.attempted["purchase_order"] += 1
        order = self.post("purchase", "create", "/api/v1/purchase-orders/", w.buyer_token, body, 201)
        self.stats.documents["purchase_order"] += 1
        base = f"/api/v1/purchase-orders/{order['id']}"
        self.post("purchase", "submit", f"{base}/submit/", w.buyer_token, {}, 200)
        approved = self.post(
            "purchase", "approve", f"{base}/approve/", w.purchase_manager_token, {"comment": "同意"}, 200
        )
        if approved["status"] != "approved":
            raise Refused(f"approve answered {approved['status']}")
        receive_lines = []
        for li in order["lines"]:
            row = {"line": li["id"], "quantity": li["quantity"]}
            if w.lot_tracked[li["product"]]:
                row["lot_number"] = f"L{today:%y%m}{li['product'] % 3}"
                row["expiry_date"] = (today + dt.timedelta(days=700)).isoformat()
            receive_lines.append(row)
        self.stats.attempted["goods_receipt"] += 1
        self.post("purchase", "receive", f"{base}/receive/", w.logistics_token, {"lines": receive_lines}, 201)
        self.stats.documents["goods_receipt"] += 1
        if pay:
            payable = self.obligation("payables", order["number"])
            payment = {
                "supplier": w.supplier,
                "amount": payable["amount"],
                "paid_on": today.isoformat(),
                "allocations": [{"payable": payable["id"], "amount": payable["amount"]}],
            }
            self.stats.attempted["payment"] += 1
            self.post("purchase", "payment", "/api/v1/payments/", w.finance_token, payment, 201)
            self.stats.documents["payment"] += 1
        self.stats.flows_done["purchase"] += 1

    def one_flow(self) -> None:
        try:
            if self.rng.random() < 0.75:
                self.sales_flow()
            else:
                self.purchase_flow()
        except Refused:
            pass
        finally:
            self.flows += 1


def stock_up(port: int, world: World, *, run: str) -> Stats:
    """Stock every product through the API (a purchase order received in full), without kills."""
    stats = Stats()
    client = Client(port, world, stats, run=f"{run}-stock", index=0, seed=0)
    with contextlib.suppress(Refused):
        client.purchase_flow(quantity=STOCK_PER_PRODUCT, pay=False)
    if stats.failures:
        raise RuntimeError(f"could not stock the warehouse: {stats.failures}")
    return stats


def run_clients(
    port: int,
    world: World,
    *,
    run: str,
    clients: int,
    seconds: float,
    max_flows: int = 0,
    seed: int = 0,
    progress: Progress | None = None,
) -> Stats:
    """`clients` threads post flows for `seconds` (or until `max_flows` flows were started in all);
    a flow under way when time is up is finished, so every step ends with a definitive answer."""
    stop = threading.Event()
    started = Counter[str]()
    lock = threading.Lock()
    per_client = [Stats() for _ in range(clients)]

    def work(i: int) -> None:
        client = Client(port, world, per_client[i], run=run, index=i, seed=seed * 1000 + i, progress=progress)
        while not stop.is_set():
            if max_flows:
                with lock:
                    if started["flows"] >= max_flows:
                        return
                    started["flows"] += 1
            client.one_flow()

    threads = [
        threading.Thread(target=work, args=(i,), name=f"client-{i}", daemon=True) for i in range(clients)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    deadline = began + seconds
    while any(t.is_alive() for t in threads) and time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    total = Stats()
    total.seconds = time.perf_counter() - began
    for stats in per_client:
        stats.merge_into(total)
    return total


def chaos_run(
    port: int,
    world: World,
    *,
    run: str,
    clients: int,
    seconds: float,
    kill_interval_ms: float | None,
    server: Server,
    max_flows: int = 0,
    seed: int = 0,
) -> tuple[Stats, int]:
    """`run_clients` with a killer thread when `kill_interval_ms` is given; returns the stats and
    the number of workers killed. The killer goes on until the last flow has finished."""
    killer = None
    progress = Progress()
    if kill_interval_ms:
        killer = Killer(server, kill_interval_ms, random.Random(seed + 7), progress)
        killer.start()
    try:
        stats = run_clients(
            port,
            world,
            run=run,
            clients=clients,
            seconds=seconds,
            max_flows=max_flows,
            seed=seed,
            progress=progress,
        )
    finally:
        if killer is not None:
            killer.stop.set()
            killer.join()
    return stats, (killer.kills if killer else 0)


# The checks ------------------------------------------------------------------------------------


def _number_parts(number: str) -> tuple[str, str, int] | None:
    """PREFIX, YYYYMMDD and serial of a number taken by core/numbering.py."""
    head, sep, serial = number.rpartition("-")
    if not sep or not serial.isdigit() or len(head) < 9 or not head[-8:].isdigit():
        return None
    return head[:-8], head[-8:], int(serial)


def check(stats: Stats) -> list[str]:
    """Every violation of crash atomicity found in the database (empty: none). The server must be
    stopped; `stats` holds what the clients sent and got (all runs against this database)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count, Sum

    from maoyi.api.models import IdempotencyRecord
    from maoyi.approvals.models import ApprovalRequest, ApprovalStep, RequestStatus
    from maoyi.audit.models import AuditEntry
    from maoyi.core.documents import document_types
    from maoyi.finance import selectors as money
    from maoyi.finance.models import (
        Allocation,
        Installment,
        Obligation,
        ObligationStatus,
        Payment,
        Receipt,
        Settlement,
    )
    from maoyi.inventory import selectors as stock
    from maoyi.inventory.models import Reservation, ReservationStatus, StockMove
    from maoyi.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine
    from maoyi.sales.models import SalesOrder, SalesOrderLine, Shipment, ShipmentLine

    problems: list[str] = list(stats.failures)
    zero = Decimal("0")
    types = document_types()

    # 1. Keys: one stored response per key, the one the client got; one key per document.
    records = {(r.user_id, r.key): r for r in IdempotencyRecord.objects.all()}
    sent = {(s.user_id, s.key): s for s in stats.steps}
    for ident, step in sent.items():
        record = records.get(ident)
        if record is None:
            problems.append(f"key {step.key}: answered {step.status} but no stored response")
            continue
        stored = json.loads(bytes(record.body)) if record.body else None
        if record.status_code != step.status or stored != step.body:
            problems.append(
                f"key {step.key}: stored {record.status_code} differs from the answer {step.status}"
            )
        if record.path != step.path:
            problems.append(f"key {step.key}: stored for {record.path}, sent to {step.path}")
    for ident in records.keys() - sent.keys():
        problems.append(f"stored response for key {ident[1]} that no client finished")
    creates = {
        "/api/v1/sales-orders/": "sales_order",
        "/api/v1/purchase-orders/": "purchase_order",
        "/api/v1/receipts/": "receipt",
        "/api/v1/payments/": "payment",
    }
    keyed_ids: dict[str, list[int]] = defaultdict(list)
    for step in stats.steps:
        if step.status != 201:
            continue
        if step.path in creates:
            keyed_ids[creates[step.path]].append(int(step.body["id"]))
        elif step.name == "ship":
            keyed_ids["shipment"].append(int(step.body["id"]))
        elif step.name == "receive":
            keyed_ids["goods_receipt"].append(int(step.body["id"]))
    by_type: dict[str, Any] = {
        "sales_order": SalesOrder.objects.all(),
        "shipment": Shipment.objects.all(),
        "purchase_order": PurchaseOrder.objects.all(),
        "goods_receipt": GoodsReceipt.objects.all(),
        "receipt": Receipt.objects.all(),
        "payment": Payment.objects.all(),
    }
    for kind, qs in by_type.items():
        ids = keyed_ids.get(kind, [])
        in_db = set(qs.values_list("pk", flat=True))
        if len(ids) != len(set(ids)):
            problems.append(f"{kind}: two keys answered with the same document")
        if in_db != set(ids):
            extra, missing = sorted(in_db - set(ids)), sorted(set(ids) - in_db)
            if extra:
                problems.append(f"{kind}: {len(extra)} documents without a key (duplicates?): {extra[:10]}")
            if missing:
                problems.append(f"{kind}: {len(missing)} documents answered 201 but absent: {missing[:10]}")

    # 2. Each document whole for its status.
    def audit_actions(models: Sequence[Any], pks: Sequence[int]) -> dict[int, set[str]]:
        """Audit actions per object id, under the model's content type or its proxies'."""
        found: dict[int, set[str]] = defaultdict(set)
        cts = {ContentType.objects.get_for_model(m, for_concrete_model=False).pk for m in models}
        for object_id, action in AuditEntry.objects.filter(
            content_type_id__in=cts, object_id__in=[str(pk) for pk in pks]
        ).values_list("object_id", "action"):
            found[int(object_id)].add(action)
        return found

    def obligations_of(source_type: str) -> dict[int, list[Obligation]]:
        found: dict[int, list[Obligation]] = defaultdict(list)
        for ob in Obligation.objects.filter(source_type=source_type):
            found[int(ob.source_id or 0)].append(ob)
        return found

    def approvals_of(model: Any) -> dict[int, list[ApprovalRequest]]:
        found: dict[int, list[ApprovalRequest]] = defaultdict(list)
        ct = ContentType.objects.get_for_model(model)
        for req in ApprovalRequest.objects.filter(content_type=ct).prefetch_related("steps"):
            found[req.object_id].append(req)
        return found

    def moves_of(source_type: str) -> dict[int, dict[tuple[int, int], Decimal]]:
        found: dict[int, dict[tuple[int, int], Decimal]] = defaultdict(lambda: defaultdict(lambda: zero))
        for row in (
            StockMove.objects.filter(source_type=source_type)
            .values("source_id", "product_id", "lot_id")
            .annotate(q=Sum("quantity"))
        ):
            found[row["source_id"]][(row["product_id"], row["lot_id"])] += Decimal(row["q"])
        return found

    def whole_approval(label: str, status: str, requests: list[ApprovalRequest]) -> None:
        if status == "draft":
            if any(r.status in (RequestStatus.PENDING, RequestStatus.APPROVED) for r in requests):
                problems.append(f"{label}: draft with an open or approved approval request")
            return
        live = [r for r in requests if r.status in (RequestStatus.PENDING, RequestStatus.APPROVED)]
        want = RequestStatus.PENDING if status == "submitted" else RequestStatus.APPROVED
        if len(live) != 1 or live[0].status != want:
            problems.append(f"{label}: {status} but approval requests {[r.status for r in requests]}")
            return
        decisions = [s.decision for s in live[0].steps.all()]
        if "submit" not in decisions or (want == RequestStatus.APPROVED and "approve" not in decisions):
            problems.append(f"{label}: approval steps {decisions} for {status}")
        if want == RequestStatus.APPROVED and live[0].decided_by_id is None:
            problems.append(f"{label}: approved without a decider")

    def whole_obligation(label: str, status: str, obs: list[Obligation], amount: Decimal) -> None:
        live = [o for o in obs if o.status != ObligationStatus.REVERSED]
        if status in ("draft", "submitted", "cancelled"):
            if live:
                problems.append(f"{label}: {status} with a live receivable/payable")
            return
        if len(live) != 1:
            problems.append(f"{label}: {status} with {len(live)} live receivables/payables")
        elif live[0].amount != amount:
            problems.append(f"{label}: receivable/payable {live[0].amount} ≠ amount {amount}")

    # Sales orders, their reservations and shipments.
    orders = list(SalesOrder.objects.prefetch_related("lines"))
    order_audit = audit_actions([SalesOrder], [o.pk for o in orders])
    order_approvals = approvals_of(SalesOrder)
    receivables = obligations_of(SalesOrder.DOCUMENT_TYPE)
    reserved: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(lambda: [zero, zero]))
    for r in Reservation.objects.filter(source_type=SalesOrder.DOCUMENT_TYPE):
        pair = reserved[r.source_id][r.product_id]
        pair[0] += r.original_quantity
        pair[1] += r.quantity if r.status == ReservationStatus.OPEN else zero
    shipped_lines: dict[int, Decimal] = defaultdict(lambda: zero)
    for row in ShipmentLine.objects.values("order_line_id").annotate(q=Sum("quantity")):
        shipped_lines[row["order_line_id"]] = Decimal(row["q"])
    for order in orders:
        label = f"sales order {order.number}"
        lines = list(order.lines.all())
        if not lines:
            problems.append(f"{label}: no lines")
        if "create" not in order_audit.get(order.pk, set()):
            problems.append(f"{label}: no audit entry for its creation")
        whole_approval(label, order.status, order_approvals.get(order.pk, []))
        whole_obligation(label, order.status, receivables.get(order.pk, []), order.amount)
        for line in lines:
            if line.shipped_quantity != shipped_lines.get(line.pk, zero):
                problems.append(f"{label}: line {line.pk} shipped {line.shipped_quantity} ≠ Σ shipment lines")
        held = reserved.get(order.pk, {})
        if order.status in ("approved", "in_progress", "done"):
            want: dict[int, list[Decimal]] = defaultdict(lambda: [zero, zero])
            for line in lines:
                want[line.product_id][0] += line.quantity
                want[line.product_id][1] += line.quantity - line.shipped_quantity
            if {p: tuple(v) for p, v in held.items()} != {p: tuple(v) for p, v in want.items()}:
                problems.append(f"{label}: reservations {dict(held)} ≠ lines {dict(want)}")
        elif any(v[1] for v in held.values()):
            problems.append(f"{label}: {order.status} but stock still reserved")
    shipments = list(Shipment.objects.prefetch_related("lines"))
    shipment_moves = moves_of(Shipment.DOCUMENT_TYPE)
    shipment_audit = audit_actions([Shipment], [s.pk for s in shipments])
    for shipment in shipments:
        label = f"shipment {shipment.number}"
        want_moves: dict[tuple[int, int], Decimal] = defaultdict(lambda: zero)
        lines = list(shipment.lines.select_related("order_line"))
        if not lines:
            problems.append(f"{label}: no lines")
        for line in lines:
            want_moves[(line.order_line.product_id, line.lot_id)] -= line.quantity
        if dict(shipment_moves.get(shipment.pk, {})) != dict(want_moves):
            problems.append(f"{label}: stock moves {dict(shipment_moves.get(shipment.pk, {}))} ≠ lines")
        if "create" not in shipment_audit.get(shipment.pk, set()):
            problems.append(f"{label}: no audit entry for its creation")

    # Purchase orders and goods receipts.
    porders = list(PurchaseOrder.objects.prefetch_related("lines"))
    porder_audit = audit_actions([PurchaseOrder], [o.pk for o in porders])
    porder_approvals = approvals_of(PurchaseOrder)
    payables = obligations_of(PurchaseOrder.DOCUMENT_TYPE)
    received_lines: dict[int, Decimal] = defaultdict(lambda: zero)
    for row in GoodsReceiptLine.objects.values("order_line_id").annotate(q=Sum("quantity")):
        received_lines[row["order_line_id"]] = Decimal(row["q"])
    for order in porders:
        label = f"purchase order {order.number}"
        lines = list(order.lines.all())
        if not lines:
            problems.append(f"{label}: no lines")
        if "create" not in porder_audit.get(order.pk, set()):
            problems.append(f"{label}: no audit entry for its creation")
        whole_approval(label, order.status, porder_approvals.get(order.pk, []))
        whole_obligation(label, order.status, payables.get(order.pk, []), order.amount)
        for line in lines:
            if line.received_quantity != received_lines.get(line.pk, zero):
                problems.append(
                    f"{label}: line {line.pk} received {line.received_quantity} ≠ Σ receipt lines"
                )
    receipts = list(GoodsReceipt.objects.prefetch_related("lines__order_line"))
    receipt_moves = moves_of(GoodsReceipt.DOCUMENT_TYPE)
    receipt_audit = audit_actions([GoodsReceipt], [g.pk for g in receipts])
    for receipt in receipts:
        label = f"goods receipt {receipt.number}"
        want_moves = defaultdict(lambda: zero)
        for line in receipt.lines.all():
            want_moves[(line.order_line.product_id, line.lot_id)] += line.quantity
        if not want_moves:
            problems.append(f"{label}: no lines")
        if dict(receipt_moves.get(receipt.pk, {})) != dict(want_moves):
            problems.append(f"{label}: stock moves {dict(receipt_moves.get(receipt.pk, {}))} ≠ lines")
        if "create" not in receipt_audit.get(receipt.pk, set()):
            problems.append(f"{label}: no audit entry for its creation")

    # Receipts and payments: allocated = Σ allocations = amount (the flows allocate all of it).
    settlements = list(Settlement.objects.annotate(n=Count("allocations")))
    settlement_audit = audit_actions([Settlement, Receipt, Payment], [s.pk for s in settlements])
    for st in settlements:
        label = f"{st.direction} settlement {st.number}"
        if st.n == 0 or st.allocated != st.amount:
            problems.append(f"{label}: allocated {st.allocated} of {st.amount} in {st.n} allocations")
        if "create" not in settlement_audit.get(st.pk, set()):
            problems.append(f"{label}: no audit entry for its creation")
    for ob in Obligation.objects.annotate(n=Count("installments")):
        if ob.n == 0:
            problems.append(f"obligation {ob.number}: no installments")

    # Flows the clients finished are complete.
    paid_orders = set()
    for s in stats.steps:
        if s.name in ("receipt", "payment") and s.status == 201:
            for allocation in s.body.get("allocations", []):
                paid_orders.add(allocation.get("receivable") or allocation.get("payable"))
    for ob in Obligation.objects.filter(pk__in=paid_orders):
        if ob.status != ObligationStatus.SETTLED:
            problems.append(f"obligation {ob.number}: paid in full by a finished flow but {ob.status}")
    for s in stats.steps:
        if s.name in ("ship", "receive") and s.status == 201:
            model = SalesOrder if s.name == "ship" else PurchaseOrder
            doc = model.objects.filter(pk=int(s.path.strip("/").split("/")[-2])).first()
            if doc is None or doc.status != "done":
                problems.append(f"{s.path}: shipped/received in full but {getattr(doc, 'status', 'absent')}")

    # 3. Orphans: rows pointing at a document that does not exist.
    for line_model, header in (
        (SalesOrderLine, "order_id"),
        (ShipmentLine, "shipment_id"),
        (PurchaseOrderLine, "order_id"),
        (GoodsReceiptLine, "receipt_id"),
    ):
        if header not in {f.attname for f in line_model._meta.concrete_fields}:
            continue
        parent = line_model._meta.get_field(header.removesuffix("_id")).related_model
        orphans = line_model.objects.exclude(**{f"{header}__in": parent.objects.values("pk")}).count()
        if orphans:
            problems.append(f"{orphans} {line_model.__name__} rows without their document")
    if Allocation.objects.exclude(settlement_id__in=Settlement.objects.values("pk")).exists():
        problems.append("allocations without their receipt/payment")
    if Installment.objects.exclude(obligation_id__in=Obligation.objects.values("pk")).exists():
        problems.append("installments without their receivable/payable")
    if ApprovalStep.objects.exclude(request_id__in=ApprovalRequest.objects.values("pk")).exists():
        problems.append("approval steps without their request")
    for label, rows in (
        ("stock move", StockMove.objects.values_list("source_type", "source_id")),
        ("reservation", Reservation.objects.values_list("source_type", "source_id")),
        (
            "receivable/payable",
            Obligation.objects.exclude(source_type="").values_list("source_type", "source_id"),
        ),
    ):
        wanted: dict[str, set[int]] = defaultdict(set)
        for source_type, source_id in rows.distinct():
            wanted[source_type].add(int(source_id))
        for source_type, ids in wanted.items():
            kind = types.get(source_type)
            if kind is None:
                problems.append(f"{label}s from an unknown document type {source_type!r}")
                continue
            missing = ids - set(kind.model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
            if missing:
                problems.append(f"{len(missing)} {label}s of {source_type} documents that do not exist")
    for req in ApprovalRequest.objects.select_related("content_type"):
        model = req.content_type.model_class()
        if model is None or not model._base_manager.filter(pk=req.object_id).exists():
            problems.append(f"approval request {req.pk} for a document that does not exist")
    for kind in types.values():
        ct_ids = {
            ContentType.objects.get_for_model(kind.model).pk,
            ContentType.objects.get_for_model(kind.model, for_concrete_model=False).pk,
        }
        ids = {
            int(i)
            for i in AuditEntry.objects.filter(content_type_id__in=ct_ids).values_list("object_id", flat=True)
        }
        missing = ids - set(kind.model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
        if missing:
            problems.append(f"{len(missing)} audit entries for {kind.code} documents that do not exist")

    # 4. The ledgers.
    problems += [f"stock ledger: {p}" for p in stock.ledger_mismatches()]
    problems += [f"money ledger: {p}" for p in money.ledger_mismatches()]

    # 5. Numbers: unique, gap-free per type and day, the counter at the highest.
    problems += numbering_problems()
    return problems


def numbering_problems() -> list[str]:
    from maoyi.core.documents import document_types
    from maoyi.core.models import DocumentSequence

    problems = []
    serials: dict[tuple[str, str], list[int]] = defaultdict(list)
    for kind in document_types().values():
        # A proxy's manager (Receivable, Payment, …) keeps to its own rows.
        numbers = list(kind.model.objects.exclude(number="").values_list("number", flat=True))
        for number, n in Counter(numbers).items():
            if n > 1:
                problems.append(f"{kind.code}: number {number} used {n} times")
        for number in set(numbers):
            parts = _number_parts(number)
            if parts is not None:
                serials[(kind.code, parts[1])].append(parts[2])
    counters = {(row.document_type, f"{row.day:%Y%m%d}"): row.last for row in DocumentSequence.objects.all()}
    for (code, day), found in serials.items():
        last = counters.get((code, day))
        if last is None:
            continue  # numbered outside the day counters (typed by a user, imported)
        missing = sorted(set(range(1, last + 1)) - set(found))
        if missing:
            problems.append(
                f"{code} {day}: {len(missing)} numbers skipped, e.g. {missing[:5]} (counter {last})"
            )
        if max(found) > last:
            problems.append(f"{code} {day}: number {max(found)} above the counter {last}")
    return problems


def number_gaps() -> int:
    """How many numbers were skipped in all (reported; numbering_problems() asserts none)."""
    return sum(1 for p in numbering_problems() if "skipped" in p)


# Reporting -------------------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        (version,) = cursor.fetchone()
    cpu = platform.processor()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "database": version,
        "vendor": connection.vendor,
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def figure(
    name: str,
    value: float,
    unit: str,
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
    target: str | None = None,
    met: bool | None = None,
) -> dict[str, Any]:
    ratio = round(value / baseline_value, 3) if baseline_value else None
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def report(
    chaos: Stats, kills: int, baseline: Stats | None, violations: list[str], args: argparse.Namespace
) -> dict[str, Any]:
    posted = sum(chaos.documents.values())
    rate = posted / chaos.seconds if chaos.seconds else 0.0
    base_rate = sum(baseline.documents.values()) / baseline.seconds if baseline and baseline.seconds else None
    figures = [
        figure("documents attempted", sum(chaos.attempted.values()), "documents"),
        figure("documents posted", posted, "documents"),
        figure("worker kills", kills, "kills"),
        figure("retries", chaos.retries, "requests"),
        figure("connection errors", chaos.connection_errors, "attempts"),
        figure("server errors (5xx)", chaos.server_errors, "attempts"),
        figure("replays", chaos.replays, "responses"),
        figure("violations", len(violations), "violations", target="0", met=not violations),
        figure(
            "posted/s with kills",
            round(rate, 2),
            "documents/s",
            baseline="the same flows without kills, same length, same process" if base_rate else None,
            baseline_value=round(base_rate, 2) if base_rate else None,
        ),
    ]
    if base_rate is not None:
        figures.append(figure("posted/s without kills", round(base_rate, 2), "documents/s"))
    per_type = ", ".join(f"{k} {chaos.documents[k]}/{chaos.attempted[k]}" for k in sorted(chaos.attempted))
    notes = [
        f"{args.clients} clients, {args.workers} gunicorn workers (app preloaded), a worker SIGKILLed every "
        f"~{args.kill_interval_ms:.0f} ms for {chaos.seconds:.1f} s; every POST carries an Idempotency-Key "
        "and is retried with the same key and body on a lost connection, a 5xx or 409 "
        "idempotency_in_progress. The killer never kills twice without a definitive answer in between.",
        f"Requests {chaos.requests}, HTTP attempts {chaos.attempts}; "
        f"documents posted/attempted per type: {per_type}.",
        f"Flows finished: {dict(chaos.flows_done)} of {dict(chaos.flows_started)}.",
        "Checked afterwards from the database: one stored response per key and one key per document, "
        "every document whole for its status (lines, approvals, audit, reservations, moves, receivable/"
        "payable, allocations), no orphans, both ledgers' invariants, unique gap-free numbers.",
    ]
    if violations:
        notes.append("Violations:\n" + "\n".join(f"- {v}" for v in violations[:50]))
    return {
        "name": "chaos",
        "title": "Crash atomicity: documents posted while gunicorn workers are SIGKILLed",
        "figures": figures,
        "machine": machine_facts(),
        "notes_md": "\n\n".join(notes),
    }


@contextlib.contextmanager
def serving(port: int, workers: int, env: dict[str, str], log_dir: str) -> Iterator[Server]:
    server = start_server(port, workers, env, log_dir=log_dir)
    try:
        yield server
    finally:
        stop_server(server)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    url, data_dir = setup_django(args.database, force=args.force)
    print(f"database {redact(url)}; data in {data_dir}", flush=True)
    world = build_world(args.clients)
    env = {
        "DJANGO_SETTINGS_MODULE": "maoyi.config.settings",
        "MAOYI_DATABASE_URL": url,
        "MAOYI_DATA_DIR": data_dir,
        "MAOYI_SECURE_COOKIES": "0",
    }
    run = uuid.uuid4().hex[:8]
    all_stats = Stats()
    baseline: Stats | None = None
    with serving(args.port, args.workers, env, data_dir) as server:
        stock_up(args.port, world, run=run).merge_into(all_stats)
        if not args.no_baseline:
            baseline, _ = chaos_run(
                args.port,
                world,
                run=f"{run}-base",
                clients=args.clients,
                seconds=args.seconds,
                kill_interval_ms=None,
                server=server,
                seed=args.seed,
            )
            baseline.merge_into(all_stats)
            print(
                f"baseline: {sum(baseline.documents.values())} documents in {baseline.seconds:.1f} s",
                flush=True,
            )
        chaos, kills = chaos_run(
            args.port,
            world,
            run=f"{run}-kill",
            clients=args.clients,
            seconds=args.seconds,
            kill_interval_ms=args.kill_interval_ms,
            server=server,
            seed=args.seed + 1,
        )
        chaos.merge_into(all_stats)
    from django.db import connection

    connection.close()
    started = time.perf_counter()
    violations = check(all_stats)
    print(f"checked in {time.perf_counter() - started:.1f} s", flush=True)
    result = report(chaos, kills, baseline, violations, args)
    for fig in result["figures"]:
        ratio = f" ratio={fig['ratio']}" if fig["ratio"] is not None else ""
        print(f"FIGURE {fig['name'].replace(' ', '_')}={fig['value']} {fig['unit']}{ratio}")
    for violation in violations[:50]:
        print(f"VIOLATION {violation}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
