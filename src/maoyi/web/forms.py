"""Form rendering for the Tabler (Bootstrap 5) theme, with Django's own field-group templates."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting


class BootstrapFormRenderer(TemplatesSetting):
    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


class StyledFormMixin:
    """Gives every widget the theme's classes and marks invalid fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if self.is_bound and name in self.errors:  # type: ignore[attr-defined]
                widget.attrs["class"] += " is-invalid"


class StyledForm(StyledFormMixin, forms.Form):
    pass


def apply_domain_error(form: forms.Form, exc: Any) -> None:
    """Show a service refusal on the field it is about, or at the top of the form."""
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc.message))
