"""The CRM permission matrix (issue 5) as data, and the records it is checked against.

Records: one customer per owner (rep_a1 → "a1", rep_a2 → "a2", rep_b1 → "b1") and one in the public
pool ("pool"), each with a contact, an activity (follow-up due today) and an opportunity, all made
through the services. The expected matrix is derived from two small tables written from the rules
(not read from the code under test): which customers each person's data scope reaches, and which
CRM permissions each person's built-in role holds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from maoyi.crm import services as customer_services
from maoyi.crm.models import Activity, Contact, Customer, CustomerKind, CustomerLevel, Opportunity
from maoyi.crm.services import activities as activity_services
from maoyi.crm.services import contacts as contact_services
from maoyi.crm.services import opportunities as opportunity_services
from maoyi.org.models import Employee
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

SELLS = {"customers": "vc", "contacts": "vc", "activities": "vc", "opportunities": "vc"}
# The CRM permissions each role holds, per resource: v(iew), c(hange). Nobody holds delete.
PERMISSIONS: dict[str, dict[str, str]] = {
    "rep_a1": SELLS,
    "rep_b1": SELLS,
    "assistant_a": SELLS,
    "manager_a": SELLS,
    "sales_head": SELLS,
    "purchaser": {},
    "finance_clerk": {"customers": "v"},  # 财务 looks customers up, changes nothing in CRM
    "admin": SELLS,
}
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
    scope = SCOPE[role]
    return Cell(
        list=scope if view else None,
        read=scope if view else None,
        change=scope if change else None,
        delete=frozenset() if change else None,  # DELETE: 405 to a role that may change, else 403
    )


MATRIX: dict[str, dict[str, Cell]] = {
    role: {resource: derive(role, resource) for resource in RESOURCES} for role in ROLES
}


def matrix_table() -> str:
    """The matrix as a text table (list / read / change / delete), "403" for a refused role."""

    def show(keys: frozenset[str] | None) -> str:
        if keys is None:
            return "403"
        return ",".join(k for k in KEYS if k in keys) or "—"

    lines = []
    for role, cells in MATRIX.items():
        for resource, cell in cells.items():
            parts = (show(cell.list), show(cell.read), show(cell.change), show(cell.delete))
            lines.append(f"{role:14} {resource:14} " + " | ".join(f"{p:13}" for p in parts))
    return "\n".join(lines)


# The records ---------------------------------------------------------------------------------------


@dataclass
class World:
    company: Company
    customers: dict[str, Customer]
    contacts: dict[str, Contact]
    activities: dict[str, Activity]
    opportunities: dict[str, Opportunity]

    def person(self, role: str) -> Employee:
        employee: Employee = getattr(self.company, role)
        return employee

    def records(self, resource: str) -> dict[str, Customer] | dict[str, Contact] | dict[str, Activity]:
        if resource == "pool":
            return self.customers
        records: dict = getattr(self, resource)
        return records


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
