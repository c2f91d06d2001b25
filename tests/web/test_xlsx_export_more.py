"""导出 Excel on the remaining list pages: each list answers `?format=xlsx` with its Chinese header
row and exactly the rows on screen as filtered (every page), and the CRM and finance lists only the
records of the user's data scope (a salesperson's export holds only their own).

Data-driven: each case builds a small data set and names the list, who exports it, the sheet's
header row, the column identifying a row, and a filter with the rows it keeps."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal as D
from typing import Any
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from maoyi.catalog.models import Product
from maoyi.core.tabular import XLSX_MIME
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import campaigns as campaign_services
from maoyi.crm.services import contracts as contract_services
from maoyi.crm.services import expenses as expense_services
from maoyi.crm.services import opportunities as opportunity_services
from maoyi.finance import services as finance_services
from maoyi.inventory.services.documents import submit_document
from maoyi.inventory.services.opening import OpeningLineInput, create_opening_stock
from maoyi.inventory.services.stocktake import start_stocktake
from maoyi.inventory.services.transfer import TransferLineInput, create_transfer
from maoyi.purchasing.services import orders as purchase_orders
from tests.catalog.builders import make_category, make_level, make_product
from tests.crm.builders import grant_customer_permissions, make_customer
from tests.crm.quote_builders import line as quote_line
from tests.crm.quote_builders import make_book, make_quote
from tests.finance.builders import make_parties, settle
from tests.inventory.stockdocs import build_stock, post_opening
from tests.purchasing import order_builders as purchasing
from tests.purchasing.builders import make_supplier
from tests.sales.builders import Line, approved_order, build_shop, put_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def customer_permissions(company) -> None:
    grant_customer_permissions()


@dataclass
class Case:
    url: str
    who: Any
    stem: str
    headers: list[str]
    key: str  # the header of the column naming each row
    rows: set[Any]  # that column over the whole (unfiltered) export
    params: dict[str, Any] = field(default_factory=dict)  # a filter …
    kept: set[Any] = field(default_factory=set)  # … and the rows it keeps


def export(client, url: str, **params: Any):
    return client.get(url, {**params, "format": "xlsx"})


def table(response, stem: str) -> tuple[list[Any], list[dict[str, Any]]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX_MIME
    disposition = unquote(response["Content-Disposition"])
    assert disposition.startswith("attachment;") and f"{stem}-{TODAY():%Y%m%d}.xlsx" in disposition
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def keys(rows: list[dict[str, Any]], key: str) -> set[Any]:
    return {row[key] for row in rows}


# The cases ----------------------------------------------------------------------------------------


def purchase_returns(company) -> Case:
    shop = purchasing.build_shop(company)
    order = purchasing.approved(shop)
    purchasing.receive(shop, order, "10")
    first = purchasing.approved_return(shop, order, "2")
    second = purchasing.approved_return(shop, order, "3", reason="规格不符")
    return Case(
        reverse("web:purchase-return-list"),
        company.admin,
        "采购退货",
        ["退货单号", "采购订单", "供应商", "币种", "退货金额", "状态", "退货原因", "负责人", "创建时间"],
        "退货单号",
        {first.number, second.number},
        {"q": first.number},
        {first.number},
    )


def purchase_to_receive(company) -> Case:
    shop = purchasing.build_shop(company)
    first = purchasing.approved(shop)
    second = purchasing.approved(shop, supplier=shop.usd_supplier, exchange_rate=D("7.1"))
    purchasing.draft(shop)  # not approved: not to receive
    return Case(
        reverse("web:purchase-to-receive"),
        shop.keeper,
        "待入库",
        [
            "预计到货",
            "逾期",
            "单据编号",
            "供应商",
            "收货仓库",
            "状态",
            "待到货行数",
            "到货进度",
            "采购负责人",
        ],
        "单据编号",
        {first.number, second.number},
        {"q": "Medivena"},
        {second.number},
    )


def suppliers(company) -> Case:
    make_supplier("上海康德莱企业发展集团股份有限公司")
    make_supplier("山东威高集团医用高分子制品股份有限公司")
    return Case(
        reverse("web:supplier-list"),
        company.admin,
        "供应商",
        ["供应商编码", "供应商名称", "简称", "币种", "电话", "税号", "账期（天）", "采购负责人", "状态"],
        "供应商名称",
        {"上海康德莱企业发展集团股份有限公司", "山东威高集团医用高分子制品股份有限公司"},
        {"q": "威高"},
        {"山东威高集团医用高分子制品股份有限公司"},
    )


def supplier_quotes(company) -> Case:
    shop = purchasing.build_shop(company)
    purchasing.quote(shop, "9.5")
    purchasing.quote(shop, "1.2", supplier=shop.usd_supplier, currency="USD")
    return Case(
        reverse("web:quote-list"),
        company.admin,
        "供应商报价",
        [
            "商品编码",
            "商品",
            "规格",
            "供应商",
            "含税单价",
            "币种",
            "起订量",
            "生效日期",
            "失效日期",
            "状态",
            "备注",
        ],
        "供应商",
        {"江西华康医疗器械有限公司", "Medivena Medical GmbH"},
        {"supplier": shop.usd_supplier.pk},
        {"Medivena Medical GmbH"},
    )


def to_ship(company) -> Case:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    mine = approved_order(shop, Line(shop.product, "20", "22.60"))
    theirs = approved_order(
        shop, Line(shop.product, "10", "11.30"), customer=shop.other_customer, owner=company.rep_b1
    )
    return Case(
        reverse("web:sales-to-ship"),
        shop.keeper,
        "待发货",
        ["要求交货日期", "逾期", "单据编号", "客户", "发货仓库", "状态", "待发货行数", "业务员"],
        "单据编号",
        {mine.number, theirs.number},
        {"q": "协和"},
        {mine.number},
    )


def stock_moves(company) -> Case:
    shop = build_shop(company)
    put_in(shop, "100", "8.00", "L1")
    put_in(shop, "7", "2.50", product=shop.plain)
    return Case(
        reverse("web:move-list"),
        company.admin,
        "库存流水",
        [
            "时间",
            "类型",
            "来源单据",
            "商品编码",
            "商品",
            "仓库",
            "批号",
            "数量",
            "单位成本",
            "金额",
            "操作人",
        ],
        "商品编码",
        {shop.product.code, shop.plain.code},
        {"q": shop.plain.name},
        {shop.plain.code},
    )


def lots(company) -> Case:
    shop = build_shop(company)
    put_in(shop, "10", "8.00", "L-NEAR", expiry=TODAY() + dt.timedelta(days=20))
    put_in(shop, "10", "8.00", "L-FAR", expiry=TODAY() + dt.timedelta(days=400))
    return Case(
        reverse("web:lot-list"),
        company.admin,
        "批次效期",
        [
            "商品编码",
            "商品",
            "规格",
            "批号",
            "生产日期",
            "有效期至",
            "效期状态",
            "剩余天数",
            "现存量",
            "单位",
        ],
        "批号",
        {"L-NEAR", "L-FAR"},
        {"state": "expiring"},
        {"L-NEAR"},
    )


def low_stock(company) -> Case:
    shop = build_shop(company)
    put_in(shop, "5", "8.00", "L1")
    put_in(shop, "50", "2.50", product=shop.plain)
    Product.objects.filter(pk__in=[shop.product.pk, shop.plain.pk]).update(min_stock=D("20"))
    return Case(
        reverse("web:low-stock"),
        company.admin,
        "低库存",
        ["商品编码", "商品名称", "规格型号", "单位", "现存量", "最低库存", "缺口", "在途量"],
        "商品编码",
        {shop.product.code},  # the plain one has enough
    )


def opening_documents(company) -> Case:
    stock = build_stock(company)
    main = create_opening_stock(
        actor=stock.keeper, warehouse=stock.main, lines=[OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))]
    )
    second = create_opening_stock(
        actor=stock.keeper,
        warehouse=stock.second,
        lines=[OpeningLineInput(stock.mask.pk, D("5"), D("0.50"))],
    )
    return Case(
        reverse("web:opening-list"),
        stock.keeper,
        "期初库存",
        ["单据编号", "仓库", "明细行数", "状态", "负责人", "创建时间", "过账时间", "备注"],
        "单据编号",
        {main.number, second.number},
        {"warehouse": stock.second.pk},
        {second.number},
    )


def transfers(company) -> Case:
    stock = build_stock(company)
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))])
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))], warehouse=stock.second)
    out = create_transfer(
        actor=stock.keeper,
        warehouse=stock.main,
        to_warehouse=stock.second,
        lines=[TransferLineInput(stock.mask.pk, D("2"))],
    )
    back = create_transfer(
        actor=stock.keeper,
        warehouse=stock.second,
        to_warehouse=stock.main,
        lines=[TransferLineInput(stock.mask.pk, D("1"))],
    )
    submit_document(back, actor=stock.keeper)
    return Case(
        reverse("web:transfer-list"),
        stock.keeper,
        "调拨",
        ["单据编号", "调出仓库", "调入仓库", "明细行数", "状态", "负责人", "创建时间", "过账时间", "备注"],
        "单据编号",
        {out.number, back.number},
        {"status": "submitted"},
        {back.number},
    )


def stocktakes(company) -> Case:
    stock = build_stock(company)
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))])
    post_opening(stock, [OpeningLineInput(stock.mask.pk, D("10"), D("0.50"))], warehouse=stock.second)
    main = start_stocktake(actor=stock.keeper, warehouse=stock.main)
    second = start_stocktake(actor=stock.keeper, warehouse=stock.second)
    return Case(
        reverse("web:stocktake-list"),
        stock.keeper,
        "盘点",
        ["单据编号", "仓库", "盘点时间", "明细行数", "状态", "负责人", "创建时间", "过账时间", "备注"],
        "单据编号",
        {main.number, second.number},
        {"warehouse": stock.main.pk},
        {main.number},
    )


SETTLEMENT_HEADERS = [
    "单据编号",
    "日期",
    "往来单位",
    "结算方式",
    "流水号",
    "币种",
    "金额",
    "已核销",
    "未核销",
    "状态",
]


def receipts(company) -> Case:
    parties = make_parties(company)
    clerk = company.finance_clerk
    settle(clerk, parties.hospital, "300.00", TODAY())
    settle(clerk, parties.dealer, "200.00", TODAY())
    return Case(
        reverse("web:receipt-list"),
        clerk,
        "收款单",
        SETTLEMENT_HEADERS,
        "往来单位",
        {"北京协和医院", "上海医械经销商"},
        {"q": "经销商"},
        {"上海医械经销商"},
    )


def payments(company) -> Case:
    parties = make_parties(company)
    clerk = company.finance_clerk
    settle(clerk, parties.supplier, "300.00", TODAY(), direction="payable")
    settle(clerk, parties.supplier, "120.00", TODAY() - dt.timedelta(days=40), direction="payable")
    return Case(
        reverse("web:payment-list"),
        clerk,
        "付款单",
        SETTLEMENT_HEADERS,
        "金额",
        {300, 120},
        {"from": (TODAY() - dt.timedelta(days=5)).isoformat()},
        {300},
    )


def exchange_rates(company) -> Case:
    clerk = company.finance_clerk
    finance_services.set_exchange_rate(actor=clerk, currency="USD", rate=D("7.1"), valid_from=TODAY())
    finance_services.set_exchange_rate(
        actor=clerk, currency="EUR", rate=D("7.8"), valid_from=TODAY() - dt.timedelta(days=3)
    )
    return Case(
        reverse("web:rate-list"),
        clerk,
        "汇率",
        ["币种", "币种名称", "生效日期", "汇率", "状态", "录入人"],
        "币种",
        {"USD", "EUR"},
    )


def _expense(actor, amount: str, category: str = "travel"):
    return expense_services.create_expense(
        actor=actor,
        category=category,
        amount=D(amount),
        incurred_on=TODAY() - dt.timedelta(days=2),
        description="拜访客户",
    )


def expenses(company) -> Case:
    mine = _expense(company.rep_a1, "860.00")
    theirs = _expense(company.rep_b1, "120.00", category="entertainment")
    return Case(
        reverse("web:expense-list"),
        company.admin,
        "费用",
        ["费用单号", "发生日期", "费用类别", "金额", "费用说明", "客户", "市场活动", "申请人", "状态"],
        "费用单号",
        {mine.number, theirs.number},
        {"category": "entertainment"},
        {theirs.number},
    )


def products(company) -> Case:
    make_product("P001", "医用手套", sale_price="12.50")
    make_product("P002", "外科口罩", sale_price="3.20")
    return Case(
        reverse("web:product-list"),
        company.admin,
        "商品",
        [
            "商品编码",
            "商品名称",
            "注册证号",
            "规格型号",
            "单位",
            "分类",
            "品牌",
            "生产厂家",
            "销售价",
            "批次管理",
            "状态",
        ],
        "商品编码",
        {"P001", "P002"},
        {"q": "口罩"},
        {"P002"},
    )


def categories(company) -> Case:
    root = make_category("医疗器械")
    make_category("注射穿刺", root)
    make_category("办公用品")
    return Case(
        reverse("web:category-list"),
        company.admin,
        "商品分类",
        ["分类名称", "英文名称", "上级分类", "商品数", "排序", "状态"],
        "分类名称",
        {"医疗器械", "注射穿刺", "办公用品"},
        {"q": "办公"},
        {"办公用品"},
    )


def price_levels(company) -> Case:
    make_level("vip", "VIP 客户价")
    make_level("agent", "代理价", kind="channel")
    return Case(
        reverse("web:price-level-list"),
        company.admin,
        "价格等级",
        ["名称", "代码", "类型", "英文名称", "排序", "状态"],
        "代码",
        {"vip", "agent"},
    )


def activities(company) -> Case:
    xiehe = make_customer(company.rep_a1, "北京协和医院")
    agent = make_customer(company.rep_b1, "广州代理商")
    activity_services.log_activity(actor=company.rep_a1, customer=xiehe, kind="call", summary="电话沟通")
    activity_services.log_activity(actor=company.rep_b1, customer=agent, kind="visit", summary="上门拜访")
    return Case(
        reverse("web:activity-list"),
        company.admin,
        "跟进记录",
        ["跟进时间", "客户", "跟进方式", "联系人", "跟进内容", "跟进人", "下次跟进", "已跟进"],
        "客户",
        {"北京协和医院", "广州代理商"},
        {"kind": "visit"},
        {"广州代理商"},
    )


def opportunities(company) -> Case:
    xiehe = make_customer(company.rep_a1, "北京协和医院")
    agent = make_customer(company.rep_b1, "广州代理商")
    for customer, title, stage in ((xiehe, "手术室耗材", "initial"), (agent, "年度代理", "negotiation")):
        opportunity_services.create_opportunity(
            actor=None, customer=customer, title=title, stage=stage, expected_amount=D("50000")
        )
    return Case(
        reverse("web:opportunity-list"),
        company.admin,
        "销售机会",
        ["机会名称", "客户", "阶段", "预计金额", "预计成交日期", "负责人", "修改时间"],
        "机会名称",
        {"手术室耗材", "年度代理"},
        {"stage": "negotiation"},
        {"年度代理"},
    )


def customer_quotes(company) -> Case:
    book = make_book(company)
    mine = make_quote(company.rep_a1, book.xiehe, quote_line(book.gloves, "100"))
    theirs = make_quote(company.rep_b1, book.agent, quote_line(book.masks, "10"))
    return Case(
        reverse("web:customer-quote-list"),
        company.admin,
        "报价单",
        ["报价单号", "客户", "状态", "金额", "有效期至", "报价人", "创建时间"],
        "报价单号",
        {mine.number, theirs.number},
        {"q": "代理"},
        {theirs.number},
    )


def _contract(actor, customer, title: str, amount: str):
    return contract_services.create_contract(
        actor=actor,
        customer=customer,
        lines=[],
        title=title,
        amount=D(amount),
        signed_on=TODAY(),
        start_date=TODAY(),
        end_date=TODAY() + dt.timedelta(days=365),
    )


def contracts(company) -> Case:
    book = make_book(company)
    mine = _contract(company.rep_a1, book.xiehe, "协和年度耗材合同", "1000")
    theirs = _contract(company.rep_b1, book.agent, "广州代理协议", "2000")
    return Case(
        reverse("web:contract-list"),
        company.admin,
        "合同",
        ["合同编号", "合同名称", "客户", "状态", "合同金额", "签订日期", "开始日期", "结束日期", "负责人"],
        "合同编号",
        {mine.number, theirs.number},
        {"q": "广州"},
        {theirs.number},
    )


def campaigns(company) -> Case:
    for name, kind in (("华东区渠道培训会", "training"), ("春季医疗器械展", "exhibition")):
        campaign_services.create_campaign(
            actor=company.manager_a,
            name=name,
            kind=kind,
            start_date=TODAY() - dt.timedelta(days=1),
            end_date=TODAY() + dt.timedelta(days=10),
            budget=D("5000"),
        )
    return Case(
        reverse("web:campaign-list"),
        company.admin,
        "市场活动",
        [
            "活动编号",
            "活动名称",
            "活动类型",
            "开始日期",
            "结束日期",
            "预算",
            "已批准费用",
            "超预算",
            "负责人",
            "进度",
        ],
        "活动名称",
        {"华东区渠道培训会", "春季医疗器械展"},
        {"kind": "exhibition"},
        {"春季医疗器械展"},
    )


def pool(company) -> Case:
    make_customer(None, "公海医院")
    make_customer(None, "公海代理", kind="agent")
    make_customer(company.rep_a1, "北京协和医院")  # owned: not in the pool
    return Case(
        reverse("web:pool-list"),
        company.rep_a1,
        "公海客户",
        ["客户名称", "客户类型", "客户等级", "地址", "最近跟进"],
        "客户名称",
        {"公海医院", "公海代理"},
        {"kind": "agent"},
        {"公海代理"},
    )


def idle_customers(company) -> Case:
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_b1, "广州代理商", kind="agent")
    return Case(
        reverse("web:customers-idle"),
        company.admin,
        "未跟进客户",
        ["客户", "类型", "负责人", "最近跟进", "未跟进天数", "回收公海"],
        "客户",
        {"北京协和医院", "广州代理商"},
        {"kind": "agent"},
        {"广州代理商"},
    )


def employees(company) -> Case:
    return Case(
        reverse("web:employee-list"),
        company.admin,
        "员工",
        ["姓名", "经理", "登录名", "部门", "职务", "手机", "角色", "状态"],
        "登录名",
        {e.user.username for e in company.everyone},
        {"department": company.finance.pk},
        {"fin"},
    )


def departments(company) -> Case:
    return Case(
        reverse("web:department-list"),
        company.admin,
        "部门",
        ["部门名称", "英文名称", "上级部门", "本部门在职", "状态"],
        "部门名称",
        {"测试公司", "业务部", "终端客户部", "渠道部", "采购部", "财务部"},
        {"q": "财务"},
        {"财务部"},
    )


def approvals(company) -> Case:
    shop = purchasing.build_shop(company)
    done = purchasing.approved(shop)
    waiting = purchasing.draft(shop)
    purchase_orders.submit_order(waiting, actor=waiting.owner)
    return Case(
        reverse("web:approval-tab", args=["all"]),
        company.admin,
        "全部",
        ["单据编号", "摘要", "部门", "金额", "提交人", "提交时间", "状态", "审批人"],
        "单据编号",
        {done.number, waiting.number},
        {"status": "pending"},
        {waiting.number},
    )


CASES: dict[str, Callable[[Any], Case]] = {
    f.__name__: f
    for f in (
        purchase_returns,
        purchase_to_receive,
        suppliers,
        supplier_quotes,
        to_ship,
        stock_moves,
        lots,
        low_stock,
        opening_documents,
        transfers,
        stocktakes,
        receipts,
        payments,
        exchange_rates,
        expenses,
        products,
        categories,
        price_levels,
        activities,
        opportunities,
        customer_quotes,
        contracts,
        campaigns,
        pool,
        idle_customers,
        employees,
        departments,
        approvals,
    )
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_list_exports_its_rows_as_filtered(company, client_for, name) -> None:
    case = CASES[name](company)
    client = client_for(case.who)

    headers, rows = table(export(client, case.url), case.stem)
    assert headers == case.headers
    assert keys(rows, case.key) == case.rows
    if case.params:
        _headers, kept = table(export(client, case.url, **case.params), case.stem)
        assert keys(kept, case.key) == case.kept

    page = client.get(case.url, case.params)
    assert page.status_code == 200
    assert 'data-testid="export-xlsx"' in page.content.decode()


# Scope: a salesperson's export holds only their own records -----------------------------------------


def _scoped_expenses(company) -> tuple[str, str, str, set[str]]:
    mine = _expense(company.rep_a1, "860.00")
    _expense(company.rep_b1, "120.00")
    return reverse("web:expense-list"), "费用", "费用单号", {mine.number}


def _scoped_receipts(company) -> tuple[str, str, str, set[str]]:
    parties = make_parties(company)
    settle(company.finance_clerk, parties.hospital, "300.00", TODAY())
    settle(company.finance_clerk, parties.dealer, "200.00", TODAY())
    return reverse("web:receipt-list"), "收款单", "往来单位", {"北京协和医院"}


def _scoped_activities(company) -> tuple[str, str, str, set[str]]:
    xiehe = make_customer(company.rep_a1, "北京协和医院")
    agent = make_customer(company.rep_b1, "广州代理商")
    activity_services.log_activity(actor=company.rep_a1, customer=xiehe, kind="call", summary="电话沟通")
    activity_services.log_activity(actor=company.rep_b1, customer=agent, kind="visit", summary="上门拜访")
    return reverse("web:activity-list"), "跟进记录", "客户", {"北京协和医院"}


def _scoped_opportunities(company) -> tuple[str, str, str, set[str]]:
    for customer, title in (
        (make_customer(company.rep_a1, "北京协和医院"), "手术室耗材"),
        (make_customer(company.rep_b1, "广州代理商"), "年度代理"),
    ):
        opportunity_services.create_opportunity(
            actor=None, customer=customer, title=title, expected_amount=D("50000")
        )
    return reverse("web:opportunity-list"), "销售机会", "机会名称", {"手术室耗材"}


def _scoped_quotes(company) -> tuple[str, str, str, set[str]]:
    book = make_book(company)
    mine = make_quote(company.rep_a1, book.xiehe, quote_line(book.gloves, "100"))
    make_quote(company.rep_b1, book.agent, quote_line(book.masks, "10"))
    return reverse("web:customer-quote-list"), "报价单", "报价单号", {mine.number}


def _scoped_contracts(company) -> tuple[str, str, str, set[str]]:
    book = make_book(company)
    mine = _contract(company.rep_a1, book.xiehe, "协和年度耗材合同", "1000")
    _contract(company.rep_b1, book.agent, "广州代理协议", "2000")
    return reverse("web:contract-list"), "合同", "合同编号", {mine.number}


def _scoped_idle(company) -> tuple[str, str, str, set[str]]:
    make_customer(company.rep_a1, "北京协和医院")
    make_customer(company.rep_b1, "广州代理商")
    return reverse("web:customers-idle"), "未跟进客户", "客户", {"北京协和医院"}


SCOPED = {
    f.__name__.removeprefix("_scoped_"): f
    for f in (
        _scoped_expenses,
        _scoped_receipts,
        _scoped_activities,
        _scoped_opportunities,
        _scoped_quotes,
        _scoped_contracts,
        _scoped_idle,
    )
}


@pytest.mark.parametrize("name", list(SCOPED))
def test_a_salespersons_export_holds_only_their_records(company, client_for, name) -> None:
    url, stem, key, mine = SCOPED[name](company)
    _headers, rows = table(export(client_for(company.rep_a1), url), stem)
    assert keys(rows, key) == mine


def test_cost_columns_follow_the_permission_as_on_screen(company, client_for) -> None:
    """低库存 and 批次效期 show no cost; 库存流水 (cost shown) needs the permission that shows it."""
    shop = build_shop(company)
    put_in(shop, "10", "8.00", "L1")
    headers, rows = table(export(client_for(company.admin), reverse("web:move-list")), "库存流水")
    assert {"单位成本", "金额"} <= set(headers)
    assert rows[0]["单位成本"] == 8 and rows[0]["金额"] == 80 and rows[0]["数量"] == 10
    response = export(client_for(company.rep_a1), reverse("web:move-list"))
    assert response.status_code == 403


def test_money_and_dates_are_typed_cells(company, client_for) -> None:
    shop = purchasing.build_shop(company)
    order = purchasing.approved(shop)
    purchasing.receive(shop, order, "10")
    purchasing.approved_return(shop, order, "2")
    response = export(client_for(company.admin), reverse("web:purchase-return-list"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    amount, created = sheet.cell(row=2, column=5), sheet.cell(row=2, column=9)
    assert amount.data_type == "n" and amount.number_format == "#,##0.00" and amount.value == 22.6
    assert created.is_date and created.number_format == "yyyy-mm-dd hh:mm"
