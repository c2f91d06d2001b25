"""Writes to the catalog: products with their level prices, the category tree and price levels.
Each function is one transaction that checks the caller's permission, validates, writes and audits."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.audit import services as audit
from maoyi.audit.selectors import history_of
from maoyi.catalog.models import Category, PriceLevel, PriceLevelKind, Product, ProductPrice
from maoyi.core.errors import DomainError, InvalidState
from maoyi.core.money import quantize_quantity
from maoyi.core.permissions import require_permission
from maoyi.core.trees import node_path, repath_descendants
from maoyi.core.versioning import claim
from maoyi.org.models import Employee
from maoyi.org.pinyin import initials

PRODUCT_FIELDS = (
    "code",
    "name",
    "specification",
    "unit",
    "category",
    "brand",
    "manufacturer",
    "registration_number",
    "registration_expires_on",
    "lot_tracked",
    "shelf_life_days",
    "purchase_price",
    "sale_price",
    "min_sale_price",
    "min_stock",
    "max_stock",
    "barcode",
    "is_active",
)
CATEGORY_FIELDS = ("name", "name_en", "parent", "sort_order", "is_active")
PRICE_LEVEL_FIELDS = ("code", "name", "name_en", "kind", "sort_order", "is_active")

PRODUCT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
PRICE_LEVEL_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# A level price per price level; None removes the product's price in that level.
LevelPrices = Mapping[PriceLevel, Decimal | None]


# Products ------------------------------------------------------------------------------------------


def _price(value: Decimal | None, *, field: str, label: object) -> Decimal | None:
    if value is None:
        return None
    if value < 0:
        raise DomainError(_("%(label)s不能为负数。"), code="invalid", field=field, label=label)
    return quantize_quantity(value)


def _quantized(value: Decimal | None) -> Decimal | None:
    return quantize_quantity(value) if value is not None else None


def _prices_text(product: Product) -> str:
    """The level prices as one line for the audit trail (一级代理价 12.5000、VIP 客户价 15.0000)."""
    rows = ProductPrice.objects.filter(product=product).select_related("price_level")
    rows = rows.order_by("price_level__kind", "price_level__sort_order", "price_level_id")
    return "、".join(f"{row.price_level.name} {row.price}" for row in rows)


def _check_product(
    product: Product | None,
    *,
    code: str,
    name: str,
    unit: str,
    category: Category | None,
    registration_number: str,
    registration_expires_on: dt.date | None,
    shelf_life_days: int | None,
    purchase_price: Decimal,
    sale_price: Decimal,
    min_sale_price: Decimal | None,
    min_stock: Decimal,
    max_stock: Decimal | None,
) -> None:
    """The rules a product's fields must satisfy, in the order a form shows them."""
    if not code:
        raise DomainError(_("请填写商品编码。"), code="invalid", field="code")
    if not PRODUCT_CODE_RE.match(code):
        raise DomainError(
            _("商品编码须以字母或数字开头，只含字母、数字、点、连字符和下划线，最多 40 位。"),
            code="invalid",
            field="code",
        )
    if not name:
        raise DomainError(_("请填写商品名称。"), code="invalid", field="name")
    if not unit:
        raise DomainError(_("请填写单位。"), code="invalid", field="unit")
    if category is not None and not Category.objects.filter(pk=category.pk, is_active=True).exists():
        keeps = product is not None and product.category_id == category.pk
        if not keeps:
            raise DomainError(
                _("分类“%(name)s”已停用。"), code="invalid", field="category", name=category.name
            )
    if registration_expires_on is not None and not registration_number:
        raise DomainError(
            _("填写了注册证有效期，请同时填写注册证号。"), code="invalid", field="registration_number"
        )
    if shelf_life_days is not None and shelf_life_days <= 0:
        raise DomainError(_("保质期必须大于 0 天。"), code="invalid", field="shelf_life_days")
    _price(purchase_price, field="purchase_price", label=_("采购价"))
    _price(sale_price, field="sale_price", label=_("销售价"))
    _price(min_sale_price, field="min_sale_price", label=_("最低售价"))
    if min_sale_price is not None and min_sale_price > sale_price:
        raise DomainError(_("最低售价不能高于销售价。"), code="invalid", field="min_sale_price")
    if min_stock < 0:
        raise DomainError(_("最低库存不能为负数。"), code="invalid", field="min_stock")
    if max_stock is not None and max_stock < min_stock:
        raise DomainError(_("最高库存不能低于最低库存。"), code="invalid", field="max_stock")
    twin = Product.objects.filter(code__iexact=code).exclude(pk=product.pk if product else 0)
    if twin.exists():
        raise _duplicate_code(code)


def _check_level_prices(product: Product | None, prices: LevelPrices) -> dict[PriceLevel, Decimal | None]:
    current = {}
    if product is not None:
        current = dict(ProductPrice.objects.filter(product=product).values_list("price_level_id", "price"))
    active = set(
        PriceLevel.objects.filter(pk__in=[level.pk for level in prices], is_active=True).values_list(
            "pk", flat=True
        )
    )
    checked: dict[PriceLevel, Decimal | None] = {}
    for level, price in prices.items():
        value = _price(price, field="prices", label=level.name)
        if value is not None and level.pk not in active and current.get(level.pk) != value:
            raise DomainError(
                _("价格等级“%(name)s”已停用，不能设置价格。"), code="invalid", field="prices", name=level.name
            )
        checked[level] = value
    return checked


def _save_level_prices(product: Product, prices: Mapping[PriceLevel, Decimal | None]) -> None:
    for level, price in prices.items():
        if price is None:
            ProductPrice.objects.filter(product=product, price_level=level).delete()
        else:
            ProductPrice.objects.update_or_create(
                product=product, price_level=level, defaults={"price": price}
            )


def _duplicate_code(code: str) -> DomainError:
    return DomainError(_("商品编码“%(value)s”已存在。"), code="duplicate", field="code", value=code)


@transaction.atomic
def create_product(
    *,
    actor: Employee | None,
    code: str,
    name: str,
    unit: str,
    specification: str = "",
    category: Category | None = None,
    brand: str = "",
    manufacturer: str = "",
    registration_number: str = "",
    registration_expires_on: dt.date | None = None,
    lot_tracked: bool = True,
    shelf_life_days: int | None = None,
    purchase_price: Decimal = Decimal("0"),
    sale_price: Decimal = Decimal("0"),
    min_sale_price: Decimal | None = None,
    min_stock: Decimal = Decimal("0"),
    max_stock: Decimal | None = None,
    barcode: str = "",
    prices: LevelPrices | None = None,
) -> Product:
    """A new product with its level prices; product codes are unique (case-insensitive) and the
    pinyin initials of its name are stored for search."""
    require_permission(actor, "catalog.add_product")
    code, name, unit = code.strip(), name.strip(), unit.strip()
    registration_number = registration_number.strip()
    _check_product(
        None,
        code=code,
        name=name,
        unit=unit,
        category=category,
        registration_number=registration_number,
        registration_expires_on=registration_expires_on,
        shelf_life_days=shelf_life_days,
        purchase_price=purchase_price,
        sale_price=sale_price,
        min_sale_price=min_sale_price,
        min_stock=min_stock,
        max_stock=max_stock,
    )
    level_prices = _check_level_prices(None, prices or {})
    try:
        with transaction.atomic():  # a concurrent twin may pass the check above; the index decides
            product = Product.objects.create(
                code=code,
                name=name,
                pinyin=initials(name),
                specification=specification.strip(),
                unit=unit,
                category=category,
                brand=brand.strip(),
                manufacturer=manufacturer.strip(),
                registration_number=registration_number,
                registration_expires_on=registration_expires_on,
                lot_tracked=lot_tracked,
                shelf_life_days=shelf_life_days,
                purchase_price=quantize_quantity(purchase_price),
                sale_price=quantize_quantity(sale_price),
                min_sale_price=_quantized(min_sale_price),
                min_stock=quantize_quantity(min_stock),
                max_stock=_quantized(max_stock),
                barcode=barcode.strip(),
            )
    except IntegrityError:
        raise _duplicate_code(code) from None
    _save_level_prices(product, level_prices)
    after = {**audit.snapshot(product, PRODUCT_FIELDS), "prices": _prices_text(product)}
    audit.record(actor, "create", product, {k: [None, v] for k, v in after.items() if v not in (None, "")})
    return product


@transaction.atomic
def update_product(
    product: Product,
    *,
    actor: Employee | None,
    code: str,
    name: str,
    unit: str,
    specification: str = "",
    category: Category | None = None,
    brand: str = "",
    manufacturer: str = "",
    registration_number: str = "",
    registration_expires_on: dt.date | None = None,
    lot_tracked: bool = True,
    shelf_life_days: int | None = None,
    purchase_price: Decimal = Decimal("0"),
    sale_price: Decimal = Decimal("0"),
    min_sale_price: Decimal | None = None,
    min_stock: Decimal = Decimal("0"),
    max_stock: Decimal | None = None,
    barcode: str = "",
    prices: LevelPrices | None = None,
    version: int | None = None,
) -> Product:
    """Change a product and, when `prices` is given, its prices in those levels (None removes a
    level's price; levels not given keep theirs). Its active flag changes only through
    `deactivate_product` / `reactivate_product`."""
    require_permission(actor, "catalog.change_product")
    product = Product.objects.select_for_update().get(pk=product.pk)
    claim(product, version, history=history_of)
    before = audit.snapshot(product, PRODUCT_FIELDS)
    before["prices"] = _prices_text(product)
    code, name, unit = code.strip(), name.strip(), unit.strip()
    registration_number = registration_number.strip()
    _check_product(
        product,
        code=code,
        name=name,
        unit=unit,
        category=category,
        registration_number=registration_number,
        registration_expires_on=registration_expires_on,
        shelf_life_days=shelf_life_days,
        purchase_price=purchase_price,
        sale_price=sale_price,
        min_sale_price=min_sale_price,
        min_stock=min_stock,
        max_stock=max_stock,
    )
    level_prices = _check_level_prices(product, prices or {})
    product.code, product.name, product.pinyin = code, name, initials(name)
    product.specification, product.unit, product.category = specification.strip(), unit, category
    product.brand, product.manufacturer = brand.strip(), manufacturer.strip()
    product.registration_number, product.registration_expires_on = (
        registration_number,
        registration_expires_on,
    )
    product.lot_tracked, product.shelf_life_days = lot_tracked, shelf_life_days
    product.purchase_price = quantize_quantity(purchase_price)
    product.sale_price = quantize_quantity(sale_price)
    product.min_sale_price = _quantized(min_sale_price)
    product.min_stock = quantize_quantity(min_stock)
    product.max_stock = _quantized(max_stock)
    product.barcode = barcode.strip()
    product.updated_at = timezone.now()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise _duplicate_code(code) from None
    _save_level_prices(product, level_prices)
    after = audit.snapshot(product, PRODUCT_FIELDS)
    after["prices"] = _prices_text(product)
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor, "update", product, changes)
    return product


def _set_active(product: Product, *, actor: Employee | None, active: bool) -> Product:
    require_permission(actor, "catalog.change_product")
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.is_active == active:
        message = _("商品已是启用状态。") if active else _("商品已是停用状态。")
        raise InvalidState(message)
    product.is_active = active
    product.updated_at = timezone.now()
    product.save(update_fields=["is_active", "updated_at"])
    audit.record(actor, "update", product, {"is_active": [not active, active]})
    return product


@transaction.atomic
def deactivate_product(product: Product, *, actor: Employee | None) -> Product:
    """停用: the product stays in past documents and stock, but new documents cannot pick it."""
    return _set_active(product, actor=actor, active=False)


@transaction.atomic
def reactivate_product(product: Product, *, actor: Employee | None) -> Product:
    """启用 a product that was switched off."""
    return _set_active(product, actor=actor, active=True)


# Categories ----------------------------------------------------------------------------------------


def _duplicate_category(name: str) -> DomainError:
    return DomainError(_("同一上级下已有名为“%(name)s”的分类。"), code="duplicate", field="name", name=name)


@transaction.atomic
def create_category(
    *, actor: Employee | None, name: str, parent: Category | None, name_en: str = "", sort_order: int = 0
) -> Category:
    """A new category under `parent` (or a new top-level one); names are unique among siblings."""
    require_permission(actor, "catalog.add_category")
    name = name.strip()
    if not name:
        raise DomainError(_("请填写分类名称。"), code="invalid", field="name")
    if parent is not None and not parent.is_active:
        raise DomainError(_("上级分类“%(name)s”已停用。"), code="invalid", field="parent", name=parent.name)
    if Category.objects.filter(parent=parent, name=name).exists():
        raise _duplicate_category(name)
    try:
        with transaction.atomic():  # a concurrent twin may pass the check above; the index decides
            category = Category.objects.create(
                name=name, name_en=name_en.strip(), parent=parent, sort_order=sort_order
            )
    except IntegrityError:
        raise _duplicate_category(name) from None
    category.path = node_path(parent, category.pk)
    category.save(update_fields=["path"])
    audit.record_created(actor, category, CATEGORY_FIELDS)
    return category


@transaction.atomic
def update_category(
    category: Category,
    *,
    actor: Employee | None,
    name: str,
    parent: Category | None,
    name_en: str = "",
    sort_order: int = 0,
    is_active: bool = True,
) -> Category:
    """Rename or move a category; a category cannot move under itself or its own descendants, and
    cannot be switched off while active products are in it or below it."""
    require_permission(actor, "catalog.change_category")
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = audit.snapshot(category, CATEGORY_FIELDS)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写分类名称。"), code="invalid", field="name")
    if parent is not None and parent.path.startswith(category.path):
        raise DomainError(_("不能把分类移到它自己或它的下级分类之下。"), code="invalid", field="parent")
    if parent is not None and parent.pk != category.parent_id and not parent.is_active:
        raise DomainError(_("上级分类“%(name)s”已停用。"), code="invalid", field="parent", name=parent.name)
    if Category.objects.filter(parent=parent, name=name).exclude(pk=category.pk).exists():
        raise _duplicate_category(name)
    if not is_active and category.is_active:
        busy = Product.objects.filter(category__path__startswith=category.path, is_active=True).exists()
        if busy:
            raise DomainError(
                _("分类（或其下级分类）下还有启用的商品，不能停用。"), code="invalid", field="is_active"
            )
    old_path = category.path
    category.name, category.name_en, category.parent = name, name_en.strip(), parent
    category.sort_order, category.is_active = sort_order, is_active
    category.path = node_path(parent, category.pk)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise _duplicate_category(name) from None
    repath_descendants(Category, category, old_path)
    changes = audit.diff(before, audit.snapshot(category, CATEGORY_FIELDS))
    if changes:
        audit.record(actor, "update", category, changes)
    return category


# Price levels --------------------------------------------------------------------------------------


def _check_price_level(level: PriceLevel | None, *, code: str, name: str, kind: str) -> None:
    if not PRICE_LEVEL_CODE_RE.match(code):
        raise DomainError(
            _("价格等级代码须以小写字母或数字开头，只含小写字母、数字、连字符和下划线，最多 40 位。"),
            code="invalid",
            field="code",
        )
    if not name:
        raise DomainError(_("请填写价格等级名称。"), code="invalid", field="name")
    if kind not in PriceLevelKind.values:
        raise DomainError(_("价格等级类型无效。"), code="invalid", field="kind")
    if PriceLevel.objects.filter(code=code).exclude(pk=level.pk if level else 0).exists():
        raise _duplicate_level(code)


def _duplicate_level(code: str) -> DomainError:
    return DomainError(_("价格等级代码“%(value)s”已存在。"), code="duplicate", field="code", value=code)


@transaction.atomic
def create_price_level(
    *,
    actor: Employee | None,
    code: str,
    name: str,
    kind: str = PriceLevelKind.CUSTOMER,
    name_en: str = "",
    sort_order: int = 0,
) -> PriceLevel:
    """A new price list by customer level or channel level; codes are unique."""
    require_permission(actor, "catalog.add_pricelevel")
    code, name = code.strip(), name.strip()
    _check_price_level(None, code=code, name=name, kind=kind)
    try:
        with transaction.atomic():
            level = PriceLevel.objects.create(
                code=code, name=name, name_en=name_en.strip(), kind=kind, sort_order=sort_order
            )
    except IntegrityError:
        raise _duplicate_level(code) from None
    audit.record_created(actor, level, PRICE_LEVEL_FIELDS)
    return level


@transaction.atomic
def update_price_level(
    level: PriceLevel,
    *,
    actor: Employee | None,
    code: str,
    name: str,
    kind: str,
    name_en: str = "",
    sort_order: int = 0,
    is_active: bool = True,
) -> PriceLevel:
    """Change a price level; a switched-off level keeps its prices but takes no new ones."""
    require_permission(actor, "catalog.change_pricelevel")
    level = PriceLevel.objects.select_for_update().get(pk=level.pk)
    before = audit.snapshot(level, PRICE_LEVEL_FIELDS)
    code, name = code.strip(), name.strip()
    _check_price_level(level, code=code, name=name, kind=kind)
    level.code, level.name, level.name_en, level.kind = code, name, name_en.strip(), kind
    level.sort_order, level.is_active = sort_order, is_active
    try:
        with transaction.atomic():
            level.save()
    except IntegrityError:
        raise _duplicate_level(code) from None
    changes = audit.diff(before, audit.snapshot(level, PRICE_LEVEL_FIELDS))
    if changes:
        audit.record(actor, "update", level, changes)
    return level
