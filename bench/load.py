"""Load (issue 8, part 1): locust, headless, with a realistic mix of 50 people working the web pages
of one gunicorn, and the same mix without think time for the saturation figure.

1. Recreates and migrates the database, loads the demo company (maoyi.demo) and adds through the
   services what a realistic load needs: 5 sales teams (a manager, the approver of the team's orders,
   and 8 salespeople each, every salesperson with their own customers, a tenth of them with a credit
   limit), 3 logistics staff, 2 finance clerks, bench products with plenty of stock (and one scarce
   one, so that "stock short" happens), every person with a password login.
2. Starts gunicorn (workers = 2 × cores + 1 unless --workers) on --port (8620–8639).
3. Measures the unloaded baseline: one user alone, the customer list's p50/p95 (30 requests).
4. Runs locust (bench/locustfile.py) headless for --seconds (default 60, --quick 20) with think time
   1–5 s, while sampling each gunicorn process's RSS every 0.5 s (psutil) and probing /healthz
   every 0.5 s (the loaded baseline); then the same mix with zero wait for --saturation-seconds.
5. Checks both ledgers (maoyi.inventory / maoyi.finance selectors.ledger_mismatches()) and counts
   the orders created, approved, shipped and the receipts recorded.
6. Replays each page once in-process (Django test client) counting its SQL statements and the time
   spent in the database, to say what the slowest requests spend time on.

    .venv/bin/python bench/load.py --database postgres://postgres@127.0.0.1:5432/maoyi_bench_load --quick
    .venv/bin/python bench/load.py --database sqlite --quick

The PostgreSQL database named is DROPPED and created anew: its name must contain "bench". Exit
status 0 unless the run crashed (1) or a ledger is inconsistent afterwards (2).
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib
from benchlib import Figure, md_table, percentile

NAME = "load"
TITLE = "Load (locust, realistic mix of 50 people)"
PASSWORD = "Load-bench-2026!"
TEAMS = ("华北一组", "华北二组", "华东组", "华南组", "西部组")
REPS_PER_TEAM = 8
LOGISTICS = 3
FINANCE = 2
USERS = len(TEAMS) * (REPS_PER_TEAM + 1) + LOGISTICS + FINANCE  # 50
BENCH_STOCK = Decimal("10000000")
SCARCE_STOCK = Decimal("3000")
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
BASELINE_REQUESTS = 30

CITIES = (
    "北京", "天津", "石家庄", "太原", "济南", "青岛", "郑州", "西安", "南京", "苏州", "杭州", "宁波",
    "合肥", "福州", "厦门", "广州", "深圳", "南宁", "成都", "重庆", "昆明", "贵阳", "武汉", "长沙",
)  # fmt: skip
PLACES = (
    "东城", "西城", "朝阳", "海淀", "丰台", "和平", "河西", "长安", "历下", "市南", "金水", "雁塔",
    "鼓楼", "姑苏", "西湖", "鄞州", "蜀山", "台江", "思明", "天河", "福田", "青秀", "锦江", "渝中",
    "五华", "南明", "江汉", "岳麓", "新华", "城关", "滨江", "高新", "开发区", "经开", "南山", "龙华",
)  # fmt: skip
KINDS = (
    "人民医院", "中医医院", "妇幼保健院", "中心医院", "骨科医院", "口腔医院", "社区卫生服务中心",
    "第一医院", "第二医院", "肿瘤医院", "眼科医院", "康复医院", "医疗器械有限公司", "大药房",
)  # fmt: skip
BENCH_PRODUCTS = (
    # code, name, unit, lot tracked, sale price
    ("YC001", "一次性使用无菌注射器 2ml", "支", True, "0.45"),
    ("YC002", "一次性使用无菌注射器 10ml", "支", True, "0.80"),
    ("YC003", "一次性使用输液器 带针", "套", True, "1.60"),
    ("YC004", "医用外科口罩 独立包装", "只", False, "0.60"),
    ("YC005", "一次性使用医用帽", "只", False, "0.20"),
    ("YC006", "医用纱布块 5cm×5cm", "包", True, "1.10"),
    ("YC007", "医用棉签 10cm", "包", False, "0.90"),
    ("YC008", "一次性使用导尿包", "套", True, "12.50"),
    ("YC009", "医用检查手套 丁腈 M", "盒", True, "32.00"),
    ("YC010", "一次性使用吸痰管", "根", True, "1.80"),
    ("YC011", "医用隔离衣", "件", False, "8.50"),
    ("YC012", "一次性使用鼻氧管", "根", True, "2.30"),
)
SCARCE = ("YC900", "一次性使用静脉留置针 24G（紧俏）", "支", True, "16.00")


# Arguments --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="sqlite", help="postgres://…/<name with 'bench'>, or 'sqlite'")
    parser.add_argument("--quick", action="store_true", help="shorter runs, fewer customers")
    parser.add_argument("--seconds", type=int, default=0, help="the think-time run (default 60, --quick 20)")
    parser.add_argument(
        "--saturation-seconds", type=int, default=0, help="the zero-wait run (default 30, --quick 10)"
    )
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default 2 × cores + 1)")
    parser.add_argument("--port", type=int, default=8620, help="gunicorn's port (8620–8639)")
    parser.add_argument("--customers", type=int, default=0, help="per salesperson (default 50, --quick 25)")
    parser.add_argument("--think", default="1,5", help="think time between requests, min,max seconds")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json-out", default="", help="write the report (bench/run.py's contract) here")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (20 if args.quick else 60)
    args.saturation_seconds = args.saturation_seconds or (10 if args.quick else 30)
    args.customers = args.customers or (25 if args.quick else 50)
    args.workers = args.workers or 2 * (os.cpu_count() or 1) + 1
    return args


# The company ------------------------------------------------------------------------------------


def set_up_company(customers_per_rep: int, seed: int) -> dict[str, Any]:
    """The demo company plus the people, customers and goods of the load, through the services.
    Returns the plan the locustfile reads (logins per role, search terms, product ids)."""
    from django.db import transaction
    from django.utils import timezone

    from maoyi.catalog import services as catalog
    from maoyi.core.documents import DocRef
    from maoyi.crm import services as crm
    from maoyi.crm.models import Customer
    from maoyi.demo.company import COMPANY, load_company
    from maoyi.inventory.models import Warehouse
    from maoyi.inventory.services import ledger
    from maoyi.org import services as org
    from maoyi.org.models import Department

    rng = random.Random(seed)
    today = timezone.localdate()
    started = time.perf_counter()
    load_company()
    print(f"   demo company loaded in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    roles = org.ensure_built_in_roles()
    sales_root = Department.objects.get(name="业务部", parent__name=COMPANY)
    logistics_dept = Department.objects.get(name="物流部", parent__name=COMPANY)
    finance_dept = Department.objects.get(name="财务部", parent__name=COMPANY)
    warehouse = Warehouse.objects.get(code="WH01")
    keeper = None
    plan: dict[str, Any] = {
        "password": PASSWORD,
        "logins": {"reps": [], "managers": [], "logistics": [], "finance": []},
        "searches": {},
        "warehouse": warehouse.pk,
    }

    def person(username: str, name: str, department: Any, *codes: str, manager: bool = False) -> Any:
        return org.create_employee(
            actor=None,
            username=username,
            password=PASSWORD,
            name=name,
            department=department,
            roles=[roles[c] for c in codes],
            is_manager=manager,
            validate=False,
        )

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
    given = (
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欢阳佳"
    )
    used_names: set[str] = set()

    def a_name() -> str:
        while True:
            name = (
                rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.6 else "")
            )
            if name not in used_names:
                used_names.add(name)
                return name

    customer_names: set[str] = set()
    phone = 60000000
    with transaction.atomic():
        for t, team_name in enumerate(TEAMS):
            team = org.create_department(actor=None, name=team_name, parent=sales_root)
            boss = person(f"load_mgr{t + 1}", a_name(), team, "manager", "salesperson", manager=True)
            plan["logins"]["managers"].append(boss.user.username)
            for r in range(REPS_PER_TEAM):
                rep = person(f"load_rep{t + 1}{r + 1}", a_name(), team, "salesperson")
                plan["logins"]["reps"].append(rep.user.username)
                mine = []
                for _n in range(customers_per_rep):
                    while True:
                        name = rng.choice(CITIES) + rng.choice(PLACES) + rng.choice(KINDS)
                        name = (
                            name
                            if name not in customer_names
                            else name[:-2] + f"第{rng.randint(2, 99)}" + name[-2:]
                        )
                        if name not in customer_names:
                            break
                    customer_names.add(name)
                    phone += 1
                    mine.append(
                        crm.create_customer(
                            actor=None,
                            name=name,
                            kind="end_customer",
                            level=rng.choice(("a", "b", "b", "c")),
                            phone=f"010-{phone}",
                            address=f"{name[:2]}市{rng.choice(PLACES)}区健康路{rng.randint(1, 300)}号",
                            credit_limit=Decimal("30000") if rng.random() < 0.1 else Decimal("0"),
                            owner=rep,
                        )
                    )
                picks = rng.sample(mine, min(8, len(mine)))
                found = Customer.objects.filter(pk__in=[c.pk for c in picks])
                plan["searches"][rep.user.username] = [
                    {"name": c.name[2:6], "pinyin": c.pinyin[:4]} for c in found
                ]
        for n in range(LOGISTICS):
            keeper = person(f"load_logistics{n + 1}", a_name(), logistics_dept, "logistics")
            plan["logins"]["logistics"].append(keeper.user.username)
        for n in range(FINANCE):
            clerk = person(f"load_finance{n + 1}", a_name(), finance_dept, "finance")
            plan["logins"]["finance"].append(clerk.user.username)
        products = []
        for code, name, unit, lot_tracked, price in (*BENCH_PRODUCTS, SCARCE):
            products.append(
                catalog.create_product(
                    actor=None,
                    code=code,
                    name=name,
                    unit=unit,
                    lot_tracked=lot_tracked,
                    shelf_life_days=1095 if lot_tracked else None,
                    purchase_price=(Decimal(price) * Decimal("0.6")).quantize(Decimal("0.01")),
                    sale_price=Decimal(price),
                )
            )
        incoming = []
        for p in products:
            lots = ("L2026A", "L2026B") if p.lot_tracked else ("",)
            stock = SCARCE_STOCK if p.code == SCARCE[0] else BENCH_STOCK
            for k, lot in enumerate(lots):
                incoming.append(
                    ledger.Incoming(
                        product_id=p.pk,
                        warehouse_id=warehouse.pk,
                        quantity=stock / len(lots),
                        unit_cost=p.purchase_price,
                        lot_number=lot,
                        production_date=today.replace(year=today.year - 1) if lot else None,
                        expiry_date=today.replace(year=today.year + 2 + k) if lot else None,
                    )
                )
        ledger.receive(
            incoming, source=DocRef(type="bench_opening", id=1, number="LOAD-OPEN-1"), actor=keeper
        )
    plan["products"] = [p.pk for p in products if p.code != SCARCE[0]]
    plan["scarce"] = next(p.pk for p in products if p.code == SCARCE[0])
    total = len(TEAMS) * REPS_PER_TEAM * customers_per_rep
    print(
        f"   {USERS} people, {total:,} customers, {len(products)} products added in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return plan


def counts() -> dict[str, int]:
    from maoyi.approvals.models import ApprovalRequest, RequestStatus
    from maoyi.crm.models import Activity
    from maoyi.finance.models import Receipt
    from maoyi.sales.models import SalesOrder, Shipment

    approved = ApprovalRequest.objects.filter(document_type="sales_order", status=RequestStatus.APPROVED)
    return {
        "orders_created": SalesOrder.objects.count(),
        "orders_submitted": ApprovalRequest.objects.filter(document_type="sales_order").count(),
        "orders_approved": approved.count(),
        "shipments": Shipment.objects.count(),
        "receipts": Receipt.objects.count(),
        "activities": Activity.objects.count(),
    }


def ledger_check() -> list[str]:
    from maoyi.finance import selectors as finance_selectors
    from maoyi.inventory import selectors as inventory_selectors

    return [f"stock: {m}" for m in inventory_selectors.ledger_mismatches()] + [
        f"money: {m}" for m in finance_selectors.ledger_mismatches()
    ]


# gunicorn, probes and memory --------------------------------------------------------------------


@dataclass
class Sampler:
    """Every 0.5 s: the RSS of gunicorn's master and each worker (psutil), and one /healthz."""

    master_pid: int
    port: int
    peak_rss: dict[int, int] = field(default_factory=dict)  # pid → bytes
    health_ms: list[tuple[float, float]] = field(default_factory=list)  # (epoch s, ms)
    health_errors: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Sampler:
        self._threads = [
            threading.Thread(target=self._memory, daemon=True),
            threading.Thread(target=self._health, daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _memory(self) -> None:
        import psutil

        master = psutil.Process(self.master_pid)
        while not self._stop.is_set():
            try:
                for proc in [master, *master.children()]:
                    rss = proc.memory_info().rss
                    self.peak_rss[proc.pid] = max(self.peak_rss.get(proc.pid, 0), rss)
                self.samples += 1
            except psutil.Error:
                pass
            self._stop.wait(0.5)

    def _health(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    self.health_ms.append((time.time(), (time.perf_counter() - started) * 1000))
                else:
                    self.health_errors += 1
            except (OSError, http.client.HTTPException):
                self.health_errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self._stop.wait(0.5)
        conn.close()


def single_user_baseline(port: int, username: str, queries: Sequence[str]) -> dict[str, list[float]]:
    """One user alone on the server: log in through the page, then the customer list and a search,
    BASELINE_REQUESTS times each after 5 untimed warm-ups."""
    import re

    import requests

    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    response = session.post(
        f"{base}/login/",
        data={
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "username": username,
            "password": PASSWORD,
        },
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302:
        raise RuntimeError(f"baseline login answered {response.status_code}")
    timings: dict[str, list[float]] = {"customer list": [], "customer search (pinyin)": [], "order list": []}
    paths = {
        "customer list": "/crm/customers/",
        "customer search (pinyin)": "/crm/customers/?q=" + queries[0],
        "order list": "/sales/orders/",
    }
    for name, path in paths.items():
        for n in range(BASELINE_REQUESTS + 5):
            started = time.perf_counter()
            got = session.get(base + path, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            if got.status_code != 200:
                raise RuntimeError(f"baseline {path} answered {got.status_code}")
            if n >= 5:
                timings[name].append(elapsed)
    session.close()
    return timings


# locust -----------------------------------------------------------------------------------------


@dataclass
class Row:
    method: str
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    mean: float
    rps: float
    max: float


@dataclass
class LocustRun:
    label: str
    seconds: int
    rows: list[Row]
    total: Row | None
    failures: list[dict[str, str]]
    counters: dict[str, Any]
    rss: dict[str, float]  # "master", "worker max", "worker mean" in MiB
    worker_peaks: list[float]
    health_ms: list[float]
    health_errors: int
    memory_samples: int
    wall_seconds: float
    returncode: int


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def read_stats(prefix: Path) -> tuple[list[Row], Row | None, list[dict[str, str]]]:
    rows: list[Row] = []
    total = None
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            row = Row(
                method=rec["Type"],
                name=rec["Name"],
                requests=int(rec["Request Count"]),
                failures=int(rec["Failure Count"]),
                p50=_num(rec["50%"]),
                p95=_num(rec["95%"]),
                p99=_num(rec["99%"]),
                mean=_num(rec["Average Response Time"]),
                rps=_num(rec["Requests/s"]),
                max=_num(rec["Max Response Time"]),
            )
            if rec["Name"] == "Aggregated":
                total = row
            else:
                rows.append(row)
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with path.open(encoding="utf-8") as f:
            failures = list(csv.DictReader(f))
    return rows, total, failures


def run_locust(
    label: str,
    *,
    plan_path: Path,
    folder: Path,
    port: int,
    seconds: int,
    wait: str,
    master_pid: int,
) -> LocustRun:
    prefix = folder / label
    counters_path = folder / f"{label}_counters.json"
    env = {
        **os.environ,
        "LOAD_PLAN": str(plan_path),
        "LOAD_WAIT": wait,
        "LOAD_COUNTERS": str(counters_path),
        "LOAD_USERS": str(USERS),
        "LOAD_SECONDS": str(seconds),
        "PYTHONPATH": str(LOCUSTFILE.parent),
    }
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        "25",
        "--run-time",
        f"{seconds + 600}s",  # a safety limit: the locustfile quits `seconds` after the last login
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    if not Path(command[0]).exists():
        command[:1] = [sys.executable, "-m", "locust"]
    sampler = Sampler(master_pid, port).start()
    started = time.perf_counter()
    with (folder / f"{label}.log").open("wb") as log:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 900, check=False
        )
    wall = time.perf_counter() - started
    sampler.stop()
    if not Path(f"{prefix}_stats.csv").exists():
        tail = (folder / f"{label}.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"locust ({label}) wrote no statistics (exit {done.returncode}):\n{tail}")
    rows, total, failures = read_stats(prefix)
    counters = json.loads(counters_path.read_text(encoding="utf-8")) if counters_path.exists() else {}
    window = counters.get("window", {}).get("start", 0.0)
    mib = 1024 * 1024
    workers = [v / mib for pid, v in sampler.peak_rss.items() if pid != master_pid]
    return LocustRun(
        label=label,
        seconds=seconds,
        rows=rows,
        total=total,
        failures=failures,
        counters=counters,
        rss={
            "master": sampler.peak_rss.get(master_pid, 0) / mib,
            "worker max": max(workers, default=0.0),
            "worker mean": statistics.fmean(workers) if workers else 0.0,
        },
        worker_peaks=sorted(workers, reverse=True),
        health_ms=[ms for at, ms in sampler.health_ms if at >= window],
        health_errors=sampler.health_errors,
        memory_samples=sampler.samples,
        wall_seconds=wall,
        returncode=done.returncode,
    )


# Where the time goes ----------------------------------------------------------------------------


def page_costs(plan: dict[str, Any]) -> list[tuple[str, int, float, float]]:
    """Each page once more, in-process through Django's test client (warm: the second of two
    requests): (page, SQL statements, ms in the database, ms in all)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from maoyi.crm.models import Customer
    from maoyi.finance.models import Receivable
    from maoyi.org.models import Employee

    rep = Employee.objects.get(user__username=plan["logins"]["reps"][0])
    customer = Customer.objects.filter(owner=rep).order_by("pk").first()
    receivable = Receivable.objects.order_by("-pk").first()
    term = plan["searches"][rep.user.username][0]
    pages: list[tuple[str, str, str]] = [
        ("reps", "customer list", "/crm/customers/"),
        ("reps", "customer search (name)", f"/crm/customers/?q={term['name']}"),
        ("reps", "customer search (pinyin)", f"/crm/customers/?q={term['pinyin']}"),
        (
            "reps",
            "customer detail (跟进 tab)",
            f"/crm/customers/{customer.pk}/?tab=activities" if customer else "",
        ),
        ("reps", "order list", "/sales/orders/"),
        ("reps", "order form", "/sales/orders/new/"),
        ("managers", "approval inbox", "/approvals/"),
        ("logistics", "to-ship list (待发货)", "/sales/shipments/to-ship/"),
        ("finance", "receivable list", "/finance/receivables/"),
        ("finance", "receivable detail", f"/finance/receivables/{receivable.pk}/" if receivable else ""),
    ]
    found = []
    clients: dict[str, Client] = {}
    for role, name, path in pages:
        if not path:
            continue
        client = clients.get(role)
        if client is None:
            client = clients[role] = Client()
            client.login(username=plan["logins"][role][0], password=PASSWORD)
        client.get(path)
        timer = _DatabaseTimer()
        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 200:
            found.append((name, len(queries.captured_queries), timer.seconds * 1000, elapsed))
    return found


class _DatabaseTimer:
    """An execute wrapper adding up the time statements take (the database's share of a request)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


# Report -----------------------------------------------------------------------------------------


def _f(value: float, digits: int = 0) -> str:
    return "–" if value != value else f"{value:,.{digits}f}"  # NaN: not measured


def requests_table(run: LocustRun) -> str:
    rows = sorted((r for r in run.rows if r.requests), key=lambda r: -r.p95)
    body = [
        [f"{r.method} {r.name}", r.requests, r.failures, _f(r.p50), _f(r.p95), _f(r.p99), _f(r.rps, 2)]
        for r in rows
    ]
    if run.total is not None:
        t = run.total
        body.append(["**all**", t.requests, t.failures, _f(t.p50), _f(t.p95), _f(t.p99), _f(t.rps, 1)])
    return md_table(["request", "n", "failures", "p50 ms", "p95 ms", "p99 ms", "req/s"], body)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not 8620 <= args.port <= 8639:
        print(f"warning: port {args.port} is outside 8620–8639", flush=True)
    started_all = time.perf_counter()
    url, data_dir = benchlib.prepare_database(args.database)
    env = benchlib.django_env(url, data_dir)
    benchlib.setup_django(url, data_dir)
    facts = benchlib.machine_facts(url)
    print(f"== load: {benchlib.redact(url)}, data in {data_dir}", flush=True)
    from django.core.management import call_command
    from django.db import connections

    benchlib.migrate()
    call_command("collectstatic", interactive=False, verbosity=0)
    plan = set_up_company(args.customers, args.seed)
    folder = Path(data_dir) / "load"
    folder.mkdir(parents=True, exist_ok=True)
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    before = counts()
    connections.close_all()

    log = Path(data_dir) / "gunicorn.log"
    print(f"== gunicorn: {args.workers} workers on port {args.port}", flush=True)
    with benchlib.gunicorn(env, args.port, args.workers, log) as server:
        queries = [plan["searches"][plan["logins"]["reps"][-1]][0]["pinyin"]]
        baseline = single_user_baseline(args.port, plan["logins"]["reps"][-1], queries)
        print(
            "   single user: "
            + ", ".join(f"{k} p50 {statistics.median(v):.0f} ms" for k, v in baseline.items()),
            flush=True,
        )
        print(f"== locust: {USERS} users, think time {args.think} s, {args.seconds} s", flush=True)
        load = run_locust(
            "load",
            plan_path=plan_path,
            folder=folder,
            port=args.port,
            seconds=args.seconds,
            wait=args.think,
            master_pid=server.pid,
        )
        middle = counts()
        print(
            f"== locust: {USERS} users, no think time (saturation), {args.saturation_seconds} s", flush=True
        )
        saturation = run_locust(
            "saturation",
            plan_path=plan_path,
            folder=folder,
            port=args.port,
            seconds=args.saturation_seconds,
            wait="0",
            master_pid=server.pid,
        )
    after = counts()
    mismatches = ledger_check()
    costs = page_costs(plan)
    facts["load_average_after"] = benchlib.load_average()
    for run in (load, saturation):
        t = run.total
        if t is not None:
            print(
                f"FIGURE {run.label}: {t.requests} requests, {t.rps:.1f} req/s, p50 {t.p50:.0f} ms, "
                f"p95 {t.p95:.0f} ms, p99 {t.p99:.0f} ms, failures {t.failures}, "
                f"refusals {sum(run.counters.get('refusals', {}).values())}, worker peak RSS "
                f"{run.rss['worker max']:.0f} MiB, master {run.rss['master']:.0f} MiB",
                flush=True,
            )
    done_load = {k: middle[k] - before[k] for k in before}
    done_sat = {k: after[k] - middle[k] for k in before}
    print(f"   load run: {done_load}", flush=True)
    print(f"   saturation run: {done_sat}", flush=True)
    print("   ledgers: " + ("consistent" if not mismatches else f"{len(mismatches)} MISMATCHES"), flush=True)
    for m in mismatches[:20]:
        print(f"     {m}", flush=True)

    report = build_report(
        args, facts, plan, baseline, load, saturation, done_load, done_sat, mismatches, costs
    )
    report["notes_md"] += f"\n\nWhole run (set-up included): {time.perf_counter() - started_all:.0f} s."
    if args.json_out:
        benchlib.write_report(args.json_out, **report)
        print(f"   report: {args.json_out}", flush=True)
    else:
        print(report["notes_md"], flush=True)
    if benchlib.is_postgres(url):
        pass  # the database stays for a look afterwards; the next run drops it
    return 2 if mismatches else 0


def build_report(
    args: argparse.Namespace,
    facts: dict[str, Any],
    plan: dict[str, Any],
    baseline: dict[str, list[float]],
    load: LocustRun,
    saturation: LocustRun,
    done_load: dict[str, int],
    done_sat: dict[str, int],
    mismatches: list[str],
    costs: list[tuple[str, int, float, float]],
) -> dict[str, Any]:
    def row(run: LocustRun, name: str) -> Row | None:
        return next((r for r in run.rows if r.name == name), None)

    lt = load.total
    st = saturation.total
    nan = float("nan")
    refusals = load.counters.get("refusals", {})
    sat_refusals = saturation.counters.get("refusals", {})
    health_p95 = percentile(load.health_ms, 0.95)
    customer_list = row(load, "customer list")
    search = row(load, "customer search (pinyin)")
    create = row(load, "order create (save)")
    single_list = statistics.median(baseline["customer list"])
    single_search = statistics.median(baseline["customer search (pinyin)"])
    failures = lt.failures if lt else 0
    figures = [
        Figure("load_requests_per_s", lt.rps if lt else nan, "req/s"),
        Figure(
            "load_p95_ms",
            lt.p95 if lt else nan,
            "ms",
            baseline="/healthz p95 under the same load (probe every 0.5 s)",
            baseline_value=health_p95,
        ),
        Figure("load_p50_ms", lt.p50 if lt else nan, "ms"),
        Figure("load_p99_ms", lt.p99 if lt else nan, "ms"),
        Figure(
            "customer_list_p50_ms",
            customer_list.p50 if customer_list else nan,
            "ms",
            baseline="the same page's p50, one user alone (30 requests)",
            baseline_value=single_list,
        ),
        Figure(
            "customer_search_pinyin_p50_ms",
            search.p50 if search else nan,
            "ms",
            baseline="the same search's p50, one user alone (30 requests)",
            baseline_value=single_search,
        ),
        Figure("order_create_p95_ms", create.p95 if create else nan, "ms"),
        Figure(
            "login_storm_p95_ms",
            load.counters.get("logins", {}).get("POST login", {}).get("p95", nan),
            "ms",
        ),
        Figure("load_failures", failures, "requests", target="0", met=failures == 0),
        Figure("load_business_refusals", sum(refusals.values()), "requests"),
        Figure("saturation_requests_per_s", st.rps if st else nan, "req/s"),
        Figure("saturation_p95_ms", st.p95 if st else nan, "ms"),
        Figure(
            "saturation_failures",
            st.failures if st else 0,
            "requests",
            target="0",
            met=(st.failures if st else 0) == 0,
        ),
        Figure("worker_peak_rss_mib", max(load.rss["worker max"], saturation.rss["worker max"]), "MiB"),
        Figure("master_peak_rss_mib", max(load.rss["master"], saturation.rss["master"]), "MiB"),
        Figure("orders_created", done_load["orders_created"], "orders"),
        Figure("orders_approved", done_load["orders_approved"], "orders"),
        Figure("shipments_posted", done_load["shipments"], "shipments"),
        Figure("receipts_recorded", done_load["receipts"], "receipts"),
        Figure("ledger_mismatches", len(mismatches), "rows", target="0", met=not mismatches),
    ]

    def refusal_lines(found: dict[str, int]) -> str:
        if not found:
            return "none"
        return "; ".join(f"{k} × {v}" for k, v in sorted(found.items(), key=lambda kv: -kv[1]))

    def failure_lines(run: LocustRun) -> str:
        if not run.failures:
            return "none"
        return "\n".join(
            f"- {f.get('Method')} {f.get('Name')}: {f.get('Error')} × {f.get('Occurrences')}"
            for f in run.failures
        )

    def memory(run: LocustRun) -> str:
        peaks = ", ".join(f"{v:.0f}" for v in run.worker_peaks)
        return (
            f"master {run.rss['master']:.0f} MiB; workers' peaks {peaks} MiB "
            f"(mean {run.rss['worker mean']:.0f}); {run.memory_samples} samples"
        )

    def logins(run: LocustRun) -> str:
        found = run.counters.get("logins", {})
        if not found:
            return "not recorded"
        return "; ".join(
            f"{k}: {int(v['requests'])} requests, {int(v['failures'])} failures, p50 {v['p50']:.0f} ms, "
            f"p95 {v['p95']:.0f} ms"
            for k, v in found.items()
        )

    slowest = sorted(load.rows, key=lambda r: -r.p95)[:3]
    cost_table = md_table(
        [
            "page (one request, warm, in-process)",
            "SQL statements",
            "ms in database",
            "ms in all",
            "share in database",
        ],
        [[n, q, _f(db, 1), _f(total, 1), f"{db / total:.0%}" if total else "–"] for n, q, db, total in costs],
    )
    customers = len(TEAMS) * REPS_PER_TEAM * args.customers
    where = "SQLite (temp file)" if args.database in ("", "sqlite") else benchlib.redact(args.database)
    cores = facts["cores"]
    think = args.think.replace(",", "–")
    z = {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0}
    lz = vars(lt) if lt else z
    sz = vars(st) if st else z
    if mismatches:
        ledgers = f"{len(mismatches)} mismatches: " + "; ".join(mismatches[:10])
    else:
        ledgers = "Both consistent (inventory and finance `ledger_mismatches()` empty)."
    slow = ", ".join(f"{r.method} {r.name} ({r.p95:.0f} ms)" for r in slowest)
    notes = f"""**Method.** {where}; gunicorn (sync workers: {args.workers} = 2 × {cores} cores + 1 unless
`--workers`) on port {args.port}, `MAOYI_DEBUG=0`, static files collected (whitenoise). Data: the demo
company plus, through the services, {len(TEAMS)} sales teams (a manager — the approver of the team's
orders — and {REPS_PER_TEAM} salespeople each), {args.customers} customers per salesperson ({customers:,}
in all, a tenth with a credit limit of 30,000), {LOGISTICS} logistics staff, {FINANCE} finance clerks,
{len(BENCH_PRODUCTS)} products with 10,000,000 in stock and one scarce one (3,000; 5 % of orders ask for
it, so that "stock short" happens). locust {_locust_version()} (FastHttpUser, one process) with {USERS}
users weighted 40 salespeople / 5 managers / 3 logistics / 2 finance, each logged in through the login
page (CSRF) as a distinct employee of its role, working the HTML pages (ids and form fields read from the
pages served, as a browser would) and the htmx partial the order form sends (availability, once on load
and once per line typed). Salespeople: customer list, search by name and by pinyin initials, open a
customer, log an activity (跟进), order list and an order, write an order with 1–3 lines and submit it.
Managers: approval inbox, open a waiting approval, approve it (over a credit limit: approve again with the
override reason; stock short: reject). Logistics: 待发货, shipping form, post it (FEFO lots). Finance:
receivables, a receivable, 收款 prefilled from it, post it. Think time {think} s between tasks (a task is
2–10 requests sent without pause, as a page and its follow-up would be). Saturation: the same mix and
users with no think time for {args.saturation_seconds} s — the most the server sustains here, with locust
itself sharing the {cores} cores. Baselines: `/healthz` probed every 0.5 s during the measured window of
the load run (its p95 is the baseline of the overall p95), and the customer list / pinyin search p50 with
one user alone (30 requests after 5 warm-ups) before the load (ratio = loaded ÷ alone). Memory: psutil
RSS of the master and each worker every 0.5 s over each whole run (logins included).

**Logins.** All {USERS} users log in at once (spawn 25/s) before the measured window opens; the password
hash is Argon2 (Django's defaults: 100 MiB, 2 passes), so the storm queues on the workers:
{logins(load)}. The window of each run starts once the last user is in and lasts `--seconds`
(statistics are reset then).

**Load run ({args.seconds} s, think time).** {lz["requests"]} requests, {lz["rps"]:.1f} req/s,
p50 {lz["p50"]:.0f} / p95 {lz["p95"]:.0f} / p99 {lz["p99"]:.0f} ms; /healthz p95 {health_p95:.0f} ms
({len(load.health_ms)} probes, {load.health_errors} errors). Business done: {done_load["orders_created"]}
orders created, {done_load["orders_submitted"]} submitted, {done_load["orders_approved"]} approved,
{done_load["shipments"]} shipments, {done_load["receipts"]} receipts, {done_load["activities"]} activities.
Refusals shown on the page (not errors): {refusal_lines(refusals)}.

{requests_table(load)}

Failures: {failure_lines(load)}

**Saturation ({args.saturation_seconds} s, no think time).** {sz["requests"]} requests, {sz["rps"]:.1f}
req/s, p50 {sz["p50"]:.0f} / p95 {sz["p95"]:.0f} / p99 {sz["p99"]:.0f} ms. Business done:
{done_sat["orders_created"]} orders created, {done_sat["orders_approved"]} approved,
{done_sat["shipments"]} shipments, {done_sat["receipts"]} receipts. Refusals: {refusal_lines(sat_refusals)}.

{requests_table(saturation)}

Failures: {failure_lines(saturation)}

**Memory.** Load run: {memory(load)}. Saturation: {memory(saturation)}.

**Ledgers afterwards.** {ledgers}

**Where the slowest requests spend time.** Slowest by p95 under load: {slow}. Under load most of a
request's time is queueing for one of the {args.workers} sync workers on {cores} cores shared with the
database and locust: compare each page's p50 loaded with its cost alone below. Each page once, in-process
(Django test client, warm), its SQL statements and the time in the database:

{cost_table}
"""
    return {
        "name": NAME,
        "title": TITLE,
        "figures": figures,
        "machine": facts,
        "notes_md": notes,
        "invariants_ok": not mismatches,
    }


def _locust_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("locust")  # not imported: locust monkey-patches the process with gevent
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
