"""Forms of the settings pages; the rules live in `maoyi.approvals.services`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from maoyi.approvals.models import ApprovalRule, ApproverKind
from maoyi.core.documents import approvable_document_types
from maoyi.core.money import quantize_money
from maoyi.org.models import Employee, EmployeeStatus, Role
from maoyi.web.forms import StyledForm


class PrefixForm(StyledForm):
    # No length or pattern check here: the service's refusal says exactly what a prefix may be.
    prefix = forms.CharField(  # type: ignore[assignment]  # a field, not the form's name prefix
        label=_("编号前缀"),
        max_length=40,
        help_text=_("以大写字母开头，只含大写字母和数字，最多 12 位，例如 CGDD。已经生成的单据编号不变。"),
        widget=forms.TextInput(attrs={"x-model": "prefix", "autocomplete": "off"}),
    )


class RuleForm(StyledForm):
    document_type = forms.ChoiceField(label=_("单据类型"))
    name = forms.CharField(label=_("规则名称"), max_length=100)
    min_amount = forms.DecimalField(
        label=_("金额不低于"),
        required=False,
        max_digits=18,
        decimal_places=2,
        help_text=_("留空表示不论金额。同一单据类型有多条规则时，采用金额达到的最高门槛的那一条。"),
    )
    approver_kind = forms.ChoiceField(
        label=_("审批人"),
        choices=ApproverKind.choices,
        initial=ApproverKind.MANAGER,
        widget=forms.Select(attrs={"x-model": "kind"}),
    )
    role = forms.ModelChoiceField(
        label=_("审批角色"),
        queryset=Role.objects.order_by("id"),
        required=False,
        empty_label=_("请选择角色"),
        help_text=_("该角色的所有在职员工都可以审批（提交人本人除外）。"),
    )
    person = forms.ModelChoiceField(
        label=_("审批人员"), queryset=Employee.objects.none(), required=False, empty_label=_("请选择人员")
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def clean_min_amount(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("min_amount")
        return quantize_money(value) if value is not None else None

    def __init__(self, *args: Any, instance: ApprovalRule | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "document_type": instance.document_type,
                    "name": instance.name,
                    "min_amount": instance.min_amount,
                    "approver_kind": instance.approver_kind,
                    "role": instance.role_id,
                    "person": instance.person_id,
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        types = [(code, kind.label) for code, kind in sorted(approvable_document_types().items())]
        if instance is not None and instance.document_type not in dict(types):
            types.append((instance.document_type, instance.document_type))
        document_type: Any = self.fields["document_type"]
        document_type.choices = types
        # Anyone active may be named; a rule's current person stays pickable after they left.
        people = Q(status=EmployeeStatus.ACTIVE)
        if instance is not None and instance.person_id:
            people |= Q(pk=instance.person_id)
        person: Any = self.fields["person"]
        person.queryset = Employee.objects.filter(people).select_related("department").order_by("name")
        person.label_from_instance = lambda e: f"{e.name}（{e.department}）"
