"""A realistic company at any scale, written straight into the tables, for the scale benchmark
(`maoyi bench_data`, bench/scale.py): departments and about sixty employees in their roles,
categories, products (pinyin initials stored the way the catalog stores them), warehouses, lots,
customers with Chinese names, pinyin, phones, tax ids and owners (some in the public pool), their
contacts and ownership history, follow-ups (跟进记录), sales orders with 1–5 lines in a realistic
mix of statuses with their approval requests, and for the approved ones the reservations, the
shipments, the receivables with their installments, the receipts and their allocations; and a stock
ledger (moves, balances, levels) whose issues are those shipments.

Everything goes in one transaction, by PostgreSQL `COPY` or SQLite `executemany` with explicit
ids (the tables must be empty), like bench/stock_ledger.py; the sequences are reset afterwards and
the numbering counters (`DocumentSequence`) set past every number used, so the services continue
the numbering without a collision. The invariants the app checks hold by construction:
balances and levels equal the sums of their moves, reserved equals the open reservations, the money
ledger's allocated figures equal their allocations (`ledger_mismatches()` of inventory and finance).

Moves that are not shipments (goods received, and other issues such as samples or scrapping) carry
the source type `bench`: they stand for purchasing documents that are not generated."""

from __future__ import annotations

import datetime as dt
import random
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
TAX_RATE = Decimal("13")
DAYS = 730  # two years of business
CREDIT_DAYS = 30
BENCH_SOURCE = "bench"

Log = Callable[[str], None]


# What to generate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    customers: int
    orders: int
    moves: int
    activities: int
    products: int

    @classmethod
    def scaled(
        cls,
        *,
        customers: int,
        orders: int,
        moves: int,
        activities: int,
        products: int | None = None,
        scale: float = 1.0,
    ) -> Counts:
        """The counts times `scale` (at least a handful of each). Products default to one per ten
        customers (10,000 at full scale), at least 20."""

        def times(n: int, least: int) -> int:
            return max(least, round(n * scale))

        wanted_products = products if products is not None else max(20, customers // 10)
        return cls(
            customers=times(customers, 10),
            orders=times(orders, 10),
            moves=times(moves, 50),
            activities=times(activities, 10),
            products=times(wanted_products, 20),
        )


@dataclass
class Summary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds_generate_and_write: float = 0.0
    seconds_analyze: float = 0.0


class NotEmpty(Exception):
    """The database already holds business data: bench data goes only into a fresh database."""


# Names --------------------------------------------------------------------------------------------

# (province-level place, districts or cities with their 3-digit area codes)
PLACES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("北京", ("朝阳", "海淀", "东城", "西城", "丰台", "昌平", "通州", "大兴", "顺义", "房山")),
    ("天津", ("和平", "南开", "河西", "滨海", "西青", "东丽", "津南", "北辰")),
    ("上海", ("浦东", "徐汇", "静安", "黄浦", "闵行", "杨浦", "普陀", "宝山")),
    ("河北", ("石家庄", "保定", "唐山", "廊坊", "邯郸", "沧州", "邢台")),
    ("山东", ("济南", "青岛", "烟台", "潍坊", "临沂", "淄博", "济宁")),
    ("江苏", ("南京", "苏州", "无锡", "常州", "南通", "徐州", "扬州")),
    ("浙江", ("杭州", "宁波", "温州", "绍兴", "嘉兴", "金华", "台州")),
    ("广东", ("广州", "深圳", "佛山", "东莞", "珠海", "中山", "惠州")),
    ("河南", ("郑州", "洛阳", "开封", "新乡", "南阳", "许昌")),
    ("湖北", ("武汉", "宜昌", "襄阳", "荆州", "黄石", "十堰")),
    ("四川", ("成都", "绵阳", "德阳", "宜宾", "南充", "乐山")),
    ("重庆", ("渝中", "江北", "南岸", "沙坪坝", "九龙坡", "渝北")),
)
MUNICIPALITIES = frozenset({"北京", "天津", "上海", "重庆"})
WORDS = (
    "康宁",
    "仁和",
    "博爱",
    "安康",
    "惠民",
    "同仁",
    "济民",
    "益康",
    "瑞康",
    "华康",
    "永安",
    "长安",
    "泰和",
    "康泰",
    "德济",
    "仁心",
    "福寿",
    "健民",
    "佳和",
    "华信",
    "明德",
    "正和",
    "新华",
    "光明",
    "友谊",
    "东方",
    "百姓",
    "爱民",
    "和美",
    "恒康",
    "天佑",
    "广济",
    "普济",
    "协和",
    "宏康",
    "嘉禾",
    "润生",
    "春晖",
    "国泰",
    "信诚",
)
END_CUSTOMER_TYPES = (
    "诊所",
    "门诊部",
    "口腔门诊部",
    "卫生院",
    "社区卫生服务中心",
    "医院",
    "中医医院",
    "妇幼保健院",
    "康复医院",
    "护理院",
    "体检中心",
    "骨科医院",
    "眼科医院",
)
SYSTEM_TYPES = ("医疗集团", "医院管理有限公司", "医疗投资集团")
PARTNER_TYPES = ("医疗器械有限公司", "医药有限公司", "医疗器械经营部", "医疗用品有限公司", "医疗科技有限公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞斌宇浩凯秀兰霞云莉志国林峰"
CONTACT_TITLES = (
    ("设备科", "科长"),
    ("采购部", "采购主管"),
    ("护理部", "护士长"),
    ("药剂科", "主任"),
    ("院办", "院长"),
    ("检验科", "主任"),
    ("财务科", "会计"),
    ("采购部", "采购员"),
)
ACTIVITY_TEXTS = (
    "电话回访，客户对上批注射器质量满意，下月预计补货。",
    "拜访设备科，介绍新款留置针，已留样品。",
    "客户询价防护口罩，已发报价单。",
    "跟进招标进度，标书已提交，等待开标。",
    "客户反馈到货包装破损，已安排换货。",
    "与采购主管沟通回款计划，承诺月底付款。",
    "参加科室会，演示敷料使用方法。",
    "微信沟通需求，客户需要真空采血管 5 万支。",
    "上门送货并核对发票信息。",
    "客户暂无需求，三个月后再联系。",
)
# (category, English name, code prefix, products: (name, specification, unit))
CATALOG: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "注射穿刺类",
        "Injection and puncture",
        "ZS",
        (
            ("一次性使用无菌注射器 带针", "5ml 0.7×32TWLB", "支"),
            ("一次性使用静脉输液针", "0.7×25mm 头皮针", "支"),
            ("一次性使用静脉留置针", "22G 0.9×25mm 密闭式", "支"),
            ("一次性使用末梢采血针", "28G 压力触发式", "支"),
            ("一次性使用输液器 带针", "精密过滤 0.55×20mm", "套"),
        ),
    ),
    (
        "敷料类",
        "Dressings",
        "FL",
        (
            ("医用纱布块", "7.5cm×7.5cm-8层 灭菌", "包"),
            ("透明薄膜敷贴", "6cm×7cm", "片"),
            ("水胶体敷料", "10cm×10cm 薄型", "片"),
            ("医用脱脂棉球", "0.5g 500粒/包", "包"),
        ),
    ),
    (
        "防护用品",
        "Protective equipment",
        "FH",
        (
            ("医用外科口罩", "17.5cm×9.5cm 三层 挂耳式", "盒"),
            ("医用防护口罩", "KN95 头戴式 折叠型", "只"),
            ("一次性使用医用橡胶检查手套", "M 无粉 100只/盒", "盒"),
            ("一次性使用医用帽", "无纺布 圆帽", "只"),
        ),
    ),
    (
        "检验耗材",
        "Laboratory consumables",
        "JY",
        (
            ("一次性使用真空采血管", "5ml 促凝 黄帽", "支"),
            ("血糖试纸", "50片/盒", "盒"),
            ("一次性使用尿液收集杯", "60ml 带盖", "个"),
            ("医用载玻片", "25.4×76.2mm 50片/盒", "盒"),
        ),
    ),
)
BRANDS = ("华康", "安护", "康检", "洁康", "安采", "Dermaclear", "Medivena", "Aeroguard", "瑞龙", "泰尔")
WAREHOUSES = (
    ("WH01", "北京主仓", "北京市大兴区经济技术开发区科创十三街18号", 6),
    ("WH02", "天津分仓", "天津市东丽区空港经济区中环西路36号", 3),
    ("WH03", "上海分仓", "上海市闵行区莘庄工业区春东路88号", 1),
)
STATUS_MIX = (
    # status, weight, (days ago: newest, oldest)
    ("draft", 4, (0, 14)),
    ("submitted", 5, (0, 10)),
    ("approved", 6, (0, 20)),
    ("in_progress", 5, (1, 30)),
    ("done", 75, (5, DAYS)),
    ("cancelled", 5, (0, DAYS)),
)
METHODS = ("bank_transfer", "bank_transfer", "bank_transfer", "acceptance_bill", "wechat", "alipay", "cheque")


# Org chart: (department, English, parent, [(username, title, roles, is_manager), …]) ---------------

COMPANY = "北京贸易医疗器械有限公司"
SALES_TEAMS = (
    ("终端客户一部", "End Customers 1", "end_customer"),
    ("终端客户二部", "End Customers 2", "end_customer"),
    ("医疗系统发展部", "Hospital Systems", "hospital_system"),
    ("渠道部", "Channel Team", "partner"),
)
SALESPEOPLE_PER_TEAM = 9


@dataclass(frozen=True)
class Person:
    username: str
    department: str
    title: str
    roles: tuple[str, ...]
    is_manager: bool = False


def org_chart() -> tuple[list[tuple[str, str, str | None]], list[Person]]:
    departments: list[tuple[str, str, str | None]] = [
        (COMPANY, "Maoyi Medical (Beijing) Co., Ltd.", None),
        ("总经办", "General Office", COMPANY),
        ("业务部", "Sales Department", COMPANY),
        *((name, name_en, "业务部") for name, name_en, _kind in SALES_TEAMS),
        ("采购部", "Purchasing", COMPANY),
        ("物流部", "Logistics", COMPANY),
        ("财务部", "Finance", COMPANY),
    ]
    people = [
        Person("admin", "总经办", "系统管理员", ("admin",)),
        Person("gm", "总经办", "总经理", ("manager",), True),
        Person("salesdir", "业务部", "业务总监", ("manager", "salesperson"), True),
        Person("assist1", "业务部", "业务助理", ("sales_assistant",)),
        Person("assist2", "业务部", "业务助理", ("sales_assistant",)),
    ]
    number = 0
    for team, (name, _en, _kind) in enumerate(SALES_TEAMS, start=1):
        people.append(Person(f"salesmgr{team}", name, f"{name}经理", ("manager", "salesperson"), True))
        for _n in range(SALESPEOPLE_PER_TEAM):
            number += 1
            people.append(Person(f"sales{number:02d}", name, "业务员", ("salesperson",)))
    people += [
        Person("buymgr", "采购部", "采购部经理", ("manager", "purchaser"), True),
        Person("buyer1", "采购部", "采购员", ("purchaser",)),
        Person("buyer2", "采购部", "采购员", ("purchaser",)),
        Person("logistics1", "物流部", "物流主管", ("logistics",), True),
        *(Person(f"logistics{i}", "物流部", "仓管/物流", ("logistics",)) for i in range(2, 6)),
        Person("finmgr", "财务部", "财务经理", ("manager", "finance"), True),
        *(Person(f"finance{i}", "财务部", "出纳/会计", ("finance",)) for i in range(1, 4)),
    ]
    return departments, people


# Writing ------------------------------------------------------------------------------------------


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


class Writer:
    """COPY on PostgreSQL, executemany on SQLite: rows go straight into the tables. Columns a row
    does not give get the field's default (a column added later with a default needs no change
    here); a required column without one is an error."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.written: Counter[str] = Counter()
        self.models: set[type[models.Model]] = set()

    def _columns(self, model: type[models.Model], names: Sequence[str]) -> tuple[list[str], list[Any]]:
        meta = model._meta
        columns: list[str] = [meta.get_field(n).column for n in names]  # type: ignore[union-attr,misc]
        extra: list[Any] = []
        given = set(columns)
        for f in meta.concrete_fields:
            if f.column in given or (f.primary_key and "id" in given):
                continue
            if f.primary_key:
                raise ValueError(f"{meta.label}: rows must give the primary key")
            value = f.get_default()  # the default, "" for text, else None
            if value is None and not f.null:
                raise ValueError(f"{meta.label}.{f.name} is required and has no default")
            columns.append(f.column)
            extra.append(value)
        return columns, extra

    def _plain(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    def write(self, model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        columns, extra = self._columns(model, names)
        table = model._meta.db_table
        tail = tuple(extra)
        count = 0
        connection.ensure_connection()
        raw = connection.connection
        self.models.add(model)
        if self.vendor == "postgresql":
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row((*row, *tail) if tail else row)
                    count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            plain = self._plain
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(tuple(plain(v) for v in (*row, *tail)))
                if len(batch) >= 20_000:
                    raw.executemany(statement, batch)
                    count += len(batch)
                    batch = []
            if batch:
                raw.executemany(statement, batch)
                count += len(batch)
        self.written[model._meta.label] += count
        return count


# Checks -------------------------------------------------------------------------------------------


def business_rows() -> dict[str, int]:
    """Rows already in the tables bench data writes to (only those that hold any)."""
    from maoyi.catalog.models import Product
    from maoyi.crm.models import Activity, Customer
    from maoyi.finance.models import Obligation, Settlement
    from maoyi.inventory.models import StockMove, Warehouse
    from maoyi.org.models import Department, Employee
    from maoyi.sales.models import SalesOrder

    found = {}
    for model in (
        Customer,
        SalesOrder,
        Product,
        Warehouse,
        StockMove,
        Obligation,
        Settlement,
        Activity,
        Employee,
        Department,
    ):
        n = model._default_manager.count()
        if n:
            found[str(model._meta.verbose_name)] = n
    return found


def refusal(found: dict[str, int]) -> str:
    listed = "、".join(f"{name} {n}" for name, n in found.items())
    return _("数据库中已有业务数据（%(listed)s），测试数据只能写入刚迁移的空数据库。") % {"listed": listed}


# The generator ------------------------------------------------------------------------------------


@dataclass
class Shipped:
    """A shipment line waiting for its lot and cost from the stock ledger."""

    id: int
    shipment_id: int
    shipment_number: str
    order_line_id: int
    quantity: int
    at: dt.datetime
    user_id: int
    lot_id: int = 0
    cost_cents: int = 0
    unit_cost: Decimal = Decimal(0)


class Numbers:
    """Document numbers in the numbering rules' format, per type and day; `sequences()` gives the
    counters' last values so that the services continue after them."""

    def __init__(self) -> None:
        from maoyi.core.numbering import prefix_for

        self.prefix_for = prefix_for
        self.prefixes: dict[str, str] = {}
        self.last: Counter[tuple[str, dt.date]] = Counter()

    def next(self, document_type: str, day: dt.date) -> str:
        prefix = self.prefixes.get(document_type)
        if prefix is None:
            prefix = self.prefixes[document_type] = self.prefix_for(document_type)
        self.last[(document_type, day)] += 1
        return f"{prefix}{day:%Y%m%d}-{self.last[(document_type, day)]:04d}"


class Generator:
    def __init__(self, counts: Counts, *, seed: int, password: str | None, log: Log) -> None:
        self.counts = counts
        self.rng = random.Random(seed)
        self.password = password
        self.log = log
        self.writer = Writer()
        self.numbers = Numbers()
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.start = self.now - dt.timedelta(days=DAYS)
        self.started = time.perf_counter()

    def say(self, text: str) -> None:
        self.log(f"  {text} ({time.perf_counter() - self.started:.0f} s)")

    def local(self, day: dt.date, seconds: int) -> dt.datetime:
        """A moment on a local business day, `seconds` after 08:00."""
        moment = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(seconds=seconds)
        return timezone.make_aware(moment)

    def days_ago(self, newest: int, oldest: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rng.randint(newest, oldest))

    # Organisation ---------------------------------------------------------------------------------

    def org(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from maoyi.org import services
        from maoyi.org.models import Employee
        from maoyi.org.pinyin import initials

        roles = services.ensure_built_in_roles()
        departments, people = org_chart()
        by_name: dict[str, Any] = {}
        for name, name_en, parent in departments:
            by_name[name] = services.create_department(
                actor=None, name=name, name_en=name_en, parent=by_name[parent] if parent else None
            )
        user_model = get_user_model()
        hashed = make_password(self.password)  # None: an unusable password (the bench logs in directly)
        rng = self.rng
        used_names: set[str] = set()
        employees: list[Employee] = []
        for person in people:
            name = ""
            while not name or name in used_names:
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            used_names.add(name)
            user = user_model.objects.create(
                username=person.username,
                password=hashed,
                is_superuser=person.username == "admin",
                is_staff=person.username == "admin",
            )
            employee = Employee.objects.create(
                user=user,
                name=name,
                pinyin=initials(name),
                department=by_name[person.department],
                title=person.title,
                mobile=f"139{rng.randint(0, 99_999_999):08d}",
                is_manager=person.is_manager,
                joined_on=self.today - dt.timedelta(days=rng.randint(30, 3000)),
            )
            employee.roles.set([roles[code] for code in person.roles])
            user.groups.set([roles[code].group for code in person.roles])
            employees.append(employee)
        self.employees = {e.user.username: e for e in employees}
        self.departments = by_name
        teams = [name for name, _en, _kind in SALES_TEAMS]
        self.salespeople = [
            e for e in employees if e.department.name in teams and e.user.username.startswith("sales")
        ]
        self.team_manager = {
            e.department_id: e for e in employees if e.is_manager and e.department.name in teams
        }
        self.team_kind = {by_name[name].pk: kind for name, _en, kind in SALES_TEAMS}
        self.logistics = [e for e in employees if e.user.username.startswith("logistics")]
        self.finance_people = [e for e in employees if e.user.username.startswith(("finance", "finmgr"))]
        self.say(f"{len(departments)} departments, {len(employees)} employees")

    # Goods ----------------------------------------------------------------------------------------

    def goods(self) -> None:
        from maoyi.catalog import services as catalog
        from maoyi.catalog.models import Product
        from maoyi.inventory.services import warehouses
        from maoyi.org.pinyin import initials

        rng = self.rng
        root = catalog.create_category(
            actor=None, name="医用耗材", name_en="Medical consumables", parent=None
        )
        categories = [
            catalog.create_category(actor=None, name=name, name_en=en, parent=root, sort_order=i)
            for i, (name, en, _prefix, _items) in enumerate(CATALOG, start=1)
        ]
        keeper = self.logistics[0]
        self.warehouses = [
            warehouses.create_warehouse(actor=None, code=code, name=name, address=address, keeper=keeper)
            for code, name, address, _weight in WAREHOUSES
        ]
        self.warehouse_weights = [w for *_rest, w in WAREHOUSES]
        rows = []
        pinyin: dict[str, str] = {}
        self.products: list[tuple[int, Decimal, int]] = []  # (id, sale price, shelf life days)
        for pid in range(1, self.counts.products + 1):
            c = (pid - 1) % len(CATALOG)
            _category, _en, prefix, items = CATALOG[c]
            base, spec, unit = items[(pid // len(CATALOG)) % len(items)]
            brand = BRANDS[pid % len(BRANDS)]
            name = f"{base}（{brand}）"
            if name not in pinyin:
                pinyin[name] = initials(name)
            cost = rng.randint(10, 40_000)
            price = money(cost * rng.randint(130, 190) // 100)
            shelf = rng.choice((365, 730, 1095, 1825))
            created = self.start - dt.timedelta(days=rng.randint(1, 365))
            rows.append(
                (
                    pid,
                    f"{prefix}{pid:06d}",
                    name,
                    pinyin[name],
                    f"{spec} 型号{pid % 23 + 1}",
                    unit,
                    categories[c].pk,
                    brand,
                    f"{brand}医疗器械有限公司",
                    f"国械注准2020{c + 1}14{pid:04d}",
                    self.today + dt.timedelta(days=rng.randint(-30, 1800)),
                    True,
                    shelf,
                    money(cost),
                    price,
                    Decimal(rng.choice((0, 0, 100, 500, 1000))),
                    f"69{pid:011d}",
                    True,
                    created,
                    created,
                )
            )
            self.products.append((pid, price, shelf))
        self.writer.write(
            Product,
            (
                "id",
                "code",
                "name",
                "pinyin",
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
                "min_stock",
                "barcode",
                "is_active",
                "created_at",
                "updated_at",
            ),
            rows,
        )
        # Popularity: a few products sell a lot (Zipf-like), in a random order of ids.
        order = list(range(len(self.products)))
        rng.shuffle(order)
        weights = [0.0] * len(self.products)
        for rank, index in enumerate(order):
            weights[index] = 1.0 / (rank + 5) ** 0.9
        self.hot_product_id = self.products[order[0]][0]
        total = 0.0
        self.product_cum: list[float] = []
        for w in weights:
            total += w
            self.product_cum.append(total)
        self.say(f"{len(rows):,} products, {len(self.warehouses)} warehouses")

    # Customers, contacts, ownership, activities ----------------------------------------------------

    def customer_names(self, n: int) -> list[tuple[str, str, str]]:
        """n distinct (name, kind, address) triples."""
        rng = self.rng
        places = [(prov, city) for prov, cities in PLACES for city in cities]
        kinds = (
            [("end_customer", t) for t in END_CUSTOMER_TYPES] * 3
            + [("hospital_system", t) for t in SYSTEM_TYPES]
            + [("distributor", t) for t in PARTNER_TYPES[:2]]
            + [("agent", t) for t in PARTNER_TYPES[2:]]
        )
        space = len(places) * len(WORDS) * len(WORDS) * len(kinds)
        if n > space // 2:
            raise ValueError(f"at most {space // 2:,} customers can be named")
        from maoyi.core.normalize import name_key

        out: list[tuple[str, str, str]] = []
        keys: set[str] = set()
        while len(out) < n:
            prov, city = places[rng.randrange(len(places))]
            word = WORDS[rng.randrange(len(WORDS))]
            second = WORDS[rng.randrange(len(WORDS))] if rng.random() < 0.5 else ""
            kind, suffix = kinds[rng.randrange(len(kinds))]
            place = f"{prov}{city}" if prov in MUNICIPALITIES else f"{city}"
            name = f"{place}{word}{second}{suffix}"
            key = name_key(name)
            if key in keys:
                continue
            keys.add(key)
            street = rng.choice(("中山路", "建设路", "人民路", "解放路", "新华路", "和平路", "胜利街"))
            address = f"{prov}{'市' if prov in MUNICIPALITIES else '省'}{city}{street}{rng.randint(1, 300)}号"
            out.append((name, kind, address))
        return out

    def customers(self) -> None:
        from maoyi.core.normalize import name_key, phone_key
        from maoyi.crm.models import Activity, Contact, Customer, OwnershipChange
        from maoyi.org.pinyin import initials

        rng = self.rng
        n = self.counts.customers
        names = self.customer_names(n)
        phones = rng.sample(range(10**8), n)
        admin_user = self.employees["admin"].user_id
        by_kind: dict[str, list[Any]] = defaultdict(list)
        for person in self.salespeople:
            by_kind[self.team_kind[person.department_id]].append(person)
        # (owner id or None, department id or None, created_at, owned_since) per customer
        self.customer_owner: list[int | None] = []
        self.customer_dept: list[int | None] = []
        self.customer_name: list[str] = []
        owners_of_kind = {
            "end_customer": by_kind["end_customer"],
            "hospital_system": by_kind["hospital_system"],
            "distributor": by_kind["partner"],
            "agent": by_kind["partner"],
        }
        customer_rows = []
        created_at: list[dt.datetime] = []
        for cid in range(1, n + 1):
            name, kind, address = names[cid - 1]
            in_pool = rng.random() < 0.15
            owner = None if in_pool else rng.choice(owners_of_kind[kind])
            created = (
                self.start - dt.timedelta(days=365) + dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
            )
            created = min(created, self.now - dt.timedelta(hours=1))
            created_at.append(created)
            self.customer_owner.append(owner.pk if owner else None)
            self.customer_dept.append(owner.department_id if owner else None)
            self.customer_name.append(name)
            phone = f"1{rng.choice('3589')}{phones[cid - 1]:09d}"[:11]
            customer_rows.append(
                [
                    cid,
                    name,
                    kind,
                    rng.choice("aabbbbbccc"),
                    phone,
                    f"91{rng.randint(110000, 650000)}MA{cid:08X}" if rng.random() < 0.6 else "",
                    address,
                    Decimal(rng.choice((0, 0, 50_000, 100_000, 300_000, 1_000_000))),
                    rng.choice(("referral", "exhibition", "website", "cold_call", "tender", "other")),
                    owner.pk if owner else None,
                    owner.department_id if owner else None,
                    initials(name),
                    name_key(name),
                    phone_key(phone),
                    None,  # last_activity_at, filled below
                    created if owner else None,
                    True,
                    owner.user_id if owner else admin_user,
                    created,
                    created,
                ]
            )
        self.say(f"{n:,} customers named (with pinyin)")
        # Contacts: one to three a customer, the first primary.
        contact_rows = []
        self.customer_contacts: list[list[int]] = [[] for _ in range(n)]
        contact_id = 0
        for cid in range(1, n + 1):
            for k in range(rng.choice((1, 1, 2, 2, 3))):
                contact_id += 1
                department, title = rng.choice(CONTACT_TITLES)
                contact_rows.append(
                    (
                        contact_id,
                        cid,
                        rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
                        department,
                        title,
                        f"13{rng.randint(0, 999_999_999):09d}",
                        k == 0,
                        True,
                        customer_rows[cid - 1][9],
                        created_at[cid - 1],
                    )
                )
                self.customer_contacts[cid - 1].append(contact_id)
        # Ownership history: created by the owner; pool customers were someone's and came back.
        ownership_rows: list[tuple[Any, ...]] = []
        oid = 0
        for cid in range(1, n + 1):
            owner_id = self.customer_owner[cid - 1]
            oid += 1
            if owner_id is not None:
                ownership_rows.append((oid, cid, "create", None, owner_id, owner_id, created_at[cid - 1], ""))
                continue
            first = rng.choice(self.salespeople).pk
            ownership_rows.append((oid, cid, "create", None, first, first, created_at[cid - 1], ""))
            oid += 1
            back = min(self.now, created_at[cid - 1] + dt.timedelta(days=rng.randint(30, 300)))
            ownership_rows.append(
                (oid, cid, "return", first, None, None, back, "超过未跟进天数，自动回收公海")
            )
        # Follow-ups, mostly with owned customers, by their owner.
        last_activity: list[dt.datetime | None] = [None] * n
        activity_rows = []
        owned = [i for i in range(n) if self.customer_owner[i] is not None] or list(range(n))
        seconds = int((self.now - self.start).total_seconds())
        for aid in range(1, self.counts.activities + 1):
            i = rng.choice(owned) if rng.random() < 0.9 else rng.randrange(n)
            employee = self.customer_owner[i] or rng.choice(self.salespeople).pk
            at = max(created_at[i], self.start + dt.timedelta(seconds=rng.randint(0, seconds)))
            at = min(at, self.now)
            contacts = self.customer_contacts[i]
            follow = None
            if rng.random() < 0.3:
                follow = at.date() + dt.timedelta(days=rng.randint(3, 30))
            activity_rows.append(
                (
                    aid,
                    i + 1,
                    rng.choice(contacts) if contacts and rng.random() < 0.7 else None,
                    rng.choice(("call", "call", "visit", "visit", "email", "meeting", "other")),
                    rng.choice(ACTIVITY_TEXTS),
                    at,
                    follow,
                    bool(follow and follow < self.today and rng.random() < 0.7),
                    employee,
                    at,
                )
            )
            if last_activity[i] is None or at > last_activity[i]:  # type: ignore[operator]
                last_activity[i] = at
        for i, row in enumerate(customer_rows):
            row[14] = last_activity[i]
        self.writer.write(
            Customer,
            (
                "id",
                "name",
                "kind",
                "level",
                "phone",
                "tax_id",
                "address",
                "credit_limit",
                "source",
                "owner",
                "department",
                "pinyin",
                "name_key",
                "phone_key",
                "last_activity_at",
                "owned_since",
                "is_active",
                "created_by",
                "created_at",
                "updated_at",
            ),
            customer_rows,
        )
        self.writer.write(
            Contact,
            (
                "id",
                "customer",
                "name",
                "department",
                "title",
                "mobile",
                "is_primary",
                "is_active",
                "created_by",
                "created_at",
            ),
            contact_rows,
        )
        self.writer.write(
            OwnershipChange,
            ("id", "customer", "action", "from_owner", "to_owner", "actor", "at", "reason"),
            ownership_rows,
        )
        self.writer.write(
            Activity,
            (
                "id",
                "customer",
                "contact",
                "kind",
                "summary",
                "occurred_at",
                "next_follow_up",
                "follow_up_done",
                "employee",
                "created_at",
            ),
            activity_rows,
        )
        self.say(
            f"{n:,} customers, {len(contact_rows):,} contacts, {len(ownership_rows):,} ownership changes, "
            f"{len(activity_rows):,} activities written"
        )

    # Sales orders and what approval, shipping and collection made of them -----------------------

    def pick_products(self, k: int) -> list[int]:
        """k distinct product ids, popular ones more often."""
        rng = self.rng
        total = self.product_cum[-1]
        chosen: list[int] = []
        tries = 0
        while len(chosen) < k and tries < 20:
            tries += 1
            index = bisect_right(self.product_cum, rng.random() * total)
            pid = self.products[min(index, len(self.products) - 1)][0]
            if pid not in chosen:
                chosen.append(pid)
        return chosen

    def orders(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        from maoyi.core.money import quantize_money
        from maoyi.sales.models import SalesOrder

        rng = self.rng
        statuses = [s for s, _w, _d in STATUS_MIX]
        weights = [w for _s, w, _d in STATUS_MIX]
        ages = {s: d for s, _w, d in STATUS_MIX}
        owned = [i for i in range(self.counts.customers) if self.customer_owner[i] is not None]
        if not owned:
            raise ValueError("no customer has an owner")
        price_of = {pid: price for pid, price, _shelf in self.products}
        warehouse_ids = [w.pk for w in self.warehouses]
        self.order_ct = ContentType.objects.get_for_model(SalesOrder).pk
        logistics = self.logistics
        # Rows.
        self.order_rows: list[tuple[Any, ...]] = []
        self.line_rows: list[list[Any]] = []
        self.plan_rows: list[tuple[Any, ...]] = []
        self.request_rows: list[tuple[Any, ...]] = []
        self.approver_rows: list[tuple[Any, ...]] = []
        self.step_rows: list[tuple[Any, ...]] = []
        self.shipment_rows: list[tuple[Any, ...]] = []
        self.shipped: list[Shipped] = []
        self.reservation_rows: list[tuple[Any, ...]] = []
        self.obligation_rows: list[tuple[Any, ...]] = []
        self.installment_rows: list[tuple[Any, ...]] = []
        self.settlement_rows: list[tuple[Any, ...]] = []
        self.allocation_rows: list[tuple[Any, ...]] = []
        # Demand on the stock ledger: (product, warehouse) -> shipped lines, and still reserved.
        self.demand: dict[tuple[int, int], list[Shipped]] = defaultdict(list)
        self.reserved: Counter[tuple[int, int]] = Counter()
        line_id = request_id = step_id = shipment_id = ship_line_id = reservation_id = 0
        obligation_id = installment_id = settlement_id = allocation_id = 0
        plan_id = 0
        # Orders are numbered in date order, as the services number them.
        drafts = []
        for _n in range(self.counts.orders):
            status = rng.choices(statuses, weights)[0]
            drafts.append((self.days_ago(*ages[status]), status))
        drafts.sort(key=lambda d: d[0])
        for order_id, (order_date, status) in enumerate(drafts, start=1):
            i = rng.choice(owned)
            customer_id = i + 1
            owner_id = self.customer_owner[i]
            department_id = self.customer_dept[i]
            assert owner_id is not None and department_id is not None
            owner = self.employee_by_id[owner_id]
            created = self.local(order_date, rng.randint(0, 9 * 3600))
            number = self.numbers.next("sales_order", order_date)
            warehouse_id = rng.choices(warehouse_ids, self.warehouse_weights)[0]
            delivery = order_date + dt.timedelta(days=rng.randint(3, 15)) if rng.random() < 0.7 else None
            approved = status in ("approved", "in_progress", "done")
            approved_on = min(self.today, order_date + dt.timedelta(days=rng.randint(0, 2)))
            approved_at = self.local(approved_on, rng.randint(9 * 3600, 10 * 3600)) if approved else None
            if approved_at is not None and approved_at <= created:
                approved_at = created + dt.timedelta(minutes=rng.randint(5, 90))
            updated = approved_at or created
            lines: list[list[Any]] = []
            amount = Decimal(0)
            for pid in self.pick_products(rng.choice((1, 1, 2, 2, 3, 3, 4, 5))):
                line_id += 1
                quantity = rng.choice((1, 2, 5, 10, 10, 20, 20, 50, 100, 200))
                price = price_of[pid]
                discount = Decimal(rng.choice((0, 0, 0, 0, 5, 10)))
                amount += quantize_money(quantity * price * (HUNDRED - discount) / HUNDRED)
                lines.append(
                    [line_id, order_id, pid, Decimal(quantity), price, discount, TAX_RATE, "sale_price", 0, 0]
                )
            self.order_rows.append(
                (
                    order_id,
                    number,
                    status,
                    owner_id,
                    department_id,
                    owner.user_id,
                    created,
                    updated,
                    customer_id,
                    warehouse_id,
                    order_date,
                    delivery,
                    f"收货地址 {customer_id}",
                    "",
                    "",
                    "",
                    approved_at,
                    "",
                )
            )
            # The collection plan: mostly one installment, sometimes two.
            base = delivery or order_date
            if amount >= Decimal("0.02") and rng.random() < 0.2:
                first = quantize_money(amount / 2)
                plan = [
                    (base + dt.timedelta(days=CREDIT_DAYS), first),
                    (base + dt.timedelta(days=60), amount - first),
                ]
                for due, part in plan:
                    plan_id += 1
                    self.plan_rows.append((plan_id, order_id, due, part))
            else:
                plan = [(base + dt.timedelta(days=CREDIT_DAYS), amount)]
            # Approval: a request for everything submitted, decided for the approved ones.
            if status in ("submitted", "approved", "in_progress", "done"):
                request_id += 1
                manager = self.team_manager[department_id]
                requested = created + dt.timedelta(minutes=rng.randint(1, 30))
                if approved_at is not None and requested >= approved_at:
                    requested = approved_at - dt.timedelta(minutes=1)
                self.request_rows.append(
                    (
                        request_id,
                        self.order_ct,
                        order_id,
                        "sales_order",
                        number,
                        f"{number} {self.customer_name[i]}"[:200],
                        amount,
                        department_id,
                        owner_id,
                        requested,
                        "approved" if approved else "pending",
                        manager.pk if approved else None,
                        approved_at,
                        "",
                    )
                )
                self.approver_rows.append((request_id, request_id, manager.pk))
                step_id += 1
                self.step_rows.append((step_id, request_id, owner_id, "submit", "", requested))
                if approved:
                    step_id += 1
                    self.step_rows.append((step_id, request_id, manager.pk, "approve", "同意", approved_at))
            if not approved:
                self.line_rows.extend(lines)
                continue
            assert approved_at is not None
            # Shipping: everything for done orders, part for orders in progress.
            shipped_any = status in ("in_progress", "done")
            shipped_on = min(self.today, approved_on + dt.timedelta(days=rng.randint(0, 5)))
            if shipped_any:
                shipment_id += 1
                clerk = rng.choice(logistics)
                ship_number = self.numbers.next("shipment", shipped_on)
                ship_at = max(
                    self.local(shipped_on, rng.randint(3600, 9 * 3600)), approved_at + dt.timedelta(minutes=5)
                )
                delivered = status == "done"
                delivered_on = (
                    min(self.today, shipped_on + dt.timedelta(days=rng.randint(1, 4))) if delivered else None
                )
                self.shipment_rows.append(
                    (
                        shipment_id,
                        ship_number,
                        "done" if delivered else "in_progress",
                        clerk.pk,
                        clerk.department_id,
                        clerk.user_id,
                        ship_at,
                        ship_at,
                        order_id,
                        warehouse_id,
                        shipped_on,
                        rng.choice(("顺丰速运", "京东物流", "德邦快递", "自提")),
                        f"SF{rng.randint(10**11, 10**12 - 1)}",
                        delivered_on,
                        "签收人" if delivered else "",
                        "",
                    )
                )
            held: Counter[int] = Counter()
            ordered: Counter[int] = Counter()
            for k, line in enumerate(lines):
                quantity = int(line[3])
                pid = line[2]
                ordered[pid] += quantity
                if status == "done":
                    ship = quantity
                elif status == "in_progress":
                    ship = quantity if k == 0 else rng.choice((0, quantity // 2, quantity))
                    ship = max(ship, 1) if k == 0 else ship
                else:
                    ship = 0
                if ship:
                    ship_line_id += 1
                    item = Shipped(
                        ship_line_id, shipment_id, ship_number, line[0], ship, ship_at, clerk.user_id
                    )
                    self.shipped.append(item)
                    self.demand[(pid, warehouse_id)].append(item)
                    line[8] = ship
                held[pid] += quantity - ship
            self.line_rows.extend(lines)
            for pid, quantity in sorted(ordered.items()):
                reservation_id += 1
                still = held[pid]
                self.reservation_rows.append(
                    (
                        reservation_id,
                        pid,
                        warehouse_id,
                        Decimal(still),
                        Decimal(quantity),
                        "open" if still else "closed",
                        "sales_order",
                        order_id,
                        number,
                        approved_at,
                    )
                )
                if still:
                    self.reserved[(pid, warehouse_id)] += still
            # The receivable, and what the customer paid of it.
            obligation_id += 1
            issued = approved_at.astimezone(timezone.get_current_timezone()).date()
            receivable_number = self.numbers.next("receivable", issued)
            installments: list[list[Any]] = []
            for seq, (due, part) in enumerate(plan, start=1):
                installment_id += 1
                installments.append([installment_id, obligation_id, seq, due, part, Decimal(0)])
            paid: list[tuple[list[Any], Decimal]] = []
            due_last = plan[-1][0]
            if status == "done":
                chance = (
                    0.95
                    if due_last < self.today - dt.timedelta(days=30)
                    else 0.6
                    if due_last < self.today
                    else 0.25
                )
                if rng.random() < chance:
                    partial = rng.random() < 0.1
                    for k, inst in enumerate(installments):
                        if partial and k == len(installments) - 1:
                            share = quantize_money(inst[4] * Decimal(rng.randint(10, 90)) / HUNDRED)
                            if share > 0:
                                paid.append((inst, share))
                            break
                        paid.append((inst, inst[4]))
            allocated = sum((share for _inst, share in paid), Decimal(0))
            self.obligation_rows.append(
                (
                    obligation_id,
                    receivable_number,
                    "settled" if allocated == amount else "open",
                    owner_id,
                    department_id,
                    manager.user_id,
                    approved_at,
                    approved_at,
                    "receivable",
                    "customer",
                    customer_id,
                    self.customer_name[i],
                    amount,
                    allocated,
                    "sales_order",
                    order_id,
                    number,
                    issued,
                    due_last,
                )
            )
            if paid:
                settlement_id += 1
                occurred = min(self.today, max(issued, due_last + dt.timedelta(days=rng.randint(-20, 20))))
                clerk = rng.choice(self.finance_people)
                at = self.local(occurred, rng.randint(3600, 8 * 3600))
                at = max(at, approved_at + dt.timedelta(minutes=1))
                self.settlement_rows.append(
                    (
                        settlement_id,
                        self.numbers.next("receipt", occurred),
                        "posted",
                        owner_id,
                        department_id,
                        clerk.user_id,
                        at,
                        at,
                        "receivable",
                        "customer",
                        customer_id,
                        self.customer_name[i],
                        allocated,
                        allocated,
                        rng.choice(METHODS),
                        occurred,
                        f"流水{settlement_id:010d}",
                    )
                )
                for inst, share in paid:
                    allocation_id += 1
                    inst[5] = share
                    self.allocation_rows.append(
                        (allocation_id, settlement_id, obligation_id, inst[0], share, at, clerk.user_id)
                    )
            self.installment_rows.extend(tuple(inst) for inst in installments)
        self.say(
            f"{len(self.order_rows):,} orders with {len(self.line_rows):,} lines, "
            f"{len(self.shipment_rows):,} shipments, {len(self.obligation_rows):,} receivables, "
            f"{len(self.settlement_rows):,} receipts"
        )

    # The stock ledger -----------------------------------------------------------------------------

    def ledger(self) -> None:
        """Lots and moves per product × warehouse in time order: goods received (each receipt enough
        for the shipments until the next one, plus a margin, and the last one for what is still
        reserved), the shipments' issues out of the lot last received, and other issues out of the
        margin; all at the moving-average cost. Balances and levels are what the moves add up to."""
        rng = self.rng
        warehouse_ids = [w.pk for w in self.warehouses]
        pairs = [(pid, w) for pid, _p, _s in self.products for w in warehouse_ids]
        needed = {pair for pair, items in self.demand.items() if items} | {
            p for p, q in self.reserved.items() if q
        }
        budget = self.counts.moves - len(self.shipped)
        if budget < len(needed):
            raise ValueError(
                f"--moves {self.counts.moves:,} is too small: the orders ship {len(self.shipped):,} lines "
                f"and {len(needed):,} product × warehouse pairs need a receipt"
            )
        extra: Counter[tuple[int, int]] = Counter({pair: 1 for pair in needed})
        product_weight = {pid: w for (pid, _p, _s), w in zip(self.products, self._weights(), strict=True)}
        wh_weight = dict(zip(warehouse_ids, self.warehouse_weights, strict=True))
        rest = budget - len(needed)
        if rest:
            pair_weights = [product_weight[pid] + 0.2 / len(self.products) for pid, _w in pairs]
            pair_weights = [pw * wh_weight[w] for pw, (_pid, w) in zip(pair_weights, pairs, strict=True)]
            extra.update(rng.choices(pairs, pair_weights, k=rest))
        # Lots: three to six a product, produced over the two years before and during the ledger.
        lot_rows = []
        lots_of: dict[int, list[tuple[dt.date, int]]] = {}
        lot_id = 0
        for pid, _price, shelf in self.products:
            produced_days = sorted(rng.sample(range(0, DAYS + 365), rng.randint(3, 6)), reverse=True)
            mine = []
            for k, ago in enumerate(produced_days):
                lot_id += 1
                produced = self.today - dt.timedelta(days=ago)
                lot_rows.append(
                    (
                        lot_id,
                        pid,
                        f"{produced:%Y%m%d}{k + 1}",
                        produced,
                        produced + dt.timedelta(days=shelf),
                        self.start,
                    )
                )
                mine.append((produced, lot_id))
            lots_of[pid] = mine
        self.lot_count = len(lot_rows)
        from maoyi.inventory.models import Lot, StockBalance, StockLevel, StockMove

        self.writer.write(
            Lot, ("id", "product", "lot_number", "production_date", "expiry_date", "created_at"), lot_rows
        )
        base_cost = {pid: cents(price) * 100 // rng.randint(130, 190) for pid, price, _s in self.products}
        bench_user = self.employees["logistics1"].user_id
        seconds = int((self.now - self.start).total_seconds()) - 3600
        move_names = (
            "id",
            "product",
            "warehouse",
            "lot",
            "kind",
            "quantity",
            "unit_cost",
            "value",
            "source_type",
            "source_id",
            "source_number",
            "created_at",
            "created_by",
        )
        move_id = balance_id = level_id = 0
        moves: list[tuple[Any, ...]] = []
        balances: list[tuple[Any, ...]] = []
        levels: list[tuple[Any, ...]] = []
        self.move_count = self.balance_count = self.level_count = 0
        for pair in sorted(set(extra) | set(self.demand)):
            pid, warehouse = pair
            shipped = sorted(self.demand.get(pair, ()), key=lambda s: (s.at, s.id))
            n_extra = extra[pair]
            if n_extra < 1:
                raise ValueError(f"product {pid} ships from warehouse {warehouse} without a receipt")
            # Events: (moment, kind, shipped item or None); the first is always a receipt.
            events: list[tuple[dt.datetime, int, Shipped | None]] = [(s.at, 2, s) for s in shipped]
            opening_at = self.start + dt.timedelta(seconds=rng.randint(0, 30 * 86400))
            if shipped:
                opening_at = min(opening_at, shipped[0].at - dt.timedelta(hours=1))
            events.append((opening_at, 0, None))
            for _n in range(n_extra - 1):
                at = opening_at + dt.timedelta(seconds=rng.randint(60, max(120, seconds)))
                at = min(at, self.now - dt.timedelta(minutes=1))
                events.append((at, 0 if rng.random() < 0.55 else 1, None))  # 0 receipt, 1 other issue
            events.sort(key=lambda e: (e[0], e[1]))
            if events[0][1] != 0:  # ties: the opening receipt goes first
                first = next(k for k, e in enumerate(events) if e[1] == 0)
                events.insert(0, events.pop(first))
            # What each receipt must cover: the shipments until the next receipt (the last one also
            # what is still reserved).
            cover: list[int] = [0] * len(events)
            pending = self.reserved.get(pair, 0)
            for k in range(len(events) - 1, -1, -1):
                at, kind, item = events[k]
                if kind == 2 and item is not None:
                    pending += item.quantity
                elif kind == 0:
                    cover[k] = pending
                    pending = 0
            lots = lots_of[pid]
            lot_days = [d.toordinal() for d, _l in lots]
            stock: dict[int, int] = {}
            current = 0
            owed = 0  # what the current lot still holds for the coming shipments
            on_hand = value = 0
            price = base_cost[pid]
            for k, (at, kind, item) in enumerate(events):
                move_id += 1
                if kind == 1:
                    free = {lot: q - (owed if lot == current else 0) for lot, q in stock.items()}
                    free = {lot: q for lot, q in free.items() if q > 0}
                    if not free:
                        kind = 0  # nothing to spare: goods arrive instead
                if kind == 0:
                    if events[k][1] == 0:
                        # A delivery: into the lot of its time; it holds what ships until the next one.
                        index = max(0, bisect_right(lot_days, at.date().toordinal()) - 1)
                        lot = lots[index][1]
                        if owed:
                            raise AssertionError(f"{pair}: {owed} still owed at a delivery")
                        owed = cover[k]
                        current = lot
                    else:  # an issue with nothing to spare became a delivery into the current lot
                        lot = current
                    quantity = cover[k] + rng.randint(10, 500)
                    cost = max(1, price + rng.randint(-price // 10, price // 10))
                    move_value = quantity * cost
                    unit_cost = money(cost)
                    stock[lot] = stock.get(lot, 0) + quantity
                    move_kind = "opening" if k == 0 else "receipt"
                    source = (BENCH_SOURCE, move_id, f"BENCH-RK{move_id:09d}")
                else:
                    if kind == 2:
                        assert item is not None
                        lot = current
                        taken = item.quantity
                        owed -= taken
                    else:
                        lot = rng.choice(sorted(free))
                        taken = rng.randint(1, min(free[lot], 300))
                    if stock.get(lot, 0) < taken:
                        raise AssertionError(f"lot {lot} short by {taken - stock.get(lot, 0)}")
                    share = value if taken == on_hand else (2 * taken * value + on_hand) // (2 * on_hand)
                    quantity = -taken
                    move_value = -share
                    unit_cost = Decimal(value * 10_000 // on_hand).scaleb(-6)
                    stock[lot] -= taken
                    if kind == 2:
                        assert item is not None
                        item.lot_id, item.cost_cents, item.unit_cost = lot, share, unit_cost
                        move_kind = "issue"
                        source = ("shipment", item.shipment_id, item.shipment_number)
                    else:
                        move_kind = "issue"
                        source = (BENCH_SOURCE, move_id, f"BENCH-CK{move_id:09d}")
                on_hand += quantity
                value += move_value
                moves.append(
                    (
                        move_id,
                        pid,
                        warehouse,
                        lot,
                        move_kind,
                        quantity,
                        unit_cost,
                        money(move_value),
                        *source,
                        at,
                        item.user_id if item is not None and kind == 2 else bench_user,
                    )
                )
            reserved = self.reserved.get(pair, 0)
            if on_hand < reserved or value < 0 or (on_hand == 0 and value != 0):
                raise AssertionError(f"level {pair}: {on_hand} on hand, {reserved} reserved, value {value}")
            for lot, quantity in sorted(stock.items()):
                balance_id += 1
                balances.append((balance_id, pid, warehouse, lot, quantity))
            level_id += 1  # noqa: SIM113
            levels.append((level_id, pid, warehouse, on_hand, reserved, money(value)))
            if len(moves) >= 200_000:
                self.move_count += self.writer.write(StockMove, move_names, moves)
                moves = []
        self.move_count += self.writer.write(StockMove, move_names, moves)
        self.balance_count = self.writer.write(
            StockBalance, ("id", "product", "warehouse", "lot", "on_hand"), balances
        )
        self.level_count = self.writer.write(
            StockLevel, ("id", "product", "warehouse", "on_hand", "reserved", "value"), levels
        )
        self.say(
            f"{self.move_count:,} stock moves, {len(balances):,} balances, {len(levels):,} levels written"
        )

    def _weights(self) -> list[float]:
        previous = 0.0
        out = []
        for c in self.product_cum:
            out.append(c - previous)
            previous = c
        return out

    # The documents, once the ledger gave the shipments their lots and costs -----------------------

    def documents(self) -> None:
        from maoyi.approvals.models import ApprovalRequest, ApprovalStep
        from maoyi.finance.models import Allocation, Installment, Obligation, Settlement
        from maoyi.inventory.models import Reservation
        from maoyi.sales.models import (
            SalesOrder,
            SalesOrderInstallment,
            SalesOrderLine,
            Shipment,
            ShipmentLine,
        )

        w = self.writer
        shipped_cost: Counter[int] = Counter()
        for item in self.shipped:
            shipped_cost[item.order_line_id] += item.cost_cents
        w.write(
            SalesOrder,
            (
                "id",
                "number",
                "status",
                "owner",
                "department",
                "created_by",
                "created_at",
                "updated_at",
                "customer",
                "warehouse",
                "order_date",
                "delivery_date",
                "delivery_address",
                "receiver",
                "receiver_phone",
                "note",
                "approved_at",
                "credit_override_reason",
            ),
            self.order_rows,
        )
        w.write(
            SalesOrderLine,
            (
                "id",
                "order",
                "product",
                "quantity",
                "unit_price",
                "discount_rate",
                "tax_rate",
                "price_source",
                "shipped_quantity",
                "shipped_cost",
            ),
            ((*line[:8], Decimal(line[8]), money(shipped_cost.get(line[0], 0))) for line in self.line_rows),
        )
        w.write(SalesOrderInstallment, ("id", "order", "due_date", "amount"), self.plan_rows)
        w.write(
            ApprovalRequest,
            (
                "id",
                "content_type",
                "object_id",
                "document_type",
                "document_number",
                "document_title",
                "amount",
                "department",
                "requested_by",
                "requested_at",
                "status",
                "decided_by",
                "decided_at",
                "reason",
            ),
            self.request_rows,
        )
        w.write(ApprovalRequest.approvers.through, ("id", "approvalrequest", "employee"), self.approver_rows)
        w.write(ApprovalStep, ("id", "request", "actor", "decision", "reason", "at"), self.step_rows)
        w.write(
            Shipment,
            (
                "id",
                "number",
                "status",
                "owner",
                "department",
                "created_by",
                "created_at",
                "updated_at",
                "order",
                "warehouse",
                "shipped_on",
                "carrier",
                "tracking_number",
                "delivered_on",
                "signed_by",
                "note",
            ),
            self.shipment_rows,
        )
        w.write(
            ShipmentLine,
            ("id", "shipment", "order_line", "lot", "quantity", "cost", "unit_cost"),
            (
                (
                    s.id,
                    s.shipment_id,
                    s.order_line_id,
                    s.lot_id,
                    Decimal(s.quantity),
                    money(s.cost_cents),
                    s.unit_cost,
                )
                for s in self.shipped
            ),
        )
        w.write(
            Reservation,
            (
                "id",
                "product",
                "warehouse",
                "quantity",
                "original_quantity",
                "status",
                "source_type",
                "source_id",
                "source_number",
                "created_at",
            ),
            self.reservation_rows,
        )
        w.write(
            Obligation,
            (
                "id",
                "number",
                "status",
                "owner",
                "department",
                "created_by",
                "created_at",
                "updated_at",
                "direction",
                "party_kind",
                "party_id",
                "party_name",
                "amount",
                "allocated",
                "source_type",
                "source_id",
                "source_number",
                "issued_on",
                "due_date",
            ),
            self.obligation_rows,
        )
        w.write(
            Installment,
            ("id", "obligation", "sequence", "due_date", "amount", "allocated"),
            self.installment_rows,
        )
        w.write(
            Settlement,
            (
                "id",
                "number",
                "status",
                "owner",
                "department",
                "created_by",
                "created_at",
                "updated_at",
                "direction",
                "party_kind",
                "party_id",
                "party_name",
                "amount",
                "allocated",
                "method",
                "occurred_on",
                "reference",
            ),
            self.settlement_rows,
        )
        w.write(
            Allocation,
            ("id", "settlement", "obligation", "installment", "amount", "created_at", "created_by"),
            self.allocation_rows,
        )
        self.say("orders, approvals, shipments, reservations, receivables and receipts written")

    def finish(self) -> None:
        """Numbering counters past every number used, and the id sequences past every id."""
        from django.core.management.color import no_style

        from maoyi.core.models import DocumentSequence

        DocumentSequence.objects.bulk_create(
            [
                DocumentSequence(document_type=t, day=d, last=n)
                for (t, d), n in sorted(self.numbers.last.items())
            ],
            batch_size=2000,
        )
        statements = connection.ops.sequence_reset_sql(no_style(), sorted(self.writer.models, key=str))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def run(self) -> Summary:
        from maoyi.org.models import Employee

        fast_sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
        if fast_sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
        with transaction.atomic():
            skipped_triggers = without_foreign_key_triggers()
            self.org()
            self.employee_by_id = {e.pk: e for e in Employee.objects.all()}
            self.goods()
            self.customers()
            self.orders()
            self.ledger()
            self.documents()
            self.finish()
            if skipped_triggers:
                problems = foreign_key_problems()
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = origin")
                if problems:
                    raise AssertionError(f"foreign keys broken: {problems[:5]}")
            else:
                connection.check_constraints()  # every foreign key, now rather than at commit
            self.say("foreign keys checked")
        if fast_sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")
        summary = Summary()
        summary.seconds_generate_and_write = time.perf_counter() - self.started
        started = time.perf_counter()
        analyze()
        summary.seconds_analyze = time.perf_counter() - started
        summary.counts = {
            "employees": len(self.employee_by_id),
            "products": len(self.products),
            "lots": self.lot_count,
            "customers": self.counts.customers,
            "activities": self.counts.activities,
            "sales_orders": len(self.order_rows),
            "sales_order_lines": len(self.line_rows),
            "shipments": len(self.shipment_rows),
            "receivables": len(self.obligation_rows),
            "receipts": len(self.settlement_rows),
            "stock_moves": self.move_count,
            "stock_balances": self.balance_count,
            "stock_levels": self.level_count,
            "reservations": len(self.reservation_rows),
        }
        return summary


def without_foreign_key_triggers() -> bool:
    """PostgreSQL, for a superuser: no per-row foreign-key trigger for the rest of the transaction
    (each COPYed row would queue one, run at commit); `foreign_key_problems()` then checks every
    key with one anti-join per foreign key instead. False (nothing changed) elsewhere."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def foreign_key_problems() -> list[str]:
    """Rows whose foreign key points at no row, per table and column (empty when all hold)."""
    from django.apps import apps

    quote = connection.ops.quote_name
    problems = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            meta = model._meta
            if not meta.managed or meta.proxy:
                continue
            for f in meta.concrete_fields:
                if not ((f.is_relation and f.many_to_one) or f.one_to_one) or not getattr(
                    f, "db_constraint", False
                ):
                    continue
                target = f.target_field  # type: ignore[attr-defined]
                table, column = quote(meta.db_table), quote(f.column)
                ref, ref_column = quote(target.model._meta.db_table), quote(target.column)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {ref} r WHERE r.{ref_column} = t.{column})"
                )
                (count,) = cursor.fetchone()
                if count:
                    problems.append(f"{meta.db_table}.{f.column}: {count} rows")
    return problems


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def load(counts: Counts, *, seed: int = 2026, password: str | None = None, log: Log = print) -> Summary:
    """Fill the current (migrated, empty) database; raises NotEmpty when it holds business data."""
    found = business_rows()
    if found:
        raise NotEmpty(refusal(found))
    return Generator(counts, seed=seed, password=password, log=log).run()
