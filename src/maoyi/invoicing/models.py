"""The VAT invoice register (发票登记): invoices issued to customers (销项) and received from
suppliers (进项), each allocated to the sales or purchase orders it covers. Maoyi records invoices;
it does not issue them to the tax platform.

Invoices are in CNY. A wrong invoice is never edited or deleted: it is reversed (红冲) by a red
invoice (红字发票) that points at it (`reverses`) and carries the same amounts and allocations,
negative, so what a document has been invoiced is always the plain sum of its allocations."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import MoneyField
from maoyi.finance.parties import PartyKind
from maoyi.org.policy import ScopePolicy

ZERO = Decimal("0")
TENTH_OF_A_CENT = Decimal("0.001")


class InvoiceDirection(models.TextChoices):
    ISSUED = "issued", _("销项发票")
    RECEIVED = "received", _("进项发票")


class InvoiceKind(models.TextChoices):
    SPECIAL = "special", _("专票")
    NORMAL = "normal", _("普票")
    DIGITAL = "digital", _("数电票")


class InvoiceStatus(models.TextChoices):
    NORMAL = "normal", _("正常")
    REVERSED = "reversed", _("已红冲")


class SourceType(models.TextChoices):
    SALES_ORDER = "sales_order", _("销售订单")
    PURCHASE_ORDER = "purchase_order", _("采购订单")


# Which party and which documents each direction is about.
PARTY_KIND: dict[str, str] = {
    InvoiceDirection.ISSUED: PartyKind.CUSTOMER.value,
    InvoiceDirection.RECEIVED: PartyKind.SUPPLIER.value,
}
SOURCE_TYPE: dict[str, str] = {
    InvoiceDirection.ISSUED: SourceType.SALES_ORDER.value,
    InvoiceDirection.RECEIVED: SourceType.PURCHASE_ORDER.value,
}


class Invoice(models.Model):
    """One VAT invoice as printed: number, kind, date, party and amounts (金额 excluding tax, 税额,
    价税合计 = both). The party is kept by kind, id and name like finance's records; its owner and
    department (the customer's salesperson, the supplier's purchaser) decide who may see it."""

    accepts_attachments = True  # the scan or the PDF/OFD file of the invoice

    direction = models.CharField(_("方向"), max_length=12, choices=InvoiceDirection.choices)
    kind = models.CharField(_("发票类型"), max_length=12, choices=InvoiceKind.choices)
    number = models.CharField(_("发票号码"), max_length=20)
    issued_on = models.DateField(_("开票日期"))
    party_kind = models.CharField(_("往来单位类型"), max_length=12, choices=PartyKind.choices)
    party_id = models.PositiveBigIntegerField(_("往来单位"))
    party_name = models.CharField(_("往来单位名称"), max_length=200)
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    amount = MoneyField(_("金额（不含税）"))
    tax_amount = MoneyField(_("税额"))
    total = MoneyField(_("价税合计"))
    status = models.CharField(
        _("状态"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.NORMAL
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("红冲的发票"),
        on_delete=models.PROTECT,
        related_name="reversed_by_invoice",
        null=True,
        blank=True,
    )
    reverse_reason = models.CharField(_("红冲原因"), max_length=500, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now, editable=False)

    scope_policy = ScopePolicy(owner="owner", department="department")

    class Meta:
        verbose_name = _("发票")
        verbose_name_plural = _("发票")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["direction", "party_kind", "party_id"], name="invoicing_inv_party_idx"),
            models.Index(fields=["direction", "issued_on"], name="invoicing_inv_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "kind", "number"], name="invoicing_inv_unique_number"
            ),
            # 价税合计 = 金额 + 税额 (to within a tenth of a cent: SQLite adds decimals as floats).
            models.CheckConstraint(
                condition=Q(total__gte=F("amount") + F("tax_amount") - TENTH_OF_A_CENT)
                & Q(total__lte=F("amount") + F("tax_amount") + TENTH_OF_A_CENT),
                name="invoicing_inv_total_is_sum",
            ),
            # A blue invoice is positive; a red one (it reverses another) is negative.
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(amount__gt=0) & Q(tax_amount__gte=0))
                | (Q(reverses__isnull=False) & Q(amount__lt=0) & Q(tax_amount__lte=0)),
                name="invoicing_inv_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_red(self) -> bool:
        return self.reverses_id is not None


class InvoiceAllocation(models.Model):
    """The part of an invoice's total (tax included) that covers one sales or purchase order,
    with the order's number as it was. A red invoice's allocations are negative."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("发票"), on_delete=models.PROTECT, related_name="allocations"
    )
    source_type = models.CharField(_("来源单据类型"), max_length=40, choices=SourceType.choices)
    source_id = models.PositiveBigIntegerField(_("来源单据ID"))
    source_number = models.CharField(_("来源单据"), max_length=60)
    amount = MoneyField(_("开票金额（含税）"))

    class Meta:
        verbose_name = _("发票分配")
        verbose_name_plural = _("发票分配")
        ordering = ["invoice_id", "id"]
        indexes = [models.Index(fields=["source_type", "source_id"], name="invoicing_alloc_source_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "source_type", "source_id"], name="invoicing_alloc_unique_source"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="invoicing_alloc_amount_not_0"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} → {self.source_number}: {self.amount}"
