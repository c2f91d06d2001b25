"""Stock ledger benchmark: how the availability lookup and the stock-balance page scale with the size
of the ledger.

It migrates a fresh database, bulk-loads a consistent ledger (Lot, StockMove, StockBalance and
StockLevel rows, balances equal to the sums of the moves) at two scales in the same run, checks the
ledger, and times, warm, over many runs:

- availability: `maoyi.inventory.selectors.availability(product)` for a random product;
- balance page: the first page (50 rows) of `selectors.balances()` with its count, as the web
  page's paginator runs it (`.count()` and a slice);
- the balances web page's own queries, when those selectors exist: `selectors.balance_list()` paged
  the same way (balance_list_page), and `selectors.balance_totals()` of it (balance_totals); the
  page runs both.

Usage (see bench/README.md):

    .venv/bin/python bench/stock_ledger.py                                   # SQLite in a temp dir
    .venv/bin/python bench/stock_ledger.py --database postgres://postgres@127.0.0.1:5432/maoyi_bench

The PostgreSQL database named in --database is DROPPED and created anew: its name must contain
"bench" (or pass --force).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WAREHOUSES = 2
LOTS_PER_PRODUCT = 5
PAGE_SIZE = 50
CHUNK_PRODUCTS = 500  # products generated and written per batch
NAMES = (
    "一次性使用无菌注射器",
    "一次性使用静脉输液针",
    "一次性使用静脉留置针",
    "一次性使用末梢采血针",
    "医用纱布块",
    "透明薄膜敷贴",
    "水胶体敷料",
    "医用外科口罩",
    "医用防护口罩",
    "医用橡胶检查手套",
    "一次性使用真空采血管",
    "血糖试纸",
)


# Arguments and database -------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--moves", type=int, default=1_000_000, help="stock moves at the large scale")
    parser.add_argument("--products", type=int, default=10_000, help="products at the large scale")
    parser.add_argument("--small-moves", type=int, default=10_000, help="stock moves at the small scale")
    parser.add_argument("--small-products", type=int, default=100, help="products at the small scale")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query (at least 30)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs per query and scale first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--results", default=str(RESULTS), help="folder for <date>-stock.md/.json")
    parser.add_argument("--no-results", action="store_true", help="print the figures only")
    parser.add_argument("--force", action="store_true", help="drop a database whose name lacks 'bench'")
    args = parser.parse_args(argv)
    if args.runs < 30:
        parser.error("--runs must be at least 30")
    for name in ("moves", "products", "small_moves", "small_products"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive")
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


def setup_django(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """Django on the large scale's database; returns its URL and each scale's database NAME. The
    small scale gets a database of its own beside it (`<name>_small`, or small.sqlite3), so the
    two can be timed in alternation under the same machine load."""
    data_dir = tempfile.mkdtemp(prefix="maoyi-bench-")
    url = args.database or f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
    parsed = urlparse(url)
    if url.startswith(("postgres://", "postgresql://")):
        large_name = parsed.path.lstrip("/")
        names = {"small": f"{large_name}_small", "large": large_name}
        for name in names.values():
            recreate_postgres(parsed._replace(path=f"/{name}").geturl(), force=args.force)
    elif url.startswith("sqlite:"):
        names = {
            "small": str(Path(data_dir) / "small.sqlite3"),
            "large": str(Path(data_dir) / "bench.sqlite3"),
        }
        if args.database:
            large_path = Path(parsed.path[1:] if parsed.path.startswith("//") else parsed.path)
            names = {
                "small": str(large_path.with_name(f"{large_path.stem}_small.sqlite3")),
                "large": str(large_path),
            }
            for path in names.values():
                Path(path).unlink(missing_ok=True)
    else:
        raise SystemExit("--database must be a postgres:// or sqlite:/// URL")
    os.environ["MAOYI_DATABASE_URL"] = url
    os.environ["MAOYI_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "maoyi.config.settings"
    os.environ.setdefault("MAOYI_SECURE_COOKIES", "0")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    return url, names


def use_database(name: str) -> None:
    """Point the default connection at another database of the same server (or file)."""
    from django.db import connections

    connection = connections["default"]
    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name


def migrate(name: str) -> None:
    from django.core.management import call_command

    use_database(name)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated a fresh database in {time.perf_counter() - started:.1f} s ({name})", flush=True)


def redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()
    return url


# Loading ----------------------------------------------------------------------------------------


@dataclass
class Scale:
    name: str
    moves: int
    products: int


@dataclass
class Loaded:
    moves: int = 0
    lots: int = 0
    balances: int = 0
    balances_with_stock: int = 0
    levels: int = 0
    seconds_generate_and_insert: float = 0.0
    seconds_analyze: float = 0.0
    seconds_check: float = 0.0
    check: str = ""
    mismatches: int = 0


def vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def table_columns(model: Any, names: Sequence[str]) -> tuple[str, list[str]]:
    meta = model._meta
    return meta.db_table, [meta.get_field(n).column for n in names]


class Writer:
    """COPY on PostgreSQL, executemany on SQLite: rows go straight into the tables."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor

    def write(self, model: Any, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        table, columns = table_columns(model, names)
        count = 0
        self.connection.ensure_connection()
        raw = self.connection.connection
        if self.vendor == "postgresql":
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 20_000:
                raw.executemany(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            raw.executemany(statement, batch)
            count += len(batch)
        return count


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def stamp(moment: dt.datetime, is_sqlite: bool) -> Any:
    """SQLite stores Django datetimes as naive UTC text; psycopg takes the aware datetime."""
    if is_sqlite:
        return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return moment


def generate_product(
    rng: random.Random,
    *,
    product_id: int,
    lot_ids: Sequence[int],
    warehouse_ids: Sequence[int],
    moves: int,
    first_move_id: int,
    start: dt.datetime,
    user_id: int,
    is_sqlite: bool,
) -> tuple[list[tuple[Any, ...]], dict[tuple[int, int], int], dict[int, tuple[int, int]]]:
    """One product's moves in time order: receipts (the first ones opening stock) and issues at the
    moving-average cost, never below zero; returns the move rows, the final lot balances
    {(warehouse, lot): quantity} and the levels {warehouse: (quantity, value in cents)}."""
    balance: dict[tuple[int, int], int] = {}
    level = {w: (0, 0) for w in warehouse_ids}
    base_cost = rng.randint(10, 20_000)  # cents: 0.10 to 200 yuan
    rows: list[tuple[Any, ...]] = []
    moment = start + dt.timedelta(seconds=rng.randint(0, 3600))
    for k in range(moves):
        warehouse = rng.choice(warehouse_ids)
        lot = rng.choice(lot_ids)
        have = balance.get((warehouse, lot), 0)
        on_hand, value = level[warehouse]
        if have == 0 or rng.random() < 0.55:
            quantity = rng.randint(10, 500)
            cost = max(1, base_cost + rng.randint(-base_cost // 10, base_cost // 10))
            move_value = quantity * cost
            unit_cost = money(cost)
            kind = "opening" if k < len(warehouse_ids) else "receipt"
        else:
            quantity = -rng.randint(1, have)
            taken = -quantity
            # Half up, in cents; the issue that empties the stock takes exactly the value left.
            share = value if taken == on_hand else (2 * taken * value + on_hand) // (2 * on_hand)
            move_value = -share
            unit_cost = Decimal(value * 10_000 // on_hand).scaleb(-6)  # the average, 6 places
            kind = "issue"
        balance[(warehouse, lot)] = have + quantity
        level[warehouse] = (on_hand + quantity, value + move_value)
        move_id = first_move_id + k
        moment += dt.timedelta(minutes=rng.randint(1, 600))
        rows.append(
            (
                move_id,
                product_id,
                warehouse,
                lot,
                kind,
                quantity,
                unit_cost,
                money(move_value),
                "bench",
                move_id,
                f"BENCH{move_id:08d}",
                stamp(moment, is_sqlite),
                user_id,
            )
        )
    return rows, balance, level


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from maoyi.catalog.models import Product
    from maoyi.inventory.models import Lot, StockBalance, StockLevel, StockMove, Warehouse

    statements = connection.ops.sequence_reset_sql(
        no_style(), [Product, Warehouse, Lot, StockMove, StockBalance, StockLevel]
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def load(scale: Scale, *, seed: int) -> Loaded:
    """Products, warehouses, lots and a consistent ledger, written in batches."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from maoyi.catalog.models import Product
    from maoyi.inventory.models import Lot, StockBalance, StockLevel, StockMove, Warehouse
    from maoyi.org.pinyin import initials

    rng = random.Random(f"{seed}-{scale.name}")
    loaded = Loaded()
    is_sqlite = connection.vendor == "sqlite"
    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first() or user_model.objects.create_user(
        username="bench", password=None
    )
    today = timezone.localdate()
    now = timezone.now()
    start = now - dt.timedelta(days=730)
    per_product = [scale.moves // scale.products] * scale.products
    for i in range(scale.moves % scale.products):
        per_product[i] += 1
    pinyin = {name: initials(name) for name in NAMES}
    writer = Writer()
    started = time.perf_counter()
    if is_sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    with transaction.atomic():
        warehouses = [
            Warehouse(id=w, code=f"WH{w:02d}", name=f"仓库{w:02d}", is_active=True)
            for w in range(1, WAREHOUSES + 1)
        ]
        Warehouse.objects.bulk_create(warehouses)
        warehouse_ids = [w.id for w in warehouses]
        move_id = lot_id = balance_id = level_id = 1
        for chunk_start in range(0, scale.products, CHUNK_PRODUCTS):
            chunk = range(chunk_start + 1, min(chunk_start + CHUNK_PRODUCTS, scale.products) + 1)
            products = []
            for pid in chunk:
                name = NAMES[pid % len(NAMES)]
                products.append(
                    Product(
                        id=pid,
                        code=f"P{pid:06d}",
                        name=f"{name} {pid}",
                        pinyin=pinyin[name],
                        specification=f"规格{pid % 17 + 1}",
                        unit="支",
                        purchase_price=Decimal(rng.randint(10, 50_000)).scaleb(-2),
                        sale_price=Decimal(rng.randint(10, 90_000)).scaleb(-2),
                        min_stock=Decimal(rng.choice((0, 0, 100, 1000))),
                    )
                )
            Product.objects.bulk_create(products, batch_size=1000)
            lots: list[tuple[Any, ...]] = []
            moves: list[tuple[Any, ...]] = []
            balances: list[tuple[Any, ...]] = []
            levels: list[tuple[Any, ...]] = []
            for pid in chunk:
                lot_ids = list(range(lot_id, lot_id + LOTS_PER_PRODUCT))
                for n, lid in enumerate(lot_ids):
                    expiry = today + dt.timedelta(days=rng.randint(-60, 3 * 365))
                    produced = expiry - dt.timedelta(days=rng.choice((365, 730, 1095)))
                    lots.append(
                        (lid, pid, f"L{produced:%Y%m%d}{n}", produced, expiry, stamp(start, is_sqlite))
                    )
                lot_id += LOTS_PER_PRODUCT
                rows, balance, level = generate_product(
                    rng,
                    product_id=pid,
                    lot_ids=lot_ids,
                    warehouse_ids=warehouse_ids,
                    moves=per_product[pid - 1],
                    first_move_id=move_id,
                    start=start,
                    user_id=user.pk,
                    is_sqlite=is_sqlite,
                )
                move_id += len(rows)
                moves.extend(rows)
                for (warehouse, lid), quantity in sorted(balance.items()):
                    balances.append((balance_id, pid, warehouse, lid, quantity))
                    balance_id += 1
                    loaded.balances_with_stock += quantity > 0
                for warehouse, (quantity, value) in sorted(level.items()):
                    if quantity or value or any(w == warehouse for w, _l in balance):
                        levels.append((level_id, pid, warehouse, quantity, 0, money(value)))
                        level_id += 1
            loaded.lots += writer.write(
                Lot, ("id", "product", "lot_number", "production_date", "expiry_date", "created_at"), lots
            )
            loaded.moves += writer.write(
                StockMove,
                (
                    "id",
                    "product",
                    "warehouse",
                    "lot",
                    "kind",
                    "quantity",
                    "unit_cost",
                    "value",
                    "source_type",
                    "source_id",
                    "source_number",
                    "created_at",
                    "created_by",
                ),
                moves,
            )
            loaded.balances += writer.write(
                StockBalance, ("id", "product", "warehouse", "lot", "on_hand"), balances
            )
            loaded.levels += writer.write(
                StockLevel, ("id", "product", "warehouse", "on_hand", "reserved", "value"), levels
            )
            print(
                f"  {scale.name}: {loaded.moves:>9,} moves loaded ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        reset_sequences()
    if is_sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=FULL")
    loaded.seconds_generate_and_insert = time.perf_counter() - started
    started = time.perf_counter()
    analyze()
    loaded.seconds_analyze = time.perf_counter() - started
    return loaded


# Checking ---------------------------------------------------------------------------------------

SQL_CHECKS = {
    "balances that differ from the sum of their moves": """
        SELECT COUNT(*) FROM inventory_stockbalance b
        LEFT JOIN (SELECT product_id, warehouse_id, lot_id, SUM(quantity) AS q
                   FROM inventory_stockmove GROUP BY product_id, warehouse_id, lot_id) m
          ON m.product_id = b.product_id AND m.warehouse_id = b.warehouse_id AND m.lot_id = b.lot_id
        WHERE ROUND(COALESCE(m.q, 0), 4) <> ROUND(b.on_hand, 4)""",
    "move groups without a balance": """
        SELECT COUNT(*) FROM (SELECT product_id, warehouse_id, lot_id
                              FROM inventory_stockmove GROUP BY product_id, warehouse_id, lot_id) m
        LEFT JOIN inventory_stockbalance b
          ON m.product_id = b.product_id AND m.warehouse_id = b.warehouse_id AND m.lot_id = b.lot_id
        WHERE b.id IS NULL""",
    "levels that differ from the sum of their moves (quantity or value)": """
        SELECT COUNT(*) FROM inventory_stocklevel l
        LEFT JOIN (SELECT product_id, warehouse_id, SUM(quantity) AS q, SUM(value) AS v
                   FROM inventory_stockmove GROUP BY product_id, warehouse_id) m
          ON m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id
        WHERE ROUND(COALESCE(m.q, 0), 4) <> ROUND(l.on_hand, 4)
           OR ROUND(COALESCE(m.v, 0), 2) <> ROUND(l.value, 2)
           OR (l.on_hand = 0 AND l.value <> 0)""",
    "sample: 200 random balances against their moves": """
        SELECT COUNT(*) FROM (SELECT * FROM inventory_stockbalance ORDER BY random() LIMIT 200) b
        WHERE ROUND(b.on_hand, 4) <> ROUND((SELECT COALESCE(SUM(quantity), 0) FROM inventory_stockmove m
                            WHERE m.product_id = b.product_id AND m.warehouse_id = b.warehouse_id
                              AND m.lot_id = b.lot_id), 4)""",
}


def sql_problems() -> list[str]:
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        for label, statement in SQL_CHECKS.items():
            cursor.execute(statement)
            (count,) = cursor.fetchone()
            if count:
                problems.append(f"{label}: {count}")
    return problems


def check(scale: Scale, loaded: Loaded, *, full: bool) -> None:
    """The small scale runs the app's own `ledger_mismatches()`; the large one the same invariants
    in SQL (the full comparison over every row, compared to the cent, and a random sample).

    On SQLite, money is stored as REAL and Django does not round the SUM() of a DecimalField to
    its places (only plain columns), so `ledger_mismatches()` can see float noise such as
    835405.850000001 ≠ 835405.85 on large values; the SQL checks then decide, and the noise is
    reported."""
    from maoyi.inventory import selectors
    from maoyi.inventory.models import StockMove

    started = time.perf_counter()
    problems: list[str] = []
    if full:
        problems = selectors.ledger_mismatches()
        loaded.check = "ledger_mismatches()"
        if problems and vendor() == "sqlite" and not sql_problems():
            print(
                f"  {scale.name}: WARNING ledger_mismatches() reports {len(problems)} row(s) that the "
                f"SQL checks (to the cent) find equal: SQLite float noise, e.g. {problems[0]}"
            )
            loaded.check = f"ledger_mismatches() ({len(problems)} float-noise rows on SQLite) + SQL"
            problems = []
    else:
        problems = sql_problems()
        loaded.check = "SQL: " + "; ".join(SQL_CHECKS)
    if StockMove.objects.count() != scale.moves:
        problems.append(f"{StockMove.objects.count()} moves instead of {scale.moves}")
    loaded.seconds_check = time.perf_counter() - started
    loaded.mismatches = len(problems)
    if problems:
        raise SystemExit(f"{scale.name}: the loaded ledger is inconsistent: {problems[:5]}")
    print(f"  {scale.name}: ledger checked with {loaded.check.split(':')[0]} in {loaded.seconds_check:.1f} s")


# Timing -----------------------------------------------------------------------------------------


@dataclass
class Timing:
    runs: int
    p50_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    queries: int


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def queries_of(fn: Callable[[], Any]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


def explain(statement: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {statement}")
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return "\n".join(r[0] for r in rows)
    return "\n".join(" ".join(str(c) for c in r) for r in rows)


@dataclass
class Workload:
    name: str
    fn: Callable[[], Any]
    description: str


def workloads(rng: random.Random) -> list[Workload]:
    from django.core.paginator import Paginator
    from django.utils import timezone

    from maoyi.catalog.models import Product
    from maoyi.inventory import selectors

    products = list(Product.objects.all())

    def availability() -> Any:
        return selectors.availability(rng.choice(products))

    def balance_page() -> Any:
        paginator = Paginator(selectors.balances(), PAGE_SIZE)
        page = paginator.page(1)  # validating the number runs the count, as the web page does
        return paginator.count, list(page.object_list)

    found = [
        Workload("availability", availability, "selectors.availability(product) for a random product"),
        Workload(
            "balance_page",
            balance_page,
            f"selectors.balances(): Paginator count + first page of {PAGE_SIZE} rows",
        ),
    ]
    balance_list = getattr(selectors, "balance_list", None)
    balance_totals = getattr(selectors, "balance_totals", None)
    if balance_list is not None:

        def balance_list_page() -> Any:
            paginator = Paginator(balance_list(today=timezone.localdate()), PAGE_SIZE)
            page = paginator.page(1)
            return paginator.count, list(page.object_list)

        found.append(
            Workload(
                "balance_list_page",
                balance_list_page,
                "the balances web page's own query: selectors.balance_list() (unexpired lots, "
                f"default order), Paginator count + first page of {PAGE_SIZE} rows",
            )
        )
    if balance_list is not None and balance_totals is not None:

        def totals() -> Any:
            return balance_totals(balance_list(today=timezone.localdate()))

        found.append(
            Workload(
                "balance_totals",
                totals,
                "the balances web page's totals: selectors.balance_totals(selectors.balance_list())",
            )
        )
    return found


@dataclass
class ScaleResult:
    scale: Scale
    loaded: Loaded
    database: str
    timings: dict[str, Timing] = field(default_factory=dict)
    plans: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def load_scale(scale: Scale, args: argparse.Namespace, *, database: str, full_check: bool) -> ScaleResult:
    print(f"== {scale.name}: {scale.moves:,} moves over {scale.products:,} products", flush=True)
    migrate(database)
    loaded = load(scale, seed=args.seed)
    print(
        f"  {scale.name}: loaded in {loaded.seconds_generate_and_insert:.1f} s "
        f"(+ {loaded.seconds_analyze:.1f} s analyze): {loaded.lots:,} lots, "
        f"{loaded.balances:,} balances ({loaded.balances_with_stock:,} with stock), {loaded.levels:,} levels",
        flush=True,
    )
    check(scale, loaded, full=full_check)
    return ScaleResult(scale=scale, loaded=loaded, database=database)


def connection_to(name: str) -> Any:
    """A connection of its own to another database of the same server (or file)."""
    from django.db import connections

    default = connections["default"]
    return type(default)({**default.settings_dict, "NAME": name}, "default")


def time_scales(results: Sequence[ScaleResult], args: argparse.Namespace) -> None:
    """Times every workload at every scale warm, one connection per scale kept open, alternating
    the scales run by run (small, large, large, small, …), so that other work on the machine
    weighs on both alike."""
    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext

    wrappers = {r.scale.name: connection_to(r.database) for r in results}
    connections["default"].close()
    loads = {}
    for result in results:
        connections["default"] = wrappers[result.scale.name]
        loads[result.scale.name] = {
            w.name: w for w in workloads(random.Random(f"{args.seed}-timing-{result.scale.name}"))
        }
    names = [w for w in loads[results[0].scale.name] if all(w in loads[r.scale.name] for r in results)]
    for name in names:
        samples: dict[str, list[float]] = {r.scale.name: [] for r in results}
        queries: dict[str, int] = {}
        for result in results:
            connections["default"] = wrappers[result.scale.name]
            for _ in range(args.warmup):
                loads[result.scale.name][name].fn()
            with CaptureQueriesContext(connection) as captured:
                loads[result.scale.name][name].fn()
            queries[result.scale.name] = len(captured)
        for run in range(args.runs):
            for result in results if run % 2 == 0 else reversed(results):
                connections["default"] = wrappers[result.scale.name]
                fn = loads[result.scale.name][name].fn
                started = time.perf_counter()
                fn()
                samples[result.scale.name].append((time.perf_counter() - started) * 1000)
        for result in results:
            values = samples[result.scale.name]
            timing = Timing(
                runs=len(values),
                p50_ms=statistics.median(values),
                p95_ms=percentile(values, 0.95),
                min_ms=min(values),
                max_ms=max(values),
                queries=queries[result.scale.name],
            )
            result.timings[name] = timing
            print(
                f"  {result.scale.name}: {name:<18} p50 {timing.p50_ms:8.2f} ms  "
                f"p95 {timing.p95_ms:8.2f} ms  ({timing.queries} queries)",
                flush=True,
            )
    for result in results:
        wrappers[result.scale.name].close()
    use_database(results[-1].database)


def shorten(sql: str, limit: int = 1500) -> str:
    """Queries with long IN lists (thousands of ids) are cut for the report."""
    return sql if len(sql) <= limit else f"{sql[:limit]} … ({len(sql):,} characters in all)"


def query_plans(result: ScaleResult) -> None:
    use_database(result.database)
    for work in workloads(random.Random(0)):
        result.plans[work.name] = [
            (shorten(sql), "\n".join(shorten(line, 300) for line in explain(sql).splitlines()))
            for sql in queries_of(work.fn)
        ]


# Reporting --------------------------------------------------------------------------------------


def machine_facts() -> dict[str, Any]:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        (version,) = cursor.fetchone()
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            kb = int(meminfo.readline().split()[1])
            memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
        "database": version,
        "vendor": connection.vendor,
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),  # other work on the machine
    }


def figures(small: ScaleResult, large: ScaleResult) -> dict[str, dict[str, float]]:
    out = {}
    for name, timing in large.timings.items():
        base = small.timings[name]
        out[name] = {
            "p50_ms": round(timing.p50_ms, 3),
            "p95_ms": round(timing.p95_ms, 3),
            "small_p50_ms": round(base.p50_ms, 3),
            "small_p95_ms": round(base.p95_ms, 3),
            "ratio_large_small": round(timing.p50_ms / base.p50_ms, 2) if base.p50_ms else float("nan"),
        }
    return out


def scale_json(result: ScaleResult) -> dict[str, Any]:
    return {
        "scale": asdict(result.scale),
        "loaded": asdict(result.loaded),
        "timings": {k: asdict(v) for k, v in result.timings.items()},
    }


def markdown(day: str, runs: dict[str, Any]) -> str:
    lines = [
        f"# Stock ledger benchmark, {day}",
        "",
        "Made by `bench/stock_ledger.py` (see `bench/README.md`). Times are warm, in milliseconds; "
        "the ratio is the large scale's median over the small scale's.",
        "",
    ]
    for vendor_name, run in sorted(runs.items()):
        facts = run["machine"]
        lines += [
            f"## {vendor_name}",
            "",
            f"Command: `{run['command']}`",
            "",
            f"Machine: {facts['cores']} cores ({facts['cpu']}), {facts['memory']} memory, "
            f"Python {facts['python']}, Django {facts['django']}, {facts['database']}; "
            f"load average {facts.get('load_average', '?')} at the end of the run.",
            "",
            "| figure | small p50 | small p95 | large p50 | large p95 | ratio large/small |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, fig in run["figures"].items():
            lines.append(
                f"| {name} | {fig['small_p50_ms']:.2f} | {fig['small_p95_ms']:.2f} | {fig['p50_ms']:.2f} | "
                f"{fig['p95_ms']:.2f} | {fig['ratio_large_small']:.2f} |"
            )
        lines += [
            "",
            "| scale | moves | products | lots | balances (with stock) | levels | load s | analyze s "
            "| check |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for scale in run["scales"]:
            ld, sc = scale["loaded"], scale["scale"]
            lines.append(
                f"| {sc['name']} | {ld['moves']:,} | {sc['products']:,} | {ld['lots']:,} | "
                f"{ld['balances']:,} ({ld['balances_with_stock']:,}) | {ld['levels']:,} | "
                f"{ld['seconds_generate_and_insert']:.1f} | {ld['seconds_analyze']:.1f} | "
                f"{ld['check'].split(':')[0]}: {ld['mismatches']} mismatches ({ld['seconds_check']:.1f} s) |"
            )
        lines += ["", "Workloads:", ""]
        lines += [f"- `{name}`: {text}" for name, text in run["workloads"].items()]
        lines += ["", "### Query plans at the large scale", ""]
        for name, plans in run["plans"].items():
            lines += [f"#### {name}", ""]
            for sql, plan in plans:
                lines += ["```sql", sql, "```", "", "```", plan, "```", ""]
    return "\n".join(lines) + "\n"


def write_results(folder: Path, run: dict[str, Any]) -> tuple[Path, Path]:
    """<date>-stock.json keeps one run per database (the latest); the .md is made from it."""
    folder.mkdir(parents=True, exist_ok=True)
    day = dt.date.today().isoformat()
    json_path = folder / f"{day}-stock.json"
    md_path = folder / f"{day}-stock.md"
    runs: dict[str, Any] = {}
    if json_path.exists():
        try:
            runs = json.loads(json_path.read_text(encoding="utf-8"))
        except ValueError:
            runs = {}
    runs[run["machine"]["vendor"]] = run
    json_path.write_text(json.dumps(runs, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown(day, runs), encoding="utf-8")
    return md_path, json_path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    url, databases = setup_django(args)
    small = Scale("small", args.small_moves, args.small_products)
    large = Scale("large", args.moves, args.products)
    started = time.perf_counter()
    small_result = load_scale(small, args, database=databases["small"], full_check=True)
    large_result = load_scale(large, args, database=databases["large"], full_check=False)
    print(f"== timing: {args.runs} runs per query and scale, alternating the scales", flush=True)
    time_scales([small_result, large_result], args)
    query_plans(large_result)
    facts = machine_facts()
    figs = figures(small_result, large_result)
    print()
    print(
        f"MACHINE cores={facts['cores']} python={facts['python']} django={facts['django']} "
        f"database={facts['database'].split(' on ')[0]!r} memory={facts['memory']} "
        f"load_average={facts['load_average']!r}"
    )
    for result in (small_result, large_result):
        ld = result.loaded
        print(
            f"LOAD {result.scale.name} moves={ld.moves} products={result.scale.products} "
            f"seconds={ld.seconds_generate_and_insert:.1f} analyze_seconds={ld.seconds_analyze:.1f} "
            f"rate={ld.moves / max(ld.seconds_generate_and_insert, 1e-9):,.0f}/s"
        )
    for name, fig in figs.items():
        print(
            f"FIGURE {name}_ms_p50={fig['p50_ms']:.2f} p95={fig['p95_ms']:.2f} "
            f"ratio_large_small={fig['ratio_large_small']:.2f} "
            f"(small p50={fig['small_p50_ms']:.2f} p95={fig['small_p95_ms']:.2f})"
        )
    if not args.no_results:
        command = "bench/stock_ledger.py" + (f" --database {redact(url)}" if args.database else "")
        if (args.moves, args.products) != (1_000_000, 10_000):
            command += f" --moves {args.moves} --products {args.products}"
        run = {
            "command": command,
            "machine": facts,
            "seconds_total": round(time.perf_counter() - started, 1),
            "runs_per_query": args.runs,
            "figures": figs,
            "workloads": {w.name: w.description for w in workloads(random.Random(0))},
            "scales": [scale_json(small_result), scale_json(large_result)],
            "plans": large_result.plans,
        }
        md_path, json_path = write_results(Path(args.results), run)
        shown = md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path
        print(f"results: {shown}, {json_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
