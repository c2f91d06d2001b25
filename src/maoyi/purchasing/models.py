from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import Currency
from maoyi.org.models import Employee
from maoyi.org.policy import ScopePolicy


class Supplier(models.Model):
    """A company we buy from (供应商), at home or abroad; `name_key` is the name without spaces,
    brackets and company-form suffixes, so 康德莱（上海）有限公司 and 康德莱上海公司 are the same one."""

    code = models.CharField(_("供应商编码"), max_length=40, unique=True)
    name = models.CharField(_("供应商名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    pinyin = models.CharField(_("拼音码"), max_length=60, blank=True, db_index=True, editable=False)
    name_key = models.CharField(max_length=200, unique=True, editable=False)
    currency = models.CharField(_("币种"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    tax_id = models.CharField(_("税号"), max_length=40, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=60, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("账期（天）"), default=30)
    payment_terms = models.CharField(_("付款条件"), max_length=200, blank=True)
    buyer = models.ForeignKey(
        Employee,
        verbose_name=_("采购负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        Employee,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    # Company data, not owned: pages and the API gate suppliers by model permissions.
    scope_policy = ScopePolicy(owner=None, department=None, shared=True)
    accepts_attachments = True  # 营业执照, licences, contracts

    class Meta:
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tax_id"], condition=~Q(tax_id=""), name="purchasing_supplier_unique_tax_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SupplierContact(models.Model):
    """A person at a supplier (联系人); at most one per supplier is the primary contact."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("供应商"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=60)
    title = models.CharField(_("职务"), max_length=60, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("供应商联系人")
        verbose_name_plural = _("供应商联系人")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"], condition=Q(is_primary=True), name="purchasing_contact_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return self.name
