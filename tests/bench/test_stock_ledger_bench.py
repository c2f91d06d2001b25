"""The stock ledger benchmark still runs against the current models: a tiny run on SQLite loads a
consistent ledger at both scales and prints every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_stock_benchmark_runs_at_a_tiny_scale_and_prints_its_figures(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAOYI_", "DJANGO_"))}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "stock_ledger.py"),
            "--moves=3000",
            "--products=30",
            "--small-moves=600",
            "--small-products=6",
            "--runs=30",
            "--warmup=1",
            f"--results={tmp_path}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "small: ledger checked with ledger_mismatches()" in out
    assert "large: ledger checked with SQL" in out
    assert "FIGURE availability_ms_p50=" in out
    assert "FIGURE balance_page_ms_p50=" in out
    assert "ratio_large_small=" in out
    assert "LOAD large moves=3000 products=30" in out
    assert len(list(tmp_path.glob("*-stock.md"))) == 1
    assert len(list(tmp_path.glob("*-stock.json"))) == 1
