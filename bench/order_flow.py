"""Order flow throughput (issue 8, part 1): create (3 lines) → submit → approve → ship (all lines)
→ receipt (allocated to the order's receivable), with 1, 4 and 8 concurrent clients,

(a) through the service layer: worker processes, each with its own database connection;
(b) through the HTTP API served by gunicorn, clients as processes with Token auth and an
    Idempotency-Key on every POST;
(c) against pgbench tpcb-like on the same server in the same run (the database's own ceiling);
(d) SQL statements per step and per flow (warm, two consecutive flows), service layer and HTTP;
(e) transactions (COMMITs) per flow and (orders/s × transactions per order) ÷ pgbench TPS;
(f) a cProfile of one client's service-layer flows and the split Python/ORM vs database wait.

After every measured group: both ledgers' invariants hold and the orders done equal the flows
counted. See bench/README.md ("Order flow throughput").

    .venv/bin/python bench/order_flow.py --database postgres://postgres@127.0.0.1:5432/maoyi_bench_flow
    .venv/bin/python bench/order_flow.py --database sqlite --quick

The PostgreSQL database named (and `<name>_pgbench` beside it) are DROPPED and created anew: their
names must contain "bench".
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import multiprocessing as mp
import os
import pstats
import random
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from benchlib import Figure, md_table, median

NAME = "order_flow"
TITLE = "Order flow throughput"
CLIENTS = (1, 4, 8)
HOT_PRODUCTS = 4  # every order takes 3 of them, in a random order
STOCK_PER_PRODUCT = Decimal("50000000")
STEPS = ("create", "submit", "approve", "lookup", "ship", "receipt")
SERVICE_STEPS = ("create", "submit", "approve", "ship", "receipt")
TARGET_STATEMENTS = 60
TARGET_SERVICE = 250.0
TARGET_HTTP = 100.0
TRYTON = "Tryton 8.2 (issue 8): 1.3 orders/s, 852 SQL statements per order"


# Arguments --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database",
        default="sqlite",
        help="postgres://…/<name with 'bench'> (recreated), or 'sqlite' for a temp-dir file",
    )
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs (a smoke run)")
    parser.add_argument("--json-out", default="", help="write the report (bench/run.py's contract) here")
    parser.add_argument("--runs", type=int, default=0, help="runs per client count (default 3, quick 1)")
    parser.add_argument("--seconds", type=float, default=0, help="seconds per run (default 10, quick 3)")
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)), help="client counts, e.g. 1,4,8")
    parser.add_argument("--gunicorn-workers", type=int, default=0, help="default 2 × cores + 1")
    parser.add_argument("--port", type=int, default=8601, help="gunicorn's port (8600–8619)")
    parser.add_argument("--pgbench-seconds", type=int, default=0, help="default 20, quick 5")
    parser.add_argument("--profile-flows", type=int, default=0, help="flows profiled (default 60, quick 20)")
    parser.add_argument(
        "--skip", default="", help="comma list of parts to skip: service,http,pgbench,profile"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    args.pgbench_seconds = args.pgbench_seconds or (5 if args.quick else 20)
    args.profile_flows = args.profile_flows or (20 if args.quick else 60)
    args.gunicorn_workers = args.gunicorn_workers or 2 * (os.cpu_count() or 1) + 1
    args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    args.skipped = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


# The company ------------------------------------------------------------------------------------


def set_up_company(clients: int) -> dict[str, Any]:
    """Through the services: a company with a sales team (a salesperson and its approving manager),
    a logistics keeper and a finance clerk, one warehouse, HOT_PRODUCTS products (half lot-tracked)
    with plenty of stock, a customer per client (no credit limit) and an API token per person.
    Returns the ids (JSON, for the worker processes)."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from maoyi.catalog import services as catalog
    from maoyi.core.documents import DocRef
    from maoyi.crm import services as crm
    from maoyi.inventory.services import ledger
    from maoyi.inventory.services import warehouses as warehouse_services
    from maoyi.org import services as org

    today = _today()
    with transaction.atomic():
        roles = org.ensure_built_in_roles()
        root = org.create_department(actor=None, name="压测医疗器械有限公司", parent=None)
        sales = org.create_department(actor=None, name="业务部", parent=root)
        logistics_dept = org.create_department(actor=None, name="物流部", parent=root)
        finance_dept = org.create_department(actor=None, name="财务部", parent=root)

        def person(username: str, name: str, department: Any, *codes: str, manager: bool = False) -> Any:
            return org.create_employee(
                actor=None,
                username=username,
                password="Bench-pass-2026!",
                name=name,
                department=department,
                roles=[roles[c] for c in codes],
                is_manager=manager,
                validate=False,
            )

        manager = person("bench_mgr", "李经理", sales, "manager", "salesperson", manager=True)
        rep = person("bench_rep", "张伟", sales, "salesperson")
        keeper = person("bench_keeper", "陆洋", logistics_dept, "logistics")
        clerk = person("bench_fin", "徐婷", finance_dept, "finance")
        warehouse = warehouse_services.create_warehouse(actor=None, code="WH01", name="北京主仓")
        products = []
        names = ("一次性使用无菌注射器", "医用外科口罩", "一次性使用静脉输液针", "医用橡胶检查手套")
        for n in range(HOT_PRODUCTS):
            products.append(
                catalog.create_product(
                    actor=None,
                    code=f"HOT{n + 1:03d}",
                    name=names[n % len(names)] + (f" {n + 1}" if n >= len(names) else ""),
                    unit="支",
                    lot_tracked=n % 2 == 0,
                    purchase_price=Decimal("8.00"),
                    sale_price=Decimal(f"{11 + n}.30"),
                )
            )
        ledger.receive(
            [
                ledger.Incoming(
                    product_id=p.pk,
                    warehouse_id=warehouse.pk,
                    quantity=STOCK_PER_PRODUCT,
                    unit_cost=Decimal("8.00"),
                    lot_number="B2026001" if p.lot_tracked else "",
                    production_date=today.replace(year=today.year - 1) if p.lot_tracked else None,
                    expiry_date=today.replace(year=today.year + 3) if p.lot_tracked else None,
                )
                for p in products
            ],
            source=DocRef(type="bench_opening", id=1, number="BENCH-OPEN-1"),
            actor=keeper,
        )
        customers = [
            crm.create_customer(
                actor=None,
                name=f"压测医院{n + 1:02d}",
                kind="end_customer",
                level="b",
                address=f"北京市东城区压测路{n + 1}号",
                owner=rep,
            )
            for n in range(max(clients, 1) + 1)  # one more for the in-process counting and profile
        ]
        tokens = {
            role: Token.objects.get_or_create(user=e.user)[0].key
            for role, e in (("rep", rep), ("manager", manager), ("keeper", keeper), ("clerk", clerk))
        }
    return {
        "rep": rep.pk,
        "manager": manager.pk,
        "keeper": keeper.pk,
        "clerk": clerk.pk,
        "warehouse": warehouse.pk,
        "products": [(p.pk, str(p.sale_price)) for p in products],
        "customers": [c.pk for c in customers],
        "tokens": tokens,
    }


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


# The flow through the services ------------------------------------------------------------------


@dataclass
class Actors:
    """What one client holds while it works: its people (loaded once, so their permissions are
    cached as in a long-running process), the warehouse and the products."""

    rep: Any
    manager: Any
    keeper: Any
    clerk: Any
    warehouse: Any
    products: list[tuple[int, Decimal]]
    customers: list[Any]
    fresh: bool = False  # True: each step loads its actor anew (as a request would)

    @classmethod
    def load(cls, ids: dict[str, Any], *, fresh: bool = False) -> Actors:
        from maoyi.crm.models import Customer
        from maoyi.inventory.models import Warehouse

        return cls(
            rep=_employee(ids["rep"]),
            manager=_employee(ids["manager"]),
            keeper=_employee(ids["keeper"]),
            clerk=_employee(ids["clerk"]),
            warehouse=Warehouse.objects.get(pk=ids["warehouse"]),
            products=[(pk, Decimal(price)) for pk, price in ids["products"]],
            customers=list(Customer.objects.filter(pk__in=ids["customers"]).order_by("pk")),
            fresh=fresh,
        )

    def actor(self, who: str) -> Any:
        person = getattr(self, who)
        return _employee(person.pk) if self.fresh else person


def _employee(pk: int) -> Any:
    from maoyi.org.models import Employee

    return Employee.objects.select_related("user", "department").get(pk=pk)


class FixedMix(random.Random):
    """The counted flows' lines: always the first three hot products (two lot-tracked, one not), in
    that order, 2 of each, so that statement counts compare flow to flow and run to run."""

    def sample(self, population: Sequence[Any], k: int, *, counts: Any = None) -> list[Any]:
        return list(population[:k])

    def randint(self, a: int, b: int) -> int:
        return 2


def order_lines(actors: Actors, rng: random.Random) -> list[tuple[int, Decimal, Decimal]]:
    """Three of the hot products in a random order, 1–5 each, at their sale price."""
    chosen = rng.sample(actors.products, 3)
    return [(pk, Decimal(rng.randint(1, 5)), price) for pk, price in chosen]


StepHook = Callable[[str], AbstractContextManager[Any]]


def _no_hook(step: str) -> AbstractContextManager[Any]:
    return nullcontext()


def service_flow(actors: Actors, customer: Any, rng: random.Random, hook: StepHook = _no_hook) -> int:
    """One whole order flow through the services, as the people who do each step; returns the
    order's id. `lookup` is what a client reads between the steps (the line ids to ship and the
    receivable to allocate to), not a service."""
    from maoyi.crm.parties import as_party
    from maoyi.finance import services as finance
    from maoyi.finance.models import Obligation
    from maoyi.sales.services import orders, shipments

    with hook("create"):
        order = orders.create_order(
            actor=actors.actor("rep"),
            customer=customer,
            warehouse=actors.warehouse,
            lines=[
                orders.OrderLineInput(product_id=pk, quantity=qty, unit_price=price)
                for pk, qty, price in order_lines(actors, rng)
            ],
        )
    with hook("submit"):
        orders.submit_order(order, actor=actors.actor("rep"))
    with hook("approve"):
        orders.approve_order(order, actor=actors.actor("manager"))
    with hook("lookup"):
        lines = list(order.lines.order_by("id").values_list("id", "quantity"))
        receivable_id, amount = (
            Obligation.objects.filter(direction="receivable", source_type="sales_order", source_id=order.pk)
            .values_list("id", "amount")
            .get()
        )
    with hook("ship"):
        shipments.ship_order(
            order,
            actor=actors.actor("keeper"),
            lines=[shipments.ShipmentLineInput(line_id, quantity) for line_id, quantity in lines],
            carrier="顺丰速运",
            tracking_number=f"SF{order.pk:010d}",
        )
    with hook("receipt"):
        finance.record_settlement(
            direction="receivable",
            actor=actors.actor("clerk"),
            party=as_party(customer),
            amount=amount,
            occurred_on=_today(),
            allocations=[finance.AllocationInput(receivable_id, amount)],
        )
    return int(order.pk)


# The flow through the HTTP API ------------------------------------------------------------------


class ApiError(RuntimeError):
    pass


class Api:
    """A keep-alive HTTP/1.1 connection (http.client reconnects when the server closes it) with
    one Token per person."""

    def __init__(self, host: str, port: int, tokens: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.tokens = tokens

    def post(self, who: str, path: str, body: dict[str, Any], expect: int) -> dict[str, Any]:
        payload = json.dumps(body).encode()
        headers = {
            "Authorization": f"Token {self.tokens[who]}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        for attempt in range(2):
            try:
                self.connection.request("POST", path, body=payload, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # a closed keep-alive connection: the same key again is safe
                if attempt:
                    raise
        if response.status != expect:
            raise ApiError(f"POST {path}: {response.status} {data[:300]!r}")
        found: dict[str, Any] = json.loads(data)
        return found

    def close(self) -> None:
        self.connection.close()


def http_flow(
    post: Callable[[str, str, dict[str, Any], int], dict[str, Any]],
    ids: dict[str, Any],
    customer_id: int,
    rng: random.Random,
) -> int:
    """The same five steps through the public API (API.md)."""
    products = [(pk, Decimal(price)) for pk, price in ids["products"]]
    chosen = rng.sample(products, 3)
    order = post(
        "rep",
        "/api/v1/sales-orders/",
        {
            "customer": customer_id,
            "warehouse": ids["warehouse"],
            "lines": [
                {"product": pk, "quantity": str(rng.randint(1, 5)), "unit_price": str(price)}
                for pk, price in chosen
            ],
        },
        201,
    )
    pk = order["id"]
    post("rep", f"/api/v1/sales-orders/{pk}/submit/", {}, 200)
    approved = post("manager", f"/api/v1/sales-orders/{pk}/approve/", {}, 200)
    receivable = approved.get("receivable")
    if not receivable:
        raise ApiError("the approved order shows no receivable to the approver")
    post(
        "keeper",
        f"/api/v1/sales-orders/{pk}/ship/",
        {
            "lines": [{"line": line["id"], "quantity": line["quantity"]} for line in approved["lines"]],
            "carrier": "顺丰速运",
            "tracking_number": f"SF{pk:010d}",
        },
        201,
    )
    post(
        "clerk",
        "/api/v1/receipts/",
        {
            "customer": customer_id,
            "amount": approved["amount"],
            "received_on": approved["order_date"],
            "allocations": [{"receivable": receivable["id"], "amount": approved["amount"]}],
        },
        201,
    )
    return int(pk)


# Worker processes -------------------------------------------------------------------------------


@dataclass
class WorkerJob:
    kind: str  # "service" or "http"
    index: int
    env: dict[str, str]
    ids: dict[str, Any]
    seconds: float
    seed: int
    port: int = 0


def worker(job: WorkerJob, barrier: Any, results: Any) -> None:
    """One client: set up (django.setup() and its own connection, or an HTTP connection), one
    untimed warm-up flow, wait for the others, then flows until the time is up."""
    os.environ.update(job.env)
    rng = random.Random(f"{job.seed}-{job.kind}-{job.index}")
    flow: Callable[[], int]
    closer: Callable[[], None]
    if job.kind == "service":
        sys.path.insert(0, str(benchlib.ROOT / "src"))
        import django

        django.setup()
        from django.db import connection

        actors = Actors.load(job.ids)
        customer = actors.customers[job.index]

        def flow() -> int:
            return service_flow(actors, customer, rng)

        closer = connection.close
    else:
        api = Api("127.0.0.1", job.port, job.ids["tokens"])
        customer_id = job.ids["customers"][job.index]

        def flow() -> int:
            return http_flow(api.post, job.ids, customer_id, rng)

        closer = api.close
    done, errors, warm = 0, [], 0
    try:
        flow()
        warm = 1
    except Exception as exc:
        errors.append(f"warm-up: {exc!r}"[:500])
    barrier.wait()
    started = time.time()
    deadline = time.perf_counter() + job.seconds
    while time.perf_counter() < deadline:
        try:
            flow()
            done += 1
        except Exception as exc:
            errors.append(repr(exc)[:500])
            if len(errors) > 20:
                break
    ended = time.time()
    closer()
    results.put(
        {"index": job.index, "done": done, "warm": warm, "errors": errors, "start": started, "end": ended}
    )


@dataclass
class RunResult:
    clients: int
    flows: int
    warm: int
    seconds: float
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.flows / self.seconds if self.seconds > 0 else 0.0


def run_clients(
    kind: str, clients: int, args: argparse.Namespace, env: dict[str, str], ids: dict[str, Any], run: int
) -> RunResult:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=worker,
            args=(
                WorkerJob(kind, i, env, ids, args.seconds, args.seed + run * 100, args.port),
                barrier,
                results,
            ),
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    try:
        barrier.wait(timeout=300)
    except Exception:
        for p in procs:
            p.kill()
        raise RuntimeError(f"{kind} workers did not start") from None
    started = time.time()
    rows = [results.get(timeout=args.seconds + 300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    ended = max(r["end"] for r in rows)
    return RunResult(
        clients=clients,
        flows=sum(r["done"] for r in rows),
        warm=sum(r["warm"] for r in rows),
        seconds=ended - started,
        errors=[e for r in rows for e in r["errors"]],
    )


# Checks -----------------------------------------------------------------------------------------


@dataclass
class Check:
    label: str
    flows: int
    done_delta: int
    stock_mismatches: list[str]
    money_mismatches: list[str]

    @property
    def ok(self) -> bool:
        return self.flows == self.done_delta and not self.stock_mismatches and not self.money_mismatches

    def text(self) -> str:
        parts = [f"{self.label}: {self.done_delta} orders done for {self.flows} flows counted"]
        parts.append(f"stock ledger {len(self.stock_mismatches)} mismatches")
        parts.append(f"money ledger {len(self.money_mismatches)} mismatches")
        return ", ".join(parts) + (
            " ✓" if self.ok else " ✗ " + "; ".join((self.stock_mismatches + self.money_mismatches)[:5])
        )


def done_orders() -> int:
    from maoyi.sales.models import SalesOrder

    return int(SalesOrder.objects.filter(status="done").count())


def check(label: str, flows: int, before: int) -> Check:
    from maoyi.finance import selectors as finance_selectors
    from maoyi.inventory import selectors as stock_selectors

    result = Check(
        label=label,
        flows=flows,
        done_delta=done_orders() - before,
        stock_mismatches=list(stock_selectors.ledger_mismatches()),
        money_mismatches=list(finance_selectors.ledger_mismatches()),
    )
    print(f"  check {result.text()}", flush=True)
    return result


# Counting statements and transactions -----------------------------------------------------------


@dataclass
class StepCount:
    statements: int = 0
    commits: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    sql: list[str] = field(default_factory=list)


def statement_kind(sql: str) -> str:
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    return (
        word
        if word in ("SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE", "ROLLBACK")
        else "OTHER"
    )


@contextmanager
def counting_commits() -> Iterator[list[int]]:
    """Counts the connection's COMMITs (Django commits through the driver, not a statement)."""
    from django.db import connection

    counter = [0]
    original = connection.commit

    def commit() -> None:
        counter[0] += 1
        original()

    connection.commit = commit  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        del connection.commit


class StepCounter:
    """A step hook: captures every statement (SAVEPOINT and RELEASE included) and COMMIT per step."""

    def __init__(self) -> None:
        self.steps: dict[str, StepCount] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with counting_commits() as commits, CaptureQueriesContext(connection) as captured:
            yield
        found = self.steps.setdefault(step, StepCount())
        queries = [q["sql"] for q in captured.captured_queries]
        found.statements += len(queries)
        found.commits += commits[0]
        found.kinds.update(statement_kind(q) for q in queries)
        found.sql.extend(queries)

    def totals(self, steps: Sequence[str] | None = None) -> tuple[int, int]:
        chosen = [s for s in (steps or list(self.steps)) if s in self.steps]
        return sum(self.steps[s].statements for s in chosen), sum(self.steps[s].commits for s in chosen)

    def signature(self) -> dict[str, tuple[int, int]]:
        return {s: (c.statements, c.commits) for s, c in self.steps.items()}


def count_service_flows(ids: dict[str, Any], *, fresh: bool, seed: int) -> list[StepCounter]:
    """Two consecutive warm flows through the services (after one untimed flow)."""
    actors = Actors.load(ids, fresh=fresh)
    customer = actors.customers[-1]
    rng = FixedMix(seed)
    service_flow(actors, customer, rng)
    counters = []
    for _ in range(2):
        counter = StepCounter()
        service_flow(actors, customer, rng, counter)
        counters.append(counter)
    return counters


def count_http_flows(ids: dict[str, Any], *, seed: int) -> list[StepCounter]:
    """Two consecutive warm flows through the API, in this process with Django's test client (the
    whole request: middleware, token authentication, idempotency record, view, serializer)."""
    from django.test import Client

    client = Client()
    customer_id = ids["customers"][-1]
    names = {"/submit/": "submit", "/approve/": "approve", "/ship/": "ship", "/receipts/": "receipt"}
    counter: StepCounter | None = None

    def post(who: str, path: str, body: dict[str, Any], expect: int) -> dict[str, Any]:
        step = next((s for key, s in names.items() if key in path), "create")
        hook = counter if counter is not None else _no_hook
        with hook(step):
            response = client.post(
                path,
                data=json.dumps(body),
                content_type="application/json",
                headers={
                    "Authorization": f"Token {ids['tokens'][who]}",
                    "Accept": "application/json",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
        if response.status_code != expect:
            raise ApiError(f"POST {path}: {response.status_code} {response.content[:300]!r}")
        data: dict[str, Any] = response.json()
        return data

    rng = FixedMix(seed)
    http_flow(post, ids, customer_id, rng)
    counters = []
    for _ in range(2):
        counter = StepCounter()
        http_flow(post, ids, customer_id, rng)
        counters.append(counter)
    return counters


# Profile ----------------------------------------------------------------------------------------


@dataclass
class Profile:
    flows: int
    seconds: float
    db_seconds: float
    statements: int
    round_trip_ms: float
    top: str
    areas: list[tuple[str, float]]


def _area(filename: str) -> str:
    f = filename.replace("\\", "/")
    if "/psycopg" in f or "sqlite3" in f:
        return "database driver (psycopg / sqlite3, incl. waiting for the server)"
    if "/django/db/models/" in f:
        return "Django ORM: models, querysets, SQL compiler"
    if "/django/db/" in f:
        return "Django database layer (backends, transactions)"
    if "/django/" in f:
        return "Django, other (signals, translation, timezone, auth)"
    if "/maoyi/" in f:
        return "maoyi code (services, selectors, models)"
    if "decimal" in f or f.startswith("~") or "<" in f:
        return "Python built-ins (C functions)"
    return "Python standard library and other packages"


def profile_flows(ids: dict[str, Any], flows: int, seed: int) -> Profile:
    """One client's flows in this process: first timed with a wrapper around every statement
    (wall time inside cursor.execute = round trip + server + driver), then under cProfile."""
    from django.db import connection

    actors = Actors.load(ids)
    customer = actors.customers[-1]
    rng = random.Random(seed)
    service_flow(actors, customer, rng)
    # A round trip: SELECT 1, warm.
    samples = []
    with connection.cursor() as cursor:
        for _ in range(200):
            t = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            samples.append(time.perf_counter() - t)
    inside = [0.0, 0]

    def timer(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            inside[0] += time.perf_counter() - t
            inside[1] += 1

    original_commit = connection.commit

    def commit() -> None:  # COMMIT waits for the server (and its WAL flush) too
        t = time.perf_counter()
        try:
            original_commit()
        finally:
            inside[0] += time.perf_counter() - t

    connection.commit = commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            for _ in range(flows):
                service_flow(actors, customer, rng)
            seconds = time.perf_counter() - started
    finally:
        del connection.commit
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(flows):
        service_flow(actors, customer, rng)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    areas: Counter[str] = Counter()
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        areas[_area(filename)] += tottime
        total += tottime
    top = out.getvalue()
    top = top[top.find("   ncalls") :] if "   ncalls" in top else top
    return Profile(
        flows=flows,
        seconds=seconds,
        db_seconds=inside[0],
        statements=int(inside[1]),
        round_trip_ms=median(samples) * 1000,
        top="\n".join(_shorten_path(line) for line in top.rstrip().splitlines()),
        areas=[(name, t / total if total else 0.0) for name, t in areas.most_common()],
    )


def _shorten_path(line: str) -> str:
    return re.sub(r"\S*/(site-packages|src|lib/python3\.\d+)/", "", line)


# gunicorn and pgbench ---------------------------------------------------------------------------


def pgbench_env(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = urlparse(url)
    options = [
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
    ]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return options, env


def run_pgbench(url: str, clients: Sequence[int], seconds: int, runs: int) -> dict[int, list[float]]:
    """pgbench -i -s 8 in <name>_pgbench, then tpcb-like at each client count."""
    binary = shutil.which("pgbench")
    if binary is None:
        raise RuntimeError("pgbench is not installed")
    target = benchlib.with_database(url, f"{benchlib.database_name(url)}_pgbench")
    benchlib.recreate_postgres(target)
    options, env = pgbench_env(target)
    name = benchlib.database_name(target)
    init = [binary, *options, "-i", "-s", "8", "-q", name]
    subprocess.run(init, env=env, check=True, capture_output=True)  # noqa: S603 - pgbench, our arguments
    found: dict[int, list[float]] = {}
    for n in clients:
        for _ in range(runs):
            done = subprocess.run(  # noqa: S603 - pgbench, our arguments
                [
                    binary,
                    *options,
                    "-b",
                    "tpcb-like",
                    "-c",
                    str(n),
                    "-j",
                    str(min(2, n)),
                    "-T",
                    str(seconds),
                    "-n",
                    name,
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
            if match is None:
                match = re.search(r"tps = ([0-9.]+)", done.stdout)
            if match is None:
                raise RuntimeError(f"no TPS in pgbench's output: {done.stdout[-500:]}")
            found.setdefault(n, []).append(float(match.group(1)))
            print(f"  pgbench tpcb-like {n} clients: {found[n][-1]:,.0f} TPS", flush=True)
    benchlib.drop_postgres(target)
    return found


# Report -----------------------------------------------------------------------------------------


def steps_table(counters: Sequence[StepCounter], steps: Sequence[str]) -> str:
    rows = []
    for step in steps:
        counts = [c.steps.get(step, StepCount()) for c in counters]
        kinds = counts[0].kinds
        rows.append(
            [
                step,
                " / ".join(str(c.statements) for c in counts),
                " / ".join(str(c.commits) for c in counts),
                ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])),
            ]
        )
    totals = [c.totals(steps) for c in counters]
    rows.append(
        [
            "**total**",
            " / ".join(f"**{t[0]}**" for t in totals),
            " / ".join(str(t[1]) for t in totals),
            ", ".join(
                f"{k} {v}"
                for k, v in sum(
                    (c.kinds for s, c in counters[0].steps.items() if s in steps), Counter()
                ).most_common()
            ),
        ]
    )
    return md_table(["step", "statements (flow 1 / flow 2)", "COMMITs", "kinds (flow 1)"], rows, "lrrl")


def statements_listing(counter: StepCounter, steps: Sequence[str]) -> str:
    lines = []
    for step in steps:
        found = counter.steps.get(step)
        if found is None:
            continue
        lines.append(f"-- {step}: {found.statements} statements")
        for sql in found.sql:
            text = " ".join(sql.split())
            lines.append(text if len(text) <= 220 else text[:220] + " …")
    return "\n".join(lines)


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = benchlib.load_average()
    url, data_dir = benchlib.prepare_database(args.database)
    env = benchlib.django_env(url, data_dir)
    benchlib.setup_django(url, data_dir)
    from django.db import connection

    vendor = connection.vendor
    print(f"== order flow on {vendor} ({benchlib.redact(url)}), quick={args.quick}", flush=True)
    benchlib.migrate()
    ids = set_up_company(max(args.client_counts))
    connection.close()
    checks: list[Check] = []
    notes: list[str] = []
    figures: list[Figure] = []
    failures: list[str] = []

    # (d, e) statements and transactions per flow, warm, two consecutive flows.
    print("== statements per flow", flush=True)
    before = done_orders()
    service_counts = count_service_flows(ids, fresh=False, seed=args.seed)
    cold_counts = count_service_flows(ids, fresh=True, seed=args.seed + 1)
    http_counts: list[StepCounter] = []
    http_error = ""
    try:
        http_counts = count_http_flows(ids, seed=args.seed + 2)
    except Exception as exc:
        http_error = repr(exc)
        failures.append(f"HTTP flow in-process: {http_error}")
    checks.append(check("statement counting (in-process)", 3 * 3 if http_counts else 6, before))
    svc_total, svc_commits = service_counts[0].totals(STEPS)
    svc_only, _ = service_counts[0].totals(SERVICE_STEPS)
    svc_equal = service_counts[0].signature() == service_counts[1].signature()
    cold_total, _ = cold_counts[0].totals(STEPS)
    http_total, http_commits = http_counts[0].totals() if http_counts else (0, 0)
    http_equal = bool(http_counts) and http_counts[0].signature() == http_counts[1].signature()
    print(
        f"  service layer: {svc_total} statements ({svc_only} in the services), {svc_commits} commits; "
        f"actors loaded per step: {cold_total}; HTTP: {http_total} statements, {http_commits} commits",
        flush=True,
    )

    # (c) pgbench.
    pg_tps: dict[int, float] = {}
    pg_runs: dict[int, list[float]] = {}
    if vendor == "postgresql" and "pgbench" not in args.skipped:
        print("== pgbench tpcb-like", flush=True)
        try:
            pg_runs = run_pgbench(url, args.client_counts, args.pgbench_seconds, args.runs)
            pg_tps = {n: median(v) for n, v in pg_runs.items()}
        except Exception as exc:
            failures.append(f"pgbench: {exc!r}")
            print(f"  pgbench failed: {exc!r}", flush=True)

    # (a) service layer.
    service: dict[int, list[RunResult]] = {}
    if "service" not in args.skipped:
        print("== service layer", flush=True)
        for n in args.client_counts:
            before = done_orders()
            for run in range(args.runs):
                result = run_clients("service", n, args, env, ids, run)
                service.setdefault(n, []).append(result)
                print(
                    f"  service {n} clients, run {run + 1}: {result.flows} flows in {result.seconds:.2f} s = "
                    f"{result.rate:,.1f} orders/s, {len(result.errors)} errors",
                    flush=True,
                )
            flows = sum(r.flows + r.warm for r in service[n])
            connection.close()
            checks.append(check(f"service layer, {n} clients", flows, before))

    # (b) HTTP through gunicorn.
    http_runs: dict[int, list[RunResult]] = {}
    if "http" not in args.skipped:
        print(f"== HTTP API through gunicorn ({args.gunicorn_workers} workers, port {args.port})", flush=True)
        log = Path(data_dir) / "gunicorn.log"
        connection.close()
        try:
            with benchlib.gunicorn(env, args.port, args.gunicorn_workers, log, wait_seconds=60):
                for n in args.client_counts:
                    before = done_orders()
                    connection.close()
                    for run in range(args.runs):
                        result = run_clients("http", n, args, env, ids, run)
                        http_runs.setdefault(n, []).append(result)
                        print(
                            f"  HTTP {n} clients, run {run + 1}: {result.flows} flows in "
                            f"{result.seconds:.2f} s = {result.rate:,.1f} orders/s, "
                            f"{len(result.errors)} errors",
                            flush=True,
                        )
                    flows = sum(r.flows + r.warm for r in http_runs[n])
                    checks.append(check(f"HTTP API, {n} clients", flows, before))
                    connection.close()
        except Exception as exc:
            failures.append(f"HTTP API: {exc!r}")
            print(f"  HTTP failed: {exc!r}", flush=True)

    # (f) profile.
    prof: Profile | None = None
    if "profile" not in args.skipped:
        print(f"== profile: {args.profile_flows} flows of one client, in-process", flush=True)
        before = done_orders()
        prof = profile_flows(ids, args.profile_flows, args.seed + 3)
        checks.append(check("profile (in-process)", 2 * args.profile_flows + 1, before))

    # Figures.
    service_rate = {n: median([r.rate for r in rs]) for n, rs in service.items()}
    http_rate = {n: median([r.rate for r in rs]) for n, rs in http_runs.items()}
    for label, rates, tx, target_value in (
        ("service", service_rate, svc_commits, TARGET_SERVICE),
        ("http", http_rate, http_commits, TARGET_HTTP),
    ):
        for n, rate in sorted(rates.items()):
            base = pg_tps.get(n)
            top = n == max(args.client_counts) and n == 8
            figures.append(
                Figure(
                    name=f"{label}_orders_per_s_c{n}",
                    value=rate,
                    unit="orders/s",
                    baseline=f"pgbench tpcb-like TPS, {n} clients" if base else None,
                    baseline_value=base,
                    target=f"≥ {target_value:.0f} orders/s" if top else None,
                    met=(rate >= target_value) if top else None,
                )
            )
            if base and tx:
                figures.append(
                    Figure(
                        name=f"{label}_tx_ratio_c{n}",
                        value=rate * tx / base,
                        unit="× pgbench TPS",
                        baseline=f"(orders/s × {tx} transactions per order) ÷ pgbench TPS, {n} clients",
                        baseline_value=base,
                        ratio=rate * tx / base,
                    )
                )
    figures.append(
        Figure(
            name="service_statements_per_flow",
            value=svc_total,
            unit="statements",
            baseline="Tryton 8.2 order flow (issue 8)",
            baseline_value=852,
            target=f"≤ {TARGET_STATEMENTS}",
            met=svc_total <= TARGET_STATEMENTS,
        )
    )
    if http_counts:
        figures.append(
            Figure(
                name="http_statements_per_flow",
                value=http_total,
                unit="statements",
                baseline="service layer, same flow",
                baseline_value=svc_total,
            )
        )
    figures.append(Figure(name="service_transactions_per_flow", value=svc_commits, unit="COMMITs"))
    if http_counts:
        figures.append(Figure(name="http_transactions_per_flow", value=http_commits, unit="COMMITs"))
    for n, tps in sorted(pg_tps.items()):
        figures.append(Figure(name=f"pgbench_tps_c{n}", value=tps, unit="TPS"))
    errors = sum(len(r.errors) for rs in (*service.values(), *http_runs.values()) for r in rs)
    figures.append(Figure(name="flow_errors", value=errors, unit="errors", target="0", met=errors == 0))

    # Notes.
    cores = os.cpu_count() or 1
    notes.append(
        f"Method: `bench/order_flow.py{' --quick' if args.quick else ''}` on {vendor}. One company made "
        f"through the services: a salesperson, the manager who approves, a logistics keeper, a finance "
        f"clerk, one warehouse, {HOT_PRODUCTS} hot products (half lot-tracked, {STOCK_PER_PRODUCT:,} "
        "in stock each), a customer per client. A flow: the salesperson creates an order of 3 lines (3 of "
        "the hot products in a random order, 1–5 each, typed price) and submits it, the manager approves "
        "it (stock reserved, receivable opened), the keeper ships every line (first expiry first out), "
        "finance records the receipt allocated to the order's receivable; the order is then done. "
        f"Each client is a process (multiprocessing, spawn) with its own connection; one untimed warm-up "
        f"flow each, then flows for {args.seconds:g} s; orders/s = flows completed ÷ wall time from the "
        f"common start to the last client's end; median of {args.runs} run(s) per client count. "
        f"HTTP: gunicorn (sync workers, {args.gunicorn_workers} = 2 × {cores} cores + 1), each client a "
        "process with http.client and Token auth, a fresh Idempotency-Key on every POST; the sync worker "
        "closes the connection after each response, so each request reconnects. Server and clients share "
        f"the machine's {cores} cores and the machine is shared with other work (load average "
        f"{load_before} before)."
    )
    if pg_runs:
        notes.append(
            f"pgbench: `pgbench -i -s 8` in a database of its own on the same server, then `pgbench -b "
            f"tpcb-like -c N -j min(2,N) -T {args.pgbench_seconds} -n`, {args.runs} run(s) per N, median."
        )
    rows = []
    for n in args.client_counts:
        s = service_rate.get(n)
        h = http_rate.get(n)
        p = pg_tps.get(n)
        rows.append(
            [
                n,
                _fmt(s) if s is not None else "–",
                _fmt(h) if h is not None else "–",
                _fmt(p, 0) if p else "–",
                f"{s / p:.3f}" if s is not None and p else "–",
                f"{s * svc_commits / p:.3f}" if s is not None and p else "–",
                f"{h / p:.3f}" if h is not None and p else "–",
                f"{h * http_commits / p:.3f}" if h is not None and p and http_commits else "–",
            ]
        )
    notes.append(
        "### Throughput\n\n"
        + md_table(
            [
                "clients",
                "service orders/s",
                "HTTP orders/s",
                "pgbench TPS",
                "service ÷ TPS",
                f"service × {svc_commits} tx ÷ TPS",
                "HTTP ÷ TPS",
                f"HTTP × {http_commits} tx ÷ TPS",
            ],
            rows,
        )
    )
    run_rows = []
    for label, groups in (("service", service), ("HTTP", http_runs)):
        for n, rs in sorted(groups.items()):
            for i, r in enumerate(rs):
                run_rows.append([label, n, i + 1, r.flows, f"{r.seconds:.2f}", _fmt(r.rate), len(r.errors)])
    if run_rows:
        notes.append(
            "Every run:\n\n"
            + md_table(["layer", "clients", "run", "flows", "seconds", "orders/s", "errors"], run_rows)
        )
    all_errors = [e for rs in (*service.values(), *http_runs.values()) for r in rs for e in r.errors]
    if all_errors:
        notes.append("Errors (first 10):\n\n" + "\n".join(f"- `{e}`" for e in all_errors[:10]))
    notes.append(
        "### SQL statements and transactions per flow\n\n"
        "Counted with Django's `CaptureQueriesContext` (every statement the connection sends, SAVEPOINT "
        "and RELEASE included; Django also records each transaction's BEGIN and COMMIT there, so they "
        "are counted too: 2 per transaction, the OTHER kind) and a counter on the connection's "
        "`commit()` for the transactions, per step, on two consecutive "
        "warm flows of the same lines (the first three hot products in order, 2 each: two lot-tracked "
        "lines and one not; the timed flows vary the products and their order). "
        "`lookup` is what a client reads between the steps through the ORM (the order's line ids to "
        "ship, the receivable to allocate to); it is not a service. The people are loaded once per client "
        "(their permission caches stay warm, as in a long-running worker).\n\n"
        f"**Service layer**: {svc_total} statements per flow ({svc_only} inside the five services), "
        f"{svc_commits} transactions; the two flows are {'equal' if svc_equal else 'NOT equal'}. "
        f"Loading each step's person afresh (as every request does): {cold_total} statements.\n\n"
        + steps_table(service_counts, STEPS)
    )
    if http_counts:
        notes.append(
            f"**HTTP API** (the whole request in-process through Django's test client: middleware, token "
            f"authentication, idempotency record, view, serializers): {http_total} statements per flow, "
            f"{http_commits} transactions; the two flows are {'equal' if http_equal else 'NOT equal'}.\n\n"
            + steps_table(http_counts, ("create", "submit", "approve", "ship", "receipt"))
        )
    elif http_error:
        notes.append(f"HTTP statement count failed: `{http_error}`")
    notes.append(
        "<details><summary>Every statement of one warm service-layer flow</summary>\n\n```sql\n"
        + statements_listing(service_counts[1], STEPS)
        + "\n```\n</details>"
    )
    if http_counts:
        notes.append(
            "<details><summary>Every statement of one warm HTTP flow</summary>\n\n```sql\n"
            + statements_listing(http_counts[1], ("create", "submit", "approve", "ship", "receipt"))
            + "\n```\n</details>"
        )
    if prof is not None:
        per_flow = prof.seconds / prof.flows * 1000
        db_per_flow = prof.db_seconds / prof.flows * 1000
        statements = prof.statements / prof.flows
        notes.append(
            "### Profile: one client, service layer\n\n"
            f"{prof.flows} flows in this process, one client, no contention: {per_flow:.1f} ms per flow "
            f"({1000 / per_flow:.1f} orders/s for one client), of which {db_per_flow:.1f} ms "
            f"({db_per_flow / per_flow:.0%}) inside `cursor.execute` for {statements:.0f} statements and "
            "the COMMITs "
            "(round trip, server and driver; a warm `SELECT 1` round trip takes "
            f"{prof.round_trip_ms:.3f} ms, "
            f"so {statements:.0f} round trips alone cost {statements * prof.round_trip_ms:.1f} ms) and "
            f"{per_flow - db_per_flow:.1f} ms ({(per_flow - db_per_flow) / per_flow:.0%}) in Python "
            "(ORM, services, Decimal arithmetic, audit).\n\n"
            "Own time by area (cProfile tottime, which inflates Python relative to waiting):\n\n"
            + md_table(["area", "share"], [[a, f"{s:.0%}"] for a, s in prof.areas], "lr")
            + "\n\nTop functions by cumulative time (cProfile):\n\n```\n"
            + prof.top
            + "\n```"
        )
        notes.append(
            analysis(
                svc_total,
                svc_commits,
                http_total,
                per_flow,
                db_per_flow,
                prof,
                service_rate,
                http_rate,
                pg_tps,
                cores,
            )
        )
    notes.append(f"Reference (not measured here): {TRYTON}.")
    notes.append("### Checks\n\n" + "\n".join(f"- {c.text()}" for c in checks))
    if failures:
        notes.append("### Failures\n\n" + "\n".join(f"- `{f}`" for f in failures))
    ok = all(c.ok for c in checks)
    machine = benchlib.machine_facts(url)
    machine["vendor"] = vendor
    machine["load_average_before"] = load_before
    machine["seconds_total"] = round(time.perf_counter() - started, 1)
    print()
    for fig in figures:
        print(
            f"FIGURE {fig.name}={fig.value} {fig.unit}"
            + (f" ratio={fig.ratio}" if fig.ratio is not None else "")
        )
    if args.json_out:
        benchlib.write_report(
            args.json_out,
            name=NAME,
            title=TITLE,
            figures=figures,
            machine=machine,
            notes_md="\n\n".join(notes),
            ok=ok and not failures,
            invariants_ok=ok,
        )
        print(f"report: {args.json_out}")
    if not ok:
        print("INVARIANT CHECK FAILED", file=sys.stderr)
        return 2
    return 1 if failures else 0


def analysis(
    svc_total: int,
    svc_commits: int,
    http_total: int,
    per_flow: float,
    db_per_flow: float,
    prof: Profile,
    service_rate: dict[int, float],
    http_rate: dict[int, float],
    pg_tps: dict[int, float],
    cores: int,
) -> str:
    """Where the time goes and what would close the gap, from this run's figures."""
    python_ms = per_flow - db_per_flow
    top_s = max(service_rate.values()) if service_rate else 0.0
    top_h = max(http_rate.values()) if http_rate else 0.0
    cpu_bound = cores * 1000 / per_flow  # if every core ran flows and nothing else
    lines = [
        "### Where the time goes and what would close the gap",
        "",
        f"- One flow costs {per_flow:.1f} ms of a single client's time: {python_ms:.1f} ms of Python and "
        f"{db_per_flow:.1f} ms waiting for {prof.statements / prof.flows:.0f} statements. On {cores} cores "
        f"shared by the clients, PostgreSQL and (for HTTP) gunicorn, throughput cannot pass about "
        f"{cores} × 1000 ÷ (CPU ms per flow); even if all {per_flow:.1f} ms were CPU and the database "
        f"cost nothing, that is {cpu_bound:.0f} orders/s. The measured best is {top_s:.1f} orders/s "
        f"(service) and {top_h:.1f} orders/s (HTTP).",
        f"- Statements: {svc_total} per flow through the services (target ≤ {TARGET_STATEMENTS}), "
        f"{http_total or '–'} through the API. Every statement is a round trip plus the ORM's work "
        "to build it and read its rows: the statement count multiplies both halves of the time.",
        f"- pgbench does a 5-statement transaction in C; at the same client count our flow is "
        f"{svc_commits} transactions of about {svc_total / max(svc_commits, 1):.0f} statements each, built "
        "in Python. The ratio (orders/s × transactions) ÷ pgbench TPS therefore says how far Python "
        "and the statement count keep us from the database's own ceiling.",
        f"- To reach {TARGET_SERVICE:.0f} orders/s on {cores} cores the whole flow, Python and database "
        f"together, must cost under {cores * 1000 / TARGET_SERVICE:.1f} ms of CPU; for HTTP at "
        f"{TARGET_HTTP:.0f} orders/s, under {cores * 1000 / TARGET_HTTP:.1f} ms including five requests' "
        "middleware, authentication, idempotency record and serialisation.",
        "- What would close it: (1) fewer statements (another helper is cutting them: permission and "
        "scope checks answered once per request, bulk writes of lines, moves, balances and audit rows, "
        "no re-reads after writes, no savepoints where the outer transaction suffices); (2) less ORM "
        "per statement (`values()`/`only()` on hot reads, building audit rows without model "
        "instances, fewer `refresh_from_db`); (3) for HTTP, a response that reuses the objects the "
        "service returned instead of re-reading the order with its prefetches, and the idempotency "
        "record written in the same transaction as the business write; (4) more cores: the work is "
        "CPU-bound in Python, so app servers scale out (docs/scaling.md) while PostgreSQL has headroom.",
    ]
    if pg_tps:
        n = max(pg_tps)
        lines.append(
            f"- At {n} clients pgbench did {pg_tps[n]:,.0f} TPS on this server: the database is far from "
            "its ceiling while the flows run; the limit is the Python side."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
