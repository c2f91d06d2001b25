"""Vendored front-end assets (scripts/vendor_assets.py): integrity, licences, no CDN references.

Plain file checks: no Django settings or database needed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "maoyi" / "static" / "vendor"
MANIFEST = VENDOR / "VENDOR.json"
TEMPLATES = ROOT / "src" / "maoyi" / "templates"
LICENCE_PREFIXES = ("LICENSE", "LICENCE", "NOTICE")

# <script src=...> / <link href=...> whose URL is absolute (http://, https://) or protocol-relative (//).
_TAG = re.compile(r"<(script|link)\b[^>]*>", re.IGNORECASE)
_EXTERNAL_ATTR = {
    "script": re.compile(r"""(?<![\w-])src\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE),
    "link": re.compile(r"""(?<![\w-])href\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE),
}


def _manifest() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert data, "VENDOR.json lists no packages"
    return data


def _listed_files() -> dict[str, str]:
    """Map of path relative to VENDOR -> sha256, for every file in VENDOR.json."""
    listed: dict[str, str] = {}
    for package, entry in _manifest().items():
        files = entry["files"]
        assert isinstance(files, dict) and files, f"{package}: no files listed"
        listed.update({f"{package}/{rel}": sha for rel, sha in files.items()})
    return listed


def external_tags(html: str) -> list[str]:
    """The <script src>/<link href> tags in html that would load something from another host."""
    return [m.group(0) for m in _TAG.finditer(html) if _EXTERNAL_ATTR[m.group(1).lower()].search(m.group(0))]


def test_listed_vendor_files_exist_with_matching_sha256() -> None:
    for rel, sha in _listed_files().items():
        path = VENDOR / rel
        assert path.is_file(), f"listed in VENDOR.json but missing: {rel}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, f"contents changed: {rel}"


def test_every_vendor_file_is_listed_in_manifest() -> None:
    listed = _listed_files()
    on_disk = [p for p in VENDOR.rglob("*") if p.is_file() and p != MANIFEST]
    assert on_disk, "src/maoyi/static/vendor/ is empty: run python scripts/vendor_assets.py"
    unlisted = [
        p.relative_to(VENDOR).as_posix()
        for p in on_disk
        if p.relative_to(VENDOR).as_posix() not in listed and not p.name.upper().startswith(LICENCE_PREFIXES)
    ]
    assert not unlisted, f"files not in VENDOR.json (re-run scripts/vendor_assets.py): {unlisted}"


def test_every_vendored_package_has_version_and_licence() -> None:
    for package, entry in _manifest().items():
        for key in ("version", "license"):
            value = entry.get(key)
            assert isinstance(value, str) and value.strip(), f"{package}: empty {key}"


def test_external_tag_detector() -> None:
    assert external_tags('<script src="https://cdn.example.com/htmx.js"></script>')
    assert external_tags("<SCRIPT defer SRC=http://cdn.example.com/a.js></SCRIPT>")
    assert external_tags("<link rel='stylesheet' href='//cdn.example.com/a.css'>")
    assert not external_tags("<script src=\"{% static 'vendor/htmx.org/dist/htmx.min.js' %}\"></script>")
    assert not external_tags('<link rel="stylesheet" href="/static/vendor/a.css">')
    assert not external_tags('<script data-src="https://x.example/a.js" src="/static/a.js"></script>')
    assert not external_tags('<a href="https://example.com/">docs</a>')


def test_templates_load_nothing_from_outside() -> None:
    templates = sorted(TEMPLATES.rglob("*.html")) if TEMPLATES.is_dir() else []
    offenders = {
        path.relative_to(ROOT).as_posix(): tags
        for path in templates
        if (tags := external_tags(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"templates load assets from outside (vendor them instead): {offenders}"
