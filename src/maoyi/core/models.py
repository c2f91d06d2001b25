from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberingRule(models.Model):
    """The prefix of a document type's numbers, editable by an administrator."""

    document_type = models.CharField(_("单据类型"), max_length=40, unique=True)
    prefix = models.CharField(
        _("编号前缀"),
        max_length=12,
        help_text=_("大写字母或数字，例如 CGDD。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("编号规则")
        verbose_name_plural = _("编号规则")
        ordering = ["document_type"]

    def __str__(self) -> str:
        return f"{self.document_type}: {self.prefix}"


class DocumentSequence(models.Model):
    """One counter per document type and day. It is incremented inside the document's own
    transaction, so a rollback gives the number back and numbers stay gap-free."""

    document_type = models.CharField(max_length=40)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = _("编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["document_type", "day"], name="core_sequence_type_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.day}: {self.last}"
