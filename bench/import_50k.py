"""Import benchmark: a 50,000-row customer file, checked (preview) and imported into an empty
database, the way the import page's background job does it (`read_table`, then
`CUSTOMERS.check`, then `CUSTOMERS.run`). Prints the seconds of each step; not a test.

Usage:

    .venv/bin/python bench/import_50k.py                                   # SQLite in a temp dir
    .venv/bin/python bench/import_50k.py --database postgres://postgres@127.0.0.1:5432/maoyi_import_bench

The PostgreSQL database named in --database is DROPPED and created anew: its name must contain
"bench" (or pass --force). --rows changes the number of rows, --csv writes a CSV instead of .xlsx.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("终端客户", "分销商")
CITIES = ("北京", "上海", "广州", "深圳", "成都", "武汉", "杭州", "南京", "西安", "重庆")


def _recreate_postgres(url: str, *, force: bool) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if "bench" not in name and not force:
        sys.exit(f"refusing to drop {name!r}: its name must contain 'bench' (or pass --force)")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _file(rows: int, *, csv: bool) -> tuple[bytes, str]:
    headers = [
        "客户名称",
        "客户类型",
        "客户等级",
        "电话",
        "税号",
        "地址",
        "客户来源",
        "标签",
        "备注",
        "信用额度",
    ]

    def row(i: int) -> list[str]:
        city = CITIES[i % len(CITIES)]
        return [
            f"{city}第{i}医疗器械有限公司",
            KINDS[i % 2],
            "ABC"[i % 3],
            f"010-{60000000 + i}",
            f"91110000MA{i:08d}",
            f"{city}市第{i % 300}大街{i}号",
            "展会",
            "重点" if i % 5 == 0 else "",
            "",
            f"{(i % 100) * 1000}.00",
        ]

    if csv:
        import csv as csv_module

        out = io.StringIO()
        writer = csv_module.writer(out)
        writer.writerow(headers)
        for i in range(1, rows + 1):
            writer.writerow(row(i))
        return out.getvalue().encode("utf-8-sig"), "customers.csv"
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for i in range(1, rows + 1):
        sheet.append(row(i))
    data = io.BytesIO()
    book.save(data)
    return data.getvalue(), "customers.xlsx"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="a PostgreSQL URL (dropped and created); SQLite by default")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--csv", action="store_true")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="maoyi-import-bench-")
    os.environ["MAOYI_DATA_DIR"] = data_dir
    os.environ.setdefault("MAOYI_DEBUG", "0")
    if args.database:
        _recreate_postgres(args.database, force=args.force)
        os.environ["MAOYI_DATABASE_URL"] = args.database
    else:
        os.environ.pop("MAOYI_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "maoyi.config.settings"
    sys.path.insert(0, str(ROOT / "src"))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from maoyi.core.tabular import read_table
    from maoyi.crm.models import Customer
    from maoyi.crm.services.customer_import import CUSTOMERS

    call_command("migrate", verbosity=0)
    data, name = _file(args.rows, csv=args.csv)
    print(f"database: {connection.vendor}; file: {name}, {len(data) / 1048576:.1f} MB, {args.rows} rows")

    started = time.perf_counter()
    table = read_table(
        io.BytesIO(data), name=name, max_bytes=CUSTOMERS.max_bytes, max_rows=CUSTOMERS.max_rows
    )
    read = time.perf_counter()
    check = CUSTOMERS.check(table, actor=None)
    checked = time.perf_counter()
    assert check.clean, check.problems[:5]
    count = CUSTOMERS.run(table, actor=None)
    imported = time.perf_counter()
    assert count == args.rows == Customer.objects.count()

    print(f"read file      {read - started:6.1f} s")
    print(f"check (preview){checked - read:6.1f} s")
    print(f"import         {imported - checked:6.1f} s")
    print(f"total          {imported - started:6.1f} s")


if __name__ == "__main__":
    main()
