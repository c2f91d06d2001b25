"""Vendor pinned front-end assets from npm into src/maoyi/static/vendor/.

Usage (from anywhere): python scripts/vendor_assets.py
Versions live in frontend/package.json (exact pins) and frontend/package-lock.json.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
VENDOR = ROOT / "src" / "maoyi" / "static" / "vendor"
NPM_FLAGS = ["--ignore-scripts", "--no-audit", "--no-fund"]

# Allow-list: package -> files (relative to the package root) that we ship.
ASSETS: dict[str, tuple[str, ...]] = {
    "htmx.org": ("dist/htmx.min.js",),
    "alpinejs": ("dist/cdn.min.js",),
    "@tabler/core": ("dist/css/tabler.min.css", "dist/js/tabler.min.js"),
    "@tabler/icons-webfont": ("dist/tabler-icons.min.css", "dist/fonts/tabler-icons.woff2"),
    "tom-select": ("dist/js/tom-select.complete.min.js", "dist/css/tom-select.bootstrap5.min.css"),
    "echarts": ("dist/echarts.min.js",),
}
# Used only when the package.json has no "license" field (checked against the LICENSE text).
FALLBACK_LICENSE = {"@tabler/icons-webfont": "MIT"}
LICENSE_PREFIXES = ("LICENSE", "LICENCE", "NOTICE")
SOURCE_MAP = re.compile(
    rb"\s*(?://[#@]\s*sourceMappingURL=[^\n]*|/\*[#@]\s*sourceMappingURL=[^\n]*?\*/)\s*\Z"
)
# Keep only the woff2 source of @font-face rules (all browsers we support load woff2).
FONT_SRC = re.compile(
    rb'(src:\s*url\("[^"]+\.woff2[^"]*"\)\s*format\("woff2"\))'  # the woff2 source, kept
    rb"(?:\s*,\s*url\([^)]*\)\s*format\([^)]*\))+"  # the woff/ttf fallbacks, dropped
)
CSS_URL = re.compile(rb"""url\(\s*['"]?([^'")]+)""")


def transform(package: str, rel: str, data: bytes) -> bytes:
    if rel.endswith((".js", ".css")):
        data = SOURCE_MAP.sub(b"\n", data)
        if b"sourceMappingURL=" in data:
            raise SystemExit(f"{package}/{rel}: sourceMappingURL left in file")
    if package == "@tabler/icons-webfont" and rel.endswith(".css"):
        data, count = FONT_SRC.subn(rb"\1", data)
        if count != 1:
            raise SystemExit(f"{package}/{rel}: expected one @font-face src to rewrite, found {count}")
    return data


def check_css_urls(css: Path) -> None:
    for raw in CSS_URL.findall(css.read_bytes()):
        target = raw.decode().strip()
        if target.startswith(("data:", "#")):
            continue
        if not (css.parent / re.split(r"[?#]", target)[0]).is_file():
            raise SystemExit(f"{css.name}: url({target}) does not resolve to a vendored file")


def license_files(package_dir: Path) -> list[Path]:
    dirs = [d for d in (package_dir, package_dir / "licenses") if d.is_dir()]
    return sorted(
        p for d in dirs for p in d.iterdir() if p.is_file() and p.name.upper().startswith(LICENSE_PREFIXES)
    )


def main() -> None:
    pins: dict[str, str] = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))["dependencies"]
    lock = FRONTEND / "package-lock.json"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        shutil.copy2(FRONTEND / "package.json", tmp)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm not found on PATH")
        if lock.exists():
            shutil.copy2(lock, tmp)
            subprocess.run([npm, "ci", *NPM_FLAGS], cwd=tmp, check=True)  # noqa: S603 (fixed argv)
        else:
            install = [npm, "install", *NPM_FLAGS, "--omit-lockfile-registry-resolved"]
            subprocess.run(install, cwd=tmp, check=True)  # noqa: S603 (fixed argv)
            shutil.copy2(tmp / "package-lock.json", lock)
        out = tmp / "vendor"  # built here first, so a failure leaves the committed copy untouched
        manifest: dict[str, dict[str, object]] = {}
        for package, files in ASSETS.items():
            src_dir, dest_dir = tmp / "node_modules" / package, out / package
            meta = json.loads((src_dir / "package.json").read_text(encoding="utf-8"))
            if meta["version"] != pins[package]:
                raise SystemExit(f"{package}: installed {meta['version']}, pinned {pins[package]}")
            licences = license_files(src_dir)
            licence = meta.get("license")
            if not licence:
                licence = FALLBACK_LICENSE.get(package, "")
                if not licence or not any(
                    p.read_text(encoding="utf-8").startswith(f"{licence} License") for p in licences
                ):
                    raise SystemExit(f"{package}: cannot determine licence")
            hashes: dict[str, str] = {}
            for rel in [*files, *(p.relative_to(src_dir).as_posix() for p in licences)]:
                dest = dest_dir / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(transform(package, rel, (src_dir / rel).read_bytes()))
                hashes[rel] = hashlib.sha256(dest.read_bytes()).hexdigest()
            for css in dest_dir.rglob("*.css"):
                check_css_urls(css)
            manifest[package] = {"version": meta["version"], "license": licence, "files": hashes}
        (out / "VENDOR.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        if VENDOR.exists():
            shutil.rmtree(VENDOR)
        shutil.copytree(out, VENDOR)
    print(f"Vendored {len(manifest)} packages into {VENDOR.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
