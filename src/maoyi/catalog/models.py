from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import PriceField, QuantityField
from maoyi.core.versioning import version_field
from maoyi.org.models import localized
from maoyi.org.policy import ScopePolicy


class Category(models.Model):
    """A node of the product category tree; `path` ("/1/4/") makes a subtree one prefix query."""

    name = models.CharField(_("分类名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("商品分类")
        verbose_name_plural = _("商品分类")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="catalog_category_unique_name_per_parent")
        ]

    def __str__(self) -> str:
        return localized(self.name, self.name_en)

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)


class PriceLevelKind(models.TextChoices):
    CUSTOMER = "customer", _("客户等级")
    CHANNEL = "channel", _("渠道等级")


class PriceLevel(models.Model):
    """A price list by customer level or channel level (一级代理价, VIP 客户价 …)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    kind = models.CharField(
        _("类型"), max_length=10, choices=PriceLevelKind.choices, default=PriceLevelKind.CUSTOMER
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("价格等级")
        verbose_name_plural = _("价格等级")
        ordering = ["kind", "sort_order", "id"]

    def __str__(self) -> str:
        return localized(self.name, self.name_en)


class Product(models.Model):
    """A product the company buys and sells. Medical goods carry a registration number (注册证号)
    and, when lot-tracked, every unit in stock belongs to a lot with an expiry date."""

    code = models.CharField(_("商品编码"), max_length=40, unique=True)
    name = models.CharField(_("商品名称"), max_length=200)
    pinyin = models.CharField(_("拼音码"), max_length=60, blank=True, db_index=True, editable=False)
    specification = models.CharField(_("规格型号"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20, default="个")
    category = models.ForeignKey(
        Category,
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    brand = models.CharField(_("品牌"), max_length=100, blank=True)
    manufacturer = models.CharField(_("生产厂家"), max_length=200, blank=True)
    registration_number = models.CharField(_("注册证号"), max_length=100, blank=True)
    registration_expires_on = models.DateField(_("注册证有效期至"), null=True, blank=True)
    lot_tracked = models.BooleanField(_("批次管理"), default=True)
    shelf_life_days = models.PositiveIntegerField(_("保质期（天）"), null=True, blank=True)
    purchase_price = PriceField(_("采购价"), default=0)
    sale_price = PriceField(_("销售价"), default=0)
    min_sale_price = PriceField(_("最低售价"), null=True, blank=True)
    min_stock = QuantityField(_("最低库存"), default=0)
    max_stock = QuantityField(_("最高库存"), null=True, blank=True)
    barcode = models.CharField(_("条码"), max_length=64, blank=True, db_index=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    # Company data, not owned: pages and the API gate products by model permissions. The scope gate
    # has no "shared" policy yet, so attachments on a product follow the 全公司 scope.
    scope_policy = ScopePolicy(owner=None, department=None, shared=True)
    accepts_attachments = True

    version = version_field()

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purchase_price__gte=0), name="catalog_product_purchase_price_gte_0"
            ),
            models.CheckConstraint(condition=Q(sale_price__gte=0), name="catalog_product_sale_price_gte_0"),
            models.CheckConstraint(condition=Q(min_stock__gte=0), name="catalog_product_min_stock_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductPrice(models.Model):
    """A product's price in one price level."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    price_level = models.ForeignKey(
        PriceLevel, verbose_name=_("价格等级"), on_delete=models.PROTECT, related_name="+"
    )
    price = PriceField(_("价格"))

    class Meta:
        verbose_name = _("等级价格")
        verbose_name_plural = _("等级价格")
        constraints = [
            models.UniqueConstraint(fields=["product", "price_level"], name="catalog_price_unique_per_level"),
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} {self.price_level}: {self.price}"
