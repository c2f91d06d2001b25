"""Paging and sorting for list pages; the filtering itself lives in selectors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZES = (20, 50, 100)


@dataclass
class ListPage:
    page: Page
    paginator: Paginator
    ordering: str
    query: dict[str, str]
    per_page: int

    def querystring(self, **changes: Any) -> str:
        params = {k: v for k, v in self.query.items() if v}
        for key, value in changes.items():
            if value in (None, ""):
                params.pop(key, None)
            else:
                params[key] = str(value)
        from urllib.parse import urlencode

        return "?" + urlencode(params) if params else "?"


def paginate(request: HttpRequest, queryset: QuerySet[Any], *, ordering: str = "") -> ListPage:
    try:
        per_page = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        per_page = PAGE_SIZES[0]
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = {k: str(v) for k, v in request.GET.items() if k != "page"}
    return ListPage(page=page, paginator=paginator, ordering=ordering, query=query, per_page=per_page)
