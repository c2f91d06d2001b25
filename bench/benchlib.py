"""Helpers shared by the benchmark scripts (bench/README.md): database URLs and fresh databases,
Django set-up, machine facts, medians and percentiles, and the JSON report every script writes
with `--json-out` and `bench/run.py` merges:

    {"name": str, "title": str,
     "figures": [{"name", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met"}],
     "machine": {...}, "notes_md": str}
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SHANGHAI = ZoneInfo("Asia/Shanghai")


# Figures ----------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure of a report; `ratio` is value ÷ baseline_value unless given."""

    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline_value:
            self.ratio = self.value / self.baseline_value
        self.value = _round(self.value)
        self.baseline_value = None if self.baseline_value is None else _round(self.baseline_value)
        self.ratio = None if self.ratio is None else _round(self.ratio, 4)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _round(value: float, digits: int = 3) -> float:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return value
    return round(float(value), digits)


def write_report(
    path: str | Path,
    *,
    name: str,
    title: str,
    figures: Sequence[Figure],
    machine: dict[str, Any],
    notes_md: str,
    **extra: Any,
) -> Path:
    """The JSON contract of bench/run.py (extra keys are kept, e.g. "ok": false)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "name": name,
        "title": title,
        "figures": [f.as_json() for f in figures],
        "machine": machine,
        "notes_md": notes_md,
        **extra,
    }
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return out


# Statistics -------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` 0.95 for p95)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[rank - 1])


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A markdown table; `align` is one letter per column (l or r, default l for the first, r else)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# Databases --------------------------------------------------------------------------------------


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    """The same server's URL for another database."""
    return urlparse(url)._replace(path=f"/{name}").geturl()


def derive_url(url: str, suffix: str) -> str:
    """maoyi_bench + "flow" → maoyi_bench_flow (PostgreSQL); a SQLite URL keeps its folder:
    bench.sqlite3 → bench_flow.sqlite3; "sqlite" stays "sqlite" (a temp file)."""
    if is_postgres(url):
        return with_database(url, f"{database_name(url)}_{suffix}")
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        ext = path.suffix or ".sqlite3"
        return f"sqlite:///{path.with_name(f'{path.stem}_{suffix}{ext}')}"
    return url


def redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@")).geturl()
    return url


def recreate_postgres(url: str, *, must_contain: str = "bench") -> None:
    """Drop and create the database named in `url`, through the server's maintenance database;
    refuses a name without `must_contain`."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    if not name:
        raise SystemExit("the database URL names no database")
    if must_contain not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name lacks {must_contain!r}")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres(url: str, *, must_contain: str = "bench") -> None:
    import psycopg
    from psycopg import sql

    name = database_name(url)
    if must_contain not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name lacks {must_contain!r}")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def prepare_database(database: str, *, must_contain: str = "bench") -> tuple[str, str]:
    """A fresh, empty database for a run: PostgreSQL recreated, or a SQLite file ("sqlite" alone: in
    a new temp dir). Returns (url, data dir)."""
    data_dir = tempfile.mkdtemp(prefix="maoyi-bench-")
    if database in ("", "sqlite"):
        return f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}", data_dir
    if is_postgres(database):
        recreate_postgres(database, must_contain=must_contain)
        return database, data_dir
    if database.startswith("sqlite:///"):
        path = Path(database[len("sqlite:///") :])
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        return database, data_dir
    raise SystemExit("--database must be a postgres:// URL, a sqlite:/// URL or 'sqlite'")


def django_env(url: str, data_dir: str) -> dict[str, str]:
    """The environment a Django process (this one, a worker, gunicorn) runs the benchmark with."""
    src = str(ROOT / "src")
    path = os.environ.get("PYTHONPATH", "")
    return {
        "MAOYI_DATABASE_URL": url,
        "MAOYI_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "maoyi.config.settings",
        "MAOYI_SECURE_COOKIES": "0",
        "MAOYI_DEBUG": "0",
        "MAOYI_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "PYTHONPATH": f"{src}{os.pathsep}{path}" if path else src,
    }


def setup_django(url: str, data_dir: str) -> None:
    os.environ.update(django_env(url, data_dir))
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# Machine facts ----------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            kb = int(meminfo.readline().split()[1])
            return f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        return ""


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def database_version(url: str) -> str:
    """PostgreSQL's `version()` through psycopg, or SQLite's library version."""
    if is_postgres(url):
        try:
            import psycopg

            with psycopg.connect(with_database(url, "postgres"), connect_timeout=5) as conn:
                row = conn.execute("SELECT version()").fetchone()
                return str(row[0]) if row else "PostgreSQL ?"
        except Exception as exc:  # the report says what went wrong instead of failing
            return f"PostgreSQL (unreachable: {exc.__class__.__name__})"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def machine_facts(url: str = "") -> dict[str, Any]:
    try:
        import django

        django_version = django.get_version()
    except ImportError:
        django_version = "?"
    facts: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _memory(),
        "python": platform.python_version(),
        "django": django_version,
        "platform": platform.platform(),
        "load_average": load_average(),
    }
    if url:
        facts["database"] = database_version(url)
    return facts


def today_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@contextmanager
def gunicorn(
    env: dict[str, str], port: int, workers: int, log: Path, *, wait_seconds: int = 90
) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn serving Maoyi with `env` on 127.0.0.1:`port` until /healthz answers; stopped after."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "maoyi.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
        "--timeout",
        "120",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.time() + wait_seconds
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited ({server.returncode}); see {log}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        conn.close()
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"gunicorn did not answer /healthz within {wait_seconds} s; see {log}")
                time.sleep(0.3)
            yield server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
