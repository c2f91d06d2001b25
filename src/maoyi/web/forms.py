"""Form rendering for the Tabler (Bootstrap 5) theme, with Django's own field-group templates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext


class BootstrapFormRenderer(TemplatesSetting):
    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


class StyledFormMixin:
    """Gives every widget the theme's classes, and marks invalid fields once the form is validated
    (never in __init__, so subclasses may still set choices before validation runs)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._mark_invalid()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self._errors or {}:  # type: ignore[attr-defined]
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is not None and "is-invalid" not in field.widget.attrs.get("class", ""):
                field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} is-invalid".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


def apply_domain_error(form: forms.Form, exc: Any) -> None:
    """Show a service refusal on the field it is about, or at the top of the form (also when the
    field is hidden: the version). A stale save (`stale_version`) also marks each field someone
    else changed meanwhile with its new value."""
    field = getattr(exc, "field", None)
    shown = field in form.fields and not form.fields[field].widget.is_hidden
    form.add_error(field if shown else None, str(exc.message))
    for name, (_old, new) in (getattr(exc, "changed", None) or {}).items():
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(
                name, gettext("已被他人改为：%(value)s") % {"value": "—" if new in (None, "") else new}
            )


# Fields and values every document form uses ---------------------------------------------------------


def plain(value: Decimal | None) -> str:
    """A stored decimal as a person types it: 12.5000 → 12.5 (None → "")."""
    return "" if value is None else f"{value.normalize():f}"


def date_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    """A date picker that shows and reads ISO dates (2026-11-27)."""
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def decimal_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    """A decimal typed as text (no spinner). No digits or places here: the service's rules (and
    messages) decide."""
    return forms.DecimalField(
        label=label, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}), **kwargs
    )


def put_grid_error(
    exc: Any, header: forms.Form, grids: dict[str, tuple[Any, list[int]]], *, whole: str = ""
) -> str:
    """Put a service refusal on the grid cell it names (`<grid>.<n>.<field>`, n counting the rows
    handed to the service: `grids[grid]` is the formset and the form index of each of those rows),
    on the row when the field is hidden or unknown, else on the header field or above the form.
    A refusal naming the grid `whole` itself (`installments`: the plan does not add up) is
    returned, for the page to show over that grid."""
    parts = (exc.field or "").split(".")
    if parts[0] in grids and len(parts) == 3 and parts[1].isdigit():
        formset, positions = grids[parts[0]]
        n = int(parts[1])
        if n < len(positions) and positions[n] < len(formset.forms):
            form = formset.forms[positions[n]]
            visible = parts[2] in form.fields and not form.fields[parts[2]].widget.is_hidden
            form.add_error(parts[2] if visible else None, exc.message)
            return ""
    if whole and parts[0] == whole and len(parts) == 1:
        return str(exc.message)
    apply_domain_error(header, exc)
    return ""
