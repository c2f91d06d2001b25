"""The stock ledger. `StockMove` rows are immutable; `StockBalance` (product × warehouse × lot: on
hand) and `StockLevel` (product × warehouse: on hand, reserved, value) are changed only by
`inventory.services.ledger`, in the same transaction as the moves, and database CHECK constraints
refuse any negative on hand, any reservation above what is on hand, and any negative value."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import TRANSITIONS, Document, Status
from maoyi.core.money import CostField, MoneyField, QuantityField
from maoyi.core.versioning import version_field
from maoyi.org.policy import ScopePolicy


class Warehouse(models.Model):
    code = models.CharField(_("仓库编码"), max_length=20, unique=True)
    name = models.CharField(_("仓库名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    keeper = models.ForeignKey(
        "org.Employee",
        verbose_name=_("仓管员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    version = version_field()

    class Meta:
        verbose_name = _("仓库")
        verbose_name_plural = _("仓库")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    """A lot (批次) of a product. Products without lot tracking keep their stock in one lot with an
    empty number, so every balance and move has a lot."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="lots"
    )
    lot_number = models.CharField(_("批号"), max_length=60, blank=True)
    production_date = models.DateField(_("生产日期"), null=True, blank=True)
    expiry_date = models.DateField(_("有效期至"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["product_id", "expiry_date", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="inventory_lot_unique_number")
        ]

    def __str__(self) -> str:
        return self.lot_number or str(_("（无批次）"))


class MoveKind(models.TextChoices):
    OPENING = "opening", _("期初入库")
    RECEIPT = "receipt", _("入库")
    ISSUE = "issue", _("出库")
    TRANSFER_OUT = "transfer_out", _("调拨出库")
    TRANSFER_IN = "transfer_in", _("调拨入库")
    STOCKTAKE_GAIN = "stocktake_gain", _("盘盈")
    STOCKTAKE_LOSS = "stocktake_loss", _("盘亏")
    REVERSAL = "reversal", _("红冲")
    PURCHASE_RETURN = "purchase_return", _("采购退货")
    SALES_RETURN = "sales_return", _("销售退货")


class StockMove(models.Model):
    """One immutable change of stock. `value` is the move's cost (quantity × unit cost, rounded to
    the cent; an issue that empties a product × warehouse takes exactly the value left)."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(Lot, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField(_("类型"), max_length=20, choices=MoveKind.choices)
    quantity = QuantityField(_("数量"))
    unit_cost = CostField(_("单位成本"))
    value = MoneyField(_("金额"))
    source_type = models.CharField(_("来源单据类型"), max_length=40)
    source_id = models.PositiveBigIntegerField()
    source_number = models.CharField(_("来源单据"), max_length=40, db_index=True)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("冲销"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("时间"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "warehouse", "created_at"], name="inventory_move_pw_idx"),
            models.Index(fields=["source_type", "source_id"], name="inventory_move_source_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="inventory_move_quantity_not_0")]

    def __str__(self) -> str:
        return f"{self.source_number} {self.product_id} {self.quantity}"


class StockLevel(models.Model):
    """Product × warehouse: everything on hand, what is reserved for approved orders, and the stock
    value behind the moving-average cost. Every posting locks this row first."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    on_hand = QuantityField(default=Decimal("0"))
    reserved = QuantityField(default=Decimal("0"))
    value = MoneyField(default=Decimal("0"))

    class Meta:
        verbose_name = _("库存水位")
        verbose_name_plural = _("库存水位")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="inventory_level_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_level_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="inventory_level_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="inventory_level_reserved_lte_on_hand"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="inventory_level_value_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand}"

    @property
    def unit_cost(self) -> Decimal:
        return (self.value / self.on_hand) if self.on_hand else Decimal("0")


class StockBalance(models.Model):
    """Product × warehouse × lot: on hand, always the sum of that lot's moves in that warehouse."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(Lot, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="balances")
    on_hand = QuantityField(_("现存量"), default=Decimal("0"))

    class Meta:
        verbose_name = _("库存余额")
        verbose_name_plural = _("库存余额")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse", "lot"], name="inventory_balance_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_balance_on_hand_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}/{self.lot_id}: {self.on_hand}"


class ReservationStatus(models.TextChoices):
    OPEN = "open", _("预留中")
    CLOSED = "closed", _("已结束")


class Reservation(models.Model):
    """Stock held for a document (an approved sales order) per product × warehouse until it ships
    or is released. `quantity` is what is still held."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("预留数量"))
    original_quantity = QuantityField(_("原预留数量"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.OPEN
    )
    source_type = models.CharField(max_length=40)
    source_id = models.PositiveBigIntegerField()
    source_number = models.CharField(_("来源单据"), max_length=40)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("预留")
        verbose_name_plural = _("预留")
        indexes = [models.Index(fields=["source_type", "source_id"], name="inventory_reservation_src_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="inventory_reservation_quantity_gte_0"),
            models.CheckConstraint(
                condition=Q(quantity__lte=F("original_quantity")), name="inventory_reservation_lte_original"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_number} {self.product_id}@{self.warehouse_id}: {self.quantity}"


# Stock documents ----------------------------------------------------------------------------------


# A stock document is posted (过账) in the transaction that approves it, and corrected afterwards only
# by a reversal (红冲): approved → done → reversed.
STOCK_DOCUMENT_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    **TRANSITIONS,
    "post": (frozenset({Status.APPROVED}), Status.DONE),
    "reverse": (frozenset({Status.DONE}), Status.REVERSED),
}


class StockDocument(Document):
    """A stock document posts its moves when approved; afterwards it is never edited, only reversed
    (红冲) by a reversing document that posts the opposite moves at the original cost."""

    TRANSITIONS = STOCK_DOCUMENT_TRANSITIONS

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    posted_at = models.DateTimeField(_("过账时间"), null=True, blank=True)

    scope_policy = ScopePolicy(owner="owner", department="department")

    class Meta:
        abstract = True

    def has_downstream(self) -> bool:
        """Posted moves exist: the document can no longer be unapproved, only reversed."""
        return StockMove.objects.filter(source_type=self.DOCUMENT_TYPE, source_id=self.pk).exists()


class OpeningStock(StockDocument):
    """期初: the stock a company has when it starts using Maoyi, with its cost."""

    DOCUMENT_TYPE = "opening_stock"
    DEFAULT_PREFIX = "QCKC"

    class Meta:
        verbose_name = _("期初库存")
        verbose_name_plural = _("期初库存")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class OpeningStockLine(models.Model):
    document = models.ForeignKey(OpeningStock, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    lot_number = models.CharField(_("批号"), max_length=60, blank=True)
    production_date = models.DateField(_("生产日期"), null=True, blank=True)
    expiry_date = models.DateField(_("有效期至"), null=True, blank=True)
    quantity = QuantityField(_("数量"))
    unit_cost = CostField(_("单位成本"))

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_opening_qty_gt_0")]

    def __str__(self) -> str:
        return f"{self.product_id} {self.quantity}"


class Stocktake(StockDocument):
    """盘点: counted quantities against the book quantity at the moment of counting. The difference
    (counted − book then) is posted on approval, so the warehouse keeps working meanwhile."""

    DOCUMENT_TYPE = "stocktake"
    DEFAULT_PREFIX = "PD"

    counted_at = models.DateTimeField(_("盘点时间"))

    class Meta:
        verbose_name = _("盘点单")
        verbose_name_plural = _("盘点单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    document = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(Lot, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="+")
    book_quantity = QuantityField(_("账面数量"))
    counted_quantity = QuantityField(_("实盘数量"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(counted_quantity__gte=0), name="inventory_stocktake_counted_gte_0"
            ),
            models.UniqueConstraint(fields=["document", "lot"], name="inventory_stocktake_line_unique_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id}: {self.book_quantity} → {self.counted_quantity}"

    @property
    def difference(self) -> Decimal:
        return self.counted_quantity - self.book_quantity


class Transfer(StockDocument):
    """调拨: goods leave `warehouse` and arrive in `to_warehouse` with their lots and cost."""

    DOCUMENT_TYPE = "transfer"
    DEFAULT_PREFIX = "DB"

    to_warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("调入仓库"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("调拨单")
        verbose_name_plural = _("调拨单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(warehouse=F("to_warehouse")), name="inventory_transfer_two_warehouses"
            )
        ]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    document = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    lot = models.ForeignKey(
        Lot, verbose_name=_("批次"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_transfer_qty_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.quantity}"


class StockReversal(StockDocument):
    """红冲 of a posted stock document: the opposite of its moves at their original cost."""

    DOCUMENT_TYPE = "stock_reversal"
    DEFAULT_PREFIX = "HC"
    # Posted at once when created, and never reversed in turn.
    TRANSITIONS = {}

    reverses_type = models.CharField(_("被冲单据类型"), max_length=40)
    reverses_id = models.PositiveBigIntegerField()
    reverses_number = models.CharField(_("被冲单据"), max_length=40, db_index=True)
    reason = models.CharField(_("红冲原因"), max_length=500)

    class Meta:
        verbose_name = _("红冲单")
        verbose_name_plural = _("红冲单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number
