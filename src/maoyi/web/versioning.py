"""The hidden `version` input of every edit form of a versioned record (maoyi.core.versioning).

The form carries the version the page was loaded with; the update service refuses the save when
the record has been saved since (`stale_version`), and the form is shown again with the refusal
above it and, on each field someone else changed, its new value. The page keeps the version it was
loaded with, so saving again is refused again until the user reloads (刷新) and sees the other
person's changes. A post without a version (a stale page from before versions, a hand-made post)
is refused the same way: an edit form always carries it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maoyi.core.errors import DomainError
from maoyi.core.versioning import parse_version


def add_version(form: forms.BaseForm, record: Any) -> None:
    """Give the edit form of `record` its hidden version (nothing when creating: record is None)."""
    if record is None or getattr(record, "pk", None) is None:
        return
    form.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
    form.initial["version"] = record.version


def posted_version(form: forms.BaseForm) -> int:
    """The version the posted form was loaded with; a post without one is refused."""
    data = form.data.get("version") if form.is_bound else None
    version = parse_version(data)
    if version is None:
        raise DomainError(
            _("页面缺少版本信息，可能已过期，请刷新后重试。"), code="stale_version", field="version"
        )
    return version
