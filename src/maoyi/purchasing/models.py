"""Purchasing: suppliers and their contacts, supplier quotes (报价), purchase orders (采购订单) with
their lines and installment plan, goods receipts (入库) by logistics, and purchase returns (采购退货).

A purchase order goes draft → submitted → approved (a payable opens, its open quantities count as
incoming) → in progress (partly received) → done (everything received). `received_quantity` and
`returned_quantity` on a line are derived: only `purchasing.services` changes them, under the
line's row lock, in the same transaction as the goods receipt or the return's shipment."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import TRANSITIONS, Document, Status
from maoyi.core.money import Currency, MoneyField, PriceField, QuantityField, RateField, quantize_money
from maoyi.core.versioning import version_field
from maoyi.finance.models import Obligation
from maoyi.org.models import Employee
from maoyi.org.policy import ScopePolicy


class Supplier(models.Model):
    """A company we buy from (供应商), at home or abroad; `name_key` is the name without spaces,
    brackets and company-form suffixes, so 康德莱（上海）有限公司 and 康德莱上海公司 are the same one."""

    code = models.CharField(_("供应商编码"), max_length=40, unique=True)
    name = models.CharField(_("供应商名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    pinyin = models.CharField(_("拼音码"), max_length=60, blank=True, db_index=True, editable=False)
    name_key = models.CharField(max_length=200, unique=True, editable=False)
    currency = models.CharField(_("币种"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    tax_id = models.CharField(_("税号"), max_length=40, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=60, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("账期（天）"), default=30)
    payment_terms = models.CharField(_("付款条件"), max_length=200, blank=True)
    buyer = models.ForeignKey(
        Employee,
        verbose_name=_("采购负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        Employee,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    # Company data, not owned: pages and the API gate suppliers by model permissions.
    scope_policy = ScopePolicy(owner=None, department=None, shared=True)
    accepts_attachments = True  # 营业执照, licences, contracts

    version = version_field()

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_id"], condition=~Q(tax_id=""), name="purchasing_supplier_unique_tax_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierContact(models.Model):
    """A person at a supplier (联系人); at most one per supplier is the primary contact."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=60)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("供应商联系人")
        verbose_name_plural = _("供应商联系人")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"], condition=Q(is_primary=True), name="purchasing_contact_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SupplierQuote(models.Model):
    """What a supplier offers a product for (报价): unit price in the supplier's currency (tax
    included), from a minimum quantity, between two dates. A withdrawn quote stays, inactive."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("供应商"), on_delete=models.PROTECT, related_name="quotes"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    unit_price = PriceField(_("含税单价"))
    currency = models.CharField(_("币种"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    min_quantity = QuantityField(_("起订量"), default=Decimal("0"))
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_by = models.ForeignKey(
        Employee, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    # Company data like its supplier: pages and the API gate quotes by model permissions.
    scope_policy = ScopePolicy(owner=None, department=None, shared=True)

    class Meta:
        verbose_name = _("供应商报价")
        verbose_name_plural = _("供应商报价")
        ordering = ["product_id", "valid_from", "id"]
        indexes = [models.Index(fields=["product", "valid_until"], name="purchasing_quote_valid_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="purchasing_quote_price_gt_0"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="purchasing_quote_min_qty_gte_0"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="purchasing_quote_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.product_id} {self.unit_price} {self.currency}"


ORDER_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    **TRANSITIONS,
    # Goods arrive: the first (or a further) partial receipt, and the one that completes the order.
    "receive": (frozenset({Status.APPROVED, Status.IN_PROGRESS}), Status.IN_PROGRESS),
    "complete": (frozenset({Status.APPROVED, Status.IN_PROGRESS}), Status.DONE),
    # An approved order nothing was received for can be cancelled (its payable is reversed).
    "cancel": (frozenset({Status.DRAFT, Status.REJECTED, Status.APPROVED}), Status.CANCELLED),
}


class PurchaseOrder(Document):
    """采购订单. Prices are tax-inclusive in the order's currency; the exchange rate is fixed on the
    order, so stock cost and the payable in CNY never move with the market afterwards."""

    DOCUMENT_TYPE = "purchase_order"
    DEFAULT_PREFIX = "CG"
    TRANSITIONS = ORDER_TRANSITIONS

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("供应商"), on_delete=models.PROTECT, related_name="orders"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("收货仓库"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("币种"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    exchange_rate = RateField(_("汇率"), default=Decimal("1"))
    expected_date = models.DateField(_("预计到货日期"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    scope_policy = ScopePolicy(owner="owner", department="department")

    version = version_field()

    class Meta:
        verbose_name = _("采购订单")
        verbose_name_plural = _("采购订单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="purchasing_order_rate_gt_0")
        ]

    def __str__(self) -> str:
        """The number and the supplier: what the approval inbox shows as the document's title."""
        return f"{self.number} {self.supplier.name}" if self.supplier_id else self.number

    @property
    def amount(self) -> Decimal:
        """Σ line amounts, tax included, in the order's currency."""
        return quantize_money(sum((line.amount for line in self.lines.all()), Decimal("0")))

    def approval_amount(self) -> Decimal | None:
        """Approval rules compare amounts in CNY."""
        return quantize_money(self.amount * self.exchange_rate)

    def has_downstream(self) -> bool:
        """Goods were received, or money was paid against its payable."""
        if self.receipts.exists():
            return True
        return Obligation.objects.filter(
            source_type=self.DOCUMENT_TYPE, source_id=self.pk, allocated__gt=0
        ).exists()


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("采购订单"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))
    unit_price = PriceField(_("含税单价"))
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2, default=Decimal("13"))
    quote = models.ForeignKey(
        SupplierQuote,
        verbose_name=_("来源报价"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_quantity = QuantityField(_("已入库"), default=Decimal("0"), editable=False)
    returned_quantity = QuantityField(_("已退货"), default=Decimal("0"), editable=False)

    class Meta:
        verbose_name = _("采购订单明细")
        verbose_name_plural = _("采购订单明细")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchasing_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="purchasing_line_price_gte_0"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=100), name="purchasing_line_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__gte=0) & Q(received_quantity__lte=F("quantity")),
                name="purchasing_line_received_in_range",
            ),
            models.CheckConstraint(
                condition=Q(returned_quantity__gte=0) & Q(returned_quantity__lte=F("received_quantity")),
                name="purchasing_line_returned_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.product_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        """Tax-inclusive line amount in the order's currency."""
        return quantize_money(self.quantity * self.unit_price)

    @property
    def tax_amount(self) -> Decimal:
        return quantize_money(self.amount * self.tax_rate / (100 + self.tax_rate))

    @property
    def open_quantity(self) -> Decimal:
        """Still to arrive."""
        return self.quantity - self.received_quantity


class PurchaseOrderInstallment(models.Model):
    """The payment plan the order's payable gets on approval (分期); one installment by default."""

    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("采购订单"), on_delete=models.CASCADE, related_name="installments"
    )
    due_date = models.DateField(_("到期日"))
    amount = MoneyField(_("金额"))

    class Meta:
        verbose_name = _("付款计划")
        verbose_name_plural = _("付款计划")
        ordering = ["order_id", "due_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="purchasing_plan_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.due_date} {self.amount}"


class GoodsReceipt(Document):
    """入库单: goods of a purchase order arriving at its warehouse, posted by logistics when saved
    (no approval: the order was approved). Stock is received at the order's price without tax, in
    CNY at the order's rate. A receipt is never edited; wrong goods go back by a purchase return."""

    DOCUMENT_TYPE = "goods_receipt"
    DEFAULT_PREFIX = "RK"
    approvable: ClassVar[bool] = False

    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("采购订单"), on_delete=models.PROTECT, related_name="receipts"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField(_("入库日期"))
    note = models.CharField(_("备注"), max_length=500, blank=True)

    scope_policy = ScopePolicy(owner="order__owner", department="order__department")

    class Meta:
        verbose_name = _("采购入库单")
        verbose_name_plural = _("采购入库单")
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return self.number


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(
        GoodsReceipt, verbose_name=_("入库单"), on_delete=models.PROTECT, related_name="lines"
    )
    order_line = models.ForeignKey(
        PurchaseOrderLine, verbose_name=_("订单明细"), on_delete=models.PROTECT, related_name="receipt_lines"
    )
    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("批次"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))
    unit_cost = models.DecimalField(_("单位成本"), max_digits=20, decimal_places=6)

    class Meta:
        verbose_name = _("入库明细")
        verbose_name_plural = _("入库明细")
        ordering = ["receipt_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="purchasing_rline_qty_gt_0")]

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.order_line_id} × {self.quantity}"


RETURN_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    **TRANSITIONS,
    "ship": (frozenset({Status.APPROVED}), Status.DONE),
}


class PurchaseReturn(Document):
    """采购退货: received goods going back to the supplier. Submit → approve; logistics ships them
    (stock leaves the named lots) and a receivable from the supplier (the refund) opens."""

    DOCUMENT_TYPE = "purchase_return"
    DEFAULT_PREFIX = "CT"
    TRANSITIONS = RETURN_TRANSITIONS

    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("采购订单"), on_delete=models.PROTECT, related_name="returns"
    )
    reason = models.CharField(_("退货原因"), max_length=500)
    shipped_at = models.DateTimeField(_("发出时间"), null=True, blank=True)
    carrier = models.CharField(_("承运商"), max_length=100, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=100, blank=True)

    scope_policy = ScopePolicy(owner="owner", department="department")

    class Meta:
        verbose_name = _("采购退货单")
        verbose_name_plural = _("采购退货单")
        ordering = ["-created_at", "-id"]
        permissions = [("ship_purchasereturn", _("发出采购退货"))]

    def __str__(self) -> str:
        return f"{self.number} {self.order.supplier.name}：{self.reason}" if self.order_id else self.number

    @property
    def amount(self) -> Decimal:
        return quantize_money(sum((line.amount for line in self.lines.all()), Decimal("0")))

    def approval_amount(self) -> Decimal | None:
        return quantize_money(self.amount * self.order.exchange_rate)

    def has_downstream(self) -> bool:
        return self.status == Status.DONE


class PurchaseReturnLine(models.Model):
    document = models.ForeignKey(
        PurchaseReturn, verbose_name=_("采购退货单"), on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(
        PurchaseOrderLine, verbose_name=_("订单明细"), on_delete=models.PROTECT, related_name="return_lines"
    )
    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("批次"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))

    class Meta:
        verbose_name = _("退货明细")
        verbose_name_plural = _("退货明细")
        ordering = ["document_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchasing_retline_qty_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.order_line_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        """The refund for this line: quantity at the order line's tax-inclusive price."""
        return quantize_money(self.quantity * self.order_line.unit_price)
