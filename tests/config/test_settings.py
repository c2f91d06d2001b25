"""The production profile passes Django's deployment checklist, and configuration comes from the
MAOYI_* environment variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_maoyi(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    dropped = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MAOYI_") and k not in dropped}
    clean.update(env)
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "maoyi.cli", *args],
        capture_output=True,
        text=True,
        env=clean,
        check=False,
        cwd=ROOT,
    )


def test_deploy_check_is_clean_with_a_real_secret_and_https_settings(tmp_path: Path) -> None:
    result = run_maoyi(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        MAOYI_SECRET_KEY="k3Y-" + "x7Qm9vR2tL5pW8zN4bC6dF1gH0jK" * 2,
        MAOYI_DEBUG="0",
        MAOYI_SSL_REDIRECT="1",
        MAOYI_HSTS_SECONDS="31536000",
        MAOYI_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_the_development_secret(tmp_path: Path) -> None:
    result = run_maoyi("check", "--deploy", MAOYI_DEBUG="0", MAOYI_DATA_DIR=str(tmp_path))
    assert "security.W009" in result.stdout + result.stderr


def test_configuration_comes_from_the_environment(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.DATA_DIR, s.MEDIA_ROOT)"
    )
    result = run_maoyi(
        "shell",
        "--no-imports",
        "-c",
        code,
        MAOYI_DEBUG="1",
        MAOYI_ALLOWED_HOSTS="erp.example.com,localhost",
        MAOYI_DATABASE_URL="postgres://u:p@db.example:5432/maoyi",
        MAOYI_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.strip()
    assert out.startswith("True ['erp.example.com', 'localhost'] django.db.backends.postgresql")
    assert f"{tmp_path} {tmp_path / 'uploads'}" in out


def test_sqlite_runs_in_wal_mode_with_immediate_transactions_and_a_busy_timeout(tmp_path: Path) -> None:
    code = (
        "from django.db import connection as c;"
        "cur = c.cursor(); cur.execute('PRAGMA journal_mode'); print(cur.fetchone()[0]);"
        "print(c.settings_dict['OPTIONS']['transaction_mode'], c.settings_dict['OPTIONS']['timeout'])"
    )
    result = run_maoyi("shell", "--no-imports", "-c", code, MAOYI_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "IMMEDIATE", "20"]
