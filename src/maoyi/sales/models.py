"""Sales (销售): orders for a customer with live availability, approval that reserves the stock and
opens the receivable, shipments (发货) out of the reservation lot by lot, and sales returns (销售退货).

Prices are tax-inclusive (含税单价, the Chinese norm); a line's discount is a percentage taken off
the price. Quantities shipped and returned, and the cost of the goods shipped and returned, are
kept on each order line and changed only by the sales services, under the line's row lock, from the
stock moves the inventory ledger wrote (moving-average cost), so gross profit is revenue less the
actual cost of goods."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import TRANSITIONS, Document, Status
from maoyi.core.money import CostField, MoneyField, PriceField, QuantityField, quantize_money
from maoyi.core.versioning import version_field
from maoyi.finance.models import Obligation
from maoyi.org.policy import ScopePolicy

HUNDRED = Decimal("100")


class PriceSource(models.TextChoices):
    """Where a line's proposed price came from, in the order tried."""

    CONTRACT = "contract", _("合同价")
    LAST_PRICE = "last_price", _("上次成交价")
    PRICE_LEVEL = "price_level", _("客户等级价")
    SALE_PRICE = "sale_price", _("销售价")
    QUOTE = "quote", _("报价单价格")
    TYPED = "typed", _("手工录入")


ORDER_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    **TRANSITIONS,
    # Goods leave: a partial shipment, and the one that ships the last open quantity.
    "ship": (frozenset({Status.APPROVED, Status.IN_PROGRESS}), Status.IN_PROGRESS),
    "complete": (frozenset({Status.APPROVED, Status.IN_PROGRESS}), Status.DONE),
    # An approved order nothing was shipped or collected for can be cancelled (releases everything).
    "cancel": (frozenset({Status.DRAFT, Status.REJECTED, Status.APPROVED}), Status.CANCELLED),
}


class SalesOrder(Document):
    """销售订单 for a customer (end customer, hospital system or channel partner), from scratch,
    from a quote or under a contract. Approval reserves the stock, checks the credit limit and opens
    the receivable with the order's installment plan; logistics then ships it."""

    DOCUMENT_TYPE = "sales_order"
    DEFAULT_PREFIX = "XS"
    TRANSITIONS = ORDER_TRANSITIONS

    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="sales_orders"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("发货仓库"), on_delete=models.PROTECT, related_name="+"
    )
    contract = models.ForeignKey(
        "crm.Contract",
        verbose_name=_("合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_orders",
    )
    quote = models.ForeignKey(
        "crm.Quote",
        verbose_name=_("来源报价"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales_orders",
    )
    order_date = models.DateField(_("订单日期"))
    delivery_date = models.DateField(_("要求交货日期"), null=True, blank=True)
    delivery_address = models.CharField(_("收货地址"), max_length=300, blank=True)
    receiver = models.CharField(_("收货人"), max_length=60, blank=True)
    receiver_phone = models.CharField(_("收货电话"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    # Set by approval: when, and why the credit limit was exceeded if a role overrode it.
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    credit_override_reason = models.CharField(_("超信用额度原因"), max_length=500, blank=True, editable=False)

    scope_policy = ScopePolicy(owner="owner", department="department")

    version = version_field()

    class Meta:
        verbose_name = _("销售订单")
        verbose_name_plural = _("销售订单")
        ordering = ["-order_date", "-id"]
        permissions = [
            ("override_credit_salesorder", _("超信用额度审核销售订单")),
            ("override_min_price_salesorder", _("低于最低售价销售")),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="sales_order_customer_idx"),
            models.Index(fields=["status", "warehouse"], name="sales_order_status_idx"),
            # The list's default order: a page is the first rows of this index, not a sort of all.
            models.Index(fields=["-order_date", "-id"], name="sales_order_date_idx"),
        ]

    def __str__(self) -> str:
        """The number and the customer: what the approval inbox shows as the document's title."""
        return f"{self.number} {self.customer.name}" if self.customer_id else self.number

    @property
    def amount(self) -> Decimal:
        """Σ line amounts after discount, tax included."""
        return quantize_money(sum((line.amount for line in self.lines.all()), Decimal("0")))

    def approval_amount(self) -> Decimal | None:
        return self.amount

    def has_downstream(self) -> bool:
        """Goods were shipped, or money was collected against its receivable."""
        if self.shipments.exists():
            return True
        return Obligation.objects.filter(
            source_type=self.DOCUMENT_TYPE, source_id=self.pk, allocated__gt=0
        ).exists()


class SalesOrderLine(models.Model):
    order = models.ForeignKey(
        SalesOrder, verbose_name=_("销售订单"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))
    unit_price = PriceField(_("含税单价"))
    discount_rate = models.DecimalField(_("折扣（%）"), max_digits=5, decimal_places=2, default=Decimal("0"))
    tax_rate = models.DecimalField(_("税率（%）"), max_digits=5, decimal_places=2, default=Decimal("13"))
    price_source = models.CharField(_("价格来源"), max_length=20, choices=PriceSource.choices)
    # Filled when a price below the product's minimum sale price was allowed by a role.
    below_min_reason = models.CharField(_("低于最低售价原因"), max_length=500, blank=True)
    shipped_quantity = QuantityField(_("已发货"), default=Decimal("0"), editable=False)
    returned_quantity = QuantityField(_("已退货"), default=Decimal("0"), editable=False)
    # Actual cost of the goods shipped (moving average at shipment) and of the goods returned.
    shipped_cost = MoneyField(_("发货成本"), default=Decimal("0"), editable=False)
    returned_cost = MoneyField(_("退货成本"), default=Decimal("0"), editable=False)

    class Meta:
        verbose_name = _("销售订单明细")
        verbose_name_plural = _("销售订单明细")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="sales_line_price_gte_0"),
            models.CheckConstraint(
                condition=Q(discount_rate__gte=0) & Q(discount_rate__lt=100), name="sales_line_discount_range"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=100), name="sales_line_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(shipped_quantity__gte=0) & Q(shipped_quantity__lte=F("quantity")),
                name="sales_line_shipped_in_range",
            ),
            models.CheckConstraint(
                condition=Q(returned_quantity__gte=0) & Q(returned_quantity__lte=F("shipped_quantity")),
                name="sales_line_returned_in_range",
            ),
            models.CheckConstraint(
                condition=Q(shipped_cost__gte=0) & Q(returned_cost__gte=0), name="sales_line_costs_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.product_id} × {self.quantity}"

    @property
    def net_price(self) -> Decimal:
        """The tax-inclusive unit price after the discount (unrounded)."""
        return self.unit_price * (HUNDRED - self.discount_rate) / HUNDRED

    @property
    def amount(self) -> Decimal:
        """Tax-inclusive line amount after discount."""
        return quantize_money(self.quantity * self.net_price)

    @property
    def tax_amount(self) -> Decimal:
        return quantize_money(self.amount * self.tax_rate / (HUNDRED + self.tax_rate))

    @property
    def amount_ex_tax(self) -> Decimal:
        return self.amount - self.tax_amount

    @property
    def open_quantity(self) -> Decimal:
        """Still to ship."""
        return self.quantity - self.shipped_quantity


class SalesOrderInstallment(models.Model):
    """The collection plan the order's receivable gets on approval (分期); one installment by default."""

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("销售订单"), on_delete=models.CASCADE, related_name="installments"
    )
    due_date = models.DateField(_("到期日"))
    amount = MoneyField(_("金额"))

    class Meta:
        verbose_name = _("收款计划")
        verbose_name_plural = _("收款计划")
        ordering = ["order_id", "due_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sales_plan_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.due_date} {self.amount}"


SHIPMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    # A shipment is posted when saved (in transit, 运输中) and done when the customer signs (已签收).
    "deliver": (frozenset({Status.IN_PROGRESS}), Status.DONE),
}


class Shipment(Document):
    """发货单: goods of an approved sales order leaving its warehouse, posted by logistics when saved
    (no approval: the order was approved), out of the order's reservation, lot by lot (first expiry
    first out unless chosen). Never edited; goods coming back are a sales return."""

    DOCUMENT_TYPE = "shipment"
    DEFAULT_PREFIX = "FH"
    approvable: ClassVar[bool] = False
    TRANSITIONS = SHIPMENT_TRANSITIONS

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("销售订单"), on_delete=models.PROTECT, related_name="shipments"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("发货仓库"), on_delete=models.PROTECT, related_name="+"
    )
    shipped_on = models.DateField(_("发货日期"))
    carrier = models.CharField(_("承运商"), max_length=100, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=100, blank=True)
    delivered_on = models.DateField(_("签收日期"), null=True, blank=True, editable=False)
    signed_by = models.CharField(_("签收人"), max_length=60, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    scope_policy = ScopePolicy(owner="order__owner", department="order__department")

    class Meta:
        verbose_name = _("发货单")
        verbose_name_plural = _("发货单")
        ordering = ["-shipped_on", "-id"]
        permissions = [("deliver_shipment", _("确认签收"))]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("发货单"), on_delete=models.PROTECT, related_name="lines"
    )
    order_line = models.ForeignKey(
        SalesOrderLine, verbose_name=_("订单明细"), on_delete=models.PROTECT, related_name="shipment_lines"
    )
    lot = models.ForeignKey(
        "inventory.Lot", verbose_name=_("批次"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))
    # The cost the stock ledger took for these goods (the move's value), and per unit.
    cost = MoneyField(_("成本"))
    unit_cost = CostField(_("单位成本"))
    returned_quantity = QuantityField(_("已退货"), default=Decimal("0"), editable=False)

    class Meta:
        verbose_name = _("发货明细")
        verbose_name_plural = _("发货明细")
        ordering = ["shipment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_shipline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(returned_quantity__gte=0) & Q(returned_quantity__lte=F("quantity")),
                name="sales_shipline_returned_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.order_line_id} {self.lot_id} × {self.quantity}"


RETURN_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    **TRANSITIONS,
    # Logistics receives the goods back: the return is done (stock in, refund payable opened).
    "receive": (frozenset({Status.APPROVED}), Status.DONE),
}


class SalesReturn(Document):
    """销售退货 against an order's shipped lots: submitted, approved by the manager, then received
    back by logistics (stock in at the original cost, possibly into a separate warehouse for
    rejected goods) and refunded: a payable to the customer that finance pays."""

    DOCUMENT_TYPE = "sales_return"
    DEFAULT_PREFIX = "XT"
    TRANSITIONS = RETURN_TRANSITIONS

    order = models.ForeignKey(
        SalesOrder, verbose_name=_("销售订单"), on_delete=models.PROTECT, related_name="returns"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("退回仓库"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("退货原因"), max_length=500)
    received_on = models.DateField(_("收货日期"), null=True, blank=True, editable=False)

    scope_policy = ScopePolicy(owner="owner", department="department")

    class Meta:
        verbose_name = _("销售退货单")
        verbose_name_plural = _("销售退货单")
        ordering = ["-created_at", "-id"]
        permissions = [("receive_salesreturn", _("销售退货收货"))]

    def __str__(self) -> str:
        return f"{self.number} {self.order.customer.name}" if self.order_id else self.number

    @property
    def amount(self) -> Decimal:
        return quantize_money(sum((line.amount for line in self.lines.all()), Decimal("0")))

    def approval_amount(self) -> Decimal | None:
        return self.amount


class SalesReturnLine(models.Model):
    sales_return = models.ForeignKey(
        SalesReturn, verbose_name=_("销售退货单"), on_delete=models.CASCADE, related_name="lines"
    )
    shipment_line = models.ForeignKey(
        ShipmentLine, verbose_name=_("发货明细"), on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = QuantityField(_("数量"))
    # The refund (tax-inclusive, at the order line's price after discount) and the goods' cost back.
    amount = MoneyField(_("退款金额"))

    class Meta:
        verbose_name = _("销售退货明细")
        verbose_name_plural = _("销售退货明细")
        ordering = ["sales_return_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sales_retline_quantity_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.sales_return_id}: {self.shipment_line_id} × {self.quantity}"
