"""The money ledger. A receivable (应收) or payable (应付) is what a party owes us or we owe it,
split into installments (分期) that add up to its amount. A receipt (收款) or payment (付款) is money
that moved, allocated (核销) to receivables or payables and their installments.

`allocated` on receivables, payables, installments, receipts and payments is derived: only
`finance.services` changes it, in the same transaction as the allocation rows, under row locks, and
`finance.selectors.ledger_mismatches()` proves it equals the sum of the live allocations. The
outstanding amount (amount − allocated) is never typed in. Nothing posted is deleted: a wrong
receipt is reversed (红冲), which keeps it and its allocations visible and gives the money back to
what it settled.

Receivables and payables share one table (`Obligation`, told apart by `direction`), as do receipts
and payments (`Settlement`); `Receivable`, `Payable`, `Receipt` and `Payment` are proxies with
their own numbers and permissions, so the rules are written once for both sides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import Document
from maoyi.core.money import Currency, MoneyField, RateField
from maoyi.finance.parties import PartyKind
from maoyi.org.policy import ScopePolicy

ZERO = Decimal("0")


class Direction(models.TextChoices):
    RECEIVABLE = "receivable", _("应收")
    PAYABLE = "payable", _("应付")


class ObligationStatus(models.TextChoices):
    OPEN = "open", _("未结清")
    SETTLED = "settled", _("已结清")
    REVERSED = "reversed", _("已红冲")


class SettlementStatus(models.TextChoices):
    POSTED = "posted", _("已入账")
    REVERSED = "reversed", _("已红冲")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("银行转账")
    ACCEPTANCE_BILL = "acceptance_bill", _("承兑汇票")
    CASH = "cash", _("现金")
    CHEQUE = "cheque", _("支票")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    OTHER = "other", _("其他")


class DirectionManager(models.Manager):
    """The rows of one direction: `Receivable.objects` never returns a payable."""

    def __init__(self, direction: str) -> None:
        super().__init__()
        self.direction = direction

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().filter(direction=self.direction)


class PartyRecord(Document):
    """What receivables, payables, receipts and payments share: a number (from `Document`), a
    party kept by kind, id and name (finance never imports crm or purchasing), a currency with its
    exchange rate to CNY, and who answers for it. The owner is the party's owner when the record
    was made (a customer's salesperson), so a salesperson sees the money of their own customers;
    a customer in the public pool leaves it empty, and finance (scope: all) still sees it."""

    approvable: ClassVar[bool] = False
    accepts_attachments: ClassVar[bool] = True
    DIRECTION: ClassVar[str] = ""

    direction = models.CharField(_("方向"), max_length=12, choices=Direction.choices, editable=False)
    owner = models.ForeignKey(  # type: ignore[assignment]  # nullable here: a pool customer has none
        "org.Employee",
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    department = models.ForeignKey(  # type: ignore[assignment]
        "org.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    party_kind = models.CharField(_("往来单位类型"), max_length=12, choices=PartyKind.choices)
    party_id = models.PositiveBigIntegerField(_("往来单位"))
    party_name = models.CharField(_("往来单位名称"), max_length=200)
    currency = models.CharField(_("币种"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    exchange_rate = RateField(_("汇率"), default=Decimal("1"))
    amount = MoneyField(_("金额"))
    allocated = MoneyField(_("已核销"), default=ZERO, editable=False)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    reversed_at = models.DateTimeField(_("红冲时间"), null=True, blank=True, editable=False)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("红冲人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    reverse_reason = models.CharField(_("红冲原因"), max_length=500, blank=True, editable=False)

    scope_policy = ScopePolicy(owner="owner", department="department")

    class Meta:
        abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.DIRECTION and not self.direction:
            self.direction = self.DIRECTION

    @property
    def outstanding(self) -> Decimal:
        """Receivables and payables: what is still owed. Receipts and payments: what is not yet
        allocated (an advance, 预收/预付). Nothing, once reversed."""
        if self.status == "reversed":
            return ZERO
        return self.amount - self.allocated


class Obligation(PartyRecord):
    """A receivable or payable (see the module docstring)."""

    status = models.CharField(
        _("状态"), max_length=20, choices=ObligationStatus.choices, default=ObligationStatus.OPEN
    )
    source_type = models.CharField(_("来源单据类型"), max_length=40, blank=True)
    source_id = models.PositiveBigIntegerField(_("来源单据ID"), null=True, blank=True)
    source_number = models.CharField(_("来源单据"), max_length=60, blank=True, db_index=True)
    is_opening = models.BooleanField(_("期初"), default=False)
    issued_on = models.DateField(_("业务日期"))
    due_date = models.DateField(_("到期日"))

    class Meta:
        verbose_name = _("应收应付")
        verbose_name_plural = _("应收应付")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["direction", "party_kind", "party_id"], name="finance_obl_party_idx"),
            models.Index(fields=["direction", "status", "due_date"], name="finance_obl_due_idx"),
            models.Index(fields=["source_type", "source_id"], name="finance_obl_source_idx"),
            models.Index(fields=["direction", "status", "-issued_on", "-id"], name="finance_obl_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_obl_amount_gt_0"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="finance_obl_allocated_gte_0"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("amount")), name="finance_obl_allocated_lte_amount"
            ),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="finance_obl_rate_gt_0"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def next_due_date(self) -> dt.date | None:
        """The due date of the earliest installment not yet settled (None when all are). Lists
        annotate it as `next_due` (finance.selectors); otherwise it is read here."""
        if hasattr(self, "next_due"):
            return self.next_due
        unsettled = [i.due_date for i in self.installments.all() if i.allocated < i.amount]
        return min(unsettled, default=None)

    @property
    def is_overdue(self) -> bool:
        """Open with an installment past due and not yet settled (not only the last one)."""
        if self.status != ObligationStatus.OPEN:
            return False
        due = self.next_due_date
        return due is not None and due < timezone.localdate()

    @property
    def settlement_state(self) -> str:
        """How far it is settled: "settled" (nothing outstanding), "partial" (something allocated)
        or "open"."""
        if self.status == ObligationStatus.SETTLED or self.outstanding <= 0:
            return "settled"
        return "partial" if self.allocated > 0 else "open"


class Receivable(Obligation):
    DOCUMENT_TYPE = "receivable"
    DEFAULT_PREFIX = "YS"
    DIRECTION = Direction.RECEIVABLE

    objects: ClassVar[DirectionManager] = DirectionManager(Direction.RECEIVABLE)

    class Meta:
        proxy = True
        verbose_name = _("应收款")
        verbose_name_plural = _("应收款")


class Payable(Obligation):
    DOCUMENT_TYPE = "payable"
    DEFAULT_PREFIX = "YF"
    DIRECTION = Direction.PAYABLE

    objects: ClassVar[DirectionManager] = DirectionManager(Direction.PAYABLE)

    class Meta:
        proxy = True
        verbose_name = _("应付款")
        verbose_name_plural = _("应付款")


class Installment(models.Model):
    """One due date and amount of a receivable or payable (分期). The installments of an
    obligation add up to its amount; allocations settle them earliest due first."""

    obligation = models.ForeignKey(
        Obligation, verbose_name=_("应收应付"), on_delete=models.PROTECT, related_name="installments"
    )
    sequence = models.PositiveSmallIntegerField(_("期次"))
    due_date = models.DateField(_("到期日"))
    amount = MoneyField(_("金额"))
    allocated = MoneyField(_("已核销"), default=ZERO, editable=False)

    class Meta:
        verbose_name = _("分期")
        verbose_name_plural = _("分期")
        ordering = ["obligation_id", "sequence"]
        indexes = [models.Index(fields=["due_date"], name="finance_inst_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "sequence"], name="finance_inst_unique_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_inst_amount_gt_0"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="finance_inst_allocated_gte_0"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("amount")), name="finance_inst_allocated_lte_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.obligation_id}#{self.sequence}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.allocated


class Settlement(PartyRecord):
    """A receipt or payment (see the module docstring). A receipt settles receivables (money from
    a customer, or a refund from a supplier); a payment settles payables (to a supplier, or a
    refund to a customer). What is not allocated yet stays on it as an advance."""

    status = models.CharField(
        _("状态"), max_length=20, choices=SettlementStatus.choices, default=SettlementStatus.POSTED
    )
    method = models.CharField(
        _("结算方式"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    occurred_on = models.DateField(_("日期"))
    reference = models.CharField(_("流水号/票据号"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("收付款")
        verbose_name_plural = _("收付款")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["direction", "party_kind", "party_id"], name="finance_set_party_idx"),
            models.Index(fields=["direction", "occurred_on"], name="finance_set_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_set_amount_gt_0"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="finance_set_allocated_gte_0"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("amount")), name="finance_set_allocated_lte_amount"
            ),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="finance_set_rate_gt_0"),
        ]

    def __str__(self) -> str:
        return self.number


class Receipt(Settlement):
    DOCUMENT_TYPE = "receipt"
    DEFAULT_PREFIX = "SK"
    DIRECTION = Direction.RECEIVABLE

    objects: ClassVar[DirectionManager] = DirectionManager(Direction.RECEIVABLE)

    class Meta:
        proxy = True
        verbose_name = _("收款单")
        verbose_name_plural = _("收款单")


class Payment(Settlement):
    DOCUMENT_TYPE = "payment"
    DEFAULT_PREFIX = "FK"
    DIRECTION = Direction.PAYABLE

    objects: ClassVar[DirectionManager] = DirectionManager(Direction.PAYABLE)

    class Meta:
        proxy = True
        verbose_name = _("付款单")
        verbose_name_plural = _("付款单")


class Allocation(models.Model):
    """An amount of a receipt or payment applied to one installment (核销). Reversing the receipt
    or payment stamps `reversed_at`; the row stays."""

    settlement = models.ForeignKey(
        Settlement, verbose_name=_("收付款"), on_delete=models.PROTECT, related_name="allocations"
    )
    obligation = models.ForeignKey(
        Obligation, verbose_name=_("应收应付"), on_delete=models.PROTECT, related_name="allocations"
    )
    installment = models.ForeignKey(
        Installment, verbose_name=_("分期"), on_delete=models.PROTECT, related_name="allocations"
    )
    amount = MoneyField(_("核销金额"))
    created_at = models.DateTimeField(_("核销时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("核销人"), on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(_("红冲时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("核销")
        verbose_name_plural = _("核销")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="finance_alloc_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.settlement_id} → {self.installment_id}: {self.amount}"


class ExchangeRate(models.Model):
    """汇率: what one unit of a currency is worth in CNY from a date on. Documents copy the rate of
    their day and keep it; changing a rate never changes a posted record."""

    currency = models.CharField(_("币种"), max_length=3, choices=Currency.choices)
    rate = RateField(_("汇率"))
    valid_from = models.DateField(_("生效日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_policy = ScopePolicy(owner=None, department=None, shared=True)  # company data

    class Meta:
        verbose_name = _("汇率")
        verbose_name_plural = _("汇率")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="finance_rate_unique_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="finance_rate_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.valid_from})"
