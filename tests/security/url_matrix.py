"""The permission matrix over every URL and API operation (issue 8, part 5), kept as data.

One row per named page URL (`PAGES`, keyed by route name) and per API operation (`API`, keyed by
route name and HTTP method), plus the few routes outside both (`OTHER`). A row says who may use it
and which record its URL addresses:

- `access`: PUBLIC (no login), LOGIN (any signed-in employee), or the permission(s) it needs (a
  tuple: all of them; `any_of=True`: one of them);
- `obj`: the kind of record its URL kwargs name (tests/security/matrix_world.py builds one per
  scope key), None for a URL without one; `scoped`: whether the data scope applies to that record
  (a record outside the role's reach answers 404 like a missing one); kinds in SHARED are company
  data every holder of the permission reaches;
- `ok`: what a permitted, in-reach GET answers (200, or 302 when the page redirects somewhere);
- pages: `post_only` (a button: GET answers 405 to a signed-in user), `post` (the permission a POST
  needs when it differs from `access`: only refused roles POST, and nothing may change).

test_url_matrix.py derives the expected status of every (row × role × record × verb) cell from
these rows and REACH (whose records each role's data scope reaches, written from the rules of
org/roles.py: 本人 / 本部门 / 全公司), and checks that every route has exactly one row."""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"
LOGIN = "login"
FORM = "form"  # a form page: POST needs what GET needs

# The roles checked (the company fixture's people, plus a logistics clerk), anonymous first.
ROLES = (
    "anonymous",
    "admin",
    "sales_head",
    "manager_a",
    "assistant_a",
    "rep_a1",
    "purchaser",
    "finance_clerk",
    "logistics",
)
# Scope keys of the world's records (matrix_world.py): a1 rep_a1's, a2 his teammate rep_a2's, b1
# the other team's rep_b1's, pool nobody's, buy the purchaser's, log the logistics clerk's; a/b team
# A's / team B's department; shared: company data; none: a record that does not exist.
EVERYONE = frozenset({"a1", "a2", "b1", "pool", "buy", "log", "a", "b", "shared"})
REACH: dict[str, frozenset[str]] = {
    "admin": EVERYONE,  # 全公司
    "finance_clerk": EVERYONE,
    "logistics": EVERYONE,
    "sales_head": frozenset({"a1", "a2", "b1", "a", "b", "shared"}),  # 本部门: 业务部, both teams
    "manager_a": frozenset({"a1", "a2", "a", "shared"}),  # 本部门: team A
    "assistant_a": frozenset({"a1", "a2", "a", "shared"}),
    "rep_a1": frozenset({"a1", "shared"}),  # 本人
    "purchaser": frozenset({"buy", "shared"}),
}
# Whoever may run one import opens the imports' index.
IMPORTERS = (
    "crm.add_customer",
    "crm.add_contact",
    "catalog.add_product",
    "purchasing.add_supplier",
    "inventory.add_openingstock",
    "finance.add_receivable",
    "finance.add_payable",
)
# Kinds of record nobody owns: the data scope does not apply (every key is "shared").
SHARED = frozenset(
    {
        "campaign",
        "product",
        "category",
        "price_level",
        "warehouse",
        "lot",
        "stock_balance",
        "stock_move",
        "supplier",
        "supplier_contact",
        "supplier_quote",
        "exchange_rate",
        "role",
        "approval_rule",
    }
)


@dataclass(frozen=True)
class Page:
    access: str | tuple[str, ...]
    obj: str | None = None
    ok: int = 200
    post_only: bool = False
    post: str | tuple[str, ...] | None = None
    any_of: bool = False
    kwargs: tuple[tuple[str, str], ...] = ()
    keys: tuple[str, ...] | None = None  # which of the kind's records to use (default: all)
    scoped: bool = True
    heavy: bool = False  # slow to render (PDF): one permitted cell is rendered, the refusals all
    anonymous_ok: int | None = None  # a public page that answers anonymous users differently
    hidden: bool = False  # a role without the permission gets 404, not 403 (the lookup hides it)
    get_only: bool = False  # GET only (an htmx fragment): HEAD answers 405 once signed in
    denied: tuple[str, ...] = ()  # roles refused (403) by a rule beyond the permission
    owner_only: bool = False  # only the record's owner (applicant) may: others in reach get 403
    ok_keys: tuple[tuple[str, int], ...] = ()  # a permitted GET's answer for these keys (else `ok`)
    open_keys: tuple[str, ...] = ()  # keys every holder of the permission reaches (the pool)


@dataclass(frozen=True)
class Api:
    access: str | tuple[str, ...]
    obj: str | None = None
    ok: int = 200
    any_of: bool = False
    keys: tuple[str, ...] | None = None
    scoped: bool = True
    heavy: bool = False
    hidden: bool = False
    get_only: bool = False
    denied: tuple[str, ...] = ()
    owner_only: bool = False
    ok_keys: tuple[tuple[str, int], ...] = ()
    open_keys: tuple[str, ...] = ()
    anonymous_ok: int | None = None


# Pages ---------------------------------------------------------------------------------------------

PAGES: dict[str, Page] = {
    "web:home": Page(LOGIN),  #
    "web:login": Page(PUBLIC, ok=302, anonymous_ok=200),  # login/ (signed in: sent home)
    "web:logout": Page(LOGIN, post_only=True),  # logout/
    "web:password-change": Page(LOGIN, post=FORM),  # password/
    "web:approval-inbox": Page(LOGIN),  # approvals/
    "web:approval-submitted": Page(LOGIN),  # approvals/submitted/
    "web:approval-tab": Page(LOGIN, kwargs=(("tab", "decided"),)),  # approvals/tab/<slug:tab>/
    "web:approval-detail": Page(LOGIN, obj="approval"),  # approvals/<int:pk>/
    "web:approval-decide": Page(
        LOGIN, obj="approval", post_only=True, kwargs=(("decision", "approve"),)
    ),  # approvals/<int:pk>/<str:decision>/
    "web:attachment-upload": Page(
        "crm.view_customer", obj="attachment_target", post_only=True, hidden=True
    ),  # attachments/upload/<int:content_type_id>/<str:object_id>/
    "web:attachment-download": Page(
        "crm.view_customer", obj="attachment", hidden=True
    ),  # attachments/<int:pk>/
    "web:attachment-delete": Page("crm.view_customer", obj="attachment", hidden=True, post_only=True),
    "web:department-list": Page("org.view_department"),  # org/departments/
    "web:department-create": Page("org.add_department", post=FORM),  # org/departments/new/
    "web:department-detail": Page("org.view_department", obj="department"),  # org/departments/<int:pk>/
    "web:department-edit": Page(
        "org.change_department", obj="department", post=FORM
    ),  # org/departments/<int:pk>/edit/
    "web:employee-list": Page("org.view_employee"),  # org/employees/
    "web:employee-create": Page("org.add_employee", post=FORM),  # org/employees/new/
    "web:employee-detail": Page("org.view_employee", obj="employee"),  # org/employees/<int:pk>/
    "web:employee-edit": Page(
        "org.change_employee", obj="employee", post=FORM
    ),  # org/employees/<int:pk>/edit/
    "web:employee-leave": Page("org.change_employee", obj="employee"),  # org/employees/<int:pk>/leave/
    "web:employee-password": Page("org.change_employee", obj="employee"),  # org/employees/<int:pk>/password/
    "web:employee-unlock": Page(
        "org.change_employee", obj="employee", post_only=True
    ),  # org/employees/<int:pk>/unlock/
    "web:role-list": Page("org.view_role"),  # org/roles/
    "web:role-create": Page("org.add_role", post=FORM),  # org/roles/new/
    "web:role-edit": Page("org.change_role", obj="role", post=FORM),  # org/roles/<int:pk>/edit/
    "web:product-list": Page("catalog.view_product"),  # catalog/products/
    "web:product-create": Page("catalog.add_product", post=FORM),  # catalog/products/new/
    "web:product-detail": Page("catalog.view_product", obj="product"),  # catalog/products/<int:pk>/
    "web:product-edit": Page(
        "catalog.change_product", obj="product", post=FORM
    ),  # catalog/products/<int:pk>/edit/
    "web:product-deactivate": Page(
        "catalog.change_product", obj="product", post_only=True
    ),  # catalog/products/<int:pk>/deactivate/
    "web:product-reactivate": Page(
        "catalog.change_product", obj="product", post_only=True
    ),  # catalog/products/<int:pk>/reactivate/
    "web:category-list": Page("catalog.view_category"),  # catalog/categories/
    "web:category-create": Page("catalog.add_category", post=FORM),  # catalog/categories/new/
    "web:category-edit": Page(
        "catalog.change_category", obj="category", post=FORM
    ),  # catalog/categories/<int:pk>/edit/
    "web:price-level-list": Page("catalog.view_pricelevel"),  # catalog/price-levels/
    "web:price-level-create": Page("catalog.add_pricelevel", post=FORM),  # catalog/price-levels/new/
    "web:price-level-edit": Page(
        "catalog.change_pricelevel", obj="price_level", post=FORM
    ),  # catalog/price-levels/<int:pk>/edit/
    "web:warehouse-list": Page("inventory.view_warehouse"),  # catalog/warehouses/
    "web:warehouse-create": Page("inventory.add_warehouse", post=FORM),  # catalog/warehouses/new/
    "web:warehouse-edit": Page(
        "inventory.change_warehouse", obj="warehouse", post=FORM
    ),  # catalog/warehouses/<int:pk>/edit/
    "web:availability": Page("inventory.view_stockbalance"),  # inventory/availability/
    "web:balance-list": Page("inventory.view_stockbalance"),  # inventory/balances/
    "web:move-list": Page("inventory.view_stockmove"),  # inventory/moves/
    "web:lot-list": Page("inventory.view_lot"),  # inventory/lots/
    "web:lot-trace": Page("inventory.view_lot", obj="lot"),  # inventory/lots/<int:pk>/
    "web:low-stock": Page("inventory.view_lot"),  # inventory/low-stock/
    "web:opening-create": Page("inventory.add_openingstock", post=FORM),  # stock-documents/opening/new/
    "web:opening-edit": Page("inventory.change_openingstock", obj="opening", post=FORM),
    "web:stocktake-create": Page("inventory.add_stocktake", post=FORM),  # stock-documents/stocktakes/new/
    "web:stocktake-edit": Page(
        "inventory.change_stocktake", obj="stocktake", post=FORM
    ),  # stock-documents/stocktakes/<int:pk>/edit/
    "web:transfer-create": Page("inventory.add_transfer", post=FORM),  # stock-documents/transfers/new/
    "web:transfer-edit": Page("inventory.change_transfer", obj="transfer", post=FORM),
    "web:stock-reversal-detail": Page(
        "inventory.view_stockreversal", obj="stock_reversal"
    ),  # stock-documents/reversals/<int:pk>/
    "web:opening-list": Page("inventory.view_openingstock"),  # stock-documents/opening/
    "web:opening-detail": Page("inventory.view_openingstock", obj="opening"),
    "web:opening-submit": Page(
        "inventory.change_openingstock", obj="opening", post_only=True
    ),  # stock-documents/opening/<int:pk>/submit/
    "web:opening-withdraw": Page(
        "inventory.change_openingstock", obj="opening", post_only=True
    ),  # stock-documents/opening/<int:pk>/withdraw/
    "web:opening-cancel": Page(
        "inventory.change_openingstock", obj="opening", post_only=True
    ),  # stock-documents/opening/<int:pk>/cancel/
    "web:opening-reverse": Page(
        "inventory.add_stockreversal", obj="opening", post_only=True
    ),  # stock-documents/opening/<int:pk>/reverse/
    "web:stocktake-list": Page("inventory.view_stocktake"),  # stock-documents/stocktakes/
    "web:stocktake-detail": Page("inventory.view_stocktake", obj="stocktake"),
    "web:stocktake-submit": Page(
        "inventory.change_stocktake", obj="stocktake", post_only=True
    ),  # stock-documents/stocktakes/<int:pk>/submit/
    "web:stocktake-withdraw": Page(
        "inventory.change_stocktake", obj="stocktake", post_only=True
    ),  # stock-documents/stocktakes/<int:pk>/withdraw/
    "web:stocktake-cancel": Page(
        "inventory.change_stocktake", obj="stocktake", post_only=True
    ),  # stock-documents/stocktakes/<int:pk>/cancel/
    "web:stocktake-reverse": Page(
        "inventory.add_stockreversal", obj="stocktake", post_only=True
    ),  # stock-documents/stocktakes/<int:pk>/reverse/
    "web:transfer-list": Page("inventory.view_transfer"),  # stock-documents/transfers/
    "web:transfer-detail": Page("inventory.view_transfer", obj="transfer"),
    "web:transfer-submit": Page(
        "inventory.change_transfer", obj="transfer", post_only=True
    ),  # stock-documents/transfers/<int:pk>/submit/
    "web:transfer-withdraw": Page(
        "inventory.change_transfer", obj="transfer", post_only=True
    ),  # stock-documents/transfers/<int:pk>/withdraw/
    "web:transfer-cancel": Page(
        "inventory.change_transfer", obj="transfer", post_only=True
    ),  # stock-documents/transfers/<int:pk>/cancel/
    "web:transfer-reverse": Page(
        "inventory.add_stockreversal", obj="transfer", post_only=True
    ),  # stock-documents/transfers/<int:pk>/reverse/
    "web:numbering-list": Page("core.view_numberingrule"),  # settings/numbering/
    "web:numbering-edit": Page(
        "core.change_numberingrule", post=FORM, kwargs=(("document_type", "sales_order"),)
    ),  # settings/numbering/<slug:document_type>/
    "web:rule-list": Page("approvals.view_approvalrule"),  # settings/rules/
    "web:rule-create": Page("approvals.add_approvalrule", post=FORM),  # settings/rules/new/
    "web:rule-edit": Page(
        "approvals.change_approvalrule", obj="approval_rule", post=FORM
    ),  # settings/rules/<int:pk>/edit/
    "web:rule-delete": Page(
        "approvals.delete_approvalrule", obj="approval_rule"
    ),  # settings/rules/<int:pk>/delete/
    "web:audit-log": Page("audit.view_auditentry"),  # settings/audit/
    "web:customer-list": Page("crm.view_customer"),  # crm/customers/
    "web:customer-create": Page("crm.add_customer", post=FORM),  # crm/customers/new/
    "web:customer-check": Page("crm.view_customer", post=FORM),  # crm/customers/check/
    "web:customer-detail": Page("crm.view_customer", obj="customer"),  # crm/customers/<int:pk>/
    "web:customer-edit": Page(
        "crm.change_customer", obj="customer", post=FORM
    ),  # crm/customers/<int:pk>/edit/
    "web:opportunity-list": Page("crm.view_opportunity"),  # crm/opportunities/
    "web:opportunity-create": Page("crm.add_opportunity", post=FORM),  # crm/opportunities/new/
    "web:pipeline": Page("crm.view_opportunity"),  # crm/opportunities/pipeline/
    "web:opportunity-detail": Page("crm.view_opportunity", obj="opportunity"),  # crm/opportunities/<int:pk>/
    "web:opportunity-edit": Page(
        "crm.change_opportunity", obj="opportunity", post=FORM
    ),  # crm/opportunities/<int:pk>/edit/
    "web:opportunity-stage": Page(
        "crm.change_opportunity", obj="opportunity", post_only=True
    ),  # crm/opportunities/<int:pk>/stage/
    "web:contact-create": Page(
        "crm.add_contact", obj="customer", post=FORM
    ),  # crm/customers/<int:pk>/contacts/new/
    "web:contact-edit": Page("crm.change_contact", obj="contact", post=FORM),  # crm/contacts/<int:pk>/edit/
    "web:contact-deactivate": Page(
        "crm.change_contact", obj="contact", post_only=True
    ),  # crm/contacts/<int:pk>/deactivate/
    "web:activity-create": Page(
        "crm.add_activity", obj="customer", post=FORM
    ),  # crm/customers/<int:pk>/activities/new/
    "web:activity-list": Page("crm.view_activity"),  # crm/activities/
    "web:activity-complete": Page(
        "crm.change_activity", obj="activity", post_only=True
    ),  # crm/activities/<int:pk>/done/
    "web:follow-up-list": Page("crm.view_activity"),  # crm/follow-ups/
    "web:pool-list": Page("crm.view_customer"),  # crm/pool/
    "web:pool-settings": Page("crm.change_poolsettings", post=FORM),  # crm/pool/settings/
    "web:pool-notices-read": Page(LOGIN, post_only=True),  # crm/pool/notices/read/
    "web:pool-customer": Page(
        "crm.view_customer", obj="customer", ok=302, ok_keys=(("pool", 200),), open_keys=("pool",)
    ),  # a pool customer: every holder sees it; an owned one in reach: sent to its page  # crm/pool/<int:pk>/
    "web:pool-claim": Page("crm.change_customer", obj="customer", post_only=True, keys=("a2", "b1")),
    "web:customer-release": Page("crm.change_customer", obj="customer"),  # crm/customers/<int:pk>/release/
    "web:customer-transfer": Page(
        "crm.change_customer", obj="customer", denied=("rep_a1",)
    ),  # needs a scope wider than 本人 (pool.may_transfer)  # crm/customers/<int:pk>/transfer/
    "web:customer-quote-list": Page("crm.view_quote"),  # crm/customer-quotes/
    "web:customer-quote-create": Page("crm.add_quote", post=FORM),  # crm/customer-quotes/new/
    "web:customer-quote-detail": Page("crm.view_quote", obj="quote"),  # crm/customer-quotes/<int:pk>/
    "web:customer-quote-edit": Page(
        "crm.change_quote", obj="quote", post=FORM
    ),  # crm/customer-quotes/<int:pk>/edit/
    "web:customer-quote-mark": Page(
        "crm.change_quote", obj="quote", post_only=True
    ),  # crm/customer-quotes/<int:pk>/mark/
    "web:customer-quote-print": Page("crm.view_quote", obj="quote"),  # crm/customer-quotes/<int:pk>/print/
    "web:customer-quote-contract": Page(
        "crm.add_contract", obj="quote"
    ),  # crm/customer-quotes/<int:pk>/contract/
    "web:contract-list": Page("crm.view_contract"),  # crm/contracts/
    "web:contract-create": Page("crm.add_contract", post=FORM),  # crm/contracts/new/
    "web:contract-detail": Page("crm.view_contract", obj="contract"),  # crm/contracts/<int:pk>/
    "web:contract-edit": Page(
        "crm.change_contract", obj="contract", post=FORM
    ),  # crm/contracts/<int:pk>/edit/
    "web:contract-submit": Page(
        "crm.change_contract", obj="contract", post_only=True
    ),  # crm/contracts/<int:pk>/submit/
    "web:contract-withdraw": Page(
        "crm.change_contract", obj="contract", post_only=True
    ),  # crm/contracts/<int:pk>/withdraw/
    "web:contract-cancel": Page(
        "crm.change_contract", obj="contract", post_only=True
    ),  # crm/contracts/<int:pk>/cancel/
    "web:handover-list": Page("crm.view_handover"),  # crm/handovers/
    "web:handover-create": Page("crm.add_handover", post=FORM),  # crm/handovers/new/
    "web:handover-detail": Page("crm.view_handover", obj="handover"),  # crm/handovers/<int:pk>/
    "web:channel-tree": Page("crm.view_customer"),  # crm/channels/
    "web:campaign-list": Page("crm.view_campaign"),  # crm/campaigns/
    "web:campaign-create": Page("crm.add_campaign", post=FORM),  # crm/campaigns/new/
    "web:campaign-detail": Page("crm.view_campaign", obj="campaign"),  # crm/campaigns/<int:pk>/
    "web:campaign-edit": Page(
        "crm.change_campaign", obj="campaign", post=FORM
    ),  # crm/campaigns/<int:pk>/edit/
    "web:campaign-cancel": Page(
        "crm.change_campaign", obj="campaign", post_only=True
    ),  # crm/campaigns/<int:pk>/cancel/
    "web:expense-list": Page("crm.view_expense"),  # crm/expenses/
    "web:expense-create": Page("crm.add_expense", post=FORM),  # crm/expenses/new/
    "web:expense-detail": Page("crm.view_expense", obj="expense"),  # crm/expenses/<int:pk>/
    "web:expense-edit": Page(
        "crm.change_expense", obj="expense", post=FORM, owner_only=True
    ),  # the applicant only  # crm/expenses/<int:pk>/edit/
    "web:expense-submit": Page(
        "crm.change_expense", obj="expense", post_only=True
    ),  # crm/expenses/<int:pk>/submit/
    "web:expense-withdraw": Page(
        "crm.change_expense", obj="expense", post_only=True
    ),  # crm/expenses/<int:pk>/withdraw/
    "web:expense-cancel": Page(
        "crm.change_expense", obj="expense", post_only=True
    ),  # crm/expenses/<int:pk>/cancel/
    "web:expense-pay": Page("crm.pay_expense", obj="expense", post_only=True),  # crm/expenses/<int:pk>/pay/
    "web:expense-unapprove": Page(
        "crm.view_expense", obj="expense", post_only=True
    ),  # crm/expenses/<int:pk>/unapprove/
    "web:pool-import": Page(("crm.add_customer", "crm.change_poolsettings")),  # crm/pool/import/
    "web:pool-import-template": Page(
        ("crm.add_customer", "crm.change_poolsettings")
    ),  # crm/pool/import/template/
    "web:customers-idle": Page("crm.view_customer"),  # crm/customers/idle/
    "web:supplier-list": Page("purchasing.view_supplier"),  # purchasing/suppliers/
    "web:supplier-create": Page("purchasing.add_supplier", post=FORM),  # purchasing/suppliers/new/
    "web:supplier-detail": Page("purchasing.view_supplier", obj="supplier"),  # purchasing/suppliers/<int:pk>/
    "web:supplier-edit": Page(
        "purchasing.change_supplier", obj="supplier", post=FORM
    ),  # purchasing/suppliers/<int:pk>/edit/
    "web:supplier-toggle": Page(
        "purchasing.change_supplier", obj="supplier", post_only=True
    ),  # purchasing/suppliers/<int:pk>/toggle/
    "web:supplier-contact-save": Page(
        "purchasing.change_supplier", obj="supplier", post_only=True
    ),  # purchasing/suppliers/<int:pk>/contacts/
    "web:supplier-contact-remove": Page(
        "purchasing.change_supplier", obj="supplier_contact", post_only=True
    ),  # purchasing/suppliers/<int:pk>/contacts/<int:contact_pk>/remove/
    "web:quote-list": Page("purchasing.view_supplierquote"),  # purchasing/quotes/
    "web:quote-create": Page("purchasing.add_supplierquote", post=FORM),  # purchasing/quotes/new/
    "web:quote-compare": Page("purchasing.view_supplierquote"),  # purchasing/quotes/compare/
    "web:quote-edit": Page(
        "purchasing.change_supplierquote", obj="supplier_quote", post=FORM
    ),  # purchasing/quotes/<int:pk>/edit/
    "web:quote-withdraw": Page(
        "purchasing.change_supplierquote", obj="supplier_quote", post_only=True
    ),  # purchasing/quotes/<int:pk>/withdraw/
    "web:quote-history": Page(
        "purchasing.view_supplierquote", obj="product"
    ),  # purchasing/quotes/history/<int:pk>/
    "web:purchase-order-list": Page("purchasing.view_purchaseorder"),  # purchasing/orders/
    "web:purchase-order-create": Page("purchasing.add_purchaseorder", post=FORM),  # purchasing/orders/new/
    "web:purchase-to-receive": Page("purchasing.add_goodsreceipt"),  # purchasing/orders/to-receive/
    "web:purchase-order-detail": Page(
        "purchasing.view_purchaseorder", obj="purchase_order"
    ),  # purchasing/orders/<int:pk>/
    "web:purchase-order-edit": Page(
        "purchasing.change_purchaseorder", obj="purchase_order", post=FORM, ok=302
    ),  # purchasing/orders/<int:pk>/edit/
    "web:purchase-order-submit": Page(
        "purchasing.change_purchaseorder", obj="purchase_order", post_only=True
    ),  # purchasing/orders/<int:pk>/submit/
    "web:purchase-order-withdraw": Page(
        "purchasing.change_purchaseorder", obj="purchase_order", post_only=True
    ),  # purchasing/orders/<int:pk>/withdraw/
    "web:purchase-order-cancel": Page(
        "purchasing.change_purchaseorder", obj="purchase_order", post_only=True
    ),  # purchasing/orders/<int:pk>/cancel/
    "web:purchase-order-unapprove": Page(
        "purchasing.view_purchaseorder", obj="purchase_order", post_only=True
    ),  # purchasing/orders/<int:pk>/unapprove/
    "web:goods-receipt-create": Page(
        "purchasing.add_goodsreceipt", obj="purchase_order", post=FORM, ok=302
    ),  # purchasing/orders/<int:pk>/receive/
    "web:purchase-return-create": Page(
        "purchasing.add_purchasereturn", obj="purchase_order", post=FORM
    ),  # purchasing/orders/<int:pk>/return/
    "web:goods-receipt-detail": Page(
        "purchasing.view_goodsreceipt", obj="goods_receipt"
    ),  # purchasing/receipts/<int:pk>/
    "web:purchase-return-list": Page("purchasing.view_purchasereturn"),  # purchasing/returns/
    "web:purchase-return-to-ship": Page("purchasing.ship_purchasereturn"),  # purchasing/returns/to-ship/
    "web:purchase-return-detail": Page(
        "purchasing.view_purchasereturn", obj="purchase_return"
    ),  # purchasing/returns/<int:pk>/
    "web:purchase-return-edit": Page(
        "purchasing.change_purchasereturn", obj="purchase_return", post=FORM
    ),  # purchasing/returns/<int:pk>/edit/
    "web:purchase-return-submit": Page(
        "purchasing.change_purchasereturn", obj="purchase_return", post_only=True
    ),  # purchasing/returns/<int:pk>/submit/
    "web:purchase-return-withdraw": Page(
        "purchasing.change_purchasereturn", obj="purchase_return", post_only=True
    ),  # purchasing/returns/<int:pk>/withdraw/
    "web:purchase-return-cancel": Page(
        "purchasing.change_purchasereturn", obj="purchase_return", post_only=True
    ),  # purchasing/returns/<int:pk>/cancel/
    "web:purchase-return-ship": Page(
        "purchasing.ship_purchasereturn", obj="purchase_return", post_only=True
    ),  # purchasing/returns/<int:pk>/ship/
    "web:sales-order-list": Page("sales.view_salesorder"),  # sales/orders/
    "web:sales-order-create": Page("sales.add_salesorder", post=FORM),  # sales/orders/new/
    "web:sales-order-availability": Page(
        ("sales.add_salesorder", "sales.change_salesorder"), any_of=True
    ),  # sales/orders/availability/
    "web:sales-order-detail": Page("sales.view_salesorder", obj="sales_order"),  # sales/orders/<int:pk>/
    "web:sales-order-edit": Page(
        "sales.change_salesorder", obj="sales_order", post=FORM, ok=302
    ),  # sales/orders/<int:pk>/edit/
    "web:sales-order-submit": Page(
        "sales.change_salesorder", obj="sales_order", post_only=True
    ),  # sales/orders/<int:pk>/submit/
    "web:sales-order-withdraw": Page(
        "sales.change_salesorder", obj="sales_order", post_only=True
    ),  # sales/orders/<int:pk>/withdraw/
    "web:sales-order-cancel": Page(
        "sales.change_salesorder", obj="sales_order", post_only=True
    ),  # sales/orders/<int:pk>/cancel/
    "web:sales-order-unapprove": Page(
        "sales.view_salesorder", obj="sales_order", post_only=True
    ),  # sales/orders/<int:pk>/unapprove/
    "web:sales-to-ship": Page("sales.add_shipment"),  # sales/shipments/to-ship/
    "web:shipment-create": Page(
        "sales.add_shipment", obj="sales_order", post=FORM, ok=302
    ),  # sales/orders/<int:pk>/ship/
    "web:shipment-list": Page("sales.view_shipment"),  # sales/shipments/
    "web:shipment-detail": Page("sales.view_shipment", obj="shipment"),  # sales/shipments/<int:pk>/
    "web:shipment-deliver": Page(
        "sales.deliver_shipment", obj="shipment", post_only=True
    ),  # sales/shipments/<int:pk>/deliver/
    "web:shipment-note": Page("sales.view_shipment", obj="shipment"),  # sales/shipments/<int:pk>/note/
    "web:sales-return-list": Page("sales.view_salesreturn"),  # sales/returns/
    "web:sales-return-to-receive": Page("sales.receive_salesreturn"),  # sales/returns/to-receive/
    "web:sales-return-create": Page(
        "sales.add_salesreturn", obj="sales_order", post=FORM
    ),  # sales/orders/<int:pk>/return/
    "web:sales-return-detail": Page("sales.view_salesreturn", obj="sales_return"),  # sales/returns/<int:pk>/
    "web:sales-return-edit": Page(
        "sales.change_salesreturn", obj="sales_return", post=FORM
    ),  # sales/returns/<int:pk>/edit/
    "web:sales-return-submit": Page(
        "sales.change_salesreturn", obj="sales_return", post_only=True
    ),  # sales/returns/<int:pk>/submit/
    "web:sales-return-withdraw": Page(
        "sales.change_salesreturn", obj="sales_return", post_only=True
    ),  # sales/returns/<int:pk>/withdraw/
    "web:sales-return-cancel": Page(
        "sales.change_salesreturn", obj="sales_return", post_only=True
    ),  # sales/returns/<int:pk>/cancel/
    "web:sales-return-receive": Page(
        "sales.receive_salesreturn", obj="sales_return", post_only=True
    ),  # sales/returns/<int:pk>/receive/
    "web:report-sales": Page("sales.view_salesorder"),  # reports/sales/
    # The reports' party picker: customers by default (?field=supplier needs purchasing.view_purchaseorder).
    "web:report-filter-options": Page("sales.view_salesorder", get_only=True),  # reports/filter-options/
    "web:report-profit": Page(("sales.view_salesorder", "inventory.view_stockmove")),  # reports/profit/
    "web:report-stock": Page("inventory.view_stockbalance"),  # reports/stock/
    "web:report-stock-movement": Page("inventory.view_stockbalance"),  # reports/stock-movement/
    "web:report-aging": Page(
        ("finance.view_receivable", "finance.view_payable"), any_of=True
    ),  # reports/aging/
    "web:report-payables-aging": Page("finance.view_payable"),  # reports/payables-aging/
    "web:report-expiring-lots": Page("inventory.view_lot"),  # reports/expiring-lots/
    "web:report-low-stock": Page("inventory.view_stockbalance"),  # reports/low-stock/
    "web:report-purchase-prices": Page("purchasing.view_purchaseorder"),  # reports/purchase-prices/
    "web:report-activities": Page("crm.view_activity"),  # reports/activities/
    "web:report-channels": Page("sales.view_salesorder"),  # reports/channels/
    "web:report-campaigns": Page(("crm.view_campaign", "sales.view_salesorder")),  # reports/campaigns/
    "web:dashboard": Page(LOGIN, ok=302),  # sends each to their dashboard  # dashboards/
    "web:dashboard-sales": Page("sales.add_salesorder"),  # dashboards/sales/
    "web:dashboard-team": Page("crm.add_handover"),  # dashboards/team/
    "web:dashboard-finance": Page("finance.add_receipt"),  # dashboards/finance/
    "web:dashboard-logistics": Page(
        ("purchasing.add_goodsreceipt", "sales.add_shipment"), any_of=True
    ),  # dashboards/logistics/
    "web:dashboard-purchasing": Page("purchasing.add_purchaseorder"),  # dashboards/purchasing/
    "web:import-index": Page(IMPORTERS, any_of=True),  # imports/
    "web:import-job": Page(LOGIN, ok=404, kwargs=(("job_id", "nosuchjob"),)),  # imports/jobs/<slug:job_id>/
    "web:import-progress": Page(
        LOGIN, ok=404, kwargs=(("job_id", "nosuchjob"),)
    ),  # imports/jobs/<slug:job_id>/progress/
    "web:import-confirm": Page(
        LOGIN, ok=404, post_only=True, kwargs=(("job_id", "nosuchjob"),)
    ),  # imports/jobs/<slug:job_id>/confirm/
    "web:import-customers": Page("crm.add_customer"),  # imports/customers/
    "web:import-contacts": Page("crm.add_contact"),  # imports/contacts/
    "web:import-products": Page("catalog.add_product"),  # imports/products/
    "web:import-suppliers": Page("purchasing.add_supplier"),  # imports/suppliers/
    "web:import-opening-stock": Page("inventory.add_openingstock"),  # imports/opening-stock/
    "web:import-receivables": Page("finance.add_receivable"),  # imports/receivables/
    "web:import-payables": Page("finance.add_payable"),  # imports/payables/
    "web:import-page": Page("crm.add_customer", kwargs=(("slug", "customers"),)),  # imports/<slug:slug>/
    "web:import-template": Page(
        "catalog.add_product", kwargs=(("slug", "products"),)
    ),  # imports/<slug:slug>/template/
    "web:finance-aging": Page(
        ("finance.view_receivable", "finance.view_payable"), any_of=True
    ),  # finance/aging/
    "web:finance-statement": Page(
        ("finance.view_receivable", "finance.view_payable"), any_of=True
    ),  # finance/statement/
    "web:finance-due": Page(("finance.view_receivable", "finance.view_payable"), any_of=True),  # finance/due/
    "web:party-search": Page(
        (
            "finance.view_receivable",
            "finance.add_receivable",
            "finance.view_payable",
            "finance.add_payable",
            "finance.add_receipt",
            "finance.add_payment",
        ),
        any_of=True,
        get_only=True,
    ),  # finance/parties/search/
    "web:receivable-list": Page("finance.view_receivable"),  # finance/receivables/
    "web:receivable-opening": Page("finance.add_receivable", post=FORM),  # finance/receivables/opening/
    "web:receivable-detail": Page("finance.view_receivable", obj="receivable"),
    "web:receivable-reverse": Page(
        "finance.change_receivable", obj="receivable", post_only=True
    ),  # finance/receivables/<int:pk>/reverse/
    "web:receipt-list": Page("finance.view_receipt"),  # finance/receipts/
    "web:receipt-create": Page("finance.add_receipt", post=FORM),  # finance/receipts/new/
    "web:receipt-open-items": Page("finance.add_receipt", get_only=True),  # finance/receipts/open-items/
    "web:receipt-detail": Page("finance.view_receipt", obj="receipt"),  # finance/receipts/<int:pk>/
    "web:receipt-allocate": Page("finance.change_receipt", obj="receipt", post_only=True),
    "web:receipt-reverse": Page("finance.change_receipt", obj="receipt", post_only=True),
    "web:payable-list": Page("finance.view_payable"),  # finance/payables/
    "web:payable-opening": Page("finance.add_payable", post=FORM),  # finance/payables/opening/
    "web:payable-detail": Page("finance.view_payable", obj="payable"),  # finance/payables/<int:pk>/
    "web:payable-reverse": Page("finance.change_payable", obj="payable", post_only=True),
    "web:payment-list": Page("finance.view_payment"),  # finance/payments/
    "web:payment-create": Page("finance.add_payment", post=FORM),  # finance/payments/new/
    "web:payment-open-items": Page("finance.add_payment", get_only=True),  # finance/payments/open-items/
    "web:payment-detail": Page("finance.view_payment", obj="payment"),  # finance/payments/<int:pk>/
    "web:payment-allocate": Page("finance.change_payment", obj="payment", post_only=True),
    "web:payment-reverse": Page("finance.change_payment", obj="payment", post_only=True),
    "web:rate-list": Page("finance.view_exchangerate"),  # finance/rates/
    "web:rate-create": Page("finance.add_exchangerate", post=FORM),  # finance/rates/new/
    "web:invoice-list": Page("invoicing.view_invoice"),  # invoicing/
    "web:invoice-create": Page("invoicing.add_invoice", post=FORM),  # invoicing/new/
    "web:invoice-open-documents": Page("invoicing.add_invoice", get_only=True),  # invoicing/new/documents/
    "web:invoice-party-search": Page("invoicing.add_invoice", get_only=True),  # invoicing/new/parties/
    "web:invoice-to-invoice": Page("invoicing.view_invoice"),  # invoicing/to-invoice/
    "web:invoice-missing": Page("invoicing.view_invoice"),  # invoicing/missing/
    "web:invoice-detail": Page("invoicing.view_invoice", obj="invoice"),  # invoicing/<int:pk>/
    "web:invoice-reverse": Page(
        "invoicing.change_invoice", obj="invoice", post_only=True
    ),  # invoicing/<int:pk>/reverse/
    "web:sales-order-print": Page("sales.view_salesorder", obj="sales_order"),  # sales/orders/<int:pk>/print/
    "web:sales-order-pdf": Page(
        "sales.view_salesorder", obj="sales_order", heavy=True
    ),  # sales/orders/<int:pk>/pdf/
    "web:purchase-order-print": Page(
        "purchasing.view_purchaseorder", obj="purchase_order"
    ),  # purchasing/orders/<int:pk>/print/
    "web:purchase-order-pdf": Page(
        "purchasing.view_purchaseorder", obj="purchase_order", heavy=True
    ),  # purchasing/orders/<int:pk>/pdf/
    "web:customer-quote-sheet": Page("crm.view_quote", obj="quote"),  # crm/customer-quotes/<int:pk>/sheet/
    "web:customer-quote-pdf": Page(
        "crm.view_quote", obj="quote", heavy=True
    ),  # crm/customer-quotes/<int:pk>/pdf/
    "web:shipment-note-print": Page("sales.view_shipment", obj="shipment"),  # sales/shipments/<int:pk>/print/
    "web:shipment-note-pdf": Page(
        "sales.view_shipment", obj="shipment", heavy=True
    ),  # sales/shipments/<int:pk>/pdf/
    "web:stocktake-sheet-print": Page("inventory.view_stocktake", obj="stocktake"),
    "web:stocktake-sheet-pdf": Page(
        "inventory.view_stocktake", obj="stocktake", heavy=True
    ),  # stock-documents/stocktakes/<int:pk>/pdf/
    "web:statement-print": Page(
        "finance.view_receivable", ok=404
    ),  # no ?party=: 404  # finance/statement/print/
    "web:statement-pdf": Page("finance.view_receivable", ok=404),  # no ?party=: 404  # finance/statement/pdf/
}

# API operations --------------------------------------------------------------------------------------

API: dict[tuple[str, str], Api] = {
    ("api:department-list", "GET"): Api("org.view_department"),  # list
    ("api:department-list", "POST"): Api("org.add_department"),  # create
    ("api:department-detail", "GET"): Api("org.view_department", obj="department"),  # retrieve
    ("api:department-detail", "PUT"): Api("org.change_department", obj="department"),  # update
    ("api:department-detail", "PATCH"): Api("org.change_department", obj="department"),  # partial_update
    ("api:employee-list", "GET"): Api("org.view_employee"),  # list
    ("api:employee-list", "POST"): Api("org.add_employee"),  # create
    ("api:employee-detail", "GET"): Api("org.view_employee", obj="employee"),  # retrieve
    ("api:employee-detail", "PUT"): Api("org.change_employee", obj="employee"),  # update
    ("api:employee-detail", "PATCH"): Api("org.change_employee", obj="employee"),  # partial_update
    ("api:employee-leave", "POST"): Api("org.change_employee", obj="employee"),  # leave
    ("api:approval-list", "GET"): Api(LOGIN),  # list
    ("api:approval-detail", "GET"): Api(LOGIN, obj="approval"),  # retrieve
    ("api:approval-approve", "POST"): Api(LOGIN, obj="approval"),  # approve
    ("api:approval-reject", "POST"): Api(LOGIN, obj="approval"),  # reject
    ("api:product-list", "GET"): Api("catalog.view_product"),  # list
    ("api:product-list", "POST"): Api("catalog.add_product"),  # create
    ("api:product-detail", "GET"): Api("catalog.view_product", obj="product"),  # retrieve
    ("api:product-detail", "PUT"): Api("catalog.change_product", obj="product"),  # update
    ("api:product-detail", "PATCH"): Api("catalog.change_product", obj="product"),  # partial_update
    ("api:product-availability", "GET"): Api("catalog.view_product", obj="product"),  # availability
    ("api:product-deactivate", "POST"): Api("catalog.change_product", obj="product"),  # deactivate
    ("api:product-reactivate", "POST"): Api("catalog.change_product", obj="product"),  # reactivate
    ("api:warehouse-list", "GET"): Api("inventory.view_warehouse"),  # list
    ("api:warehouse-list", "POST"): Api("inventory.add_warehouse"),  # create
    ("api:warehouse-detail", "GET"): Api("inventory.view_warehouse", obj="warehouse"),  # retrieve
    ("api:warehouse-detail", "PUT"): Api("inventory.change_warehouse", obj="warehouse"),  # update
    ("api:warehouse-detail", "PATCH"): Api("inventory.change_warehouse", obj="warehouse"),  # partial_update
    ("api:category-list", "GET"): Api("catalog.view_category"),  # list
    ("api:category-list", "POST"): Api("catalog.add_category"),  # create
    ("api:category-detail", "GET"): Api("catalog.view_category", obj="category"),  # retrieve
    ("api:category-detail", "PUT"): Api("catalog.change_category", obj="category"),  # update
    ("api:category-detail", "PATCH"): Api("catalog.change_category", obj="category"),  # partial_update
    ("api:price-level-list", "GET"): Api("catalog.view_pricelevel"),  # list
    ("api:price-level-list", "POST"): Api("catalog.add_pricelevel"),  # create
    ("api:price-level-detail", "GET"): Api("catalog.view_pricelevel", obj="price_level"),  # retrieve
    ("api:price-level-detail", "PUT"): Api("catalog.change_pricelevel", obj="price_level"),  # update
    ("api:price-level-detail", "PATCH"): Api(
        "catalog.change_pricelevel", obj="price_level"
    ),  # partial_update
    ("api:stock-balance-list", "GET"): Api("inventory.view_stockbalance"),  # list
    ("api:stock-balance-detail", "GET"): Api("inventory.view_stockbalance", obj="stock_balance"),  # retrieve
    ("api:stock-move-list", "GET"): Api("inventory.view_stockmove"),  # list
    ("api:stock-move-detail", "GET"): Api("inventory.view_stockmove", obj="stock_move"),  # retrieve
    ("api:lot-list", "GET"): Api("inventory.view_lot"),  # list
    ("api:lot-detail", "GET"): Api("inventory.view_lot", obj="lot"),  # retrieve
    ("api:customer-list", "GET"): Api("crm.view_customer"),  # list
    ("api:customer-list", "POST"): Api("crm.add_customer"),  # create
    ("api:customer-detail", "GET"): Api("crm.view_customer", obj="customer"),  # retrieve
    ("api:customer-detail", "PUT"): Api("crm.change_customer", obj="customer"),  # update
    ("api:customer-detail", "PATCH"): Api("crm.change_customer", obj="customer"),  # partial_update
    ("api:customer-claim", "POST"): Api("crm.change_customer", obj="customer", keys=("a2", "b1")),
    ("api:customer-release", "POST"): Api("crm.change_customer", obj="customer"),  # release
    ("api:customer-transfer", "POST"): Api("crm.change_customer", obj="customer"),  # transfer
    ("api:opportunity-list", "GET"): Api("crm.view_opportunity"),  # list
    ("api:opportunity-list", "POST"): Api("crm.add_opportunity"),  # create
    ("api:opportunity-detail", "GET"): Api("crm.view_opportunity", obj="opportunity"),  # retrieve
    ("api:opportunity-detail", "PUT"): Api("crm.change_opportunity", obj="opportunity"),  # update
    ("api:opportunity-detail", "PATCH"): Api("crm.change_opportunity", obj="opportunity"),  # partial_update
    ("api:contact-list", "GET"): Api("crm.view_contact"),  # list
    ("api:contact-list", "POST"): Api("crm.add_contact"),  # create
    ("api:contact-detail", "GET"): Api("crm.view_contact", obj="contact"),  # retrieve
    ("api:contact-detail", "PUT"): Api("crm.change_contact", obj="contact"),  # update
    ("api:contact-detail", "PATCH"): Api("crm.change_contact", obj="contact"),  # partial_update
    ("api:contact-deactivate", "POST"): Api("crm.change_contact", obj="contact"),  # deactivate
    ("api:activity-list", "GET"): Api("crm.view_activity"),  # list
    ("api:activity-list", "POST"): Api("crm.add_activity"),  # create
    ("api:activity-detail", "GET"): Api("crm.view_activity", obj="activity"),  # retrieve
    ("api:activity-done", "POST"): Api("crm.change_activity", obj="activity"),  # done
    ("api:quote-list", "GET"): Api("crm.view_quote"),  # list
    ("api:quote-list", "POST"): Api("crm.add_quote"),  # create
    ("api:quote-detail", "GET"): Api("crm.view_quote", obj="quote"),  # retrieve
    ("api:quote-detail", "PUT"): Api("crm.change_quote", obj="quote"),  # update
    ("api:quote-detail", "PATCH"): Api("crm.change_quote", obj="quote"),  # partial_update
    ("api:quote-accept", "POST"): Api("crm.change_quote", obj="quote"),  # accept
    ("api:quote-decline", "POST"): Api("crm.change_quote", obj="quote"),  # decline
    ("api:quote-pdf", "GET"): Api("crm.view_quote", obj="quote", heavy=True),  # pdf
    ("api:quote-send", "POST"): Api("crm.change_quote", obj="quote"),  # send
    ("api:contract-list", "GET"): Api("crm.view_contract"),  # list
    ("api:contract-list", "POST"): Api("crm.add_contract"),  # create
    ("api:contract-detail", "GET"): Api("crm.view_contract", obj="contract"),  # retrieve
    ("api:contract-detail", "PUT"): Api("crm.change_contract", obj="contract"),  # update
    ("api:contract-detail", "PATCH"): Api("crm.change_contract", obj="contract"),  # partial_update
    ("api:contract-approve", "POST"): Api("crm.view_contract", obj="contract"),  # approve
    ("api:contract-cancel", "POST"): Api("crm.change_contract", obj="contract"),  # cancel
    ("api:contract-pdf", "GET"): Api("crm.view_contract", obj="contract", heavy=True),  # pdf
    ("api:contract-reject", "POST"): Api("crm.view_contract", obj="contract"),  # reject
    ("api:contract-submit", "POST"): Api("crm.change_contract", obj="contract"),  # submit
    ("api:contract-withdraw", "POST"): Api("crm.change_contract", obj="contract"),  # withdraw
    ("api:campaign-list", "GET"): Api("crm.view_campaign"),  # list
    ("api:campaign-list", "POST"): Api("crm.add_campaign"),  # create
    ("api:campaign-detail", "GET"): Api("crm.view_campaign", obj="campaign"),  # retrieve
    ("api:campaign-detail", "PUT"): Api("crm.change_campaign", obj="campaign"),  # update
    ("api:campaign-detail", "PATCH"): Api("crm.change_campaign", obj="campaign"),  # partial_update
    ("api:campaign-cancel", "POST"): Api("crm.change_campaign", obj="campaign"),  # cancel
    ("api:expense-list", "GET"): Api("crm.view_expense"),  # list
    ("api:expense-list", "POST"): Api("crm.add_expense"),  # create
    ("api:expense-detail", "GET"): Api("crm.view_expense", obj="expense"),  # retrieve
    ("api:expense-detail", "PUT"): Api("crm.change_expense", obj="expense"),  # update
    ("api:expense-detail", "PATCH"): Api("crm.change_expense", obj="expense"),  # partial_update
    ("api:expense-approve", "POST"): Api("crm.view_expense", obj="expense"),  # approve
    ("api:expense-cancel", "POST"): Api("crm.change_expense", obj="expense"),  # cancel
    ("api:expense-pay", "POST"): Api("crm.pay_expense", obj="expense"),  # pay
    ("api:expense-pdf", "GET"): Api("crm.view_expense", obj="expense", heavy=True),  # pdf
    ("api:expense-reject", "POST"): Api("crm.view_expense", obj="expense"),  # reject
    ("api:expense-submit", "POST"): Api("crm.change_expense", obj="expense"),  # submit
    ("api:expense-unapprove", "POST"): Api("crm.view_expense", obj="expense"),  # unapprove
    ("api:expense-withdraw", "POST"): Api("crm.change_expense", obj="expense"),  # withdraw
    ("api:attachment-list", "GET"): Api(LOGIN, ok=400),  # list: names the record (?content_type=&object_id=)
    ("api:attachment-list", "POST"): Api(LOGIN),  # create
    ("api:attachment-detail", "GET"): Api(
        "crm.view_customer", obj="attachment", hidden=True
    ),  # retrieve (on a customer)
    ("api:attachment-detail", "DELETE"): Api("crm.view_customer", obj="attachment", hidden=True),  # destroy
    ("api:attachment-download", "GET"): Api("crm.view_customer", obj="attachment", hidden=True),  # download
    ("api:supplier-list", "GET"): Api("purchasing.view_supplier"),  # list
    ("api:supplier-list", "POST"): Api("purchasing.add_supplier"),  # create
    ("api:supplier-detail", "GET"): Api("purchasing.view_supplier", obj="supplier"),  # retrieve
    ("api:supplier-detail", "PUT"): Api("purchasing.change_supplier", obj="supplier"),  # update
    ("api:supplier-detail", "PATCH"): Api("purchasing.change_supplier", obj="supplier"),  # partial_update
    ("api:supplier-deactivate", "POST"): Api("purchasing.change_supplier", obj="supplier"),  # deactivate
    ("api:supplier-reactivate", "POST"): Api("purchasing.change_supplier", obj="supplier"),  # reactivate
    ("api:supplier-quote-list", "GET"): Api("purchasing.view_supplierquote"),  # list
    ("api:supplier-quote-list", "POST"): Api("purchasing.add_supplierquote"),  # create
    ("api:supplier-quote-detail", "GET"): Api(
        "purchasing.view_supplierquote", obj="supplier_quote"
    ),  # retrieve
    ("api:supplier-quote-detail", "PUT"): Api(
        "purchasing.change_supplierquote", obj="supplier_quote"
    ),  # update
    ("api:supplier-quote-detail", "PATCH"): Api(
        "purchasing.change_supplierquote", obj="supplier_quote"
    ),  # partial_update
    ("api:supplier-quote-withdraw", "POST"): Api(
        "purchasing.change_supplierquote", obj="supplier_quote"
    ),  # withdraw
    ("api:purchase-order-list", "GET"): Api("purchasing.view_purchaseorder"),  # list
    ("api:purchase-order-list", "POST"): Api("purchasing.add_purchaseorder"),  # create
    ("api:purchase-order-detail", "GET"): Api(
        "purchasing.view_purchaseorder", obj="purchase_order"
    ),  # retrieve
    ("api:purchase-order-detail", "PUT"): Api(
        "purchasing.change_purchaseorder", obj="purchase_order"
    ),  # update
    ("api:purchase-order-detail", "PATCH"): Api(
        "purchasing.change_purchaseorder", obj="purchase_order"
    ),  # partial_update
    ("api:purchase-order-approve", "POST"): Api(
        "purchasing.view_purchaseorder", obj="purchase_order"
    ),  # approve
    ("api:purchase-order-cancel", "POST"): Api(
        "purchasing.change_purchaseorder", obj="purchase_order"
    ),  # cancel
    ("api:purchase-order-pdf", "GET"): Api(
        "purchasing.view_purchaseorder", obj="purchase_order", heavy=True
    ),  # pdf
    ("api:purchase-order-receive", "POST"): Api(
        "purchasing.add_goodsreceipt", obj="purchase_order"
    ),  # receive
    ("api:purchase-order-reject", "POST"): Api(
        "purchasing.view_purchaseorder", obj="purchase_order"
    ),  # reject
    ("api:purchase-order-submit", "POST"): Api(
        "purchasing.change_purchaseorder", obj="purchase_order"
    ),  # submit
    ("api:purchase-order-unapprove", "POST"): Api(
        "purchasing.view_purchaseorder", obj="purchase_order"
    ),  # unapprove
    ("api:purchase-order-withdraw", "POST"): Api(
        "purchasing.change_purchaseorder", obj="purchase_order"
    ),  # withdraw
    ("api:goods-receipt-list", "GET"): Api("purchasing.view_goodsreceipt"),  # list
    ("api:goods-receipt-detail", "GET"): Api("purchasing.view_goodsreceipt", obj="goods_receipt"),  # retrieve
    ("api:goods-receipt-pdf", "GET"): Api(
        "purchasing.view_goodsreceipt", obj="goods_receipt", heavy=True
    ),  # pdf
    ("api:purchase-return-list", "GET"): Api("purchasing.view_purchasereturn"),  # list
    ("api:purchase-return-list", "POST"): Api("purchasing.add_purchasereturn"),  # create
    ("api:purchase-return-detail", "GET"): Api(
        "purchasing.view_purchasereturn", obj="purchase_return"
    ),  # retrieve
    ("api:purchase-return-detail", "PUT"): Api(
        "purchasing.change_purchasereturn", obj="purchase_return"
    ),  # update
    ("api:purchase-return-detail", "PATCH"): Api(
        "purchasing.change_purchasereturn", obj="purchase_return"
    ),  # partial_update
    ("api:purchase-return-approve", "POST"): Api(
        "purchasing.view_purchasereturn", obj="purchase_return"
    ),  # approve
    ("api:purchase-return-cancel", "POST"): Api(
        "purchasing.change_purchasereturn", obj="purchase_return"
    ),  # cancel
    ("api:purchase-return-pdf", "GET"): Api(
        "purchasing.view_purchasereturn", obj="purchase_return", heavy=True
    ),  # pdf
    ("api:purchase-return-reject", "POST"): Api(
        "purchasing.view_purchasereturn", obj="purchase_return"
    ),  # reject
    ("api:purchase-return-ship", "POST"): Api(
        "purchasing.ship_purchasereturn", obj="purchase_return"
    ),  # ship
    ("api:purchase-return-submit", "POST"): Api(
        "purchasing.change_purchasereturn", obj="purchase_return"
    ),  # submit
    ("api:purchase-return-withdraw", "POST"): Api(
        "purchasing.change_purchasereturn", obj="purchase_return"
    ),  # withdraw
    ("api:receivable-list", "GET"): Api("finance.view_receivable"),  # list
    ("api:receivable-list", "POST"): Api("finance.add_receivable"),  # create
    ("api:receivable-detail", "GET"): Api("finance.view_receivable", obj="receivable"),  # retrieve
    ("api:receivable-pdf", "GET"): Api("finance.view_receivable", obj="receivable", heavy=True),  # pdf
    ("api:receivable-reverse", "POST"): Api("finance.change_receivable", obj="receivable"),  # reverse
    ("api:payable-list", "GET"): Api("finance.view_payable"),  # list
    ("api:payable-list", "POST"): Api("finance.add_payable"),  # create
    ("api:payable-detail", "GET"): Api("finance.view_payable", obj="payable"),  # retrieve
    ("api:payable-pdf", "GET"): Api("finance.view_payable", obj="payable", heavy=True),  # pdf
    ("api:payable-reverse", "POST"): Api("finance.change_payable", obj="payable"),  # reverse
    ("api:receipt-list", "GET"): Api("finance.view_receipt"),  # list
    ("api:receipt-list", "POST"): Api("finance.add_receipt"),  # create
    ("api:receipt-detail", "GET"): Api("finance.view_receipt", obj="receipt"),  # retrieve
    ("api:receipt-allocate", "POST"): Api("finance.change_receipt", obj="receipt"),  # allocate
    ("api:receipt-pdf", "GET"): Api("finance.view_receipt", obj="receipt", heavy=True),  # pdf
    ("api:receipt-reverse", "POST"): Api("finance.change_receipt", obj="receipt"),  # reverse
    ("api:payment-list", "GET"): Api("finance.view_payment"),  # list
    ("api:payment-list", "POST"): Api("finance.add_payment"),  # create
    ("api:payment-detail", "GET"): Api("finance.view_payment", obj="payment"),  # retrieve
    ("api:payment-allocate", "POST"): Api("finance.change_payment", obj="payment"),  # allocate
    ("api:payment-pdf", "GET"): Api("finance.view_payment", obj="payment", heavy=True),  # pdf
    ("api:payment-reverse", "POST"): Api("finance.change_payment", obj="payment"),  # reverse
    ("api:exchange-rate-list", "GET"): Api("finance.view_exchangerate"),  # list
    ("api:exchange-rate-list", "POST"): Api("finance.add_exchangerate"),  # create
    ("api:exchange-rate-detail", "GET"): Api("finance.view_exchangerate", obj="exchange_rate"),  # retrieve
    ("api:sales-order-list", "GET"): Api("sales.view_salesorder"),  # list
    ("api:sales-order-list", "POST"): Api("sales.add_salesorder"),  # create
    ("api:sales-order-detail", "GET"): Api("sales.view_salesorder", obj="sales_order"),  # retrieve
    ("api:sales-order-detail", "PUT"): Api("sales.change_salesorder", obj="sales_order"),  # update
    ("api:sales-order-detail", "PATCH"): Api("sales.change_salesorder", obj="sales_order"),  # partial_update
    ("api:sales-order-approve", "POST"): Api("sales.view_salesorder", obj="sales_order"),  # approve
    ("api:sales-order-cancel", "POST"): Api("sales.change_salesorder", obj="sales_order"),  # cancel
    ("api:sales-order-pdf", "GET"): Api("sales.view_salesorder", obj="sales_order", heavy=True),  # pdf
    ("api:sales-order-reject", "POST"): Api("sales.view_salesorder", obj="sales_order"),  # reject
    ("api:sales-order-ship", "POST"): Api("sales.add_shipment", obj="sales_order"),  # ship
    ("api:sales-order-submit", "POST"): Api("sales.change_salesorder", obj="sales_order"),  # submit
    ("api:sales-order-unapprove", "POST"): Api("sales.view_salesorder", obj="sales_order"),  # unapprove
    ("api:sales-order-withdraw", "POST"): Api("sales.change_salesorder", obj="sales_order"),  # withdraw
    ("api:shipment-list", "GET"): Api("sales.view_shipment"),  # list
    ("api:shipment-detail", "GET"): Api("sales.view_shipment", obj="shipment"),  # retrieve
    ("api:shipment-deliver", "POST"): Api("sales.deliver_shipment", obj="shipment"),  # deliver
    ("api:shipment-pdf", "GET"): Api("sales.view_shipment", obj="shipment", heavy=True),  # pdf
    ("api:sales-return-list", "GET"): Api("sales.view_salesreturn"),  # list
    ("api:sales-return-list", "POST"): Api("sales.add_salesreturn"),  # create
    ("api:sales-return-detail", "GET"): Api("sales.view_salesreturn", obj="sales_return"),  # retrieve
    ("api:sales-return-detail", "PUT"): Api("sales.change_salesreturn", obj="sales_return"),  # update
    ("api:sales-return-detail", "PATCH"): Api(
        "sales.change_salesreturn", obj="sales_return"
    ),  # partial_update
    ("api:sales-return-approve", "POST"): Api("sales.view_salesreturn", obj="sales_return"),  # approve
    ("api:sales-return-cancel", "POST"): Api("sales.change_salesreturn", obj="sales_return"),  # cancel
    ("api:sales-return-pdf", "GET"): Api("sales.view_salesreturn", obj="sales_return", heavy=True),  # pdf
    ("api:sales-return-receive", "POST"): Api("sales.receive_salesreturn", obj="sales_return"),  # receive
    ("api:sales-return-reject", "POST"): Api("sales.view_salesreturn", obj="sales_return"),  # reject
    ("api:sales-return-submit", "POST"): Api("sales.change_salesreturn", obj="sales_return"),  # submit
    ("api:sales-return-withdraw", "POST"): Api("sales.change_salesreturn", obj="sales_return"),  # withdraw
    ("api:invoice-list", "GET"): Api("invoicing.view_invoice"),  # list
    ("api:invoice-list", "POST"): Api("invoicing.add_invoice"),  # create
    ("api:invoice-detail", "GET"): Api("invoicing.view_invoice", obj="invoice"),  # retrieve
    ("api:invoice-pdf", "GET"): Api("invoicing.view_invoice", obj="invoice", heavy=True),  # pdf
    ("api:invoice-reverse", "POST"): Api("invoicing.change_invoice", obj="invoice"),  # reverse
}

# Routes outside the pages and the API's router: health, language switch, schema and its docs, the
# token endpoint, the API root.
OTHER: dict[str, Page] = {
    "healthz": Page(PUBLIC),
    "set_language": Page(PUBLIC, ok=302, post=FORM),  # back to ?next= (or /), setting it on POST
    "schema": Page(PUBLIC, heavy=True),  # the API's description (no data): public
    "swagger-ui": Page(PUBLIC),
    "api:token": Page(PUBLIC, post_only=True),
    "api:api-root": Page(LOGIN, anonymous_ok=401),  # DRF: 401 for anonymous
}
