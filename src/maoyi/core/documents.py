"""The shape every business document shares: a number, a status changed only through a transition
table, an owner and a department. Workflow services (approvals, and each document's own) call
`transition`, which is a conditional UPDATE: if the row is no longer in an allowed status, someone
else moved it first and the caller is refused with `invalid_state`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import InvalidState

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已审核")
    REJECTED = "rejected", _("已驳回")
    IN_PROGRESS = "in_progress", _("执行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已作废")
    REVERSED = "reversed", _("已红冲")


EDITABLE = frozenset({Status.DRAFT, Status.REJECTED})

# action -> (statuses it may start from, status it leads to). A document type may extend it.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({Status.DRAFT, Status.REJECTED}), Status.SUBMITTED),
    "withdraw": (frozenset({Status.SUBMITTED}), Status.DRAFT),
    "approve": (frozenset({Status.SUBMITTED}), Status.APPROVED),
    "reject": (frozenset({Status.SUBMITTED}), Status.REJECTED),
    "unapprove": (frozenset({Status.APPROVED}), Status.DRAFT),
    "cancel": (frozenset({Status.DRAFT, Status.REJECTED}), Status.CANCELLED),
}

ACTION_LABELS: dict[str, Any] = {
    "create": _("创建"),
    "update": _("修改"),
    "delete": _("删除"),
    "submit": _("提交"),
    "withdraw": _("撤回"),
    "approve": _("审核通过"),
    "reject": _("驳回"),
    "unapprove": _("反审核"),
    "cancel": _("作废"),
    "reverse": _("红冲"),
    "post": _("过账"),
    "allocate": _("核销"),
    "receive": _("入库"),
    "complete": _("完成"),
    "ship": _("发出"),
    "unallocate": _("取消核销"),
    "pay": _("支付"),
    "deliver": _("确认签收"),
}


@dataclass(frozen=True)
class DocRef:
    """A pointer to any document, so lower apps (finance, approvals) never import the higher ones."""

    type: str
    id: int
    number: str


class Document(models.Model):
    """Abstract base of every business document (purchase and sales orders, returns, contracts, …)."""

    DOCUMENT_TYPE: ClassVar[str] = ""
    accepts_attachments: ClassVar[bool] = True
    # False for records posted at once by their own service (receipts, payments, receivables):
    # they are numbered like documents but never go through approval.
    approvable: ClassVar[bool] = True
    DEFAULT_PREFIX: ClassVar[str] = ""
    TRANSITIONS: ClassVar[dict[str, tuple[frozenset[str], str]]] = TRANSITIONS

    number = models.CharField(_("单据编号"), max_length=40, unique=True, editable=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        "org.Employee", verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("制单人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        abstract = True

    @property
    def ref(self) -> DocRef:
        return DocRef(type=self.DOCUMENT_TYPE, id=self.pk, number=self.number)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    def approval_amount(self) -> Decimal | None:
        """The amount approval rules compare against; documents without one return None."""
        return None

    def has_downstream(self) -> bool:
        """True once a later document (a shipment, a receipt, a payment…) depends on this one."""
        return False


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: _StrPromise | str
    default_prefix: str
    model: type[Document]

    @property
    def approvable(self) -> bool:
        return self.model.approvable


def document_types() -> dict[str, DocumentType]:
    """Every concrete Document model installed, by its DOCUMENT_TYPE code."""
    found: dict[str, DocumentType] = {}
    for model in apps.get_models():
        if issubclass(model, Document) and model.DOCUMENT_TYPE:
            found[model.DOCUMENT_TYPE] = DocumentType(
                code=model.DOCUMENT_TYPE,
                label=model._meta.verbose_name or model.__name__,
                default_prefix=model.DEFAULT_PREFIX,
                model=model,
            )
    return found


def approvable_document_types() -> dict[str, DocumentType]:
    """The document types approval rules may be set for."""
    return {code: kind for code, kind in document_types().items() if kind.approvable}


def transition(doc: Document, action: str, **also: Any) -> str:
    """Move `doc` by `action` with a conditional UPDATE; return the status it left.

    Refuses with `invalid_state` when the stored row is not in a status the action starts from,
    whether the caller's copy is stale or the action is simply not allowed now."""
    try:
        allowed_from, to = doc.TRANSITIONS[action]
    except KeyError:
        raise InvalidState() from None
    model = type(doc)
    now = timezone.now()
    changed = model._default_manager.filter(pk=doc.pk, status__in=allowed_from).update(
        status=to, updated_at=now, **also
    )
    if not changed:
        current = model._default_manager.filter(pk=doc.pk).values_list("status", flat=True).first()
        label = Status(current).label if current in Status.values else current
        raise InvalidState(
            _("单据 %(number)s 当前状态为“%(status)s”，不能%(action)s。"),
            number=doc.number,
            status=label,
            action=ACTION_LABELS.get(action, action),
        )
    previous = doc.status
    doc.status = to
    doc.updated_at = now
    for field, value in also.items():
        setattr(doc, field, value)
    return previous
