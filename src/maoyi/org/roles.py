"""The built-in roles (API.md codes) with their default data scope and permissions. The demo and
`maoyi createadmin` apply them; an administrator may change permissions and scope afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from maoyi.org.models import DataScope


@dataclass(frozen=True)
class RoleDefault:
    code: str
    name: str
    name_en: str
    data_scope: DataScope
    permissions: tuple[str, ...]


ADMIN_PERMISSIONS = (
    "org.view_department",
    "org.add_department",
    "org.change_department",
    "org.view_employee",
    "org.add_employee",
    "org.change_employee",
    "org.view_role",
    "org.add_role",
    "org.change_role",
    "core.view_numberingrule",
    "core.change_numberingrule",
    "approvals.view_approvalrule",
    "approvals.add_approvalrule",
    "approvals.change_approvalrule",
    "approvals.delete_approvalrule",
    "audit.view_auditentry",
)

# Everyone who sells or buys looks products and their availability up.
LOOK_UP_GOODS = ("catalog.view_product", "inventory.view_stockbalance")
SEE_STOCK = (
    *LOOK_UP_GOODS,
    "catalog.view_category",
    "catalog.view_pricelevel",
    "inventory.view_warehouse",
    "inventory.view_stockmove",
    "inventory.view_lot",
)
MAINTAIN_CATALOG = (
    "catalog.add_product",
    "catalog.change_product",
    "catalog.add_category",
    "catalog.change_category",
    "catalog.add_pricelevel",
    "catalog.change_pricelevel",
)
STOCK_DOCUMENTS = tuple(
    f"inventory.{verb}_{model}"
    for model in ("openingstock", "stocktake", "transfer", "stockreversal")
    for verb in ("view", "add", "change")
)
MANAGE_WAREHOUSES = ("inventory.add_warehouse", "inventory.change_warehouse")

# Customers belong to the company; data scope decides whose a salesperson sees.
WORK_CUSTOMERS = tuple(
    f"crm.{verb}_{model}"
    for model in ("customer", "contact", "activity", "opportunity", "quote", "contract")
    for verb in ("view", "add", "change")
)
# Managers and administrators set the public pool's rules.
# Managers and administrators hand a leaving employee's book over (交接).
HAND_OVER = ("crm.view_handover", "crm.add_handover")
POOL_RULES = (
    "crm.view_poolsettings",
    "crm.change_poolsettings",
    "crm.view_poolrule",
    "crm.add_poolrule",
    "crm.change_poolrule",
)
# Those who spend the company's money on its business apply for expenses (费用), own scope.
APPLY_EXPENSES = ("crm.view_expense", "crm.add_expense", "crm.change_expense")
SEE_CAMPAIGNS = ("crm.view_campaign",)
# Managers run campaigns (市场活动); finance pays approved expenses.
RUN_CAMPAIGNS = ("crm.view_campaign", "crm.add_campaign", "crm.change_campaign")
PAY_EXPENSES = ("crm.view_expense", "crm.pay_expense", "crm.view_campaign")
# Salespeople write orders and returns for their customers; shipments they follow.
SELL = (
    *(
        f"sales.{verb}_{model}"
        for model in ("salesorder", "salesreturn")
        for verb in ("view", "add", "change")
    ),
    "sales.view_shipment",
)
# Logistics ships approved orders, confirms delivery and receives returned goods.
SHIP = (
    "sales.view_salesorder",
    "sales.view_shipment",
    "sales.add_shipment",
    "sales.deliver_shipment",
    "sales.view_salesreturn",
    "sales.receive_salesreturn",
)
# Managers may let an order through above the credit limit or below the minimum price, with a reason.
OVERRIDE_SALES = ("sales.override_credit_salesorder", "sales.override_min_price_salesorder")
FOLLOW_SALES = ("sales.view_salesorder", "sales.view_shipment", "sales.view_salesreturn")
MAINTAIN_SUPPLIERS = ("purchasing.view_supplier", "purchasing.add_supplier", "purchasing.change_supplier")
# Purchasing's daily work: quotes, orders (submit for approval), returns; rates to read.
BUY = (
    *(
        f"purchasing.{verb}_{model}"
        for model in ("supplierquote", "purchaseorder", "purchasereturn")
        for verb in ("view", "add", "change")
    ),
    "purchasing.view_goodsreceipt",
    "finance.view_exchangerate",
)
# Logistics receives goods against approved orders and ships purchase returns.
RECEIVE_GOODS = (
    "purchasing.view_purchaseorder",
    "purchasing.view_goodsreceipt",
    "purchasing.add_goodsreceipt",
    "purchasing.view_purchasereturn",
    "purchasing.ship_purchasereturn",
)
# Managers and finance follow orders and receipts.
FOLLOW_PURCHASES = (
    "purchasing.view_supplierquote",
    "purchasing.view_purchaseorder",
    "purchasing.view_goodsreceipt",
    "purchasing.view_purchasereturn",
)
# Salespeople see what their customers owe and paid; purchasers what we owe suppliers.
SEE_RECEIVABLES = ("finance.view_receivable", "finance.view_receipt")
SEE_PAYABLES = ("finance.view_payable", "finance.view_payment")
KEEP_MONEY_LEDGER = (
    *(
        f"finance.{verb}_{model}"
        for model in ("receivable", "payable", "receipt", "payment")
        for verb in ("view", "add", "change")
    ),
    "finance.view_exchangerate",
    "finance.add_exchangerate",
)
# Finance records VAT invoices (发票登记) and reverses them (红冲); managers and administrators read them.
KEEP_INVOICES = ("invoicing.view_invoice", "invoicing.add_invoice", "invoicing.change_invoice")
SEE_INVOICES = ("invoicing.view_invoice",)

BUILT_IN_ROLES: tuple[RoleDefault, ...] = (
    RoleDefault(
        "salesperson",
        "业务员",
        "Salesperson",
        DataScope.OWN,
        (*LOOK_UP_GOODS, *WORK_CUSTOMERS, *SELL, *SEE_RECEIVABLES, *APPLY_EXPENSES, *SEE_CAMPAIGNS),
    ),
    RoleDefault(
        "sales_assistant",
        "业务助理",
        "Sales assistant",
        DataScope.DEPARTMENT,
        (*LOOK_UP_GOODS, *WORK_CUSTOMERS, *SELL, *SEE_RECEIVABLES, *APPLY_EXPENSES, *SEE_CAMPAIGNS),
    ),
    RoleDefault(
        "manager",
        "部门经理",
        "Manager",
        DataScope.DEPARTMENT,
        (
            "org.view_department",
            "org.view_employee",
            *SEE_STOCK,
            *WORK_CUSTOMERS,
            *POOL_RULES,
            *HAND_OVER,
            *APPLY_EXPENSES,
            *RUN_CAMPAIGNS,
            *SELL,
            *OVERRIDE_SALES,
            "purchasing.view_supplier",
            *FOLLOW_PURCHASES,
            *SEE_RECEIVABLES,
            *SEE_PAYABLES,
            *SEE_INVOICES,
        ),
    ),
    RoleDefault(
        "purchaser",
        "采购员",
        "Purchaser",
        DataScope.OWN,
        (*SEE_STOCK, *MAINTAIN_CATALOG, *MAINTAIN_SUPPLIERS, *BUY, *SEE_PAYABLES, *APPLY_EXPENSES),
    ),
    RoleDefault(
        "logistics",
        "仓管/物流",
        "Logistics",
        DataScope.ALL,
        (
            *SEE_STOCK,
            *STOCK_DOCUMENTS,
            *MANAGE_WAREHOUSES,
            "purchasing.view_supplier",
            *RECEIVE_GOODS,
            *SHIP,
        ),
    ),
    RoleDefault(
        "finance",
        "财务",
        "Finance",
        DataScope.ALL,
        (
            *SEE_STOCK,
            "crm.view_customer",
            "purchasing.view_supplier",
            *FOLLOW_PURCHASES,
            *FOLLOW_SALES,
            *KEEP_MONEY_LEDGER,
            *PAY_EXPENSES,
            *KEEP_INVOICES,
        ),
    ),
    RoleDefault(
        "admin",
        "管理员",
        "Administrator",
        DataScope.ALL,
        (
            *ADMIN_PERMISSIONS,
            *SEE_STOCK,
            *MAINTAIN_CATALOG,
            *STOCK_DOCUMENTS,
            *MANAGE_WAREHOUSES,
            *WORK_CUSTOMERS,
            *POOL_RULES,
            *HAND_OVER,
            *APPLY_EXPENSES,
            *RUN_CAMPAIGNS,
            *SELL,
            *SHIP,
            *MAINTAIN_SUPPLIERS,
            *FOLLOW_PURCHASES,
            *SEE_RECEIVABLES,
            *SEE_PAYABLES,
            *SEE_INVOICES,
        ),
    ),
)
