from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import MoneyField
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
