from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import ACTION_LABELS

register = template.Library()

EXTRA_LABELS: dict[str, Any] = {
    "leave": _("离职"),
    "attach": _("上传附件"),
    "detach": _("删除附件"),
    "set_password": _("重置密码"),
    "change_password": _("修改密码"),
    "stage": _("变更阶段"),
    "claim": _("领取"),
    "release": _("释放"),
    "transfer": _("转移"),
    "return_to_pool": _("自动回收"),
    "reassign": _("变更负责人"),
}


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action) or EXTRA_LABELS.get(action) or action)


# Audit change keys that are not model fields: what services record for lines, plans and links.
CHANGE_LABELS: dict[str, Any] = {
    "lines": _("明细"),
    "attachment": _("附件"),
    "installments": _("分期"),
    "allocations": _("核销"),
    "permissions": _("权限"),
    "contact": _("联系人"),
    "prices": _("价格"),
}


@register.filter
def change_label(entry: Any, field: str) -> str:
    """The label of a changed field in the entry's record type (its verbose name), so the history
    tab reads 供应商 / Supplier rather than `supplier`."""
    known = CHANGE_LABELS.get(field)
    if known is not None:
        return str(known)
    model = entry.content_type.model_class() if getattr(entry, "content_type_id", None) else None
    if model is not None:
        try:
            return str(model._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:  # not a field of the model: show the key as recorded
            return field
    return field


@register.filter
def money(value: Any, currency: str = "CNY") -> str:
    """¥1,234.50: two decimals, thousands grouped with commas (the Chinese finance convention)."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


@register.simple_tag
def sort_link(listing: Any, field: str) -> str:
    """The query string that sorts a list by `field`, toggling the direction."""
    current = listing.ordering
    target = f"-{field}" if current == field else field
    return listing.querystring(o=target, page="")


@register.simple_tag(takes_context=True)
def export_query(context: Any) -> str:
    """The current list's query string (its filters and ordering) asking for the .xlsx export."""
    from urllib.parse import urlencode

    request = context["request"]
    params = [(k, v) for k, v in request.GET.items() if k not in ("page", "format")]
    return urlencode([*params, ("format", "xlsx")])


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.filter
def verbose_name(obj: Any) -> str:
    return str(obj._meta.verbose_name) if obj is not None and hasattr(obj, "_meta") else ""
