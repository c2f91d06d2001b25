"""Forms of the customer pages. They only parse input; the rules (and the duplicate check) live in
`maoyi.crm.services`, whose refusals the views put back on these fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maoyi.catalog import selectors as catalog_selectors
from maoyi.catalog.models import PriceLevel
from maoyi.crm import selectors
from maoyi.crm.models import Customer, CustomerKind, CustomerLevel, CustomerSource
from maoyi.org import scope
from maoyi.org.models import Employee
from maoyi.org.selectors import active_employees
from maoyi.web.forms import StyledForm

EDITABLE = (
    "name",
    "kind",
    "level",
    "phone",
    "tax_id",
    "address",
    "credit_limit",
    "price_level",
    "parent",
    "channel_partner",
    "source",
    "tags",
    "note",
)


class CustomerForm(StyledForm):
    name = forms.CharField(label=_("客户名称"), max_length=200)
    kind = forms.ChoiceField(label=_("客户类型"), choices=CustomerKind.choices)
    level = forms.ChoiceField(label=_("客户等级"), choices=CustomerLevel.choices, initial=CustomerLevel.B)
    phone = forms.CharField(label=_("电话"), max_length=40, required=False)
    tax_id = forms.CharField(
        label=_("税号"), max_length=20, required=False, help_text=_("统一社会信用代码，15 到 20 位")
    )
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    credit_limit = forms.DecimalField(
        label=_("信用额度"),
        max_digits=18,
        decimal_places=2,
        initial=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    price_level = forms.ModelChoiceField(
        label=_("价格等级"), queryset=PriceLevel.objects.none(), required=False, empty_label=_("（按销售价）")
    )
    parent = forms.ModelChoiceField(
        label=_("上级渠道"), queryset=Customer.objects.none(), required=False, empty_label=_("（无）")
    )
    channel_partner = forms.ModelChoiceField(
        label=_("所属渠道"), queryset=Customer.objects.none(), required=False, empty_label=_("（无）")
    )
    source = forms.ChoiceField(
        label=_("客户来源"), choices=[("", _("（未填写）")), *CustomerSource.choices], required=False
    )
    tags = forms.CharField(label=_("标签"), max_length=200, required=False, help_text=_("多个标签用逗号分隔"))
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(
        label=_("负责人"),
        queryset=Employee.objects.none(),
        required=False,
        empty_label=_("（公海，无负责人）"),
    )

    def __init__(self, *args: Any, user: Any, instance: Customer | None = None, **kwargs: Any) -> None:
        if instance is not None:
            initial = {name: getattr(instance, name) for name in EDITABLE}
            initial.update(
                price_level=instance.price_level_id,
                parent=instance.parent_id,
                channel_partner=instance.channel_partner_id,
                credit_limit=format(instance.credit_limit.normalize(), "f"),
            )
            kwargs.setdefault("initial", initial)
        else:
            kwargs.setdefault("initial", {"owner": getattr(scope.employee_of(user), "pk", None)})
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        levels = catalog_selectors.price_levels(active=True)
        if instance is not None and instance.price_level_id:
            levels = levels | PriceLevel.objects.filter(pk=instance.price_level_id)
        fields["price_level"].queryset = levels
        fields["parent"].queryset = selectors.partners(
            user, keep=instance.parent if instance else None, exclude=instance
        )
        fields["channel_partner"].queryset = selectors.partners(
            user, keep=instance.channel_partner if instance else None, exclude=instance
        )
        if instance is None:
            # Whom the user may give a new customer to: the employees in their scope.
            fields["owner"].queryset = scope.visible(user, active_employees())
            fields["owner"].label_from_instance = lambda e: f"{e.name}（{e.department}）"
        else:
            del fields["owner"]  # the owner changes by claim, release or transfer

    def customer_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data[name] for name in EDITABLE}
        if "owner" in self.fields:
            values["owner"] = data["owner"]
        return values


class CheckForm(forms.Form):
    """The 查重 button's query: any of name, phone and tax id, and the customer being edited."""

    name = forms.CharField(required=False)
    phone = forms.CharField(required=False)
    tax_id = forms.CharField(required=False)
    exclude = forms.IntegerField(required=False)
