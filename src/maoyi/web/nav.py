"""The sidebar: modules and their pages, each shown only to users holding its permission.
Later issues add their modules here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class Page:
    label: Any
    url_name: str
    permission: str | tuple[str, ...] | None = None  # None: every signed-in employee; a tuple: all of them
    icon: str = "point"

    def allowed(self, user: Any) -> bool:
        if self.permission is None:
            return True
        wanted = (self.permission,) if isinstance(self.permission, str) else self.permission
        return all(user.has_perm(p) for p in wanted)


@dataclass(frozen=True)
class Module:
    key: str
    label: Any
    icon: str
    pages: tuple[Page, ...] = field(default_factory=tuple)


MODULES: tuple[Module, ...] = (
    Module("home", _("工作台"), "home", (Page(_("工作台"), "web:home"),)),
    # Every employee: /dashboards/ opens the first dashboard their permissions allow (or says none).
    Module("dashboards", _("仪表盘"), "chart-pie", (Page(_("仪表盘"), "web:dashboard"),)),
    Module(
        "approvals",
        _("审批"),
        "checkbox",
        (Page(_("待我审批"), "web:approval-inbox"), Page(_("我提交的"), "web:approval-submitted")),
    ),
    Module(
        "crm",
        pgettext_lazy("menu", "客户"),
        "users",
        (
            Page(pgettext_lazy("menu", "客户"), "web:customer-list", "crm.view_customer"),
            Page(_("公海客户"), "web:pool-list", "crm.view_customer"),
            Page(_("导入客户"), "web:import-customers", "crm.add_customer"),
            Page(_("导入联系人"), "web:import-contacts", "crm.add_contact"),
            Page(_("跟进提醒"), "web:follow-up-list", "crm.view_activity"),
            Page(_("跟进记录"), "web:activity-list", "crm.view_activity"),
            Page(_("未跟进客户"), "web:customers-idle", "crm.view_customer"),
            Page(_("机会"), "web:opportunity-list", "crm.view_opportunity"),
            Page(_("销售漏斗"), "web:pipeline", "crm.view_opportunity"),
            Page(_("报价单"), "web:customer-quote-list", "crm.view_quote"),
            Page(pgettext_lazy("menu", "合同"), "web:contract-list", "crm.view_contract"),
            Page(pgettext_lazy("menu", "市场活动"), "web:campaign-list", "crm.view_campaign"),
            Page(_("渠道树"), "web:channel-tree", "crm.view_customer"),
        ),
    ),
    Module(
        "sales",
        pgettext_lazy("menu", "销售"),
        "receipt",
        (
            Page(pgettext_lazy("menu", "销售订单"), "web:sales-order-list", "sales.view_salesorder"),
            Page(_("待发货"), "web:sales-to-ship", "sales.add_shipment"),
            Page(_("发货管理"), "web:shipment-list", "sales.view_shipment"),
            Page(pgettext_lazy("menu", "销售退货"), "web:sales-return-list", "sales.view_salesreturn"),
            Page(_("待收退货"), "web:sales-return-to-receive", "sales.receive_salesreturn"),
        ),
    ),
    Module(
        "purchasing",
        pgettext_lazy("menu", "采购"),
        "truck-delivery",
        (
            Page(pgettext_lazy("menu", "供应商"), "web:supplier-list", "purchasing.view_supplier"),
            Page(_("导入供应商"), "web:import-suppliers", "purchasing.add_supplier"),
            Page(_("供应商报价"), "web:quote-list", "purchasing.view_supplierquote"),
            Page(_("报价比较"), "web:quote-compare", "purchasing.view_supplierquote"),
            Page(_("采购订单"), "web:purchase-order-list", "purchasing.view_purchaseorder"),
            Page(_("待入库"), "web:purchase-to-receive", "purchasing.add_goodsreceipt"),
            Page(_("采购退货"), "web:purchase-return-list", "purchasing.view_purchasereturn"),
            Page(_("待发退货"), "web:purchase-return-to-ship", "purchasing.ship_purchasereturn"),
        ),
    ),
    Module(
        "catalog",
        pgettext_lazy("menu", "商品"),
        "package",
        (
            Page(pgettext_lazy("menu", "商品"), "web:product-list", "catalog.view_product"),
            Page(_("导入商品"), "web:import-products", "catalog.add_product"),
            Page(_("商品分类"), "web:category-list", "catalog.view_category"),
            Page(_("价格等级"), "web:price-level-list", "catalog.view_pricelevel"),
            Page(pgettext_lazy("menu", "仓库"), "web:warehouse-list", "inventory.view_warehouse"),
        ),
    ),
    Module(
        "inventory",
        _("库存"),
        "building-warehouse",
        (
            Page(_("库存查询"), "web:availability", "inventory.view_stockbalance"),
            Page(_("库存余额"), "web:balance-list", "inventory.view_stockbalance"),
            Page(_("库存流水"), "web:move-list", "inventory.view_stockmove"),
            Page(_("批次效期"), "web:lot-list", "inventory.view_lot"),
            Page(_("低库存"), "web:low-stock", "inventory.view_lot"),
            Page(_("期初库存"), "web:opening-list", "inventory.view_openingstock"),
            Page(_("导入期初库存"), "web:import-opening-stock", "inventory.add_openingstock"),
            Page(_("盘点"), "web:stocktake-list", "inventory.view_stocktake"),
            Page(_("调拨"), "web:transfer-list", "inventory.view_transfer"),
        ),
    ),
    Module(
        "finance",
        pgettext_lazy("menu", "财务"),
        "cash",
        (
            Page(_("应收款"), "web:receivable-list", "finance.view_receivable"),
            Page(_("收款单"), "web:receipt-list", "finance.view_receipt"),
            Page(_("应付款"), "web:payable-list", "finance.view_payable"),
            Page(_("导入期初应收"), "web:import-receivables", "finance.add_receivable"),
            Page(_("导入期初应付"), "web:import-payables", "finance.add_payable"),
            Page(_("付款单"), "web:payment-list", "finance.view_payment"),
            Page(_("费用报销"), "web:expense-list", "crm.view_expense"),
            Page(_("发票登记"), "web:invoice-list", "invoicing.view_invoice"),
            Page(_("待开票"), "web:invoice-to-invoice", "invoicing.view_invoice"),
            Page(_("缺票"), "web:invoice-missing", "invoicing.view_invoice"),
            Page(_("到期提醒"), "web:finance-due", "finance.view_receivable"),
            Page(_("账龄分析"), "web:finance-aging", "finance.view_receivable"),
            Page(_("对账单"), "web:finance-statement", "finance.view_receivable"),
            Page(_("汇率"), "web:rate-list", "finance.view_exchangerate"),
        ),
    ),
    Module(
        "reports",
        _("报表"),
        "chart-bar",
        (
            Page(_("销售统计"), "web:report-sales", "sales.view_salesorder"),
            Page(_("毛利分析"), "web:report-profit", ("sales.view_salesorder", "inventory.view_stockmove")),
            Page(_("库存报表"), "web:report-stock", "inventory.view_stockbalance"),
            Page(_("收发存汇总"), "web:report-stock-movement", "inventory.view_stockbalance"),
            Page(_("应收账龄"), "web:report-aging", "finance.view_receivable"),
            Page(_("应付账龄"), "web:report-payables-aging", "finance.view_payable"),
            Page(_("批次效期"), "web:report-expiring-lots", "inventory.view_lot"),
            Page(_("低库存及在途"), "web:report-low-stock", "inventory.view_stockbalance"),
            Page(_("采购价格历史"), "web:report-purchase-prices", "purchasing.view_purchaseorder"),
            Page(_("跟进统计"), "web:report-activities", "crm.view_activity"),
            Page(_("渠道销售"), "web:report-channels", "sales.view_salesorder"),
            Page(
                _("市场活动投入产出"), "web:report-campaigns", ("crm.view_campaign", "sales.view_salesorder")
            ),
        ),
    ),
    Module(
        "org",
        _("组织架构"),
        "sitemap",
        (
            Page(pgettext_lazy("menu", "部门"), "web:department-list", "org.view_department"),
            Page(_("员工"), "web:employee-list", "org.view_employee"),
            Page(_("角色与权限"), "web:role-list", "org.view_role"),
            Page(_("交接记录"), "web:handover-list", "crm.view_handover"),
        ),
    ),
    Module(
        "settings",
        _("系统设置"),
        "settings",
        (
            Page(pgettext_lazy("menu", "单据编号"), "web:numbering-list", "core.view_numberingrule"),
            Page(_("审批规则"), "web:rule-list", "approvals.view_approvalrule"),
            Page(_("公海设置"), "web:pool-settings", "crm.change_poolsettings"),
            Page(_("操作日志"), "web:audit-log", "audit.view_auditentry"),
            Page(_("接口文档"), "swagger-ui", "audit.view_auditentry"),
        ),
    ),
)


def sidebar(user: Any, current_path: str) -> list[dict[str, Any]]:
    """The modules this user may use, each with the pages they may open."""
    result = []
    for module in MODULES:
        pages = []
        for page in module.pages:
            if page.allowed(user):
                url = reverse(page.url_name)
                matches = current_path == url or (url != "/" and current_path.startswith(url))
                pages.append({"label": page.label, "url": url, "active": matches, "icon": page.icon})
        if pages:
            result.append(
                {
                    "key": module.key,
                    "label": module.label,
                    "icon": module.icon,
                    "pages": pages,
                    "active": any(p["active"] for p in pages),
                }
            )
    # One page is current: the most specific match (/purchasing/orders/to-receive/ is 待入库, not
    # also 采购订单).
    matching = [p for m in result for p in m["pages"] if p["active"]]
    best = max(matching, key=lambda p: len(p["url"]), default=None)
    for module_entry in result:
        for page_entry in module_entry["pages"]:
            page_entry["active"] = page_entry is best
        module_entry["active"] = any(p["active"] for p in module_entry["pages"])
    return result


def allowed_url_names(user: Any) -> set[str]:
    return {page.url_name for module in MODULES for page in module.pages if page.allowed(user)}
