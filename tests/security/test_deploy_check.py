"""`maoyi check --deploy` is clean for a properly configured production environment.

The environment a production server needs (besides MAOYI_DATABASE_URL and MAOYI_DATA_DIR):
    MAOYI_SECRET_KEY=<50+ random characters: python -c "import secrets; print(secrets.token_urlsafe(64))">
    MAOYI_DEBUG=0                      (the default)
    MAOYI_ALLOWED_HOSTS=erp.example.com
    MAOYI_CSRF_TRUSTED_ORIGINS=https://erp.example.com
    MAOYI_HSTS_SECONDS=31536000        (HSTS with subdomains and preload follows)
    MAOYI_SSL_REDIRECT=1               (or let the reverse proxy redirect, and accept security.W008)
    MAOYI_SECURE_COOKIES=1             (the default: session and CSRF cookies only over HTTPS)
With debug off, settings.py sets the secure cookies, SECURE_PROXY_SSL_HEADER (X-Forwarded-Proto
from the proxy), nosniff, Referrer-Policy, COOP, X-Frame-Options DENY and the CSP.

Run in a subprocess, with the production settings module (not the test settings), so that what
is checked is exactly what `maoyi serve` would load from that environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PRODUCTION = {
    "MAOYI_SECRET_KEY": "k3V9-q8hT2xLw7rN4pZcYb1sJ6fUaGm0dHeQiR5oXtWyKvB_nMjClEgDuAsF",
    "MAOYI_DEBUG": "0",
    "MAOYI_ALLOWED_HOSTS": "erp.example.com",
    "MAOYI_CSRF_TRUSTED_ORIGINS": "https://erp.example.com",
    "MAOYI_HSTS_SECONDS": "31536000",
    "MAOYI_SSL_REDIRECT": "1",
    "MAOYI_SECURE_COOKIES": "1",
}


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MAOYI_", "DJANGO_"))}
    clean.update({"MAOYI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "maoyi.config.settings", **env})
    return subprocess.run(
        [sys.executable, "-m", "maoyi.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_properly_configured_production_environment_passes_without_a_warning(tmp_path: Path) -> None:
    assert len(PRODUCTION["MAOYI_SECRET_KEY"]) >= 50
    result = check_deploy(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("missing", "warning"),
    [
        ("MAOYI_SECRET_KEY", "security.W009"),
        ("MAOYI_HSTS_SECONDS", "security.W004"),
        ("MAOYI_SSL_REDIRECT", "security.W008"),
    ],
)
def test_each_missing_production_setting_is_reported(tmp_path: Path, missing: str, warning: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = check_deploy(tmp_path, **env)
    assert result.returncode == 1
    assert warning in result.stderr + result.stdout


def test_debug_on_or_insecure_cookies_are_reported(tmp_path: Path) -> None:
    result = check_deploy(tmp_path, **{**PRODUCTION, "MAOYI_SECURE_COOKIES": "0"})
    assert result.returncode == 1
    output = result.stderr + result.stdout
    assert "security.W012" in output  # SESSION_COOKIE_SECURE
    assert "security.W016" in output  # CSRF_COOKIE_SECURE
    debug = check_deploy(tmp_path, **{**PRODUCTION, "MAOYI_DEBUG": "1"})
    assert debug.returncode == 1
    assert "security.W018" in debug.stderr + debug.stdout
