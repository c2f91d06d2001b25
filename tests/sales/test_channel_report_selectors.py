"""渠道销售 and 市场活动投入产出: figures checked against hand computations on a fixed data set (tax 13 %,
prices tax-inclusive).

Customers: 华北医疗分销 (分销商, 重点客户, 钱丽's) and 京东医药代理 (代理商, 普通客户, 钱丽's) are channel
partners; 协和医院 (张伟's) and 社区诊所 (陈静's) are served by 华北医疗分销, 同仁医院 (张伟's) by
京东医药代理; 直销医院 (张伟's) has no partner.

  S1 钱丽 华北医疗分销 2024-03-05: 10 × 113.00 → 1130.00, ex 1000.00                       (自营)
  S2 张伟 协和医院      2024-03-10: 20 × 56.50 → 1130.00, ex 1000.00;
                                   5 × 11.30 less 10 % = 10.17 → 50.85, tax 5.85, ex 45.00   (下游)
  S3 陈静 社区诊所      2024-03-12: 4 × 22.60 → 90.40, ex 80.00                            (下游)
  S4 张伟 同仁医院      2024-03-15: 10 × 33.90 → 339.00, ex 300.00                         (下游)
  S5 张伟 直销医院      2024-03-16: 100 × 11.30 (no channel: left out)
  S6 钱丽 京东医药代理  2024-03-20: 2 × 565.00 → 1130.00, ex 1000.00                       (自营)
  S7 张伟 协和医院      a draft (not sold)
  S8 张伟 协和医院      2024-04-02: 1 × 113.00 → 113.00, ex 100.00

渠道销售, March, by partner:
  华北医疗分销  自营 1 order 1130.00; 下游 2 customers, 2 orders, 1271.25; 2401.25, ex 2125.00
  京东医药代理  自营 1 order 1130.00; 下游 1 customer, 1 order, 339.00;   1469.00, ex 1300.00
  total        自营 2, 2260.00; 下游 3 customers, 3 orders, 1610.25;     3870.25, ex 3425.00
张伟 alone (his orders): 华北医疗分销 下游 1180.85 (ex 1045.00); 京东医药代理 下游 339.00.

市场活动投入产出, 2024 (latest start first; cost = expenses 已审核 + 已支付):
  CE 线上推广  06-01–06-30, no partners, budget 1000.00, cost 0, no sales, return —
  CA 春季促销  03-10–03-31, partners 华北医疗分销 + 协和医院, budget 5000.00,
     cost 1200.00 + 800.00 (a submitted 300.00 and a rejected 100.00 do not count) = 2000.00;
     sales S2 only (S1 is before the start, S8 after the end): 1 order, 1180.85, ex 1045.00;
     return 1045.00 / 2000.00 = 0.52
  CB 代理培训  03-01–04-30, partners 京东医药代理 + 同仁医院 + 协和医院, budget 3000.00, cost 600.00;
     sales S2, S4, S6, S8: 4 orders, 2762.85, ex 2445.00; return 2445 / 600 = 4.075 → 4.08
  a cancelled campaign and one of 2023 are left out.
  total: partners 5, budget 9000.00, cost 2600.00, 5 orders, 3943.70, ex 3490.00, return 1.34
张伟 alone: CA 1180.85; CB S2 + S4 + S8 = 1632.85 (ex 1445.00)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal as D

import pytest

from maoyi.core.documents import Status
from maoyi.crm.models import Campaign, CampaignKind, Customer, Expense
from maoyi.org.models import Employee
from maoyi.sales import channel_report_selectors as reports
from maoyi.sales.models import SalesOrder
from tests.conftest import Company
from tests.crm.builders import make_customer
from tests.sales.builders import Line, _order, build_shop

pytestmark = pytest.mark.django_db

MARCH = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 3, 31)}
YEAR = {"date_from": dt.date(2024, 1, 1), "date_to": dt.date(2024, 12, 31)}
_numbers = itertools.count(1)


@dataclasses.dataclass
class Channels:
    distributor: Customer
    agent: Customer
    orders: list[SalesOrder]
    campaigns: dict[str, Campaign]


def _campaign(
    company: Company, code: str, name: str, kind: str, start: str, end: str, budget: str, partners, **kw
) -> Campaign:
    campaign = Campaign.objects.create(
        code=code,
        name=name,
        kind=kind,
        start_date=dt.date.fromisoformat(start),
        end_date=dt.date.fromisoformat(end),
        budget=D(budget),
        owner=company.manager_a,
        department=company.team_a,
        created_by=company.manager_a.user,
        **kw,
    )
    campaign.partners.set(partners)
    return campaign


def _charge(campaign: Campaign, owner: Employee, amount: str, status: str) -> None:
    Expense.objects.create(
        number=f"FY-RPT-{next(_numbers):04d}",
        status=status,
        owner=owner,
        department=owner.department,
        created_by=owner.user,
        category="conference",
        amount=D(amount),
        incurred_on=dt.date(2024, 3, 15),
        description="活动费用",
        campaign=campaign,
    )


def build_channels(company: Company) -> Channels:
    """The data set of the module docstring (shared by the report page tests)."""
    shop = build_shop(company)
    p = shop.product
    dist = make_customer(company.rep_b1, "华北医疗分销", kind="distributor", level="a")
    agent = make_customer(company.rep_b1, "京东医药代理", kind="agent", level="b")
    xiehe = make_customer(company.rep_a1, "协和医院", channel_partner=dist)
    clinic = make_customer(company.rep_a2, "社区诊所", channel_partner=dist)
    tongren = make_customer(company.rep_a1, "同仁医院", channel_partner=agent)
    direct = make_customer(company.rep_a1, "直销医院")

    def sold(owner, customer, day, *lines, status=Status.APPROVED):
        return _order(
            shop,
            lines,
            owner=owner,
            customer=customer,
            order_date=dt.date.fromisoformat(day),
            delivery_date=None,
            status=status,
        )

    orders = [
        sold(company.rep_b1, dist, "2024-03-05", Line(p, "10", "113.00")),
        sold(
            company.rep_a1, xiehe, "2024-03-10", Line(p, "20", "56.50"), Line(shop.plain, "5", "11.30", "10")
        ),
        sold(company.rep_a2, clinic, "2024-03-12", Line(p, "4", "22.60")),
        sold(company.rep_a1, tongren, "2024-03-15", Line(p, "10", "33.90")),
        sold(company.rep_a1, direct, "2024-03-16", Line(p, "100", "11.30")),
        sold(company.rep_b1, agent, "2024-03-20", Line(p, "2", "565.00"), status=Status.DONE),
        sold(company.rep_a1, xiehe, "2024-03-21", Line(p, "99", "11.30"), status=Status.DRAFT),
        sold(company.rep_a1, xiehe, "2024-04-02", Line(p, "1", "113.00"), status=Status.IN_PROGRESS),
    ]
    promo = _campaign(
        company, "CA", "春季促销", CampaignKind.PROMOTION, "2024-03-10", "2024-03-31", "5000", [dist, xiehe]
    )
    training = _campaign(
        company,
        "CB",
        "代理培训",
        CampaignKind.TRAINING,
        "2024-03-01",
        "2024-04-30",
        "3000",
        [agent, tongren, xiehe],
    )
    online = _campaign(company, "CE", "线上推广", CampaignKind.ONLINE, "2024-06-01", "2024-06-30", "1000", [])
    _campaign(
        company,
        "CC",
        "取消的展会",
        CampaignKind.EXHIBITION,
        "2024-03-01",
        "2024-03-31",
        "9000",
        [dist],
        is_cancelled=True,
    )
    _campaign(
        company, "CD", "去年的会议", CampaignKind.CONFERENCE, "2023-05-01", "2023-05-31", "9000", [dist]
    )
    _charge(promo, company.rep_a1, "1200.00", Status.APPROVED)
    _charge(promo, company.rep_a1, "800.00", Status.DONE)
    _charge(promo, company.rep_a1, "300.00", Status.SUBMITTED)
    _charge(promo, company.rep_a1, "100.00", Status.REJECTED)
    _charge(training, company.rep_b1, "600.00", Status.APPROVED)
    return Channels(dist, agent, orders, {"CA": promo, "CB": training, "CE": online})


@pytest.fixture
def channels(company: Company) -> Channels:
    return build_channels(company)


def channel_table(report) -> list[tuple]:
    return [
        (
            r.label,
            len(r.own_orders),
            r.own_amount,
            len(r.served_customers),
            len(r.served_orders),
            r.served_amount,
            r.amount,
            r.amount_ex_tax,
        )
        for r in [*report.rows, report.total]
    ]


def test_channel_sales_by_partner(company, channels) -> None:
    report = reports.channel_sales(company.admin.user, **MARCH)
    assert channel_table(report) == [
        ("华北医疗分销", 1, D("1130.00"), 2, 2, D("1271.25"), D("2401.25"), D("2125.00")),
        ("京东医药代理", 1, D("1130.00"), 1, 1, D("339.00"), D("1469.00"), D("1300.00")),
        ("", 2, D("2260.00"), 3, 3, D("1610.25"), D("3870.25"), D("3425.00")),
    ]
    assert [(r.kind, r.level) for r in report.rows] == [("分销商", "重点客户"), ("代理商", "普通客户")]
    assert report.total.orders == 5


def test_channel_sales_by_kind_and_level(company, channels) -> None:
    by_kind = reports.channel_sales(company.admin.user, by="kind", **MARCH)
    assert [(r.label, r.amount) for r in by_kind.rows] == [("分销商", D("2401.25")), ("代理商", D("1469.00"))]
    by_level = reports.channel_sales(company.admin.user, by="level", **MARCH)
    assert [(r.label, r.amount) for r in by_level.rows] == [
        ("重点客户", D("2401.25")),
        ("普通客户", D("1469.00")),
    ]


def test_channel_sales_are_scoped_and_filtered(company, channels) -> None:
    mine = reports.channel_sales(company.rep_a1.user, **MARCH)
    assert channel_table(mine) == [
        ("华北医疗分销", 0, 0, 1, 1, D("1180.85"), D("1180.85"), D("1045.00")),
        ("京东医药代理", 0, 0, 1, 1, D("339.00"), D("339.00"), D("300.00")),
        ("", 0, 0, 2, 2, D("1519.85"), D("1519.85"), D("1345.00")),
    ]
    one = reports.channel_sales(company.admin.user, **MARCH, partner_id=channels.distributor.pk)
    assert [(r.label, r.amount) for r in one.rows] == [("华北医疗分销", D("2401.25"))]
    spring = reports.channel_sales(
        company.admin.user, date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 4, 30)
    )
    assert spring.total.amount == D("3983.25")


def campaign_table(report) -> list[tuple]:
    return [
        (r.code, r.partners, r.budget, r.cost, r.orders, r.amount, r.amount_ex_tax, r.return_rate)
        for r in [*report.rows, report.total]
    ]


def test_campaign_cost_against_sales(company, channels) -> None:
    report = reports.campaign_returns(company.admin.user, **YEAR)
    assert campaign_table(report) == [
        ("CE", 0, D("1000.00"), D("0.00"), 0, 0, 0, None),
        ("CA", 2, D("5000.00"), D("2000.00"), 1, D("1180.85"), D("1045.00"), D("0.52")),
        ("CB", 3, D("3000.00"), D("600.00"), 4, D("2762.85"), D("2445.00"), D("4.08")),
        ("", 5, D("9000.00"), D("2600.00"), 5, D("3943.70"), D("3490.00"), D("1.34")),
    ]


def test_campaign_sales_are_scoped(company, channels) -> None:
    mine = reports.campaign_returns(company.rep_a1.user, **YEAR)
    assert [(r.code, r.amount, r.amount_ex_tax) for r in mine.rows] == [
        ("CE", 0, 0),
        ("CA", D("1180.85"), D("1045.00")),
        ("CB", D("1632.85"), D("1445.00")),
    ]
    march = reports.campaign_returns(company.admin.user, **MARCH, kind=CampaignKind.TRAINING)
    assert [r.code for r in march.rows] == ["CB"]
