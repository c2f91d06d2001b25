"""A document type that exists only in the test settings, to exercise the shared documents and
approvals machinery before the business documents (orders, returns, contracts) arrive."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from maoyi.core.documents import Document
from maoyi.core.money import MoneyField


class SampleDocument(Document):
    DOCUMENT_TYPE = "sample"
    DEFAULT_PREFIX = "CS"

    title = models.CharField("标题", max_length=100)
    amount = MoneyField("金额", default=Decimal("0"))
    downstream = models.BooleanField(default=False)

    class Meta:
        verbose_name = "测试单据"
        verbose_name_plural = "测试单据"

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def approval_amount(self) -> Decimal | None:
        return self.amount

    def has_downstream(self) -> bool:
        return self.downstream
