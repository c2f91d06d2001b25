"""Print-ready documents as PDF (打印/PDF): HTML rendered by WeasyPrint with the CJK font that
fontconfig finds (Debian's fonts-noto-cjk, "Noto Sans CJK SC"), one paper-size choice for every
document, and the download response.

WeasyPrint fetches only the project's static files (the logo, nothing else): a print template is
rendered from user data, so it must never make the server open a URL or read a file it names."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

PDF_MIME = "application/pdf"
A4, A5 = "a4", "a5"
PAPER_SIZES = (A4, A5)


def paper_size(value: str | None) -> str:
    """`?size=`: a5 (A5 landscape, the two-part 二联单 format), anything else A4 portrait."""
    return A5 if (value or "").strip().lower() == A5 else A4


def static_file(url: str) -> tuple[bytes, str]:
    """The content and type of a URL under STATIC_URL, read from the static files (through the
    finders, so it works without collectstatic); ValueError for every other URL."""
    path = unquote(urlsplit(url).path)
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not path.startswith(prefix) or ".." in path.split("/"):
        raise ValueError(f"not a static file: {url}")
    name = path[len(prefix) :]
    found = finders.find(name)
    if isinstance(found, list):
        found = found[0] if found else None
    if not found:
        # In production {% static %} names the hashed copy collectstatic wrote to STATIC_ROOT.
        collected = (Path(settings.STATIC_ROOT) / name).resolve()
        if collected.is_file() and collected.is_relative_to(Path(settings.STATIC_ROOT).resolve()):
            found = str(collected)
    if not found:
        raise ValueError(f"no such static file: {url}")
    with open(found, "rb") as handle:
        content = handle.read()
    return content, mimetypes.guess_type(path)[0] or "application/octet-stream"


class PdfUnavailable(RuntimeError):
    """The server lacks the system libraries WeasyPrint needs (Pango)."""

    message = _(
        "生成 PDF 需要服务器安装 Pango（Debian：apt-get install libpango-1.0-0），请联系管理员。"
        "打印页面不受影响。"
    )


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """The PDF of a print page. `base_url` resolves relative links (only static ones load)."""
    # Imported here: WeasyPrint loads Pango through cffi, which only printing needs; a server
    # without it still serves every page, and a PDF download says what is missing.
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except OSError as exc:
        raise PdfUnavailable() from exc

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            content, mime_type = static_file(url)
            return URLFetcherResponse(url, content, {"Content-Type": mime_type})

    pdf = HTML(string=html, base_url=base_url, url_fetcher=StaticOnly()).write_pdf()
    return bytes(pdf or b"")


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """The PDF as a download named after the document (`XS20260101001.pdf`)."""
    response = HttpResponse(content, content_type=PDF_MIME)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["Content-Length"] = str(len(content))
    return response
