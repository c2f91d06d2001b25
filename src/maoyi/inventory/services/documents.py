"""What the four stock documents (opening stock, stocktake, transfer, reversal) share: the checks
every draft passes, the workflow steps around the approvals service (submit, withdraw, cancel, the
refused unapprove), and posting. A stock document is posted in the transaction that approves it and
is afterwards corrected only by a reversal (红冲)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.approvals import services as approvals
from maoyi.approvals.models import ApprovalRequest
from maoyi.audit import services as audit
from maoyi.catalog.models import Product
from maoyi.core.documents import Status, transition
from maoyi.core.errors import DomainError, HasDownstream, InvalidState, NotFoundInScope, line_error
from maoyi.core.permissions import require_permission
from maoyi.inventory.models import StockDocument, Stocktake, Warehouse
from maoyi.org import scope
from maoyi.org.models import Employee

D = TypeVar("D", bound=StockDocument)

STATUS_LABELS = dict(Status.choices)


def perm(doc_or_model: StockDocument | type[StockDocument], action: str) -> str:
    """The model permission of a stock document type, e.g. `inventory.change_transfer`."""
    return f"inventory.{action}_{doc_or_model._meta.model_name}"


def in_scope(actor: Employee, doc: StockDocument) -> None:
    if not scope.can_view(actor.user, doc):
        raise NotFoundInScope()


def active_warehouse(warehouse: Warehouse | None, field: str = "warehouse") -> Warehouse:
    if warehouse is None:
        raise DomainError(_("请选择仓库。"), code="invalid", field=field)
    if not Warehouse.objects.filter(pk=warehouse.pk, is_active=True).exists():
        raise DomainError(_("仓库“%(name)s”已停用。"), code="invalid", field=field, name=warehouse.name)
    return warehouse


def active_products(product_ids: Iterable[int]) -> dict[int, Product]:
    """The products of the lines, refusing the first line whose product is missing or inactive."""
    ids = list(product_ids)
    found = Product.objects.in_bulk(set(ids))
    for index, pk in enumerate(ids):
        product = found.get(pk)
        if product is None:
            raise line_error(index, "product", _("请选择商品。"))
        if not product.is_active:
            raise line_error(index, "product", _("商品 %s 已停用。") % product.code)
    return found


def lock_editable(doc: D) -> D:
    """Lock the document row and check it may still be edited (draft or rejected); returns the
    locked copy, so a concurrent approval either waits for this edit or refuses it."""
    locked = type(doc)._default_manager.select_for_update().get(pk=doc.pk)
    if not locked.is_editable:
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能修改。"),
            number=locked.number,
            status=STATUS_LABELS.get(locked.status, locked.status),
        )
    return locked


def new_document(model: type[D], *, actor: Employee, **fields: Any) -> D:
    """An unsaved draft owned by the actor, in the actor's department, with its number."""
    doc = model(owner=actor, department=actor.department, created_by=actor.user, **fields)
    approvals.assign_number(doc)
    return doc


def summarize(lines: Iterable[str]) -> str:
    """The lines as one audit value: "P001 L1 × 10；P002 × 3"."""
    return "；".join(lines)


def lines_change(lines: str) -> dict[str, list[str | None]] | None:
    """The `also` of a new document's audit entry: its lines, when it has any."""
    return {"lines": [None, lines]} if lines else None


def touch(doc: StockDocument) -> None:
    doc.updated_at = timezone.now()


def mark_posted(doc: StockDocument, *, actor: Employee, moves: int) -> None:
    """Approved → done, with the posting time, recorded in the audit trail."""
    old = transition(doc, "post", posted_at=timezone.now())
    audit.record_status_change(
        actor, "post", doc, old, note=str(_("过账库存流水 %(count)s 条。") % {"count": moves})
    )


@transaction.atomic
def submit_document(doc: StockDocument, *, actor: Employee) -> ApprovalRequest:
    """Send a draft for approval; it needs at least one line and active goods and warehouses."""
    require_permission(actor, perm(doc, "change"))
    in_scope(actor, doc)
    lines = list(doc.lines.order_by("id"))  # type: ignore[attr-defined]
    if not lines:
        raise DomainError(_("请至少添加一行明细。"), code="invalid", field="lines")
    active_warehouse(doc.warehouse)
    to_warehouse = getattr(doc, "to_warehouse", None)
    if to_warehouse is not None:
        active_warehouse(to_warehouse, "to_warehouse")
    if not isinstance(doc, Stocktake):  # a stocktake counts whatever is on the shelf, sold or not
        active_products(line.product_id for line in lines)
    return approvals.submit(doc, actor=actor)


@transaction.atomic
def withdraw_document(doc: StockDocument, *, actor: Employee) -> ApprovalRequest:
    """Take a submitted document back to draft before anyone decides."""
    require_permission(actor, perm(doc, "change"))
    return approvals.withdraw(doc, actor=actor)


@transaction.atomic
def cancel_document(doc: StockDocument, *, actor: Employee, reason: str = "") -> StockDocument:
    """作废 a draft or rejected stock document; nothing was posted, so nothing is reversed."""
    require_permission(actor, perm(doc, "change"))
    approvals.cancel(doc, actor=actor, reason=reason)
    return doc


@transaction.atomic
def unapprove_document(doc: StockDocument, *, actor: Employee, reason: str) -> ApprovalRequest:
    """反审核 is refused once the document has posted moves: a posted stock document is corrected
    only by a reversal."""
    if doc.has_downstream():
        raise HasDownstream(_("单据 %(number)s 已过账，不能反审核；请用红冲更正。"), number=doc.number)
    return approvals.unapprove(doc, actor=actor, reason=reason)
