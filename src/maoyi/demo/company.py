"""The demo company of PRODUCT.md: a Beijing importer and distributor of medical consumables, with
its goods (categories, price levels, products with registration numbers and prices), two warehouses
and an opening stock in lots. Loading is idempotent: existing rows are kept as they are, and the
opening stock is posted once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from maoyi.approvals import services as approval_services
from maoyi.approvals.models import ApprovalRule, ApproverKind
from maoyi.catalog import services as catalog
from maoyi.catalog.models import Category, PriceLevel, PriceLevelKind, Product
from maoyi.inventory.models import OpeningStock, StockMove, Warehouse
from maoyi.inventory.services import documents as stock_documents
from maoyi.inventory.services import opening
from maoyi.inventory.services import warehouses as warehouse_services
from maoyi.org import services
from maoyi.org.models import Department, Employee, Role

COMPANY = "北京贸易医疗器械有限公司"

# (name, English name, parent name)
DEPARTMENTS: tuple[tuple[str, str, str | None], ...] = (
    (COMPANY, "Maoyi Medical (Beijing) Co., Ltd.", None),
    ("总经办", "General Office", COMPANY),
    ("业务部", "Sales Department", COMPANY),
    ("终端客户部", "End Customers Team", "业务部"),
    ("医疗系统发展部", "Hospital Systems Team", "业务部"),
    ("渠道部", "Channel Team", "业务部"),
    ("采购部", "Purchasing", COMPANY),
    ("财务部", "Finance", COMPANY),
    ("物流部", "Logistics", COMPANY),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    department: str
    title: str
    roles: tuple[str, ...]
    is_manager: bool = False
    mobile: str = ""


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "系统管理员", "总经办", "系统管理员", ("admin",), mobile="13800000001"),
    DemoAccount("wangjun", "王军", "业务部", "业务部经理", ("manager",), True, "13800000002"),
    DemoAccount("linxue", "林雪", "业务部", "业务助理", ("sales_assistant",), mobile="13800000003"),
    DemoAccount(
        "liming", "李明", "终端客户部", "终端客户部经理", ("manager", "salesperson"), True, "13800000004"
    ),
    DemoAccount("zhangwei", "张伟", "终端客户部", "业务员", ("salesperson",), mobile="13800000005"),
    DemoAccount("chenjing", "陈静", "终端客户部", "业务员", ("salesperson",), mobile="13800000006"),
    DemoAccount(
        "zhouqiang", "周强", "医疗系统发展部", "医疗系统发展部经理", ("manager", "salesperson"), True
    ),
    DemoAccount("wufang", "吴芳", "医疗系统发展部", "业务员", ("salesperson",)),
    DemoAccount("sunhao", "孙浩", "医疗系统发展部", "业务员", ("salesperson",)),
    DemoAccount("zhaolei", "赵磊", "渠道部", "渠道部经理", ("manager", "salesperson"), True),
    DemoAccount("qianli", "钱丽", "渠道部", "渠道专员", ("salesperson",)),
    DemoAccount("hemin", "何敏", "渠道部", "渠道专员", ("salesperson",)),
    DemoAccount("gaofeng", "高峰", "采购部", "采购部经理", ("manager", "purchaser"), True),
    DemoAccount("mali", "马丽", "采购部", "采购员", ("purchaser",)),
    DemoAccount("luyang", "陆洋", "物流部", "仓管/物流", ("logistics",), True),
    DemoAccount("huangyan", "黄燕", "财务部", "财务经理", ("manager", "finance"), True),
    DemoAccount("xuting", "徐婷", "财务部", "出纳/会计", ("finance",)),
)


def demo_password() -> str:
    return str(settings.MAOYI_DEMO_PASSWORD)


# Goods ------------------------------------------------------------------------------------------

ROOT_CATEGORY = ("医用耗材", "Medical consumables")
# (name, English name) under the root category
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("注射穿刺类", "Injection and puncture"),
    ("敷料类", "Dressings"),
    ("防护用品", "Protective equipment"),
    ("检验耗材", "Laboratory consumables"),
)

# (code, name, English name, kind)
PRICE_LEVELS: tuple[tuple[str, str, str, str], ...] = (
    ("agent-1", "一级代理价", "Tier-1 agent price", PriceLevelKind.CHANNEL),
    ("vip", "VIP客户价", "VIP customer price", PriceLevelKind.CUSTOMER),
)


@dataclass(frozen=True)
class DemoLot:
    warehouse: str  # warehouse code
    produced_days_ago: int  # the lot's expiry date is its production date + the product's shelf life
    quantity: int


@dataclass(frozen=True)
class DemoProduct:
    code: str
    name: str
    specification: str
    unit: str
    category: str
    brand: str
    manufacturer: str
    registration_number: str
    registration_valid_days: int  # from the day the demo is loaded
    shelf_life_days: int
    purchase_price: str
    sale_price: str
    min_sale_price: str
    agent_price: str  # 一级代理价
    vip_price: str  # VIP客户价
    min_stock: int
    lots: tuple[DemoLot, ...]


def _lots(*lots: tuple[str, int, int]) -> tuple[DemoLot, ...]:
    return tuple(DemoLot(w, days, qty) for w, days, qty in lots)


# Registration numbers and manufacturers are made up for the demo. The opening stock is chosen so
# that the stock pages have something to show: three lots expire within 90 days (ZS004, JY001,
# JY002), one lot of surgical masks has expired (FH001), and the IV catheter (ZS003) is below its
# minimum stock.
# fmt: off
PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        "ZS001", "一次性使用无菌注射器 带针", "5ml 0.7×32TWLB", "支", "注射穿刺类", "华康",
        "江西华康医疗器械有限公司", "国械注准20183140312", 1460, 1825,
        "0.32", "0.55", "0.45", "0.42", "0.50", 20000,
        _lots(("WH01", 400, 30000), ("WH02", 200, 12000)),
    ),
    DemoProduct(
        "ZS002", "一次性使用静脉输液针", "0.7×25mm 头皮针", "支", "注射穿刺类", "华康",
        "江西华康医疗器械有限公司", "国械注准20193140587", 1200, 1095,
        "0.18", "0.35", "0.28", "0.26", "0.30", 10000,
        _lots(("WH01", 300, 25000), ("WH02", 90, 8000)),
    ),
    DemoProduct(
        "ZS003", "一次性使用静脉留置针", "22G 0.9×25mm 密闭式", "支", "注射穿刺类", "Medivena",
        "Medivena Medical GmbH", "国械注进20163141024", 700, 1095,
        "8.50", "15.00", "12.00", "11.50", "13.50", 3000,
        _lots(("WH01", 150, 800), ("WH02", 60, 400)),
    ),
    DemoProduct(
        "ZS004", "一次性使用末梢采血针", "28G 压力触发式", "支", "注射穿刺类", "安采",
        "苏州安采医疗科技有限公司", "国械注准20203140902", 1500, 1095,
        "0.12", "0.25", "0.20", "0.18", "0.22", 20000,
        _lots(("WH01", 1045, 6000), ("WH01", 100, 30000)),
    ),
    DemoProduct(
        "FL001", "医用纱布块", "7.5cm×7.5cm-8层 灭菌 10块/包", "包", "敷料类", "洁康",
        "河南洁康卫生材料有限公司", "国械注准20173140231", 900, 1095,
        "0.90", "1.60", "1.30", "1.20", "1.40", 2000,
        _lots(("WH01", 700, 5000), ("WH02", 250, 1500)),
    ),
    DemoProduct(
        "FL002", "透明薄膜敷贴（IV敷贴）", "6cm×7cm", "片", "敷料类", "Dermaclear",
        "Dermaclear Healthcare Ltd.", "国械注进20173140455", 1100, 730,
        "1.80", "3.20", "2.60", "2.40", "2.80", 3000,
        _lots(("WH01", 600, 4000), ("WH01", 120, 6000)),
    ),
    DemoProduct(
        "FL003", "水胶体敷料", "10cm×10cm 薄型", "片", "敷料类", "Dermaclear",
        "Dermaclear Healthcare Ltd.", "国械注进20183140118", 1300, 1095,
        "12.00", "22.00", "18.00", "17.00", "19.50", 500,
        _lots(("WH01", 330, 1200),),
    ),
    DemoProduct(
        "FH001", "医用外科口罩", "17.5cm×9.5cm 三层 挂耳式 50只/盒", "盒", "防护用品", "安护",
        "湖北安护防护用品有限公司", "国械注准20203140377", 1000, 730,
        "18.00", "32.00", "26.00", "24.00", "28.00", 400,
        _lots(("WH01", 750, 120), ("WH01", 200, 900), ("WH02", 100, 300)),
    ),
    DemoProduct(
        "FH002", "医用防护口罩", "KN95 头戴式 折叠型", "只", "防护用品", "Aeroguard",
        "Aeroguard Protective Inc.", "国械注进20153140679", 600, 730,
        "3.20", "6.00", "4.80", "4.50", "5.20", 5000,
        _lots(("WH01", 400, 12000),),
    ),
    DemoProduct(
        "FH003", "一次性使用医用橡胶检查手套", "M 无粉 100只/盒", "盒", "防护用品", "安护",
        "湖北安护防护用品有限公司", "国械注准20193140812", 1250, 1095,
        "16.00", "28.00", "23.00", "21.50", "25.00", 300,
        _lots(("WH01", 900, 600), ("WH02", 300, 400)),
    ),
    DemoProduct(
        "JY001", "一次性使用真空采血管", "5ml 促凝 黄帽 13×100mm", "支", "检验耗材", "康检",
        "山东康检生物科技有限公司", "国械注准20192220436", 1400, 365,
        "0.45", "0.85", "0.70", "0.65", "0.75", 20000,
        _lots(("WH01", 310, 15000), ("WH01", 60, 40000)),
    ),
    DemoProduct(
        "JY002", "血糖试纸（葡萄糖氧化酶法）", "50片/盒", "盒", "检验耗材", "康检",
        "山东康检生物科技有限公司", "国械注准20213400301", 1600, 540,
        "2.50", "5.00", "4.00", "3.80", "4.50", 1000,
        _lots(("WH01", 500, 800), ("WH02", 150, 1500)),
    ),
)
# fmt: on

# (code, name, address, keeper's username)
WAREHOUSES: tuple[tuple[str, str, str, str], ...] = (
    ("WH01", "北京主仓", "北京市大兴区经济技术开发区科创十三街18号", "luyang"),
    ("WH02", "天津分仓", "天津市东丽区空港经济区中环西路36号", "luyang"),
)


def _category(name: str, name_en: str, parent: Category | None, sort_order: int) -> tuple[Category, bool]:
    category = Category.objects.filter(parent=parent, name=name).first()
    if category is not None:
        return category, False
    category = catalog.create_category(
        actor=None, name=name, name_en=name_en, parent=parent, sort_order=sort_order
    )
    return category, True


def load_goods(*, today: dt.date | None = None) -> dict[str, int]:
    """Categories, price levels, products with their level prices and the warehouses, through the
    catalog's and inventory's services; rows that exist (by name or code) are kept as they are.
    Returns how many of each were created."""
    today = today or timezone.localdate()
    created = {"categories": 0, "price_levels": 0, "products": 0, "warehouses": 0}
    root, new = _category(*ROOT_CATEGORY, None, 0)
    created["categories"] += new
    categories: dict[str, Category] = {}
    for order, (name, name_en) in enumerate(CATEGORIES, start=1):
        categories[name], new = _category(name, name_en, root, order)
        created["categories"] += new
    levels: dict[str, PriceLevel] = {}
    for order, (code, name, name_en, kind) in enumerate(PRICE_LEVELS, start=1):
        level = PriceLevel.objects.filter(code=code).first()
        if level is None:
            level = catalog.create_price_level(
                actor=None, code=code, name=name, name_en=name_en, kind=kind, sort_order=order
            )
            created["price_levels"] += 1
        levels[code] = level
    for item in PRODUCTS:
        if Product.objects.filter(code=item.code).exists():
            continue
        catalog.create_product(
            actor=None,
            code=item.code,
            name=item.name,
            unit=item.unit,
            specification=item.specification,
            category=categories[item.category],
            brand=item.brand,
            manufacturer=item.manufacturer,
            registration_number=item.registration_number,
            registration_expires_on=today + dt.timedelta(days=item.registration_valid_days),
            lot_tracked=True,
            shelf_life_days=item.shelf_life_days,
            purchase_price=Decimal(item.purchase_price),
            sale_price=Decimal(item.sale_price),
            min_sale_price=Decimal(item.min_sale_price),
            min_stock=Decimal(item.min_stock),
            prices={levels["agent-1"]: Decimal(item.agent_price), levels["vip"]: Decimal(item.vip_price)},
        )
        created["products"] += 1
    keepers = {e.user.username: e for e in Employee.objects.select_related("user")}
    for code, name, address, keeper in WAREHOUSES:
        if Warehouse.objects.filter(code=code).exists():
            continue
        warehouse_services.create_warehouse(
            actor=None, code=code, name=name, address=address, keeper=keepers.get(keeper)
        )
        created["warehouses"] += 1
    return created


def load_opening_stock(*, today: dt.date | None = None) -> int:
    """The demo's opening stock (期初), once: one OpeningStock document per warehouse, entered by the
    warehouse keeper and approved by the administrator under an approval rule for opening stock,
    which posts it. Returns the number of stock moves made."""
    if OpeningStock.objects.exists():
        return 0
    today = today or timezone.localdate()
    keeper = Employee.objects.get(user__username="luyang")
    admin = Employee.objects.get(user__username="admin")
    if not ApprovalRule.objects.filter(document_type=OpeningStock.DOCUMENT_TYPE).exists():
        approval_services.save_rule(
            None,
            actor=None,
            document_type=OpeningStock.DOCUMENT_TYPE,
            name="期初库存由管理员审批",
            approver_kind=ApproverKind.ROLE,
            role_id=Role.objects.get(code="admin").pk,
        )
    products = {p.code: p for p in Product.objects.filter(code__in=[i.code for i in PRODUCTS])}
    by_warehouse: dict[str, list[opening.OpeningLineInput]] = {code: [] for code, *_rest in WAREHOUSES}
    for item in PRODUCTS:
        product = products[item.code]
        for lot in item.lots:
            produced = today - dt.timedelta(days=lot.produced_days_ago)
            by_warehouse[lot.warehouse].append(
                opening.OpeningLineInput(
                    product_id=product.pk,
                    quantity=Decimal(lot.quantity),
                    unit_cost=product.purchase_price,
                    lot_number=produced.strftime("%Y%m%d"),
                    production_date=produced,
                    expiry_date=produced + dt.timedelta(days=item.shelf_life_days),
                )
            )
    moves = 0
    for code, lines in by_warehouse.items():
        if not lines:
            continue
        doc = opening.create_opening_stock(
            actor=keeper, warehouse=Warehouse.objects.get(code=code), lines=lines, note="系统启用时的期初库存"
        )
        stock_documents.submit_document(doc, actor=keeper)
        opening.approve_opening_stock(doc, actor=admin, comment="期初盘点核对无误")
        moves += StockMove.objects.filter(source_type=doc.DOCUMENT_TYPE, source_id=doc.pk).count()
    return moves


@transaction.atomic
def load_company(*, today: dt.date | None = None) -> dict[str, int]:
    """Departments, the built-in roles, the demo accounts, the goods, the warehouses and the
    opening stock; returns how many of each were created."""
    roles: dict[str, Role] = services.ensure_built_in_roles()
    created = {"departments": 0, "employees": 0}
    by_name: dict[str, Department] = {}
    for name, name_en, parent_name in DEPARTMENTS:
        parent = by_name.get(parent_name) if parent_name else None
        dept = Department.objects.filter(name=name, parent=parent).first()
        if dept is None:
            dept = services.create_department(actor=None, name=name, name_en=name_en, parent=parent)
            created["departments"] += 1
        by_name[name] = dept
    for account in ACCOUNTS:
        if Employee.objects.filter(user__username=account.username).exists():
            continue
        services.create_employee(
            actor=None,
            username=account.username,
            password=demo_password(),
            name=account.name,
            department=by_name[account.department],
            roles=[roles[code] for code in account.roles],
            title=account.title,
            mobile=account.mobile,
            is_manager=account.is_manager,
            validate=False,
        )
        created["employees"] += 1
    created.update(load_goods(today=today))
    created["stock_moves"] = load_opening_stock(today=today)
    return created
