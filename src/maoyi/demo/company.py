"""The demo company of PRODUCT.md: a Beijing importer and distributor of medical consumables, with
its goods (categories, price levels, products with registration numbers and prices), two warehouses,
an opening stock in lots, customers of every kind (one in the public pool), suppliers (one paid in
USD), opening receivables and payables spread over every aging bucket, a few receipts and
payments, and purchasing's work: exchange rates, supplier quotes and purchase orders in every
state, with their receipts, returns and a payment; and sales (demo/sales.py): orders in every state,
shipments, a receipt and returns. Loading is idempotent: existing rows are kept as
they are, and opening balances and purchase orders are posted once."""

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
from maoyi.crm import services as crm_services
from maoyi.crm.models import Campaign, Contact, Customer, PoolRule, PoolSettings
from maoyi.crm.services import activities as crm_activities
from maoyi.crm.services import campaigns as crm_campaigns
from maoyi.crm.services import contacts as crm_contacts
from maoyi.crm.services import contracts as crm_contracts
from maoyi.crm.services import expenses as crm_expenses
from maoyi.crm.services import opportunities as crm_opportunities
from maoyi.crm.services import quotes as crm_quotes
from maoyi.demo.sales import load_sales
from maoyi.finance import services as finance
from maoyi.finance.models import Direction, ExchangeRate, Obligation
from maoyi.finance.parties import PartyKind, get_party
from maoyi.inventory.models import OpeningStock, StockMove, Warehouse
from maoyi.inventory.services import documents as stock_documents
from maoyi.inventory.services import opening
from maoyi.inventory.services import warehouses as warehouse_services
from maoyi.org import services
from maoyi.org.models import Department, Employee, Role
from maoyi.purchasing.models import PurchaseOrder, PurchaseReturn, Supplier, SupplierQuote
from maoyi.purchasing.services import orders as order_services
from maoyi.purchasing.services import quotes as quote_services
from maoyi.purchasing.services import receipts as receipt_services
from maoyi.purchasing.services import returns as return_services
from maoyi.purchasing.services import suppliers as supplier_services

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
        "0.32", "0.55", "0.42", "0.42", "0.50", 20000,
        _lots(("WH01", 400, 30000), ("WH02", 200, 12000)),
    ),
    DemoProduct(
        "ZS002", "一次性使用静脉输液针", "0.7×25mm 头皮针", "支", "注射穿刺类", "华康",
        "江西华康医疗器械有限公司", "国械注准20193140587", 1200, 1095,
        "0.18", "0.35", "0.26", "0.26", "0.30", 10000,
        _lots(("WH01", 300, 25000), ("WH02", 90, 8000)),
    ),
    DemoProduct(
        "ZS003", "一次性使用静脉留置针", "22G 0.9×25mm 密闭式", "支", "注射穿刺类", "Medivena",
        "Medivena Medical GmbH", "国械注进20163141024", 700, 1095,
        "8.50", "15.00", "11.50", "11.50", "13.50", 3000,
        _lots(("WH01", 150, 800), ("WH02", 60, 400)),
    ),
    DemoProduct(
        "ZS004", "一次性使用末梢采血针", "28G 压力触发式", "支", "注射穿刺类", "安采",
        "苏州安采医疗科技有限公司", "国械注准20203140902", 1500, 1095,
        "0.12", "0.25", "0.18", "0.18", "0.22", 20000,
        _lots(("WH01", 1045, 6000), ("WH01", 100, 30000)),
    ),
    DemoProduct(
        "FL001", "医用纱布块", "7.5cm×7.5cm-8层 灭菌 10块/包", "包", "敷料类", "洁康",
        "河南洁康卫生材料有限公司", "国械注准20173140231", 900, 1095,
        "0.90", "1.60", "1.20", "1.20", "1.40", 2000,
        _lots(("WH01", 700, 5000), ("WH02", 250, 1500)),
    ),
    DemoProduct(
        "FL002", "透明薄膜敷贴（IV敷贴）", "6cm×7cm", "片", "敷料类", "Dermaclear",
        "Dermaclear Healthcare Ltd.", "国械注进20173140455", 1100, 730,
        "1.80", "3.20", "2.40", "2.40", "2.80", 3000,
        _lots(("WH01", 600, 4000), ("WH01", 120, 6000)),
    ),
    DemoProduct(
        "FL003", "水胶体敷料", "10cm×10cm 薄型", "片", "敷料类", "Dermaclear",
        "Dermaclear Healthcare Ltd.", "国械注进20183140118", 1300, 1095,
        "12.00", "22.00", "17.00", "17.00", "19.50", 500,
        _lots(("WH01", 330, 1200),),
    ),
    DemoProduct(
        "FH001", "医用外科口罩", "17.5cm×9.5cm 三层 挂耳式 50只/盒", "盒", "防护用品", "安护",
        "湖北安护防护用品有限公司", "国械注准20203140377", 1000, 730,
        "18.00", "32.00", "24.00", "24.00", "28.00", 400,
        _lots(("WH01", 750, 120), ("WH01", 200, 900), ("WH02", 100, 300)),
    ),
    DemoProduct(
        "FH002", "医用防护口罩", "KN95 头戴式 折叠型", "只", "防护用品", "Aeroguard",
        "Aeroguard Protective Inc.", "国械注进20153140679", 600, 730,
        "3.20", "6.00", "4.50", "4.50", "5.20", 5000,
        _lots(("WH01", 400, 12000),),
    ),
    DemoProduct(
        "FH003", "一次性使用医用橡胶检查手套", "M 无粉 100只/盒", "盒", "防护用品", "安护",
        "湖北安护防护用品有限公司", "国械注准20193140812", 1250, 1095,
        "16.00", "28.00", "21.50", "21.50", "25.00", 300,
        _lots(("WH01", 900, 600), ("WH02", 300, 400)),
    ),
    DemoProduct(
        "JY001", "一次性使用真空采血管", "5ml 促凝 黄帽 13×100mm", "支", "检验耗材", "康检",
        "山东康检生物科技有限公司", "国械注准20192220436", 1400, 365,
        "0.45", "0.85", "0.65", "0.65", "0.75", 20000,
        _lots(("WH01", 310, 15000), ("WH01", 60, 40000)),
    ),
    DemoProduct(
        "JY002", "血糖试纸（葡萄糖氧化酶法）", "50片/盒", "盒", "检验耗材", "康检",
        "山东康检生物科技有限公司", "国械注准20213400301", 1600, 540,
        "2.50", "5.00", "3.80", "3.80", "4.50", 1000,
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


# Customers, suppliers and money -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    kind: str
    level: str
    owner: str | None  # username; None: in the public pool (公海)
    phone: str
    tax_id: str
    address: str
    credit_limit: str
    price_level: str | None = None  # price level code
    channel_partner: str | None = None  # name of the distributor that serves it
    parent: str | None = None  # name of the partner above (channel tree)
    source: str = ""


# Names, phones and tax ids are made up for the demo.
# fmt: off
CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer("北京朝阳康宁诊所", "end_customer", "b", "zhangwei", "010-65001234",
                 "91110105MA01ABCD1X", "北京市朝阳区建国路88号", "50000", source="cold_call"),
    DemoCustomer("北京天坛医疗器械批发部", "end_customer", "a", "zhangwei", "010-67012345",
                 "91110101MA02BCDE2Y", "北京市东城区永定门外大街12号", "200000", "vip", source="exhibition"),
    DemoCustomer("北京海淀博爱门诊部", "end_customer", "c", "chenjing", "010-82003456",
                 "91110108MA03CDEF3Z", "北京市海淀区中关村南大街5号", "30000", source="referral"),
    DemoCustomer("华北医疗集团", "hospital_system", "a", "wufang", "022-23004567",
                 "91120000MA04DEFG4A", "天津市和平区南京路219号", "800000", "vip", source="tender"),
    DemoCustomer("济南仁心医院管理有限公司", "hospital_system", "b", "sunhao", "0531-86005678",
                 "91370100MA05EFGH5B", "山东省济南市历下区泉城路26号", "300000", source="tender"),
    DemoCustomer("河北安康医药有限公司", "distributor", "a", "qianli", "0311-87006789",
                 "91130100MA06FGHI6C", "河北省石家庄市长安区中山东路100号", "500000", "agent-1",
                 source="exhibition"),
    DemoCustomer("保定惠民医疗器械经营部", "agent", "b", "hemin", "0312-50007890",
                 "91130600MA07GHIJ7D", "河北省保定市竞秀区东风路66号", "100000", "agent-1",
                 parent="河北安康医药有限公司", source="referral"),
    DemoCustomer("石家庄长安社区卫生服务中心", "end_customer", "c", "hemin", "0311-85008901",
                 "", "河北省石家庄市长安区广安街3号", "0", channel_partner="河北安康医药有限公司"),
    DemoCustomer("通州永顺卫生院", "end_customer", "c", None, "010-69009012",
                 "", "北京市通州区永顺镇新华北路1号", "0", source="website"),
    DemoCustomer("北京东城和平里社区卫生服务中心", "end_customer", "b", "chenjing", "010-84001122",
                 "12110101400123456X", "北京市东城区和平里东街15号", "80000", source="referral"),
    DemoCustomer("北京丰台康泰口腔门诊部", "end_customer", "c", "zhangwei", "010-63002233",
                 "91110106MA08HIJK8E", "北京市丰台区丰台北路32号", "20000", source="cold_call"),
    DemoCustomer("北京昌平回龙观医院", "end_customer", "a", "liming", "010-79003344",
                 "12110114400234567Y", "北京市昌平区回龙观镇同成街7号", "300000", "vip", source="tender"),
    DemoCustomer("天津滨海新区泰达医院", "hospital_system", "b", "zhouqiang", "022-25004455",
                 "12120116400345678Z", "天津市滨海新区第三大街65号", "400000", source="tender"),
    DemoCustomer("山东齐鲁康复医疗集团", "hospital_system", "a", "sunhao", "0531-88005566",
                 "91370100MA09IJKL9F", "山东省济南市市中区经十路188号", "600000", "vip", source="exhibition"),
    DemoCustomer("天津瑞通医疗器械有限公司", "distributor", "b", "zhaolei", "022-27006677",
                 "91120104MA10JKLM0G", "天津市南开区鞍山西道200号", "300000", "agent-1", source="exhibition"),
    DemoCustomer("唐山博康医疗用品经营部", "agent", "c", "qianli", "0315-28007788",
                 "91130200MA11KLMN1H", "河北省唐山市路北区建设北路58号", "60000", "agent-1",
                 parent="天津瑞通医疗器械有限公司", source="referral"),
    DemoCustomer("天津西青精武镇卫生院", "end_customer", "c", "zhaolei", "022-87008899",
                 "", "天津市西青区精武镇津静公路9号", "0", channel_partner="天津瑞通医疗器械有限公司"),
    DemoCustomer("廊坊爱民诊所", "end_customer", "c", None, "0316-21009900",
                 "", "河北省廊坊市广阳区新华路77号", "0", source="website"),
    DemoCustomer("北京密云康复护理院", "end_customer", "b", None, "010-69041010",
                 "", "北京市密云区鼓楼东大街20号", "0", source="cold_call"),
)
# fmt: on


@dataclass(frozen=True)
class DemoSupplier:
    name: str
    currency: str
    buyer: str
    phone: str
    tax_id: str
    bank_name: str
    bank_account: str
    payment_terms_days: int
    address: str


SUPPLIERS: tuple[DemoSupplier, ...] = (
    DemoSupplier(
        "江西华康医疗器械有限公司",
        "CNY",
        "mali",
        "0791-88001122",
        "91360100MA35HKYL1E",
        "中国银行南昌分行",
        "6216 6100 0001 2345 678",
        30,
        "江西省南昌市进贤县医疗器械产业园",
    ),
    DemoSupplier(
        "湖北安护防护用品有限公司",
        "CNY",
        "mali",
        "0716-83002233",
        "91421000MA49AHFH2F",
        "中国工商银行仙桃支行",
        "1812 0210 0920 0012 345",
        45,
        "湖北省仙桃市彭场镇无纺布工业园",
    ),
    DemoSupplier(
        "山东康检生物科技有限公司",
        "CNY",
        "gaofeng",
        "0531-88003344",
        "91370100MA3CKJSW3G",
        "招商银行济南分行",
        "5319 0123 4510 601",
        30,
        "山东省济南市高新区舜华路2000号",
    ),
    DemoSupplier(
        "Medivena Medical GmbH",
        "USD",
        "gaofeng",
        "+49-6221-500700",
        "DE281234567",
        "Deutsche Bank Heidelberg",
        "DE89 3704 0044 0532 0130 00",
        60,
        "Im Neuenheimer Feld 582, Heidelberg",
    ),
)

# Opening balances: (party name, amount, days ago it arose, [(days from today it is due, amount)]).
# Due dates spread over every aging bucket; one customer pays in two installments.
OPENING_RECEIVABLES: tuple[tuple[str, str, int, tuple[tuple[int, str], ...]], ...] = (
    ("北京天坛医疗器械批发部", "48600.00", 75, ((-45, "48600.00"),)),
    ("北京朝阳康宁诊所", "12850.00", 20, ((10, "12850.00"),)),
    ("北京海淀博爱门诊部", "8620.00", 130, ((-100, "8620.00"),)),
    ("华北医疗集团", "356000.00", 40, ((-10, "178000.00"), (50, "178000.00"))),
    ("济南仁心医院管理有限公司", "96500.00", 95, ((-65, "96500.00"),)),
    ("河北安康医药有限公司", "158000.00", 30, ((0, "158000.00"),)),
    ("保定惠民医疗器械经营部", "23400.00", 50, ((-20, "23400.00"),)),
)
# (supplier name, amount, currency, exchange rate, days ago, [(days from today due, amount)])
OPENING_PAYABLES: tuple[tuple[str, str, str, str, int, tuple[tuple[int, str], ...]], ...] = (
    ("江西华康医疗器械有限公司", "86400.00", "CNY", "1", 25, ((5, "86400.00"),)),
    ("湖北安护防护用品有限公司", "42300.00", "CNY", "1", 70, ((-25, "42300.00"),)),
    ("Medivena Medical GmbH", "18500.00", "USD", "7.1200", 45, ((-15, "9250.00"), (45, "9250.00"))),
)


def load_parties() -> dict[str, int]:
    """The demo's customers (with channel trees and one in the public pool) and suppliers (one
    foreign, paid in USD); customers are created by their owners, suppliers by purchasing."""
    created = {"customers": 0, "suppliers": 0}
    levels = {p.code: p for p in PriceLevel.objects.all()}
    for item in CUSTOMERS:
        if Customer.objects.filter(name=item.name).exists():
            continue
        owner = Employee.objects.get(user__username=item.owner) if item.owner else None
        crm_services.create_customer(
            actor=owner,
            name=item.name,
            kind=item.kind,
            level=item.level,
            phone=item.phone,
            tax_id=item.tax_id,
            address=item.address,
            credit_limit=Decimal(item.credit_limit),
            price_level=levels.get(item.price_level) if item.price_level else None,
            parent=Customer.objects.get(name=item.parent) if item.parent else None,
            channel_partner=Customer.objects.get(name=item.channel_partner) if item.channel_partner else None,
            source=item.source,
            owner=owner,
        )
        created["customers"] += 1
    for supplier in SUPPLIERS:
        if Supplier.objects.filter(name=supplier.name).exists():
            continue
        buyer = Employee.objects.get(user__username=supplier.buyer)
        supplier_services.create_supplier(
            actor=buyer,
            name=supplier.name,
            currency=supplier.currency,
            phone=supplier.phone,
            tax_id=supplier.tax_id,
            bank_name=supplier.bank_name,
            bank_account=supplier.bank_account,
            payment_terms_days=supplier.payment_terms_days,
            address=supplier.address,
            buyer=buyer,
        )
        created["suppliers"] += 1
    return created


def _plan(today: dt.date, plan: tuple[tuple[int, str], ...]) -> list[finance.InstallmentInput]:
    return [finance.InstallmentInput(today + dt.timedelta(days=d), Decimal(a)) for d, a in plan]


def load_money(*, today: dt.date | None = None) -> dict[str, int]:
    """Opening receivables and payables entered by finance, once, spread over every aging bucket;
    then a customer's part payment, a hospital group's first installment with an advance left
    over, and the first installment paid to the foreign supplier."""
    created = {"receivables": 0, "payables": 0, "settlements": 0}
    if Obligation.objects.filter(is_opening=True).exists():
        return created
    today = today or timezone.localdate()
    clerk = Employee.objects.get(user__username="xuting")
    customers = {c.name: c for c in Customer.objects.filter(name__in=[r[0] for r in OPENING_RECEIVABLES])}
    suppliers = {s.name: s for s in Supplier.objects.filter(name__in=[p[0] for p in OPENING_PAYABLES])}
    receivables = {}
    for name, amount, ago, plan in OPENING_RECEIVABLES:
        party = get_party(clerk.user, PartyKind.CUSTOMER, customers[name].pk)
        assert party is not None
        receivables[name] = finance.create_opening_balance(
            direction=Direction.RECEIVABLE,
            actor=clerk,
            party=party,
            amount=Decimal(amount),
            issued_on=today - dt.timedelta(days=ago),
            installments=_plan(today, plan),
            reference=f"K3-AR-{ago:03d}",
            note="旧系统期初应收",
        )
        created["receivables"] += 1
    payables = {}
    for name, amount, currency, rate, ago, plan in OPENING_PAYABLES:
        party = get_party(clerk.user, PartyKind.SUPPLIER, suppliers[name].pk)
        assert party is not None
        payables[name] = finance.create_opening_balance(
            direction=Direction.PAYABLE,
            actor=clerk,
            party=party,
            amount=Decimal(amount),
            currency=currency,
            exchange_rate=Decimal(rate),
            issued_on=today - dt.timedelta(days=ago),
            installments=_plan(today, plan),
            reference=f"K3-AP-{ago:03d}",
            note="旧系统期初应付",
        )
        created["payables"] += 1
    tiantan = receivables["北京天坛医疗器械批发部"]
    hebei = receivables["华北医疗集团"]
    medivena = payables["Medivena Medical GmbH"]
    settlements: tuple[tuple[str, Obligation, str, str, int, str, str, str], ...] = (
        (Direction.RECEIVABLE, tiantan, "20000.00", "20000.00", 12, "CNY", "1", "中行回单 20261115-0087"),
        (Direction.RECEIVABLE, hebei, "180000.00", "178000.00", 8, "CNY", "1", "工行回单 20261119-0312"),
        (Direction.PAYABLE, medivena, "9250.00", "9250.00", 14, "USD", "7.1050", "SWIFT MT103 0458"),
    )
    for direction, record, amount, allocate, days_ago, currency, rate, reference in settlements:
        party = get_party(clerk.user, record.party_kind, record.party_id)
        assert party is not None
        finance.record_settlement(
            direction=direction,
            actor=clerk,
            party=party,
            amount=Decimal(amount),
            occurred_on=today - dt.timedelta(days=days_ago),
            currency=currency,
            exchange_rate=Decimal(rate),
            reference=reference,
            allocations=[finance.AllocationInput(record.pk, Decimal(allocate))],
        )
        created["settlements"] += 1
    return created


# Purchasing ---------------------------------------------------------------------------------------

# (currency, CNY value of one unit, in force since how many days)
EXCHANGE_RATES: tuple[tuple[str, str, int], ...] = (("USD", "7.1000", 10), ("EUR", "7.7800", 10))


@dataclass(frozen=True)
class DemoQuote:
    supplier: str
    product: str
    unit_price: str
    currency: str
    min_quantity: str
    valid_from: int  # days from today
    valid_until: int
    note: str = ""


# Several suppliers quote the same products (ZS001; ZS003 from Germany in USD and from a domestic
# maker in CNY: the USD one is cheaper at 7.10); one quote ends within 14 days, one has expired.
# fmt: off
QUOTES: tuple[DemoQuote, ...] = (
    DemoQuote("江西华康医疗器械有限公司", "ZS001", "0.30", "CNY", "0", -60, 120, "年度框架价"),
    DemoQuote("江西华康医疗器械有限公司", "ZS001", "0.28", "CNY", "100000", -60, 120, "10万支以上"),
    DemoQuote("湖北安护防护用品有限公司", "ZS001", "0.31", "CNY", "0", -20, 160),
    DemoQuote("江西华康医疗器械有限公司", "ZS002", "0.17", "CNY", "0", -80, 10, "月底到期，续签中"),
    DemoQuote("Medivena Medical GmbH", "ZS003", "1.15", "USD", "1000", -30, 150, "FOB Hamburg"),
    DemoQuote("江西华康医疗器械有限公司", "ZS003", "8.90", "CNY", "0", -30, 90, "国产替代型号"),
    DemoQuote("湖北安护防护用品有限公司", "FH001", "18.20", "CNY", "0", -200, -20, "旧报价"),
    DemoQuote("湖北安护防护用品有限公司", "FH001", "17.50", "CNY", "0", -15, 75),
    DemoQuote("湖北安护防护用品有限公司", "FH003", "15.50", "CNY", "0", -15, 75),
    DemoQuote("山东康检生物科技有限公司", "JY001", "0.42", "CNY", "0", -45, 135),
    DemoQuote("山东康检生物科技有限公司", "JY002", "2.40", "CNY", "0", -45, 135),
)
# fmt: on


@dataclass
class _Buying:
    """The people and things the purchase orders of the demo are made with."""

    today: dt.date
    base: dt.date  # the day receipts and payments count back from (never after today)
    buyer: Employee  # 马丽 writes the orders and returns
    manager: Employee  # 高峰, her department's manager, approves them
    keeper: Employee  # 陆洋 receives the goods and ships the returns
    clerk: Employee  # 徐婷 pays
    suppliers: dict[str, Supplier]
    products: dict[str, Product]
    warehouses: dict[str, Warehouse]
    created: dict[str, int]

    def order(
        self,
        supplier: str,
        lines: tuple[tuple[str, int, str | None], ...],
        *,
        expected: int,
        warehouse: str = "WH01",
        installments: tuple[tuple[int, str], ...] = (),
        note: str = "",
    ) -> PurchaseOrder:
        order = order_services.create_order(
            actor=self.buyer,
            supplier=self.suppliers[supplier],
            warehouse=self.warehouses[warehouse],
            expected_date=self.today + dt.timedelta(days=expected),
            lines=[
                order_services.OrderLineInput(
                    product_id=self.products[code].pk,
                    quantity=Decimal(quantity),
                    unit_price=Decimal(price) if price is not None else None,
                )
                for code, quantity, price in lines
            ],
            installments=_plan(self.today, installments),
            note=note,
        )
        self.created["purchase_orders"] += 1
        return order

    def approve(self, order: PurchaseOrder, comment: str = "同意") -> PurchaseOrder:
        order_services.submit_order(order, actor=self.buyer)
        order_services.approve_order(order, actor=self.manager, comment=comment)
        order.refresh_from_db()
        return order

    def receive(self, order: PurchaseOrder, days_ago: int, *lots: tuple[int, int]) -> None:
        """Receive the order's first line in lots of (quantity, days since production)."""
        line = order.lines.select_related("product").order_by("id")[0]
        shelf_life = dt.timedelta(days=line.product.shelf_life_days or 730)
        items = []
        for quantity, produced_ago in lots:
            produced = self.base - dt.timedelta(days=produced_ago)
            items.append(
                receipt_services.ReceiptLineInput(
                    line_id=line.pk,
                    quantity=Decimal(quantity),
                    lot_number=f"{line.product.code[:2]}{produced:%Y%m%d}",
                    production_date=produced,
                    expiry_date=produced + shelf_life,
                )
            )
        receipt_services.receive_goods(
            order,
            actor=self.keeper,
            lines=items,
            received_on=self.base - dt.timedelta(days=days_ago),
            note="到货验收合格",
        )
        self.created["goods_receipts"] += 1

    def approved_return(self, order: PurchaseOrder, quantity: int, reason: str) -> PurchaseReturn:
        """Return some of the first lot received on the order's first line, approved by the manager."""
        received = order.receipts.order_by("id")[0].lines.order_by("id")[0]
        doc = return_services.create_return(
            actor=self.buyer,
            order=order,
            lines=[
                return_services.ReturnLineInput(received.order_line_id, received.lot_id, Decimal(quantity))
            ],
            reason=reason,
        )
        return_services.submit_return(doc, actor=self.buyer)
        approval_services.approve(doc, actor=self.manager, comment="同意退货")
        doc.refresh_from_db()
        self.created["purchase_returns"] += 1
        return doc


def _load_rates_and_quotes(today: dt.date, created: dict[str, int]) -> None:
    clerk = Employee.objects.get(user__username="xuting")
    for currency, rate, ago in EXCHANGE_RATES:
        if ExchangeRate.objects.filter(currency=currency).exists():
            continue
        finance.set_exchange_rate(
            actor=clerk, currency=currency, rate=Decimal(rate), valid_from=today - dt.timedelta(days=ago)
        )
        created["exchange_rates"] += 1
    if SupplierQuote.objects.exists():
        return
    suppliers = {s.name: s for s in Supplier.objects.select_related("buyer")}
    products = {p.code: p for p in Product.objects.all()}
    for item in QUOTES:
        supplier = suppliers[item.supplier]
        quote_services.create_quote(
            actor=supplier.buyer,
            supplier=supplier,
            product=products[item.product],
            unit_price=Decimal(item.unit_price),
            currency=item.currency,
            min_quantity=Decimal(item.min_quantity),
            valid_from=today + dt.timedelta(days=item.valid_from),
            valid_until=today + dt.timedelta(days=item.valid_until),
            note=item.note,
        )
        created["quotes"] += 1


def load_purchasing(*, today: dt.date | None = None) -> dict[str, int]:
    """Exchange rates (USD, EUR) entered by finance, supplier quotes, and once, eight purchase
    orders written by 马丽 and decided by 高峰, one in every state: a draft; one waiting in 高峰's
    inbox; one rejected with a reason; one approved and waiting for goods (in USD); one partly
    received in two lots; one received in full with half its payable paid; one with a return
    approved and waiting to ship; one with a return shipped whose refund is still open."""
    created = {
        "exchange_rates": 0,
        "quotes": 0,
        "purchase_orders": 0,
        "goods_receipts": 0,
        "purchase_returns": 0,
        "supplier_payments": 0,
    }
    today = today or timezone.localdate()
    _load_rates_and_quotes(today, created)
    if PurchaseOrder.objects.exists():
        return created
    people = {e.user.username: e for e in Employee.objects.select_related("user")}
    buying = _Buying(
        today=today,
        base=min(today, timezone.localdate()),
        buyer=people["mali"],
        manager=people["gaofeng"],
        keeper=people["luyang"],
        clerk=people["xuting"],
        suppliers={s.name: s for s in Supplier.objects.all()},
        products={p.code: p for p in Product.objects.all()},
        warehouses={w.code: w for w in Warehouse.objects.all()},
        created=created,
    )
    huakang, anhu, kangjian = (
        "江西华康医疗器械有限公司",
        "湖北安护防护用品有限公司",
        "山东康检生物科技有限公司",
    )

    # A draft, priced from the quote (0.42).
    buying.order(kangjian, (("JY001", 30000, None),), expected=14, note="补充真空采血管库存")
    # Submitted: in 高峰's approval inbox.
    submitted = buying.order(anhu, (("FH003", 500, None),), expected=10, note="检查手套月度补货")
    order_services.submit_order(submitted, actor=buying.buyer)
    # Rejected: typed above the supplier's quote.
    rejected = buying.order(huakang, (("ZS002", 50000, "0.20"),), expected=12)
    order_services.submit_order(rejected, actor=buying.buyer)
    approval_services.reject(
        rejected, actor=buying.manager, reason="单价高于供应商报价 0.17 元，请按报价重新下单"
    )
    # Approved, waiting for goods: 2,000 IV catheters from Germany at 1.15 USD (the USD rate is
    # finance's 7.10), 30% before shipping and the rest 60 days after arrival.
    buying.approve(
        buying.order(
            "Medivena Medical GmbH",
            (("ZS003", 2000, None),),
            expected=25,
            installments=((7, "690.00"), (85, "1610.00")),
            note="海运，汉堡港发货",
        )
    )
    # Partly received: 36,000 of 60,000 syringes, in two lots; late for the rest.
    partly = buying.approve(buying.order(huakang, (("ZS001", 60000, None),), expected=-3))
    buying.receive(partly, 2, (20000, 20))
    buying.receive(partly, 0, (16000, 10))
    # Received in full, the first of its two installments paid.
    paid = buying.approve(
        buying.order(
            kangjian, (("JY002", 1000, None),), expected=-12, installments=((-5, "1200.00"), (25, "1200.00"))
        )
    )
    buying.receive(paid, 10, (1000, 30))
    payable = Obligation.objects.get(
        direction=Direction.PAYABLE, source_type="purchase_order", source_id=paid.pk
    )
    first = payable.installments.order_by("sequence")[0]
    party = get_party(buying.clerk.user, PartyKind.SUPPLIER, payable.party_id)
    assert party is not None
    finance.record_settlement(
        direction=Direction.PAYABLE,
        actor=buying.clerk,
        party=party,
        amount=Decimal("1200.00"),
        occurred_on=buying.base - dt.timedelta(days=4),
        reference="招行回单 0417-2231",
        allocations=[finance.AllocationInput(payable.pk, Decimal("1200.00"), first.pk)],
    )
    created["supplier_payments"] += 1
    # A return approved and waiting for logistics to ship it.
    to_ship = buying.approve(buying.order(huakang, (("ZS002", 20000, None),), expected=-20, warehouse="WH02"))
    buying.receive(to_ship, 18, (20000, 40))
    buying.approved_return(to_ship, 500, "部分针头护套松脱")
    # A return shipped: the supplier still owes the refund (1,000 × 0.42 = 420.00).
    refunded = buying.approve(buying.order(kangjian, (("JY001", 10000, None),), expected=-30))
    buying.receive(refunded, 28, (10000, 35))
    shipped = buying.approved_return(refunded, 1000, "真空度不足，抽血量不够")
    return_services.ship_return(
        shipped, actor=buying.keeper, carrier="顺丰速运", tracking_number="SF1409283746512"
    )
    return created


# Contacts, follow-ups and opportunities ------------------------------------------------------------

# (customer, name, department, title, mobile, primary)
CONTACTS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("北京朝阳康宁诊所", "刘芳", "采购部", "采购主管", "13911110001", True),
    ("北京朝阳康宁诊所", "宋杰", "护理部", "护士长", "13911110002", False),
    ("北京天坛医疗器械批发部", "马建国", "", "经理", "13911110003", True),
    ("北京海淀博爱门诊部", "郑丽", "药剂科", "主任", "13911110004", True),
    ("华北医疗集团", "韩冰", "设备处", "处长", "13911110005", True),
    ("华北医疗集团", "赵敏", "采购中心", "采购专员", "13911110006", False),
    ("济南仁心医院管理有限公司", "孔磊", "采购部", "经理", "13911110007", True),
    ("河北安康医药有限公司", "周涛", "销售部", "总经理", "13911110008", True),
    ("保定惠民医疗器械经营部", "吴刚", "", "老板", "13911110009", True),
)

# (customer, kind, summary, days ago, next follow-up in days from today or None)
ACTIVITIES: tuple[tuple[str, str, str, int, int | None], ...] = (
    ("北京朝阳康宁诊所", "visit", "拜访刘主管，介绍留置针新品，对方要求报价。", 12, 0),
    ("北京天坛医疗器械批发部", "call", "电话催收上月货款，对方承诺本周付两万。", 15, -3),
    ("北京海淀博爱门诊部", "call", "确认口罩月度需求约 200 盒。", 40, None),
    ("华北医疗集团", "meeting", "与设备处开会讨论年度集采方案。", 5, 7),
    ("济南仁心医院管理有限公司", "email", "发送年度框架协议草稿。", 3, 2),
    ("河北安康医药有限公司", "visit", "拜访周总，商谈二季度代理政策。", 20, -1),
    ("保定惠民医疗器械经营部", "call", "了解保定区域终端覆盖情况。", 70, None),
)

# (customer, title, stage, amount, days to close)
OPPORTUNITIES: tuple[tuple[str, str, str, str, int], ...] = (
    ("北京朝阳康宁诊所", "留置针替换采购", "proposal", "36000.00", 20),
    ("华北医疗集团", "2027 年度耗材集采", "negotiation", "1200000.00", 45),
    ("济南仁心医院管理有限公司", "检验耗材框架协议", "needs", "280000.00", 60),
    ("河北安康医药有限公司", "二季度代理提货", "initial", "450000.00", 90),
    ("北京天坛医疗器械批发部", "口罩冬季备货", "won", "96000.00", -10),
)

# (kind, level, idle days, warn days): when customers nobody follows up return to the pool.
POOL_RULES: tuple[tuple[str, str, int, int], ...] = (
    ("end_customer", "a", 60, 10),
    ("end_customer", "b", 45, 7),
    ("end_customer", "c", 30, 7),
    ("hospital_system", "a", 90, 14),
    ("hospital_system", "b", 60, 10),
    ("distributor", "a", 90, 14),
    ("agent", "b", 60, 10),
)


def load_crm(*, today: dt.date | None = None) -> dict[str, int]:
    """Contacts, follow-ups (some due today or overdue), opportunities in every open stage and a
    won one, a quote sent to a clinic, a framework contract waiting for approval, and the public
    pool's rules; once."""
    created = {"contacts": 0, "activities": 0, "opportunities": 0, "customer_quotes": 0, "contracts": 0}
    if Contact.objects.exists():
        return created
    today = today or timezone.localdate()
    now = timezone.now()
    customers = {c.name: c for c in Customer.objects.all()}
    for name, person, department, title, mobile, primary in CONTACTS:
        customer = customers[name]
        crm_contacts.add_contact(
            actor=customer.owner,
            customer=customer,
            name=person,
            department=department,
            title=title,
            mobile=mobile,
            is_primary=primary,
        )
        created["contacts"] += 1
    for name, kind, summary, ago, follow_up in ACTIVITIES:
        customer = customers[name]
        crm_activities.log_activity(
            actor=customer.owner,
            customer=customer,
            kind=kind,
            summary=summary,
            occurred_at=now - dt.timedelta(days=ago),
            next_follow_up=today + dt.timedelta(days=follow_up) if follow_up is not None else None,
            employee=customer.owner,
        )
        created["activities"] += 1
    for name, title, stage, amount, days in OPPORTUNITIES:
        customer = customers[name]
        crm_opportunities.create_opportunity(
            actor=customer.owner,
            customer=customer,
            title=title,
            stage=stage,
            expected_amount=Decimal(amount),
            expected_close=today + dt.timedelta(days=days),
        )
        created["opportunities"] += 1
    products = {p.code: p for p in Product.objects.all()}
    kangning = customers["北京朝阳康宁诊所"]
    quote = crm_quotes.create_quote(
        actor=kangning.owner,
        customer=kangning,
        valid_until=today + dt.timedelta(days=30),
        lines=[
            crm_quotes.QuoteLineInput(products["ZS003"].pk, Decimal("2400")),
            crm_quotes.QuoteLineInput(products["FL002"].pk, Decimal("1000")),
        ],
        note="含运费，货到 30 天付款。",
    )
    crm_quotes.mark_quote(quote, actor=kangning.owner, status="sent")
    created["customer_quotes"] = 1
    huabei = customers["华北医疗集团"]
    contract = crm_contracts.create_contract(
        actor=huabei.owner,
        customer=huabei,
        title="2027 年度医用耗材供货框架合同",
        signed_on=today - dt.timedelta(days=2),
        start_date=today,
        end_date=today + dt.timedelta(days=365),
        amount=Decimal("1200000.00"),
    )
    if huabei.owner is not None:
        crm_contracts.submit_contract(contract, actor=huabei.owner)  # waits in 周强's inbox
    created["contracts"] = 1
    for kind, level, idle, warn in POOL_RULES:
        PoolRule.objects.get_or_create(
            kind=kind, level=level, defaults={"idle_days": idle, "warn_days": warn}
        )
    if not PoolSettings.objects.exists():
        PoolSettings.objects.create()
    return created


# (applicant, category, amount, days ago, description, customer, campaign, how far it goes)
# fmt: off
EXPENSES: tuple[tuple[str, str, str, int, str, str | None, str | None, str], ...] = (
    ("zhangwei", "transport", "86.50", 1, "拜访康宁诊所往返打车", "北京朝阳康宁诊所", None, "draft"),
    ("qianli", "conference", "12000.00", 3, "推介会场地及茶歇预付", None, "channel", "submitted"),
    ("hemin", "gifts", "3600.00", 6, "推介会伴手礼 120 份", None, "channel", "approved"),
    ("chenjing", "entertainment", "2680.00", 8, "宴请博爱门诊部采购科",
     "北京海淀博爱门诊部", None, "rejected"),
    ("wufang", "travel", "1850.00", 12, "集采答疑差旅（高铁、住宿）", "华北医疗集团", None, "paid"),
    ("sunhao", "samples", "960.00", 9, "济南仁心试用样品快递", "济南仁心医院管理有限公司", None, "cancelled"),
)
# fmt: on


def load_campaigns(*, today: dt.date | None = None) -> dict[str, int]:
    """Two campaigns (a channel event running now with the partners of both channel trees, an
    exhibition next month) and expenses in every state: a draft, one waiting in the channel
    manager's inbox, one approved and waiting for finance to pay, a rejected, a paid and a
    cancelled one; once."""
    created = {"campaigns": 0, "expenses": 0}
    if Campaign.objects.exists():
        return created
    today = today or timezone.localdate()
    people = {e.user.username: e for e in Employee.objects.select_related("user", "department")}
    customers = {c.name: c for c in Customer.objects.all()}
    channel = crm_campaigns.create_campaign(
        actor=people["zhaolei"],
        name="2026 华北区渠道推介会",
        kind="promotion",
        start_date=today - dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=20),
        budget=Decimal("50000.00"),
        description="面向河北、天津两级渠道的新品推介与年度返利政策说明。",
        partners=[
            customers[name]
            for name in (
                "河北安康医药有限公司",
                "保定惠民医疗器械经营部",
                "天津瑞通医疗器械有限公司",
                "唐山博康医疗用品经营部",
            )
        ],
    )
    crm_campaigns.create_campaign(
        actor=people["liming"],
        name="北京医疗器械博览会参展",
        kind="exhibition",
        start_date=today + dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=32),
        budget=Decimal("80000.00"),
        description="展位 36 平方米，重点展示留置针与检验耗材。",
        partners=[customers["北京天坛医疗器械批发部"], customers["北京昌平回龙观医院"]],
    )
    created["campaigns"] = 2
    campaigns = {"channel": channel}
    finance_clerk = people["xuting"]
    for applicant, category, amount, ago, description, customer, campaign, state in EXPENSES:
        actor = people[applicant]
        expense = crm_expenses.create_expense(
            actor=actor,
            category=category,
            amount=Decimal(amount),
            incurred_on=today - dt.timedelta(days=ago),
            description=description,
            customer=customers[customer] if customer else None,
            campaign=campaigns[campaign] if campaign else None,
        )
        created["expenses"] += 1
        if state == "draft":
            continue
        if state == "cancelled":
            crm_expenses.cancel_expense(expense, actor=actor, reason="客户改为自行取样，不再寄送。")
            continue
        crm_expenses.submit_expense(expense, actor=actor)
        if state == "submitted":
            continue
        manager = approval_services.resolve_approvers(expense, requested_by=actor)[1][0]
        if state == "rejected":
            approval_services.reject(
                expense, actor=manager, reason="招待标准超出规定，请按每人 200 元重新申请。"
            )
            continue
        crm_expenses.approve_expense(expense, actor=manager)
        if state == "paid":
            crm_expenses.pay_expense(
                expense,
                actor=finance_clerk,
                paid_on=today - dt.timedelta(days=2),
                reference="报销 2026-11 批次",
            )
    return created


@transaction.atomic
def load_company(*, today: dt.date | None = None) -> dict[str, int]:
    """Departments, the built-in roles, the demo accounts, the goods, the warehouses, the opening
    stock, customers and suppliers, opening money, purchasing, CRM, campaigns and sales; returns how
    many of each were created."""
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
    created.update(load_parties())
    created.update(load_money(today=today))
    created.update(load_purchasing(today=today))
    created.update(load_crm(today=today))
    created.update(load_campaigns(today=today))
    created.update(load_sales(today=today))
    return created
