from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.documents import TRANSITIONS as DOCUMENT_TRANSITIONS
from maoyi.core.documents import Document, Status
from maoyi.core.money import MoneyField, PriceField, QuantityField, quantize_money
from maoyi.core.versioning import version_field
from maoyi.org.policy import ScopePolicy


class CustomerKind(models.TextChoices):
    END_CUSTOMER = "end_customer", _("终端客户")
    HOSPITAL_SYSTEM = "hospital_system", _("医疗系统")
    DISTRIBUTOR = "distributor", _("分销商")
    AGENT = "agent", _("代理商")


# Channel partners (渠道商): the kinds that may sit above other customers in a channel tree.
PARTNER_KINDS = (CustomerKind.DISTRIBUTOR, CustomerKind.AGENT)


class CustomerLevel(models.TextChoices):
    A = "a", _("重点客户")
    B = "b", _("普通客户")
    C = "c", _("一般客户")


class CustomerSource(models.TextChoices):
    REFERRAL = "referral", _("转介绍")
    EXHIBITION = "exhibition", _("展会")
    WEBSITE = "website", _("网站")
    COLD_CALL = "cold_call", _("电话开发")
    TENDER = "tender", _("招投标")
    OTHER = "other", _("其他")


class Customer(models.Model):
    """A customer belongs to the company; `owner` (负责人) is only the employee who currently serves
    it, and a customer without one sits in the public pool (公海). `name_key`, `phone_key` and
    `tax_id` are what the duplicate check (查重) compares; the database keeps each of them unique."""

    name = models.CharField(_("客户名称"), max_length=200)
    kind = models.CharField(_("客户类型"), max_length=20, choices=CustomerKind.choices)
    level = models.CharField(
        _("客户等级"), max_length=1, choices=CustomerLevel.choices, default=CustomerLevel.B
    )
    price_level = models.ForeignKey(
        "catalog.PriceLevel",
        verbose_name=_("价格等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级渠道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    channel_partner = models.ForeignKey(
        "self",
        verbose_name=_("所属渠道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="served_customers",
    )
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    tax_id = models.CharField(_("税号"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    credit_limit = MoneyField(_("信用额度"), default=0)
    source = models.CharField(_("客户来源"), max_length=20, choices=CustomerSource.choices, blank=True)
    tags = models.CharField(_("标签"), max_length=200, blank=True, help_text=_("多个标签用逗号分隔"))
    note = models.TextField(_("备注"), blank=True)
    owner = models.ForeignKey(
        "org.Employee",
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pinyin = models.CharField(_("拼音码"), max_length=60, blank=True, db_index=True, editable=False)
    name_key = models.CharField(max_length=200, editable=False)
    phone_key = models.CharField(max_length=40, blank=True, editable=False)
    last_activity_at = models.DateTimeField(_("最近跟进"), null=True, blank=True, editable=False)
    # When the current owner got the customer (created, claimed or transferred): with the last
    # activity, where the public pool's idle clock starts.
    owned_since = models.DateTimeField(_("负责起始"), null=True, blank=True, editable=False)
    # The public pool's escalation so far for the current idle spell: "" (none), "owner" (the
    # owner was reminded), "manager" (the manager was told). Reset by an activity or a new owner.
    pool_warning = models.CharField(_("公海预警"), max_length=10, blank=True, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    scope_policy = ScopePolicy(owner="owner", department="department")
    accepts_attachments = True

    version = version_field()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        ordering = ["pinyin", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="crm_customer_credit_limit_gte_0"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="crm_customer_parent_not_self"),
            models.CheckConstraint(
                condition=~Q(channel_partner=models.F("id")), name="crm_customer_channel_partner_not_self"
            ),
            models.UniqueConstraint(fields=["name_key"], name="crm_customer_unique_name_key"),
            models.UniqueConstraint(
                fields=["phone_key"], condition=~Q(phone_key=""), name="crm_customer_unique_phone_key"
            ),
            models.UniqueConstraint(
                fields=["tax_id"], condition=~Q(tax_id=""), name="crm_customer_unique_tax_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_partner(self) -> bool:
        return self.kind in PARTNER_KINDS

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (part.strip() for part in self.tags.split(",")) if t]


# Contacts, activities and opportunities: owned through their customer -----------------------------

THROUGH_CUSTOMER = ScopePolicy(owner="customer__owner", department="customer__department")


class Contact(models.Model):
    """A person at a customer (联系人), by department and title; several per customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=60)
    department = models.CharField(_("部门"), max_length=60, blank=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    mobile = models.CharField(_("手机"), max_length=40, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    wechat = models.CharField(_("微信"), max_length=60, blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    created_by = models.ForeignKey(
        "org.Employee", verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    scope_policy = THROUGH_CUSTOMER

    version = version_field()

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["customer_id", "-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="crm_contact_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ActivityKind(models.TextChoices):
    CALL = "call", _("电话")
    VISIT = "visit", _("拜访")
    EMAIL = "email", _("邮件")
    MEETING = "meeting", _("会议")
    OTHER = "other", _("其他")


class Activity(models.Model):
    """A follow-up (跟进记录): what happened with a customer, and when to follow up next. The
    employee who did it stays attributed to it after the customer changes hands."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="activities"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("联系人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("跟进方式"), max_length=10, choices=ActivityKind.choices)
    summary = models.TextField(_("跟进内容"))
    occurred_at = models.DateTimeField(_("跟进时间"))
    next_follow_up = models.DateField(_("下次跟进"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("已跟进"), default=False)
    employee = models.ForeignKey(
        "org.Employee", verbose_name=_("跟进人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    scope_policy = THROUGH_CUSTOMER

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="crm_activity_customer_idx"),
            models.Index(fields=["next_follow_up"], name="crm_activity_follow_up_idx"),
            models.Index(fields=["-occurred_at", "-id"], name="crm_activity_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class OpportunityStage(models.TextChoices):
    INITIAL = "initial", _("初步接洽")
    NEEDS = "needs", _("需求确认")
    PROPOSAL = "proposal", _("方案报价")
    NEGOTIATION = "negotiation", _("商务谈判")
    WON = "won", _("赢单")
    LOST = "lost", _("输单")


OPEN_STAGES = (
    OpportunityStage.INITIAL,
    OpportunityStage.NEEDS,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)


class Opportunity(models.Model):
    """A chance of a sale (机会) moving through stages; won and lost are final."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="opportunities"
    )
    title = models.CharField(_("机会名称"), max_length=200)
    stage = models.CharField(
        _("阶段"), max_length=20, choices=OpportunityStage.choices, default=OpportunityStage.INITIAL
    )
    expected_amount = MoneyField(_("预计金额"), default=0)
    expected_close = models.DateField(_("预计成交日期"), null=True, blank=True)
    lost_reason = models.CharField(_("输单原因"), max_length=300, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        "org.Employee", verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    scope_policy = THROUGH_CUSTOMER
    accepts_attachments = True

    version = version_field()

    class Meta:
        verbose_name = _("机会")
        verbose_name_plural = _("机会")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expected_amount__gte=0), name="crm_opportunity_amount_gte_0")
        ]

    def __str__(self) -> str:
        return self.title


# The public pool (公海) ------------------------------------------------------------------------------


class PoolSettings(models.Model):
    """The company's pool rules (one row): how many customers one salesperson may own, how many
    they may claim a day, and how long after releasing a customer they may not claim it back."""

    max_owned = models.PositiveIntegerField(_("每人最多负责客户数"), default=200)
    daily_claims = models.PositiveIntegerField(_("每人每天最多领取"), default=10)
    cooldown_days = models.PositiveIntegerField(_("释放后不可重新领取（天）"), default=30)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("公海设置")
        verbose_name_plural = _("公海设置")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class PoolRule(models.Model):
    """After how many idle days (no activity, no open order) a customer of a kind and level
    returns to the pool; the owner is reminded `warn_days` before, the manager half way between."""

    kind = models.CharField(_("客户类型"), max_length=20, choices=CustomerKind.choices)
    level = models.CharField(_("客户等级"), max_length=1, choices=CustomerLevel.choices)
    idle_days = models.PositiveIntegerField(_("无跟进回收天数"))
    warn_days = models.PositiveIntegerField(_("提前提醒天数"), default=7)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("公海回收规则")
        verbose_name_plural = _("公海回收规则")
        ordering = ["kind", "level"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "level"], name="crm_pool_rule_unique"),
            models.CheckConstraint(condition=Q(idle_days__gt=0), name="crm_pool_rule_idle_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_level_display()}: {self.idle_days}"


class OwnershipAction(models.TextChoices):
    CREATE = "create", _("新建")
    CLAIM = "claim", _("领取")
    RELEASE = "release", _("释放")
    RETURN = "return", _("自动回收")
    TRANSFER = "transfer", _("转移")
    IMPORT = "import", _("导入公海")


class OwnershipChange(models.Model):
    """Every change of a customer's owner (领取, 释放, 自动回收, 转移…): the claim limit, the daily
    cap and the cool-down are counted from these rows."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="ownership_changes"
    )
    action = models.CharField(_("操作"), max_length=10, choices=OwnershipAction.choices)
    from_owner = models.ForeignKey(
        "org.Employee", verbose_name=_("原负责人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(
        "org.Employee", verbose_name=_("新负责人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        "org.Employee", verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.CharField(_("原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("负责人变更")
        verbose_name_plural = _("负责人变更")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["to_owner", "action", "at"], name="crm_ownership_claims_idx"),
            models.Index(fields=["customer", "from_owner", "action", "at"], name="crm_ownership_release_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.action} {self.at:%Y-%m-%d}"


class PoolNotice(models.Model):
    """A reminder the pool sends before a customer returns (the owner first, then the manager);
    shown on the recipient's home page until read."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="pool_notices"
    )
    recipient = models.ForeignKey(
        "org.Employee", verbose_name=_("接收人"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("阶段"), max_length=10)  # "owner", "manager", "returned"
    returns_on = models.DateField(_("回收日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公海提醒")
        verbose_name_plural = _("公海提醒")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.stage}"


# Quotes to customers and contracts ------------------------------------------------------------------


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发送")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已拒绝")
    EXPIRED = "expired", _("已过期")


class Quote(models.Model):
    """机会报价: products and prices offered to a customer (prices from its price level unless
    typed), valid until a date; printable, and later the start of a sales order."""

    number = models.CharField(_("报价单号"), max_length=40, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="quotes"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("机会"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quotes",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    valid_until = models.DateField(_("有效期至"))
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        "org.Employee", verbose_name=_("报价人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    scope_policy = THROUGH_CUSTOMER
    accepts_attachments = True

    version = version_field()

    class Meta:
        verbose_name = _("报价单")
        verbose_name_plural = _("报价单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def amount(self) -> Decimal:
        return quantize_money(sum((line.amount for line in self.lines.all()), Decimal("0")))


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("报价单"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))
    unit_price = PriceField(_("含税单价"))
    price_source = models.CharField(_("价格来源"), max_length=20, blank=True)  # level, sale, typed

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        ordering = ["quote_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="crm_quote_line_qty_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="crm_quote_line_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quote_id}: {self.product_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return quantize_money(self.quantity * self.unit_price)


class Contract(Document):
    """合同: a signed agreement with a customer (amount, dates, lines with agreed prices,
    attachments), approved like any document; sales orders may later be placed under it."""

    DOCUMENT_TYPE = "contract"
    DEFAULT_PREFIX = "HT"

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts"
    )
    quote = models.ForeignKey(
        Quote, verbose_name=_("来源报价"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("合同名称"), max_length=200)
    amount = MoneyField(_("合同金额"))
    signed_on = models.DateField(_("签订日期"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    note = models.TextField(_("备注"), blank=True)

    scope_policy = ScopePolicy(owner="owner", department="department")

    version = version_field()

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="crm_contract_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="crm_contract_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def approval_amount(self) -> Decimal | None:
        return self.amount


class ContractLine(models.Model):
    contract = models.ForeignKey(
        Contract, verbose_name=_("合同"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("商品"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = QuantityField(_("数量"))
    unit_price = PriceField(_("含税单价"))

    class Meta:
        verbose_name = _("合同明细")
        verbose_name_plural = _("合同明细")
        ordering = ["contract_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="crm_contract_line_qty_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="crm_contract_line_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.product_id} × {self.quantity}"


# Handover (交接) -------------------------------------------------------------------------------------


class Handover(models.Model):
    """交接: a leaving (or moving) employee's book handed to colleagues in one step. Each line says
    which record went to whom; the records' own history stays attributed to who did it."""

    number = models.CharField(_("交接单号"), max_length=40, unique=True, editable=False)
    from_employee = models.ForeignKey(
        "org.Employee", verbose_name=_("交出人"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("交接原因"), max_length=300)
    actor = models.ForeignKey(
        "org.Employee", verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("交接时间"), default=timezone.now, editable=False)

    scope_policy = ScopePolicy(owner="from_employee", department="from_employee__department")

    class Meta:
        verbose_name = _("交接单")
        verbose_name_plural = _("交接单")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class HandoverLine(models.Model):
    handover = models.ForeignKey(
        Handover, verbose_name=_("交接单"), on_delete=models.CASCADE, related_name="lines"
    )
    record_type = models.CharField(_("记录类型"), max_length=40)  # customer, quote, contract, receivable…
    record_id = models.PositiveBigIntegerField(_("记录"))
    record_label = models.CharField(_("记录名称"), max_length=200)
    to_employee = models.ForeignKey(
        "org.Employee", verbose_name=_("接收人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("交接明细")
        verbose_name_plural = _("交接明细")
        ordering = ["handover_id", "id"]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_label} → {self.to_employee_id}"


# Campaigns (市场活动) and expenses (费用) ----------------------------------------------------------


class CampaignKind(models.TextChoices):
    EXHIBITION = "exhibition", _("展会")
    CONFERENCE = "conference", _("学术会议")
    PROMOTION = "promotion", _("渠道促销")
    TRAINING = "training", _("渠道培训")
    ONLINE = "online", _("线上推广")
    OTHER = "other", _("其他")


class Campaign(models.Model):
    """市场活动: a promotion aimed at channel partners or customers (`partners`), with a budget and
    dates; what it cost is the expenses charged to it. Campaigns are company information every
    holder of the view permission sees; the customers involved are shown only to those who may see
    each customer. Managers (and the administrator) create and change them within their scope."""

    code = models.CharField(_("活动编号"), max_length=40, unique=True, editable=False)
    name = models.CharField(_("活动名称"), max_length=200)
    kind = models.CharField(_("活动类型"), max_length=20, choices=CampaignKind.choices)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    budget = MoneyField(_("预算"), default=0)
    description = models.TextField(_("活动说明"), blank=True)
    partners = models.ManyToManyField(
        Customer, verbose_name=_("参与客户"), blank=True, related_name="campaigns"
    )
    owner = models.ForeignKey(
        "org.Employee", verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    is_cancelled = models.BooleanField(_("已取消"), default=False)
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    scope_policy = ScopePolicy(shared=True)
    accepts_attachments = True

    class Meta:
        verbose_name = _("市场活动")
        verbose_name_plural = _("市场活动")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="crm_campaign_budget_gte_0"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="crm_campaign_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ExpenseCategory(models.TextChoices):
    TRAVEL = "travel", _("差旅费")
    ENTERTAINMENT = "entertainment", _("业务招待费")
    TRANSPORT = "transport", _("交通费")
    CONFERENCE = "conference", _("会议费")
    GIFTS = "gifts", _("礼品费")
    SAMPLES = "samples", _("样品费")
    PROMOTION = "promotion", _("市场推广费")
    OTHER = "other", _("其他")


EXPENSE_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    **DOCUMENT_TRANSITIONS,
    "pay": (frozenset({Status.APPROVED}), Status.DONE),
}


class Expense(Document):
    """费用: a salesperson applies (category, amount, what for, the customer or campaign it served),
    the department manager approves or rejects with a reason, and finance pays it: approval opens a
    payable to the employee in the money ledger, payment settles it and the expense is done (已支付)."""

    DOCUMENT_TYPE = "expense"
    DEFAULT_PREFIX = "FY"
    TRANSITIONS = EXPENSE_TRANSITIONS

    category = models.CharField(_("费用类别"), max_length=20, choices=ExpenseCategory.choices)
    amount = MoneyField(_("金额"))
    incurred_on = models.DateField(_("发生日期"))
    description = models.TextField(_("费用说明"))
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expenses",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("市场活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expenses",
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    paid_on = models.DateField(_("支付日期"), null=True, blank=True, editable=False)
    payment = models.ForeignKey(
        "finance.Settlement",
        verbose_name=_("付款单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    scope_policy = ScopePolicy(owner="owner", department="department")

    class Meta:
        verbose_name = _("费用")
        verbose_name_plural = _("费用")
        ordering = ["-incurred_on", "-id"]
        permissions = [("pay_expense", _("支付费用"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="crm_expense_amount_gt_0"),
        ]

    def __str__(self) -> str:
        """What the approval inbox shows: the number, category, amount and what it was for."""
        summary = self.description if len(self.description) <= 30 else f"{self.description[:30]}…"
        return f"{self.number} {self.get_category_display()} ¥{self.amount:,.2f}：{summary}"

    def approval_amount(self) -> Decimal | None:
        return self.amount

    def has_downstream(self) -> bool:
        return self.payment_id is not None
