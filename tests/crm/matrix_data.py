"""The CRM permission matrix (issue 5) as data, and the records it is checked against.

Records: one customer per owner (rep_a1 → "a1", rep_a2 → "a2", rep_b1 → "b1") and one in the public
pool ("pool"), each with a contact, an activity (follow-up due today), an opportunity, a quote and a
contract; expenses (费用) applied for by rep_a1, rep_a2, rep_b1, the sales department's manager
("head") and the purchaser ("buy"); campaigns (市场活动) run by team A's manager ("a"), for team B
("b"), by the sales department ("head") and by the company ("hq"), each with the four customers as
partners. All are made through the services. The expected matrix is derived from small tables
written from the rules (not read from the code under test): which records each person's data scope
reaches, which campaigns each person answers for, and which CRM permissions each person's built-in
role holds (org/roles.py: WORK_CUSTOMERS, APPLY_EXPENSES, SEE_CAMPAIGNS, RUN_CAMPAIGNS,
PAY_EXPENSES)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.utils import timezone

from maoyi.crm import services as customer_services
from maoyi.crm.models import (
    Activity,
    Campaign,
    CampaignKind,
    Contact,
    Contract,
    Customer,
    CustomerKind,
    CustomerLevel,
    Expense,
    ExpenseCategory,
    Opportunity,
    Quote,
)
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import campaigns as campaign_services
from maoyi.crm.services import contacts as contact_services
from maoyi.crm.services import contracts as contract_services
from maoyi.crm.services import expenses as expense_services
from maoyi.crm.services import opportunities as opportunity_services
from maoyi.crm.services import quotes as quote_services
from maoyi.org.models import Employee
from tests.catalog.builders import make_product
from tests.conftest import Company

KEYS = ("a1", "a2", "b1", "pool")
ALL = frozenset(KEYS)
OWNERS = {"a1": "rep_a1", "a2": "rep_a2", "b1": "rep_b1", "pool": None}

# What each record is called, per resource: distinct words a page shows only when it lists the record.
LABELS: dict[str, dict[str, str]] = {
    "customers": {"a1": "甲一医院", "a2": "甲二医院", "b1": "乙一医院", "pool": "公海医院"},
    "contacts": {"a1": "甲一联系人", "a2": "甲二联系人", "b1": "乙一联系人", "pool": "公海联系人"},
    "activities": {"a1": "甲一跟进内容", "a2": "甲二跟进内容", "b1": "乙一跟进内容", "pool": "公海跟进内容"},
    "opportunities": {
        "a1": "甲一采购机会",
        "a2": "甲二采购机会",
        "b1": "乙一采购机会",
        "pool": "公海采购机会",
    },
}
LABELS["pool"] = LABELS["customers"]

# Expenses (费用): one per applicant. Their keys name the applicant: rep_a1, rep_a2 and rep_b1, the
# sales department's manager (its department: 业务部, above both teams), the purchaser (采购部).
EXPENSE_KEYS = ("a1", "a2", "b1", "head", "buy")
APPLICANTS = {"a1": "rep_a1", "a2": "rep_a2", "b1": "rep_b1", "head": "sales_head", "buy": "purchaser"}
# Campaigns (市场活动): (who creates it, who owns it; its department is the owner's).
CAMPAIGN_KEYS = ("a", "b", "head", "hq")
CAMPAIGN_MAKERS = {
    "a": ("manager_a", "manager_a"),  # 终端客户部 (team A)
    "b": ("sales_head", "rep_b1"),  # 渠道部 (team B): a salesperson owns it, the department's head made it
    "head": ("sales_head", "sales_head"),  # 业务部
    "hq": ("admin", "admin"),  # the company (测试公司)
}
# What each expense is charged to: a customer (key) and a campaign (key); the purchaser may see neither.
EXPENSE_CUSTOMER = {"a1": "a1", "a2": "a2", "b1": "b1", "head": None, "buy": None}
EXPENSE_CAMPAIGN = {"a1": "a", "a2": "a", "b1": "b", "head": "head", "buy": None}
LABELS["expenses"] = {
    "a1": "甲一差旅说明",
    "a2": "甲二招待说明",
    "b1": "乙一交通说明",
    "head": "业务部会议说明",
    "buy": "采购样品说明",
}
LABELS["campaigns"] = {
    "a": "甲组春季展会",
    "b": "乙组渠道培训",
    "head": "业务部学术会议",
    "hq": "公司线上推广",
}
LABELS["contracts"] = {
    "a1": "甲一供货合同",
    "a2": "甲二供货合同",
    "b1": "乙一供货合同",
    "pool": "公海供货合同",
}
# Quotes are named by their numbers (World.label): a quote list shows no words of its own.

ROLES = (
    "rep_a1",
    "rep_b1",
    "assistant_a",
    "manager_a",
    "sales_head",
    "purchaser",
    "finance_clerk",
    "admin",
)
RESOURCES = ("customers", "contacts", "activities", "opportunities", "pool")
# The resources test_permission_matrix_money.py checks (the others: test_permission_matrix.py).
MONEY_RESOURCES = ("expenses", "campaigns", "quotes", "contracts")
ALL_RESOURCES = RESOURCES + MONEY_RESOURCES
RESOURCE_KEYS: dict[str, tuple[str, ...]] = {
    **{resource: KEYS for resource in RESOURCES},
    "expenses": EXPENSE_KEYS,
    "campaigns": CAMPAIGN_KEYS,
    "quotes": KEYS,
    "contracts": KEYS,
}

# The rules ---------------------------------------------------------------------------------------

# Whose customers each person's data scope reaches: 本人 (a salesperson: their own), 本部门 (team A's
# assistant and manager: team A; the sales department's manager: both teams), 全公司 (finance,
# admin). A pool customer has no owner and no department: only 全公司 reaches it.
SCOPE: dict[str, frozenset[str]] = {
    "rep_a1": frozenset({"a1"}),
    "rep_b1": frozenset({"b1"}),
    "assistant_a": frozenset({"a1", "a2"}),
    "manager_a": frozenset({"a1", "a2"}),
    "sales_head": frozenset({"a1", "a2", "b1"}),
    "purchaser": frozenset(),
    "finance_clerk": ALL,
    "admin": ALL,
}
# A quote is seen through its customer (SCOPE). A contract through its own owner and department:
# the customer's owner, or for a pool customer the one who signs it (here the administrator, whose
# department is the company's root): the same sets as SCOPE.

# Whose expenses each person's data scope reaches: their own (本人), their department with its
# sub-departments (本部门: team A's assistant and manager see team A's; the sales department's manager
# sees both teams' and the department's own, not the purchaser's), or all (全公司).
EXPENSE_SCOPE: dict[str, frozenset[str]] = {
    "rep_a1": frozenset({"a1"}),
    "rep_b1": frozenset({"b1"}),
    "assistant_a": frozenset({"a1", "a2"}),
    "manager_a": frozenset({"a1", "a2"}),  # 业务部 ("head") is above team A, not in it
    "sales_head": frozenset({"a1", "a2", "b1", "head"}),
    "purchaser": frozenset({"buy"}),
    "finance_clerk": frozenset(EXPENSE_KEYS),
    "admin": frozenset(EXPENSE_KEYS),
}
# An expense claim is its applicant's alone: others who see it (the manager who approves it,
# finance who pays it, an assistant) may not change it (403: it is on their screen).
OWN_EXPENSES: dict[str, frozenset[str]] = {
    "rep_a1": frozenset({"a1"}),
    "rep_b1": frozenset({"b1"}),
    "sales_head": frozenset({"head"}),
    "purchaser": frozenset({"buy"}),
}
# Campaigns are company information: every holder of the view permission reads them all. Which ones
# each person answers for: those they own, those of the departments their 本部门 scope covers, or all
# (全公司). Only the change permission (managers, the administrator) makes this a right to change.
CAMPAIGN_REACH: dict[str, frozenset[str]] = {
    "rep_a1": frozenset(),
    "rep_b1": frozenset({"b"}),  # owns "b", but a salesperson may not change campaigns
    "assistant_a": frozenset({"a"}),
    "manager_a": frozenset({"a"}),
    "sales_head": frozenset({"a", "b", "head"}),
    "purchaser": frozenset(),
    "finance_clerk": frozenset(CAMPAIGN_KEYS),
    "admin": frozenset(CAMPAIGN_KEYS),
}

SELLS = {
    "customers": "vc",
    "contacts": "vc",
    "activities": "vc",
    "opportunities": "vc",
    "quotes": "vc",
    "contracts": "vc",
}
SPENDS = {"expenses": "vc"}  # APPLY_EXPENSES: anyone who spends the company's money on its business
# The CRM permissions each role holds, per resource: v(iew), c(hange). Nobody holds delete.
PERMISSIONS: dict[str, dict[str, str]] = {
    "rep_a1": {**SELLS, **SPENDS, "campaigns": "v"},
    "rep_b1": {**SELLS, **SPENDS, "campaigns": "v"},
    "assistant_a": {**SELLS, **SPENDS, "campaigns": "v"},
    "manager_a": {**SELLS, **SPENDS, "campaigns": "vc"},  # 部门经理 runs campaigns
    "sales_head": {**SELLS, **SPENDS, "campaigns": "vc"},
    "purchaser": {**SPENDS},  # no customers, no campaigns
    # 财务 looks customers up and pays expenses (PAY_EXPENSES), changes nothing in CRM.
    "finance_clerk": {"customers": "v", "expenses": "v", "campaigns": "v"},
    "admin": {**SELLS, **SPENDS, "campaigns": "vc"},
}
# Who pays (支付) an approved expense: finance (crm.pay_expense with finance.add_payment), no one else.
PAYERS = frozenset({"finance_clerk"})
# Who may claim (领取) from the pool: the selling roles (业务员, 业务助理). Manager A is also a
# salesperson; the sales department's manager and the administrator are refused `not_salesperson`.
CLAIMERS = frozenset({"rep_a1", "rep_b1", "assistant_a", "manager_a"})


@dataclass(frozen=True)
class Cell:
    """What one role may do with one resource: the records (keys) it may list, read and change, and
    delete (never any). None: the role lacks the permission, so it is refused (403) whatever the
    record; a record outside a set answers 404 (or, for a pool claim, 409 `not_salesperson`)."""

    list: frozenset[str] | None
    read: frozenset[str] | None
    change: frozenset[str] | None
    delete: frozenset[str] | None


def holds(role: str, resource: str, verb: str) -> bool:
    model = "customers" if resource == "pool" else resource
    return verb in PERMISSIONS[role].get(model, "")


def derive(role: str, resource: str) -> Cell:
    view, change = holds(role, resource, "v"), holds(role, resource, "c")
    if resource == "pool":
        # The pool is everyone's to look at (every holder of the customer view permission) and a
        # seller's to claim; its customer stays out of the data scope until claimed.
        seen = frozenset({"pool"}) if view else None
        claim = None if not change else frozenset({"pool"}) if role in CLAIMERS else frozenset()
        return Cell(list=seen, read=seen, change=claim, delete=None if not change else frozenset())
    scope = {"expenses": EXPENSE_SCOPE[role], "campaigns": frozenset(CAMPAIGN_KEYS)}.get(
        resource, SCOPE[role]
    )
    # Seen is not changed for campaigns (only those the person answers for) nor for expenses (only
    # their own): else 403, it is on their screen. Everywhere else a person changes what their
    # scope reaches (else 404).
    changes = {
        "campaigns": CAMPAIGN_REACH[role],
        "expenses": OWN_EXPENSES.get(role, frozenset()),
    }.get(resource, scope)
    return Cell(
        list=scope if view else None,
        read=scope if view else None,
        change=changes if change else None,
        delete=frozenset() if change else None,  # DELETE: 405 to a role that may change, else 403
    )


MATRIX: dict[str, dict[str, Cell]] = {
    role: {resource: derive(role, resource) for resource in ALL_RESOURCES} for role in ROLES
}


def named_partners(role: str) -> frozenset[str]:
    """The partners (参与客户) of a campaign a person sees named: the customers their scope reaches;
    the others are only counted."""
    return SCOPE[role]


def matrix_table() -> str:
    """The matrix as a text table (list / read / change / delete), "403" for a refused role."""

    def show(keys: frozenset[str] | None, resource: str) -> str:
        if keys is None:
            return "403"
        return ",".join(k for k in RESOURCE_KEYS[resource] if k in keys) or "—"

    lines = [
        (
            f"{'role':14} {'resource':14} "
            + " | ".join(f"{h:18}" for h in ("list", "read", "change", "delete"))
        ).rstrip()
    ]
    for role, cells in MATRIX.items():
        for resource, cell in cells.items():
            parts = [show(keys, resource) for keys in (cell.list, cell.read, cell.change, cell.delete)]
            lines.append((f"{role:14} {resource:14} " + " | ".join(f"{p:18}" for p in parts)).rstrip())
    return "\n".join(lines)


# The records ---------------------------------------------------------------------------------------


@dataclass
class World:
    company: Company
    customers: dict[str, Customer]
    contacts: dict[str, Contact]
    activities: dict[str, Activity]
    opportunities: dict[str, Opportunity]
    expenses: dict[str, Expense] = field(default_factory=dict)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)

    def person(self, role: str) -> Employee:
        employee: Employee = getattr(self.company, role)
        return employee

    def records(self, resource: str) -> dict[str, models.Model]:
        if resource == "pool":
            return dict(self.customers)
        records: dict = getattr(self, resource)
        return records

    def label(self, resource: str, key: str) -> str:
        """The words a page shows only when it shows the record."""
        if resource == "quotes":
            return self.quotes[key].number
        return LABELS[resource][key]


def build_world(company: Company) -> World:
    """The four customers with their contact, activity and opportunity, made by their owners (the
    pool customer's by the system: imported into the pool; its past activity was rep_a1's)."""
    world = World(company=company, customers={}, contacts={}, activities={}, opportunities={})
    today = timezone.localdate()
    for index, key in enumerate(KEYS):
        role = OWNERS[key]
        owner = getattr(company, role) if role else None
        customer = customer_services.create_customer(
            actor=owner,
            owner=owner,
            name=LABELS["customers"][key],
            kind=CustomerKind.END_CUSTOMER,
            level=CustomerLevel.B,
            phone=f"1380000000{index}",
        )
        contact = contact_services.add_contact(
            actor=owner, customer=customer, name=LABELS["contacts"][key], title="科长", is_primary=True
        )
        activity = activity_services.log_activity(
            actor=owner,
            customer=customer,
            kind="call",
            summary=LABELS["activities"][key],
            contact=contact,
            next_follow_up=today,
            employee=None if owner else company.rep_a1,
        )
        opportunity = opportunity_services.create_opportunity(
            actor=owner,
            customer=customer,
            title=LABELS["opportunities"][key],
            expected_amount=Decimal("1000.00"),
        )
        world.customers[key] = customer
        world.contacts[key] = contact
        world.activities[key] = activity
        world.opportunities[key] = opportunity
    return world


def build_money_world(world: World) -> World:
    """Add the expenses, campaigns, quotes and contracts to the world's customers: each made by the
    person the rules say makes it (the pool customer's quote by the system, its contract by the
    administrator, who signs it and so owns it); the administrator names the four customers as
    partners of every campaign."""
    company = world.company
    today = timezone.localdate()
    person = world.person
    for key in CAMPAIGN_KEYS:
        maker, owner = CAMPAIGN_MAKERS[key]
        world.campaigns[key] = campaign_services.create_campaign(
            actor=person(maker),
            owner=person(owner),
            name=LABELS["campaigns"][key],
            kind=CampaignKind.EXHIBITION,
            start_date=today - timedelta(days=10),
            end_date=today + timedelta(days=20),
            budget=Decimal("50000.00"),
        )
        campaign_services.add_partners(
            world.campaigns[key], actor=company.admin, customers=list(world.customers.values())
        )
    for key in EXPENSE_KEYS:
        customer, campaign = EXPENSE_CUSTOMER[key], EXPENSE_CAMPAIGN[key]
        world.expenses[key] = expense_services.create_expense(
            actor=person(APPLICANTS[key]),
            category=ExpenseCategory.TRAVEL,
            amount=Decimal("300.00"),
            incurred_on=today,
            description=LABELS["expenses"][key],
            customer=world.customers[customer] if customer else None,
            campaign=world.campaigns[campaign] if campaign else None,
        )
    gloves = make_product("MX-001", "矩阵手套", sale_price=Decimal("12.50"))
    for key in KEYS:
        role = OWNERS[key]
        customer = world.customers[key]
        world.quotes[key] = quote_services.create_quote(
            actor=person(role) if role else None,
            customer=customer,
            valid_until=today + timedelta(days=30),
            lines=[quote_services.QuoteLineInput(gloves.pk, Decimal("10"))],
        )
        world.contracts[key] = contract_services.create_contract(
            actor=person(role) if role else company.admin,
            customer=customer,
            title=LABELS["contracts"][key],
            signed_on=today,
            start_date=today,
            end_date=today + timedelta(days=365),
            amount=Decimal("5000.00"),
        )
    return world
