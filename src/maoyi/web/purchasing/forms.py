"""Forms of the purchasing pages. They only parse input; the rules live in
`maoyi.purchasing.services`, whose refusals the views put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maoyi.core.money import Currency
from maoyi.org.models import Employee
from maoyi.org.selectors import active_employees
from maoyi.purchasing.models import Supplier, SupplierContact
from maoyi.web.forms import StyledForm

ACTIVE_FILTER = (("active", _("启用")), ("inactive", _("停用")), ("all", _("全部状态")))


class SupplierForm(StyledForm):
    code = forms.CharField(
        label=_("供应商编码"),
        max_length=40,
        required=False,
        help_text=_("留空则自动编号（GYS0001 …）。"),
    )
    name = forms.CharField(label=_("供应商名称"), max_length=200)
    short_name = forms.CharField(label=_("简称"), max_length=60, required=False)
    currency = forms.ChoiceField(label=_("币种"), choices=Currency.choices, initial=Currency.CNY)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    email = forms.CharField(label=_("邮箱"), max_length=254, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    tax_id = forms.CharField(label=_("税号"), max_length=40, required=False)
    bank_name = forms.CharField(label=_("开户行"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("银行账号"), max_length=60, required=False)
    payment_terms_days = forms.IntegerField(label=_("账期（天）"), initial=30)
    payment_terms = forms.CharField(
        label=_("付款条件"),
        max_length=200,
        required=False,
        help_text=_("例如：预付 30%，到货验收后 60 天内付清。"),
    )
    buyer = forms.ModelChoiceField(
        label=_("采购负责人"), queryset=Employee.objects.none(), required=False, empty_label=_("（未指定）")
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, instance: Supplier | None = None, **kwargs: Any) -> None:
        if instance is not None:
            initial = {name: getattr(instance, name) for name in self.base_fields if name != "buyer"}
            initial["buyer"] = instance.buyer_id
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        buyer: Any = self.fields["buyer"]
        choices = active_employees()
        if instance is not None and instance.buyer_id:
            choices = choices | Employee.objects.filter(pk=instance.buyer_id)  # keep a buyer who left
        buyer.queryset = choices
        buyer.label_from_instance = lambda e: f"{e.name}（{e.department}）"
        if instance is not None:
            self.fields["code"].help_text = ""

    def supplier_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}


class ContactForm(StyledForm):
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("姓名"), max_length=60)
    title = forms.CharField(label=_("职务"), max_length=60, required=False)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    email = forms.CharField(label=_("邮箱"), max_length=254, required=False)
    is_primary = forms.BooleanField(label=_("主要联系人"), required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, instance: SupplierContact | None = None, **kwargs: Any) -> None:
        if instance is not None:
            initial = {name: getattr(instance, name) for name in self.base_fields if name != "contact"}
            initial["contact"] = instance.pk
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)

    def contact_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name != "contact"}
